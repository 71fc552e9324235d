"""How a papermill step's outcome is read from what the notebook printed (recorded / skipped / refused)."""

from __future__ import annotations

from pathlib import Path

import nbformat

from minimarket.ops.schedule import _STATUS_OUTCOME, notebook_status


def _executed(tmp_path: Path, *chunks: str) -> Path:
    cell = nbformat.v4.new_code_cell("print(json.dumps(result, indent=2))")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=chunk) for chunk in chunks]
    cell.outputs.append(nbformat.v4.new_output("stream", name="stderr", text='{"status": "recorded"}'))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), cell])
    path = tmp_path / "out.ipynb"
    nbformat.write(notebook, path)
    return path


def test_the_printed_status_in_chunks_among_other_lines(tmp_path: Path) -> None:
    path = _executed(tmp_path, 'refitting...\n{\n  "status": "ref', 'used",\n  "reason": "fuera del rango"\n}\n')
    assert notebook_status(path) == {"status": "refused", "reason": "fuera del rango"}
    assert _STATUS_OUTCOME["refused"] == "failed"
    assert _STATUS_OUTCOME["recorded"] == "succeeded" and _STATUS_OUTCOME["skipped"] == "skipped"


def test_no_status_printed(tmp_path: Path) -> None:
    assert notebook_status(_executed(tmp_path, "nothing here {not json}\n", '{"month": "2026-09"}\n')) is None


def test_the_reports_sentence_of_the_monthly_update(tmp_path: Path) -> None:
    from minimarket.reports import update_sentence

    cell = nbformat.v4.new_code_cell("reports.say(reports.update_sentence(result))")
    for result in (
        {"status": "skipped", "reason": "month and pct are required"},
        {"status": "refused", "reason": "2.6 % está fuera del rango plausible"},
    ):
        text = update_sentence(result)
        cell.outputs.append(nbformat.v4.new_output("display_data", data={"text/markdown": text, "text/plain": "<md>"}))
    path = tmp_path / "sentences.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    assert notebook_status(path) == {"status": "refused", "reason": "2.6 % está fuera del rango plausible"}

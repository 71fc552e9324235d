"""The runner: it reads whatever JSON a script prints, keeps going past a failing one, and writes the summary
compared with the previous one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from minimarket.bench.runner import discover, last_json, main

GOOD = """
import json, sys
quick = "--quick" in sys.argv
print("progress lines first")
print(json.dumps({"figures": [{"name": "rps", "ours": 50.0 if quick else 40.0, "reference": 10.0,
                  "goal": "ratio >= 5", "met": False, "better": "higher"}]}))
"""


def test_last_json_takes_the_printed_object() -> None:
    assert last_json('{"a": 1}') == {"a": 1}
    assert last_json('starting\n{\n  "a": {"b": 2}\n}\n') == {"a": {"b": 2}}
    assert last_json("no json here") is None


def test_a_run_writes_json_and_a_summary_and_names_regressions(tmp_path: Path) -> None:
    scripts = tmp_path / "benchmarks"
    scripts.mkdir()
    (scripts / "good.py").write_text(GOOD)
    (scripts / "broken.py").write_text("raise SystemExit('no data here')")
    (scripts / "data.py").write_text("raise SystemExit('a helper, not a benchmark')")
    (scripts / "_shared.py").write_text("")
    assert [s.name for s in discover(scripts)] == ["broken", "good"]
    out = tmp_path / "reports"
    out.mkdir()
    baseline = "| benchmark | figure | ours | reference | ratio | better | goal | met |\n"
    baseline += "| --- | --- | --- | --- | --- | --- | --- | --- |\n| good | rps | 60 | 10 | 6.00 | higher | | yes |\n"
    (out / "SUMMARY.md").write_text(baseline)

    assert main(["--scripts", str(scripts), "--out", str(out)]) == 0
    assert main(["--scripts", str(scripts), "--out", str(out), "--baseline", str(tmp_path / "none.md"),
                 "--strict"]) == 0  # fmt: skip

    assert json.loads((out / "good.json").read_text())["figures"][0]["ours"] == 40.0
    summary = (out / "SUMMARY.md").read_text()
    assert "| good | rps | 40.0 | 10.0 | 4.00 | higher | ratio >= 5 | **NO** |" in summary
    assert "| broken | failed |" in summary and "no data here" in summary
    assert "No previous summary" in summary

    (out / "SUMMARY.md").write_text(baseline)
    assert main(["--scripts", str(scripts), "--out", str(out), "--strict"]) == 3
    assert "- good / rps: ratio 6.00 -> 4.00 (-33 %, lower is worse)" in (out / "SUMMARY.md").read_text()
    assert main(["--scripts", str(scripts), "--out", str(out), "--quick", "--only", "good"]) == 0
    quick = (out / "quick" / "SUMMARY.md").read_text()
    assert "| good | rps | 50.0 |" in quick and "| broken | not run |" in quick
    assert main(["--scripts", str(scripts), "--out", str(out), "--only", "broken"]) == 0
    assert "| good | rps | 40.0 |" in (out / "SUMMARY.md").read_text()  # kept from the previous run
    measured = json.loads((out / "good.json").read_text())["measured"]
    assert f"not run now: measured {measured['at']}, commit" in (out / "SUMMARY.md").read_text()


def test_a_kept_json_without_a_stamp_says_it_is_dated_by_its_file(tmp_path: Path) -> None:
    scripts = tmp_path / "benchmarks"
    scripts.mkdir()
    (scripts / "good.py").write_text(GOOD)
    out = tmp_path / "reports"
    out.mkdir()
    (scripts / "other.py").write_text(GOOD)
    (out / "good.json").write_text(json.dumps({"figures": []}))  # written before runs stamped their JSON
    assert main(["--scripts", str(scripts), "--out", str(out), "--only", "other"]) == 0
    assert "(file date)" in (out / "SUMMARY.md").read_text()


def test_every_quick_argument_is_one_its_script_declares() -> None:
    """A quick run passes :data:`QUICK_ARGS` to scripts without ``--quick``: an option a script no longer declares
    fails it with argparse's exit 2 (the demand backtest lost its quick figures that way)."""
    from minimarket.bench.runner import QUICK_ARGS
    from minimarket.config import REPO_ROOT

    for name, args in QUICK_ARGS.items():
        source = (REPO_ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
        options = [a for a in args if a.startswith("--")]
        assert options, name
        for option in options:
            assert f'"{option}"' in source, f"{name}: {option} is not an option of benchmarks/{name}.py"


def test_only_takes_commas_and_refuses_an_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scripts = tmp_path / "benchmarks"
    scripts.mkdir()
    (scripts / "good.py").write_text(GOOD)
    (scripts / "other.py").write_text(GOOD)
    out = tmp_path / "reports"
    with pytest.raises(SystemExit) as refused:
        main(["--scripts", str(scripts), "--out", str(out), "--only", "good,nope"])
    assert refused.value.code == 2
    error = capsys.readouterr().err
    assert "no benchmark named nope" in error and "the benchmarks are: good, other" in error
    assert not out.exists()  # refused before anything ran or was written
    assert main(["--scripts", str(scripts), "--out", str(out), "--only", "good,other"]) == 0
    assert "| good | ok |" in (out / "SUMMARY.md").read_text() and "| other | ok |" in (out / "SUMMARY.md").read_text()

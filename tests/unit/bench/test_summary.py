"""SUMMARY.md: the table round-trips, and the regression check names what got more than 10 % worse."""

from __future__ import annotations

from minimarket.bench.figures import Figure, figure
from minimarket.bench.summary import Row, Run, fmt, parse, parse_number, regressions, render


def _run(rows: list[Row]) -> Run:
    machine = {"mode": "full", "date": "2026-01-01 10:00", "commit": "abc", "cores": 2, "cpu_model": "AMD EPYC"}
    return Run(rows=rows, scripts=[{"name": "service_search", "status": "ok", "seconds": 12.5}], machine=machine)


def test_the_table_round_trips_through_markdown() -> None:
    rows = [
        Row("service_search", figure("search p95 | 100k", 38.21, 812.0, goal=("<", 50), unit="ms", better="lower")),
        Row("service_demand", figure("rps batched vs one at a time", 130.0, 21.0, goal=(">=", 5), on="ratio")),
        Row("extract_accuracy", Figure(name="real fully_correct", ours=0.913)),
    ]
    text = render(_run(rows), [], "Compared with nothing.")
    assert "2 cores, AMD EPYC" in text and "commit `abc`" in text
    parsed = parse(text)
    assert [r.key for r in parsed] == [r.key for r in rows]
    first = parsed[0].figure
    assert first.name == "search p95 | 100k" and first.better == "lower" and first.met is True
    assert first.ours == 38.2 and first.reference == 812.0 and first.ratio == parse_number(fmt(38.21 / 812.0))
    assert parsed[1].figure.met is True and parsed[1].figure.ratio == 6.19
    assert parsed[2].figure.ratio is None and parsed[2].figure.met is None


def test_a_ratio_more_than_ten_percent_worse_is_named_either_way() -> None:
    before = [
        Row("ocr", Figure(name="pages/s vs raw", ours=1.0, reference=1.2, ratio=0.81, better="higher")),
        Row("batch", Figure(name="batch vs raw", ours=10.0, reference=9.0, ratio=1.10, better="lower")),
        Row("search", Figure(name="p95", ours=40.0, better="lower")),
        Row("gone", Figure(name="old figure", ours=1.0, ratio=1.0, better="higher")),
    ]
    after = [
        Row("ocr", Figure(name="pages/s vs raw", ours=0.8, reference=1.2, ratio=0.65, better="higher")),
        Row("batch", Figure(name="batch vs raw", ours=10.5, reference=9.0, ratio=1.17, better="lower")),
        Row("search", Figure(name="p95", ours=45.0, better="lower")),
        Row("new", Figure(name="new figure", ours=1.0, ratio=1.0, better="higher")),
    ]
    found = regressions(after, before)
    assert [(r.benchmark, r.what) for r in found] == [("ocr", "ratio"), ("search", "ours")]
    assert "0.81 -> 0.65" in found[0].sentence() and "lower is worse" in found[0].sentence()
    assert regressions(before, before) == []


def test_the_regressions_are_written_in_the_summary() -> None:
    before = parse(render(_run([Row("ocr", figure("pages/s", 0.81, 1.0, better="higher"))]), None, "first"))
    now = [Row("ocr", figure("pages/s", 0.65, 1.0, better="higher"))]
    found = regressions(now, before)
    text = render(_run(now), found, "Compared with the last one.")
    assert "- ocr / pages/s: ratio 0.81 -> 0.65 (-20 %, lower is worse)" in text
    assert "No ratio more than" in render(_run(now), [], "x")


def test_numbers_print_and_parse_back() -> None:
    for value in (0.0123, 0.81, 1.234, 12.34, 123.4, 123456.0):
        assert abs(parse_number(fmt(value)) - value) <= abs(value) * 0.01  # type: ignore[operator]
    assert parse_number("—") is None and parse_number("38.2 ms") == 38.2 and fmt(None) == "—"

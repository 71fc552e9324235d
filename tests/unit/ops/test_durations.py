"""Durations as operators write them (--grace 24h, pipeline timeouts)."""

from __future__ import annotations

import datetime as dt

import pytest

from minimarket.ops.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", dt.timedelta(seconds=90)),
        ("30m", dt.timedelta(minutes=30)),
        ("24h", dt.timedelta(hours=24)),
        ("7d", dt.timedelta(days=7)),
        ("1d12h", dt.timedelta(days=1, hours=12)),
        ("2w", dt.timedelta(weeks=2)),
        ("1.5h", dt.timedelta(minutes=90)),
        ("45", dt.timedelta(seconds=45)),
        (" 2H ", dt.timedelta(hours=2)),
    ],
)
def test_parse(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "h", "24 horas", "1y", "-3h", "3h-", "1d 2x"])
def test_bad_durations_say_what_is_accepted(text: str) -> None:
    with pytest.raises(ValueError, match="24h"):
        parse_duration(text)


def test_format_round_trips() -> None:
    for text in ("90s", "30m", "1d12h", "45d"):
        delta = parse_duration(text)
        assert parse_duration(format_duration(delta)) == delta
    assert format_duration(dt.timedelta()) == "0s"
    assert format_duration(dt.timedelta(hours=24)) == "1d"

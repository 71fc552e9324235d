"""The CPI feed of the scheduled update: its CSV, and which month is pending."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from minimarket.config import Settings
from minimarket.ops.cpi_feed import feed_figures, resolve


def test_feed_figures_accept_decimal_commas_and_default_the_source() -> None:
    figures = feed_figures('month,pct,source\n2026-09,"2,1",INDEC\n2026-10,2.3,\n')
    assert figures == {"2026-09": (2.1, "INDEC"), "2026-10": (2.3, "INDEC")}


@pytest.mark.parametrize("text", ["mes,valor\n2026-09,2\n", "month,pct\n2026/09,2\n", "month,pct\n2026-09,dos\n"])
def test_a_bad_feed_says_what_is_expected(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        feed_figures(text)


def test_the_pending_month_is_the_one_after_the_last_known(isolated_state: Path) -> None:
    settings = Settings()
    # the bundled series ends in 2026-08: on 10/10/2026, September is pending
    october = dt.datetime(2026, 10, 10, 15, tzinfo=dt.UTC)
    missing = resolve(settings, october)
    assert missing.skip is not None and "2026-09" in missing.skip and "no existe" in missing.skip
    feed = isolated_state / "inbox" / "cpi.csv"
    feed.parent.mkdir(parents=True)
    feed.write_text("month,pct,source\n2026-08,1.7,INDEC\n", encoding="utf-8")
    assert "falta la cifra de 2026-09" in (resolve(settings, october).skip or "")
    feed.write_text("month,pct,source\n2026-09,2.1,INDEC\n", encoding="utf-8")
    answer = resolve(settings, october)
    assert answer.skip is None and answer.values == {"month": "2026-09", "pct": 2.1, "source": "INDEC"}
    # in September itself, September's figure cannot exist yet
    september = dt.datetime(2026, 9, 20, 15, tzinfo=dt.UTC)
    assert "al día" in (resolve(settings, september).skip or "")

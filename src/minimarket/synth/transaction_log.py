"""A synthetic transaction log shaped like a small bakery's export: one row per unit sold.

A few best sellers sell dozens a day; most items sell a few times a week or less (Pareto-distributed
daily rates), with a weekend peak. Columns ``Transaction``, ``Date`` (YYYY-MM-DD), ``Item`` — no
quantity column, so every row is one unit (``--date-col Date --sku-col Item``). Deterministic from the
seed. Used by the demand regression tests and benchmark (an all-zero forecast was once served on
exactly this shape of data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEKDAY = np.array([0.8, 0.8, 0.85, 0.9, 1.0, 1.5, 1.3])  # Monday .. Sunday


def transaction_log(
    *,
    items: int = 80,
    days: int = 150,
    seed: int = 0,
    start: str = "2016-10-30",
    top_rates: tuple[float, ...] = (30, 20),
) -> pd.DataFrame:
    """Rows ``Transaction``, ``Date``, ``Item``: ``items`` products over ``days`` days."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=days, freq="D")
    rates = np.sort(rng.pareto(1.1, items) * 0.4 + 0.05)[::-1]
    rates[: len(top_rates)] = top_rates[:items]
    counts = rng.poisson(rates[:, None] * WEEKDAY[dates.dayofweek][None, :])
    item, day = np.nonzero(counts)
    repeats = counts[item, day]
    frame = pd.DataFrame(
        {
            "Date": np.repeat(dates.strftime("%Y-%m-%d").to_numpy()[day], repeats),
            "Item": np.repeat(np.array([f"Item {i:02d}" for i in range(items)])[item], repeats),
        }
    )
    frame = frame.sort_values(["Date", "Item"], kind="stable").reset_index(drop=True)
    frame.insert(0, "Transaction", np.arange(1, len(frame) + 1))
    return frame

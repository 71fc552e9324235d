"""Inflation backtest benchmark: 1/3/6-month MAE (pp) per model vs `naive_last_month`, printed as JSON.

Run: ``.venv/bin/python benchmarks/inflation_backtest.py [--no-prophet]``
"""

from __future__ import annotations

import argparse
import json
import time

from minimarket.forecast.inflation import MODELS, InflationData, make_models, rolling_backtest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-prophet", action="store_true")
    args = parser.parse_args()
    names = [n for n in MODELS if not (args.no_prophet and n == "prophet")]
    data = InflationData.bundled()
    started = time.perf_counter()
    result = rolling_backtest(data, make_models(names), horizons=(1, 3, 6), start="2019-01")
    payload = result.to_json({"window_2025_2026": ("2025-01", "2026-08")})
    naive_all = payload["models"]["naive_last_month"]["1"]["mae_pp"]
    naive_recent = payload["window_2025_2026"]["models"]["naive_last_month"]["1"]["mae_pp"]
    payload["improvement_vs_naive_1m"] = {
        name: {
            "all": round(1 - payload["models"][name]["1"]["mae_pp"] / naive_all, 4),
            "2025_2026": round(1 - payload["window_2025_2026"]["models"][name]["1"]["mae_pp"] / naive_recent, 4),
        }
        for name in payload["models"]
    }
    payload["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()

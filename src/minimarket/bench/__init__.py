"""Benchmarks as one report: every ``benchmarks/*.py`` script's figures in one table, checked against the
previous run (``make bench``; ``python -m minimarket.bench``).

* :mod:`.figures` — the contract a benchmark script prints (a ``figures`` list of :class:`~.figures.Figure`);
* :mod:`.adapters` — figures read from the JSON of scripts that do not print that list yet;
* :mod:`.summary` — ``SUMMARY.md``: the table, its parsing, the regression check;
* :mod:`.runner` — runs the scripts, writes ``reports/benchmarks/<name>.json`` and the summary.
"""

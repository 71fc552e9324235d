"""Monitoring: Evidently drift checks and Prometheus metrics.

* :mod:`~minimarket.monitoring.features` — feature frames of the drift datasets (invoices, sales, cpi);
* :mod:`~minimarket.monitoring.sources` — those frames for a window of the store, or for training data;
* :mod:`~minimarket.monitoring.reference` — the champion's reference frame in MLflow (log and fetch);
* :mod:`~minimarket.monitoring.drift` — ``check_drift`` / ``check_datasets`` / ``run_stage``, history;
* :mod:`~minimarket.monitoring.metrics` — the Prometheus registry and the drift gauges.

Heavy libraries (Evidently, MLflow) are imported inside the functions that need them.
"""

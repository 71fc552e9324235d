"""A Dask client for the doors: a LocalCluster of worker processes on this machine, or a real cluster.

``dask_client(settings)`` starts a LocalCluster on loopback (``Settings.dask_workers`` processes, one thread
each, no dashboard) and stops it on exit; ``dask_client(settings, scheduler="tcp://host:8786")`` (or
``MINIMARKET_DASK_SCHEDULER``) connects to a running scheduler within ``dask_connect_timeout_seconds`` and
leaves the cluster running. A scheduler that cannot be reached is a :class:`ClusterUnavailable` with a
clear message. A worker that dies while running a task is replaced and the task runs again once; a second
death fails that task alone (``distributed.scheduler.allowed-failures = 1`` on the LocalCluster; a real
cluster keeps its own setting).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from minimarket.config import Settings

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ClusterUnavailable", "dask_client", "local_cluster"]

ALLOWED_FAILURES = 1
"""Times a task is run again after its worker died, before it fails (retry once)."""


class ClusterUnavailable(RuntimeError):
    """The Dask scheduler could not be reached (the message says where and what to check)."""


@contextmanager
def local_cluster(workers: int) -> Iterator[Client]:
    """A LocalCluster of ``workers`` processes (one thread each) on 127.0.0.1 and its client."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set(
        {
            "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
            "distributed.admin.system-monitor.gil.enabled": False,
        }
    ):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
            silence_logs=logging.ERROR,
            env={"OMP_THREAD_LIMIT": "1"},
        )
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


@contextmanager
def dask_client(settings: Settings, scheduler: str | None = None, *, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler`` (else ``settings.dask_scheduler``), or of a LocalCluster of
    ``workers`` (else ``settings.dask_workers``) processes when there is no address."""
    address = (scheduler or settings.dask_scheduler or "").strip()
    if not address:
        with local_cluster(workers or settings.dask_workers) as client:
            yield client
        return
    from distributed import Client
    from distributed.comm import parse_address
    from distributed.comm.registry import backends

    timeout = settings.dask_connect_timeout_seconds
    try:
        protocol, _ = parse_address(address)
    except ValueError:
        protocol = ""
    if protocol not in backends:
        raise ClusterUnavailable(
            f"{address!r} no es una dirección de planificador de Dask; use tcp://servidor:8786 "
            f"(protocolos: {', '.join(sorted(backends))})"
        )
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterUnavailable(
            f"no se pudo conectar al planificador de Dask en {address} en {timeout:g} s "
            f"({type(exc).__name__}); revise la dirección (tcp://servidor:8786) y que `dask scheduler` esté "
            "corriendo, o quite --dask-scheduler para usar los núcleos de esta máquina"
        ) from None
    try:
        yield client
    finally:
        client.close()

"""Where the tasks run: this process, an embedded LocalCluster, or an existing scheduler."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client

#: Environment variable naming the scheduler of an existing cluster (``tcp://host:8786``).
SCHEDULER_VARIABLE = "ECON_SCHEDULER"
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT = 5.0


class SchedulerUnreachable(ConnectionError):
    """The Dask scheduler named by ``client=``, ``--scheduler`` or ``ECON_SCHEDULER`` did not
    answer."""


@contextmanager
def connect(client: Client | str | None, workers: int | None, *, dashboard: bool
            ) -> Iterator[Client | None]:
    """Yield the client to run on, or ``None`` to run in this process (``workers=0``).

    A :class:`distributed.Client` is used as given and left open. A scheduler address (or,
    when neither ``client`` nor ``workers`` is given, the ``ECON_SCHEDULER`` variable) is
    connected to for the run. Otherwise a LocalCluster of ``workers`` single-threaded
    processes (default: one per core) starts here and stops with the run.
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)
                                or workers < 0):
        raise ValueError(f"workers must be a non-negative integer (0: in this process), got "
                         f"{workers!r}")
    if client is not None and workers is not None:
        raise ValueError("pass either client= (an existing cluster) or workers= (the size "
                         "of an embedded one), not both")
    if workers == 0:
        yield None
        return
    if client is not None and not isinstance(client, str):
        yield client
        return
    address = client if client is not None else (
        None if workers is not None else os.environ.get(SCHEDULER_VARIABLE) or None)
    from distributed import Client, LocalCluster

    if address is not None:
        timeout = CONNECT_TIMEOUT
        try:
            remote = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as error:
            source = ("client=" if client is not None
                      else f"the {SCHEDULER_VARIABLE} environment variable")
            raise SchedulerUnreachable(
                f"cannot reach the Dask scheduler at {address!r} (from {source}) within "
                f"{timeout:g} s: {error}. Start one (dask scheduler; dask worker "
                f"{address}), correct the address, or leave it out to run on a local "
                f"cluster") from None
        try:
            yield remote
        finally:
            remote.close()
        return
    try:
        local = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                             processes=True, dashboard_address=":0" if dashboard else None,
                             silence_logs=logging.ERROR)
    except RuntimeError as error:
        # Worker processes are spawned and import the calling script again: a call at the
        # script's top level then runs once more in each worker, which cannot start processes.
        script = getattr(sys.modules.get("__main__"), "__file__", None)
        hint = (f" The workers import {script!r} again: put the econ.montecarlo or econ.power "
                f"call under `if __name__ == \"__main__\":`, or pass workers=0 to run in this "
                f"process." if script else "")
        raise RuntimeError(f"the local Dask cluster did not start ({error}).{hint}") from error
    try:
        embedded = Client(local)
        try:
            yield embedded
        finally:
            embedded.close()
    finally:
        local.close()


def dashboard_link(client: Client) -> str | None:
    """The dashboard's address, if the scheduler serves one."""
    services = client.scheduler_info().get("services", {})
    return client.dashboard_link if "dashboard" in services else None


def worker_count(client: Client | None) -> int:
    """Workers the scheduler knows of (0 in process)."""
    return 0 if client is None else len(client.scheduler_info().get("workers", {}))

"""A Dask client: to the scheduler the user names, or to a cluster of local processes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import ClusterError

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT_S = 10
INSTALL_HINT = "install it with: pip install 'kg[dask]'"


@contextmanager
def connect(scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """A client of the cluster at `scheduler`, or of `workers` local worker processes (one
    per CPU by default), closed on leaving; ClusterError when it cannot be had."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ClusterError(f"--engine dask needs Dask ({exc.name} is missing): "
                           f"{INSTALL_HINT}") from None
    # Dask logs every failed connection attempt; the one message the user needs is ours.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if scheduler is None:
        with LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                          processes=True, host="127.0.0.1", dashboard_address=None,
                          silence_logs=logging.ERROR) as cluster, \
                Client(cluster, set_as_default=False) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
            f"({_reason(exc)}): start one with `dask scheduler`, or leave out --scheduler to "
            "build on local processes") from None
    with client:
        _check_workers(client, scheduler)
        yield client


def _check_workers(client: Client, scheduler: str) -> None:
    """Workers must run this kg: another version could write other bytes."""
    if not client.scheduler_info(n_workers=-1).get("workers"):
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise ClusterError(f"the Dask scheduler at {scheduler} has no workers: start some "
                               f"with `dask worker {scheduler}`") from None
    versions = set(client.run(_kg_version).values())
    if versions != {__version__}:
        raise ClusterError(f"the workers run kg {', '.join(sorted(versions))}, this is kg "
                           f"{__version__}: install the same kg on every worker")


def _kg_version() -> str:
    from kg import __version__ as version

    return version


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:200]

"""A Dask client: to the scheduler the user names, or to a cluster of local processes."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import TYPE_CHECKING

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
    _check_address(scheduler)
    try:
        # A client that fails to connect hangs for 20 s when it is collected: ask first.
        asyncio.run(_handshake(scheduler))
    except Exception as exc:  # refused, timed out, or something else answered
        raise ClusterError(
            f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S} s "
            f"({_reason(exc)}): start one with `dask scheduler`, or leave out --scheduler to "
            "build on local processes") from None
    with Client(scheduler, timeout=CONNECT_TIMEOUT_S, set_as_default=False) as client:
        _check_workers(client, scheduler)
        yield client


async def _handshake(address: str) -> None:
    from distributed.comm import connect as open_comm

    comm = await open_comm(address, timeout=CONNECT_TIMEOUT_S)
    await comm.close()


def _check_address(scheduler: str) -> None:
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import get_backend

    try:
        scheme, location = parse_address(scheduler)
        get_backend(scheme)
        if scheme in ("tcp", "tls", "ws", "wss"):
            parse_host_port(location, 8786)
    except ValueError:
        raise ClusterError(f"{scheduler!r} is not a Dask scheduler address: give one such as "
                           "tcp://10.0.0.5:8786") from None


def _check_workers(client: Client, scheduler: str) -> None:
    """Workers must run this kg: another version could write other bytes."""
    if not client.scheduler_info(n_workers=-1).get("workers"):
        try:
            client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
        except TimeoutError:
            raise ClusterError(f"the Dask scheduler at {scheduler} has no workers: start some "
                               f"with `dask worker {scheduler}`") from None
    versions = set(client.run(_kg_version).values())
    if versions != {_kg_version()}:
        raise ClusterError(f"the workers run kg {', '.join(sorted(versions))}, this is kg "
                           f"{_kg_version()}: install the same kg on every worker")


def _kg_version() -> str:
    return metadata.version("kg")


def _reason(exc: BaseException) -> str:
    if not isinstance(exc, OSError | TimeoutError):
        return "something answered there, but not a Dask scheduler"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:200]

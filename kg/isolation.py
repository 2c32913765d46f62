"""Process isolation for the build: a forked child whose memory goes back to the system when
it ends, worker processes that end with their parent, and the cyclic collector paused.

CPython keeps the memory of millions of small freed objects for itself, so a process that held
a large graph stays at that size however the graph is let go; a child process gives it all back
when it ends. The child sends its progress, the moments the parent can act on (`announce`) and
its answer through a pipe, then ends without freeing anything one object at a time.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from .errors import BuildProcessError

T = TypeVar("T")
Progress = Callable[[int, int], None]


def call_in_child(fn: Callable[..., T], *args: Any, progress: Progress | None = None,
                  on: Mapping[str, Callable[..., None]] | None = None) -> T:
    """`fn(*args, progress=..., announce=..., keep=...)` run in a forked child; its exception is
    raised here. `announce(name, *values)` in the child calls `on[name](*values)` here while the
    child goes on; `keep(obj)` leaves `obj` to the end of the child instead of freeing it."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, os.getpid(), fn, args),
                            name="kg-build")
    child.start()
    sender.close()
    try:
        while True:
            try:
                kind, *payload = receiver.recv()
            except EOFError:
                child.join()
                raise BuildProcessError(
                    f"the build process ended with exit code {child.exitcode} before it "
                    "finished; if the machine ran out of memory, try fewer --workers") from None
            if kind == "progress":
                if progress:
                    progress(*payload)
            elif kind == "announce":
                if on and payload[0] in on:
                    on[payload[0]](*payload[1:])
            elif kind == "error":
                raise payload[0]
            else:
                return payload[0]
    finally:
        receiver.close()
        child.join()


def _child_main(sender: Connection, parent: int, fn: Callable[..., Any],
                args: tuple[Any, ...]) -> None:
    exit_with_parent(parent)
    kept: list[object] = []

    def progress(done: int, total: int) -> None:
        sender.send(("progress", done, total))

    def announce(name: str, *values: Any) -> None:
        sender.send(("announce", name, *values))

    code = 0
    try:
        sender.send(("result", fn(*args, progress=progress, announce=announce,
                                  keep=kept.append)))
    except BaseException as exc:  # every failure goes to the parent to raise
        code = 1
        try:
            sender.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            sender.send(("error", BuildProcessError(f"{exc.__class__.__name__}: {exc}")))
    finally:
        sender.close()
    # Freeing a graph of 100,000 articles object by object takes seconds the parent would wait.
    os._exit(code)


def exit_with_parent(parent: int) -> None:
    """Make a worker end when the build that started it is killed.

    Workers wait on a pipe that every worker also holds open, so a killed parent (SIGKILL,
    the OOM killer) would otherwise leave them waiting for ever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="kg-parent-watch").start()


@contextmanager
def no_gc_passes() -> Iterator[None]:
    """Turn off the cyclic garbage collector while millions of objects are made.

    A build makes almost no reference cycles (its records, claims and nodes are freed by
    reference counting), yet each collector pass rescans every object made since the last one.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()

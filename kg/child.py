"""Running a memory-hungry step in a forked child process.

CPython keeps the memory of millions of small freed objects for itself, so a build that held
a 1.8 GB graph stays at that size however the graph is let go. A child process gives it all
back to the system when it ends; the child sends its progress, the moments the parent can act
on (`announce`) and its answer through a pipe.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from .errors import BuildProcessError
from .reading import Progress, exit_with_parent

T = TypeVar("T")


def call_in_child(fn: Callable[..., T], *args: Any, progress: Progress | None = None,
                  on: Mapping[str, Callable[..., None]] | None = None) -> T:
    """`fn(*args, progress=..., announce=...)` run in a forked child; its exception is raised
    here. `announce(name, *values)` in the child calls `on[name](*values)` here while the
    child goes on."""
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

    def progress(done: int, total: int) -> None:
        sender.send(("progress", done, total))

    def announce(name: str, *values: Any) -> None:
        sender.send(("announce", name, *values))

    try:
        sender.send(("result", fn(*args, progress=progress, announce=announce)))
    except BaseException as exc:  # every failure goes to the parent to raise
        try:
            sender.send(("error", exc))
        except Exception:  # an exception that cannot be pickled
            sender.send(("error", BuildProcessError(f"{exc.__class__.__name__}: {exc}")))
    finally:
        sender.close()

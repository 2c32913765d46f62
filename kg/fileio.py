"""Atomic file replacement: an interrupted write never leaves a half-written output."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `target`; on success it replaces `target` in one rename."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def write_text(target: str | os.PathLike, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def content_hash(data: bytes) -> str:
    """The hash that identifies a file's content in the read cache."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def copy_range(source: BinaryIO, target: BinaryIO, start: int, count: int) -> None:
    """Copy `count` bytes of `source` from `start` to the end of `target`: in the kernel
    where the system and file system can. EOFError when `source` ends first."""
    kernel = hasattr(os, "copy_file_range")
    while count > 0:
        copied = 0
        if kernel:
            try:
                copied = os.copy_file_range(source.fileno(), target.fileno(), count, start)
            except OSError:  # not on this file system: copy through Python instead
                kernel = False
        if not kernel:
            source.seek(start)
            copied = target.write(source.read(min(count, 1 << 24)))
        if copied == 0:
            raise EOFError(f"{source.name} ends before byte {start + count}")
        start += copied
        count -= copied

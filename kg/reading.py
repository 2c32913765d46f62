"""Reading every input file: from the read cache where a file is unchanged, the rest parsed,
in worker processes when there are many. The results come back in file order whatever the
number of workers, so the build's output does not depend on it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from . import cache as read_cache
from .cache import Entry, Signature, Stats, code_fingerprint, stat_all
from .fileio import content_hash
from .gc_pause import no_gc_passes
from .model import SourceResult
from .sources import InputFile, ReadOptions, read_file

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Reads:
    """What reading a build's files gave, in file order."""

    results: list[SourceResult]
    cached: int  # how many came from the read cache
    digests: list[str | None]  # each file's content hash; None: too large or unreadable
    # The cache's entry from before for each file parsed afresh, where it had one.
    earlier: dict[int, Entry]


def read_all(files: list[InputFile], read: ReadOptions, workers: int | None = None,
             cache_dir: Path | None = None, progress: Progress | None = None,
             stats: Stats | None = None) -> Reads:
    """Every file's records and problems, in file order: a file whose content is unchanged is
    not parsed again, the rest are (in worker processes when there are many). `stats`, the
    files' stats when the caller took them already."""
    results: list[SourceResult | None] = [None] * len(files)
    fingerprint = f"{code_fingerprint()} {read!r}"
    cache = read_cache.load(cache_dir, fingerprint) if cache_dir else None
    digests: dict[int, str] = {}
    if cache is not None:
        stats = stats or stat_all([item.path for item in files])
        if cache.entries:  # an empty cache: the readers hash what they read
            _take_from_cache(cache, files, stats.signatures, read, results, digests)
    todo = [i for i, held in enumerate(results) if held is None]
    done = len(files) - len(todo)
    earlier: dict[int, Entry] = {}
    if cache is not None:
        earlier = {i: cache.entries[key] for i in todo
                   if (key := cache_key(files[i])) in cache.entries}
    for i, result in zip(todo, read_many([files[i] for i in todo], read, workers,
                                         _offset(progress, done, len(files))),
                         strict=True):
        results[i] = result
        if result.digest is None:  # unreadable or too large: not worth remembering
            digests.pop(i, None)
        else:  # the hash of the bytes actually parsed
            digests[i] = result.digest
    if cache is not None:
        vouched = stats.trusted()
        read_cache.save(cache_dir, fingerprint,
                        {cache_key(files[i]): (d, vouched[i], results[i])
                         for i, d in digests.items()}, cache)
    return Reads(results, done,  # type: ignore[arg-type]
                 [digests.get(i) for i in range(len(files))], earlier)


def _take_from_cache(cache: read_cache.ReadCache, files: list[InputFile],
                     stats: list[Signature | None], read: ReadOptions,
                     results: list[SourceResult | None], digests: dict[int, str]) -> None:
    """Fill in what unchanged files gave last time: known by their trusted stat, else by
    their content hash."""
    for i, item in enumerate(files):
        key = cache_key(item)
        held = cache.unchanged(key, stats[i])
        if held is not None:
            digests[i], results[i] = held[0], held[2]
            continue
        digest = _digest(item, read)
        if digest is not None:
            digests[i] = digest
            results[i] = cache.get(key, digest)


def _digest(item: InputFile, read: ReadOptions) -> str | None:
    """The content hash of a file, or None when it cannot or should not be cached."""
    try:
        if item.path.stat().st_size > read.max_file_bytes:
            return None
        return content_hash(item.path.read_bytes())
    except OSError:
        return None


def cache_key(item: InputFile) -> str:
    # The relative path goes into every record; the full path tells apart two roots' "a.md".
    return f"{item.relpath}\n{item.path}"


def _offset(progress: Progress | None, done: int, total: int) -> Progress | None:
    if progress is None:
        return None
    progress(done, total)
    return lambda n, _total: progress(done + n, total)


PARALLEL_MIN_FILES = 400  # below this, starting processes costs more than it saves
CHUNK_FILES = 100


def read_many(files: list[InputFile], read: ReadOptions, workers: int | None = None,
              progress: Progress | None = None) -> Iterator[SourceResult]:
    """Read files in order; with several workers, in chunks across processes."""
    if workers is None:
        workers = min(os.cpu_count() or 1, len(files) // PARALLEL_MIN_FILES)
    if workers <= 1:
        for done, item in enumerate(files, 1):
            yield read_file(item, read)
            if progress:
                progress(done, len(files))
        return
    chunks = [files[i:i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
    done = 0
    with ProcessPoolExecutor(max_workers=workers, initializer=exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        for chunk_results in pool.map(_read_chunk, chunks, [read] * len(chunks)):
            yield from chunk_results
            done += len(chunk_results)
            if progress:
                progress(done, len(files))


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


def _read_chunk(files: list[InputFile], read: ReadOptions) -> list[SourceResult]:
    with no_gc_passes():
        return [read_file(item, read) for item in files]

"""Reading input files, in worker processes when there are many. The results come back in file
order whatever the number of workers, so the build's output does not depend on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor

from .isolation import exit_with_parent, no_gc_passes
from .model import SourceResult
from .sources import InputFile, ReadOptions, read_file

Progress = Callable[[int, int], None]
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


def _read_chunk(files: list[InputFile], read: ReadOptions) -> list[SourceResult]:
    with no_gc_passes():
        return [read_file(item, read) for item in files]

"""The read cache: what each input file gave last time, so that only changed files are parsed.

A file whose trusted stat is as recorded is not even hashed again (see state.RACY_NS); any
other is hashed, and parsed only when its content hash differs. Entries are kept only for the
files of the current build, so deleted files drop out with their facts. Each file's result is
held pickled on its own, so that saving the cache after a few files changed pickles only
theirs and copies the others' bytes.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

from ..fileio import content_hash
from ..model import SourceResult
from ..reading import Progress, read_many
from ..sources import InputFile, ReadOptions
from .state import Signature, Stats, Unsealed, seal, unseal

READS_FILE = "reads"
# content hash, trusted stat, the result pickled
Entry = tuple[str, "Signature | None", bytes]


@dataclass(frozen=True, slots=True)
class ReadCache:
    """file key -> Entry, valid for one fingerprint (kg's code and the read options)."""

    fingerprint: str
    entries: dict[str, Entry] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reads:
    """What reading a build's files gave, in file order."""

    results: list[SourceResult]
    digests: list[str | None]  # each file's content hash; None: too large or unreadable
    cached: int  # how many came from the cache
    earlier: dict[int, tuple[str, SourceResult]]  # old hash and result of files parsed afresh


def cache_key(item: InputFile) -> str:
    # The relative path goes into every record; the full path tells apart two roots' "a.md".
    return f"{item.relpath}\n{item.path}"


def load(folder: Path, fingerprint: str) -> tuple[ReadCache, str | None]:
    """The cache in `folder` (empty when missing or for other code), and a notice when what
    was there could not be used."""
    try:
        held = unseal(folder / READS_FILE)
    except Unsealed as exc:
        return ReadCache(fingerprint), str(exc)
    if not isinstance(held, ReadCache) or held.fingerprint != fingerprint:
        return ReadCache(fingerprint), None
    return held, None


def read_all(files: list[InputFile], read: ReadOptions, workers: int | None,
             progress: Progress | None, cache: ReadCache | None, stats: Stats | None,
             folder: Path | None) -> Reads:
    """Every file's records and problems, in file order: with a `cache`, unchanged files come
    from it and the cache is saved into `folder` for the next build."""
    results: list[SourceResult | None] = [None] * len(files)
    pickled: dict[int, bytes] = {}
    digests: dict[int, str] = {}
    trusted = stats.trusted() if stats is not None else [None] * len(files)
    if cache is not None and cache.entries:  # an empty cache: the readers hash what they read
        for i, item in enumerate(files):
            held = cache.entries.get(cache_key(item))
            if held is not None and trusted[i] is not None and held[1] == trusted[i]:
                digests[i], pickled[i] = held[0], held[2]
                continue
            digest = _digest(item, read)
            if digest is not None:
                digests[i] = digest
                if held is not None and held[0] == digest:
                    pickled[i] = held[2]
        for i, data in pickled.items():
            results[i] = pickle.loads(data)  # sealed: written by kg with this user's key
    todo = [i for i, held in enumerate(results) if held is None]
    earlier = {} if cache is None else {
        i: (held[0], pickle.loads(held[2])) for i in todo
        if (held := cache.entries.get(cache_key(files[i]))) is not None}
    done = len(files) - len(todo)
    if progress is not None and done:
        progress(done, len(files))
    shifted = None if progress is None else (lambda n, _total: progress(done + n, len(files)))
    for i, result in zip(todo, read_many([files[i] for i in todo], read, workers, shifted),
                         strict=True):
        results[i] = result
        if result.digest is None:  # unreadable or too large: not worth remembering
            digests.pop(i, None)
        else:  # the hash of the bytes actually parsed
            digests[i] = result.digest
    if cache is not None and folder is not None:
        seal(folder / READS_FILE, ReadCache(cache.fingerprint, {
            cache_key(files[i]): (d, trusted[i], pickled.get(i) or pickle.dumps(
                results[i], protocol=pickle.HIGHEST_PROTOCOL)) for i, d in digests.items()}))
    return Reads(results, [digests.get(i) for i in range(len(files))],  # type: ignore[arg-type]
                 done, earlier)


def _digest(item: InputFile, read: ReadOptions) -> str | None:
    """The content hash of a file, or None when it cannot or should not be cached."""
    try:
        if item.path.stat().st_size > read.max_file_bytes:
            return None
        return content_hash(item.path.read_bytes())
    except OSError:
        return None

"""The read cache: what each input file gave last time, keyed by the file's content hash.

A rebuild after one file changed parses only that file; every other file's records and problems
come back from here. The cache is one pickle in the output folder, valid only for the same kg
code and read limits (its fingerprint); a different fingerprint or an unreadable cache is simply
ignored, so a stale cache can cost time but never change a result. Entries are kept only for
the files of the current build, so deleted files drop out with their facts.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .fileio import atomic_path
from .model import SourceResult

CACHE_DIR = ".kg-cache"
CACHE_FILE = "reads.pickle"


@cache
def code_fingerprint() -> str:
    """A hash of kg's own code and data files: any change to the readers voids the cache."""
    package = Path(__file__).parent
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*")):
        if path.suffix in {".py", ".yaml", ".ttl"} and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class ReadCache:
    """file key -> (content hash, what reading it gave), for one fingerprint."""

    fingerprint: str
    entries: dict[str, tuple[str, SourceResult]] = field(default_factory=dict)

    def get(self, key: str, digest: str) -> SourceResult | None:
        """What the file gave last time, if its content is the same now."""
        held = self.entries.get(key)
        return held[1] if held is not None and held[0] == digest else None


def load(folder: str | os.PathLike, fingerprint: str) -> ReadCache:
    """The cache in `folder`, or an empty one when missing, unreadable or from other code."""
    path = Path(folder) / CACHE_FILE
    try:
        with open(path, "rb") as handle:
            held = pickle.load(handle)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            TypeError, ValueError):
        return ReadCache(fingerprint)
    if not isinstance(held, ReadCache) or held.fingerprint != fingerprint:
        return ReadCache(fingerprint)
    return held


def save(folder: str | os.PathLike, fingerprint: str,
         entries: dict[str, tuple[str, SourceResult]]) -> None:
    """Replace the cache atomically with exactly these entries."""
    with atomic_path(Path(folder) / CACHE_FILE) as tmp, open(tmp, "wb") as handle:
        pickle.dump(ReadCache(fingerprint, entries), handle, protocol=pickle.HIGHEST_PROTOCOL)

"""The read cache: what each input file gave last time, keyed by the file's content hash.

A rebuild after one file changed parses only that file; every other file's records and problems
come back from here. A file whose stat (size, times, inode) is as recorded is not even hashed
again: hashing 20,000 files took 0.7 s of a 15 s rebuild. As git does with its index, a stat
is recorded only when the file's times were at least two seconds old when it was taken, so a
write in the same clock tick as the read cannot go unseen; other files are hashed next time.

The cache is a pickle in the output folder (plus one of the entries changed since, when they
are few), valid only for the same kg code and read limits (its fingerprint); a different
fingerprint or an unreadable cache is simply ignored, so a stale cache can cost time but never
change a result. Entries are kept only for the files of the current build, so deleted files
drop out with their facts.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .fileio import read_pickle, write_pickle
from .model import SourceResult

CACHE_DIR = ".kg-cache"
CACHE_FILE = "reads.pickle"
CHANGES_FILE = "reads-changes.pickle"
# Up to this share of entries changed, only they are written (to CHANGES_FILE).
MAX_CHANGED_SHARE = 0.05


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


# (size, mtime_ns, ctime_ns, inode): ctime changes on every write, even when mtime is put back.
Signature = tuple[int, int, int, int]
Entry = tuple[str, "Signature | None", SourceResult]  # content hash, trusted stat, the result
RACY_NS = 2_000_000_000


def signature(path: Path) -> Signature | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino


def trusted(sig: Signature | None, taken_ns: int) -> Signature | None:
    """`sig` if its file's times were old enough when it was taken to stand for the content."""
    if sig is None or max(sig[1], sig[2]) > taken_ns - RACY_NS:
        return None
    return sig


@dataclass(frozen=True, slots=True)
class Stats:
    """The stat of each of a build's input files, and when they were taken."""

    taken_ns: int
    signatures: list[Signature | None]

    def trusted(self) -> list[Signature | None]:
        return [trusted(sig, self.taken_ns) for sig in self.signatures]


def stat_all(paths: list[Path]) -> Stats:
    taken = time.time_ns()
    return Stats(taken, [signature(path) for path in paths])


@dataclass
class ReadCache:
    """file key -> (content hash, trusted stat, what reading it gave), for one fingerprint."""

    fingerprint: str
    entries: dict[str, Entry] = field(default_factory=dict)
    # The full write these entries start from, and the entries changed (None: gone) since.
    base: str = ""
    changes: dict[str, Entry | None] = field(default_factory=dict)

    def unchanged(self, key: str, sig: Signature | None) -> Entry | None:
        """The entry of a file whose stat is the trusted one recorded."""
        held = self.entries.get(key)
        return held if held is not None and sig is not None and held[1] == sig else None

    def get(self, key: str, digest: str) -> SourceResult | None:
        """What the file gave last time, if its content is the same now."""
        held = self.entries.get(key)
        return held[2] if held is not None and held[0] == digest else None


def load(folder: str | os.PathLike, fingerprint: str) -> ReadCache:
    """The cache in `folder`, or an empty one when missing, unreadable or from other code."""
    held = read_pickle(Path(folder) / CACHE_FILE)
    if not isinstance(held, ReadCache) or held.fingerprint != fingerprint or not held.base:
        return ReadCache(fingerprint)
    since = read_pickle(Path(folder) / CHANGES_FILE)
    if isinstance(since, ReadCache) and (since.fingerprint, since.base) == (fingerprint, held.base):
        for key, entry in since.changes.items():
            if entry is None:
                held.entries.pop(key, None)
            else:
                held.entries[key] = entry
        held.changes = since.changes
    return held


def save(folder: str | os.PathLike, fingerprint: str, entries: dict[str, Entry],
         previous: ReadCache | None = None) -> None:
    """Make the cache hold exactly these entries, each file replaced atomically.

    When few entries differ from `previous` (the cache as loaded), only they are written, to a
    second file beside the full one: rewriting all 100,000 entries after one edit took seconds.
    """
    folder = Path(folder)
    if previous is not None and previous.base and previous.fingerprint == fingerprint:
        changes = dict(previous.changes)
        for key, entry in entries.items():
            held = previous.entries.get(key)
            if held is None or held[:2] != entry[:2]:  # same hash and stat: same result
                changes[key] = entry
        changes.update(dict.fromkeys(previous.entries.keys() - entries.keys()))
        if len(changes) <= MAX_CHANGED_SHARE * len(entries):
            write_pickle(folder / CHANGES_FILE, ReadCache(fingerprint, base=previous.base,
                                                   changes=changes))
            return
    write_pickle(folder / CACHE_FILE, ReadCache(fingerprint, entries, secrets.token_hex(8)))
    (folder / CHANGES_FILE).unlink(missing_ok=True)

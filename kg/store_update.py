"""Bringing the embedded store up to date after a rebuild by replacing only what changed.

A full load costs about 100 s at 100,000 articles, while one edited file changes the lines of a
handful of subjects. Beside the store lies a digest of each subject's block of lines in
graph.nt and graph.nq as loaded; a rebuild digests the new files, and when few blocks differ,
one SPARQL update (a single transaction) deletes those subjects' triples and inserts their new
lines. Anything doubtful (no digests, too many changes) asks for a full load instead.
"""

from __future__ import annotations

import hashlib
import itertools
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .fileio import atomic_path

DIGESTS_FILE = "kg-subject-digests.pickle"
# Above this share of subjects changed, a full load is as quick and surely right.
MAX_CHANGED_SHARE = 0.02

BlockKey = tuple[int, str]  # (0 for graph.nt, 1 for graph.nq; the subject IRI)


@dataclass(frozen=True, slots=True)
class Change:
    """The subjects whose blocks differ from the store's, and the new lines of those that remain."""

    touched: set[BlockKey]
    new_blocks: dict[BlockKey, str]


def blocks(path: Path) -> Iterator[tuple[str, str]]:
    """(subject IRI, its lines) for each run of lines about one subject."""
    with open(path, encoding="utf-8") as lines:
        for subject, run in itertools.groupby(lines, key=lambda line: line[1:line.index(">")]):
            yield subject, "".join(run)


def plan(store_dir: Path, inputs: list[Path], pending: Path, in_place: bool) -> Change | None:
    """Digest the new lines into `pending` and, with `in_place`, find what differs from the
    store's digests: None when there are none to compare with or too many blocks differ.

    Run where memory is already spent (the build's child process): the digests of 700,000
    blocks take 250 MB, which beside Oxigraph's loader would lift the peak over 2 GB.
    """
    held = _load_digests(store_dir) if in_place else None
    limit = max(100, int(MAX_CHANGED_SHARE * len(held or ())))
    digests: dict[BlockKey, bytes] = {}
    new_blocks: dict[BlockKey, str] | None = {} if held is not None else None
    for i, path in enumerate(inputs):
        for subject, block in blocks(path):
            key = (i, subject)
            if key in digests:  # kg writes a subject's lines together; if not, reload in full
                new_blocks = None
            digest = digests[key] = _digest(block)
            if new_blocks is not None and held.get(key) != digest:
                new_blocks[key] = block
                if len(new_blocks) > limit:
                    new_blocks = None
    save_digests(pending, digests)
    if held is None or new_blocks is None:
        return None
    touched = set(new_blocks) | (held.keys() - digests.keys())
    return Change(touched, new_blocks) if len(touched) <= limit else None


def apply(store_dir: Path, change: Change) -> None:
    """Replace the touched subjects' triples in one transaction."""
    # Without digests a later build loads in full, so an update cut short leaves no trace.
    (store_dir / DIGESTS_FILE).unlink(missing_ok=True)
    if change.touched:
        store = ox.Store(str(store_dir))
        store.update(_update_text(change))
        del store  # closes the database


def install_digests(store_dir: Path, pending: Path) -> None:
    pending.replace(store_dir / DIGESTS_FILE)


def save_digests(target: Path, digests: dict[BlockKey, bytes]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_bytes(pickle.dumps(digests, protocol=pickle.HIGHEST_PROTOCOL))


def _update_text(change: Change) -> str:
    """One SPARQL update: delete every touched subject's triples, insert the new lines."""
    operations = []
    for kind, subject in sorted(change.touched):
        pattern = f"<{subject}> ?p ?o"
        operations.append(f"DELETE WHERE {{ {pattern} }}" if kind == 0
                          else f"DELETE WHERE {{ GRAPH ?g {{ {pattern} }} }}")
    inserts = []
    for (kind, _), block in sorted(change.new_blocks.items()):
        for line in block.splitlines():
            statement, graph, _dot = line.rsplit(" ", 2) if kind == 1 else (line[:-2], "", "")
            inserts.append(f"GRAPH {graph} {{ {statement} }}" if graph else f"{statement} .")
    if inserts:
        operations.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
    return " ;\n".join(operations)


def _load_digests(store_dir: Path) -> dict[BlockKey, bytes] | None:
    try:
        held = pickle.loads((store_dir / DIGESTS_FILE).read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        return None
    return held if isinstance(held, dict) else None


def _digest(block: str) -> bytes:
    return hashlib.blake2b(block.encode("utf-8"), digest_size=16).digest()


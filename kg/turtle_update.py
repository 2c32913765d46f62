"""graph.ttl after a rebuild: patched the way graph.nt was, or made from it in full.

Oxigraph writes a subject's Turtle from its N-Triples lines alone, starting on a line of its
own (statements go on after a tab; literals keep their line breaks escaped), so the Turtle
file is one block per subject in graph.nt's order after the @prefix lines. Its layout (each
block's length) is found once after a full write. When graph.nt was patched (see
lines_update.Patch), the unchanged subjects' Turtle is copied in the same runs and only the
new blocks are written, each by Oxigraph from its N-Triples lines: at 100,000 articles that is
a second or two against about 10 s for the whole file.
"""

from __future__ import annotations

import mmap
import re
from array import array
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

import pyoxigraph as ox

from .fileio import atomic_path, copy_range, read_pickle, write_pickle
from .lines_update import FileStat, LinesMade, file_stat
from .rdf import turtle_from_ntriples
from .store import TRIPLES_FILE
from .vocab import prefixes

STATE_FILE = "turtle-state.pickle"  # in the cache folder
TURTLE_FILE = "graph.ttl"
_BLOCK_START = re.compile(rb"\n(?!\t)")


@dataclass(frozen=True, slots=True)
class TurtleState:
    """graph.ttl's layout: its @prefix lines' length and each subject block's, in order; the
    stat of the graph.nt it was made from and its own."""

    made_from: FileStat
    header: int
    lengths: array
    turtle: FileStat


class _Misfit(Exception):
    """The old Turtle does not fit the patch."""


def write(out: Path, schema: str, folder: Path | None, made: LinesMade | None) -> Path:
    """graph.ttl for the lines in `out`: patched when `made` says how graph.nt was and the
    cache `folder` holds the old Turtle's layout, else made in full."""
    nt, ttl = out / TRIPLES_FILE, out / TURTLE_FILE
    state = _held(folder, ttl) if folder is not None else None
    if folder is not None:
        (folder / STATE_FILE).unlink(missing_ok=True)
    layout = None
    if state is not None and made is not None and made.base == state.made_from:
        try:
            layout = _patch(nt, ttl, schema, state, made)
        except (_Misfit, EOFError):
            layout = None
    if layout is None:
        turtle_from_ntriples(nt, ttl, schema)
        layout = _layout(ttl)
    if folder is not None and made is not None and len(layout[1]) == made.subjects:
        write_pickle(folder / STATE_FILE,
                     TurtleState(file_stat(nt), *layout, file_stat(ttl)))
    return ttl


def _held(folder: Path, ttl: Path) -> TurtleState | None:
    state = read_pickle(folder / STATE_FILE)
    if not isinstance(state, TurtleState) or state.turtle != file_stat(ttl):
        return None
    return state


def _layout(ttl: Path) -> tuple[int, array]:
    """The length of the @prefix lines and of each subject's block."""
    size = ttl.stat().st_size
    if size == 0:
        return 0, array("q")
    with open(ttl, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        header = _header_length(data)
        starts = [header, *(m.end() for m in _BLOCK_START.finditer(data, header)
                            if m.end() < size)]
    ends = [*starts[1:], size]
    return header, array("q", (end - start for start, end in zip(starts, ends, strict=True)))


def _header_length(data: bytes | mmap.mmap) -> int:
    at = 0
    while data[at:at + 8] == b"@prefix ":
        at = data.find(b"\n", at) + 1
    return at


def _patch(nt: Path, ttl: Path, schema: str, state: TurtleState,
           made: LinesMade) -> tuple[int, array]:
    starts = array("q", accumulate(state.lengths, initial=state.header))
    lengths = array("q")
    with atomic_path(ttl) as tmp, open(ttl, "rb") as old, open(nt, "rb") as lines, \
            open(tmp, "wb") as new:
        copy_range(old, new, 0, state.header)
        for copied, first, end in made.pieces:
            if copied:  # old subjects first..end
                if end > len(state.lengths):
                    raise _Misfit(f"subject {end} of {len(state.lengths)}")
                new.flush()
                copy_range(old, new, starts[first], starts[end] - starts[first])
                lengths.extend(state.lengths[first:end])
            else:  # a new block: `end` bytes of graph.nt from `first`
                lines.seek(first)
                block = _turtle(lines.read(end), schema)
                new.write(block)
                lengths.append(len(block))
        if len(lengths) != made.subjects:
            raise _Misfit(f"{len(lengths)} subjects, not {made.subjects}")
    return state.header, lengths


def _turtle(ntriples: bytes, schema: str) -> bytes:
    """One subject's Turtle block, without the @prefix lines."""
    text = ox.serialize(ox.parse(ntriples, ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                        prefixes=prefixes(schema))
    return text[_header_length(text):]

"""graph.ttl after a rebuild: patched the way graph.nt was, or made from it in full.

Oxigraph writes a subject's Turtle from its N-Triples lines alone, starting on a line of its
own (statements go on after a tab; literals keep their line breaks escaped), so the Turtle
file is one block per subject in graph.nt's order after the @prefix lines. Its layout (each
block's length) is found once after a full write. When graph.nt was patched, the unchanged
subjects' Turtle is copied in the same runs and only the new blocks are written, each by
Oxigraph from its N-Triples lines.
"""

from __future__ import annotations

import mmap
import re
from array import array
from itertools import accumulate
from pathlib import Path

import pyoxigraph as ox

from ..fileio import atomic_path, copy_range
from ..options import TRIPLES_FILE, TURTLE_FILE
from ..rdf import turtle_from_ntriples, turtle_header_length
from ..vocab import prefixes
from .lines import Lines

TurtleLayout = tuple[int, array]  # the @prefix lines' length, each subject block's length
_BLOCK_START = re.compile(rb"\n(?!\t)")


class _Misfit(Exception):
    """The old Turtle does not fit the patch."""


def write(out: Path, schema: str, lines: Lines, old: TurtleLayout | None
          ) -> TurtleLayout | None:
    """graph.ttl for the lines in `out`, patched when they were and the `old` layout of the
    Turtle there is known, else made in full; its layout, None when its blocks are not one
    per subject (it is then never patched)."""
    nt, ttl = out / TRIPLES_FILE, out / TURTLE_FILE
    if old is not None and lines.pieces is not None:
        try:
            return _patch(nt, ttl, schema, old, lines)
        except (_Misfit, EOFError):
            pass
    turtle_from_ntriples(nt, ttl, schema)
    layout = _layout(ttl)
    return layout if len(layout[1]) == len(lines.layout) else None


def _layout(ttl: Path) -> TurtleLayout:
    size = ttl.stat().st_size
    if size == 0:
        return 0, array("q")
    with open(ttl, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        header = turtle_header_length(data)
        starts = [header, *(m.end() for m in _BLOCK_START.finditer(data, header)
                            if m.end() < size)]
    ends = [*starts[1:], size]
    return header, array("q", (end - start for start, end in zip(starts, ends, strict=True)))


def _patch(nt: Path, ttl: Path, schema: str, old: TurtleLayout, lines: Lines) -> TurtleLayout:
    header, old_lengths = old
    starts = array("q", accumulate(old_lengths, initial=header))
    lengths = array("q")
    with atomic_path(ttl) as tmp, open(ttl, "rb") as source, open(nt, "rb") as triples, \
            open(tmp, "wb") as new:
        copy_range(source, new, 0, header)
        for copied, first, end in lines.pieces or ():
            if copied:  # old subjects first..end
                if end > len(old_lengths):
                    raise _Misfit(f"subject {end} of {len(old_lengths)}")
                new.flush()
                copy_range(source, new, starts[first], starts[end] - starts[first])
                lengths.extend(old_lengths[first:end])
            else:  # a new block: `end` bytes of graph.nt from `first`
                triples.seek(first)
                block = _turtle(triples.read(end), schema)
                new.write(block)
                lengths.append(len(block))
        if len(lengths) != len(lines.layout):
            raise _Misfit(f"{len(lengths)} subjects, not {len(lines.layout)}")
    return header, lengths


def _turtle(ntriples: bytes, schema: str) -> bytes:
    """One subject's Turtle block, without the @prefix lines."""
    text = ox.serialize(ox.parse(ntriples, ox.RdfFormat.N_TRIPLES), format=ox.RdfFormat.TURTLE,
                        prefixes=prefixes(schema))
    return text[turtle_header_length(text):]

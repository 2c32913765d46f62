"""graph.nt and graph.nq after a rebuild: only the subjects the changed files reach are made
again; every other subject's block of lines is copied from the previous build's files.

Those subjects are known before anything is written: merged alone against the build's
identities, the changed files' old and new records make exactly the nodes and edges they take
part in (`extract.subjects_reached`). The other subjects' blocks are found through the previous
build's `Layout` (each subject's order key and block lengths) and copied in runs, so the new
files are byte for byte what writing them in full gives.

This needs the changed files to keep their articles' identities (the URLs other files' related
links resolve through), no file added or removed and no taxonomy file changed; otherwise the
lines are written in full.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

from ..extract import ExtractContext, Reach, subjects_reached
from ..fileio import atomic_path, copy_range
from ..graph import KnowledgeGraph, NodeKind
from ..identity import IriMinter
from ..model import ArticleRecord, Record
from ..options import QUADS_FILE, TRIPLES_FILE
from ..rdf import NODE, SCHEME, SOURCE, WRITE_BUFFER, TripleWriter, write_lines
from ..sources import InputFile
from .reads import Reads, cache_key

# Above this share of input files changed, the lines are written in full.
MAX_CHANGED_SHARE = 0.05


class Layout:
    """For each subject in file order: its order key (see rdf.TripleWriter.blocks) and the
    length of its blocks in graph.nt and graph.nq; and how many subjects there are of each
    rank (nodes, the topic scheme, source files)."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.lengths = (array("q"), array("q"))
        self.ranks = [0, 0, 0]

    def add(self, _subject: str, rank: int, key: str, nt_block: bytes, nq_block: bytes) -> None:
        """rdf.write_lines's `on_block`."""
        self.keys.append(key)
        self.lengths[0].append(len(nt_block))
        self.lengths[1].append(len(nq_block))
        self.ranks[rank] += 1

    def extend(self, other: Layout, first: int, end: int) -> None:
        """Subjects `first` to `end` of `other`."""
        self.keys.extend(other.keys[first:end])
        for mine, theirs in zip(self.lengths, other.lengths, strict=True):
            mine.extend(theirs[first:end])
        for rank, (start, stop) in enumerate(other.segments()):
            self.ranks[rank] += max(0, min(end, stop) - max(first, start))

    def segments(self) -> list[tuple[int, int]]:
        """Where the subjects of each rank are: (first, end)."""
        ends = list(accumulate(self.ranks))
        return [(end - count, end) for end, count in zip(ends, self.ranks, strict=True)]

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True, slots=True)
class Lines:
    """How graph.nt and graph.nq were just made: their layout; when patched, `pieces` in order,
    (True, first, end) for old subjects first..end copied, (False, offset, length) for a block
    written afresh, where it is in the new graph.nt (graph.ttl is patched alike); the `delta`
    for a store that holds the old lines; and the inputs they were made from."""

    layout: Layout
    pieces: tuple[tuple[bool, int, int], ...] | None = None
    delta: Delta | None = None
    inputs: dict[str, str] = field(default_factory=dict)  # content hash by file key
    # The subjects whose lines stories shape (story nodes, their members): any rebuild that
    # changes an article makes them again, since a changed article can regroup others.
    stories: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Delta:
    """Subjects whose lines changed, and the new lines of those that remain."""

    subjects: set[str] = field(default_factory=set)
    triples: list[bytes] = field(default_factory=list)
    quads: list[bytes] = field(default_factory=list)


def write_in_full(graph: KnowledgeGraph, out: Path, schema: str) -> Lines:
    layout = Layout()
    write_lines(graph, out / TRIPLES_FILE, out / QUADS_FILE, schema, layout.add)
    return Lines(layout)


def reached_since(since: dict[str, str], files: list[InputFile], reads: Reads,
                  ctx: ExtractContext, minter: IriMinter) -> Reach | None:
    """The subjects whose lines can differ from those made from `since` (content hashes by
    file key), now that `files` read as `reads`, merged with `ctx`. None when that cannot be
    told safely."""
    inputs = {cache_key(item): digest for item, digest in zip(files, reads.digests, strict=True)
              if digest}
    if inputs.keys() != since.keys():  # a file added, removed or no longer readable
        return None
    old: list[ArticleRecord] = []
    new: list[ArticleRecord] = []
    changed = 0
    for i, item in enumerate(files):
        key = cache_key(item)
        if inputs[key] == since[key]:
            continue
        changed += 1
        before = reads.earlier.get(i)  # what the cache held: the records behind `since`?
        if before is None or before[0] != since[key] or changed > MAX_CHANGED_SHARE * len(inputs):
            return None
        records = reads.results[i].records
        identities = _identities(before[1].records)
        if identities is None or identities != _identities(records):
            return None
        old.extend(before[1].records)  # type: ignore[arg-type]  # only articles: _identities
        new.extend(records)  # type: ignore[arg-type]
    return subjects_reached(old, ctx, minter) | subjects_reached(new, ctx, minter)


def _identities(records: list[Record]) -> list[tuple] | None:
    """What an input's records give the identity of articles (ExtractContext.register);
    None when it holds taxonomy records, which shape identities of their own."""
    if not all(isinstance(record, ArticleRecord) for record in records):
        return None
    return [(r.source, r.path_identity, r.urls, r.is_related_entry)  # type: ignore[union-attr]
            for r in records]


def patch(graph: KnowledgeGraph, out: Path, schema: str, reach: Reach, layout: Layout
          ) -> Lines | None:
    """graph.nt and graph.nq for `graph`: the `reach`ed subjects' lines made afresh, the rest
    copied from the files `layout` describes. None when those files turn out not to fit
    (nothing is replaced then)."""
    writer = TripleWriter(graph, schema)
    segments = layout.segments()
    changes = []  # (where in the old files, whether the subject is there, subject, new block)
    for rank, key, subject in sorted(_order_keys(reach, writer)):
        first, end = segments[rank]
        at = bisect_left(layout.keys, key, first, end)
        changes.append((at, at < end and layout.keys[at] == key, subject, rank, key,
                        writer.block(rank, key)))
    if not _tiles(graph, writer, layout, changes):
        return None
    paths = [out / TRIPLES_FILE, out / QUADS_FILE]
    try:
        with ExitStack() as stack:
            olds = [stack.enter_context(open(path, "rb")) for path in paths]
            news = [stack.enter_context(open(stack.enter_context(atomic_path(path)), "wb",
                                             buffering=WRITE_BUFFER)) for path in paths]
            copier = _Copier(layout, olds, news)
            done = 0
            for at, there, subject, rank, key, block in changes:
                lines = writer.encoded(block) if block is not None else None
                if there and lines is not None and copier.holds(at, *lines):
                    continue  # reached, but its lines are as they were: copied with the run
                copier.copy(done, at)
                done = at + there
                copier.delta.subjects.add(subject)
                if lines is not None:
                    copier.write(subject, rank, key, *lines)
            copier.copy(done, len(layout))
    except EOFError:  # an old file shorter than its layout says
        return None
    return Lines(copier.layout, tuple(copier.pieces), copier.delta)


def _order_keys(reach: Reach, writer: TripleWriter) -> Iterable[tuple[int, str, str]]:
    """(rank, order key, subject IRI) of each subject reached (see rdf.TripleWriter.blocks)."""
    for iri in reach.nodes:
        yield NODE, iri, iri
    if reach.scheme:
        yield SCHEME, "", writer.scheme[1:-1]
    for source in reach.sources:
        yield SOURCE, source, writer.source_node(source)[1:-1]


def _tiles(graph: KnowledgeGraph, writer: TripleWriter, layout: Layout,
           changes: list[tuple]) -> bool:
    """Whether the old subjects and the new ones differ by the reached subjects only, in
    number: a subject lost or gained elsewhere means the old files do not fit this graph."""
    before = sum(there for _at, there, *_ in changes)
    after = sum(change[-1] is not None for change in changes)
    subjects = len(graph.nodes) + bool(graph.nodes_of(NodeKind.TOPIC)) + len(writer.present)
    return subjects == len(layout) - before + after


class _Copier:
    """New line files made of runs of subjects copied from the old ones and blocks written
    afresh; `layout`, the new layout."""

    def __init__(self, old: Layout, olds: list[BinaryIO], news: list[BinaryIO]) -> None:
        self.old, self.olds, self.news = old, olds, news
        # Where each old subject's bytes start in each old file (and the end of the last).
        self.starts = [array("q", accumulate(lengths, initial=0)) for lengths in old.lengths]
        self.layout = Layout()
        self.pieces: list[tuple[bool, int, int]] = []
        self.nt_end = 0
        self.delta = Delta()

    def holds(self, at: int, nt_block: bytes, nq_block: bytes) -> bool:
        """Whether old subject `at` has exactly these lines (a topic an edited file names, say,
        often does: the store need not replace it)."""
        for source, starts, block in zip(self.olds, self.starts, (nt_block, nq_block),
                                         strict=True):
            if starts[at + 1] - starts[at] != len(block):
                return False
            source.seek(starts[at])
            if source.read(len(block)) != block:
                return False
        return True

    def copy(self, first: int, end: int) -> None:
        """Subjects `first` to `end` of the old files."""
        if end <= first:
            return
        for source, target, starts in zip(self.olds, self.news, self.starts, strict=True):
            target.flush()  # the copy goes through the file descriptor, after what is written
            copy_range(source, target, starts[first], starts[end] - starts[first])
        self.layout.extend(self.old, first, end)
        self.pieces.append((True, first, end))
        self.nt_end += self.starts[0][end] - self.starts[0][first]

    def write(self, subject: str, rank: int, key: str, nt_block: bytes, nq_block: bytes
              ) -> None:
        self.pieces.append((False, self.nt_end, len(nt_block)))
        self.delta.triples.append(nt_block)
        self.delta.quads.append(nq_block)
        self.nt_end += len(nt_block)
        self.news[0].write(nt_block)
        self.news[1].write(nq_block)
        self.layout.add(subject, rank, key, nt_block, nq_block)

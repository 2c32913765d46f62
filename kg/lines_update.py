"""Rewriting graph.nt and graph.nq after a rebuild by copying what did not change.

At 100,000 articles writing the lines takes about 30 s, while one edited file changes the
statements of a handful of subjects. Those subjects are known before anything is written:
merged alone against the build's identities, the changed files' old and new records make
exactly the nodes and edges they take part in (`extract.subjects_reached`). Every other
subject's blocks of lines, and their entries in the block index, are copied from the last
build's files in runs, found through its layout (store_update.Layout: each subject's order
key and block lengths), so the new files are byte for byte what writing them in full gives,
and the work grows with what changed, not with the graph.

This needs the lines on disk to be the ones the recorded state describes, made by the same
code and options from known input contents, and the changed files to keep their articles'
identities (the URLs that other files' related links resolve through); no file added or
removed, no taxonomy file changed. Anything else, and the lines are written in full.
"""

from __future__ import annotations

import os
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import BinaryIO

from .extract import ExtractContext, Reach, subjects_reached
from .fileio import atomic_path, copy_range, read_pickle, write_pickle
from .graph import KnowledgeGraph, NodeKind
from .identity import IriMinter
from .model import ArticleRecord, Record
from .rdf import NODE, SCHEME, SOURCE, WRITE_BUFFER, TripleWriter
from .reading import Reads, cache_key
from .sources import InputFile
from .store import QUADS_FILE, TRIPLES_FILE
from .store_update import QUADS, TRIPLES, BlockIndex, BlockKey, Change, Layout

STATE_FILE = "lines-state.pickle"  # in the cache folder
BLOCKS_FILE = "lines-blocks.txt"  # the block index of graph.nt and graph.nq as they are
LINE_FILES = (TRIPLES_FILE, QUADS_FILE)
# Above this share of input files changed, the lines are written in full.
MAX_CHANGED_SHARE = 0.05

FileStat = tuple[int, int, int] | None  # size, mtime_ns, inode: a rename keeps them


def file_stat(path: Path) -> FileStat:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns, st.st_ino


@dataclass(frozen=True, slots=True)
class LinesMade:
    """How graph.nt was just made, for graph.ttl to be made alike (see turtle_update): how many
    subjects it has, and when it was patched, the old graph.nt's stat (`base`) and `pieces`
    in order: (True, first, end) for old subjects first..end copied, (False, offset, length)
    for a subject's block written afresh, where it is in the new graph.nt."""

    subjects: int
    base: FileStat = None
    pieces: tuple[tuple[bool, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class LinesState:
    """What graph.nt, graph.nq and their block index were made from, their layout, and their
    stats after."""

    key: str  # code, libraries, options and folders (last_build.build_key)
    inputs: dict[str, str]  # each input's content hash, by read-cache key
    layout: Layout
    files: tuple[FileStat, ...]


def held(folder: Path, key: str, out: Path) -> LinesState | None:
    """The state of the lines in `out`, when it stands: same key, files as recorded."""
    state = read_pickle(folder / STATE_FILE)
    if not isinstance(state, LinesState) or state.key != key:
        return None
    return state if state.files == _stats(folder, out) else None


def forget(folder: Path) -> None:
    """Called before the lines are replaced, so that a build cut short leaves no state."""
    (folder / STATE_FILE).unlink(missing_ok=True)


def record(folder: Path, key: str, inputs: dict[str, str], layout: Layout, out: Path,
           index: Path) -> None:
    """Remember what the lines just written were made from; their block `index` is kept as
    BLOCKS_FILE too (a second name for the same file: the store takes the first)."""
    with atomic_path(folder / BLOCKS_FILE) as tmp:
        tmp.unlink()
        try:
            os.link(index, tmp)
        except OSError:  # no hard links on this file system
            with open(index, "rb") as source, open(tmp, "wb") as target:
                copy_range(source, target, 0, index.stat().st_size)
    write_pickle(folder / STATE_FILE, LinesState(key, inputs, layout, _stats(folder, out)))


def _stats(folder: Path, out: Path) -> tuple[FileStat, ...]:
    return tuple(file_stat(path)
                 for path in [*(out / name for name in LINE_FILES), folder / BLOCKS_FILE])


def reached_since(since: dict[str, str], inputs: dict[str, str], files: list[InputFile],
                  reads: Reads, ctx: ExtractContext, minter: IriMinter) -> Reach | None:
    """The subjects whose lines can differ from those made from `since` (content hashes by
    read-cache key), now that `files` read as `reads` with these hashes (`inputs`), merged
    with `ctx`. None when that cannot be told safely."""
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
        identities = _identities(before[2].records)
        if identities is None or identities != _identities(records):
            return None
        old.extend(before[2].records)  # type: ignore[arg-type]  # only articles: _identities
        new.extend(records)  # type: ignore[arg-type]
    return subjects_reached(old, ctx, minter) | subjects_reached(new, ctx, minter)


def _identities(records: list[Record]) -> list[tuple] | None:
    """What an input's records give the identity of articles (ExtractContext.register);
    None when it holds taxonomy records, which shape identities of their own."""
    if not all(isinstance(record, ArticleRecord) for record in records):
        return None
    return [(r.source, r.path_identity, r.urls, r.is_related_entry)  # type: ignore[union-attr]
            for r in records]


@dataclass(frozen=True, slots=True)
class Patched:
    """Line files patched: their layout, how they were made, and the change from the old."""

    layout: Layout
    made: LinesMade
    change: Change


def rewrite(graph: KnowledgeGraph, out: Path, schema: str, reach: Reach, old: LinesState,
            folder: Path, index: Path) -> Patched | None:
    """graph.nt, graph.nq and their block index `index` for `graph`: the `reach`ed subjects'
    lines made afresh, the rest copied from the files `old` describes. None when the old
    files turn out not to fit (nothing is replaced then)."""
    writer = TripleWriter(graph, schema)
    layout = old.layout
    segments = layout.segments()
    changes = []  # (where in the old files, whether the subject is there, subject, new block)
    for rank, key, subject in sorted(_order_keys(reach, writer)):
        first, end = segments[rank]
        at = bisect_left(layout.keys, key, first, end)
        changes.append((at, at < end and layout.keys[at] == key, subject, rank, key,
                        writer.block(rank, key)))
    if not _tiles(graph, writer, layout, changes):
        return None
    paths = [*(out / name for name in LINE_FILES), index]
    try:
        with ExitStack() as stack:
            olds = [stack.enter_context(open(path, "rb"))
                    for path in [*paths[:2], folder / BLOCKS_FILE]]
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
                copier.touched.update((kind, subject) for kind in (TRIPLES, QUADS))
                if lines is not None:
                    copier.write(subject, rank, key, *lines)
            copier.copy(done, len(layout))
    except EOFError:  # an old file shorter than its layout says
        return None
    layout = copier.index.layout
    return Patched(layout, LinesMade(len(layout), old.files[0], tuple(copier.pieces)),
                   Change(copier.touched, copier.fresh))


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
    """New line files and block index made of runs of subjects copied from the old ones and
    blocks written afresh; `index.layout`, the new layout."""

    def __init__(self, layout: Layout, olds: list[BinaryIO], news: list[BinaryIO]) -> None:
        self.layout, self.olds, self.news = layout, olds, news
        # Where each old subject's bytes start in each old file (and the end of the last).
        self.starts = [array("q", accumulate(lengths, initial=0)) for lengths in layout.lengths]
        self.index = BlockIndex(news[2])
        self.pieces: list[tuple[bool, int, int]] = []  # see LinesMade
        self.nt_end = 0
        self.fresh: dict[BlockKey, str] = {}  # the blocks written afresh
        self.touched: set[BlockKey] = set()  # the blocks written afresh or dropped

    def holds(self, at: int, nt_block: bytes, nq_block: bytes) -> bool:
        """Whether old subject `at` has exactly these lines (a topic an edited file names, say,
        often does: the store need not replace it)."""
        for source, starts, block in zip(self.olds[:2], self.starts[:2], (nt_block, nq_block),
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
        self.index.layout.extend(self.layout, first, end)
        self.pieces.append((True, first, end))
        self.nt_end += self.starts[0][end] - self.starts[0][first]

    def write(self, subject: str, rank: int, key: str, nt_block: bytes, nq_block: bytes
              ) -> None:
        self.pieces.append((False, self.nt_end, len(nt_block)))
        self.fresh[TRIPLES, subject] = nt_block.decode()
        self.fresh[QUADS, subject] = nq_block.decode()
        self.nt_end += len(nt_block)
        self.news[0].write(nt_block)
        self.news[1].write(nq_block)
        self.index.add(subject, rank, key, nt_block, nq_block)

"""The previous build, and what a new build can take from it: the one door to it.

    plan = incremental.plan(options, files, out)     # Kept | Full | Patch
    ...                                              # the build asks the plan as it goes
    plan.record(report)                              # what the next build will compare with

`Kept`: nothing the outputs depend on changed (input files by their trusted stat, options,
kg's code, library versions, the outputs themselves), so they stand and the report is the last
one. `Full`: outputs are made afresh, unchanged files' records still come from the read cache.
`Patch`: the previous build's files are as it left them, so graph.nt, graph.nq, graph.ttl and
the store can be brought up to date by changing only what the changed files reach; wherever
that cannot be told safely, it falls back to what `Full` does.

The state lives in two sealed files in OUT/.kg-cache (see state.py): `manifest` (small, read
before anything else) and `reads` (every file's records, read by the build's child process).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path

from .. import store
from ..extract import ExtractContext, Reach
from ..graph import KnowledgeGraph
from ..identity import IriMinter
from ..options import (
    HTML_FILE,
    QUADS_FILE,
    STORE_DIR,
    TRIPLES_FILE,
    TURTLE_FILE,
    WARNINGS_FILE,
    BuildOptions,
    BuildReport,
)
from ..reading import Progress
from ..sources import InputFile
from ..stories import story_subjects
from . import lines as lines_of
from . import reads as reads_of
from . import turtle as turtle_of
from .lines import Lines
from .reads import Reads, cache_key
from .state import Signature, Stats, Unsealed, code_fingerprint, seal, signatures, stat_all, unseal
from .turtle import TurtleLayout

__all__ = ["Full", "Kept", "Lines", "Patch", "Plan", "Reads", "forget", "plan"]

MANIFEST_FILE = "manifest"
OUTPUTS = (TRIPLES_FILE, QUADS_FILE, TURTLE_FILE, HTML_FILE, WARNINGS_FILE, STORE_DIR)
# Their versions shape the outputs (Turtle layout, the store's format, the HTML's script and
# the view's layout).
LIBRARIES = ("pyoxigraph", "pyvis", "PyYAML", "igraph")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the previous build read, wrote and reported."""

    key: str  # everything besides the input files that the outputs depend on
    stats: list[tuple[str, Signature]] | None  # each input's trusted stat; None: not all were
    lines: Lines  # how graph.nt and graph.nq were made, from which inputs
    turtle: TurtleLayout | None
    outputs: dict[str, object]  # each output's signatures after the build
    report: BuildReport


@dataclass(frozen=True, slots=True)
class Kept:
    """The previous build's outputs stand."""

    report: BuildReport


class Full:
    """A build that makes every output afresh; with a state folder, unchanged files still
    come from the read cache and this build is recorded for the next.

    `read` and `write_lines` run in the build's child process (which holds the graph);
    `write_turtle`, `fill_store` and `record` in the parent, once the child has written."""

    def __init__(self, options: BuildOptions, files: list[InputFile], out: Path | None,
                 notice: str | None = None) -> None:
        self.options, self.files, self.out, self.notice = options, files, out, notice
        self.folder = options.cache_dir
        self.stats: Stats | None = None
        if self.folder is not None:
            self.stats = stat_all([item.path for item in files])
        self._lines: Lines | None = None
        self._turtle: TurtleLayout | None = None

    def read(self, progress: Progress | None = None) -> Reads:
        """Every input's records and problems, unchanged files from the read cache. The
        previous build is forgotten first: outputs are about to be replaced, and a build cut
        short must never be taken for a complete one."""
        cache, notice = None, None
        if self.folder is not None and self.out is not None:
            _forget(self.folder)
        if self.folder is not None:
            cache, notice = reads_of.load(self.folder,
                                          f"{code_fingerprint()} {self.options.read!r}")
            self.notice = self.notice or notice
        return reads_of.read_all(self.files, self.options.read, self.options.workers, progress,
                                 cache, self.stats, self.folder)

    def write_lines(self, graph: KnowledgeGraph, reads: Reads, ctx: ExtractContext,
                    minter: IriMinter) -> Lines:
        """graph.nt and graph.nq into the output folder."""
        assert self.out is not None
        made = lines_of.write_in_full(graph, self.out, self.options.schema)
        return replace(made, inputs=_inputs(self.files, reads), stories=story_subjects(graph))

    def write_turtle(self, lines: Lines) -> Path:
        assert self.out is not None
        self._lines = lines
        self._turtle = turtle_of.write(self.out, self.options.schema, lines, self._old_turtle())
        return self.out / TURTLE_FILE

    def fill_store(self, lines: Lines) -> Path:
        assert self.out is not None
        return store.fill_store(self.out, self.options.provenance)

    def record(self, report: BuildReport) -> None:
        """Remember this build for the next one."""
        if self.folder is None or self.out is None or self._lines is None:
            return
        trusted = self.stats.trusted() if self.stats is not None else []
        stats = None if None in trusted else [
            (cache_key(item), sig) for item, sig in zip(self.files, trusted, strict=True)]
        lines = replace(self._lines, pieces=None, delta=None)  # how they were made is done
        seal(self.folder / MANIFEST_FILE, Manifest(
            build_key(self.options, self.out), stats, lines, self._turtle, _outputs(self.out),
            report))

    def _old_turtle(self) -> TurtleLayout | None:
        return None


class Patch(Full):
    """A rebuild against the previous build's files, which are as it left them."""

    def __init__(self, options: BuildOptions, files: list[InputFile], out: Path,
                 previous: Manifest) -> None:
        super().__init__(options, files, out)
        self.previous = previous
        now = _outputs(out)
        self.turtle_stands = now[TURTLE_FILE] == previous.outputs[TURTLE_FILE]
        self.store_stands = now[STORE_DIR] == previous.outputs[STORE_DIR]

    def write_lines(self, graph: KnowledgeGraph, reads: Reads, ctx: ExtractContext,
                    minter: IriMinter) -> Lines:
        assert self.out is not None
        reach = lines_of.reached_since(self.previous.lines.inputs, self.files, reads, ctx,
                                       minter)
        stories = story_subjects(graph)
        if reach is not None and (stories or self.previous.lines.stories):
            # A changed article can join, leave or regroup stories of unchanged articles.
            reach = reach | Reach(set(stories | self.previous.lines.stories), set(), False)
        made = None if reach is None else lines_of.patch(
            graph, self.out, self.options.schema, reach, self.previous.lines.layout)
        if made is None:
            return super().write_lines(graph, reads, ctx, minter)
        return replace(made, inputs=_inputs(self.files, reads), stories=stories)

    def fill_store(self, lines: Lines) -> Path:
        assert self.out is not None
        if lines.delta is None or not self.store_stands:
            return super().fill_store(lines)
        delta = lines.delta
        return store.update_store(self.out, delta.subjects, b"".join(delta.triples),
                                  b"".join(delta.quads) if self.options.provenance else None)

    def _old_turtle(self) -> TurtleLayout | None:
        return self.previous.turtle if self.turtle_stands else None


Plan = Kept | Full | Patch


def plan(options: BuildOptions, files: list[InputFile], out: Path | None) -> Plan:
    """What this build can take from the previous one in `out` (see the module's docstring);
    asking changes nothing."""
    folder = options.cache_dir
    if folder is None or out is None:
        return Full(options, files, out)
    try:
        previous = unseal(folder / MANIFEST_FILE)
    except Unsealed as exc:
        previous, notice = None, f"{exc}: ignored, building afresh"
    else:
        notice = None
    if isinstance(previous, Manifest) and previous.key == build_key(options, out):
        plan: Plan = Patch(options, files, out, previous)
        if previous.stats is not None and previous.outputs == _outputs(out) and \
                previous.stats == _stats(plan):
            return Kept(replace(previous.report, kept=True, patched=False, store_seconds=0.0,
                                notice=None))
        if {name: previous.outputs[name] for name in (TRIPLES_FILE, QUADS_FILE)} != \
                {name: signatures(out / name) for name in (TRIPLES_FILE, QUADS_FILE)}:
            plan = Full(options, files, out)
    else:
        plan = Full(options, files, out, notice)
    return plan


def build_key(options: BuildOptions, out: Path) -> str:
    versions = [metadata.version(name) for name in LIBRARIES]
    return repr((code_fingerprint(), versions, replace(options, workers=None),
                 os.path.abspath(out), os.getcwd()))


def _stats(plan: Full) -> list[tuple[str, Signature | None]]:
    assert plan.stats is not None
    return [(cache_key(item), sig) for item, sig in zip(plan.files, plan.stats.trusted(),
                                                         strict=True)]


def _inputs(files: list[InputFile], reads: Reads) -> dict[str, str]:
    return {cache_key(item): digest for item, digest in zip(files, reads.digests, strict=True)
            if digest}


def _outputs(out: Path) -> dict[str, object]:
    return {name: signatures(out / name) for name in OUTPUTS}


def forget(options: BuildOptions) -> None:
    """The outputs are about to be made by other means (another engine): the next build must
    not take them for the ones this state describes."""
    if options.cache_dir is not None:
        _forget(options.cache_dir)


def _forget(folder: Path) -> None:
    """Drop the manifest, and whatever else is in the folder that kg no longer writes."""
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name != reads_of.READS_FILE and (path.is_file() or path.is_symlink()):
            path.unlink(missing_ok=True)

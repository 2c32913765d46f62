"""The build: files -> records -> KnowledgeGraph -> output files."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from . import incremental, rdf
from .extract import merge, prepare
from .graph import KnowledgeGraph
from .identity import IriMinter
from .isolation import call_in_child, no_gc_passes
from .model import Problem, Record, Severity
from .options import (
    HTML_FILE,
    QUADS_FILE,
    TRIPLES_FILE,
    TURTLE_FILE,
    WARNINGS_FILE,
    BuildOptions,
    BuildReport,
    ClusterOptions,
)
from .reading import Progress
from .report import summarize, write_warnings
from .sources import default_taxonomy, discover
from .store import fill_store
from .stories import articles_of, group, with_stories
from .viz import write_html

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Build", "BuildOptions", "BuildReport", "Progress", "build", "build_and_write",
           "write_outputs"]

@dataclass
class Build:
    """A built graph with what went into it: `.graph`, `.rdf` (rdflib), `.nx` (networkx)."""

    graph: KnowledgeGraph
    problems: list[Problem]
    files_read: int
    files_ignored: int
    options: BuildOptions = field(default_factory=BuildOptions)
    files_cached: int = 0

    @cached_property
    def rdf(self) -> Graph:
        """The graph as an rdflib Graph, built on first access."""
        return rdf.to_rdflib(self.graph, self.options.schema)

    @cached_property
    def nx(self) -> nx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph, built on first access."""
        from .analytics import to_networkx  # networkx takes 0.2 s to import; builds need none

        return to_networkx(self.graph)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def summary(self) -> dict[str, object]:
        return summarize(self.graph.counts(), self.problems, self.files_read,
                         self.files_ignored, self.files_cached)


def build(paths: Iterable[str | os.PathLike], options: BuildOptions | None = None,
          progress: Progress | None = None) -> Build:
    """Build the knowledge graph of the articles under `paths` (files, folders or globs).

    >>> import kg
    >>> b = kg.build(["examples/articles"])      # doctest: +SKIP
    >>> b.summary()["articles"], len(b.rdf)       # doctest: +SKIP
    (13, 236)
    """
    files = discover(list(paths))
    plan = incremental.plan(options or BuildOptions(), files, None)
    assert isinstance(plan, incremental.Full)  # without an output folder nothing is kept
    return _build(plan, progress)[0]


def _build(plan: incremental.Full, progress: Progress | None
           ) -> tuple[Build, incremental.Reads, tuple]:
    """The graph, the reads it was made from, and the context and minter it was merged with."""
    options, files = plan.options, plan.files
    records: list[Record] = []
    problems: list[Problem] = []
    if options.default_taxonomy:
        records.extend(default_taxonomy().records)
    ignored = 0
    with no_gc_passes():
        reads = plan.read(progress)
        for result in reads.results:
            records.extend(result.records)
            problems.extend(result.problems)
            ignored += result.skipped and not result.problems
        minter = IriMinter(options.base_iri)
        ctx, articles = prepare(records)
        graph = merge(articles, ctx, minter)
        if options.stories:
            graph = with_stories(graph, group(articles_of(graph), options.story_window))
    problems.extend(ctx.problems)
    problems.sort(key=lambda p: (p.source, p.line or 0, p.field or ""))
    return (Build(graph, problems, len(files) - ignored, ignored, options, reads.cached), reads,
            (ctx, minter))


def write_outputs(result: Build, out_dir: str | os.PathLike) -> list[Path]:
    """Write every output file into `out_dir`, each replaced atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines = rdf.write_lines(result.graph, out / TRIPLES_FILE, out / QUADS_FILE,
                            result.options.schema)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-turtle") as pool:
        turtle = pool.submit(rdf.turtle_from_ntriples, out / TRIPLES_FILE, out / TURTLE_FILE,
                             result.options.schema)
        written = [*lines, *_write_views(result, out),
                   fill_store(out, result.options.provenance)]
        return [turtle.result(), *written]


LINES_WRITTEN = "lines written"


def build_and_write(paths: Iterable[str | os.PathLike], options: BuildOptions,
                    out_dir: str | os.PathLike, progress: Progress | None = None,
                    cluster: ClusterOptions | None = None) -> BuildReport:
    """`kg build`: what the previous build left is asked once (`incremental.plan`); the graph
    is built and its files written in a child process, whose memory goes back to the system
    before the store fills; graph.ttl is made here as soon as the child has written graph.nt,
    on the core the child leaves idle while it writes the view. With `cluster`, the build
    runs on a Dask cluster instead (kg.cluster), afresh, the same bytes."""
    out = Path(out_dir)
    if cluster is not None:
        from . import cluster as on_cluster  # imports Dask only when asked for

        incremental.forget(options)
        return on_cluster.build_and_write(discover(list(paths)), options, cluster, out,
                                          progress)
    plan = incremental.plan(options, discover(list(paths)), out)
    if isinstance(plan, incremental.Kept):
        return plan.report
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-turtle") as pool:
        made: list[tuple[incremental.Lines, Future[Path]]] = []

        def lines_written(lines: incremental.Lines) -> None:
            made.append((lines, pool.submit(plan.write_turtle, lines)))

        report = call_in_child(_build_in_child, plan, out, progress=progress,
                               on={LINES_WRITTEN: lines_written})
        graph_done = time.perf_counter()
        [(lines, turtle)] = made
        store = plan.fill_store(lines)
        report = replace(report, written=[turtle.result(), *report.written, store],
                         store_seconds=time.perf_counter() - graph_done,
                         patched=lines.pieces is not None,
                         notice=report.notice or plan.notice)
    plan.record(report)
    return report


def _build_in_child(plan: incremental.Full, out: Path, progress: Progress | None,
                    announce: Callable[..., None], keep: Callable[[object], None]
                    ) -> BuildReport:
    """The build and its graph files, announced as soon as graph.nt and graph.nq are written;
    the collector stays off throughout, and the graph is left to the end of the process."""
    with no_gc_passes():
        result, reads, (ctx, minter) = _build(plan, progress)
        keep(result)
        keep(reads)
        out.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-views") as pool:
            # Patching the lines is mostly the kernel copying files: the view (Python work) is
            # made meanwhile. Written in full, the lines are Python work too, and go first.
            views = (pool.submit(_write_views, result, out)
                     if isinstance(plan, incremental.Patch) else None)
            lines = plan.write_lines(result.graph, reads, ctx, minter)
            announce(LINES_WRITTEN, lines)
            written = [out / TRIPLES_FILE, out / QUADS_FILE,
                       *(views.result() if views else _write_views(result, out))]
    return BuildReport(result.summary(), result.warnings, written, notice=plan.notice)


def _write_views(result: Build, out: Path) -> list[Path]:
    """The HTML view and warnings.json."""
    return [write_html(result.graph, out / HTML_FILE),
            write_warnings(result.problems, out / WARNINGS_FILE)]

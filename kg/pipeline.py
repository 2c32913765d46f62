"""The build: files -> records -> KnowledgeGraph -> output files."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from . import last_build, lines_update, rdf, store_update, turtle_update
from .cache import Stats, stat_all
from .child import call_in_child
from .extract import Reach, merge, prepare
from .gc_pause import no_gc_passes
from .graph import KnowledgeGraph
from .identity import DEFAULT_BASE_IRI, IriMinter
from .model import Problem, Record, Severity
from .reading import Progress, cache_key, read_all
from .report import write_warnings
from .sources import InputFile, ReadOptions, default_taxonomy, discover
from .store import QUADS_FILE, STORE_DIR, TRIPLES_FILE, fill_store, load_store
from .viz import write_html
from .vocab import SCHEMA_HTTPS

STORE_BLOCKS_FILE = "store-blocks.txt"  # in the cache folder until the store has loaded

if TYPE_CHECKING:
    import networkx as nx


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to build: where IRIs live, which schema.org scheme, and input limits."""

    base_iri: str = DEFAULT_BASE_IRI
    schema: str = SCHEMA_HTTPS
    read: ReadOptions = field(default_factory=ReadOptions)
    default_taxonomy: bool = True
    # Parse files in this many processes; None picks by the number of files and CPUs.
    workers: int | None = None
    # Where the read cache lives (usually OUT/.kg-cache); None reads every file afresh.
    cache_dir: Path | None = None


SKIPPED_FILE = "skipped the file"


@dataclass
class Build:
    """A built graph with what went into it: `.graph`, `.rdf` (rdflib), `.nx` (networkx)."""

    graph: KnowledgeGraph
    problems: list[Problem]
    files_read: int
    files_ignored: int
    options: BuildOptions = field(default_factory=BuildOptions)
    files_cached: int = 0
    # Each input's content hash, by read-cache key (see reading.cache_key).
    inputs: dict[str, str] = field(default_factory=dict)
    # With `since`, the subjects whose lines can differ from those of that build; None when
    # that cannot be told (see lines_update).
    reached: Reach | None = None

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
        counts = self.graph.counts()
        return {
            "files_read": self.files_read,
            "files_ignored": self.files_ignored,
            "files_cached": self.files_cached,
            **counts,
            "warnings": len(self.warnings),
            "notices": len(self.problems) - len(self.warnings),
            "warnings_by_kind": dict(sorted(Counter(p.kind for p in self.warnings).items())),
            "files_skipped": len({p.source for p in self.warnings if p.action == SKIPPED_FILE}),
        }


def build(paths: Iterable[str | os.PathLike], options: BuildOptions = BuildOptions(),
          progress: Progress | None = None) -> Build:
    """Build the knowledge graph of the articles under `paths` (files, folders or globs).

    >>> import kg
    >>> b = kg.build(["examples/articles"])      # doctest: +SKIP
    >>> b.summary()["articles"], len(b.rdf)       # doctest: +SKIP
    (13, 236)
    """
    return build_files(discover(list(paths)), options, progress)


def build_files(files: list[InputFile], options: BuildOptions = BuildOptions(),
                progress: Progress | None = None, stats: Stats | None = None,
                since: dict[str, str] | None = None) -> Build:
    """`build` of files already found; `stats`, their stats when the caller took them;
    `since`, the inputs' content hashes at an earlier build, to tell what changed (`reached`)."""
    records: list[Record] = []
    problems: list[Problem] = []
    if options.default_taxonomy:
        records.extend(default_taxonomy().records)
    ignored = 0
    with no_gc_passes():
        reads = read_all(files, options.read, options.workers, options.cache_dir, progress,
                         stats)
        for result in reads.results:
            records.extend(result.records)
            problems.extend(result.problems)
            ignored += result.skipped and not result.problems
        minter = IriMinter(options.base_iri)
        ctx, articles = prepare(records)
        graph = merge(articles, ctx, minter)
        inputs = {cache_key(item): digest for item, digest in zip(files, reads.digests,
                                                                   strict=True) if digest}
        reached = (None if since is None else
                   lines_update.reached_since(since, inputs, files, reads, ctx, minter))
    problems.extend(ctx.problems)
    problems.sort(key=lambda p: (p.source, p.line or 0, p.field or ""))
    return Build(graph, problems, len(files) - ignored, ignored, options, reads.cached, inputs,
                 reached)


def write_outputs(result: Build, out_dir: str | os.PathLike) -> list[Path]:
    """Write every output file into `out_dir`, each replaced atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines, _made, _change = _write_lines(result, out, None)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-turtle") as pool:
        turtle = pool.submit(rdf.turtle_from_ntriples, out / TRIPLES_FILE,
                             out / turtle_update.TURTLE_FILE, result.options.schema)
        written = [*lines, *_write_views(result, out), fill_store(out)]
        return [turtle.result(), *written]


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What `kg build` tells its user: the summary, the warnings and the files written."""

    summary: dict[str, object]
    warnings: list[Problem]
    written: list[Path]
    # True when nothing had changed since the last build, whose outputs were kept.
    kept: bool = False
    # Seconds spent filling the store once the child had written the graph files (what
    # `kg bench` reports of it); 0 when the outputs were kept.
    store_seconds: float = 0.0


def build_and_write(paths: Iterable[str | os.PathLike], options: BuildOptions,
                    out_dir: str | os.PathLike, progress: Progress | None = None) -> BuildReport:
    """`kg build`: the graph is built and the files that need it written in a child process,
    whose memory (1.4 GB at 100,000 articles) goes back to the system before the store fills
    from graph.nt and graph.nq (a small graph's store fills sooner: EARLY_STORE_MAX_BYTES).
    graph.ttl is made from graph.nt here as soon as the child has written it, on the core the
    child leaves idle while it writes the rest.

    With the read cache on, a build in which nothing changed keeps the last one's outputs
    (see last_build)."""
    out = Path(out_dir)
    files = discover(list(paths))
    folder = options.cache_dir
    if folder is None:
        return _build_and_write(files, None, options, out, progress)
    stats = stat_all([item.path for item in files])
    key, inputs = last_build.build_key(options, out), last_build.inputs(files, stats)
    held = last_build.kept(folder, key, inputs)
    if held is not None:
        return replace(held, kept=True, store_seconds=0.0)
    last_build.forget(folder)
    report = _build_and_write(files, stats, options, out, progress)
    last_build.record(folder, key, inputs, report)
    return report


def _build_and_write(files: list[InputFile], stats: Stats | None, options: BuildOptions,
                     out: Path, progress: Progress | None) -> BuildReport:
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="kg-after-lines") as pool:
        turtle: list[Future[Path]] = []
        early: list[Future[None]] = []

        def lines_written(made: lines_update.LinesMade | None) -> None:
            turtle.append(pool.submit(turtle_update.write, out, options.schema,
                                      options.cache_dir, made))

        def store_due() -> None:
            if _lines_bytes(out) <= EARLY_STORE_MAX_BYTES:
                early.append(pool.submit(load_store, out))

        report, change, index = call_in_child(
            _build_in_child, files, stats, options, out, progress=progress,
            on={LINES_WRITTEN: lines_written, STORE_DUE: store_due})
        graph_done = time.perf_counter()
        for loading in early:
            loading.result()
        store = fill_store(out, change=change, digests=index, loaded=bool(early))
        return replace(report, written=[turtle[0].result(), *report.written, store],
                       store_seconds=time.perf_counter() - graph_done)


# A small graph's store is loaded while the child still writes the HTML view, on the core
# that Turtle leaves idle: a 1,000-article build 3.1 s -> 2.5 s. From 10,000 articles the
# Turtle write and the view keep both cores busy (no gain measured there), so larger graphs
# wait for the child to end and its memory and the loader's never add up.
EARLY_STORE_MAX_BYTES = 128 * 1024 * 1024


def _lines_bytes(out: Path) -> int:
    return sum(path.stat().st_size for path in (out / TRIPLES_FILE, out / QUADS_FILE))


LINES_WRITTEN = "lines written"
STORE_DUE = "store due"  # the lines written are to be loaded into a new store


def _build_in_child(files: list[InputFile], stats: Stats | None, options: BuildOptions,
                    out: Path, progress: Progress | None, announce: Callable[..., None]
                    ) -> tuple[BuildReport, store_update.Change | None, Path | None]:
    """The build, its graph files, and with the read cache on, the index of the new lines'
    blocks and what to replace in the store when this is a rebuild. The collector stays off
    throughout: this process ends when it is done, taking any garbage with it."""
    with no_gc_passes():
        return _build_here(files, stats, options, out, progress, announce)


def _build_here(files: list[InputFile], stats: Stats | None, options: BuildOptions,
                out: Path, progress: Progress | None, announce: Callable[..., None]
                ) -> tuple[BuildReport, store_update.Change | None, Path | None]:
    folder = options.cache_dir
    state, in_step = None, False
    if folder is not None:
        state = lines_update.held(folder, last_build.build_key(options, out), out)
        # The store holds the lines the state describes: their change is the store's too.
        in_step = store_update.holds(out / STORE_DIR, folder / lines_update.BLOCKS_FILE)
    result = build_files(files, options, progress, stats, state.inputs if state else None)
    out.mkdir(parents=True, exist_ok=True)
    index = folder / STORE_BLOCKS_FILE if folder is not None else None
    # Without digests to compare or with nothing from the cache, the store loads afresh.
    load_afresh = index is None or not result.files_cached
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-views") as pool:
        # Patching the lines is mostly the kernel copying and syncing files: the view (Python
        # work) is made meanwhile. Written in full, the lines are Python work too, and go first.
        views = pool.submit(_write_views, result, out) if result.reached is not None else None
        lines, made, change = _write_lines(result, out, index, state)
        announce(LINES_WRITTEN, made)
        if load_afresh:
            announce(STORE_DUE)
        written = [*lines, *(views.result() if views else _write_views(result, out))]
    report = BuildReport(result.summary(), result.warnings, written)
    if load_afresh:
        _ENDS_WITH_PROCESS.append(result)
        return report, None, index
    if change is not None and state is not None and in_step:
        _ENDS_WITH_PROCESS.append(result)
        return report, store_update.bounded(change, 2 * len(state.layout)), index
    del result  # the store's digests below reuse the graph's memory instead of adding to it
    return report, store_update.plan(out / STORE_DIR, lines, index), index


# The build's child process ends as soon as it has answered, without freeing anything: freeing
# a graph of 100,000 articles object by object took about 2 s before the answer could go.
_ENDS_WITH_PROCESS: list[Build] = []


def _write_lines(result: Build, out: Path, index: Path | None,
                 state: lines_update.LinesState | None = None
                 ) -> tuple[list[Path], lines_update.LinesMade | None,
                            store_update.Change | None]:
    """graph.nt and graph.nq; with `index`, where each subject's lines are and their digests,
    and with the cache folder on, what they were made from (see lines_update), and how. With
    the `state` of the lines there and what changed since (`result.reached`), only those
    subjects' lines are made again, and what changed is returned too."""
    folder = result.options.cache_dir
    if folder is not None:
        lines_update.forget(folder)
    with no_gc_passes():
        patched = None
        # A state is only ever held with the cache folder, and so with an index.
        if state is not None and folder and index and result.reached is not None:
            patched = lines_update.rewrite(result.graph, out, result.options.schema,
                                           result.reached, state, folder, index)
        if patched is not None:
            layout, made, change = patched.layout, patched.made, patched.change
        else:
            change = None
            with store_update.block_index(index) if index else nullcontext() as blocks:
                rdf.write_lines(result.graph, out, result.options.schema, blocks)
            layout = blocks.layout if blocks is not None else None
            made = lines_update.LinesMade(len(layout)) if layout is not None else None
    if folder is not None and index is not None and layout is not None:
        lines_update.record(folder, last_build.build_key(result.options, out), result.inputs,
                            layout, out, index)
    return [out / TRIPLES_FILE, out / QUADS_FILE], made, change


def _write_views(result: Build, out: Path) -> list[Path]:
    """The HTML view and warnings.json."""
    return [write_html(result.graph, out / "graph.html"),
            write_warnings(result.problems, out / "warnings.json")]

"""The build: files -> records -> KnowledgeGraph -> output files."""

from __future__ import annotations

import gc
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
from rdflib import Graph

from . import cache as read_cache
from . import rdf
from .analytics import to_networkx
from .cache import code_fingerprint
from .extract import extract_graph
from .graph import KnowledgeGraph
from .identity import DEFAULT_BASE_IRI, IriMinter
from .model import Problem, Record, Severity, SourceResult
from .report import write_warnings
from .sources import InputFile, ReadOptions, default_taxonomy, discover, read_file
from .store import fill_store
from .viz import write_html
from .vocab import SCHEMA_HTTPS

Progress = Callable[[int, int], None]


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

    @cached_property
    def rdf(self) -> Graph:
        """The graph as an rdflib Graph, built on first access."""
        return rdf.to_rdflib(self.graph, self.options.schema)

    @cached_property
    def nx(self) -> nx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph, built on first access."""
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
    files = discover(list(paths))
    records: list[Record] = []
    problems: list[Problem] = []
    if options.default_taxonomy:
        records.extend(default_taxonomy().records)
    ignored = 0
    with fewer_gc_passes():
        results, cached = read_all(files, options, progress)
        for result in results:
            records.extend(result.records)
            problems.extend(result.problems)
            ignored += result.skipped and not result.problems
        graph, extract_problems = extract_graph(records, IriMinter(options.base_iri))
    problems.extend(extract_problems)
    problems.sort(key=lambda p: (p.source, p.line or 0, p.field or ""))
    return Build(graph, problems, len(files) - ignored, ignored, options, cached)


def read_all(files: list[InputFile], options: BuildOptions,
             progress: Progress | None = None) -> tuple[list[SourceResult], int]:
    """Every file's records and problems, in file order, and how many came from the cache: a
    file whose content is unchanged is not parsed again, the rest are (in worker processes
    when there are many)."""
    results: list[SourceResult | None] = [None] * len(files)
    fingerprint = f"{code_fingerprint()} {options.read!r}"
    cache = read_cache.load(options.cache_dir, fingerprint) if options.cache_dir else None
    digests: dict[int, str] = {}
    if cache is not None and cache.entries:  # an empty cache: the readers hash what they read
        for i, item in enumerate(files):
            digest = _digest(item, options.read)
            if digest is not None:
                digests[i] = digest
                results[i] = cache.get(_cache_key(item), digest)
    todo = [i for i, held in enumerate(results) if held is None]
    done = len(files) - len(todo)
    for i, result in zip(todo, read_many([files[i] for i in todo], options.read,
                                         options.workers, _offset(progress, done, len(files))),
                         strict=True):
        results[i] = result
        if result.digest is None:  # unreadable or too large: not worth remembering
            digests.pop(i, None)
        else:  # the hash of the bytes actually parsed
            digests[i] = result.digest
    if cache is not None:
        read_cache.save(options.cache_dir, fingerprint,
                        {_cache_key(files[i]): (d, results[i]) for i, d in digests.items()})
    return results, done  # type: ignore[return-value]


def _digest(item: InputFile, read: ReadOptions) -> str | None:
    """The content hash of a file, or None when it cannot or should not be cached."""
    try:
        if item.path.stat().st_size > read.max_file_bytes:
            return None
        return read_cache.content_hash(item.path.read_bytes())
    except OSError:
        return None


def _cache_key(item: InputFile) -> str:
    # The relative path goes into every record; the full path tells apart two roots' "a.md".
    return f"{item.relpath}\n{item.path}"


def _offset(progress: Progress | None, done: int, total: int) -> Progress | None:
    if progress is None:
        return None
    progress(done, total)
    return lambda n, _total: progress(done + n, total)


PARALLEL_MIN_FILES = 400  # below this, starting processes costs more than it saves
CHUNK_FILES = 100


def read_many(files: list[InputFile], read: ReadOptions, workers: int | None = None,
              progress: Progress | None = None) -> Iterator[SourceResult]:
    """Read files in order; with several workers, in chunks across processes."""
    if workers is None:
        workers = min(os.cpu_count() or 1, len(files) // PARALLEL_MIN_FILES)
    if workers <= 1:
        for done, item in enumerate(files, 1):
            yield read_file(item, read)
            if progress:
                progress(done, len(files))
        return
    chunks = [files[i:i + CHUNK_FILES] for i in range(0, len(files), CHUNK_FILES)]
    done = 0
    with ProcessPoolExecutor(max_workers=workers, initializer=_exit_with_parent,
                             initargs=(os.getpid(),)) as pool:
        for chunk_results in pool.map(_read_chunk, chunks, [read] * len(chunks)):
            yield from chunk_results
            done += len(chunk_results)
            if progress:
                progress(done, len(files))


def _exit_with_parent(parent: int) -> None:
    """Make a worker end when the build that started it is killed.

    Workers wait on a pipe that every worker also holds open, so a killed parent (SIGKILL,
    the OOM killer) would otherwise leave them waiting for ever.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="kg-parent-watch").start()


def _read_chunk(files: list[InputFile], read: ReadOptions) -> list[SourceResult]:
    return [read_file(item, read) for item in files]


def write_outputs(result: Build, out_dir: str | os.PathLike) -> list[Path]:
    """Write every output file into `out_dir`, each replaced atomically.

    Oxigraph's bulk loader runs on one core without the GIL for about a third of a build, so
    the store fills in a thread while the Turtle, HTML view and warnings are written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with fewer_gc_passes():
        nt, nq = rdf.write_lines(result.graph, out, result.options.schema)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-store") as pool:
            store = pool.submit(fill_store, out)
            written = [rdf.turtle_from_ntriples(nt, out / "graph.ttl", result.options.schema),
                       nt, nq]
            written.append(write_html(result.graph, out / "graph.html"))
            written.append(write_warnings(result.problems, out / "warnings.json"))
            written.append(store.result())
    return written


@contextmanager
def fewer_gc_passes() -> Iterator[None]:
    """Run the cyclic garbage collector less often while millions of objects are made.

    A build makes few reference cycles, yet the default thresholds rescan the growing heap
    again and again: raising them made a 10,000-article build 17 % faster.
    """
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)

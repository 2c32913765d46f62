"""The build on a Dask cluster (`kg build --engine dask`): the one door to it.

    report = cluster.build_and_write(files, options, ClusterOptions(scheduler=...), out)

The same readers, extractors, merge and writers as the local engine, run as Dask tasks over
shares of the files and of the nodes (see tasks.py and parts.py):

    read (a share of the files) -> identities -> URL table (by bucket) -> look-ups
        -> extract (claims, cut by node part) -> finish (a node part's claims merged)
        -> write (the part's N-Triples, N-Quads and Turtle) -> the source files' blocks

Workers read the input files and write the parts by path: the output folder and the inputs
must be on a file system every worker sees. The client holds the file list, the futures and
the warnings, never the graph; it joins the parts into graph.nt, graph.nq and graph.ttl (or
moves them into folders of shards with `partitioned`) and fills the store. Importing this
package imports nothing of Dask; connecting does.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..identity import IriMinter
from ..isolation import Progress
from ..model import Problem, Severity
from ..options import (
    HTML_FILE,
    QUADS_FILE,
    TRIPLES_FILE,
    WARNINGS_FILE,
    BuildOptions,
    BuildReport,
    ClusterOptions,
)
from ..report import summarize, write_warnings
from ..sources import InputFile
from ..store import fill_store
from . import tasks
from .files import join_parts, shard_parts
from .parts import NodeParts, SourceParts

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["build_and_write"]

FILES_PER_TASK = 2000  # a read task of about 5 s: long enough to outweigh its scheduling
FILES_PER_PART = 10_000  # articles (and images) per node part: a few hundred MB of claims


def build_and_write(files: list[InputFile], options: BuildOptions, cluster: ClusterOptions,
                    out: Path, progress: Progress | None = None) -> BuildReport:
    """The graph files, the warnings and the view made on the cluster; then, the cluster let
    go (a local one's workers ended), the store filled here from the graph files."""
    from .connect import connect

    with connect(cluster.scheduler, options.workers) as client:
        report = _Build(client, files, options, cluster, out).run(progress)
    if not cluster.store:
        return report
    start = time.perf_counter()
    shards = None
    if cluster.partitioned:
        shards = (sorted((out / TRIPLES_FILE).iterdir()), sorted((out / QUADS_FILE).iterdir()))
    store = fill_store(out, options.provenance, shards)
    return replace(report, written=[*report.written, store],
                   store_seconds=time.perf_counter() - start)


@dataclass
class _Told:
    """What the client reads of the cluster's work: no graph, only what it reports."""

    view: Future | None
    problems: list[Problem] = field(default_factory=list)
    ignored: int = 0
    counts: dict[str, int] = field(default_factory=dict)


class _Build:
    """One build's tasks, submitted at once; the client keeps only the futures it will read."""

    def __init__(self, client: Client, files: list[InputFile], options: BuildOptions,
                 cluster: ClusterOptions, out: Path) -> None:
        self.client, self.files, self.options, self.cluster = client, files, options, cluster
        self.out = out
        self.token = uuid.uuid4().hex[:12]
        self.scratch = out / f".kg-parts-{self.token}"
        hashed = max(1, -(-len(files) // FILES_PER_PART))
        self.nodes = NodeParts(IriMinter(options.base_iri).base, hashed)
        self.sources = SourceParts.of_names([item.relpath for item in files], hashed)
        self.buckets = hashed

    def run(self, progress: Progress | None) -> BuildReport:
        """Every output but the store."""
        self.out.mkdir(parents=True, exist_ok=True)
        self.scratch.mkdir()
        try:
            told = self._submit(progress)
            told.problems.sort(key=lambda p: (p.source, p.line or 0, p.field or ""))
            written = self._outputs()
            written.append(write_warnings(told.problems, self.out / WARNINGS_FILE))
            if told.view is not None:
                written.append(Path(told.view.result()))
        finally:
            shutil.rmtree(self.scratch, ignore_errors=True)
        summary = summarize(told.counts, told.problems, len(self.files) - told.ignored,
                            told.ignored)
        skipped = [name for name, made in (("the HTML view", self.cluster.view),
                                           ("the SPARQL store", self.cluster.store)) if not made]
        warnings = [p for p in told.problems if p.severity is Severity.WARNING]
        return BuildReport(summary, warnings, written, notice="built without " +
                           " and ".join(skipped) if skipped else None)

    def _key(self, name: str, *index: int) -> tuple:
        return (f"kg-{name}-{self.token}", *index)

    def _task(self, fn, *args, name: str, index: tuple = ()) -> Future:
        return self.client.submit(fn, *args, key=self._key(name, *index), pure=False)

    def _submit(self, progress: Progress | None) -> _Told:
        """Every task of the build, stage by stage; what the client reads of them."""
        reads = self._read(progress)
        facts = [self._task(tasks.read_facts, read, name="read-facts", index=(i,))
                 for i, read in enumerate(reads)]
        graphs, found = self._merge(reads, self._identities(reads))
        del reads  # the scheduler keeps what the tasks still need, and how to make it again
        if self.options.stories:
            graphs = self._stories(graphs)
        view = self._task(tasks.write_view, str(self.out / HTML_FILE), self.nodes.base,
                          *[self._task(tasks.view_part, graph, name="view-part", index=(j,))
                            for j, graph in enumerate(graphs)],
                          name="view") if self.cluster.view else None
        sources, counts = self._write(graphs)
        del graphs
        told = _Told(view=view)
        for read_problems, ignored in self.client.gather(facts):
            told.problems.extend(read_problems)
            told.ignored += ignored
        for extract_problems in self.client.gather(found):
            told.problems.extend(extract_problems)
        self.client.gather(sources)
        for part in self.client.gather(counts):
            for name, count in part.items():
                told.counts[name] = told.counts.get(name, 0) + count
        return told

    def _read(self, progress: Progress | None) -> list[Future]:
        """The files in shares of FILES_PER_TASK, each share read by one task."""
        chunks = [self.files[i:i + FILES_PER_TASK]
                  for i in range(0, len(self.files), FILES_PER_TASK)] or [[]]
        reads = [self._task(tasks.read_part, chunk, self.options.read, name="read", index=(i,))
                 for i, chunk in enumerate(chunks)]
        _report_reads(reads, [len(chunk) for chunk in chunks], progress)
        return reads

    def _merge(self, reads: list[Future], answers: list[list[Future]]
               ) -> tuple[list[Future], list[Future]]:
        """Each node part's graph (its claims from every share, merged, finished and frozen),
        and each share's extraction problems."""
        task, base, parts = self._task, self.nodes.base, range(self.nodes.count)
        taxonomy = task(tasks.taxonomy_of, self.options.default_taxonomy,
                        *[task(tasks.taxonomy_records, read, name="taxonomy-records",
                               index=(i,)) for i, read in enumerate(reads)],
                        name="taxonomy")
        extracted = [task(tasks.extract_part, read, taxonomy, base, self.nodes, *answers[i],
                          name="extract", index=(i,)) for i, read in enumerate(reads)]
        found = [task(tasks.pick, part, 1, name="extract-problems", index=(i,))
                 for i, part in enumerate(extracted)]
        finished = [task(tasks.finish_part, j, base, self.nodes, taxonomy,
                         *[task(tasks.pick, part, 0, j, name="claims", index=(i, j))
                           for i, part in enumerate(extracted)],
                         name="finish", index=(j,)) for j in parts]
        graphs = [task(tasks.freeze_part,
                       task(tasks.pick, finished[j], 0, name="finished", index=(j,)),
                       *[task(tasks.pick, finished[k], 1, j, name="spilled", index=(k, j))
                         for k in parts],
                       name="freeze", index=(j,)) for j in parts]
        return graphs, found

    def _stories(self, graphs: list[Future]) -> list[Future]:
        """Each part's graph with its share of the stories, grouped in one task from every
        part's articles (a few short fields each), as the local build groups them."""
        task = self._task
        told = task(tasks.stories_of, self.options.story_window, self.nodes.base, self.nodes,
                    *[task(tasks.story_inputs, graph, name="story-inputs", index=(j,))
                      for j, graph in enumerate(graphs)],
                    name="stories")
        return [task(tasks.with_part_stories, graph,
                     task(tasks.pick, told, j, name="part-stories", index=(j,)),
                     name="with-stories", index=(j,)) for j, graph in enumerate(graphs)]

    def _write(self, graphs: list[Future]) -> tuple[list[Future], list[Future]]:
        """Each node part's files, then the source files' blocks by source part; the tasks
        that write the latter, and each node part's counts."""
        task, schema = self._task, self.options.schema
        written = [task(tasks.write_part, j, str(self.scratch), schema, self.sources, graph,
                        name="write", index=(j,)) for j, graph in enumerate(graphs)]
        sources = [task(tasks.write_sources, k, str(self.scratch), self.nodes.base, schema,
                        *[task(tasks.part_sources, part, k, name="part-sources", index=(j, k))
                          for j, part in enumerate(written)],
                        name="write-sources", index=(k,)) for k in range(self.sources.count)]
        counts = [task(tasks.part_counts, part, name="part-counts", index=(j,))
                  for j, part in enumerate(written)]
        return sources, counts

    def _identities(self, reads: list[Future]) -> list[list[Future]]:
        """For each share of the files, the article identity of every URL it asks about:
        the URL table is made by bucket (the smallest identity claimed wins) and asked by
        bucket, so no task ever holds all of it."""
        task, buckets = self._task, range(self.buckets)
        made = [task(tasks.identities, read, self.buckets, name="identities", index=(i,))
                for i, read in enumerate(reads)]
        tables = [task(tasks.alias_table,
                       *[task(tasks.pick, ids, 0, b, name="claimed", index=(i, b))
                         for i, ids in enumerate(made)],
                       name="url-table", index=(b,)) for b in buckets]
        return [[task(tasks.look_up, tables[b],
                      task(tasks.pick, ids, 1, b, name="asked", index=(i, b)),
                      name="look-up", index=(i, b)) for b in buckets]
                for i, ids in enumerate(made)]

    def _outputs(self) -> list[Path]:
        stems = [f"nodes-{j:05d}" for j in range(self.nodes.count)] + \
            [f"sources-{k:05d}" for k in range(self.sources.count)]
        if self.cluster.partitioned:
            return shard_parts(self.scratch, stems, self.out)
        return join_parts(self.scratch, stems, self.out)


def _report_reads(reads: list[Future], sizes: list[int], progress: Progress | None) -> None:
    if progress is None:
        return
    total, done = sum(sizes), [0]

    def read(size: int):
        def done_callback(_future: Future) -> None:
            done[0] += size
            progress(done[0], total)
        return done_callback

    for future, size in zip(reads, sizes, strict=True):
        future.add_done_callback(read(size))

"""The build: files -> records -> KnowledgeGraph -> output files."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import networkx as nx
from rdflib import Graph

from . import rdf
from .analytics import to_networkx
from .extract import extract_graph
from .graph import KnowledgeGraph
from .identity import DEFAULT_BASE_IRI, IriMinter
from .model import Problem, Record, Severity
from .report import write_warnings
from .sources import ReadOptions, default_taxonomy, discover, read_file
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


SKIPPED_FILE = "skipped the file"


@dataclass
class Build:
    """A built graph with what went into it: `.graph`, `.rdf` (rdflib), `.nx` (networkx)."""

    graph: KnowledgeGraph
    problems: list[Problem]
    files_read: int
    files_ignored: int
    options: BuildOptions = field(default_factory=BuildOptions)

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
    for done, item in enumerate(files, 1):
        result = read_file(item, options.read)
        records.extend(result.records)
        problems.extend(result.problems)
        ignored += result.skipped and not result.problems
        if progress:
            progress(done, len(files))
    graph, extract_problems = extract_graph(records, IriMinter(options.base_iri))
    problems.extend(extract_problems)
    problems.sort(key=lambda p: (p.source, p.line or 0, p.field or ""))
    return Build(graph, problems, len(files) - ignored, ignored, options)


OUTPUTS = {"graph.ttl": "turtle", "graph.nt": "ntriples", "graph.nq": "nquads"}


def write_outputs(result: Build, out_dir: str | os.PathLike) -> list[Path]:
    """Write every output file into `out_dir`, each replaced atomically."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, fmt in OUTPUTS.items():
        rdf.write(result.graph, out / name, fmt, result.options.schema)
        written.append(out / name)
    written.append(fill_store(out))
    written.append(write_html(result.graph, out / "graph.html"))
    written.append(write_warnings(result.problems, out / "warnings.json"))
    return written

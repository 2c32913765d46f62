"""What a build is asked to do (`BuildOptions`), what it tells (`BuildReport`), and the name of
every file it writes into the output folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .identity import DEFAULT_BASE_IRI
from .model import Problem
from .sources import ReadOptions
from .stories import DEFAULT_WINDOW_DAYS
from .vocab import SCHEMA_HTTPS

TURTLE_FILE = "graph.ttl"
TRIPLES_FILE = "graph.nt"
QUADS_FILE = "graph.nq"
HTML_FILE = "graph.html"
WARNINGS_FILE = "warnings.json"
STORE_DIR = "store"
STATE_DIR = ".kg-cache"  # what the next build needs to know of this one


@dataclass(frozen=True, slots=True)
class BuildOptions:
    """How to build: where IRIs live, which schema.org scheme, input limits, and what to keep."""

    base_iri: str = DEFAULT_BASE_IRI
    schema: str = SCHEMA_HTTPS
    read: ReadOptions = field(default_factory=ReadOptions)
    default_taxonomy: bool = True
    # Parse files in this many processes; None picks by the number of files and CPUs.
    workers: int | None = None
    # Where the previous build's state lives (usually OUT/.kg-cache); None builds afresh.
    cache_dir: Path | None = None
    # The embedded store also holds one named graph per source file (GRAPH ?g).
    provenance: bool = False
    # Group articles that report the same news into stories (kg/stories.py), comparing
    # articles at most this many days apart.
    stories: bool = True
    story_window: float = DEFAULT_WINDOW_DAYS


@dataclass(frozen=True, slots=True)
class ClusterOptions:
    """How to build on a Dask cluster (`kg build --engine dask`)."""

    # The scheduler's address (tcp://host:port); None starts a cluster of local processes.
    scheduler: str | None = None
    # graph.nt, graph.nq and graph.ttl as folders of part-NNNNN files instead of one file each.
    partitioned: bool = False
    view: bool = True  # graph.html
    store: bool = True  # the embedded SPARQL store


@dataclass(frozen=True, slots=True)
class BuildReport:
    """What `kg build` tells its user: the summary, the warnings and the files written."""

    summary: dict[str, object]
    warnings: list[Problem]
    written: list[Path]
    # True when nothing had changed since the last build, whose outputs were kept.
    kept: bool = False
    # True when graph.nt and graph.nq were patched from the last build's, not written in full.
    patched: bool = False
    # Seconds spent filling the store once the graph files were written (what `kg bench`
    # reports of it); 0 when the outputs were kept.
    store_seconds: float = 0.0
    # Why the previous build's state was not used, when it was there but could not be.
    notice: str | None = None

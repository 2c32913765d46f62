"""`kg bench`: the build against the floor (reading + C-loader YAML parse), measured in fresh
processes on a synthetic corpus, medians of several runs (SPEC §9).

Each measurement runs as `python -m kg.bench STAGE CORPUS OUT` in its own process, which prints
one JSON line: its own elapsed seconds (interpreter start-up and imports excluded, so the floor
and the build are timed alike). The parent reads the child's peak RSS from `os.wait4`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .incremental.state import RACY_NS
from .options import QUADS_FILE, STATE_DIR, TRIPLES_FILE, TURTLE_FILE, BuildOptions

STAGES = ("floor", "build", "unchanged", "rebuild", "turtle", "queries", "provenance")
SCHEDULER_ENV = "KG_BENCH_SCHEDULER"  # the dask stage's scheduler (kg bench --scheduler)


@dataclass
class Measure:
    seconds: float
    rss_mb: float  # the largest process's peak
    detail: dict = field(default_factory=dict)
    memory_mb: float | None = None  # the peak of all its processes together (TreeMemory)


@dataclass
class DaskRow:
    """The Dask engine beside the local one, on the same corpus in the same run."""

    where: str  # the scheduler's address, or how many local worker processes
    build_s: float
    # The client's own peak (it must not hold the graph): until the graph files were written,
    # and with the store's filling, which happens in the client as in the local build; and
    # that of every process of the run together, a local cluster's workers included.
    client_graph_mb: float
    client_rss_mb: float
    memory_mb: float | None
    same_bytes: bool  # graph.nt, graph.nq and graph.ttl equal to the local build's


@dataclass
class Row:
    articles: int
    files: int
    triples: int
    floor_s: float
    build_s: float
    unchanged_s: float
    # Whether every run's build with nothing changed kept the outputs (see kg/incremental).
    unchanged_kept: bool
    rebuild_s: float
    turtle_s: float
    build_rss_mb: float
    # The peak of the build's processes together, PSS (see TreeMemory); None off Linux.
    build_memory_mb: float | None
    # CPU seconds of the build, all processes: over the cores, the least time it could take.
    build_cpu_s: float
    # Of the build's seconds, those spent filling the store once the child that writes the
    # graph files had ended.
    store_s: float
    queries_ms: dict[str, float]
    # A clean build with --provenance (named graphs in the store), and source-of-facts on it.
    provenance_s: float = 0.0
    provenance_query_ms: float = 0.0
    # The same clean build with `--engine dask` (kg bench --engine dask), when asked for.
    dask: DaskRow | None = None

    @property
    def build_ratio(self) -> float:
        return self.build_s / self.floor_s

    @property
    def rebuild_share(self) -> float:
        return self.rebuild_s / self.build_s

    @property
    def cpu_bound_s(self) -> float:
        """The build's CPU seconds spread perfectly over this machine's cores."""
        return self.build_cpu_s / (os.cpu_count() or 1)

    @property
    def turtle_ratio(self) -> float:
        return self.turtle_s / self.floor_s

    def to_dict(self) -> dict:
        return {**asdict(self), "build_ratio": round(self.build_ratio, 2),
                "turtle_ratio": round(self.turtle_ratio, 2),
                "rebuild_share": round(self.rebuild_share, 3),
                "unchanged_share": round(self.unchanged_s / self.build_s, 3),
                "build_us_per_file": round(self.build_s / self.files * 1e6, 1),
                "cpu_bound_s": round(self.cpu_bound_s, 2)}


# --- the stages, each run in a fresh process -----------------------------------------------

def _floor(corpus: Path, out: Path) -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    files = 0
    for path in sorted(corpus.rglob("*.md")):
        text = path.read_text("utf-8")
        end = text.find("\n---", 3)
        yaml.load(text[4:end], Loader=loader)
        files += 1
    return {"files": files}


def _build(corpus: Path, out: Path) -> dict:
    """A clean build as `kg build` does it: no cache to read, the cache written for later."""
    import shutil

    from kg.pipeline import build_and_write

    shutil.rmtree(out / STATE_DIR, ignore_errors=True)
    start, cpu = time.perf_counter(), _cpu_seconds()
    report = build_and_write([corpus], _options(out), out)
    return {"seconds": time.perf_counter() - start, "articles": report.summary["articles"],
            "cpu_s": _cpu_seconds() - cpu, "store_s": report.store_seconds}


def _options(out: Path) -> BuildOptions:
    """What `kg build` does by default, with or without stories as `kg bench` was asked."""
    return BuildOptions(cache_dir=out / STATE_DIR, stories=_STORIES[0])


def _cpu_seconds() -> float:
    """CPU time of this process and of every process it has waited for (the build's child,
    and through it the parsing workers): how much work the build was, whatever the cores."""
    import resource

    return sum(usage.ru_utime + usage.ru_stime for usage in
               (resource.getrusage(resource.RUSAGE_SELF),
                resource.getrusage(resource.RUSAGE_CHILDREN)))


def _unchanged(corpus: Path, out: Path) -> dict:
    """The build again, with nothing changed since the clean one."""
    from kg.pipeline import build_and_write

    start = time.perf_counter()
    report = build_and_write([corpus], _options(out), out)
    return {"seconds": time.perf_counter() - start, "kept": report.kept}


def _rebuild(corpus: Path, out: Path) -> dict:
    """A rebuild after one file changed, with the cache the clean build left."""
    from kg.pipeline import build_and_write

    edited = min(corpus.rglob("*.md"))
    original = edited.read_bytes()
    edited.write_bytes(original + b"\nOne more line, edited for the benchmark.\n")
    try:
        start = time.perf_counter()
        report = build_and_write([corpus], _options(out), out)
        seconds = time.perf_counter() - start
    finally:
        edited.write_bytes(original)
    return {"seconds": seconds, "cached": report.summary["files_cached"]}


def _turtle(corpus: Path, out: Path) -> dict:
    """Only the Turtle write is timed: the graph is built first, outside the clock."""
    import pyoxigraph as ox

    import kg
    from kg.fileio import atomic_path
    from kg.rdf import TripleWriter
    from kg.vocab import prefixes

    result = kg.build([corpus])
    start = time.perf_counter()
    text = "".join(TripleWriter(result.graph).ntriples()).encode("utf-8")
    with atomic_path(out / "bench-graph.ttl") as tmp:
        ox.serialize(ox.parse(text, ox.RdfFormat.N_TRIPLES), str(tmp), ox.RdfFormat.TURTLE,
                     prefixes=prefixes())
    return {"seconds": time.perf_counter() - start}


def _provenance(corpus: Path, out: Path) -> dict:
    """A clean build whose store also holds a named graph per file, and the query that needs it."""
    import shutil

    from kg.pipeline import BuildOptions, build_and_write
    from kg.store import bundled_queries, open_store, read_query, run_query

    target = out.with_name(out.name + "-provenance")
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    build_and_write([corpus], BuildOptions(provenance=True, stories=_STORIES[0]), target)
    seconds = time.perf_counter() - start
    query = time.perf_counter()
    answer = run_query(open_store(target), read_query(str(bundled_queries()["source-of-facts"])))
    rows = sum(1 for _ in answer.result)
    return {"seconds": seconds, "rows": rows,
            "query_ms": round((time.perf_counter() - query) * 1000, 1)}


def _dask(corpus: Path, out: Path) -> dict:
    """A clean build on Dask: a cluster of local processes, or the scheduler at
    $KG_BENCH_SCHEDULER; then whether its graph files are the local build's bytes."""
    import resource
    import shutil

    from kg.options import ClusterOptions
    from kg.pipeline import BuildOptions, build_and_write

    target = out.with_name(out.name + "-dask")
    shutil.rmtree(target, ignore_errors=True)
    scheduler = os.environ.get(SCHEDULER_ENV) or None
    with _OwnMemory() as memory:
        start = time.perf_counter()
        report = build_and_write([corpus], BuildOptions(stories=_STORIES[0]), target,
                                 cluster=ClusterOptions(scheduler))
        end = time.perf_counter()
    same = all(_digest(out / name) == _digest(target / name)
               for name in (TRIPLES_FILE, QUADS_FILE, TURTLE_FILE))
    return {"seconds": end - start, "articles": report.summary["articles"], "same_bytes": same,
            "where": scheduler or f"{os.cpu_count()} local worker processes",
            "client_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "client_graph_mb": memory.peak_mb(until=end - report.store_seconds)}


class _OwnMemory(threading.Thread):
    """This process's resident memory, sampled while it runs: its peak up to a moment."""

    def __init__(self, every_s: float = 0.05) -> None:
        super().__init__(name="kg-bench-own-memory", daemon=True)
        self._every_s, self._done = every_s, threading.Event()
        self.samples: list[tuple[float, int]] = []

    def __enter__(self) -> _OwnMemory:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._done.wait(self._every_s):
            with open("/proc/self/statm") as statm:
                self.samples.append((time.perf_counter(), int(statm.read().split()[1]) * page))

    def peak_mb(self, until: float) -> float:
        return round(max((rss for at, rss in self.samples if at <= until), default=0) / 2**20, 1)


def _digest(path: Path) -> str:
    import hashlib

    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "blake2b").hexdigest()


def _queries(corpus: Path, out: Path) -> dict:
    from kg.store import bundled_queries, open_store, read_query, run_query

    store = open_store(out)
    timings = {}
    for name, path in bundled_queries().items():
        start = time.perf_counter()
        answer = run_query(store, read_query(str(path)))
        if answer.kind == "select":
            sum(1 for _ in answer.result)
        timings[name] = round((time.perf_counter() - start) * 1000, 1)
    return {"queries_ms": timings}


_RUNNERS: dict[str, Callable[[Path, Path], dict]] = {
    "floor": _floor, "build": _build, "unchanged": _unchanged, "rebuild": _rebuild,
    "turtle": _turtle, "queries": _queries, "provenance": _provenance, "dask": _dask}


# Whether the builds measured group stories (`kg bench --no-stories` measures without).
_STORIES = [True]


def _child(stage: str, corpus: str, out: str, stories: str = "stories") -> None:
    _STORIES[0] = stories == "stories"
    start = time.perf_counter()
    detail = _RUNNERS[stage](Path(corpus), Path(out))
    seconds = detail.pop("seconds", time.perf_counter() - start)
    print(json.dumps({"seconds": seconds, "detail": detail}))


def measure(stage: str, corpus: Path, out: Path, stories: bool = True) -> Measure:
    """Run one stage in a fresh interpreter; its time and its peak memory: that of its
    largest process, and that of all its processes together."""
    with tempfile.TemporaryFile("w+") as stdout:
        process = subprocess.Popen([sys.executable, "-m", "kg.bench", stage, str(corpus),
                                    str(out), "stories" if stories else "no-stories"],
                                   stdout=stdout)
        with TreeMemory(process.pid) as memory:
            _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise RuntimeError(f"bench stage {stage} failed with exit {process.returncode}")
        stdout.seek(0)
        answer = json.loads(stdout.read().strip().splitlines()[-1])
    return Measure(answer["seconds"], usage.ru_maxrss / 1024, answer["detail"],
                   memory.peak_mb)


class TreeMemory(threading.Thread):
    """The peak memory of a process and its descendants together, sampled while it runs.

    A build is several processes at once (the parent filling the store or writing Turtle,
    the child holding the graph, the parsing workers), and the kernel's peak (ru_maxrss) is
    that of the largest alone. Each process counts its proportional set size (PSS: a page
    shared by n processes counts 1/n in each), so pages a fork shares are not counted twice.
    None where /proc cannot tell (not Linux).
    """

    def __init__(self, pid: int, every_s: float = 0.1) -> None:
        super().__init__(name="kg-bench-memory", daemon=True)
        self._pid, self._every_s = pid, every_s
        self._done = threading.Event()
        self._peak: int | None = None

    def __enter__(self) -> TreeMemory:
        if Path(f"/proc/{self._pid}/smaps_rollup").exists():
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self.is_alive():
            self.join()

    @property
    def peak_mb(self) -> float | None:
        return None if self._peak is None else self._peak / 2**20

    def run(self) -> None:
        while not self._done.wait(self._every_s):
            total = sum(_pss(pid) for pid in _tree(self._pid))
            self._peak = max(self._peak or 0, total)


def _tree(root: int) -> list[int]:
    """`root` and its descendants still running (children are listed per thread)."""
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    todo.extend(int(child) for child in children.read().split())
        except OSError:  # it ended meanwhile
            continue
    return found


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # it ended meanwhile
        pass
    return 0


# --- the whole benchmark -------------------------------------------------------------------

def corpus_for(n: int, data_dir: Path, seed: int = 0) -> Path:
    """The synthetic corpus of `n` articles, generated once and kept for later runs."""
    from .bench_corpus import write_corpus

    folder = data_dir / f"corpus-{n}-seed{seed}"
    done = folder / ".complete"
    if not done.exists():
        write_corpus(folder, n, seed)
        done.touch()
        # Only a stat taken when a file was this old vouches for its content (see
        # incremental.state): the build with nothing changed would otherwise find them unproven.
        time.sleep(RACY_NS / 1e9)
    return folder


def bench_size(n: int, data_dir: Path, runs: int, report: Callable[[str], None],
               dask: bool = False, stories: bool = True) -> Row:
    """Every stage at one size, `runs` times; with `dask`, the Dask engine's build too, right
    after the local engine's, in each run."""
    corpus = corpus_for(n, data_dir)
    out = data_dir / f"out-{n}"
    # Right after the local build, whose graph files it is compared with (the rebuild stage
    # leaves them made from an edited file).
    stages = (*STAGES[:2], "dask", *STAGES[2:]) if dask else STAGES
    samples: dict[str, list[Measure]] = {stage: [] for stage in stages}
    for run in range(runs):
        for stage in stages:
            if stage == "provenance" and run:  # a build of its own: once is enough
                continue
            samples[stage].append(measure(stage, corpus, out, stories))
            report(f"{n:,} articles, run {run + 1}/{runs}: {stage} "
                   f"{samples[stage][-1].seconds:.2f} s")
    names = samples["queries"][0].detail["queries_ms"]
    return Row(
        articles=samples["build"][0].detail["articles"],
        files=samples["floor"][0].detail["files"],
        triples=_lines(out / TRIPLES_FILE),
        floor_s=_median(samples["floor"]),
        build_s=_median(samples["build"]),
        unchanged_s=_median(samples["unchanged"]),
        unchanged_kept=all(m.detail["kept"] for m in samples["unchanged"]),
        rebuild_s=_median(samples["rebuild"]),
        turtle_s=_median(samples["turtle"]),
        build_rss_mb=round(max(m.rss_mb for m in samples["build"]), 1),  # the worst run
        build_memory_mb=_worst(m.memory_mb for m in samples["build"]),
        build_cpu_s=_median_of(samples["build"], "cpu_s"),
        store_s=_median_of(samples["build"], "store_s"),
        queries_ms={q: statistics.median(m.detail["queries_ms"][q] for m in samples["queries"])
                    for q in names},
        provenance_s=_median(samples["provenance"]),
        provenance_query_ms=samples["provenance"][0].detail["query_ms"],
        dask=_dask_row(samples["dask"]) if dask else None,
    )


def _dask_row(measures: list[Measure]) -> DaskRow:
    return DaskRow(where=measures[0].detail["where"], build_s=_median(measures),
                   client_graph_mb=max(m.detail["client_graph_mb"] for m in measures),
                   client_rss_mb=round(max(m.detail["client_rss_mb"] for m in measures), 1),
                   memory_mb=_worst(m.memory_mb for m in measures),
                   same_bytes=all(m.detail["same_bytes"] for m in measures))


def _lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def _median(measures: list[Measure]) -> float:
    return round(statistics.median(m.seconds for m in measures), 3)


def _worst(values: Iterable[float | None]) -> float | None:
    known = [value for value in values if value is not None]
    return round(max(known), 1) if known else None


def _median_of(measures: list[Measure], name: str) -> float:
    return round(statistics.median(m.detail[name] for m in measures), 3)


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": sys.version.split()[0],
            "platform": sys.platform}


if __name__ == "__main__":
    _child(*sys.argv[1:5])

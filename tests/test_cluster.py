"""`kg build --engine dask` on a real cluster: a `dask scheduler` and `dask worker` processes on
127.0.0.1, started here and stopped by their PIDs. The local engine's files are the reference:
the cluster must write the same bytes, with the same warnings, whatever happens to a worker."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kg.bench_corpus import write_corpus

distributed = pytest.importorskip("distributed")

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "data" / "hostile"
SEEDS = ROOT / "examples" / "articles"
GRAPH_FILES = ("graph.nt", "graph.nq", "graph.ttl", "warnings.json")
DASK = [sys.executable, "-m", "dask"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A scheduler and workers, each a process of its own, stopped by PID."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.processes: list[subprocess.Popen] = []
        self.scheduler = self._start("scheduler", "--host", "127.0.0.1", "--port",
                                     str(self.port), "--no-dashboard")
        self.client = self._client()
        self.client.get_task_stream()  # starts the scheduler's record of every task run
        self.workers: list[subprocess.Popen] = []

    def _start(self, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{args[0]}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen([*DASK, *args], stdout=log, stderr=subprocess.STDOUT,
                                   cwd=self.folder)
        self.processes.append(process)
        return process

    def _client(self):
        deadline = time.monotonic() + 60
        while True:
            try:
                return distributed.Client(self.address, timeout=5, set_as_default=False)
            except OSError:
                if time.monotonic() > deadline:
                    raise

    def add_worker(self) -> subprocess.Popen:
        """One worker process (no nanny: the PID is the worker itself), one thread."""
        worker = self._start("worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                             "--no-nanny", "--no-dashboard", "--name", f"w{len(self.processes)}")
        self.workers.append(worker)
        alive = sum(w.poll() is None for w in self.workers)
        self.client.wait_for_workers(alive, timeout=60)
        return worker

    def worker_pids(self) -> dict[str, int]:
        """Each connected worker's address and process ID."""
        return self.client.run(os.getpid)

    def stop(self) -> None:
        self.client.close()
        for process in reversed(self.processes):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    running = Cluster(tmp_path_factory.mktemp("dask"))
    try:
        running.add_worker()
        running.add_worker()
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "articles"
    write_corpus(folder, 20000, seed=5)
    return folder


def kg_build(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kg", "build", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def assert_same_files(local: Path, clustered: Path) -> None:
    for name in GRAPH_FILES:
        assert (clustered / name).read_bytes() == (local / name).read_bytes(), name


def test_corpus_with_bad_files_gives_the_local_bytes_and_warnings(cluster, corpus, tmp_path):
    local = kg_build(corpus, HOSTILE, "-o", tmp_path / "local", "--no-cache")
    start = time.time()
    clustered = kg_build(corpus, HOSTILE, "-o", tmp_path / "dask", "--engine", "dask",
                         "--scheduler", cluster.address)
    assert clustered.returncode == local.returncode == 0, clustered.stderr
    assert_same_files(tmp_path / "local", tmp_path / "dask")
    warnings = [line for line in local.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) >= 20 and "bad-01-invalid-yaml.md" in local.stderr
    assert [line for line in clustered.stderr.splitlines()
            if line.startswith("warning:")] == warnings
    assert clustered.stdout.splitlines()[0] == local.stdout.splitlines()[0]  # the summary
    # The work ran on the workers: every read of a share of the files, on worker processes.
    stream = cluster.client.get_task_stream(start=start)
    reads = [task for task in stream if task["key"][0].startswith("kg-read-")
             and not task["key"][0].startswith("kg-read-facts")]
    assert reads and {task["worker"] for task in reads} <= set(cluster.worker_pids())
    kinds = {re.sub(r"-[0-9a-f]{12}$", "", task["key"][0]) for task in stream}
    assert {"kg-read", "kg-extract", "kg-finish", "kg-freeze", "kg-write",
            "kg-url-table", "kg-view", "kg-stories"} <= kinds
    assert os.getpid() not in cluster.worker_pids().values()


@pytest.mark.slow
def test_20000_articles_same_bytes_even_when_a_worker_is_killed(cluster, synthetic, tmp_path):
    local = kg_build(synthetic, "-o", tmp_path / "local", "--no-cache")
    assert local.returncode == 0, local.stderr
    plain = kg_build(synthetic, "-o", tmp_path / "dask", "--engine", "dask",
                     "--scheduler", cluster.address)
    assert plain.returncode == 0, plain.stderr
    assert_same_files(tmp_path / "local", tmp_path / "dask")
    assert plain.stdout.splitlines()[0] == local.stdout.splitlines()[0]

    victim = cluster.workers[0]
    start = time.time()
    build = subprocess.Popen([sys.executable, "-m", "kg", "build", str(synthetic), "-o",
                              str(tmp_path / "killed"), "--engine", "dask", "--scheduler",
                              cluster.address], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    victim_address = next(address for address, pid in cluster.worker_pids().items()
                          if pid == victim.pid)
    _wait_for_tasks_on(cluster, victim_address, start)
    time.sleep(2)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    assert build.poll() is None, "the build ended before the worker was killed"
    out, err = build.communicate(timeout=600)
    assert build.returncode == 0, err
    assert_same_files(tmp_path / "local", tmp_path / "killed")
    assert out.splitlines()[0] == local.stdout.splitlines()[0]
    cluster.add_worker()  # back to two, for the tests that follow


def _wait_for_tasks_on(cluster: Cluster, address: str, start: float) -> None:
    """Until the worker has begun the build's work."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        processing = cluster.client.processing(workers=[address]).get(address, ())
        if any(str(key).find("kg-") >= 0 for key in processing):
            return
        time.sleep(0.2)
    pytest.fail("the build's tasks never reached the worker")


def test_partitioned_shards_join_into_graph_nq_and_oxigraph_loads_them(cluster, corpus,
                                                                      tmp_path):
    whole = kg_build(corpus, "-o", tmp_path / "whole", "--engine", "dask", "--scheduler",
                     cluster.address, "--no-view", "--no-store")
    shards = kg_build(corpus, "-o", tmp_path / "shards", "--engine", "dask", "--scheduler",
                      cluster.address, "--partitioned", "--no-view", "--no-store")
    assert whole.returncode == shards.returncode == 0, shards.stderr
    assert "without the HTML view and the SPARQL store" in shards.stderr
    assert not (tmp_path / "shards" / "graph.html").exists()
    assert not (tmp_path / "shards" / "store").exists()
    for name, suffix in (("graph.nq", "nq"), ("graph.nt", "nt")):
        parts = sorted((tmp_path / "shards" / name).iterdir())
        assert len(parts) >= 3 and all(p.name.startswith("part-") for p in parts)
        assert all(p.suffix == f".{suffix}" for p in parts)
        assert b"".join(p.read_bytes() for p in parts) == \
            (tmp_path / "whole" / name).read_bytes()
    # oxigraph's own bulk loader takes the folder's shards as they are.
    quads = sorted(str(p) for p in (tmp_path / "shards" / "graph.nq").iterdir())
    loaded = subprocess.run(["oxigraph", "load", "--location", str(tmp_path / "ox"),
                             "--file", *quads], capture_output=True, text=True, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    import pyoxigraph as ox

    store = ox.Store.read_only(str(tmp_path / "ox"))
    lines = (tmp_path / "whole" / "graph.nq").read_bytes().count(b"\n")
    assert len(store) == lines
    # Each Turtle shard stands alone: parsed strictly, they hold every triple.
    triples = sum(len(list(ox.parse(path=str(part), format=ox.RdfFormat.TURTLE)))
                  for part in (tmp_path / "shards" / "graph.ttl").iterdir())
    assert triples == (tmp_path / "whole" / "graph.nt").read_bytes().count(b"\n")


def test_an_unreachable_scheduler_fails_in_one_line_with_exit_2(tmp_path):
    port = _free_port()  # nothing listens there
    start = time.monotonic()
    result = kg_build(SEEDS, "-o", tmp_path / "out", "--engine", "dask", "--scheduler",
                      f"tcp://127.0.0.1:{port}", timeout=60)
    seconds = time.monotonic() - start
    assert result.returncode == 2
    assert seconds < 30
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and f"127.0.0.1:{port}" in lines[0] and "dask scheduler" in lines[0]
    assert not (tmp_path / "out" / "graph.nt").exists()


def test_a_malformed_address_is_told_at_once(tmp_path):
    result = kg_build(SEEDS, "-o", tmp_path / "out", "--engine", "dask", "--scheduler",
                      "tcp://[::1", timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Error: 'tcp://[::1' is not a Dask scheduler address: give one such as "
        "tcp://10.0.0.5:8786"]


def test_cluster_flags_need_the_dask_engine(tmp_path):
    result = kg_build(SEEDS, "-o", tmp_path / "out", "--partitioned")
    assert result.returncode == 2 and "--partitioned only go with --engine dask" in result.stderr


def test_the_local_engine_imports_nothing_of_dask(tmp_path):
    code = ("import sys; from kg.pipeline import build_and_write, BuildOptions; "
            f"build_and_write([{str(SEEDS)!r}], BuildOptions(), {str(tmp_path)!r}); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"

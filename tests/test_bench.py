"""`kg bench` itself, on a tiny corpus: every stage runs in its own process and is reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from kg.bench import TreeMemory
from kg.store import bundled_queries

KG = shutil.which("kg")


def test_bench_runs_every_stage_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([KG, "bench", "--articles", "60", "--runs", "1", "--data",
                           str(tmp_path / "data"), "--json-out", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "build/floor" in done.stdout
    (row,) = json.loads(out.read_text())["sizes"]
    assert row["files"] == 60
    assert row["articles"] >= 60 and row["triples"] > 60 * 20
    assert 0 < row["floor_s"] < row["build_s"]
    assert row["rebuild_s"] > 0 and row["turtle_s"] > 0
    # With nothing changed the outputs are kept: far quicker than the build that wrote them.
    assert row["unchanged_kept"] and row["unchanged_s"] < row["build_s"] / 2
    assert row["build_rss_mb"] > 50
    assert row["build_memory_mb"] > 50
    # The build's CPU counts its child and workers: it parses every file (the floor's work)
    # and fills the store besides, so it is more than the floor's time, and it spreads over
    # the cores no better than perfectly.
    assert row["floor_s"] < row["build_cpu_s"]
    assert row["cpu_bound_s"] <= row["build_s"] + 0.5
    # The store fills after the child has written the graph files: part of the build.
    assert 0 < row["store_s"] < row["build_s"]
    assert "build CPU s" in done.stdout
    assert set(row["queries_ms"]) == set(bundled_queries()) and len(row["queries_ms"]) >= 10
    # --provenance on its own line: a build of its own, whose store answers source-of-facts.
    assert row["provenance_s"] > row["floor_s"] and row["provenance_query_ms"] > 0
    assert "60 files with --provenance" in done.stdout


def test_tree_memory_adds_up_every_process_of_the_tree():
    """A process that holds 150 MB while its child holds 250 MB: the largest process alone
    peaks near 250 MB, the two together near 400 MB."""
    script = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    held = bytearray(250 * 2**20); time.sleep(1.5); os._exit(0)\n"
        "held = bytearray(150 * 2**20)\n"
        "os.wait()\n")
    process = subprocess.Popen([sys.executable, "-c", script])
    with TreeMemory(process.pid, every_s=0.05) as memory:
        _, _, usage = os.wait4(process.pid, 0)
    largest = usage.ru_maxrss / 1024
    assert 240 < largest < 300
    assert 390 < memory.peak_mb < 450

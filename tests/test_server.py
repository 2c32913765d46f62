"""`kg load` into a real Oxigraph server, and `kg serve`, both over real HTTP on 127.0.0.1."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
from conftest import SEEDS

KG = shutil.which("kg")
OXIGRAPH = shutil.which("oxigraph")
EDITED = "004_3fb1a64c97925093.txt"
OLD_TITLE = "Security, Privacy Risks of Artificial Intelligence in Healthcare"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            requests.get(url, params={"query": "ASK {}"}, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if process.poll() is None:
        os.kill(process.pid, sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def kg(*args: str) -> subprocess.CompletedProcess:
    assert KG, "the kg command is not on PATH: pip install ."
    return subprocess.run([KG, *args], capture_output=True, text=True, timeout=120)


def sparql(endpoint: str, query: str, accept: str = "application/sparql-results+json"):
    response = requests.post(endpoint, data={"query": query}, headers={"Accept": accept},
                             timeout=30)
    response.raise_for_status()
    return response


def count(endpoint: str, pattern: str) -> int:
    answer = sparql(endpoint, f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}").json()
    return int(answer["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def oxigraph_server(tmp_path) -> Iterator[str]:
    """A real `oxigraph serve` on a free port with its own folder, stopped by its PID."""
    assert OXIGRAPH, "the oxigraph server is not on PATH: pip install oxigraph"
    port = free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(tmp_path / "db"),
                                "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/query", process)
        yield base
    finally:
        stop(process)


@pytest.fixture
def articles(tmp_path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


def remote_triples(base: str) -> set[ox.Triple]:
    body = sparql(f"{base}/query", "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }",
                  accept="application/n-triples").content
    return set(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))


def test_load_holds_every_triple_and_replaces_edited_files(oxigraph_server, articles, tmp_path):
    out = tmp_path / "out"
    assert kg("build", str(articles), "-o", str(out), "-q").returncode == 0
    loaded = kg("load", f"{oxigraph_server}/store", "-o", str(out))
    assert loaded.returncode == 0, loaded.stderr

    local = set(ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE))
    assert remote_triples(oxigraph_server) == local
    quads = count(f"{oxigraph_server}/query", "GRAPH ?g { ?s ?p ?o }")
    assert count(f"{oxigraph_server}/query", "GRAPH ?g { ?s ?p ?o FILTER isBlank(?s) }") == 0

    assert kg("load", f"{oxigraph_server}/store", "-o", str(out)).returncode == 0
    assert count(f"{oxigraph_server}/query", "GRAPH ?g { ?s ?p ?o }") == quads

    edited = articles / EDITED
    text = edited.read_text("utf-8")
    old_title = OLD_TITLE
    assert f'title: "{old_title}"' in text
    edited.write_text(text.replace(f'title: "{old_title}"', "title: Medicine meets AI", 1),
                      "utf-8")
    assert kg("build", str(articles), "-o", str(out), "-q").returncode == 0
    assert kg("load", f"{oxigraph_server}/store", "-o", str(out)).returncode == 0

    def titled(title: str) -> int:
        return count(f"{oxigraph_server}/query",
                     f'GRAPH ?g {{ ?a <https://schema.org/headline> "{title}" }}')

    assert titled("Medicine meets AI") == 1
    assert titled(old_title) == 0
    assert remote_triples(oxigraph_server) == set(
        ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE))


def test_load_says_clearly_when_no_server_answers(seeds_out):
    result = kg("load", f"http://127.0.0.1:{free_port()}/store", "-o", str(seeds_out))
    assert result.returncode == 2
    assert "cannot reach" in result.stderr and "is the store running" in result.stderr


def test_serve_answers_queries_and_refuses_updates(seeds_out):
    port = free_port()
    process = subprocess.Popen([KG, "serve", "--port", str(port), "-o", str(seeds_out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/query"
    try:
        wait_for(endpoint, process)
        assert count(endpoint, "?a a <https://schema.org/NewsArticle>") == 13
        update = requests.post(f"http://127.0.0.1:{port}/update", timeout=10, data={
            "update": 'INSERT DATA { <urn:x> <urn:y> "z" }'})
        assert update.status_code >= 400
        assert count(endpoint, "?s ?p \"z\"") == 0
    finally:
        code = stop(process, signal.SIGINT)
    assert code == 0
    with socket.socket() as sock:  # the oxigraph child went with it: nobody listens any more
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is fine
        sock.bind(("127.0.0.1", port))

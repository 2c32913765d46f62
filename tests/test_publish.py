"""Publishing into the stores people run: a real Virtuoso (Debian's package, started here with
its own ini, ports and database folder on 127.0.0.1) and a real `oxigraph serve`, both stopped
by PID. The bundled queries give the same rows on kg's store and on both servers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from conftest import SEEDS, corpus_or_skip
from test_server import KG, OXIGRAPH, free_port, kg, stop, wait_for

from kg.publish import server_reason
from kg.store import bundled_queries, open_store, run_query, serialize_answer

VIRTUOSO = shutil.which("virtuoso-t")
PASSWORD = "dba"  # a fresh Virtuoso database's dba password; never printed by kg load
EDITED = "004_3fb1a64c97925093.txt"
OLD_TITLE = "Security, Privacy Risks of Artificial Intelligence in Healthcare"
VIRTUOSO_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
DirsAllowed = .
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 4
MaxClientConnections = 4
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 300
MaxQueryCostEstimationTime = 0
"""


class Virtuoso:
    """One Virtuoso server in its own folder: its query and Graph Store endpoints."""

    def __init__(self, folder: Path) -> None:
        assert VIRTUOSO, "virtuoso-t is not installed: run tests/install-system-deps.sh"
        db = folder / "db"
        db.mkdir(parents=True)
        port = free_port()
        ini = folder / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(db=db, sql_port=free_port(), http_port=port))
        self.process = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(ini)],
                                        cwd=db, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        self.query, self.crud = f"{base}/sparql", f"{base}/sparql-graph-crud-auth"
        self.read_only = f"{base}/sparql-graph-crud"
        wait_for(self.query, self.process, seconds=60)

    def stop(self) -> None:
        stop(self.process)


@pytest.fixture(scope="session")
def virtuoso_factory(tmp_path_factory) -> Iterator:
    started: list[Virtuoso] = []

    def start() -> Virtuoso:
        started.append(Virtuoso(tmp_path_factory.mktemp("virtuoso")))
        return started[-1]

    try:
        yield start
    finally:
        for server in started:
            server.stop()


def oxigraph(folder: Path) -> tuple[subprocess.Popen, str]:
    assert OXIGRAPH, "the oxigraph server is not on PATH: pip install oxigraph"
    port = free_port()
    process = subprocess.Popen([OXIGRAPH, "serve", "--location", str(folder),
                                "--bind", f"127.0.0.1:{port}"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(f"{base}/query", process)
    return process, base


def build(articles: Path, out: Path, *extra: str) -> Path:
    built = kg("build", str(articles), "-o", str(out), "-q", *extra)
    assert built.returncode == 0, built.stderr
    return out


def load(url: str, out: Path, *extra: str, password: str | None = PASSWORD,
         user: str | None = "dba") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "KG_LOAD_PASSWORD"}
    if password is not None:
        env["KG_LOAD_PASSWORD"] = password
    return subprocess.run([KG, "load", url, "-o", str(out), *extra,
                           *(["--user", user] if user else [])],
                          capture_output=True, text=True, timeout=300, env=env,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def corpus_built(tmp_path_factory) -> Path:
    # --provenance: source-of-facts.rq reads the per-file graphs on kg's store too.
    return build(corpus_or_skip(), tmp_path_factory.mktemp("publish-corpus"), "--provenance")


@pytest.fixture(scope="module")
def servers(corpus_built, virtuoso_factory, tmp_path_factory) -> Iterator[dict[str, str]]:
    """The corpus loaded once into a Virtuoso (Digest auth) and an `oxigraph serve`."""
    virtuoso = virtuoso_factory()
    into_virtuoso = load(virtuoso.crud, corpus_built)
    assert into_virtuoso.returncode == 0, into_virtuoso.stderr
    process, base = oxigraph(tmp_path_factory.mktemp("oxigraph-db"))
    try:
        into_oxigraph = load(f"{base}/store", corpus_built, user=None)
        assert into_oxigraph.returncode == 0, into_oxigraph.stderr
        assert "(into the default graph)" in into_oxigraph.stdout
        yield {"virtuoso": virtuoso.query, "oxigraph": f"{base}/query",
               "virtuoso-load": into_virtuoso.stdout + into_virtuoso.stderr, "virtuoso-crud": virtuoso.crud,
               "virtuoso-read-only": virtuoso.read_only}
    finally:
        stop(process)


def rows(results: dict) -> list[tuple]:
    """SPARQL JSON solutions as comparable rows. Numbers compare by value and booleans as
    0 and 1: Virtuoso writes COUNT as xsd:int and a boolean as an integer."""
    names = results["head"]["vars"]

    def value(term: dict | None):
        if term is None:
            return None
        kind = term.get("datatype", "").rsplit("#", 1)[-1]
        if kind == "boolean":
            return float(term["value"] in ("true", "1"))
        if kind in ("integer", "int", "long", "decimal", "double", "float"):
            return float(term["value"])
        return term["value"]

    return [tuple(value(b.get(n)) for n in names) for b in results["results"]["bindings"]]


def test_virtuoso_load_over_digest_never_shows_the_password(servers):
    assert "Loaded 930 named graphs and the merged graph" in servers["virtuoso-load"], \
        servers["virtuoso-load"]
    assert "graph/merged" in servers["virtuoso-load"]  # no default graph there: named
    assert PASSWORD not in servers["virtuoso-load"]


@pytest.mark.parametrize("name", sorted(bundled_queries()))
def test_bundled_query_same_rows_on_every_engine(name, servers, corpus_built):
    text = bundled_queries()[name].read_text("utf-8")
    local = rows(json.loads(serialize_answer(run_query(open_store(corpus_built), text), "json")))
    assert local, f"{name} finds nothing on the corpus: a comparison of nothing proves nothing"
    ordered = "ORDER BY" in text
    for engine in ("oxigraph", "virtuoso"):
        response = requests.post(servers[engine], data={"query": text}, timeout=300,
                                 headers={"Accept": "application/sparql-results+json"})
        assert response.status_code == 200, f"{engine}: {server_reason(response.text)}"
        remote = rows(response.json())
        if ordered:
            assert remote == local, f"{name} on {engine}: {len(remote)} rows, kg {len(local)}"
        else:
            assert sorted(map(repr, remote)) == sorted(map(repr, local)), f"{name} on {engine}"


def test_refusals_say_why_and_exit_non_zero(servers, corpus_built):
    wrong = load(servers["virtuoso-crud"], corpus_built, password="not-the-password")
    assert wrong.returncode != 0
    assert "HTTP 401" in wrong.stderr and "KG_LOAD_PASSWORD" in wrong.stderr
    assert "not-the-password" not in wrong.stdout + wrong.stderr

    read_only = load(servers["virtuoso-read-only"], corpus_built, user=None)
    assert read_only.returncode != 0
    assert "HTTP 403" in read_only.stderr
    assert "Permission denied for delete from DB.DBA.RDF_QUAD" in read_only.stderr
    assert "<" not in read_only.stderr.split("HTTP 403", 1)[1].split(" graph")[0]

    no_password = load(servers["virtuoso-crud"], corpus_built, password=None)
    assert no_password.returncode == 2 and "KG_LOAD_PASSWORD" in no_password.stderr


def test_a_server_that_does_not_answer_in_time_says_it_timed_out(seeds_out):
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        started = time.monotonic()
        result = load(f"http://127.0.0.1:{port}/store", seeds_out, "--timeout", "0.5",
                      user=None)
    assert result.returncode != 0
    assert "timed out" in result.stderr and "--timeout" in result.stderr
    assert time.monotonic() - started < 30


def test_edit_reload_and_drop_missing_on_both_servers(virtuoso_factory, tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    out = build(articles, tmp_path / "out")
    virtuoso = virtuoso_factory()
    process, base = oxigraph(tmp_path / "oxigraph-db")
    targets = {"virtuoso": (virtuoso.crud, virtuoso.query, "dba"),
               "oxigraph": (f"{base}/store", f"{base}/query", None)}
    try:
        for crud, _, user in targets.values():
            assert load(crud, out, user=user).returncode == 0

        edited = articles / EDITED
        text = edited.read_text("utf-8")
        assert f'title: "{OLD_TITLE}"' in text
        edited.write_text(text.replace(f'title: "{OLD_TITLE}"', "title: Medicine meets AI", 1),
                          "utf-8")
        gone = sorted(p for p in articles.iterdir() if p.is_file() and p.name != EDITED)[0]
        gone.unlink()
        build(articles, out)
        for engine, (crud, query, user) in targets.items():
            result = load(crud, out, "--drop-missing", user=user)
            assert result.returncode == 0, result.stderr
            assert "Dropping 1 graphs" in result.stderr and gone.name in result.stderr

            def ask(pattern: str, query: str = query) -> bool:
                # Virtuoso answers ASK in JSON as a one-row SELECT: count instead.
                answer = requests.post(query, data={
                    "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ {pattern} }}"},
                    headers={"Accept": "application/sparql-results+json"}, timeout=30)
                return rows(answer.json()) != [(0.0,)]

            headline = "<https://schema.org/headline>"
            assert ask(f'GRAPH ?g {{ ?a {headline} "Medicine meets AI" }}'), engine
            assert not ask(f'GRAPH ?g {{ ?a {headline} "{OLD_TITLE}" }}'), engine
            assert not ask(f'?a {headline} "{OLD_TITLE}"'), engine
            assert not ask(f"GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?g), \"{gone.name}\")) }}"
                           ), engine
    finally:
        stop(process)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_serve_leaves_no_server_behind(sig, seeds_out):
    """SIGTERM stops kg serve and its server; SIGKILL leaves the kernel to end the server."""
    port = free_port()
    process = subprocess.Popen([KG, "serve", "--port", str(port), "-o", str(seeds_out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}/query"
    children: list[int] = []
    try:
        wait_for(endpoint, process)
        children = _children(process.pid)
        assert children, "kg serve started no server process"
    finally:
        stop(process, sig)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and _answers(endpoint):
        time.sleep(0.1)
    left = [pid for pid in children if Path(f"/proc/{pid}").exists()
            and "zombie" not in Path(f"/proc/{pid}/status").read_text()]
    for pid in left:  # a failed test must not leave its server running either
        os.kill(pid, signal.SIGKILL)
    assert not _answers(endpoint), f"something still answers on the port 3 s after {sig.name}"
    assert not left, f"the oxigraph server outlived kg serve's {sig.name}"


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(c) for c in children)
    return found


def _answers(endpoint: str) -> bool:
    try:
        requests.get(endpoint, params={"query": "ASK {}"}, timeout=1)
        return True
    except requests.ConnectionError:
        return False


def test_exports_read_back_with_the_counts_of_kg_stats(corpus_built):
    import xml.etree.ElementTree as ET

    import rdflib

    from kg.analytics import compute_stats, read_networkx

    counts = compute_stats(read_networkx(corpus_built / "graph.nt")).counts
    expected = {kind: counts[f"{kind}s"] for kind in ("article", "provider", "topic")}
    assert all(expected.values())
    for fmt in ("jsonld", "graphml", "gexf"):
        result = kg("export", fmt, "-o", str(corpus_built))
        assert result.returncode == 0, result.stderr

    # JSON-LD through rdflib's own parser (kg writes it from Oxigraph's parse of graph.nt).
    graph = rdflib.Graph().parse(corpus_built / "graph.jsonld", format="json-ld")
    schema, skos = rdflib.Namespace("https://schema.org/"), rdflib.SKOS
    classes = {"article": schema.NewsArticle, "provider": schema.NewsMediaOrganization,
               "topic": skos.Concept}
    assert {kind: len(set(graph.subjects(rdflib.RDF.type, cls)))
            for kind, cls in classes.items()} == expected
    assert json.loads((corpus_built / "graph.jsonld").read_text())["@context"]["@vocab"] == \
        "https://schema.org/"

    # GraphML and GEXF through the standard library's XML parser, not networkx that wrote them.
    root = ET.parse(corpus_built / "graph.graphml").getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    kind_key = next(k.get("id") for k in root.findall("g:key", ns)
                    if k.get("attr.name") == "kind" and k.get("for") == "node")
    kinds = [d.text for d in root.iterfind(f".//g:node/g:data[@key='{kind_key}']", ns)]
    assert {kind: kinds.count(kind) for kind in expected} == expected

    root = ET.parse(corpus_built / "graph.gexf").getroot()
    tag = root.tag.split("}")[0] + "}"
    node_attributes = next(a for a in root.iter(f"{tag}attributes") if a.get("class") == "node")
    kind_id = next(a.get("id") for a in node_attributes if a.get("title") == "kind")
    kinds = [v.get("value") for v in root.iter(f"{tag}attvalue") if v.get("for") == kind_id]
    assert {kind: kinds.count(kind) for kind in expected} == expected

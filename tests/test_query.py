"""`kg query` on the embedded store, and the bundled queries checked against the YAML."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from corpus_truth import Expected, simple_key

from kg.cli import main
from kg.store import bundled_queries, open_store, read_query, run_query

DATA = Path(__file__).parent / "data"
SEEDS = Path(__file__).parent.parent / "examples" / "articles"


def values(answer) -> list[dict[str, str | None]]:
    """A SELECT answer as rows of plain values."""
    return [{v: (s[v].value if s[v] is not None else None) for v in answer.variables()}
            for s in answer.result]


def kg_query(out, *args) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["query", *args, "-o", str(out)])
    return result.exit_code, result.output


def test_table_csv_json_ask_construct(seeds_out):
    code, table = kg_query(seeds_out, "SELECT ?t WHERE { ?a schema:headline ?t } ORDER BY ?t")
    assert code == 0 and "AI revolution in medicine" in table and "13 rows" in table
    code, text = kg_query(seeds_out, "SELECT ?t WHERE { ?a schema:headline ?t } ORDER BY ?t",
                          "--format", "csv")
    assert code == 0
    assert next(csv.reader(io.StringIO(text))) == ["t"]
    assert len(text.strip().splitlines()) == 14
    code, text = kg_query(seeds_out, "SELECT ?t WHERE { ?a schema:headline ?t }", "-f", "json")
    data = json.loads(text)
    assert data["head"]["vars"] == ["t"] and len(data["results"]["bindings"]) == 13
    code, text = kg_query(seeds_out, 'ASK { ?a schema:about/skos:prefLabel "AI in Healthcare" }')
    assert (code, text.strip()) == (0, "true")
    code, text = kg_query(seeds_out, "CONSTRUCT { ?t skos:broader ?b } WHERE { ?t skos:broader ?b }")
    assert code == 0 and text.count("skos:broader") == 3


def test_named_graphs_reach_provenance(seeds_out):
    _, text = kg_query(seeds_out, """SELECT ?file WHERE { GRAPH ?g {
        ?a schema:headline "AI revolution in medicine" } ?g rdfs:label ?file }""", "-f", "csv")
    assert text.split() == ["file", "000_fd7e0f056f4f94ed.txt"]


GRAPHS = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


def test_the_default_store_holds_the_merged_graph_only_and_says_so(tmp_path):
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["build", str(SEEDS), "-o", str(out), "-q"]).exit_code == 0
    result = CliRunner().invoke(main, ["query", GRAPHS, "-o", str(out), "-f", "csv"])
    assert result.exit_code == 0 and result.stdout.split() == ["n", "0"]
    assert "kg build --provenance" in result.stderr
    triples = (out / "graph.nt").read_bytes().splitlines()
    code, text = kg_query(out, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-f", "csv")
    assert code == 0
    assert int(text.split()[1]) == len(set(triples))
    # graph.nq still has each file's graph, for `kg load` and other stores.
    graphs = {line.rsplit(b" ", 2)[1] for line in (out / "graph.nq").read_bytes().splitlines()}
    assert len(graphs) >= 5


def test_with_provenance_every_file_has_its_graph_and_source_of_facts_answers(tmp_path):
    out = tmp_path / "out"
    args = ["build", str(SEEDS), "-o", str(out), "-q", "--provenance"]
    assert CliRunner().invoke(main, args).exit_code == 0
    files = {line.rsplit(b" ", 2)[1].decode()[1:-1]
             for line in (out / "graph.nq").read_bytes().splitlines()}
    held = open_store(out)
    assert {g.value for g in held.named_graphs()} == files
    result = CliRunner().invoke(main, ["query", GRAPHS, "-o", str(out), "-f", "csv"])
    assert int(result.stdout.split()[1]) == len((out / "graph.nq").read_bytes().splitlines())
    assert "--provenance" not in result.stderr
    # source-of-facts answers as on a store loaded with every line of graph.nt and graph.nq.
    reference = ox.Store()
    for name in ("graph.nt", "graph.nq"):
        reference.load(path=str(out / name), format=ox.RdfFormat.N_QUADS)
    query = read_query(str(bundled_queries()["source-of-facts"]))
    got, expected = (values(run_query(s, query)) for s in (held, reference))
    assert got == expected and len(got) == 13


def test_syntax_error_exits_2_with_position(seeds_out):
    code, text = kg_query(seeds_out, "SELECT ?x WHERE { ?x ?y }")
    assert code == 2
    assert "SPARQL syntax error" in text and "1:" in text


def test_query_without_a_build(tmp_path):
    code, text = kg_query(tmp_path, "ASK {}")
    assert code == 2 and "run `kg build" in text


def test_every_bundled_query_runs_on_seeds(seeds_out):
    store = open_store(seeds_out)
    assert len(bundled_queries()) >= 10
    for name, path in bundled_queries().items():
        answer = run_query(store, read_query(str(path)))
        assert answer.kind == "select", name


@pytest.fixture(scope="module")
def corpus_answers(corpus_out) -> dict[str, tuple[list[dict], float]]:
    store = open_store(corpus_out)
    answers = {}
    for name, path in bundled_queries().items():
        start = time.perf_counter()
        answer = run_query(store, read_query(str(path)))
        rows = values(answer)
        answers[name] = (rows, time.perf_counter() - start)
    print({name: f"{seconds * 1000:.0f} ms" for name, (_, seconds) in answers.items()})
    return answers


@pytest.mark.corpus
def test_bundled_queries_answer_on_corpus(corpus_answers):
    for name, (rows, seconds) in corpus_answers.items():
        assert rows, f"{name} returned nothing on the corpus"
        assert seconds < 1.0, f"{name} took {seconds:.2f} s"


@pytest.fixture(scope="module")
def truth(corpus) -> Expected:
    return Expected(corpus)


@pytest.mark.corpus
def test_articles_per_topic_per_month(corpus_answers, truth):
    rows, _ = corpus_answers["articles-per-topic-per-month"]
    got = {(r["topic"].lower(), r["month"]): int(r["articles"]) for r in rows}
    assert got == dict(truth.topic_months())


@pytest.mark.corpus
def test_topics_per_provider(corpus_answers, truth):
    rows, _ = corpus_answers["topics-per-provider"]
    got = {(r["domain"], r["topic"].lower()): int(r["articles"]) for r in rows}
    assert got == dict(truth.topics_per_domain())


@pytest.mark.corpus
def test_most_linked_related_articles(corpus_answers, truth):
    rows, _ = corpus_answers["most-linked-related-articles"]
    wanted = truth.linked_from()
    for row in rows:
        key = simple_key(row["url"])
        assert int(row["linkedFrom"]) == wanted[truth.alias.get(key, key)], row
    assert int(rows[0]["linkedFrom"]) == max(wanted.values())


@pytest.mark.corpus
def test_stories_by_coverage(corpus_answers, corpus_build):
    """Every story, most outlets first, with the counts the graph holds for it."""
    from kg import EdgeKind, NodeKind

    graph = corpus_build.graph
    articles: dict[str, int] = {}
    for edge in graph.edges:
        if edge.kind is EdgeKind.STORY:
            articles[edge.target] = articles.get(edge.target, 0) + 1
    rows, _ = corpus_answers["stories-by-coverage"]
    assert [(r["story"], r["label"], int(r["outlets"]), int(r["articles"])) for r in rows] == \
        sorted(((n.iri, n.get("label"), n.get("outlets"), articles[n.iri])
                for n in graph.nodes_of(NodeKind.STORY)),
               key=lambda t: (-t[2], -t[3], graph.by_iri[t[0]].get("first"), t[0]))
    assert int(rows[0]["outlets"]) >= 25  # the Power Apps exposure of August 2021


@pytest.mark.corpus
def test_outlets_that_republish(corpus_answers, corpus_build):
    """Pairs of outlets (by domain) and the number of stories both have an article in."""
    from collections import Counter
    from itertools import combinations

    from kg import EdgeKind

    graph = corpus_build.graph
    domain = {e.source: graph.by_iri[e.target].get("domain") for e in graph.edges
              if e.kind is EdgeKind.PUBLISHER}
    outlets: dict[str, set[str]] = {}
    for edge in graph.edges:
        if edge.kind is EdgeKind.STORY and domain.get(edge.source):
            outlets.setdefault(edge.target, set()).add(domain[edge.source])
    expected = Counter(pair for held in outlets.values() for pair in combinations(sorted(held), 2))
    rows, _ = corpus_answers["outlets-that-republish"]
    assert {(r["outlet1"], r["outlet2"]): int(r["stories"]) for r in rows} == dict(expected)
    assert [int(r["stories"]) for r in rows] == sorted(expected.values(), reverse=True)


@pytest.mark.corpus
def test_counts_by_kind(corpus_answers, truth):
    rows, _ = corpus_answers["counts-by-kind"]
    got = {r["kind"]: int(r["nodes"]) for r in rows}
    for kind, wanted in (("article", len(truth.nodes)), ("provider", len(truth.providers)),
                         ("topic", len(truth.topics))):
        assert abs(got[kind] - wanted) <= 0.02 * wanted, (kind, got[kind], wanted)


@pytest.mark.corpus
@pytest.mark.parametrize("path", sorted(DATA.glob("plain-queries/*.rq")), ids=lambda p: p.stem)
def test_tuned_query_answers_as_its_plain_form(corpus_out, corpus_answers, path):
    """The bundled queries are shaped for Oxigraph's hash joins; each must answer exactly
    what its plain single-group form (kept in tests/data/plain-queries) answers."""
    tuned, _ = corpus_answers[path.stem]
    plain = values(run_query(open_store(corpus_out), read_query(str(path))))
    assert tuned and tuned == plain


@pytest.mark.parametrize("path", sorted(DATA.glob("plain-queries/*.rq")), ids=lambda p: p.stem)
def test_tuned_query_answers_as_its_plain_form_on_seeds(seeds_out, path):
    """Also on a graph too small for the tuned forms' cuts (8 related links, not 100)."""
    store = open_store(seeds_out)
    tuned, plain = (values(run_query(store, read_query(str(query))))
                    for query in (bundled_queries()[path.stem], path))
    assert tuned and tuned == plain

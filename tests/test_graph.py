"""GraphBuilder's merge rules, on claims made directly: which value wins, which files are
behind each fact and edge, and the order the frozen graph comes out in."""

from __future__ import annotations

import datetime as dt

from kg.graph import (
    RANK_ARTICLE_FILE,
    RANK_RELATED_ENTRY,
    RANK_TAXONOMY,
    EdgeKind,
    GraphBuilder,
    NodeKind,
)
from kg.identity import IriMinter


def builder() -> GraphBuilder:
    return GraphBuilder(IriMinter("https://kg.test/"))


def only(graph, kind=NodeKind.ARTICLE):
    [node] = graph.nodes_of(kind)
    return node


def test_the_best_ranked_claim_wins_whatever_the_order_of_the_files():
    for order in ([("a.md", RANK_RELATED_ENTRY, "From a link"),
                   ("b.md", RANK_ARTICLE_FILE, "From its own file")],
                  [("b.md", RANK_ARTICLE_FILE, "From its own file"),
                   ("a.md", RANK_RELATED_ENTRY, "From a link")]):
        b = builder()
        for source, rank, title in order:
            ref = b.node(NodeKind.ARTICLE, "x", source)
            b.claim(ref, "headline", title, source, rank)
        fact = only(b.freeze()).facts["headline"]
        assert (fact.value, fact.sources) == ("From its own file", frozenset({"b.md"}))


def test_among_equal_ranks_the_smallest_value_wins_and_none_is_no_claim():
    b = builder()
    ref = b.node(NodeKind.PROVIDER, "p", "a.md")
    for source, name in (("a.md", "Zeta News"), ("b.md", "Alpha News"), ("c.md", None)):
        b.node(NodeKind.PROVIDER, "p", source)
        b.claim(ref, "name", name, source, RANK_ARTICLE_FILE)
    node = only(b.freeze(), NodeKind.PROVIDER)
    assert node.facts["name"].value == "Alpha News"
    assert node.facts["name"].sources == frozenset({"b.md"})
    assert node.sources == frozenset({"a.md", "b.md", "c.md"})


def test_the_same_value_from_several_files_keeps_them_all_and_the_best_rank():
    b = builder()
    ref = b.node(NodeKind.TOPIC, "ai", "t.yaml")
    b.claim(ref, "pref_label", "AI", "a.md", RANK_ARTICLE_FILE)
    b.claim(ref, "pref_label", "AI", "t.yaml", RANK_TAXONOMY)
    b.claim(ref, "pref_label", "A.I.", "b.md", RANK_ARTICLE_FILE)  # outranked by the taxonomy
    fact = only(b.freeze(), NodeKind.TOPIC).facts["pref_label"]
    assert (fact.value, fact.sources) == ("AI", frozenset({"a.md", "t.yaml"}))


def test_values_of_different_types_are_ordered_deterministically():
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    winners = set()
    for values in ([when, "2024-01-01"], ["2024-01-01", when]):
        b = builder()
        ref = b.node(NodeKind.ARTICLE, "x", "a.md")
        for value in values:
            b.claim(ref, "date_published", value, "a.md", RANK_ARTICLE_FILE)
        winners.add(only(b.freeze()).facts["date_published"].value)
    assert winners == {"2024-01-01"}


def test_multi_valued_facts_are_sorted_and_keep_each_values_files():
    b = builder()
    ref = b.node(NodeKind.TOPIC, "ai", "a.md")
    b.add(ref, "keywords", "ml", "b.md")
    b.add(ref, "keywords", "deep", "a.md")
    b.add(ref, "keywords", "ml", "a.md")
    b.add(ref, "keywords", None, "a.md")
    facts = only(b.freeze(), NodeKind.TOPIC).multi["keywords"]
    assert [(f.value, f.sources) for f in facts] == [("deep", frozenset({"a.md"})),
                                                     ("ml", frozenset({"a.md", "b.md"}))]


def test_an_edge_asserted_twice_is_one_edge_with_both_files_and_self_links_are_dropped():
    b = builder()
    article = b.node(NodeKind.ARTICLE, "x", "a.md")
    other = b.node(NodeKind.ARTICLE, "y", "b.md")
    b.link(EdgeKind.RELATED, article, other, "a.md")
    b.link(EdgeKind.RELATED, article, other, "c.md")
    b.link(EdgeKind.RELATED, article, article, "a.md")
    graph = b.freeze()
    [edge] = graph.edges
    assert (edge.source, edge.target) == (graph.minter.article("x"), graph.minter.article("y"))
    assert edge.sources == frozenset({"a.md", "c.md"})


def test_the_frozen_graph_is_in_iri_order_whatever_the_order_of_claims():
    orders = []
    for keys in (["b", "a", "c"], ["c", "b", "a"]):
        b = builder()
        refs = [b.node(NodeKind.ARTICLE, key, f"{key}.md") for key in keys]
        for ref in refs:
            b.link(EdgeKind.RELATED, ref, refs[0], "x.md")
        graph = b.freeze()
        assert [n.iri for n in graph.nodes] == sorted(n.iri for n in graph.nodes)
        orders.append(([n.iri for n in graph.nodes],
                       [(e.source, e.target) for e in graph.edges]))
    assert orders[0][0] == orders[1][0]
    assert [e[0] for e in orders[0][1]] == sorted(e[0] for e in orders[0][1])

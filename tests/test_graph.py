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


def test_a_value_that_lost_first_and_won_later_keeps_every_file_that_claimed_it():
    # A as a related entry (rank 1), then B wins at rank 1 (smaller), then A from its own file.
    b = builder()
    ref = b.node(NodeKind.ARTICLE, "x", "1.md")
    b.claim(ref, "headline", "A", "1.md", RANK_RELATED_ENTRY)
    b.claim(ref, "headline", "0 B", "2.md", RANK_RELATED_ENTRY)
    b.claim(ref, "headline", "A", "3.md", RANK_ARTICLE_FILE)
    fact = only(b.freeze()).facts["headline"]
    assert (fact.value, fact.sources) == ("A", frozenset({"1.md", "3.md"}))


# Claims of one node from many files: (file, fact, value, rank); edges by file.
CLAIMS = [(f"{n}.md", name, value, rank)
          for n, (name, value, rank) in enumerate(
              [("headline", "A", RANK_RELATED_ENTRY), ("headline", "B", RANK_RELATED_ENTRY),
               ("headline", "A", RANK_ARTICLE_FILE), ("headline", "C", RANK_ARTICLE_FILE),
               ("headline", "A", RANK_RELATED_ENTRY), ("quality", 3, RANK_ARTICLE_FILE),
               ("quality", True, RANK_ARTICLE_FILE), ("quality", 2, RANK_RELATED_ENTRY),
               ("url", "https://a", RANK_RELATED_ENTRY), ("url", "https://b", RANK_TAXONOMY),
               ("url", "https://a", RANK_TAXONOMY), ("headline", "C", RANK_RELATED_ENTRY)])]


def _hear(b: GraphBuilder, claims) -> None:
    for source, name, value, rank in claims:
        ref = b.node(NodeKind.ARTICLE, "x", source)
        b.claim(ref, name, value, source, rank)
        b.add(ref, "names", value, source)
        topic = b.node(NodeKind.TOPIC, str(value), source)
        b.link(EdgeKind.ABOUT, ref, topic, source)


def _facts(graph):
    return [(n.iri, sorted((k, repr(f.value), sorted(f.sources)) for k, f in n.facts.items()),
             sorted((k, [(repr(f.value), sorted(f.sources)) for f in fs])
                    for k, fs in n.multi.items()), sorted(n.sources)) for n in graph.nodes], \
        [(e.kind, e.source, e.target, sorted(e.sources)) for e in graph.edges]


def test_builders_that_heard_shares_of_the_files_merge_into_the_same_graph_in_any_order():
    import random

    one = builder()
    _hear(one, CLAIMS)
    expected = _facts(one.freeze())
    rng = random.Random(4)
    for _ in range(200):
        shuffled = CLAIMS[:]
        rng.shuffle(shuffled)
        cuts = sorted(rng.sample(range(1, len(shuffled)), rng.randint(0, 4)))
        shares = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
        pieces = []
        for share in shares:
            piece = builder()
            _hear(piece, share)
            pieces.append(piece)
        rng.shuffle(pieces)
        merged = builder()
        for piece in pieces:
            merged.absorb(piece)
        assert _facts(merged.freeze()) == expected


def test_split_sends_each_node_and_the_edges_out_of_it_to_one_part():
    b = builder()
    _hear(b, CLAIMS)
    parts = b.split(lambda iri: 0 if "/article/" in iri else 1, 2)
    articles, topics = parts[0].freeze(), parts[1].freeze()
    assert {n.kind for n in articles.nodes} == {NodeKind.ARTICLE}
    assert {n.kind for n in topics.nodes} == {NodeKind.TOPIC} and not topics.edges
    assert len(articles.edges) == len({value for _, _, value, _ in CLAIMS})
    whole = builder()
    _hear(whole, CLAIMS)
    assert _facts(articles)[1] == _facts(whole.freeze())[1]

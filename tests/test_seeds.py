"""Acceptance on the five seed documents: the graph a person expects from them."""

from __future__ import annotations

import pytest

from kg import NodeKind

PREFIXES = """
PREFIX schema: <https://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX kg: <https://kg.example.org/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""


def ask(build, query: str) -> bool:
    return bool(build.rdf.query(PREFIXES + query).askAnswer)


def rows(build, query: str) -> list[tuple]:
    return [tuple(str(v) if v is not None else None for v in row)
            for row in build.rdf.query(PREFIXES + query)]


def count(build, cls: str) -> int:
    return int(rows(build, f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ ?x a {cls} }}")[0][0])


@pytest.mark.parametrize(("cls", "expected"), [
    ("schema:NewsArticle", 13), ("schema:NewsMediaOrganization", 12), ("skos:Concept", 4),
])
def test_counts(seeds_build, cls, expected):
    assert count(seeds_build, cls) == expected


def test_counts_in_summary(seeds_build):
    summary = seeds_build.summary()
    assert (summary["articles"], summary["providers"], summary["topics"]) == (13, 12, 4)
    assert summary["warnings"] == 0


def test_harvard_article(seeds_build):
    assert ask(seeds_build, """ASK {
        ?a schema:headline "AI revolution in medicine" ;
           schema:publisher/kg:domain "harvard.edu" ;
           schema:about/skos:prefLabel "AI Ethics" , "AI" ;
           kg:relatedArticle ?r .
        ?r schema:publisher/kg:domain "alleywatch.com" ;
           schema:url "https://www.alleywatch.com/2020/11/the-next-stage-in-the-financial-revolution-ar-and-vr-solutions/"^^xsd:anyURI .
    }""")


def test_topic_hierarchy(seeds_build):
    assert ask(seeds_build, """ASK { ?t skos:prefLabel "AI in Healthcare" ;
                                       skos:broader/skos:prefLabel "AI" }""")


def test_forbes_date(seeds_build):
    found = rows(seeds_build, """SELECT (STR(?d) AS ?s) WHERE { ?a schema:publisher/kg:domain "forbes.com" ;
                                                     schema:datePublished ?d }""")
    assert found == [("2023-01-24T11:00:00Z",)]
    assert ask(seeds_build, """ASK { ?a schema:datePublished
                                     "2023-01-24T11:00:00Z"^^xsd:dateTime }""")


def test_plain_text_seed_topics(seeds_build):
    topics = rows(seeds_build, """SELECT ?label WHERE { ?a schema:articleBody ?body ;
                                     schema:about/skos:prefLabel ?label } ORDER BY ?label""")
    assert topics == [("AI",), ("AI in Healthcare",)]


def test_related_entry_is_an_article_with_what_is_known(seeds_build):
    found = rows(seeds_build, """SELECT ?title ?q WHERE {
        ?a schema:url "https://www.deepmind.com/blog/codoc-developing-reliable-ai-tools-for-healthcare"^^xsd:anyURI ;
           a schema:NewsArticle ; schema:headline ?title ; kg:quality ?q }""")
    assert found == [("Developing reliable AI tools for healthcare", "86")]


def test_mojibake_repaired_with_a_notice(seeds_build):
    titles = rows(seeds_build, """SELECT ?t WHERE { ?a schema:headline ?t
                                  FILTER(STRSTARTS(?t, "GE Healthcare")) }""")
    assert titles == [("GE Healthcare Unveils New AI and Digital Technologies and Solutions to "
                       "Help Solve Healthcare’s Most Pressing Problems",)]
    assert [p.kind for p in seeds_build.problems] == ["mojibake"]


def test_plain_text_headline_is_its_first_sentence_shortened(seeds_build):
    """Seed 001 has no heading nor title-like first line: its first sentence, cut at a word."""
    [plain] = [n for n in seeds_build.graph.nodes_of(NodeKind.ARTICLE)
               if n.key == "file:001_e5b2dbdb6bf38a25.txt"]
    headline = plain.get("headline")
    assert headline.startswith("The intersection of Artificial Intelligence (AI) and healthcare")
    assert headline.endswith("…") and len(headline) <= 91
    assert not headline[:-1].endswith(" ")

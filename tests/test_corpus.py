"""The whole shared corpus against a separate, deliberately simple computation from its YAML."""

from __future__ import annotations

import pytest
from corpus_truth import Expected, simple_key

pytestmark = pytest.mark.corpus
@pytest.fixture(scope="module")
def expected(corpus) -> Expected:
    return Expected(corpus)


def close(actual: int, wanted: int) -> bool:
    return abs(actual - wanted) <= 0.02 * wanted


def test_corpus_shape_is_as_documented(expected):
    assert len(expected.articles) == 858
    assert 400 <= sum(len(a.get("related") or []) for a in expected.articles) <= 440


def test_counts_agree_with_simple_computation(corpus_build, expected):
    counts = corpus_build.graph.counts()
    pairs = {
        "articles": len(expected.nodes), "providers": len(expected.providers),
        "topics": len(expected.topics), "publisher_edges": len(expected.publisher),
        "about_edges": len(expected.about), "related_edges": len(expected.related),
    }
    for name, wanted in pairs.items():
        assert close(counts[name], wanted), (name, counts[name], wanted)


def test_related_links_into_the_corpus_land_on_the_article(corpus_build, expected):
    query = """PREFIX schema: <https://schema.org/> PREFIX kg: <https://kg.example.org/ontology#>
        SELECT ?from ?to WHERE { ?a kg:relatedArticle ?r . ?a schema:url ?from .
                                 ?r schema:url ?to }"""
    linked = {(expected.alias.get(simple_key(str(f)), simple_key(str(f))),
               expected.alias.get(simple_key(str(t)), simple_key(str(t))))
              for f, t in corpus_build.rdf.query(query)}
    assert len(expected.into_corpus) >= 30
    assert expected.into_corpus <= linked


def test_no_warnings_on_valid_files(corpus_build):
    assert corpus_build.warnings == []
    assert corpus_build.summary()["files_read"] == 858 + 29 + 146

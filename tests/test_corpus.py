"""The whole shared corpus against a separate, deliberately simple computation from its YAML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.corpus
TRACKING = {"amp", "fbclid", "gclid", "ref", "sh"}


def simple_key(url: str) -> str:
    """URL identity written from scratch: AMP cache, www., scheme, tracking and /amp folded."""
    u = url.strip()
    if ".cdn.ampproject.org/c/" in u:
        inner = u.split("/c/", 1)[1]
        u = "https://" + inner[2:] if inner.startswith("s/") else "http://" + inner
    rest = u.split("://", 1)[1]
    host, _, path = rest.partition("/")
    path, _, query = path.partition("?")
    query = query.split("#")[0]
    path = path.split("#")[0]
    params = sorted(p for p in query.split("&")
                    if p and not p.startswith("utm_") and p.split("=")[0] not in TRACKING)
    path = re.sub(r"/amp/?$", "", "/" + path).rstrip("/")
    return host.lower().removeprefix("www.") + path + ("?" + "&".join(params) if params else "")


def domain(entry: dict) -> str | None:
    provider = entry.get("provider") or {}
    d = str(provider.get("domain") or "").strip().lower().removeprefix("www.")
    if d:
        return d
    url = entry.get("webUrl") or entry.get("originalUrl")
    return simple_key(url).split("/")[0] if url else None


def urls(entry: dict) -> list[str]:
    return [entry[k] for k in ("webUrl", "originalUrl", "ampWebUrl", "cdnAmpWebUrl") if entry.get(k)]


class Expected:
    """Counts computed straight from the YAML files."""

    def __init__(self, corpus: Path) -> None:
        files = sorted(corpus.glob("*/news/*"))
        self.articles = []
        for f in files:
            self.articles.append(yaml.safe_load(f.read_text("utf-8").split("\n---")[0][4:]))
        parents = {}
        for f in sorted(corpus.glob("*/topics/*.yaml")):
            for doc in yaml.safe_load_all(f.read_text("utf-8")):
                if doc:
                    parents[doc["name"].lower()] = (doc.get("parent") or "").lower()
        alias = {}
        for a in self.articles:
            own = simple_key(urls(a)[0])
            for u in urls(a):
                alias.setdefault(simple_key(u), own)
        self.alias = alias
        self.nodes, self.providers, self.topics = set(), set(), set()
        self.publisher, self.about, self.related = set(), set(), set()
        self.into_corpus = set()
        for a in self.articles:
            key = alias[simple_key(urls(a)[0])]
            self._article(key, a)
            for t in a.get("topics") or []:
                self.about.add((key, t.lower()))
                while t:
                    self.topics.add(t.lower())
                    t = parents.get(t.lower())
            for r in a.get("related") or []:
                rkey = simple_key(urls(r)[0])
                rkey = alias.get(rkey, rkey)
                self._article(rkey, r)
                if rkey != key:
                    self.related.add((key, rkey))
                    if simple_key(urls(r)[0]) in alias:
                        self.into_corpus.add((key, rkey))

    def _article(self, key: str, entry: dict) -> None:
        self.nodes.add(key)
        if domain(entry):
            self.providers.add(domain(entry))
            self.publisher.add((key, domain(entry)))


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

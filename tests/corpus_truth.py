"""The shared corpus computed straight from its YAML, with deliberately simple code that shares
nothing with kg beyond PyYAML: the truth the corpus tests compare kg's answers with."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import yaml

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



    # --- answers to the bundled queries ---------------------------------------------------

    def by_key(self) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = {}
        for a in self.articles:
            grouped.setdefault(self.alias[simple_key(urls(a)[0])], []).append(a)
        return grouped

    def topic_months(self) -> Counter:
        """(topic, YYYY-MM) -> articles, for articles read from files."""
        out: Counter = Counter()
        for files in self.by_key().values():
            dates = [f["publishedDateTime"] for f in files if f.get("publishedDateTime")]
            if not dates:
                continue
            month = min(d.astimezone(dt.UTC) for d in dates).strftime("%Y-%m")
            for topic in {t.lower() for f in files for t in f.get("topics") or []}:
                out[(topic, month)] += 1
        return out

    def topics_per_domain(self) -> Counter:
        """(provider domain, topic) -> articles."""
        out: Counter = Counter()
        for files in self.by_key().values():
            for topic in {t.lower() for f in files for t in f.get("topics") or []}:
                out[(domain(files[0]), topic)] += 1
        return out

    def linked_from(self) -> Counter:
        """article key -> how many articles list it as related."""
        return Counter(target for _, target in self.related)

"""What every extractor may consult: the taxonomy and the article identity of each URL."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..graph import NodeKind, NodeRef
from ..identity import article_key, host_of, provider_key, slug
from ..model import ArticleRecord, OrganizationRecord, Problem, TopicRecord

# A plain-text article is about a topic when the topic's name occurs in it, or its keywords
# occur at least this often: single keywords such as "security" are too common to count once.
MIN_KEYWORD_HITS = 4


@dataclass(slots=True)
class Taxonomy:
    """Topics by identity key, the names that lead to them, and organisations by domain."""

    topics: dict[str, TopicRecord] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    organizations: dict[str, OrganizationRecord] = field(default_factory=dict)
    _matchers: list[tuple[str, re.Pattern, re.Pattern | None]] | None = None

    def add_topic(self, topic: TopicRecord) -> None:
        key = slug(topic.id or topic.name)
        if not key:
            return
        self.topics[key] = topic
        self._matchers = None
        for name in (topic.id, topic.name):
            if name and slug(name):
                self.aliases[slug(name)] = key

    def add_organization(self, org: OrganizationRecord) -> None:
        key = provider_key(org.domain or "")
        if key:
            self.organizations[key] = org

    def topic_key(self, name: str) -> str:
        key = slug(name)
        return self.aliases.get(key, key)

    def topics_in(self, text: str) -> list[str]:
        """Keys of the topics a text is about, by names and keywords on word boundaries."""
        found = []
        for key, name_re, keyword_re in self.matchers():
            if name_re.search(text) or (
                keyword_re is not None and _hits(keyword_re, text) >= MIN_KEYWORD_HITS
            ):
                found.append(key)
        return found

    def matchers(self) -> list[tuple[str, re.Pattern, re.Pattern | None]]:
        if self._matchers is None:
            self._matchers = [(key, _words([t.name]), _words(t.keywords) if t.keywords else None)
                              for key, t in sorted(self.topics.items())]
        return self._matchers


def _words(phrases: Iterable[str]) -> re.Pattern:
    alternatives = "|".join(re.escape(p) for p in sorted(set(phrases), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _hits(pattern: re.Pattern, text: str) -> int:
    return sum(1 for _ in pattern.finditer(text))


_UNKNOWN = object()


@dataclass(slots=True)
class ExtractContext:
    """Shared, read-only knowledge for the extractors, built before extraction starts."""

    taxonomy: Taxonomy
    url_aliases: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _keys: dict[int, str | None] = field(default_factory=dict)

    def register(self, record: ArticleRecord) -> None:
        """Make every URL of an article file lead to that article's identity."""
        key = self.article_key(record, registering=True)
        if key is None:
            return
        for url in record.urls:
            alias = article_key(url)
            held = self.url_aliases.get(alias)
            if held is None or key < held:
                self.url_aliases[alias] = key

    def article_key(self, record: ArticleRecord, registering: bool = False) -> str | None:
        """The identity of an article: its canonical URL, or its file for plain text."""
        if registering:
            return self._key(record, registering)
        # Every extractor asks for each record's key; records live as long as the context.
        held = self._keys.get(id(record), _UNKNOWN)
        if held is _UNKNOWN:
            held = self._keys[id(record)] = self._key(record, registering)
        return held

    def _key(self, record: ArticleRecord, registering: bool) -> str | None:
        if record.path_identity is not None:
            return "file:" + record.path_identity
        keys = [article_key(u) for u in record.urls]
        if not registering:
            for key in keys:
                if key in self.url_aliases:
                    return self.url_aliases[key]
        if keys:
            return keys[0]
        if record.is_related_entry:
            return None
        return "file:" + record.source

    def provider_ref(self, record: ArticleRecord) -> NodeRef | None:
        """The provider of an article: its stated domain, else the host of its URL."""
        stated = record.provider.domain if record.provider else None
        key = provider_key(stated) if stated else None
        if key is None and record.urls:
            key = host_of(record.urls[0])
        return None if key is None else (NodeKind.PROVIDER, key)

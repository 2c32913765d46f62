"""Typed records that flow through the pipeline: files -> records -> graph nodes and edges.

Readers in `kg.sources` are the only code that sees raw YAML; everything after them works on
these frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import StrEnum
from operator import attrgetter
from typing import TypeVar

T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle a frozen dataclass as its class and field values, rebuilt through `__init__`.

    The pickling that dataclasses give frozen classes with slots calls `fields()` for every
    object, in both directions; records cross from the parsing processes and go through the
    read cache, so this is about a third quicker (docs/performance.md).
    """
    values = attrgetter(*(f.name for f in fields(cls)))

    def __reduce__(self: T) -> tuple[type[T], tuple]:
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign, assignment]
    return cls


class Severity(StrEnum):
    """Warnings lost or changed data; notices only repaired it."""

    WARNING = "warning"
    NOTICE = "notice"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with one input file, and what the build did about it."""

    source: str
    message: str
    kind: str
    line: int | None = None
    field: str | None = None
    action: str = "dropped the field"
    severity: Severity = Severity.WARNING

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        what = f"{self.field}: " if self.field else ""
        return f"{where}: {what}{self.message} ({self.action})"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ImageRecord:
    """An image as an article or provider lists it."""

    url: str
    width: int | None = None
    height: int | None = None
    title: str | None = None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ProviderRecord:
    """The publisher named inside an article."""

    name: str | None
    domain: str | None
    images: tuple[ImageRecord, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """An article read from a file, or known only as another article's `related` entry."""

    source: str
    title: str | None = None
    excerpt: str | None = None
    published_at: dt.datetime | None = None
    original_url: str | None = None
    web_url: str | None = None
    amp_url: str | None = None
    cdn_amp_url: str | None = None
    content_type: str | None = None
    category: str | None = None
    quality: int | None = None
    heat: int | None = None
    is_published: bool | None = None
    provider: ProviderRecord | None = None
    topics: tuple[str, ...] = ()
    images: tuple[ImageRecord, ...] = ()
    related: tuple[ArticleRecord, ...] = ()
    body: str = ""
    # Plain-text articles have no URL: their identity is the file's path under the input root,
    # and their topics come from matching the taxonomy against the body.
    path_identity: str | None = None
    is_related_entry: bool = False

    @property
    def urls(self) -> tuple[str, ...]:
        """Every URL the record gives, most authoritative first."""
        candidates = (self.web_url, self.original_url, self.amp_url, self.cdn_amp_url)
        return tuple(u for u in candidates if u)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class TopicRecord:
    """A topic from a taxonomy file (`taxonomy: topic`)."""

    source: str
    id: str | None
    name: str
    shortname: str | None = None
    parent: str | None = None
    description: str | None = None
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class OrganizationRecord:
    """A provider description from a taxonomy file (`taxonomy: organization`)."""

    source: str
    id: str | None
    name: str | None
    domain: str | None
    description: str | None = None
    other_names: tuple[str, ...] = ()
    images: tuple[ImageRecord, ...] = ()


Record = ArticleRecord | TopicRecord | OrganizationRecord


@dataclass(slots=True)
class SourceResult:
    """What reading one file gave: its records and the problems found on the way."""

    source: str
    records: list[Record] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: bool = False
    digest: str | None = None  # content hash of the bytes read, for the read cache

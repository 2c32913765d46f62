"""Front-matter files: a leading `---` YAML block, then an optional body."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

import yaml

from ..model import ArticleRecord, Problem, ProviderRecord
from .fields import FieldReader, describe

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_CLOSING = re.compile(r"^(---|\.\.\.)[ \t]*$", re.MULTILINE)
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The YAML text of a front-matter block, where it starts in the file, and the body."""

    yaml_text: str
    first_line: int
    body: str
    closed: bool


def has_front_matter(text: str) -> bool:
    return text.startswith("---") and text[3:4] in ("\n", " ", "\t", "")


def split(text: str) -> FrontMatter:
    """Split `---\\nyaml\\n---\\nbody`; an unclosed block runs to the end of the file."""
    start = text.index("\n") + 1 if "\n" in text else len(text)
    match = _CLOSING.search(text, start)
    if match is None:
        return FrontMatter(text[start:], 2, "", closed=False)
    return FrontMatter(text[start:match.start()], 2, text[match.end():].lstrip("\n"), closed=True)


YAML_FAILURES = (yaml.YAMLError, RecursionError, MemoryError, ValueError, OverflowError)


def load_yaml(text: str, source: str, first_line: int, problems: list[Problem]) -> Any:
    """Parse YAML with the safe C loader; a syntax error becomes a Problem with its line."""
    try:
        return yaml.load(text, Loader=_Loader)
    except YAML_FAILURES as exc:
        problems.append(yaml_problem(exc, source, first_line))
    return None


def yaml_problem(exc: BaseException, source: str, first_line: int) -> Problem:
    """The Problem for a YAML parse failure, at the line the parser names."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = first_line + mark.line if mark else None
        what = exc.problem or "invalid YAML"
        return Problem(source, f"invalid YAML: {what}; fix the YAML syntax there",
                       "invalid-yaml", line, action="skipped the file")
    reason = "nested too deeply" if isinstance(exc, RecursionError) else type(exc).__name__
    return Problem(source, f"unreadable YAML ({reason})", "invalid-yaml", first_line,
                   action="skipped the file")


def line_finder(yaml_text: str, first_line: int):
    """A function giving the file line of a top-level key, found only when a problem needs it."""

    def line_of(key: str) -> int | None:
        match = re.search(rf"^{re.escape(key)}[ \t]*:", yaml_text, re.MULTILINE)
        return first_line + yaml_text.count("\n", 0, match.start()) if match else None

    return line_of


def duplicate_keys(yaml_text: str, source: str, first_line: int) -> list[Problem]:
    """Top-level keys given twice: YAML keeps the last one silently, so say so."""
    counts = Counter(_TOP_KEY.findall(yaml_text))
    line_of = line_finder(yaml_text, first_line)
    return [Problem(source, f"key '{key}' appears {n} times", "duplicate-key", line_of(key), key,
                    "kept the last value") for key, n in sorted(counts.items()) if n > 1]


def article(data: dict, source: str, body: str, problems: list[Problem], line_of,
            max_items: int) -> ArticleRecord:
    """An ArticleRecord from a front-matter mapping."""
    fields = FieldReader(data, source, problems, line_of, max_items=max_items)
    record = _article_fields(fields, source, body, related_entry=False)
    if not (record.web_url or record.original_url or record.amp_url or record.cdn_amp_url):
        fields.problem("webUrl", "no usable webUrl or originalUrl: the article is identified by "
                       "its file path and cannot merge with links to it; add its URL",
                       "missing-url", "kept the article without a URL")
    related = []
    for i, item in enumerate(fields.items("related")):
        if not isinstance(item, dict):
            fields.problem(f"related[{i}]", f"expected an article mapping, found {describe(item)}",
                           "wrong-type", "dropped the item")
            continue
        related.append(_article_fields(fields.child(item, f"related[{i}]."), source, "",
                                       related_entry=True))
    return _replace_related(record, tuple(related))


def _article_fields(fields: FieldReader, source: str, body: str,
                    related_entry: bool) -> ArticleRecord:
    return ArticleRecord(
        source=source,
        title=fields.text("title"),
        excerpt=fields.text("excerpt"),
        published_at=fields.datetime("publishedDateTime"),
        original_url=fields.url("originalUrl"),
        web_url=fields.url("webUrl"),
        amp_url=fields.url("ampWebUrl"),
        cdn_amp_url=fields.url("cdnAmpWebUrl"),
        content_type=fields.text("type"),
        category=fields.text("category"),
        quality=fields.integer("quality"),
        heat=fields.integer("heat"),
        is_published=fields.boolean("published"),
        provider=_provider(fields),
        topics=fields.texts("topics"),
        images=fields.images("images"),
        body=body,
        is_related_entry=related_entry,
    )


def _provider(fields: FieldReader) -> ProviderRecord | None:
    raw = fields.data.get("provider")
    if isinstance(raw, str):
        fields.problem("provider", f"expected a mapping with name and domain, found "
                                   f"{describe(raw)}", "wrong-type", "used it as the name")
        return ProviderRecord(name=raw.strip() or None, domain=None)
    data = fields.mapping("provider")
    if not data:
        return None
    sub = fields.child(data, "provider.")
    provider = ProviderRecord(sub.text("name"), sub.text("domain"), sub.images("images"))
    return provider if provider.name or provider.domain else None


def _replace_related(record: ArticleRecord, related: tuple[ArticleRecord, ...]) -> ArticleRecord:
    return replace(record, related=related) if related else record

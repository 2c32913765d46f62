"""Turning raw YAML values into typed fields, with one `Problem` for each value that was wrong.

Values from the data are never stringified when they are containers: a YAML alias bomb is a
small object graph that expands to billions of nodes only when walked, so a list where text
was expected is dropped, not printed.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ..identity import URL_SAFE, canonical_url
from ..model import ImageRecord, Problem, Severity

MAX_TEXT_CHARS = 100_000
_MOJIBAKE = re.compile("[ÂÃâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]")


def describe(value: Any) -> str:
    """A short description of a value's type and start, safe for any value."""
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string {shown!r}"
    if isinstance(value, bool):
        return f"a boolean {value}"
    if isinstance(value, int | float):
        return f"a number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE_IN_URL = re.compile(r'[\s"<>{}|\\^`]')


class FieldReader:
    """Reads fields of one YAML mapping, recording a Problem for each value it must fix or drop."""

    def __init__(self, data: dict, source: str, problems: list[Problem],
                 line_of: Callable[[str], int | None], prefix: str = "",
                 max_items: int = 1000) -> None:
        self.data = data
        self.source = source
        self.problems = problems
        self.line_of = line_of
        self.prefix = prefix
        self.max_items = max_items

    def child(self, data: dict, prefix: str) -> FieldReader:
        return FieldReader(data, self.source, self.problems, self.line_of, prefix, self.max_items)

    def problem(self, key: str, message: str, kind: str, action: str = "dropped the field",
                severity: Severity = Severity.WARNING) -> None:
        top = (self.prefix or key).split(".")[0].split("[")[0]
        self.problems.append(Problem(self.source, message, kind, self.line_of(top),
                                     self.prefix + key, action, severity))

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            return self._clean_text(key, value)
        if isinstance(value, bool | int | float | dt.date):
            self.problem(key, f"expected text, found {describe(value)}", "wrong-type",
                         "used it as text")
            return str(value) if not isinstance(value, dt.date) else value.isoformat()
        self.problem(key, f"expected text, found {describe(value)}", "wrong-type")
        return None

    def _clean_text(self, key: str, value: str) -> str | None:
        if len(value) > MAX_TEXT_CHARS:
            self.problem(key, f"text of {len(value):,} characters is longer than "
                              f"{MAX_TEXT_CHARS:,}", "huge-field", "cut it short")
            value = value[:MAX_TEXT_CHARS]
        bad = _MOJIBAKE.search(value)
        if bad:
            import ftfy  # 0.07 s to import, for the rare mojibake

            fixed = ftfy.fix_encoding(value)
            if fixed != value:
                spot = slice(max(0, bad.start() - 20), bad.end() + 20)
                self.problem(key, f"mojibake in {value[spot]!r}", "mojibake",
                             f"repaired it to {fixed[spot.start:spot.stop - 2]!r}",
                             Severity.NOTICE)
                value = fixed
        value = value.strip()
        return value or None

    def url(self, key: str, relative_ok: bool = False) -> str | None:
        """A canonical http(s) URL; with `relative_ok`, a site-relative `/path` is kept too."""
        raw = self.text(key)
        if raw is None:
            return None
        if relative_ok and raw.startswith("/") and not raw.startswith("//"):
            return quote(raw, safe=URL_SAFE)
        url = canonical_url(raw)
        if url is None:
            self.problem(key, f"{raw[:80]!r} is not an http(s) URL", "bad-url")
        elif not _SCHEME.match(raw.strip()):
            self.problem(key, f"{raw[:80]!r} has no scheme; read it as {url[:80]!r}",
                         "repaired-url", "repaired the value", Severity.NOTICE)
        elif _UNSAFE_IN_URL.search(raw.strip()):
            self.problem(key, f"{raw[:80]!r} holds characters a URL cannot (spaces, quotes, "
                              "<>{}|^`); percent-encoded them", "repaired-url",
                         "repaired the value", Severity.NOTICE)
        return url

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d{1,18}\s*", value):
            return int(value)
        self.problem(key, f"expected a whole number, found {describe(value)}", "wrong-type")
        return None

    def boolean(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {"true", "false", "yes", "no"}:
            return value.strip().lower() in {"true", "yes"}
        self.problem(key, f"expected true or false, found {describe(value)}", "wrong-type")
        return None

    def datetime(self, key: str) -> dt.datetime | None:
        value = self.data.get(key)
        if value is None:
            return None
        parsed = parse_datetime(value)
        if parsed is None:
            self.problem(key, f"cannot read {describe(value)} as a date; write it as "
                              "2023-01-24T11:00:00Z", "bad-date")
        return parsed

    def items(self, key: str) -> list[Any]:
        """A list field; a lone scalar is taken as a one-item list."""
        value = self.data.get(key)
        if value is None:
            return []
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            self.problem(key, f"expected a list, found {describe(value)}", "wrong-type",
                         "used it as a one-item list")
            return [value]
        if isinstance(value, dict):
            return [value]
        if not isinstance(value, list):
            self.problem(key, f"expected a list, found {describe(value)}", "wrong-type")
            return []
        if len(value) > self.max_items:
            self.problem(key, f"list of {len(value):,} items is longer than {self.max_items:,}",
                         "huge-field", f"kept the first {self.max_items:,}")
            return value[: self.max_items]
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        """A list of short texts; items of another type are dropped one by one."""
        out: list[str] = []
        for i, item in enumerate(self.items(key)):
            if isinstance(item, str):
                cleaned = self.child({"v": item}, f"{self.prefix}{key}[{i}]").text("v")
                if cleaned:
                    out.append(cleaned)
            elif isinstance(item, int | float) and not isinstance(item, bool):
                out.append(str(item))
            elif item is not None:
                self.problem(f"{key}[{i}]", f"expected text, found {describe(item)}",
                             "wrong-type", "dropped the item")
        return tuple(dict.fromkeys(out))

    def mapping(self, key: str) -> dict | None:
        value = self.data.get(key)
        if value is None or isinstance(value, dict):
            return value
        self.problem(key, f"expected a mapping, found {describe(value)}", "wrong-type")
        return None

    def images(self, key: str) -> tuple[ImageRecord, ...]:
        out: list[ImageRecord] = []
        for i, item in enumerate(self.items(key)):
            if isinstance(item, str):
                item = {"url": item}
            if not isinstance(item, dict):
                self.problem(f"{key}[{i}]", f"expected an image mapping, found {describe(item)}",
                             "wrong-type", "dropped the item")
                continue
            fields = self.child(item, f"{self.prefix}{key}[{i}].")
            url = fields.url("url", relative_ok=True)
            if url:
                out.append(ImageRecord(url, fields.integer("width"), fields.integer("height"),
                                       fields.text("title")))
        return tuple(out)


def parse_datetime(value: Any) -> dt.datetime | None:
    """A timezone-aware UTC datetime from a YAML timestamp, date or date string."""
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, dt.date):
        parsed = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and len(value) < 64:
        parsed = _parse_date_text(value.strip())
        if parsed is None:
            return None
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _parse_date_text(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None

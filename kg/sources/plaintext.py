"""Plain-text articles: no front matter, a title from the text or the file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..model import ArticleRecord

MAX_TITLE_CHARS = 150
MAX_TITLE_WORDS = 20
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_TITLE = re.compile(r"<(title|h1)[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def article(text: str, relpath: str) -> ArticleRecord:
    """An ArticleRecord whose identity is the file's path under the input root."""
    return ArticleRecord(source=relpath, title=title_of(text, relpath), body=text.strip(),
                         path_identity=relpath)


def title_of(text: str, relpath: str) -> str:
    """A Markdown or HTML heading, else a first line that reads like a title, else the name."""
    head = text[:20_000]
    heading = _HEADING.search(head)
    if heading:
        return heading.group(1).strip()
    html = _HTML_TITLE.search(head)
    if html and _TAGS.sub("", html.group(2)).strip():
        return " ".join(_TAGS.sub("", html.group(2)).split())
    first = next((line.strip() for line in head.splitlines() if line.strip()), "")
    if _reads_like_title(first):
        return first
    return re.sub(r"[_\s]+", " ", PurePosixPath(relpath).stem).strip() or relpath


def _reads_like_title(line: str) -> bool:
    return (0 < len(line) <= MAX_TITLE_CHARS and len(line.split()) <= MAX_TITLE_WORDS
            and not line.endswith((".", ",", ";", ":")) and line[0].isupper())

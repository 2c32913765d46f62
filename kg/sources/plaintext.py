"""Plain-text articles: no front matter, a title from the text or the file name."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from ..model import ArticleRecord

MAX_TITLE_CHARS = 150
MAX_TITLE_WORDS = 20
HEADLINE_CHARS = 90  # a first sentence used as the headline is cut at a word near this
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]*[A-Z0-9])")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
_HTML_TITLE = re.compile(r"<(title|h1)[^>]*>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]+>")


def article(text: str, relpath: str) -> ArticleRecord:
    """An ArticleRecord whose identity is the file's path under the input root."""
    return ArticleRecord(source=relpath, title=title_of(text, relpath), body=text.strip(),
                         path_identity=relpath)


def title_of(text: str, relpath: str) -> str:
    """A Markdown or HTML heading, else a first line that reads like a title, else the first
    sentence (shortened), else, for a file with no text, its name.

    >>> title_of("AI is changing how clinics work, and fast. More below.", "a/001_x.txt")
    'AI is changing how clinics work, and fast.'
    """
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
    if first:
        return first_sentence(first)
    return re.sub(r"[_\s]+", " ", PurePosixPath(relpath).stem).strip() or relpath


def _reads_like_title(line: str) -> bool:
    return (0 < len(line) <= MAX_TITLE_CHARS and len(line.split()) <= MAX_TITLE_WORDS
            and not line.endswith((".", ",", ";", ":")) and line[0].isupper())


def first_sentence(text: str, limit: int = HEADLINE_CHARS) -> str:
    """The first sentence of `text`, cut at a word boundary with an ellipsis when longer than
    `limit` characters.

    >>> first_sentence("The intersection of Artificial Intelligence (AI) and healthcare is an "
    ...                "exciting and rapidly evolving field. AI technology has potential.")
    'The intersection of Artificial Intelligence (AI) and healthcare is an exciting and rapidly…'
    """
    text = " ".join(text.split())
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit + 1].rsplit(" ", 1)[0] if " " in sentence[:limit + 1] else \
        sentence[:limit]
    return cut.rstrip(" ,;:-–—(") + "…"

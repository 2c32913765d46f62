"""Readers: the only code that sees raw file contents and YAML. Each file gives typed records."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from ..fileio import content_hash
from ..model import Problem, SourceResult
from . import frontmatter, plaintext, taxonomy
from .fields import describe
from .files import (
    DEFAULT_MAX_FILE_BYTES,
    TAXONOMY_SUFFIXES,
    InputFile,
    decode,
    discover,
    is_candidate,
)

__all__ = ["InputFile", "ReadOptions", "default_taxonomy", "discover", "read_file"]

DEFAULT_MAX_LIST_ITEMS = 1000
DEFAULT_TAXONOMY_SOURCE = "kg:default-taxonomy.yaml"


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Limits that keep a build alive on hostile input."""

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_list_items: int = DEFAULT_MAX_LIST_ITEMS


def read_file(item: InputFile, options: ReadOptions = ReadOptions()) -> SourceResult:
    """Read one input file into records; never raises on bad content."""
    result = SourceResult(item.relpath)
    try:
        size = item.path.stat().st_size
        if size > options.max_file_bytes:
            result.problems.append(Problem(
                item.relpath, f"file of {size:,} bytes is over the limit of "
                f"{options.max_file_bytes:,} (raise it with --max-file-size)", "too-large",
                action="skipped the file"))
            result.skipped = True
            return result
        data = item.path.read_bytes()
        result.digest = content_hash(data)
    except OSError as exc:
        result.problems.append(Problem(item.relpath, f"cannot read: {exc.strerror}", "unreadable",
                                       action="skipped the file"))
        result.skipped = True
        return result
    if not is_candidate(item) and not data.lstrip(b"\xef\xbb\xbf").startswith(b"---"):
        result.skipped = True  # not an article or taxonomy by name or content: not a problem
        return result
    text = decode(data, item.relpath, result.problems)
    if text is None:
        result.skipped = True
        return result
    _parse(text, item, options, result)
    return result


def _parse(text: str, item: InputFile, options: ReadOptions, result: SourceResult) -> None:
    source, problems = item.relpath, result.problems
    if not text.strip():
        problems.append(Problem(source, "empty file", "empty", action="skipped the file"))
        result.skipped = True
        return
    if item.path.suffix.lower() in TAXONOMY_SUFFIXES:
        data = _first_mapping(text, source, problems)
        if data is None:
            result.skipped = True
            return
        line_of = frontmatter.line_finder(text, 1)
        result.records.extend(taxonomy.records(data, source, problems, line_of,
                                               options.max_list_items))
        return
    if not frontmatter.has_front_matter(text):
        result.records.append(plaintext.article(text, source))
        return
    block = frontmatter.split(text)
    if not block.closed:
        problems.append(Problem(source, "front matter has no closing '---' line; add one after "
                                "the YAML", "unclosed-front-matter", 1,
                                action="read the rest of the file as front matter"))
    data = frontmatter.load_yaml(block.yaml_text, source, block.first_line, problems)
    if data is None and not problems:
        data = {}
    if data == {} and not block.body.strip():
        problems.append(Problem(source, "front matter and body are both empty", "empty",
                                block.first_line, action="skipped the file"))
        result.skipped = True
        return
    if not isinstance(data, dict):
        if data is not None:
            problems.append(Problem(source, f"front matter must be a mapping of fields, found "
                                    f"{describe(data)}", "wrong-type", block.first_line,
                                    action="skipped the file"))
        result.skipped = True
        return
    problems.extend(frontmatter.duplicate_keys(block.yaml_text, source, block.first_line))
    line_of = frontmatter.line_finder(block.yaml_text, block.first_line)
    if "taxonomy" in data:
        result.records.extend(taxonomy.records(data, source, problems, line_of,
                                               options.max_list_items))
    else:
        result.records.append(frontmatter.article(data, source, block.body, problems, line_of,
                                                  options.max_list_items))


def _first_mapping(text: str, source: str, problems: list[Problem]) -> dict | None:
    """The first YAML document that is a mapping: some real topic files end with a bare `---`."""
    try:
        for doc in yaml.load_all(text, Loader=frontmatter._Loader):
            if isinstance(doc, dict):
                return doc
            if doc is not None:
                problems.append(Problem(source, f"expected a mapping of fields, found "
                                        f"{describe(doc)}", "wrong-type", 1,
                                        action="skipped the file"))
                return None
    except frontmatter.YAML_FAILURES as exc:
        problems.append(frontmatter.yaml_problem(exc, source, 1))
        return None
    problems.append(Problem(source, "no YAML mapping in the file", "empty", 1,
                            action="skipped the file"))
    return None


def default_taxonomy() -> SourceResult:
    """The built-in topic taxonomy that ships with the package."""
    resource = resources.files("kg.data").joinpath("topics.yaml")
    item = InputFile(path=Path(str(resource)), relpath=DEFAULT_TAXONOMY_SOURCE)
    result = SourceResult(item.relpath)
    _parse(resource.read_text("utf-8"), item, ReadOptions(), result)
    return result

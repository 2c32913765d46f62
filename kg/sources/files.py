"""Finding input files and decoding their bytes to text."""

from __future__ import annotations

import functools
import glob
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import NoInputError
from ..model import Problem

ARTICLE_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".html", ".htm"})
TAXONOMY_SUFFIXES = frozenset({".yaml", ".yml"})
# Repository documents that sit beside articles but are not articles themselves.
NOT_ARTICLES = frozenset({"readme", "license", "licence", "changelog", "contributing", "manifest",
                          "authors", "notice", "copying"})
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file to read, and its path relative to the input root it was found under."""

    path: Path
    relpath: str


def discover(paths: list[str | os.PathLike]) -> list[InputFile]:
    """Every input file under the given files, folders and globs, sorted, hidden files skipped."""
    found: dict[str, InputFile] = {}
    for given in paths:
        for item in _expand(str(given)):
            found.setdefault(_identity(item.path), item)
    if not found:
        shown = ", ".join(str(p) for p in paths) or "(nothing)"
        raise NoInputError(f"no input files found in {shown}: give article files, folders or globs")
    return sorted(found.values(), key=lambda f: (f.relpath, str(f.path)))


def _identity(path: Path) -> str:
    """The real path of a file, for dropping a file given twice; the folder is resolved once
    per folder, not once per file, which is slow on large corpora."""
    folder = _real_folder(str(path.parent))
    return os.path.join(folder, path.name)


@functools.lru_cache(maxsize=4096)
def _real_folder(folder: str) -> str:
    return os.path.realpath(folder)


def _expand(given: str) -> list[InputFile]:
    path = Path(given)
    if path.is_file():
        return [InputFile(path, path.name)]
    if path.is_dir():
        return _walk(path)
    if glob.has_magic(given):
        root = Path(given.split("*")[0].split("?")[0].split("[")[0])
        root = root if root.is_dir() else root.parent
        hits = sorted(Path(p) for p in glob.glob(given, recursive=True))
        return [InputFile(p, _relative(p, root)) for p in hits
                if p.is_file() and not _hidden(p, root)]
    return []


def _walk(root: Path) -> list[InputFile]:
    """Every visible file under `root`, with its path relative to `root`; the relative part is
    made once per folder (Path.relative_to per file was most of discovery's time)."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        folder = Path(dirpath)
        prefix = Path(os.path.relpath(dirpath, root)).as_posix() + "/"
        prefix = "" if prefix == "./" else prefix
        out.extend(InputFile(folder / name, prefix + name)
                   for name in sorted(filenames) if not name.startswith("."))
    return out


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in Path(_relative(path, root)).parts)


def is_candidate(item: InputFile) -> bool:
    """Whether a file may hold an article or taxonomy, judged by its name alone."""
    suffix = item.path.suffix.lower()
    if item.path.stem.lower() in NOT_ARTICLES:
        return False
    return suffix in ARTICLE_SUFFIXES or suffix in TAXONOMY_SUFFIXES


def decode(data: bytes, source: str, problems: list[Problem]) -> str | None:
    """The text of a file: UTF-8 (with or without BOM), else the best guess, said in a Problem."""
    if b"\x00" in data[:8192]:
        problems.append(Problem(source, "binary file, not text", "binary",
                                action="skipped the file"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        import charset_normalizer  # only for files that are not UTF-8

        best = charset_normalizer.from_bytes(data).best()
        encoding = best.encoding if best else "cp1252"
        text = data.decode(encoding, errors="replace")
        problems.append(Problem(source, f"not UTF-8 (byte {exc.start}); read as {encoding}",
                                "encoding", action="decoded what could be decoded"))
    return text.replace("\r\n", "\n").replace("\r", "\n")

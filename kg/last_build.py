"""Keeping the last build's outputs when nothing they depend on has changed.

A `kg build` in which no input file, option, kg code or output changed writes the same bytes
again: at 100,000 files that took 74 s. So the last build that wrote everything records what
it read (each input's stat, trusted only under git's racy rule as in cache.py), what it wrote
(each output's stat; the store folder's files) and its report. The next build that finds all
of it as recorded keeps the outputs and repeats the report. Any difference, an input whose
stat cannot vouch for its content yet, or a missing or unreadable record, and the build runs
in full.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .cache import Signature, Stats, code_fingerprint, signature
from .fileio import read_pickle, write_pickle
from .reading import cache_key
from .sources import InputFile

if TYPE_CHECKING:
    from .pipeline import BuildOptions, BuildReport

RECORD_FILE = "last-build.pickle"  # in the cache folder
# Their versions shape the outputs (Turtle layout, the store's format, the HTML's script).
LIBRARIES = ("pyoxigraph", "pyvis", "PyYAML")

OutputStat = Signature | tuple[tuple[str, Signature | None], ...] | None
Inputs = list[tuple[str, Signature]]


@dataclass(frozen=True, slots=True)
class LastBuild:
    key: str
    inputs: Inputs
    outputs: list[tuple[str, OutputStat]]
    report: BuildReport


def build_key(options: BuildOptions, out_dir: Path) -> str:
    """Everything besides the input files that the outputs depend on."""
    versions = [metadata.version(name) for name in LIBRARIES]
    return repr((code_fingerprint(), versions, replace(options, workers=None),
                 os.path.abspath(out_dir), os.getcwd()))


def kept(folder: Path, key: str, inputs: Inputs | None) -> BuildReport | None:
    """The last build's report when its outputs still stand, else None."""
    if inputs is None:
        return None
    held = read_pickle(folder / RECORD_FILE)
    if not isinstance(held, LastBuild) or held.key != key or held.inputs != inputs:
        return None
    if held.outputs != _outputs([Path(path) for path, _ in held.outputs]):
        return None
    return held.report


def forget(folder: Path) -> None:
    """Called before outputs are rewritten, so that a build cut short is never kept."""
    (folder / RECORD_FILE).unlink(missing_ok=True)


def record(folder: Path, key: str, inputs: Inputs | None, report: BuildReport) -> None:
    if inputs is None:  # a file changed too recently for its stat to vouch for it
        return
    write_pickle(folder / RECORD_FILE,
                 LastBuild(key, inputs, _outputs(report.written), report))


def inputs(files: list[InputFile], stats: Stats) -> Inputs | None:
    """Each input's read-cache key and trusted stat; None when any stat cannot vouch yet.
    (Relative paths in the keys are pinned by the working folder in `build_key`.)"""
    entries = []
    for item, sig in zip(files, stats.trusted(), strict=True):
        if sig is None:
            return None
        entries.append((cache_key(item), sig))
    return entries


def _outputs(paths: list[Path]) -> list[tuple[str, OutputStat]]:
    return [(str(path), _stat(path)) for path in paths]


def _stat(path: Path) -> OutputStat:
    """A file's stat; for a folder (the store), that of each file in it."""
    if path.is_dir():
        return tuple(sorted((child.name, signature(child)) for child in path.iterdir()))
    return signature(path)

"""The parts the workers wrote, made into the output files: joined, or moved as shards."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..fileio import atomic_path
from ..options import QUADS_FILE, TRIPLES_FILE, TURTLE_FILE
from ..rdf import turtle_header_length

# Each output, and the suffix of its parts.
OUTPUTS = ((TRIPLES_FILE, "nt"), (QUADS_FILE, "nq"), (TURTLE_FILE, "ttl"))
COPY_BUFFER = 1 << 22


def join_parts(scratch: Path, stems: list[str], out: Path) -> list[Path]:
    """graph.nt, graph.nq and graph.ttl, each its parts one after another (a Turtle part's
    @prefix lines kept only once: Oxigraph writes each subject's block from its own lines)."""
    written = []
    for name, suffix in OUTPUTS:
        target = out / name
        if target.is_dir():  # shards of an earlier --partitioned build
            shutil.rmtree(target)
        header_written = False
        with atomic_path(target) as tmp, open(tmp, "wb") as joined:
            for stem in stems:
                with open(scratch / f"{stem}.{suffix}", "rb") as part:
                    if suffix == "ttl":
                        skip = turtle_header_length(part.read(1 << 16))
                        part.seek(0 if not header_written else skip)
                        header_written = header_written or skip > 0
                    shutil.copyfileobj(part, joined, COPY_BUFFER)
        written.append(target)
    return written


def shard_parts(scratch: Path, stems: list[str], out: Path) -> list[Path]:
    """graph.nt/, graph.nq/ and graph.ttl/ folders of part-NNNNN files in graph order: the
    N-Triples and N-Quads shards joined are graph.nt and graph.nq; each Turtle shard stands
    alone, @prefix lines and all. Each folder is swapped in whole."""
    written = []
    for name, suffix in OUTPUTS:
        target = out / name
        fresh = out / f".{name}.new"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir()
        for n, stem in enumerate(stems):
            (scratch / f"{stem}.{suffix}").rename(fresh / f"part-{n:05d}.{suffix}")
        _clear(target)
        fresh.rename(target)
        written.append(target)
    return written


def _clear(target: Path) -> None:
    """Out of the way: a folder of shards where a file goes, or the other way round."""
    if target.is_dir():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()


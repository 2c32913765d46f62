"""SPARQL over the embedded store; serving it; loading the graph into another triple store.

The embedded store is a pyoxigraph (RocksDB) folder in the output folder, holding one named
graph per source file and, in the default graph, every triple once. Queries without GRAPH
read the default graph; Oxigraph's union-of-named-graphs mode would repeat a fact once per file
that asserts it, which multiplies joins (a provider named in 50 files matched 50 times).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pyoxigraph as ox

from .errors import NoGraphError, QueryError, StoreError
from .fileio import copy_range
from .store_update import Change, install_digests
from .store_update import apply as apply_change
from .vocab import prefixes

STORE_DIR = "store"
QUADS_FILE = "graph.nq"
TRIPLES_FILE = "graph.nt"
RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                  "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}


# Oxigraph's bulk loader works on a file in batches of a million quads, held in memory. Files
# that are one batch each (together under WHOLE_MAX_BYTES) load whole, side by side; larger ones
# are cut into pieces of about PIECE_BYTES, which balance better over two threads and hold less
# memory than the loader's own batches (measured in fill_store).
WHOLE_MAX_BYTES = 256 * 1024 * 1024
PIECE_BYTES = 64 * 1024 * 1024
LOAD_THREADS = 2


def fill_store(out_dir: str | os.PathLike, change: Change | None = None,
               digests: Path | None = None, loaded: bool = False) -> Path:
    """(Re)create the embedded store from graph.nt and graph.nq, swapped in only when complete.

    graph.nt and graph.nq go in as pieces cut at line breaks (see PIECE_BYTES), two pieces at
    a time. Oxigraph loads a file in batches of a million quads, several held at once: a
    graph.nq of just over a million lines was a batch that kept one core busy long after
    graph.nt was done, and at 100,000 articles the batches in flight took 1.8 GB. Against the
    files loaded whole, side by side (under 600 MB) or one after the other: 20,000 articles
    23-26 s -> 15-18 s and 1.43 -> 0.55 GB; 100,000 articles 113-119 s -> 96 s and
    1.76 -> 0.76 GB. Smaller pieces (32 MB) held less memory but cost more time; at 10,000
    articles, whose two files are one batch each, cutting only added time (8.5 s -> 9.5 s).

    A `change` planned against the store's digests replaces only the subjects whose lines
    changed (see store_update); `digests`, a file of the new lines' digests, then goes beside
    the store for the next rebuild to compare with. `loaded`: `load_store` has already made
    the store from these lines.
    """
    out = Path(out_dir)
    target = out / STORE_DIR
    if change is not None and target.is_dir():
        apply_change(target, change)
    elif not loaded:
        load_store(out)
    if digests is not None:
        install_digests(target, digests)
    return target


def load_store(out_dir: str | os.PathLike) -> None:
    """A new store from graph.nt and graph.nq, swapped in for the old one when complete."""
    out = Path(out_dir)
    inputs = [out / TRIPLES_FILE, out / QUADS_FILE]
    target = out / STORE_DIR
    fresh = out / f".{STORE_DIR}.new"
    old = out / f".{STORE_DIR}.old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    store = ox.Store(str(fresh))
    cut = sum(path.stat().st_size for path in inputs) > WHOLE_MAX_BYTES
    pieces = sorted((piece for path in inputs for piece in _pieces(path, cut)),
                    key=lambda piece: piece.count, reverse=True)
    with tempfile.TemporaryDirectory(dir=out, prefix=".load-") as scratch, \
            ThreadPoolExecutor(max_workers=LOAD_THREADS, thread_name_prefix="kg-load") as pool:
        for load in [pool.submit(_load_piece, store, piece, Path(scratch) / f"{n}.nq")
                     for n, piece in enumerate(pieces)]:
            load.result()
    store.optimize()  # without it, lookups of long strings were 4x slower at 100,000 articles
    del store  # closes the database before the folder moves
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)


@dataclass(frozen=True, slots=True)
class Piece:
    """`count` bytes of `path` from `start`, whole lines; `whole` when that is all of it."""

    path: Path
    start: int
    count: int
    whole: bool


def _pieces(path: Path, cut: bool) -> list[Piece]:
    size = path.stat().st_size
    parts = -(-size // PIECE_BYTES) if cut else 1
    cuts = [0]
    with open(path, "rb") as source:
        for n in range(1, parts):
            source.seek(n * size // parts)
            source.readline()
            cuts.append(source.tell())
    cuts.append(size)
    return [Piece(path, start, end - start, parts == 1) for start, end in pairwise(cuts)]


def _load_piece(store: ox.Store, piece: Piece, scratch: Path) -> None:
    """A whole file is read by Oxigraph in place; a piece is first copied into `scratch`.

    By path, Oxigraph reads without the GIL. A Python reader over part of a file was read 2 KB
    at a time under the GIL (22 s against 18.5 s at 20,000 articles), and a bytes copy would
    hold the piece in memory.
    """
    if piece.whole:
        _bulk_load(store, piece.path)
        return
    with open(piece.path, "rb") as source, open(scratch, "wb") as target:
        try:
            copy_range(source, target, piece.start, piece.count)
        except EOFError:
            raise StoreError("a graph file shrank while the store was being filled: "
                             "build again") from None
    try:
        _bulk_load(store, scratch)
    finally:
        scratch.unlink(missing_ok=True)


def _bulk_load(store: ox.Store, path: Path) -> None:
    # By path, Oxigraph reads the file itself, without the GIL; an N-Triples line is an N-Quads
    # line in the default graph. lenient: kg just wrote these files, and graph.nt is parsed
    # strictly while Turtle is made from it beside this load, so a bad term still stops the build.
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS, lenient=True)


def open_store(out_dir: str | os.PathLike) -> ox.Store:
    path = Path(out_dir) / STORE_DIR
    if not path.is_dir():
        raise NoGraphError(f"no store in {out_dir}: run `kg build -o {out_dir}` first")
    return ox.Store.read_only(str(path))


def read_query(query: str) -> str:
    """A query given as text, or as the path of a `.rq` file."""
    if query.strip().endswith(".rq") or (len(query) < 4096 and "\n" not in query
                                         and Path(query).is_file()):
        path = Path(query.strip())
        if not path.is_file():
            raise QueryError(f"{path} does not exist")
        return path.read_text("utf-8")
    return query


@dataclass
class Answer:
    """A query's answer: solutions (SELECT), a boolean (ASK) or triples (CONSTRUCT/DESCRIBE)."""

    kind: str
    result: object

    def variables(self) -> list[str]:
        return [v.value for v in self.result.variables] if self.kind == "select" else []


def run_query(store: ox.Store, text: str) -> Answer:
    """Run SPARQL on the store; the default graph holds every fact once."""
    try:
        result = store.query(text, prefixes=prefixes())
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {exc}") from exc
    except OSError as exc:
        raise QueryError(f"query failed: {exc}") from exc
    if isinstance(result, ox.QueryBoolean):
        return Answer("ask", bool(result))
    if isinstance(result, ox.QueryTriples):
        return Answer("graph", result)
    return Answer("select", result)


def serialize_answer(answer: Answer, fmt: str) -> bytes:
    """The standard serialisation: SPARQL JSON/CSV/TSV/XML results, or Turtle for graphs."""
    if answer.kind == "graph":
        return ox.serialize(answer.result, format=ox.RdfFormat.TURTLE, prefixes=prefixes())
    if answer.kind == "ask":
        if fmt == "json":
            return b'{"head":{},"boolean":' + (b"true" if answer.result else b"false") + b"}\n"
        return b"true\n" if answer.result else b"false\n"
    return answer.result.serialize(format=RESULT_FORMATS[fmt])


def rows(answer: Answer) -> Iterator[list[str]]:
    """SELECT solutions as short strings (prefixed IRIs, literal values), for a table."""
    names = answer.variables()
    short = sorted(prefixes().items(), key=lambda kv: -len(kv[1]))
    for solution in answer.result:
        yield [_short(solution[name], short) for name in names]


def _short(term, short: list[tuple[str, str]]) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in short:
            if term.value.startswith(namespace):
                return f"{prefix}:{term.value[len(namespace):]}"
        return term.value
    return term.value


def bundled_queries() -> dict[str, Path]:
    from .resources import resource_dir

    return {p.stem: p for p in sorted(resource_dir("queries").glob("*.rq"))}


# --- serving -----------------------------------------------------------------------------

def serve_command(out_dir: str | os.PathLike, port: int, host: str = "127.0.0.1") -> list[str]:
    """The `oxigraph serve-read-only` command line for the store in `out_dir`."""
    store = Path(out_dir) / STORE_DIR
    if not store.is_dir():
        raise NoGraphError(f"no store in {out_dir}: run `kg build -o {out_dir}` first")
    binary = shutil.which("oxigraph") or str(Path(sys.executable).with_name("oxigraph"))
    if not Path(binary).exists():
        raise StoreError("the `oxigraph` server is not installed: pip install oxigraph")
    return [binary, "serve-read-only", "--location", str(store), "--bind", f"{host}:{port}"]


def serve(out_dir: str | os.PathLike, port: int, host: str = "127.0.0.1") -> int:
    """Serve the store read-only over the SPARQL 1.1 Protocol until SIGINT or SIGTERM.

    The server is a child process that is stopped with us: on either signal, and by the
    kernel when this process dies without a chance to stop it (SIGKILL), so that no orphan
    keeps the port.
    """
    process = subprocess.Popen(serve_command(out_dir, port, host),
                               preexec_fn=_die_with_parent if sys.platform == "linux" else None)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM when its parent ends."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)

"""SPARQL over the embedded store; serving it; loading the graph into another triple store.

The embedded store is a pyoxigraph (RocksDB) folder in the output folder holding, in the default
graph, every triple once; built with `provenance`, also one named graph per source file, for
`GRAPH ?g` to tell which file asserted a fact. Oxigraph's union-of-named-graphs mode is not
used: it would repeat a fact once per file that asserts it, which multiplies joins (a provider
named in 50 files matched 50 times) and breaks counts.
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
from .options import QUADS_FILE, STORE_DIR, TRIPLES_FILE
from .vocab import prefixes

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV,
                  "tsv": ox.QueryResultsFormat.TSV, "xml": ox.QueryResultsFormat.XML}


# Oxigraph's bulk loader works on a file in batches of a million quads, held in memory. Files
# that are one batch each (together under WHOLE_MAX_BYTES) load whole, side by side; larger ones
# are cut into pieces of about PIECE_BYTES at line breaks, which balance better over two threads
# and hold less memory than the loader's own batches (see docs/performance.md).
WHOLE_MAX_BYTES = 256 * 1024 * 1024
PIECE_BYTES = 64 * 1024 * 1024
LOAD_THREADS = 2


def fill_store(out_dir: str | os.PathLike, provenance: bool = False,
               shards: tuple[list[Path], list[Path]] | None = None) -> Path:
    """A new store from graph.nt (the default graph) and, with `provenance`, graph.nq (one
    named graph per source file), swapped in for the old one when complete; or from
    `shards`, the N-Triples and N-Quads files that together are those two."""
    out = Path(out_dir)
    triples, quads = shards or ([out / TRIPLES_FILE], [out / QUADS_FILE])
    inputs = [*triples, *(quads if provenance else [])]
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
    store.optimize()  # without it, lookups of long strings are several times slower
    del store  # closes the database before the folder moves
    if target.exists():
        target.rename(old)
    fresh.rename(target)
    shutil.rmtree(old, ignore_errors=True)
    return target


def update_store(out_dir: str | os.PathLike, subjects: set[str], triples: bytes,
                 quads: bytes | None) -> Path:
    """Replace the statements of `subjects` in one transaction: their triples in the default
    graph (and, with `quads`, in every named graph) by these N-Triples and N-Quads lines."""
    target = Path(out_dir) / STORE_DIR
    if not subjects:
        return target
    operations = [f"DELETE WHERE {{ <{subject}> ?p ?o }}" for subject in sorted(subjects)]
    if quads is not None:
        operations += [f"DELETE WHERE {{ GRAPH ?g {{ <{subject}> ?p ?o }} }}"
                       for subject in sorted(subjects)]
    inserts = triples.decode("utf-8").splitlines()
    for line in (quads or b"").decode("utf-8").splitlines():
        statement, graph, _dot = line.rsplit(" ", 2)
        inserts.append(f"GRAPH {graph} {{ {statement} }}")
    if inserts:
        operations.append("INSERT DATA {\n" + "\n".join(inserts) + "\n}")
    store = ox.Store(str(target))
    store.update(" ;\n".join(operations))
    del store  # closes the database
    return target


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

    By path, Oxigraph reads without the GIL. A Python reader over part of a file is read 2 KB
    at a time under the GIL, and a bytes copy would hold the piece in memory.
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


def has_named_graphs(store: ox.Store) -> bool:
    """Whether the store was built with provenance (one named graph per source file)."""
    return next(iter(store.named_graphs()), None) is not None


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

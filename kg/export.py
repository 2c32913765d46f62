"""Exports on request, made from a built graph.nt: JSON-LD compacted with a schema.org context
(what web publishers embed), GraphML and GEXF (Gephi, Cytoscape)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from .errors import NoGraphError
from .fileio import atomic_path, write_text
from .options import TRIPLES_FILE
from .vocab import SCHEMA_HTTP, SCHEMA_HTTPS, prefixes

FILES = {"jsonld": "graph.jsonld", "graphml": "graph.graphml", "gexf": "graph.gexf"}


def export(out_dir: str | os.PathLike, fmt: str) -> Path:
    """Write `OUT/graph.jsonld|graphml|gexf` from `OUT/graph.nt`; return its path.

        >>> export("output", "graphml")  # doctest: +SKIP
        PosixPath('output/graph.graphml')
    """
    out = Path(out_dir)
    source = out / TRIPLES_FILE
    if not source.exists():
        raise NoGraphError(f"no {TRIPLES_FILE} in {out}: run `kg build -o {out}` first")
    target = out / FILES[fmt]
    if fmt == "jsonld":
        write_text(target, _jsonld(source))
    else:
        import networkx as nx

        from .analytics import read_networkx

        # GraphML and GEXF hold one edge per key and plain attributes: a simple directed
        # graph with the edge's kind keeps what Gephi and Cytoscape show.
        graph = nx.DiGraph()
        multi = read_networkx(source)
        graph.add_nodes_from((n, {k: v for k, v in d.items() if v is not None})
                             for n, d in multi.nodes(data=True))
        graph.add_edges_from((s, o, {"kind": k}) for s, o, k in multi.edges(keys=True))
        with atomic_path(target) as path:
            (nx.write_graphml if fmt == "graphml" else nx.write_gexf)(graph, path)
    return target


def _jsonld(source: Path) -> str:
    import rdflib

    graph = rdflib.Graph(store="Oxigraph")
    graph.parse(source, format="ox-ntriples")
    schema = SCHEMA_HTTP if any(str(p).startswith(SCHEMA_HTTP)
                                for p in graph.predicates(unique=True)) else SCHEMA_HTTPS
    context = {"@vocab": schema, **{k: v for k, v in prefixes(schema).items()
                                    if k != "schema"}}
    document = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=True))
    if isinstance(document.get("@graph"), list):  # the same graph gives the same bytes
        document["@graph"].sort(key=lambda node: node.get("@id", ""))
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

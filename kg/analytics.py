"""KnowledgeGraph -> networkx, and the figures computed from it."""

from __future__ import annotations

import networkx as nx

from .graph import KnowledgeGraph


def to_networkx(graph: KnowledgeGraph) -> nx.MultiDiGraph:
    """A MultiDiGraph keyed by IRI; nodes carry `kind` and `label`, edges `kind`."""
    g = nx.MultiDiGraph()
    g.add_nodes_from((n.iri, {"kind": n.kind.value, "label": n.label, "key": n.key})
                     for n in graph.nodes)
    g.add_edges_from((e.source, e.target, e.kind.value, {"kind": e.kind.value})
                     for e in graph.edges)
    return g

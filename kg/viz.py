"""KnowledgeGraph -> interactive HTML network view (pyvis), self-contained and offline."""

from __future__ import annotations

import os
from pathlib import Path

from pyvis.network import Network

from .fileio import write_text
from .graph import KnowledgeGraph


def write_html(graph: KnowledgeGraph, target: str | os.PathLike) -> Path:
    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line")
    for node in graph.nodes:
        net.nodes.append({"id": node.iri, "label": node.label[:40], "title": node.label,
                          "group": node.kind.value})
    for edge in graph.edges:
        net.edges.append({"from": edge.source, "to": edge.target, "title": edge.kind.value})
    write_text(target, net.generate_html())
    return Path(target)

"""KnowledgeGraph -> interactive HTML network view (pyvis), self-contained and offline.

pyvis draws the network with vis-network inlined in the page. We strip the Bootstrap links its
template pulls from a CDN, add a legend, search and filters, and build hover tooltips from DOM
text nodes, so nothing from the data is ever parsed as HTML.

Above a node budget the view keeps every topic, the most connected providers and articles, says
on the page what it left out, and gets positions computed ahead of time with physics off.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .fileio import write_text
from .graph import EdgeKind, KnowledgeGraph, Node, NodeKind

DEFAULT_MAX_NODES = 1500
# Below this many nodes physics runs briefly in the browser; above it positions come from Python.
PHYSICS_MAX_NODES = 300
LABEL_CHARS = 32
MAX_SIZE = 45
STYLE = {
    NodeKind.ARTICLE: {"color": "#4C78A8", "shape": "dot", "name": "Article"},
    NodeKind.PROVIDER: {"color": "#E45756", "shape": "square", "name": "Provider"},
    NodeKind.TOPIC: {"color": "#F58518", "shape": "triangle", "name": "Topic"},
}
EDGE_COLORS = {EdgeKind.PUBLISHER: "#E4575688", EdgeKind.ABOUT: "#F5851888",
               EdgeKind.RELATED: "#4C78A8AA", EdgeKind.BROADER: "#F58518"}
_CDN = re.compile(r"<(link|script)\b[^>]*https?://[^>]*>(\s*</script>)?", re.IGNORECASE)


@dataclass
class View:
    """The nodes and edges shown, and what was left out."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    total: dict[str, int] = field(default_factory=dict)
    shown: dict[str, int] = field(default_factory=dict)
    laid_out: bool = False


def write_html(graph: KnowledgeGraph, target: str | os.PathLike,
               max_nodes: int = DEFAULT_MAX_NODES) -> Path:
    """Write the HTML view of `graph` to `target`, atomically."""
    write_text(target, render(graph, max_nodes))
    return Path(target)


def render(graph: KnowledgeGraph, max_nodes: int = DEFAULT_MAX_NODES) -> str:
    from pyvis.network import Network  # imports IPython: 0.5 s that only drawing needs

    view = build_view(graph, max_nodes)
    net = Network(height="100vh", width="100%", directed=True, cdn_resources="in_line",
                  heading="")
    net.nodes = view.nodes
    net.edges = view.edges
    net.set_options(json.dumps(_options(view)))
    page = _CDN.sub("", net.generate_html())
    page = page.replace("<center>\n<h1></h1>\n</center>", "").replace(
        "<center>\n          <h1></h1>\n        </center>", "")
    return page.replace("</body>", _panel(view) + "\n</body>", 1)


def build_view(graph: KnowledgeGraph, max_nodes: int = DEFAULT_MAX_NODES) -> View:
    """Choose the nodes to show and give each its style, size and tooltip data."""
    shown_kinds = set(STYLE)
    nodes = [n for n in graph.nodes if n.kind in shown_kinds]
    edges = [e for e in graph.edges if e.kind in EDGE_COLORS]
    degree: dict[str, int] = {}
    for e in edges:
        degree[e.source] = degree.get(e.source, 0) + 1
        degree[e.target] = degree.get(e.target, 0) + 1
    keep = _budget(nodes, edges, degree, max_nodes)
    view = View(total=_count(nodes))
    context = _Context(graph)
    for node in nodes:
        if node.iri in keep:
            view.nodes.append(_vis_node(node, degree.get(node.iri, 0), context))
    view.edges = [{"from": e.source, "to": e.target, "color": EDGE_COLORS[e.kind],
                   "kind": e.kind.value, "arrows": "to"}
                  for e in edges if e.source in keep and e.target in keep]
    view.shown = _count([n for n in nodes if n.iri in keep])
    if len(view.nodes) > PHYSICS_MAX_NODES:
        _lay_out(view)
    return view


def _budget(nodes: list[Node], edges: list, degree: dict[str, int], max_nodes: int) -> set[str]:
    """All nodes if they fit; else every topic, then articles by degree with their providers."""
    if len(nodes) <= max_nodes:
        return {n.iri for n in nodes}
    keep = {n.iri for n in nodes if n.kind is NodeKind.TOPIC}
    publishers: dict[str, list[str]] = {}
    for e in edges:
        if e.kind is EdgeKind.PUBLISHER:
            publishers.setdefault(e.source, []).append(e.target)
    articles = sorted((n for n in nodes if n.kind is NodeKind.ARTICLE),
                      key=lambda n: (-degree.get(n.iri, 0), n.iri))
    for article in articles:
        extra = {article.iri, *publishers.get(article.iri, ())} - keep
        if len(keep) + len(extra) > max_nodes:
            break
        keep |= extra
    return keep


def _count(nodes: list[Node]) -> dict[str, int]:
    out = {kind.value: 0 for kind in STYLE}
    for n in nodes:
        out[n.kind.value] += 1
    return out


class _Context:
    """Lookups for tooltips: each article's provider names, topic labels and image URLs."""

    def __init__(self, graph: KnowledgeGraph) -> None:
        self.providers: dict[str, list[str]] = {}
        self.topics: dict[str, list[str]] = {}
        self.images: dict[str, list[str]] = {}
        targets = {EdgeKind.PUBLISHER: self.providers, EdgeKind.ABOUT: self.topics,
                   EdgeKind.IMAGE: self.images}
        for e in graph.edges:
            if e.kind in targets:
                other = graph.by_iri[e.target]
                text = other.get("content_url") if e.kind is EdgeKind.IMAGE else other.label
                targets[e.kind].setdefault(e.source, []).append(str(text))


def _vis_node(node: Node, degree: int, context: _Context) -> dict:
    style = STYLE[node.kind]
    label = node.label if node.kind is not NodeKind.ARTICLE else _short(node.label)
    info = {"kind": style["name"], "title": node.label}
    if node.kind is NodeKind.ARTICLE:
        date = node.get("date_published")
        info.update({
            "date": date.date().isoformat() if date else "",
            "provider": ", ".join(context.providers.get(node.iri, [])),
            "topics": ", ".join(context.topics.get(node.iri, [])),
            "url": node.get("url") or "",
            "image": (context.images.get(node.iri) or [""])[0],
        })
    elif node.kind is NodeKind.PROVIDER:
        info.update({"domain": node.get("domain") or "",
                     "also": ", ".join(v for v in node.all("names") if v != node.label)})
    else:
        info.update({"also": ", ".join(node.all("alt_labels"))})
    return {
        "id": node.iri, "label": label, "shape": style["shape"], "color": style["color"],
        "size": round(min(MAX_SIZE, 8 + 5 * math.log1p(degree)), 1), "kgKind": node.kind.value,
        "kgInfo": info, "kgTopics": context.topics.get(node.iri, []),
        "kgProviders": context.providers.get(node.iri, []),
    }


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _lay_out(view: View) -> None:
    """Positions computed ahead in linear time, so the browser draws at once, physics off.

    Topics sit on a ring; articles gather in sunflower discs at the centroid of their topics
    (one disc per topic set); providers sit just outside the mean of their articles. A force
    layout (networkx spring_layout) took 10 s at 1,500 nodes; this takes milliseconds.
    """
    kinds = {n["id"]: n["kgKind"] for n in view.nodes}
    linked: dict[str, list[str]] = {n["id"]: [] for n in view.nodes}
    for edge in view.edges:
        if edge["from"] in linked and edge["to"] in linked:
            linked[edge["from"]].append(edge["to"])
            linked[edge["to"]].append(edge["from"])
    spacing = 14.0
    radius = max(300.0, spacing * math.sqrt(len(view.nodes)) * 1.6)
    topics = sorted(i for i, k in kinds.items() if k == "topic")
    pos = {t: _polar(radius, 2 * math.pi * i / len(topics)) for i, t in enumerate(topics)}
    groups: dict[tuple[str, ...], list[str]] = {}
    for node_id in sorted(i for i, k in kinds.items() if k == "article"):
        key = tuple(sorted(t for t in linked[node_id] if kinds[t] == "topic"))
        groups.setdefault(key, []).append(node_id)
    for key, members in groups.items():
        centre = _mean([pos[t] for t in key], (0.0, 0.0), 0.7)
        pos.update(_sunflower(members, centre, spacing))
    for node_id in sorted(i for i, k in kinds.items() if k not in ("topic", "article")):
        near = [pos[o] for o in linked[node_id] if o in pos]
        pos[node_id] = _mean(near, _polar(radius * 1.2, _angle(node_id)), 1.15)
    for node in view.nodes:
        x, y = pos[node["id"]]
        node["x"], node["y"] = round(x, 1), round(y, 1)
    view.laid_out = True


def _polar(r: float, angle: float) -> tuple[float, float]:
    return r * math.cos(angle), r * math.sin(angle)


def _angle(key: str) -> float:
    return int(hashlib.blake2b(key.encode(), digest_size=4).hexdigest(), 16) / 2**32 * 2 * math.pi


def _mean(points: list[tuple[float, float]], default: tuple[float, float],
          stretch: float) -> tuple[float, float]:
    if not points:
        return default
    return (stretch * sum(p[0] for p in points) / len(points),
            stretch * sum(p[1] for p in points) / len(points))


def _sunflower(members: list[str], centre: tuple[float, float],
               spacing: float) -> dict[str, tuple[float, float]]:
    """Evenly spread points in a disc (Vogel's spiral), the disc's area growing with the count."""
    golden = math.pi * (3 - math.sqrt(5))
    return {m: (centre[0] + spacing * math.sqrt(i + 0.5) * math.cos(i * golden),
                centre[1] + spacing * math.sqrt(i + 0.5) * math.sin(i * golden))
            for i, m in enumerate(members)}


def _options(view: View) -> dict:
    physics = not view.laid_out
    return {
        "nodes": {"font": {"size": 14, "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "borderWidth": 1},
        "edges": {"smooth": False, "width": 1, "arrows": {"to": {"scaleFactor": 0.4}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": True,
                        "navigationButtons": False},
        "physics": {
            "enabled": physics,
            "solver": "barnesHut",
            "barnesHut": {"gravitationalConstant": -6000, "springLength": 120,
                          "avoidOverlap": 0.2},
            "stabilization": {"enabled": True, "iterations": 200, "updateInterval": 50,
                              "fit": True},
        },
        "layout": {"improvedLayout": len(view.nodes) <= PHYSICS_MAX_NODES, "randomSeed": 7},
    }


def _panel(view: View) -> str:
    """The legend, counts, search and filters, and the tooltip script, all offline."""
    counts = ", ".join(f"{view.total[k]:,} {k}s" for k in view.total)
    left_out = {k: view.total[k] - view.shown[k] for k in view.total}
    note = ""
    if any(left_out.values()):
        dropped = ", ".join(f"{v:,} {k}s" for k, v in left_out.items() if v)
        note = (f"<p id='kg-budget' class='kg-note'>Showing the {sum(view.shown.values()):,} most "
                f"connected nodes; left out: {html.escape(dropped)}. The full graph is in "
                "graph.ttl.</p>")
    legend = "".join(
        f"<label class='kg-legend'><input type='checkbox' data-kind='{k.value}' checked>"
        f"<span class='kg-swatch kg-{s['shape']}' style='background:{s['color']}'></span>"
        f"{s['name']} ({view.shown[k.value]:,})</label>" for k, s in STYLE.items())
    topics = sorted({t for n in view.nodes for t in n["kgTopics"]})
    providers = sorted({n["label"] for n in view.nodes if n["kgKind"] == "provider"})
    data = json.dumps({"topics": topics, "providers": providers, "laidOut": view.laid_out})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _fill(_asset("view.html"), css=_asset("view.css"), counts=html.escape(counts),
                 note=note, legend=legend, data=data, js=_asset("view.js"))


def _asset(name: str) -> str:
    """A file of the page (HTML, CSS, JavaScript) shipped in kg/data."""
    return resources.files("kg.data").joinpath(name).read_text("utf-8")


def _fill(template: str, **values: str) -> str:
    """Put each value in place of its {{name}} in one pass, so no value is read as a template.

    Values are already escaped by the caller."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)

"""KnowledgeGraph -> interactive HTML network view (pyvis), self-contained and offline.

pyvis draws the network with vis-network inlined in the page; the page's own HTML, CSS and
JavaScript are files in `kg/data/`. Every text from the data reaches the page as JSON and is put
into the DOM as text nodes, so nothing from the data is ever parsed as HTML.

The view is made for reading at real size: positions come from a force-directed layout computed
ahead (`kg.layout`), sizes and label priorities from each node's importance, and the page's
script draws a label only where it covers no other. Above the node budget, the articles left out
are aggregated into one cluster node per topic (or provider) that lists and expands them.
"""

from __future__ import annotations

import html
import json
import math
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from . import layout
from .fileio import write_text
from .graph import Edge, EdgeKind, KnowledgeGraph, Node, NodeKind
from .layout import Box

DEFAULT_MAX_NODES = 1500
LABEL_CHARS = 28
# A label is drawn only from this many pixels up (vis-network's scaling.label.drawThreshold).
DRAW_THRESHOLD = 10
OVERVIEW_PX = 1000
SMALL_VIEW = 150
STYLE = {
    NodeKind.ARTICLE: {"color": "#4C78A8", "shape": "dot", "name": "Article"},
    NodeKind.PROVIDER: {"color": "#E45756", "shape": "square", "name": "Provider"},
    NodeKind.TOPIC: {"color": "#F58518", "shape": "triangle", "name": "Topic"},
}
CLUSTER_STYLE = {"color": "#9D9D9D", "shape": "diamond", "name": "Aggregated articles"}
EDGE_COLORS = {EdgeKind.PUBLISHER: "#E4575655", EdgeKind.ABOUT: "#F5851855",
               EdgeKind.RELATED: "#4C78A877", EdgeKind.BROADER: "#F58518AA"}
_CDN = re.compile(r"<(link|script)\b[^>]*https?://[^>]*>(\s*</script>)?", re.IGNORECASE)
_SPACE = re.compile(r"\s+")


@dataclass
class View:
    """The nodes and edges drawn, the catalogue behind the panels, and what was aggregated."""

    nodes: list[dict] = field(default_factory=list)
    edges: list[dict] = field(default_factory=list)
    catalogue: list[dict] = field(default_factory=list)
    clusters: dict[str, dict] = field(default_factory=dict)
    stories: list[dict] = field(default_factory=list)
    total: dict[str, int] = field(default_factory=dict)
    shown: dict[str, int] = field(default_factory=dict)


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
    net.set_options(json.dumps(_options()))
    page = _CDN.sub("", net.generate_html())
    page = page.replace("<center>\n<h1></h1>\n</center>", "").replace(
        "<center>\n          <h1></h1>\n        </center>", "")
    # The style goes in the head, before vis-network measures its canvas: it sets the page's
    # size (no scrollbar), and a size changed later would make vis-network rescale the view.
    page = page.replace("</head>", f"<style>\n{_asset('view.css')}</style>\n</head>", 1)
    return page.replace("</body>", _panel(view) + "\n</body>", 1)


@dataclass
class _Facts:
    """What the view needs to know of each node: its neighbours by kind and its importance."""

    graph: KnowledgeGraph
    nodes: list[Node]
    edges: list[Edge]
    degree: dict[str, int] = field(default_factory=dict)
    publishers: dict[str, list[str]] = field(default_factory=dict)
    topics: dict[str, list[str]] = field(default_factory=dict)
    related: dict[str, list[str]] = field(default_factory=dict)
    images: dict[str, str] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    story: dict[str, str] = field(default_factory=dict)  # article -> its story's IRI

    @classmethod
    def of(cls, graph: KnowledgeGraph) -> _Facts:
        facts = cls(graph, [n for n in graph.nodes if n.kind in STYLE],
                    [e for e in graph.edges if e.kind in EDGE_COLORS])
        for e in facts.edges:
            facts.degree[e.source] = facts.degree.get(e.source, 0) + 1
            facts.degree[e.target] = facts.degree.get(e.target, 0) + 1
            if e.kind is EdgeKind.PUBLISHER:
                facts.publishers.setdefault(e.source, []).append(e.target)
            elif e.kind is EdgeKind.ABOUT:
                facts.topics.setdefault(e.source, []).append(e.target)
            elif e.kind is EdgeKind.RELATED:
                facts.related.setdefault(e.source, []).append(e.target)
                facts.related.setdefault(e.target, []).append(e.source)
            if e.kind in (EdgeKind.PUBLISHER, EdgeKind.ABOUT):
                facts.articles[e.target] = facts.articles.get(e.target, 0) + 1
        for e in graph.edges:
            if e.kind is EdgeKind.IMAGE and e.source not in facts.images:
                facts.images[e.source] = str(graph.by_iri[e.target].get("content_url") or "")
            elif e.kind is EdgeKind.STORY:
                facts.story[e.source] = e.target
        return facts

    def importance(self, node: Node) -> float:
        """How much a node matters to a reader: its articles for topics and providers."""
        if node.kind is NodeKind.ARTICLE:
            return self.degree.get(node.iri, 0)
        return self.articles.get(node.iri, 0)


def build_view(graph: KnowledgeGraph, max_nodes: int = DEFAULT_MAX_NODES) -> View:
    """Choose the nodes to draw, aggregate the rest, and give each its style and position."""
    facts = _Facts.of(graph)
    keep = _budget(facts, max_nodes)
    view = View(total=_count(facts.nodes))
    view.catalogue, index = _catalogue(facts)
    view.stories = _stories(facts, view.catalogue, index)
    view.clusters = _clusters(facts, keep, index)
    ranked = sorted((n for n in facts.nodes if n.iri in keep),
                    key=lambda n: (_KIND_ORDER[n.kind], -facts.importance(n), n.iri))
    within: dict[NodeKind, int] = {}
    for n in ranked:
        within[n.kind] = within.get(n.kind, 0) + 1
    seen: dict[NodeKind, int] = {}
    for rank, n in enumerate(ranked):
        standing = 1 - seen.get(n.kind, 0) / within[n.kind]
        seen[n.kind] = seen.get(n.kind, 0) + 1
        view.nodes.append(_vis_node(n, facts, rank, standing))
    view.nodes += [_cluster_node(cid, c, len(view.nodes) + k, view.catalogue)
                   for k, (cid, c) in enumerate(view.clusters.items())]
    view.edges = [{"from": e.source, "to": e.target, "color": EDGE_COLORS[e.kind],
                   "kind": e.kind.value, "arrows": "to"}
                  for e in facts.edges if e.source in keep and e.target in keep]
    view.edges += [{"from": cid, "to": view.catalogue[c["anchor"]]["id"], "kind": "cluster",
                    "color": "#9D9D9D88", "dashes": True}
                   for cid, c in view.clusters.items() if c["anchor"] >= 0]
    view.shown = _count([n for n in facts.nodes if n.iri in keep])
    # Fonts are given in pixels at the overview's zoom; the page fits the layout's width into
    # about OVERVIEW_PX pixels, so a font in canvas units is its pixels over that scale.
    scale = OVERVIEW_PX / layout.width([n["size"] for n in view.nodes])
    # A small graph has room for every label: none starts below the size drawn at first.
    least = DRAW_THRESHOLD + 4 if len(view.nodes) <= SMALL_VIEW else 0
    for node in view.nodes:
        node["font"] = {"size": round(max(least, node["font"]["size"]) / scale, 1)}
    _place(view)
    return view


_KIND_ORDER = {NodeKind.TOPIC: 0, NodeKind.PROVIDER: 1, NodeKind.ARTICLE: 2}


def _budget(facts: _Facts, max_nodes: int) -> set[str]:
    """All nodes if they fit; else every topic, then articles by degree with their providers.

    Room is left for one cluster node per topic and one more, which hold the rest."""
    if len(facts.nodes) <= max_nodes:
        return {n.iri for n in facts.nodes}
    keep = {n.iri for n in facts.nodes if n.kind is NodeKind.TOPIC}
    room = max_nodes - len(keep) - 1
    articles = sorted((n for n in facts.nodes if n.kind is NodeKind.ARTICLE),
                      key=lambda n: (-facts.degree.get(n.iri, 0), n.iri))
    for article in articles:
        extra = {article.iri, *facts.publishers.get(article.iri, ())} - keep
        if len(keep) + len(extra) > room:
            break
        keep |= extra
    return keep


def _count(nodes: list[Node]) -> dict[str, int]:
    out = {kind.value: 0 for kind in STYLE}
    for n in nodes:
        out[n.kind.value] += 1
    return out


def _catalogue(facts: _Facts) -> tuple[list[dict], dict[str, int]]:
    """Every article, provider and topic with what the details panel shows, by position.

    Links between entries are positions in the list, which keeps the page small at 20,000
    articles; the page derives each topic's and provider's articles from them."""
    index = {n.iri: i for i, n in enumerate(facts.nodes)}
    entries = []
    for node in facts.nodes:
        entry: dict = {"id": node.iri, "k": node.kind.value, "l": node.label}
        if node.kind is NodeKind.ARTICLE:
            date = node.get("date_published")
            entry.update(d=date.date().isoformat() if date else "", u=node.get("url") or "",
                         p=[index[i] for i in facts.publishers.get(node.iri, ())],
                         t=[index[i] for i in facts.topics.get(node.iri, ())],
                         r=sorted({index[i] for i in facts.related.get(node.iri, ())}))
            if node.iri in facts.images:
                entry["i"] = facts.images[node.iri]
        elif node.kind is NodeKind.PROVIDER:
            entry.update(dom=node.get("domain") or "",
                         a=", ".join(v for v in node.all("names") if v != node.label))
        else:
            entry["a"] = ", ".join(node.all("alt_labels"))
        entries.append(entry)
    return entries, index


def _stories(facts: _Facts, catalogue: list[dict], index: dict[str, int]) -> list[dict]:
    """Each story, most outlets first: label, first and last dates, outlets, members by date;
    each member's catalogue entry gets `s`, its story's position."""
    members: dict[str, list[int]] = {}
    for article, story in facts.story.items():
        members.setdefault(story, []).append(index[article])
    stories = []
    for iri, ids in members.items():
        node = facts.graph.by_iri[iri]
        ids.sort(key=lambda i: (_timestamp(facts.graph.by_iri[catalogue[i]["id"]]), i))
        stories.append({"l": node.label, "f": node.get("first").date().isoformat(),
                        "z": node.get("last").date().isoformat(), "n": node.get("outlets"),
                        "m": ids})
    stories.sort(key=lambda s: (-s["n"], -len(s["m"]), s["f"], s["l"]))
    for position, story in enumerate(stories):
        for i in story["m"]:
            catalogue[i]["s"] = position
    return stories


def _clusters(facts: _Facts, keep: set[str], index: dict[str, int]) -> dict[str, dict]:
    """One cluster per topic for the articles not drawn, newest first, and one for the rest.

    An article goes to its topic with the fewest articles, the most specific one it has."""
    members: dict[int, list[Node]] = {}
    for node in facts.nodes:
        if node.kind is not NodeKind.ARTICLE or node.iri in keep:
            continue
        topics = facts.topics.get(node.iri)
        anchor = min(topics, key=lambda t: (facts.articles.get(t, 0), t)) if topics else None
        members.setdefault(index[anchor] if anchor else -1, []).append(node)
    clusters = {}
    for anchor, nodes in sorted(members.items()):
        nodes.sort(key=lambda n: (-_timestamp(n), n.iri))
        clusters[f"kg:cluster:{anchor}"] = {"anchor": anchor,
                                            "m": [index[n.iri] for n in nodes]}
    return clusters


def _timestamp(node: Node) -> float:
    date = node.get("date_published")
    return date.timestamp() if date else float("-inf")


def _vis_node(node: Node, facts: _Facts, rank: int, standing: float) -> dict:
    """A drawn node; `standing` is 1 for the most important of its kind, near 0 for the least.

    Only the labels of the most important articles and providers are large enough to be
    drawn in the overview; the rest appear as the reader zooms in."""
    style = STYLE[node.kind]
    weight = math.log1p(facts.importance(node))
    if node.kind is NodeKind.TOPIC:
        size, font = min(40, 14 + 4 * weight), 16
    elif node.kind is NodeKind.PROVIDER:
        size, font = min(26, 7 + 3 * weight), 5 + 11 * standing**8
    else:
        size, font = min(16, 5 + 2.5 * weight), 4.5 + 8.5 * standing**8
    return {"id": node.iri, "label": _short(node.label), "shape": style["shape"],
            "color": style["color"], "size": round(size, 1), "font": {"size": round(font, 1)},
            "kgKind": node.kind.value, "kgRank": rank}


def _cluster_node(cid: str, cluster: dict, rank: int, catalogue: list[dict]) -> dict:
    count = len(cluster["m"])
    about = catalogue[cluster["anchor"]]["l"] if cluster["anchor"] >= 0 else "no topic"
    return {"id": cid, "label": f"+{count:,} more: {_short(about)}",
            "shape": CLUSTER_STYLE["shape"], "color": CLUSTER_STYLE["color"],
            "size": round(min(30, 8 + 3 * math.log1p(count)), 1), "font": {"size": 12},
            "kgKind": "cluster", "kgRank": rank}


def _short(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1].rstrip() + "…"


def _place(view: View) -> None:
    """Positions from the layout; a topic's box holds its label so no two topics' labels meet."""
    boxes = {}
    for node in view.nodes:
        size = node["size"]
        if node["kgKind"] == "topic":
            font = node["font"]["size"]
            boxes[node["id"]] = Box(size, 0.6 * font * len(node["label"]), 1.4 * font)
        else:
            boxes[node["id"]] = Box(size)
    positions = layout.lay_out([n["id"] for n in view.nodes],
                        [(e["from"], e["to"]) for e in view.edges], boxes)
    for node in view.nodes:
        node["x"], node["y"] = positions[node["id"]]


def _options() -> dict:
    return {
        "nodes": {"font": {"size": 14, "face": "arial", "strokeWidth": 4,
                           "strokeColor": "#ffffff"},
                  "borderWidth": 1,
                  "scaling": {"label": {"enabled": False, "drawThreshold": DRAW_THRESHOLD,
                                        "maxVisible": 1000}}},
        "edges": {"smooth": False, "width": 0.6, "selectionWidth": 2,
                  "arrows": {"to": {"scaleFactor": 0.3}}},
        "interaction": {"hover": True, "tooltipDelay": 150, "hideEdgesOnDrag": True,
                        "navigationButtons": False},
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False},
    }


def _panel(view: View) -> str:
    """The legend, counts, search, filters and details panel, with the data they read."""
    counts = ", ".join(f"{view.total[k]:,} {k}s" for k in view.total)
    if view.stories:
        counts += f"; {len(view.stories):,} stories told by 2 articles or more"
    legend = "".join(
        f"<label class='kg-legend'><input type='checkbox' data-kind='{k.value}' checked>"
        f"<span class='kg-swatch kg-{s['shape']}' style='background:{s['color']}'></span>"
        f"{s['name']} ({view.shown[k.value]:,})</label>" for k, s in STYLE.items())
    aggregated = sum(len(c["m"]) for c in view.clusters.values())
    note = ""
    if aggregated:
        legend += ("<label class='kg-legend'><input type='checkbox' data-kind='cluster' checked>"
                   f"<span class='kg-swatch kg-diamond' style='background:"
                   f"{CLUSTER_STYLE['color']}'></span>{CLUSTER_STYLE['name']}"
                   f" ({len(view.clusters):,})</label>")
        hidden = view.total["provider"] - view.shown["provider"]
        note = (f"<p id='kg-budget' class='kg-note'>Showing the {sum(view.shown.values()):,} "
                f"most connected nodes. {aggregated:,} articles are aggregated into "
                f"{len(view.clusters):,} grey cluster nodes, one per topic: click one to list "
                "or expand its articles."
                + (f" {hidden:,} providers of those articles appear only in the lists."
                   if hidden else "") + " The full graph is in graph.ttl.</p>")
    dates = sorted(e["d"] for e in view.catalogue if e.get("d"))
    data = json.dumps({"catalogue": view.catalogue, "clusters": view.clusters,
                       "stories": view.stories,
                       "dates": [dates[0], dates[-1]] if dates else ["", ""],
                       "drawThreshold": DRAW_THRESHOLD, "labelChars": LABEL_CHARS,
                       "article": {"color": STYLE[NodeKind.ARTICLE]["color"],
                                   "shape": STYLE[NodeKind.ARTICLE]["shape"]}},
                      ensure_ascii=False, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _fill(_asset("view.html"), counts=html.escape(counts),
                 note=note, legend=legend, data=data, js=_asset("view.js"))


def _asset(name: str) -> str:
    """A file of the page (HTML, CSS, JavaScript) shipped in kg/data."""
    return resources.files("kg.data").joinpath(name).read_text("utf-8")


def _fill(template: str, **values: str) -> str:
    """Put each value in place of its {{name}} in one pass, so no value is read as a template.

    Values are already escaped by the caller."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], template)

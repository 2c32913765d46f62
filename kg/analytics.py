"""The graph as networkx, and the figures computed from it (`kg stats`, report.json)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import asdict, dataclass
from itertools import combinations

import networkx as nx
import pyoxigraph as ox
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from .graph import EdgeKind, KnowledgeGraph, NodeKind
from .vocab import KG, SCHEMA_HTTP, SCHEMA_HTTPS

TOP = 10


def to_networkx(graph: KnowledgeGraph) -> nx.MultiDiGraph:
    """A MultiDiGraph keyed by IRI; nodes carry `kind` and `label`, edges `kind`."""
    g = nx.MultiDiGraph()
    g.add_nodes_from((n.iri, {"kind": n.kind.value, "label": n.label,
                              "has_file": bool(n.multi.get("primary_sources"))})
                     for n in graph.nodes)
    g.add_edges_from((e.source, e.target, e.kind.value, {"kind": e.kind.value})
                     for e in graph.edges)
    return g


def _rdf_names() -> tuple[dict[str, str], dict[str, str], set[str]]:
    kinds, edges, labels = {}, {}, {str(SKOS.prefLabel)}
    for schema in (SCHEMA_HTTPS, SCHEMA_HTTP):
        kinds.update({schema + "NewsArticle": "article", schema + "NewsMediaOrganization":
                      "provider", schema + "ImageObject": "image"})
        edges.update({schema + "publisher": "publisher", schema + "about": "about",
                      schema + "image": "image", schema + "logo": "logo"})
        labels |= {schema + "headline", schema + "name"}
    kinds[str(SKOS.Concept)] = "topic"
    kinds[str(KG.Story)] = "story"
    edges.update({str(KG.relatedArticle): "related", str(SKOS.broader): "broader",
                  str(KG.story): "story"})
    return kinds, edges, labels


def read_networkx(path: str | os.PathLike) -> nx.MultiDiGraph:
    """The same MultiDiGraph, read back from a written graph.nt (or .ttl)."""
    kinds, edge_kinds, label_predicates = _rdf_names()
    fmt = ox.RdfFormat.TURTLE if str(path).endswith(".ttl") else ox.RdfFormat.N_TRIPLES
    g = nx.MultiDiGraph()
    rdf_type, primary, label = str(RDF.type), str(PROV.hadPrimarySource), str(RDFS.label)
    for t in ox.parse(path=str(path), format=fmt):
        s, p, o = t.subject.value, t.predicate.value, t.object.value
        if p == rdf_type and o in kinds:
            g.add_node(s, kind=kinds[o])
        elif p in edge_kinds:
            g.add_edge(s, o, edge_kinds[p], kind=edge_kinds[p])
        elif p in label_predicates:
            g.add_node(s, label=o)
        elif p == primary:
            g.add_node(s, has_file=True)
        elif p == label and s in g and g.nodes[s].get("kind") == "story":
            g.add_node(s, label=o)  # a story's type comes first in its block (rdf.py)
    for node, data in g.nodes(data=True):
        data.setdefault("kind", "unknown")
        data.setdefault("label", node)
    return g


@dataclass
class Stats:
    """Figures about a graph, as `kg stats` prints them and report.json holds them."""

    counts: dict[str, int]
    top_providers: list[tuple[str, int]]
    top_topics: list[tuple[str, int]]
    most_linked_articles: list[tuple[str, int]]
    topic_pairs: list[tuple[str, str, int]]
    components: int
    largest_component: int
    communities: int
    community_sizes: list[int]
    dangling: dict[str, int]
    # (label, outlets, articles) of the stories with the most outlets
    top_stories: list[tuple[str, int, int]]

    def to_dict(self) -> dict:
        return asdict(self)


def compute_stats(g: nx.MultiDiGraph) -> Stats:
    kind = nx.get_node_attributes(g, "kind")
    label = nx.get_node_attributes(g, "label")
    counts = Counter(kind.values())
    edge_counts = Counter(k for _, _, k in g.edges(keys=True))
    by_kind = {n.plural: counts.get(n.value, 0) for n in NodeKind}
    by_kind.update({f"{k.value}_edges": edge_counts.get(k.value, 0) for k in EdgeKind})

    def top(edge_kind: str) -> list[tuple[str, int]]:
        c = Counter(label[v] for _, v, k in g.edges(keys=True) if k == edge_kind)
        return sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]

    topics_of: dict[str, list[str]] = {}
    for u, v, k in g.edges(keys=True):
        if k == "about":
            topics_of.setdefault(u, []).append(label[v])
    pairs = Counter(p for ts in topics_of.values() for p in combinations(sorted(set(ts)), 2))
    # Sorted, so Louvain sees the same graph in the same order whichever way it was read.
    undirected = nx.Graph()
    undirected.add_nodes_from(sorted(n for n, k in kind.items()
                                     if k in ("article", "provider", "topic")))
    undirected.add_edges_from(sorted((u, v) for u, v in g.edges() if u in undirected
                                     and v in undirected))
    components = list(nx.connected_components(undirected))
    communities = nx.community.louvain_communities(undirected, seed=7) if len(undirected) else []
    return Stats(
        counts=by_kind,
        top_providers=top("publisher"),
        top_topics=top("about"),
        most_linked_articles=top("related"),
        topic_pairs=[(a, b, n) for (a, b), n in
                     sorted(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]],
        components=len(components),
        largest_component=max((len(c) for c in components), default=0),
        communities=len(communities),
        community_sizes=sorted((len(c) for c in communities), reverse=True)[:TOP],
        dangling=_dangling(g, kind),
        top_stories=_top_stories(g, kind, label),
    )


def _top_stories(g: nx.MultiDiGraph, kind: dict[str, str], label: dict[str, str]
                 ) -> list[tuple[str, int, int]]:
    """Stories by coverage: the most distinct outlets first, then the most articles."""
    members: dict[str, list[str]] = {}
    outlet: dict[str, str] = {}
    for u, v, k in g.edges(keys=True):
        if k == "story":
            members.setdefault(v, []).append(u)
        elif k == "publisher":
            outlet[u] = v
    rows = [(label[story], len({outlet[a] for a in articles if a in outlet}), len(articles))
            for story, articles in members.items() if kind.get(story) == "story"]
    return sorted(rows, key=lambda r: (-r[1], -r[2], r[0]))[:TOP]


def _dangling(g: nx.MultiDiGraph, kind: dict[str, str]) -> dict[str, int]:
    """Loose ends: articles known only from `related` entries, and file articles missing links."""
    has_file = nx.get_node_attributes(g, "has_file")
    out: Counter = Counter()
    for node, k in kind.items():
        if k != "article":
            continue
        if not has_file.get(node):
            out["articles_known_only_as_related"] += 1
            continue
        links = {key for _, _, key in g.out_edges(node, keys=True)}
        out["file_articles_without_provider"] += "publisher" not in links
        out["file_articles_without_topic"] += "about" not in links
    out["nodes_without_links"] = sum(1 for n in g if g.degree(n) == 0)
    return {k: out.get(k, 0) for k in ("articles_known_only_as_related",
                                        "file_articles_without_provider",
                                        "file_articles_without_topic", "nodes_without_links")}

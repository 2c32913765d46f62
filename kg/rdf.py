"""KnowledgeGraph -> RDF: N-Triples, N-Quads (a named graph per source file), Turtle, rdflib.

The triples are first written as N-Triples text by `TripleWriter`, then every other format is
made by Oxigraph parsing that text strictly, so any invalid term would stop the build rather
than reach a file. Why text and not pyoxigraph objects: building an `ox.Triple` whose object is
a literal is slow (PyO3 tries each term type in turn), and made writing the outputs the slowest
part of a build; and rdflib's pure-Python Turtle writer is quadratic on large graphs (SPEC §6).
"""

from __future__ import annotations

import datetime as dt
import mmap
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from .fileio import atomic_path
from .graph import EdgeKind, Fact, KnowledgeGraph, Node, NodeKind, Sources
from .vocab import KG, SCHEMA_HTTPS, prefixes

# One statement as N-Triples text without the closing " .", and the files that asserted it.
Located = tuple[str, Sources]
# The ranks of subjects, in the order their blocks are written: nodes, the topic scheme, files.
NODE, SCHEME, SOURCE = 0, 1, 2

# Told of each subject's blocks as they are written: (subject IRI, rank, order key, N-Triples
# block, N-Quads block).
OnBlock = Callable[[str, int, str, bytes, bytes], None]


def iri(value: object) -> str:
    """An IRI as an N-Triples term; kg only mints IRIs that need no escaping."""
    return f"<{value}>"


_STRING = iri(XSD.string)
_DATETIME = iri(XSD.dateTime)
_INTEGER = iri(XSD.integer)
_BOOLEAN = iri(XSD.boolean)
_ANYURI = iri(XSD.anyURI)
_TYPE = iri(RDF.type)
# Asked once per node: rdflib's namespace attribute lookup is slow enough to show in profiles.
_DERIVED, _PRIMARY, _IN_SCHEME = str(PROV.wasDerivedFrom), str(PROV.hadPrimarySource), \
    str(SKOS.inScheme)
_ESCAPES = str.maketrans({"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r"})


# Node fact name -> (predicate, datatype); `schema:` names follow the chosen schema.org scheme.
ARTICLE_FACTS = {
    "headline": ("schema:headline", _STRING),
    "description": ("schema:description", _STRING),
    "date_published": ("schema:datePublished", _DATETIME),
    "url": ("schema:url", _ANYURI),
    "original_url": (KG.originalUrl, _ANYURI),
    "content_type": (KG.contentType, _STRING),
    "category": ("schema:articleSection", _STRING),
    "quality": (KG.quality, _INTEGER),
    "heat": (KG.heat, _INTEGER),
    "is_published": (KG.isPublished, _BOOLEAN),
    "body": ("schema:articleBody", _STRING),
}
PROVIDER_FACTS = {
    "name": ("schema:name", _STRING),
    "description": ("schema:description", _STRING),
    "domain": (KG.domain, _STRING),
}
TOPIC_FACTS = {
    "pref_label": (SKOS.prefLabel, _STRING),
    "identifier": (DCTERMS.identifier, _STRING),
    "description": (SKOS.definition, _STRING),
}
IMAGE_FACTS = {
    "content_url": ("schema:contentUrl", _ANYURI),
    "width": ("schema:width", _INTEGER),
    "height": ("schema:height", _INTEGER),
    "caption": ("schema:caption", _STRING),
}
STORY_FACTS = {
    "label": (RDFS.label, _STRING),
    "first": (KG.firstPublished, _DATETIME),
    "last": (KG.lastPublished, _DATETIME),
    "outlets": (KG.outletCount, _INTEGER),
    "size": (KG.articleCount, _INTEGER),
}
TOPIC_MULTI = {"alt_labels": SKOS.altLabel, "keywords": KG.keyword, "hashtags": KG.hashtag}
EDGE_PREDICATES = {
    EdgeKind.PUBLISHER: "schema:publisher",
    EdgeKind.ABOUT: "schema:about",
    EdgeKind.RELATED: KG.relatedArticle,
    EdgeKind.IMAGE: "schema:image",
    EdgeKind.LOGO: "schema:logo",
    EdgeKind.BROADER: SKOS.broader,
    EdgeKind.STORY: KG.story,
}
FACTS = {NodeKind.ARTICLE: ARTICLE_FACTS, NodeKind.PROVIDER: PROVIDER_FACTS,
         NodeKind.TOPIC: TOPIC_FACTS, NodeKind.IMAGE: IMAGE_FACTS, NodeKind.STORY: STORY_FACTS}
CLASSES = {
    NodeKind.ARTICLE: ("schema:NewsArticle",),
    NodeKind.PROVIDER: ("schema:NewsMediaOrganization", "schema:Organization"),
    NodeKind.TOPIC: (SKOS.Concept,),
    NodeKind.IMAGE: ("schema:ImageObject",),
    NodeKind.STORY: (KG.Story,),
}


class TripleWriter:
    """Turns nodes and edges into N-Triples statements, each with the sources that asserted it."""

    def __init__(self, graph: KnowledgeGraph, schema: str = SCHEMA_HTTPS) -> None:
        self.graph = graph
        self.schema = schema
        self._p: dict[str, str] = {}
        self._sources: dict[str, str] = {}
        self.scheme = iri(graph.minter.scheme())

    def term(self, name: object) -> str:
        key = str(name)
        term = self._p.get(key)
        if term is None:
            term = self._p[key] = iri(self.schema + key[7:] if key.startswith("schema:") else key)
        return term

    def triples(self) -> Iterator[Located]:
        """Every statement, subjects in IRI order, so the same graph gives the same bytes."""
        for _subject, _rank, _key, statements in self.blocks():
            yield from statements

    def blocks(self) -> Iterator[tuple[str, int, str, list[Located]]]:
        """(subject IRI, rank, order key, its statements) for each subject, every subject once,
        in order of (rank, key): nodes by IRI, the topic scheme (key ""), source files by name.
        `block` makes one of them alone."""
        out_edges = self.graph.out_edges()
        for node in self.graph.nodes:
            yield node.iri, NODE, node.iri, list(self._node(node, out_edges.get(node.iri, ())))
        topics = self.graph.nodes_of(NodeKind.TOPIC)
        if topics:
            yield self.scheme[1:-1], SCHEME, "", self.scheme_block(topics)
        for source in self.graph.sources():
            yield self.source_node(source)[1:-1], SOURCE, source, self.source_block(source)

    def block(self, rank: int, key: str) -> list[Located] | None:
        """The statements of the subject of this rank and order key; None when the graph has
        no such subject."""
        if rank == NODE:
            node = self.graph.by_iri.get(key)
            return None if node is None else list(self._node(node, self.graph.edges_from(key)))
        if rank == SCHEME:
            topics = self.graph.nodes_of(NodeKind.TOPIC)
            return self.scheme_block(topics) if topics else None
        return self.source_block(key) if key in self.present else None

    @cached_property
    def present(self) -> set[str]:
        """The files behind any node: those with a block of their own."""
        return set(self.graph.sources())

    def scheme_block(self, topics: list[Node]) -> list[Located]:
        sources = frozenset().union(*(n.sources for n in topics))
        return [(f"{self.scheme} {_TYPE} {self.term(SKOS.ConceptScheme)}", sources),
                (f"{self.scheme} {self.term(DCTERMS.title)} {literal('Topics')}", sources)]

    def source_block(self, source: str) -> list[Located]:
        subject = self.source_node(source)
        located = frozenset((source,))
        return [(f"{subject} {_TYPE} {self.term(KG.SourceFile)}", located),
                (f"{subject} {_TYPE} {self.term(PROV.Entity)}", located),
                (f"{subject} {self.term(RDFS.label)} {literal(source)}", located)]

    def encoded(self, located: list[Located]) -> tuple[bytes, bytes]:
        """A subject's block of N-Triples lines and of N-Quads lines."""
        return ("".join(statement + " .\n" for statement, _ in located).encode(),
                "".join(self.quads_of(located)).encode())

    def _node(self, node: Node, edges: Iterable) -> Iterator[Located]:
        subject = iri(node.iri)
        for cls in CLASSES[node.kind]:
            yield f"{subject} {_TYPE} {self.term(cls)}", node.sources
        for name, (predicate, datatype) in FACTS[node.kind].items():
            fact = node.facts.get(name)
            if fact is not None:
                yield (f"{subject} {self.term(predicate)} {_literal(fact, datatype)}",
                       fact.sources)
        yield from self._multi(node, subject)
        for edge in edges:
            yield (f"{subject} {self.term(EDGE_PREDICATES[edge.kind])} <{edge.target}>",
                   edge.sources)
        derived = self.term(_DERIVED)
        for source in sorted(node.sources):
            yield f"{subject} {derived} {self.source_node(source)}", frozenset((source,))

    def _multi(self, node: Node, subject: str) -> Iterator[Located]:
        if node.kind is NodeKind.TOPIC:
            yield f"{subject} {self.term(_IN_SCHEME)} {self.scheme}", node.sources
            for name, predicate in TOPIC_MULTI.items():
                for fact in node.multi.get(name, ()):
                    yield f"{subject} {self.term(predicate)} {literal(fact.value)}", fact.sources
        elif node.kind is NodeKind.ARTICLE:
            primary = self.term(_PRIMARY)
            for fact in node.multi.get("primary_sources", ()):
                yield f"{subject} {primary} {self.source_node(fact.value)}", fact.sources
        elif node.kind is NodeKind.PROVIDER:
            chosen = node.get("name")
            alternate = self.term("schema:alternateName")
            for fact in node.multi.get("names", ()):
                if fact.value != chosen:
                    yield f"{subject} {alternate} {literal(fact.value)}", fact.sources

    def quads_of(self, located: Iterable[Located]) -> Iterator[str]:
        """N-Quads lines: each statement once in the named graph of every file that asserted it."""
        # A topic's statements share its set of files, thousands of them: their graph terms
        # are sorted and made once per block.
        endings: dict[int, list[str]] = {}
        for statement, sources in located:
            if len(sources) == 1:
                for source in sources:
                    yield f"{statement} {self.source_node(source)} .\n"
                continue
            held = endings.get(id(sources))
            if held is None:
                held = endings[id(sources)] = [f" {self.source_node(source)} .\n"
                                               for source in sorted(sources)]
            for ending in held:
                yield statement + ending

    def source_node(self, source: str) -> str:
        node = self._sources.get(source)
        if node is None:
            node = self._sources[source] = iri(self.graph.minter.source(source))
        return node

    def ntriples(self) -> Iterator[str]:
        for statement, _ in self.triples():
            yield statement + " .\n"

    def nquads(self) -> Iterator[str]:
        return self.quads_of(self.triples())


def literal(text: str, datatype: str | None = None) -> str:
    """A literal as an N-Triples term: quote, backslash and line breaks escaped."""
    if '"' in text or "\\" in text or "\n" in text or "\r" in text:
        text = text.translate(_ESCAPES)
    return f'"{text}"' if datatype is None else f'"{text}"^^{datatype}'


def _literal(fact: Fact, datatype: str) -> str:
    value = fact.value
    if datatype is _DATETIME:
        return literal(_xsd_datetime(value), _DATETIME)
    if datatype is _BOOLEAN:
        return literal("true" if value else "false", _BOOLEAN)
    if datatype is _STRING:
        return literal(_clean(str(value)))
    return literal(str(value), datatype)


def _clean(text: str) -> str:
    """Drop lone surrogates, which no RDF serialisation can carry."""
    return text.encode("utf-8", "replace").decode("utf-8") if not text.isascii() else text


def _xsd_datetime(value: dt.datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


WRITE_BUFFER = 1 << 20  # bytes: most blocks are a few hundred, too small to write one by one


def write_lines(graph: KnowledgeGraph, nt: Path, nq: Path, schema: str = SCHEMA_HTTPS,
                on_block: OnBlock | None = None) -> list[Path]:
    """graph.nt and graph.nq, both from one pass over the statements, a subject at a time;
    `on_block` is told of each subject's blocks as they are written."""
    writer = TripleWriter(graph, schema)
    with atomic_path(nt) as nt_tmp, atomic_path(nq) as nq_tmp, \
            open(nt_tmp, "wb", buffering=WRITE_BUFFER) as nt_file, \
            open(nq_tmp, "wb", buffering=WRITE_BUFFER) as nq_file:
        for subject, rank, key, located in writer.blocks():
            nt_block, nq_block = writer.encoded(located)
            if on_block is not None:
                on_block(subject, rank, key, nt_block, nq_block)
            nt_file.write(nt_block)
            nq_file.write(nq_block)
    return [nt, nq]


def turtle_from_ntriples(nt: Path, ttl: Path, schema: str = SCHEMA_HTTPS) -> Path:
    """graph.ttl from graph.nt, in the same (subject IRI) order, parsed strictly by Oxigraph."""
    with atomic_path(ttl) as tmp:
        ox.serialize(ox.parse(path=str(nt), format=ox.RdfFormat.N_TRIPLES), str(tmp),
                     ox.RdfFormat.TURTLE, prefixes=prefixes(schema))
    return ttl


def turtle_header_length(data: bytes | mmap.mmap) -> int:
    """The length of the @prefix lines that open Oxigraph's Turtle."""
    at = 0
    while data[at:at + 8] == b"@prefix ":
        at = data.find(b"\n", at) + 1
    return at


def to_rdflib(graph: KnowledgeGraph, schema: str = SCHEMA_HTTPS) -> Graph:
    """The graph as an rdflib Graph backed by the Oxigraph store (fast queries and writing)."""
    data = "".join(TripleWriter(graph, schema).ntriples())
    rdf = Graph(store="Oxigraph")
    for prefix, namespace in prefixes(schema).items():
        rdf.bind(prefix, namespace, override=True)
    rdf.parse(data=data, format="ox-ntriples")
    return rdf

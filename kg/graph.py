"""KnowledgeGraph: nodes merged by identity, each fact with the source files that asserted it.

Extractors send claims to a `GraphBuilder`; `GraphBuilder.freeze()` resolves them into typed,
sorted nodes and edges. When sources disagree on a single-valued fact, the article's own file
beats a `related` entry about it, and among equals the smallest value wins, so the result does
not depend on the order files were read in.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any

from .identity import IriMinter


class NodeKind(StrEnum):
    ARTICLE = "article"
    PROVIDER = "provider"
    TOPIC = "topic"
    IMAGE = "image"
    STORY = "story"  # articles that report the same news (kg/stories.py)

    @property
    def plural(self) -> str:
        return "stories" if self is NodeKind.STORY else self.value + "s"


class EdgeKind(StrEnum):
    PUBLISHER = "publisher"  # article -> provider
    ABOUT = "about"  # article -> topic
    RELATED = "related"  # article -> article
    IMAGE = "image"  # article -> image
    LOGO = "logo"  # provider -> image
    BROADER = "broader"  # topic -> topic
    STORY = "story"  # article -> story


# Rank of a claim: higher wins a disagreement on a single-valued fact.
RANK_RELATED_ENTRY = 1
RANK_ARTICLE_FILE = 2
RANK_TAXONOMY = 3

Sources = frozenset[str]
NodeRef = tuple[NodeKind, str]


@dataclass(frozen=True, slots=True)
class Fact:
    """A resolved value and the files that asserted it."""

    value: Any
    sources: Sources


@dataclass(frozen=True, slots=True)
class Node:
    """A node of the graph: its kind, identity key, IRI, facts and provenance."""

    kind: NodeKind
    key: str
    iri: str
    sources: Sources
    facts: dict[str, Fact]
    multi: dict[str, tuple[Fact, ...]]

    def get(self, name: str, default: Any = None) -> Any:
        fact = self.facts.get(name)
        return default if fact is None else fact.value

    def all(self, name: str) -> tuple[Any, ...]:
        return tuple(f.value for f in self.multi.get(name, ()))

    @property
    def label(self) -> str:
        for name in ("headline", "name", "pref_label", "label", "url"):
            if self.get(name):
                return str(self.get(name))
        return self.key


@dataclass(frozen=True, slots=True)
class Edge:
    """A directed, typed link between two nodes and the files that asserted it."""

    kind: EdgeKind
    source: str  # IRI of the subject node
    target: str  # IRI of the object node
    sources: Sources


# The files behind a claim: most claims have one, held as the string itself, since a set of
# one costs 216 bytes, which over all claims and edges of a large corpus is most of its memory.
Claimants = str | set[str]


def _joined(held: Claimants, source: str) -> Claimants:
    """`held` with `source` added."""
    if isinstance(held, str):
        return held if held == source else {held, source}
    held.add(source)
    return held


def _as_set(held: Claimants) -> set[str]:
    return {held} if isinstance(held, str) else held


def _union(held: Claimants, more: Claimants) -> Claimants:
    """`held` with every file of `more` added."""
    if isinstance(more, str):
        return _joined(held, more)
    if isinstance(held, str):
        return {held, *more}
    held |= more
    return held


# A single-valued fact as it is being claimed: [value, rank, claimants, losers], where losers
# holds every other value claimed so far, by (type, value): [rank, claimants]. Keeping the
# losers makes the result independent of the order of the claims: a value that loses at one
# rank and wins later at a higher one keeps the files of its first claims too, and builders
# that heard different files can be merged (`GraphBuilder.absorb`) into the same facts.
Held = list


def _contest(held: Held, value: Any, rank: int, claimants: Claimants) -> None:
    """A claim of `value` against a fact that holds another value."""
    losers = held[3] if held[3] is not None else {}
    key = (type(value), value)
    state = losers.pop(key, None)
    if state is None:
        state = [rank, claimants]
    else:
        state = [max(state[0], rank), _union(state[1], claimants)]
    if state[0] > held[1] or (state[0] == held[1] and _order(value) < _order(held[0])):
        losers[(type(held[0]), held[0])] = [held[1], held[2]]
        held[0], held[1], held[2] = value, state[0], state[1]
    else:
        losers[key] = state
    held[3] = losers


def _merge_held(single: dict[str, Held], name: str, theirs: Held) -> None:
    """Another builder's state of a fact, merged into this one's."""
    mine = single.get(name)
    if mine is None:
        single[name] = theirs
        return
    claims = [(theirs[0], theirs[1], theirs[2])]
    claims += [(value, rank, held) for (_type, value), (rank, held) in (theirs[3] or {}).items()]
    for value, rank, held in claims:
        if mine[0] == value and type(mine[0]) is type(value):
            mine[1] = max(mine[1], rank)
            mine[2] = _union(mine[2], held)
        else:
            _contest(mine, value, rank, held)


@dataclass(slots=True)
class _Claims:
    kind: NodeKind
    key: str
    sources: Claimants
    single: dict[str, Held] = field(default_factory=dict)
    multi: dict[str, dict[Any, Claimants]] = field(default_factory=dict)


def _order(value: Any) -> tuple:
    """A total order over claim values of mixed types, for deterministic tie-breaks."""
    if isinstance(value, dt.datetime):
        return (1, value.isoformat())
    return (0, type(value).__name__, str(value))


class GraphBuilder:
    """Collects claims about nodes and edges from the extractors."""

    def __init__(self, minter: IriMinter) -> None:
        self.minter = minter
        self._nodes: dict[NodeRef, _Claims] = {}
        self._edges: dict[tuple[EdgeKind, NodeRef, NodeRef], Claimants] = {}
        self._singles: dict[str, Sources] = {}

    def node(self, kind: NodeKind, key: str, source: str) -> NodeRef:
        ref = (kind, key)
        claims = self._nodes.get(ref)
        if claims is None:
            self._nodes[ref] = _Claims(kind, key, source)
        else:
            claims.sources = _joined(claims.sources, source)
        return ref

    def claim(self, ref: NodeRef, name: str, value: Any, source: str, rank: int) -> None:
        """Assert a single-valued fact; the best-ranked, then smallest, value wins, with every
        file that asserted that value at any rank."""
        if value is None:
            return
        single = self._nodes[ref].single
        held = single.get(name)
        if held is None:
            single[name] = [value, rank, source, None]
        elif held[0] == value and type(held[0]) is type(value):
            if rank > held[1]:
                held[1] = rank
            held[2] = _joined(held[2], source)
        else:
            _contest(held, value, rank, source)

    def add(self, ref: NodeRef, name: str, value: Any, source: str) -> None:
        """Assert one value of a multi-valued fact."""
        if value is None:
            return
        values = self._nodes[ref].multi.setdefault(name, {})
        held = values.get(value)
        values[value] = source if held is None else _joined(held, source)

    def link(self, kind: EdgeKind, subject: NodeRef, obj: NodeRef, source: str) -> None:
        if subject == obj:
            return
        key = (kind, subject, obj)
        held = self._edges.get(key)
        self._edges[key] = source if held is None else _joined(held, source)

    def values(self, ref: NodeRef, name: str) -> dict[Any, set[str]]:
        """The values of a multi-valued fact, each with its sources."""
        return {value: _as_set(held)
                for value, held in self._nodes[ref].multi.get(name, {}).items()}

    def node_sources(self, ref: NodeRef) -> list[str]:
        return sorted(_as_set(self._nodes[ref].sources))

    def refs(self, kind: NodeKind) -> list[NodeRef]:
        return [ref for ref in self._nodes if ref[0] is kind]

    def value(self, ref: NodeRef, name: str) -> Any:
        held = self._nodes[ref].single.get(name)
        return None if held is None else held[0]

    def iris(self) -> set[str]:
        """The IRI of every node claimed and of both ends of every edge."""
        refs = {*self._nodes, *(end for _kind, *ends in self._edges for end in ends)}
        return {self._iri(ref) for ref in refs}

    def sources(self) -> set[str]:
        """Every file behind a node."""
        return {source for claims in self._nodes.values() for source in _as_set(claims.sources)}

    def split(self, part_of: Callable[[str], int], parts: int) -> list[GraphBuilder]:
        """These claims as `parts` builders: a node's claims and the edges out of it go to
        the builder `part_of` its IRI names. They are shared, not copied."""
        pieces = [GraphBuilder(self.minter) for _ in range(parts)]
        for ref, claims in self._nodes.items():
            pieces[part_of(self._iri(ref))]._nodes[ref] = claims
        for key, held in self._edges.items():
            pieces[part_of(self._iri(key[1]))]._edges[key] = held
        return pieces

    def absorb(self, other: GraphBuilder) -> None:
        """Take in the claims of a builder that heard other files: the same facts as one
        builder that heard them all, in any order. `other` is not to be used again; taking
        in the same claims twice changes nothing (every merge is a union or a maximum)."""
        for ref, theirs in other._nodes.items():
            mine = self._nodes.get(ref)
            if mine is None:
                self._nodes[ref] = theirs
                continue
            mine.sources = _union(mine.sources, theirs.sources)
            for name, held in theirs.single.items():
                _merge_held(mine.single, name, held)
            for name, values in theirs.multi.items():
                ours = mine.multi.setdefault(name, {})
                for value, held in values.items():
                    ours[value] = held if value not in ours else _union(ours[value], held)
        for key, held in other._edges.items():
            mine_edge = self._edges.get(key)
            self._edges[key] = held if mine_edge is None else _union(mine_edge, held)

    def freeze(self) -> KnowledgeGraph:
        iris = {ref: self._iri(ref) for ref in self._nodes}
        nodes = sorted((self._resolve(c, iris[ref]) for ref, c in self._nodes.items()),
                       key=lambda n: n.iri)
        for _kind, *ends in self._edges:  # ends in another builder's share (kg.cluster)
            for end in ends:
                if end not in iris:
                    iris[end] = self._iri(end)
        edges = sorted((Edge(kind, iris[s], iris[o], self._frozen(src))
                        for (kind, s, o), src in self._edges.items()),
                       key=lambda e: (e.source, e.kind.value, e.target))
        return KnowledgeGraph(nodes, edges, self.minter)

    def _iri(self, ref: NodeRef) -> str:
        kind, key = ref
        return getattr(self.minter, kind.value)(key)

    def _resolve(self, claims: _Claims, iri: str) -> Node:
        frozen = self._frozen
        facts = {name: Fact(v, frozen(src)) for name, (v, _rank, src, _losers)
                 in claims.single.items()}
        multi = {name: tuple(Fact(v, frozen(src))
                             for v, src in sorted(values.items(), key=lambda kv: _order(kv[0])))
                 for name, values in claims.multi.items()}
        return Node(claims.kind, claims.key, iri, frozen(claims.sources), facts, multi)

    def _frozen(self, sources: Claimants) -> Sources:
        """One shared frozenset per single source: most facts have one."""
        if isinstance(sources, str):
            held = self._singles.get(sources)
            if held is None:
                held = self._singles[sources] = frozenset((sources,))
            return held
        return frozenset(sources)  # a set holds two sources or more (see _joined)


class KnowledgeGraph:
    """The merged graph: typed nodes and edges, sorted by IRI, with provenance.

    >>> import kg
    >>> g = kg.build(["examples/articles"])   # doctest: +SKIP
    >>> len(g.nodes_of(kg.NodeKind.ARTICLE))  # doctest: +SKIP
    13
    """

    def __init__(self, nodes: list[Node], edges: list[Edge], minter: IriMinter) -> None:
        self.nodes = nodes
        self.edges = edges
        self.minter = minter
        self.by_iri = {n.iri: n for n in nodes}

    def nodes_of(self, kind: NodeKind) -> list[Node]:
        return [n for n in self.nodes if n.kind is kind]

    def edges_from(self, iri: str) -> list[Edge]:
        """The edges out of one node, as `out_edges` lists them."""
        edges = self.edges
        first = end = bisect_left(edges, iri, key=attrgetter("source"))
        while end < len(edges) and edges[end].source == iri:
            end += 1
        return edges[first:end]

    def out_edges(self) -> dict[str, list[Edge]]:
        grouped: dict[str, list[Edge]] = {}
        for edge in self.edges:
            grouped.setdefault(edge.source, []).append(edge)
        return grouped

    def counts(self) -> dict[str, int]:
        out = {kind.plural: 0 for kind in NodeKind}
        for node in self.nodes:
            out[node.kind.plural] += 1
        for kind in EdgeKind:
            out[kind.value + "_edges"] = 0
        for edge in self.edges:
            out[edge.kind.value + "_edges"] += 1
        return out

    def sources(self) -> list[str]:
        found: set[str] = set()
        for node in self.nodes:  # a set's update, not a loop per source: topics have thousands
            found.update(node.sources)
        return sorted(found)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

"""The work of a cluster build, as functions that Dask runs on the workers.

Each is the local engine's own code over a share of the data: the readers over a share of the
files, the extractors over those files' records, the merge and the finishers over a share of
the nodes (`NodeParts`), the N-Triples writer over those nodes' blocks. What crosses between
them is small and typed: URL identities, builders of claims, parts' counts and file names.
Every task may run twice (a worker that dies has its tasks rerun elsewhere): files are written
whole under their final name or not at all, and merging the same claims twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from ..extract import ExtractContext, Taxonomy, claims, finish
from ..fileio import atomic_path
from ..graph import Edge, GraphBuilder, KnowledgeGraph, Node, NodeKind
from ..identity import IriMinter, article_key
from ..isolation import no_gc_passes
from ..model import ArticleRecord, OrganizationRecord, Problem, Record, TopicRecord
from ..rdf import NODE, SCHEME, TripleWriter, turtle_from_ntriples
from ..sources import InputFile, ReadOptions, default_taxonomy, read_file
from ..stories import StoryArticle, articles_of, group, with_stories
from ..viz import write_html
from .parts import NodeParts, SourceParts, bucket

Aliases = dict[str, str]  # a URL's article identity -> the identity of the article it leads to


@dataclass(slots=True)
class ReadPart:
    """What reading a share of the files gave: article records, taxonomy records, problems."""

    articles: list[ArticleRecord]
    taxonomy: list[Record]
    problems: list[Problem]
    ignored: int  # files that are neither articles nor taxonomies, and no problem either


def read_part(files: list[InputFile], options: ReadOptions) -> ReadPart:
    part = ReadPart([], [], [], 0)
    with no_gc_passes():
        results = [read_file(item, options) for item in files]
    for result in results:
        for record in result.records:
            if isinstance(record, TopicRecord | OrganizationRecord):
                part.taxonomy.append(record)
            else:
                part.articles.append(record)
        part.problems.extend(result.problems)
        part.ignored += result.skipped and not result.problems
    return part


def read_facts(part: ReadPart) -> tuple[list[Problem], int]:
    """What the client needs of a read: its problems and the files it ignored."""
    return part.problems, part.ignored


def taxonomy_of(built_in: bool, *records: list[Record]) -> Taxonomy:
    """The taxonomy from the built-in one and every share's taxonomy records, later files
    overriding earlier ones as in the local build."""
    taxonomy = Taxonomy()
    for share in ([default_taxonomy().records] if built_in else []) + list(records):
        for record in share:
            if isinstance(record, TopicRecord):
                taxonomy.add_topic(record)
            elif isinstance(record, OrganizationRecord):
                taxonomy.add_organization(record)
    return taxonomy


def taxonomy_records(part: ReadPart) -> list[Record]:
    return part.taxonomy


# --- article identities: which article each URL leads to (ExtractContext.register) ----------

def identities(part: ReadPart, buckets: int) -> tuple[list[Aliases], list[set[str]]]:
    """The URL identities this share's article files claim (the smallest wins, as locally),
    and those its records and related entries ask about, each in its bucket."""
    ctx = ExtractContext(Taxonomy())
    for record in part.articles:
        ctx.register(record)
    claimed: list[Aliases] = [{} for _ in range(buckets)]
    for alias, key in ctx.url_aliases.items():
        claimed[bucket(alias, buckets)][alias] = key
    asked: list[set[str]] = [set() for _ in range(buckets)]
    for record in part.articles:
        for item in (record, *record.related):
            if item.path_identity is None:
                for url in item.urls:
                    key = article_key(url)
                    asked[bucket(key, buckets)].add(key)
    return claimed, asked


def pick(value: tuple | list, *path: int) -> object:
    """One item of a task's result, as a task of its own: only that item moves on."""
    for index in path:
        value = value[index]
    return value


def alias_table(*claimed: Aliases) -> Aliases:
    """One bucket of the URL identities: the smallest article identity claimed for each."""
    table: Aliases = {}
    for share in claimed:
        for alias, key in share.items():
            held = table.get(alias)
            if held is None or key < held:
                table[alias] = key
    return table


def look_up(table: Aliases, asked: set[str]) -> Aliases:
    return {key: table[key] for key in asked if key in table}


# --- claims, merged and finished by node ---------------------------------------------------

def extract_part(part: ReadPart, taxonomy: Taxonomy, base: str, parts: NodeParts,
                 *answers: Aliases) -> tuple[list[GraphBuilder], list[Problem]]:
    """This share's claims, cut by the part of the node they are about, and the problems
    the extractors found."""
    aliases: Aliases = {}
    for answer in answers:
        aliases.update(answer)
    ctx = ExtractContext(taxonomy, url_aliases=aliases)
    with no_gc_passes():
        builder = claims(part.articles, ctx, IriMinter(base))
    return builder.split(parts.of, parts.count), ctx.problems


def finish_part(index: int, base: str, parts: NodeParts, taxonomy: Taxonomy,
                *pieces: GraphBuilder) -> tuple[GraphBuilder, list[GraphBuilder]]:
    """Every claim about this part's nodes, finished; and what the finishers claimed of nodes
    in other parts (a provider's logo is an image node), cut by part."""
    builder = GraphBuilder(IriMinter(base))
    with no_gc_passes():
        for piece in pieces:
            builder.absorb(piece)
        finish(ExtractContext(taxonomy), builder)
    cut = builder.split(parts.of, parts.count)
    mine, cut[index] = cut[index], GraphBuilder(builder.minter)
    return mine, cut


def freeze_part(mine: GraphBuilder, *spilled: GraphBuilder) -> KnowledgeGraph:
    """This part's nodes and the edges out of them, as the local build freezes them."""
    with no_gc_passes():
        for piece in spilled:
            mine.absorb(piece)
        return mine.freeze()


def story_inputs(graph: KnowledgeGraph) -> tuple[list[StoryArticle], list[Node]]:
    """What story grouping needs of this part: its articles as grouping reads them, and their
    nodes with only their identity and files (what a story's node and edges are made of)."""
    return articles_of(graph), [replace(node, facts={}, multi={})
                                for node in graph.nodes_of(NodeKind.ARTICLE)]


PartStories = tuple[list[Node], list[Edge]]


def stories_of(window_days: float, base: str, parts: NodeParts,
               *inputs: tuple[list[StoryArticle], list[Node]]) -> list[PartStories]:
    """The stories of every article, grouped once as the local build groups them, cut by part:
    the story nodes to the stories' part, each member's edge to its article's part."""
    articles = [record for records, _ in inputs for record in records]
    members = sorted((node for _, nodes in inputs for node in nodes), key=lambda n: n.iri)
    told = with_stories(KnowledgeGraph(members, [], IriMinter(base)),
                        group(articles, window_days))
    cut: list[PartStories] = [([], []) for _ in range(parts.count)]
    for node in told.nodes_of(NodeKind.STORY):
        cut[parts.of(node.iri)][0].append(node)
    for edge in told.edges:
        cut[parts.of(edge.source)][1].append(edge)
    return cut


def with_part_stories(graph: KnowledgeGraph, stories: PartStories) -> KnowledgeGraph:
    """This part's graph with its share of the stories: nodes by IRI, edges by subject, kind
    and object, as the local build orders them."""
    nodes, edges = stories
    if not nodes and not edges:
        return graph
    return KnowledgeGraph(sorted([*graph.nodes, *nodes], key=lambda n: n.iri),
                          sorted([*graph.edges, *edges],
                                 key=lambda e: (e.source, e.kind.value, e.target)),
                          graph.minter)


@dataclass(frozen=True, slots=True)
class PartResult:
    """What a written part tells: its counts, and its source files by source part."""

    counts: dict[str, int]
    sources: list[list[str]]


def write_part(index: int, scratch: str, schema: str, sources: SourceParts,
               graph: KnowledgeGraph) -> PartResult:
    """This part's nodes as N-Triples, N-Quads and Turtle files in `scratch`; the topic
    scheme follows the topics, which are the last nodes."""
    writer = TripleWriter(graph, schema)
    blocks = [located for _subject, rank, _key, located in writer.blocks()
              if rank in (NODE, SCHEME)]
    _write_blocks(Path(scratch), f"nodes-{index:05d}", writer, blocks)
    by_part: list[list[str]] = [[] for _ in range(sources.count)]
    for name in graph.sources():
        by_part[sources.of(name)].append(name)
    return PartResult(graph.counts(), by_part)


def part_counts(result: PartResult) -> dict[str, int]:
    return result.counts


def part_sources(result: PartResult, index: int) -> list[str]:
    """The source files of a written part that belong to source part `index`."""
    return result.sources[index]


def view_part(graph: KnowledgeGraph) -> tuple[list[Node], list[Edge]]:
    """This part's nodes and edges as the view needs them: no article bodies, no provenance."""
    return ([_slim(node) for node in graph.nodes],
            [replace(edge, sources=frozenset()) for edge in graph.edges])


def write_sources(index: int, scratch: str, base: str, schema: str,
                  *names: list[str]) -> int:
    """The blocks of this part's source files, by name."""
    writer = TripleWriter(KnowledgeGraph([], [], IriMinter(base)), schema)
    ordered = sorted({name for share in names for name in share})
    _write_blocks(Path(scratch), f"sources-{index:05d}", writer,
                  [writer.source_block(name) for name in ordered])
    return len(ordered)


def _write_blocks(scratch: Path, stem: str, writer: TripleWriter, blocks: list) -> None:
    nt, nq = scratch / f"{stem}.nt", scratch / f"{stem}.nq"
    with atomic_path(nt) as nt_tmp, atomic_path(nq) as nq_tmp, \
            open(nt_tmp, "wb") as nt_file, open(nq_tmp, "wb") as nq_file:
        for located in blocks:
            nt_block, nq_block = writer.encoded(located)
            nt_file.write(nt_block)
            nq_file.write(nq_block)
    turtle_from_ntriples(nt, scratch / f"{stem}.ttl", writer.schema)


def _slim(node: Node) -> Node:
    facts = {name: fact for name, fact in node.facts.items() if name != "body"}
    return replace(node, facts=facts, sources=frozenset())


# --- what the client is told, and the view ------------------------------------------------

def write_view(target: str, base: str, *parts: tuple[list[Node], list[Edge]]) -> str:
    """graph.html from every part's nodes and edges, which are in graph order part by part."""
    nodes = [node for part_nodes, _ in parts for node in part_nodes]
    edges = [edge for _, part_edges in parts for edge in part_edges]
    write_html(KnowledgeGraph(nodes, edges, IriMinter(base)), target)
    return target

"""Extractors: one module per entity kind, turning records into claims on a GraphBuilder.

An extractor is a plain function `(record, context, builder)`; a finisher runs once after all
records, with the whole picture. Adding an entity kind is one module and one line here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..graph import GraphBuilder, KnowledgeGraph, NodeKind
from ..identity import IriMinter
from ..model import ArticleRecord, OrganizationRecord, Record, TopicRecord
from . import article, image, provider, related, topic
from .context import ExtractContext, Taxonomy

EXTRACTORS = (article.extract, provider.extract, image.extract, topic.extract, related.extract)
FINISHERS = (provider.finish, topic.finish)

__all__ = [
    "EXTRACTORS",
    "FINISHERS",
    "ExtractContext",
    "Reach",
    "Taxonomy",
    "claims",
    "finish",
    "merge",
    "prepare",
    "subjects_reached",
]


def prepare(records: Iterable[Record]) -> tuple[ExtractContext, list[ArticleRecord]]:
    """The context every extractor consults (the taxonomy, each article URL's identity), and
    the article records to merge with it."""
    taxonomy = Taxonomy()
    articles: list[ArticleRecord] = []
    for record in records:
        if isinstance(record, TopicRecord):
            taxonomy.add_topic(record)
        elif isinstance(record, OrganizationRecord):
            taxonomy.add_organization(record)
        else:
            articles.append(record)
    ctx = ExtractContext(taxonomy)
    for record in articles:
        ctx.register(record)
    return ctx, articles


def merge(articles: Iterable[ArticleRecord], ctx: ExtractContext,
          minter: IriMinter) -> KnowledgeGraph:
    builder = claims(articles, ctx, minter)
    finish(ctx, builder)
    return builder.freeze()


def claims(articles: Iterable[ArticleRecord], ctx: ExtractContext,
           minter: IriMinter) -> GraphBuilder:
    """What the articles claim, before the finishers: builders of claims from different
    articles can be merged (`GraphBuilder.absorb`) and finished together."""
    builder = GraphBuilder(minter)
    for record in articles:
        for item in (record, *record.related):
            for extractor in EXTRACTORS:
                extractor(item, ctx, builder)
    return builder


def finish(ctx: ExtractContext, builder: GraphBuilder) -> None:
    """What needs every claim about a node first: provider names, topics from the taxonomy."""
    for finisher in FINISHERS:
        finisher(ctx, builder)


@dataclass(frozen=True, slots=True)
class Reach:
    """Subjects that some articles' claims reach: node IRIs, source files, the topic scheme."""

    nodes: set[str]
    sources: set[str]
    scheme: bool

    def __or__(self, other: Reach) -> Reach:
        return Reach(self.nodes | other.nodes, self.sources | other.sources,
                     self.scheme or other.scheme)


def subjects_reached(articles: Iterable[ArticleRecord], ctx: ExtractContext,
                     minter: IriMinter) -> Reach:
    """The subjects whose statements these articles can change, in a graph merged with `ctx`
    (the same identities): the nodes they name or that naming them brings in (a topic's
    broader topics), the files behind those, and the topic scheme.

    Merged alone, the articles make exactly the nodes and edges they take part in, and the
    finishers add the rest of what those nodes say; a node they do not reach can only be
    said the same with or without them.
    """
    articles = list(articles)
    apart = replace(ctx, problems=[], _keys={})
    alone = claims(articles, apart, minter)
    finish(apart, alone)
    return Reach(alone.iris(), {*alone.sources(), *(record.source for record in articles)},
                 bool(alone.refs(NodeKind.TOPIC)))

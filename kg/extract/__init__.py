"""Extractors: one module per entity kind, turning records into claims on a GraphBuilder.

An extractor is a plain function `(record, context, builder)`; a finisher runs once after all
records, with the whole picture. Adding an entity kind is one module and one line here.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..graph import GraphBuilder, KnowledgeGraph
from ..identity import IriMinter
from ..model import ArticleRecord, OrganizationRecord, Problem, Record, TopicRecord
from . import article, image, provider, related, topic
from .context import ExtractContext, Taxonomy

EXTRACTORS = (article.extract, provider.extract, image.extract, topic.extract, related.extract)
FINISHERS = (provider.finish, topic.finish)

__all__ = ["EXTRACTORS", "FINISHERS", "ExtractContext", "Taxonomy", "extract_graph"]


def extract_graph(records: Iterable[Record],
                  minter: IriMinter) -> tuple[KnowledgeGraph, list[Problem]]:
    """Merge records into a KnowledgeGraph; taxonomy records are read before any article."""
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
    builder = GraphBuilder(minter)
    for record in articles:
        for item in (record, *record.related):
            for extractor in EXTRACTORS:
                extractor(item, ctx, builder)
    for finisher in FINISHERS:
        finisher(ctx, builder)
    return builder.freeze(), ctx.problems

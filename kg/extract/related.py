"""Related-article links: an article's `related` entries, resolved to article identities."""

from __future__ import annotations

from ..graph import EdgeKind, GraphBuilder, NodeKind
from ..model import ArticleRecord
from .context import ExtractContext


def extract(record: ArticleRecord, ctx: ExtractContext, graph: GraphBuilder) -> None:
    if record.is_related_entry or not record.related:
        return
    article = ctx.article_key(record)
    for entry in record.related:
        target = ctx.article_key(entry)
        if article is not None and target is not None:
            graph.link(EdgeKind.RELATED, (NodeKind.ARTICLE, article),
                       (NodeKind.ARTICLE, target), record.source)

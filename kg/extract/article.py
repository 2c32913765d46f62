"""Article nodes: headline, description, dates, URLs and the site's own scores."""

from __future__ import annotations

from ..graph import RANK_ARTICLE_FILE, RANK_RELATED_ENTRY, GraphBuilder, NodeKind
from ..model import ArticleRecord, Problem
from .context import ExtractContext


def extract(record: ArticleRecord, ctx: ExtractContext, graph: GraphBuilder) -> None:
    key = ctx.article_key(record)
    if key is None:
        ctx.problems.append(Problem(record.source, f"related article {record.title!r} has no URL",
                                    "missing-field", field="related.webUrl",
                                    action="dropped the related entry"))
        return
    ref = graph.node(NodeKind.ARTICLE, key, record.source)
    rank = RANK_RELATED_ENTRY if record.is_related_entry else RANK_ARTICLE_FILE
    url = record.web_url or record.original_url or record.amp_url or record.cdn_amp_url
    facts = {
        "headline": record.title,
        "description": record.excerpt,
        "date_published": record.published_at,
        "url": url,
        "original_url": record.original_url if record.original_url != url else None,
        "content_type": record.content_type,
        "category": record.category,
        "quality": record.quality,
        "heat": record.heat,
        "is_published": record.is_published,
        "body": record.body or None,
    }
    for name, value in facts.items():
        graph.claim(ref, name, value, record.source, rank)
    if not record.is_related_entry:
        graph.add(ref, "primary_sources", record.source, record.source)

"""Image nodes, reached from articles (`schema:image`) and providers (`schema:logo`)."""

from __future__ import annotations

from ..graph import RANK_ARTICLE_FILE, EdgeKind, GraphBuilder, NodeKind, NodeRef
from ..model import ArticleRecord, ImageRecord
from .context import ExtractContext


def extract(record: ArticleRecord, ctx: ExtractContext, graph: GraphBuilder) -> None:
    key = ctx.article_key(record)
    if key is not None and record.images:
        add_images(graph, (NodeKind.ARTICLE, key), record.images, EdgeKind.IMAGE, record.source)
    provider = ctx.provider_ref(record)
    if provider is not None and record.provider and record.provider.images:
        add_images(graph, provider, record.provider.images, EdgeKind.LOGO, record.source)


def add_images(graph: GraphBuilder, owner: NodeRef, images: tuple[ImageRecord, ...],
               kind: EdgeKind, source: str) -> None:
    for image in images:
        ref = graph.node(NodeKind.IMAGE, image.url, source)
        graph.claim(ref, "content_url", image.url, source, RANK_ARTICLE_FILE)
        graph.claim(ref, "width", image.width, source, RANK_ARTICLE_FILE)
        graph.claim(ref, "height", image.height, source, RANK_ARTICLE_FILE)
        graph.claim(ref, "caption", image.title, source, RANK_ARTICLE_FILE)
        graph.link(kind, owner, ref, source)

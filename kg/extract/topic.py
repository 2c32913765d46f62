"""Topic nodes (SKOS concepts): what articles are about, with the taxonomy's hierarchy."""

from __future__ import annotations

from collections import Counter

from ..graph import RANK_TAXONOMY, EdgeKind, GraphBuilder, NodeKind, NodeRef
from ..model import ArticleRecord
from .context import ExtractContext


def extract(record: ArticleRecord, ctx: ExtractContext, graph: GraphBuilder) -> None:
    article = ctx.article_key(record)
    if article is None:
        return
    named = [(ctx.taxonomy.topic_key(name), name) for name in record.topics]
    if record.path_identity is not None:
        found = ctx.taxonomy.topics_in(f"{record.title}\n{record.body}")
        named += [(key, ctx.taxonomy.topics[key].name) for key in found]
    for key, name in named:
        if not key:
            continue
        ref = graph.node(NodeKind.TOPIC, key, record.source)
        graph.add(ref, "names", name, record.source)
        graph.link(EdgeKind.ABOUT, (NodeKind.ARTICLE, article), ref, record.source)


def finish(ctx: ExtractContext, graph: GraphBuilder) -> None:
    """Describe each used topic from the taxonomy and add its broader topics."""
    pending = list(graph.refs(NodeKind.TOPIC))
    seen: set[NodeRef] = set()
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parent = _describe(ref, ctx, graph)
        if parent is not None:
            pending.append(parent)


def _describe(ref: NodeRef, ctx: ExtractContext, graph: GraphBuilder) -> NodeRef | None:
    topic = ctx.taxonomy.topics.get(ref[1])
    if topic is None:
        names = graph.values(ref, "names")
        votes = Counter({name: len(sources) for name, sources in names.items()})
        best = min(votes, key=lambda n: (-votes[n], n))
        for source in names[best]:
            graph.claim(ref, "pref_label", best, source, RANK_TAXONOMY)
        return None
    src = topic.source
    graph.node(*ref, src)
    graph.claim(ref, "pref_label", topic.name, src, RANK_TAXONOMY)
    graph.claim(ref, "identifier", topic.id, src, RANK_TAXONOMY)
    graph.claim(ref, "description", topic.description, src, RANK_TAXONOMY)
    graph.add(ref, "alt_labels", topic.shortname if topic.shortname != topic.name else None, src)
    for keyword in topic.keywords:
        graph.add(ref, "keywords", keyword, src)
    for hashtag in topic.hashtags:
        graph.add(ref, "hashtags", hashtag, src)
    if not topic.parent:
        return None
    parent_key = ctx.taxonomy.topic_key(topic.parent)
    if not parent_key or parent_key == ref[1]:
        return None
    parent = graph.node(NodeKind.TOPIC, parent_key, src)
    if parent_key not in ctx.taxonomy.topics:
        graph.add(parent, "names", topic.parent, src)
    graph.link(EdgeKind.BROADER, ref, parent, src)
    return parent

"""Provider nodes (publishers), identified by domain and enriched from organisation files."""

from __future__ import annotations

from collections import Counter

from ..graph import RANK_TAXONOMY, EdgeKind, GraphBuilder, NodeKind
from ..identity import provider_key
from ..model import ArticleRecord, Problem
from .context import ExtractContext
from .image import add_images


def extract(record: ArticleRecord, ctx: ExtractContext, graph: GraphBuilder) -> None:
    stated = record.provider.domain if record.provider else None
    if stated and provider_key(stated) is None:
        ctx.problems.append(Problem(record.source, f"{stated!r} is not a domain", "bad-domain",
                                    field="provider.domain",
                                    action="used the article URL's host instead"))
    article = ctx.article_key(record)
    ref = ctx.provider_ref(record)
    if ref is None or article is None:
        return
    graph.node(*ref, record.source)
    graph.add(ref, "names", record.provider.name if record.provider else None, record.source)
    graph.link(EdgeKind.PUBLISHER, (NodeKind.ARTICLE, article), ref, record.source)


def finish(ctx: ExtractContext, graph: GraphBuilder) -> None:
    """Name each provider: its organisation file's name, else the name most sources use."""
    for ref in graph.refs(NodeKind.PROVIDER):
        org = ctx.taxonomy.organizations.get(ref[1])
        if org is not None:
            graph.node(*ref, org.source)
            graph.claim(ref, "name", org.name, org.source, RANK_TAXONOMY)
            graph.claim(ref, "description", org.description, org.source, RANK_TAXONOMY)
            for other in org.other_names:
                graph.add(ref, "names", other, org.source)
            add_images(graph, ref, org.images, EdgeKind.LOGO, org.source)
        names = graph.values(ref, "names")
        if graph.value(ref, "name") is None and names:
            votes = Counter({name: len(sources) for name, sources in names.items()})
            best = min(votes, key=lambda n: (-votes[n], n))
            for source in names[best]:
                graph.claim(ref, "name", best, source, RANK_TAXONOMY)
        unnamed = graph.value(ref, "name") is None  # known only by a URL: its domain names it
        for source in graph.node_sources(ref):
            graph.claim(ref, "domain", ref[1], source, RANK_TAXONOMY)
            if unnamed:
                graph.claim(ref, "name", ref[1], source, RANK_TAXONOMY)

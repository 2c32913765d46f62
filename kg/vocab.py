"""The ontology's terms, as rdflib namespaces (a typo in a term is an error)."""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD, DefinedNamespace

KG_NS = "https://kg.example.org/ontology#"
SCHEMA_HTTPS = "https://schema.org/"
SCHEMA_HTTP = "http://schema.org/"


class KG(DefinedNamespace):
    """Terms of kg's own namespace: only what schema.org, SKOS, DCTERMS and PROV lack."""

    _NS = Namespace(KG_NS)
    _fail = True

    relatedArticle: str  # article -> article, rdfs:subPropertyOf dcterms:relation
    quality: str  # the source site's quality score
    heat: str  # the source site's popularity score
    isPublished: str  # the source site's `published` flag
    contentType: str  # the source site's `type`: article, video
    originalUrl: str  # the publisher's URL when it differs from schema:url
    domain: str  # a provider's web domain
    keyword: str  # a topic's matching keyword
    hashtag: str  # a topic's hashtag
    SourceFile: str  # an input file that asserted facts
    Story: str  # articles that report the same news
    story: str  # article -> story, rdfs:subPropertyOf dcterms:isPartOf
    firstPublished: str  # a story's earliest article's date
    lastPublished: str  # a story's latest article's date
    outletCount: str  # how many distinct providers published a story's articles
    articleCount: str  # how many articles a story has


def prefixes(schema: str = SCHEMA_HTTPS) -> dict[str, str]:
    """The prefixes bound in every serialisation."""
    return {
        "kg": KG_NS,
        "schema": schema,
        "skos": str(SKOS),
        "dcterms": str(DCTERMS),
        "prov": str(PROV),
        "rdf": str(RDF),
        "rdfs": str(RDFS),
        "owl": str(OWL),
        "xsd": str(XSD),
    }

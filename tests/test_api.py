"""The public API: what `import kg` offers, and the vocabulary against the ontology file."""

from __future__ import annotations

from rdflib import OWL, RDF, Graph, URIRef

import kg
from kg.resources import ontology_file
from kg.vocab import KG


def test_exported_members():
    assert set(kg.__all__) == {
        "ArticleRecord", "Build", "BuildOptions", "Edge", "EdgeKind", "KnowledgeGraph", "Node",
        "NodeKind", "Problem", "__version__", "build", "write_outputs",
    }
    for name in kg.__all__:
        assert getattr(kg, name) is not None


def test_vocabulary_matches_ontology():
    ontology = Graph().parse(ontology_file(), format="turtle")
    declared = {s for s in ontology.subjects(RDF.type, None) if str(s).startswith(str(KG._NS))}
    terms = {URIRef(str(KG._NS) + name) for name in KG.__annotations__}
    assert terms == declared
    assert (KG.relatedArticle, URIRef("http://www.w3.org/2000/01/rdf-schema#subPropertyOf"),
            URIRef("http://purl.org/dc/terms/relation")) in ontology
    assert (URIRef("https://kg.example.org/ontology"), RDF.type, OWL.Ontology) in ontology


def test_build_gives_rdflib_and_networkx_views(seeds_build):
    assert len(seeds_build.rdf) > 300
    assert seeds_build.nx.number_of_nodes() == len(seeds_build.graph)
    kinds = {d["kind"] for _, d in seeds_build.nx.nodes(data=True)}
    assert kinds == {"article", "provider", "topic", "image"}

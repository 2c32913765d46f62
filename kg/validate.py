"""Checks of a written graph: strict parsing by Oxigraph, and the SHACL shapes."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph

from .resources import ontology_file, shapes_file
from .vocab import SCHEMA_HTTP, SCHEMA_HTTPS


@dataclass(frozen=True, slots=True)
class Validation:
    """The outcome of validating one Turtle file."""

    path: Path
    triples: int
    conforms: bool
    report: str


def parse_strict(path: str | os.PathLike) -> int:
    """Parse a Turtle file with Oxigraph's strict parser; return its number of triples."""
    return sum(1 for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))


def validate(path: str | os.PathLike, schema: str | None = None) -> Validation:
    """Parse strictly, then run pySHACL with kg's shapes (rdfs inference over the ontology)."""
    from pyshacl import validate as shacl_validate

    path = Path(path)
    triples = parse_strict(path)
    data = Graph(store="Oxigraph")
    data.parse(str(path), format="ox-turtle")
    scheme = schema or (SCHEMA_HTTP if f"<{SCHEMA_HTTP}>" in _head(path) else SCHEMA_HTTPS)
    shapes = _with_scheme(shapes_file().read_text("utf-8"), scheme)
    ontology = _with_scheme(ontology_file().read_text("utf-8"), scheme)
    conforms, _graph, text = shacl_validate(
        data, shacl_graph=Graph().parse(data=shapes, format="turtle"),
        ont_graph=Graph().parse(data=ontology, format="turtle"), inference="rdfs",
    )
    return Validation(path, triples, bool(conforms), text)


def _with_scheme(turtle: str, scheme: str) -> str:
    return turtle if scheme == SCHEMA_HTTPS else turtle.replace(SCHEMA_HTTPS, scheme)


def _head(path: Path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read(4096)

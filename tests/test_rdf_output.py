"""graph.ttl: strict parsing, SHACL, a golden graph, and deterministic bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import SEEDS
from rdflib import Graph
from rdflib.compare import isomorphic, to_isomorphic

import kg
from kg.validate import parse_strict, validate

GOLDEN = Path(__file__).parent / "data" / "golden" / "seeds.ttl"
PROV = "http://www.w3.org/ns/prov#"


def test_outputs_written(seeds_out):
    for name in ("graph.ttl", "graph.nt", "graph.nq", "graph.html", "warnings.json"):
        assert (seeds_out / name).stat().st_size > 0, name


def test_turtle_parses_strictly_in_oxigraph(seeds_out, seeds_build):
    assert parse_strict(seeds_out / "graph.ttl") == len(seeds_build.rdf)
    nt = list(ox.parse(path=str(seeds_out / "graph.nt"), format=ox.RdfFormat.N_TRIPLES))
    assert len(nt) == len(seeds_build.rdf)


def test_turtle_has_prefixes_bound(seeds_out):
    head = (seeds_out / "graph.ttl").read_text("utf-8")[:2000]
    for prefix in ("schema:", "skos:", "kg:", "dcterms:", "prov:", "xsd:"):
        assert f"@prefix {prefix}" in head


def test_shacl_conforms(seeds_out):
    result = validate(seeds_out / "graph.ttl")
    assert result.conforms, result.report


def test_shacl_catches_a_broken_graph(seeds_out, tmp_path):
    broken = tmp_path / "broken.ttl"
    text = (seeds_out / "graph.ttl").read_text("utf-8")
    broken.write_text(text.replace('"2023-01-24T11:00:00Z"^^xsd:dateTime', '"yesterday"'), "utf-8")
    assert not validate(broken).conforms


def test_corpus_graph_is_valid(corpus_out):
    result = validate(corpus_out / "graph.ttl")
    assert result.triples > 20_000
    assert result.conforms, result.report[:2000]


def test_golden_graph(seeds_out):
    built = Graph().parse(seeds_out / "graph.ttl", format="turtle")
    golden = Graph().parse(GOLDEN, format="turtle")
    if not isomorphic(built, golden):
        only_built = to_isomorphic(built) - to_isomorphic(golden)
        only_golden = to_isomorphic(golden) - to_isomorphic(built)
        pytest.fail(f"differs from {GOLDEN.name}: +{sorted(only_built)[:5]} "
                    f"-{sorted(only_golden)[:5]}")


def test_two_builds_are_byte_identical(seeds_out, tmp_path):
    kg.write_outputs(kg.build([SEEDS]), tmp_path)
    for name in ("graph.ttl", "graph.nt", "graph.nq"):
        assert (tmp_path / name).read_bytes() == (seeds_out / name).read_bytes(), name


def facts(turtle: Path) -> set:
    """Triples apart from provenance, which names paths that depend on the folder layout."""
    g = Graph().parse(turtle, format="turtle")
    sources = {s for s, o in g.subject_objects(None) if "/source/" in str(s)}
    return {t for t in g if not str(t[1]).startswith(PROV) and t[0] not in sources}


def test_other_folder_layout_gives_same_facts(seeds_out, tmp_path):
    """Front-matter files moved and renamed; the plain-text seed keeps its path, which is its
    identity by SPEC §2."""
    layout = tmp_path / "in"
    for i, src in enumerate(sorted(SEEDS.iterdir(), reverse=True)):
        plain = not src.read_text("utf-8").startswith("---")
        target = layout / src.name if plain else layout / f"z{i}" / "deeper" / f"{i}-{src.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, target)
    out = tmp_path / "out"
    kg.write_outputs(kg.build([layout]), out)
    assert facts(out / "graph.ttl") == facts(seeds_out / "graph.ttl")


def test_files_given_in_another_order_give_identical_bytes(seeds_out, tmp_path):
    files = sorted(SEEDS.iterdir(), reverse=True)
    kg.write_outputs(kg.build(files), tmp_path)
    assert (tmp_path / "graph.ttl").read_bytes() == (seeds_out / "graph.ttl").read_bytes()


def test_http_schema_option(tmp_path):
    build = kg.build([SEEDS], kg.BuildOptions(schema="http://schema.org/"))
    kg.write_outputs(build, tmp_path)
    text = (tmp_path / "graph.ttl").read_text("utf-8")
    assert "@prefix schema: <http://schema.org/>" in text
    assert validate(tmp_path / "graph.ttl").conforms

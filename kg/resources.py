"""Where the ontology, shapes and bundled queries are, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """`ontology` or `queries`: inside the installed package, else at the repository's top."""
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"kg's {name}/ folder is missing: reinstall kg")


def ontology_file() -> Path:
    return resource_dir("ontology") / "kg.ttl"


def shapes_file() -> Path:
    return resource_dir("ontology") / "shapes.ttl"

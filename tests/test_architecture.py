"""The package's walls: data flows one way, and the machinery of fast rebuilds has one door."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kg"
# Stages of the build, which never reach back for what orchestrates them.
STAGES = ("kg.sources", "kg.extract", "kg.identity", "kg.model", "kg.graph", "kg.rdf",
          "kg.viz", "kg.layout", "kg.store", "kg.vocab")
ORCHESTRATION = ("kg.incremental", "kg.isolation", "kg.reading", "kg.bench", "kg.pipeline",
                 "kg.cli", "kg.cluster")


def _name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each kg module -> the kg modules it imports (a package import counts as its __init__)."""
    modules = {_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom):
                stem = base[:len(base) - node.level + 1] if node.level else []
                target = ".".join([*stem, *([node.module] if node.module else [])])
                # `from . import rdf` imports the module kg.rdf, not names of kg/__init__.py.
                submodules = {f"{target}.{alias.name}" for alias in node.names} & modules.keys()
                found.update(submodules or {target})
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        # Importing kg.incremental.state runs kg/incremental/__init__.py first.
        ancestors = {".".join(name.split(".")[:n]) for n in range(1, name.count(".") + 1)}
        found |= {".".join(t.split(".")[:n]) for t in found for n in range(2, t.count(".") + 1)}
        graph[name] = {t for t in found if t in modules and t != name and t not in ancestors}
    return graph


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


IMPORTS = _imports()


@pytest.mark.parametrize("module", sorted(m for m in IMPORTS if _within(m, STAGES)))
def test_a_stage_never_imports_the_orchestration(module):
    assert not {m for m in IMPORTS[module] if _within(m, ORCHESTRATION)}


def test_only_the_orchestration_opens_the_door_to_the_previous_build():
    openers = {module for module, targets in IMPORTS.items()
               if not _within(module, ("kg.incremental",))
               and any(_within(t, ("kg.incremental",)) for t in targets)}
    assert openers == {"kg.pipeline", "kg.bench"} | ({"kg.cli"} & openers)


def test_only_the_pipeline_opens_the_door_to_the_cluster_engine():
    openers = {module for module, targets in IMPORTS.items()
               if not _within(module, ("kg.cluster",))
               and any(_within(t, ("kg.cluster",)) for t in targets)}
    assert openers == {"kg.pipeline"}


def test_the_cluster_engine_runs_the_stages_and_not_the_local_orchestration():
    reached = {t for module, targets in IMPORTS.items() if _within(module, ("kg.cluster",))
               for t in targets if not _within(t, ("kg.cluster",))}
    assert not reached & {"kg.incremental", "kg.pipeline", "kg.reading", "kg.cli", "kg.bench"}


def test_no_import_cycles():
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            pytest.fail("import cycle: " + " -> ".join([*path[path.index(module):], module]))
        if module in done:
            return
        for target in sorted(IMPORTS[module]):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(IMPORTS):
        visit(module, [])


def test_the_walls_are_seen():
    """The checks above read real imports: the pipeline's are found."""
    assert {"kg.incremental", "kg.isolation", "kg.rdf"} <= IMPORTS["kg.pipeline"]
    assert "kg.rdf" in IMPORTS["kg.incremental.lines"]

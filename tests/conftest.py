"""Shared fixtures: the bundled seed articles, the shared corpus, and built graphs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

import kg

# The key that seals each build's state lives outside output folders; the tests' key lives in
# a folder of their own rather than in the user's ~/.cache/kg.
os.environ.setdefault("KG_STATE_KEY_DIR", tempfile.mkdtemp(prefix="kg-test-key-"))

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "articles"
CORPUS = Path(os.environ.get("KG_CORPUS", ROOT.parent / "shared" / "corpus"))


def corpus_or_skip() -> Path:
    """The shared corpus; missing it skips on a laptop but fails in CI (CI=true)."""
    if (CORPUS / "ai" / "news").is_dir():
        return CORPUS
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the shared corpus is missing at {CORPUS}: CI must have ../shared beside "
                    "the clone")
    pytest.skip(f"the shared corpus is not at {CORPUS} (set KG_CORPUS)")


@pytest.fixture(scope="session")
def corpus() -> Path:
    return corpus_or_skip()


# The shared outputs' stores hold a named graph per file (`kg build --provenance`), so that
# every bundled query, source-of-facts too, has something to answer.
PROVENANCE = kg.BuildOptions(provenance=True)


@pytest.fixture(scope="session")
def seeds_build() -> kg.Build:
    return kg.build([SEEDS], PROVENANCE)


@pytest.fixture(scope="session")
def seeds_out(tmp_path_factory, seeds_build) -> Path:
    out = tmp_path_factory.mktemp("seeds-out")
    kg.write_outputs(seeds_build, out)
    return out


@pytest.fixture(scope="session")
def corpus_build(corpus) -> kg.Build:
    return kg.build([corpus], PROVENANCE)


@pytest.fixture(scope="session")
def corpus_out(tmp_path_factory, corpus_build) -> Path:
    out = tmp_path_factory.mktemp("corpus-out")
    kg.write_outputs(corpus_build, out)
    return out

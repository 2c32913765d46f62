"""`kg stats`: the figures from networkx, printed and written to report.json."""

from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from kg.analytics import compute_stats, read_networkx, to_networkx
from kg.cli import main


def test_stats_on_seeds(seeds_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(seeds_out, out)
    result = CliRunner().invoke(main, ["stats", "-o", str(out)])
    assert result.exit_code == 0, result.output
    for line in ("articles        │ 13", "providers       │ 12", "topics          │ 4"):
        assert line in result.output
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["counts"]["articles"] == 13
    assert report["counts"]["providers"] == 12
    assert report["counts"]["topics"] == 4
    assert report["top_topics"][0] == ["AI", 5]
    assert report["components"] == 1
    assert report["dangling"]["articles_known_only_as_related"] == 8
    assert (out / "report.md").read_text("utf-8").startswith("# Knowledge graph report")


def test_stats_from_file_equal_stats_from_memory(corpus_build, corpus_out):
    from_file = compute_stats(read_networkx(corpus_out / "graph.nt"))
    in_memory = compute_stats(to_networkx(corpus_build.graph))
    assert from_file == in_memory
    assert from_file.counts["articles"] == corpus_build.graph.counts()["articles"]


def test_stats_without_a_build_says_what_to_do(tmp_path):
    result = CliRunner().invoke(main, ["stats", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "run `kg build` first" in result.output

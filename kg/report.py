"""Reports written beside the graph: warnings.json, report.json and report.md."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from .fileio import write_text
from .model import Problem, Severity

if TYPE_CHECKING:
    from .analytics import Stats  # networkx: 0.2 s at start-up that builds do not need


SKIPPED_FILE = "skipped the file"


def summarize(counts: dict[str, int], problems: list[Problem], files_read: int,
              files_ignored: int, files_cached: int = 0) -> dict[str, object]:
    """What `kg build` tells of a build: files, nodes and edges by kind, warnings by kind."""
    warnings = [p for p in problems if p.severity is Severity.WARNING]
    return {
        "files_read": files_read,
        "files_ignored": files_ignored,
        "files_cached": files_cached,
        **counts,
        "warnings": len(warnings),
        "notices": len(problems) - len(warnings),
        "warnings_by_kind": dict(sorted(Counter(p.kind for p in warnings).items())),
        "files_skipped": len({p.source for p in warnings if p.action == SKIPPED_FILE}),
    }


def write_warnings(problems: list[Problem], target: Path) -> Path:
    rows = [{k: (v.value if hasattr(v, "value") else v) for k, v in asdict(p).items()}
            for p in problems]
    write_text(target, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return target


def write_stats(stats: Stats, out_dir: Path) -> list[Path]:
    """report.json (every figure) and report.md (the same, for people)."""
    data = stats.to_dict()
    write_text(out_dir / "report.json", json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    write_text(out_dir / "report.md", stats_markdown(stats))
    return [out_dir / "report.json", out_dir / "report.md"]


def stats_markdown(stats: Stats) -> str:
    lines = ["# Knowledge graph report", "", "| what | count |", "| --- | ---: |"]
    lines += [f"| {k.replace('_', ' ')} | {v:,} |" for k, v in stats.counts.items()]
    sections = [("Top providers", ("provider", "articles"), stats.top_providers),
                ("Top topics", ("topic", "articles"), stats.top_topics),
                ("Most linked articles", ("article", "linked from"), stats.most_linked_articles),
                ("Topic pairs", ("topic", "topic", "articles"), stats.topic_pairs),
                ("Stories by coverage", ("story", "outlets", "articles"), stats.top_stories)]
    for title, header, rows in sections:
        lines += ["", f"## {title}", "", "| " + " | ".join(header) + " |",
                  "|" + " --- |" * len(header)]
        lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    lines += ["", "## Structure", "",
              f"- {stats.components:,} connected components, the largest with "
              f"{stats.largest_component:,} nodes",
              f"- {stats.communities:,} communities (Louvain), largest sizes "
              f"{', '.join(str(s) for s in stats.community_sizes)}"]
    lines += [f"- {k.replace('_', ' ')}: {v:,}" for k, v in stats.dangling.items()]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")

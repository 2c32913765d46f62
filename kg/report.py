"""Reports written beside the graph: warnings.json."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from .fileio import write_text
from .model import Problem


def write_warnings(problems: list[Problem], target: Path) -> Path:
    rows = [{k: (v.value if hasattr(v, "value") else v) for k, v in asdict(p).items()}
            for p in problems]
    write_text(target, json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    return target

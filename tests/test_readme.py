"""The README's Quickstart is the contract: two commands, the second is what CI runs."""

from __future__ import annotations

import re

from conftest import ROOT


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    section = text.split("## Quickstart", 1)[1]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands():
    commands = quickstart_commands()
    assert len(commands) == 2
    assert "kg build examples/articles" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    assert quickstart_commands()[1] in (ROOT / ".ci" / "run").read_text("utf-8")

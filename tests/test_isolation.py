"""The child process `kg build` builds the graph in: answers, progress and failures."""

from __future__ import annotations

import os

import pytest

from kg.errors import BuildProcessError, NoInputError
from kg.isolation import call_in_child


def _counts(limit: int, progress, announce, keep) -> tuple[int, int]:
    for done in range(1, limit + 1):
        progress(done, limit)
        announce("odd" if done % 2 else "even")
    return os.getpid(), limit


def _fails(progress, announce, keep) -> None:
    raise NoInputError("nothing to read in /nowhere")


def _dies(progress, announce, keep) -> None:
    os._exit(9)


def test_answer_progress_and_announcements_come_back_from_another_process():
    seen = []
    pid, limit = call_in_child(_counts, 3, progress=lambda d, t: seen.append((d, t)),
                               on={"odd": lambda: seen.append("odd")})
    assert pid != os.getpid() and limit == 3
    assert seen == [(1, 3), "odd", (2, 3), (3, 3), "odd"]  # "even" has no handler


def test_an_error_in_the_child_is_raised_in_the_parent():
    with pytest.raises(NoInputError, match="/nowhere"):
        call_in_child(_fails)


def test_a_child_that_dies_is_reported_not_waited_for():
    with pytest.raises(BuildProcessError, match="exit code 9"):
        call_in_child(_dies)

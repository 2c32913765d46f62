"""Stories: real corpus cases, the labelled pairs, and the grouping's own contract."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kg
from kg import EdgeKind, NodeKind, stories
from kg.stories import Story, StoryArticle, group

PAIRS = Path(__file__).parent / "data" / "stories" / "pairs.tsv"
DAY = dt.datetime(2022, 12, 12, 8, tzinfo=dt.UTC)


def members_by_story(build: kg.Build) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for edge in build.graph.edges:
        if edge.kind is EdgeKind.STORY:
            out.setdefault(edge.target, set()).add(edge.source)
    return out


def story_of(build: kg.Build) -> dict[str, str]:
    return {e.source: e.target for e in build.graph.edges if e.kind is EdgeKind.STORY}


def headline(build: kg.Build, iri: str) -> str:
    return str(build.graph.by_iri[iri].get("headline"))


def article(iri: str, title: str, day: int = 0, provider: str | None = None,
            text: str = "") -> StoryArticle:
    return StoryArticle(iri, title, text, DAY + dt.timedelta(days=day),
                        provider or f"ex:provider/{iri}")


@pytest.mark.corpus
def test_the_power_apps_exposure_coverage_is_one_story(corpus_build):
    """August 2021: about 30 articles from 25 outlets report that misconfigured Power Apps
    portals exposed 38 million records, under as many headlines. (One more, five days after
    the first and with few of their words, stays out: a window of 3 days cannot reach it.)"""
    graph = corpus_build.graph
    reports = [n.iri for n in graph.nodes_of(NodeKind.ARTICLE)
               if "Power Apps" in str(n.get("headline"))
               and any(w in str(n.get("headline")) for w in ("38", "Million", "million"))
               and n.get("date_published") and "2021-08-23" <= n.get("date_published")
               .strftime("%Y-%m-%d") <= "2021-08-27"]
    assert len(reports) >= 20
    stories = {story_of(corpus_build).get(iri) for iri in reports}
    assert len(stories) == 1 and None not in stories, [headline(corpus_build, i)
                                                       for i in reports]
    [story] = stories
    node = graph.by_iri[story]
    assert node.get("size") >= 25 and node.get("outlets") >= 25
    assert node.get("label") == "Microsoft Power Apps misconfiguration exposes 38 million data " \
                                "records"  # the earliest report's headline


@pytest.mark.corpus
def test_monthly_feature_update_posts_are_never_grouped(corpus_build):
    updates = [n.iri for n in corpus_build.graph.nodes_of(NodeKind.ARTICLE)
               if "Feature Update" in str(n.get("headline"))]
    assert len(updates) >= 15
    stories = [story_of(corpus_build).get(iri) for iri in updates]
    grouped = [s for s in stories if s is not None]
    assert len(grouped) == len(set(grouped)), "two Feature Update posts share a story"


@pytest.mark.corpus
@pytest.mark.parametrize("titles", [
    # The New York Times piece and two papers' copies of it (known from related entries).
    ("Meet DALL-E, the A.I. That Draws Anything at Your Command",
     "Meet DALL-E, the AI that draws anything at your command"),
    # One press release, re-transmitted: five files on three sites.
    ("Provance Releases ServiceTeam a New Family of ISTM Power Apps Products",
     "RE-TRANSMISSION: Provance Releases ServiceTeam a New Family of ITSM Power Apps Products",
     "Provance Releases ServiceTeam a New Family of ITSM Power Apps Products"),
    # The same CRN round-up on crn.com and crn.com.au.
    ("The 15 Biggest Azure Announcements At Microsoft Build 2022",
     "The biggest Azure announcements from Microsoft Build 2022"),
], ids=["dall-e", "provance", "crn"])
def test_syndicated_copies_are_grouped(corpus_build, titles):
    found = [n.iri for n in corpus_build.graph.nodes_of(NodeKind.ARTICLE)
             if str(n.get("headline")) in titles]
    assert len(found) >= len(titles)
    assert len({story_of(corpus_build).get(iri) for iri in found} - {None}) == 1
    assert None not in {story_of(corpus_build).get(iri) for iri in found}


def test_installments_of_a_series_are_not_grouped():
    """Titles that differ in a part, a number or a month are installments, not one story,
    however alike the rest of them and their text."""
    text = "How Dataverse keeps data safe: roles, teams, business units and auditing."
    pairs = [("Protecting Data with Dataverse Part 1: Security from External Threats",
              "Protecting Data with Dataverse Part 2: Security from Internal Threats"),
             ("Protecting Data with Dataverse, Part One", "Protecting Data with Dataverse, Part Two"),
             ("What’s new: Power Apps September 2022 Feature Update",
              "What’s new: Power Apps October 2022 Feature Update"),
             ("Contoso Studio 4 released", "Contoso Studio 5 released")]
    for first, second in pairs:
        assert group([article("ex:a", first, 0, "ex:p", text),
                      article("ex:b", second, 1, "ex:q", text)]) == [], (first, second)
    # The same titles as copies do group: it is the marker that keeps them apart.
    copies = group([article("ex:a", pairs[0][0], 0, "ex:p", text),
                    article("ex:b", pairs[0][0], 1, "ex:q", text)])
    assert [s.members for s in copies] == [("ex:a", "ex:b")]


def test_a_chain_does_not_pull_in_what_is_unlike_its_start():
    """A~B and B~C but A≁C: C does not join A's story on B's account alone."""
    a = article("ex:a", "Qubitron raises 90 million for its Quantum Chip factory in Oslo")
    b = article("ex:b", "Qubitron raises 90 million for Quantum Chip factory, Oslo plant", 1)
    c = article("ex:c", "Oslo plant of Quantum Chip maker wins 90 million city grant", 2)
    stories = group([a, b, c])
    assert [set(s.members) for s in stories] == [{"ex:a", "ex:b"}]


def test_the_same_stories_whatever_the_order():
    titles = ["Harbour city bans facial recognition in its schools",
              "Harbour City bans facial recognition in schools",
              "Qubitron raises 90 million in Series C",
              "Qubitron raises 90 million in a Series C round",
              "Qubitron, a quantum chip maker, raises 90 million in Series C",
              "Something else entirely about Qubitron"]
    articles = [article(f"ex:{i}", t, i % 3) for i, t in enumerate(titles)]
    expected = group(articles)
    assert len(expected) == 2
    for seed in range(5):
        shuffled = articles[:]
        random.Random(seed).shuffle(shuffled)
        assert group(shuffled) == expected


def test_a_story_is_named_and_dated_by_its_members():
    stories = group([article("ex:b", "Harbour City bans facial recognition in schools", 1,
                             "ex:p"),
                     article("ex:a", "Harbour city bans facial recognition in its schools", 0,
                             "ex:p2"),
                     article("ex:c", "Harbour City bans facial recognition in schools", 2,
                             "ex:p")])
    assert stories == [Story(key="ex:a", members=("ex:a", "ex:b", "ex:c"),
                             label="Harbour city bans facial recognition in its schools",
                             first=DAY, last=DAY + dt.timedelta(days=2),
                             outlets=("ex:p", "ex:p2"))]


def test_the_window_is_a_bound():
    far = [article("ex:a", "Harbour city bans facial recognition in its schools", 0),
           article("ex:b", "Harbour city bans facial recognition in its schools", 5)]
    assert group(far, window_days=3) == []
    assert len(group(far, window_days=7)) == 1


def read_pairs(path: Path = PAIRS) -> list[tuple[str, str, bool]]:
    rows = [line.rstrip("\n").split("\t") for line in path.read_text("utf-8").splitlines()
            if line and not line.startswith("#")]
    return [(row[0], row[1], row[2] == "1") for row in rows[1:]]


def precision_and_recall(build: kg.Build, pairs: list[tuple[str, str, bool]]
                         ) -> tuple[float, float]:
    iri = {}
    for node in build.graph.nodes_of(NodeKind.ARTICLE):
        for source in node.all("primary_sources"):
            iri[source] = node.iri
        iri[f"url:{node.get('url')}"] = node.iri
    stories = story_of(build)
    tp = fp = fn = 0
    for a, b, same in pairs:
        found = stories.get(iri[a])
        grouped = found is not None and found == stories.get(iri[b])
        tp += grouped and same
        fp += grouped and not same
        fn += same and not grouped
    return tp / (tp + fp), tp / (tp + fn)


@pytest.mark.corpus
def test_labelled_pairs_precision_and_recall(corpus_build):
    """Pairs judged by reading them (tests/data/stories/pairs.tsv): precision matters more
    than recall, since a wrong grouping misleads and a missed one only under-counts."""
    pairs = read_pairs()
    assert len(pairs) >= 60
    precision, recall = precision_and_recall(corpus_build, pairs)
    print(f"{len(pairs)} pairs: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.90


@pytest.mark.corpus
def test_held_out_pairs_do_not_get_worse(corpus_build):
    """Pairs judged blind after the thresholds were set (tests/data/stories/heldout.tsv):
    they measured precision 0.887 (8 wrong groupings of 71, half of them round-ups and broad
    pieces that name the story's company) and recall 0.969. The thresholds fit pairs.tsv
    better than news at large; this holds the line while the rules are improved."""
    pairs = read_pairs(PAIRS.with_name("heldout.tsv"))
    assert len(pairs) == 146
    precision, recall = precision_and_recall(corpus_build, pairs)
    print(f"{len(pairs)} held-out pairs: precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.88
    assert recall >= 0.95


def test_no_stories_and_the_window_are_options(seeds_build):
    assert kg.BuildOptions().stories and kg.BuildOptions().story_window == 3
    counts = seeds_build.graph.counts()
    assert counts["stories"] == 0 and counts["story_edges"] == 0


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab9 .'’—–-_|,;:!?()\"“”é\u00a0\u2009x"), max_size=60))
def test_excerpt_words_split_at_breaks_are_those_the_word_pattern_finds(text):
    """The excerpt reader splits at characters that never belong to a word before it looks
    for words: the stems must be exactly those of the pattern's words in the whole text."""
    folded = text.casefold().replace("’", "'")
    expected = {stories._stem(w) for w in stories._WORD.findall(folded)} - {""}
    table = stories._Stems()
    assert table.of_text(folded) == expected
    assert table.of_text(folded) == expected  # the second time from the table

"""Stories: articles that report the same news (copies, syndications, re-sent press releases,
different outlets' reports of one event within a few days), grouped after the merge.

    stories = group(articles_of(graph), window_days=3)   # a pure function over slim records
    graph = with_stories(graph, stories)                 # Story nodes, article -> story edges

How two articles are judged to tell one story:
- *blocking*: candidates share two title words that are rare within the date window (a word in
  more than `MAX_POSTINGS` titles of one window is treated as a common word there), and their
  dates are at most `window_days` apart, so the work grows with the number of articles, not
  with its square;
- *markers agree*: the numbers, number words and month names of one title are a subset of the
  other's ("… September 2022 Feature Update" and "… October 2022 …" never group, nor Part 1
  and Part 2);
- *similar*: the titles are near-identical (rapidfuzz's token-set ratio), or both name one
  thing (a word mostly capitalised in the corpus's excerpts, or a number that is not a year)
  and their words, and those of title and excerpt together, overlap enough, weighted by rarity;
  one outlet's own articles only as near-identical copies.
Then stories grow by average linkage, most similar pairs first: two groups join only when
enough of the pairs across them are similar and none of them conflicts, so a chain A~B~C does
not pull C in unless it is close to the story's other members too.

What it costs: blocking reads the titles only; excerpts are read (for every article, as
rarity is counted over all of them) only when a candidate pair is left, and the names only for
the candidates. About 12 µs an article where no pair is left, 40 µs where stories are many
(`kg bench` corpora and docs/story_cost.py; docs/performance.md).

rapidfuzz does the string similarity (C++, MIT, maintained, no dependencies of its own); MinHash
blocking (datasketch) was not needed: the rare-word index is exact, cheaper at these sizes, and
keeps the result independent of random seeds.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

import numpy as np
from rapidfuzz import fuzz

from .graph import Edge, EdgeKind, Fact, KnowledgeGraph, Node, NodeKind

__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "Story",
    "StoryArticle",
    "articles_of",
    "group",
    "with_stories",
]

DEFAULT_WINDOW_DAYS = 3
# A word in more titles than this within one window is a common word there, not a lead.
MAX_POSTINGS = 60
# Near-identical titles (rapidfuzz token-set ratio, 0-100) tell one story by themselves.
TITLE_SAME = 90.0
# Otherwise the titles' words, weighted by rarity, must overlap at least TITLE_MIN (Dice),
# and that plus the overlap of title and excerpt words (weighted, over the smaller of the two
# sets) reach TEXT_SAME. These figures were chosen on tests/data/stories/pairs.tsv.
TITLE_MIN = 0.15
# Unless near-identical, the titles must both name one thing (a name or a number that is not a
# year) rare enough that its words weigh this much: "Is AI a bubble?" is not a story.
NAME_MIN = 2.5
TEXT_SAME = 0.5
# Two groups join when at least this share of the pairs across them (those within the window)
# are similar, and at least two unless there is only one pair.
LINKAGE = 0.34
EXCERPT_CHARS = 400
STEM = 5

_WORD = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*")
_NUMBER = re.compile(r"\d+")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")
_MONTHS = {**{m: m for m in MONTHS}, **{m[:3]: m for m in MONTHS}, "sept": "september"}
_MONTHS.pop("may")  # "may" is mostly the verb; "May 2022" still agrees through its year
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve"))} | {"first": "1", "second": "2", "third": "3", "fourth": "4",
                              "fifth": "5", "i": "1", "ii": "2", "iii": "3", "iv": "4"}
_MONTH_WORDS = frozenset(_MONTHS)
_NUMBER_WORD_SET = frozenset(_NUMBER_WORDS)
_STOP = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "how", "in",
    "into", "is", "it", "its", "new", "of", "on", "or", "our", "over", "s", "says", "the",
    "their", "this", "to", "up", "was", "we", "what", "what's", "when", "who", "why", "will",
    "with", "you", "your", "vs", "via", "after", "about", "more", "than", "not", "now", "out",
    "can", "just"))


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What story grouping needs of one article node."""

    iri: str
    headline: str
    description: str = ""
    date_published: dt.datetime | None = None
    provider: str | None = None  # the provider node's IRI


@dataclass(frozen=True, slots=True)
class Story:
    """Articles that report one story: members sorted by IRI, the earliest member's headline."""

    key: str  # the earliest member's IRI: stable while that member stays
    members: tuple[str, ...]
    label: str
    first: dt.datetime
    last: dt.datetime
    outlets: tuple[str, ...]  # distinct provider IRIs, sorted


def articles_of(graph: KnowledgeGraph) -> list[StoryArticle]:
    """The articles a story can hold: every article with a headline and a date, those known
    only as another article's `related` entry too (syndicated copies often are)."""
    publisher = {e.source: e.target for e in graph.edges if e.kind is EdgeKind.PUBLISHER}
    out = []
    for node in graph.nodes:
        if node.kind is not NodeKind.ARTICLE:
            continue
        headline, date = node.get("headline"), node.get("date_published")
        if headline and isinstance(date, dt.datetime):
            out.append(StoryArticle(node.iri, str(headline), str(node.get("description") or ""),
                                    date, publisher.get(node.iri)))
    return out


@dataclass(slots=True)
class _Doc:
    article: StoryArticle
    day: float
    title: str  # normalised title, for rapidfuzz
    leads: frozenset[str]  # title words that can make a candidate pair
    markers: frozenset[str]
    months: frozenset[str]
    # Read by `_read`:
    words: frozenset[str] = frozenset()  # title and excerpt words
    names: frozenset[str] = frozenset()  # title words that may name something: capitalised
    shaped: frozenset[str] = frozenset()  # title words shaped as names: LLaMA, EU, M365, 38
    capital: frozenset[str] = frozenset()  # excerpt words capitalised, not opening a sentence
    lower: frozenset[str] = frozenset()  # excerpt words in lower case
    lead_weight: float = 0.0  # of `leads` and of `words`, by rarity: for candidates only
    word_weight: float = 0.0


def group(articles: Iterable[StoryArticle], window_days: float = DEFAULT_WINDOW_DAYS
          ) -> list[Story]:
    """The stories of two articles or more among `articles`, sorted by key; the same whatever
    the order of `articles`.

    >>> d = dt.datetime(2021, 8, 24, tzinfo=dt.UTC)
    >>> a = StoryArticle("ex:a", "Power Apps portals exposed 38 million records", "", d, "ex:p")
    >>> b = StoryArticle("ex:b", "38 million records exposed by Power Apps portals", "", d, "ex:q")
    >>> [s.members for s in group([b, a])]
    [('ex:a', 'ex:b')]
    """
    stems = _Stems()
    docs = sorted((_doc(a, stems) for a in articles), key=lambda d: (d.day, d.article.iri))
    # Blocking needs the titles only; titles that differ in a number or a month are refused
    # before any excerpt is read, and where no pair is left nothing more is.
    pairs = [(i, j) for i, j in _candidates(docs, window_days)
             if not _conflict(docs[i], docs[j])]
    if not pairs:
        return []
    for d in docs:
        _read(d, stems)
    rarity = _rarity(docs)
    # What names a thing is learnt from the candidates' excerpts: most articles where
    # stories are many, and little work where they are few.
    candidates = [docs[i] for i in sorted({i for pair in pairs for i in pair})]
    for d in candidates:
        _read_names(d, stems)
        d.lead_weight, d.word_weight = _weight(d.leads, rarity), _weight(d.words, rarity)
    proper = _proper(candidates)
    similar: dict[tuple[int, int], float] = {}
    for i, j in pairs:
        score = _similarity(docs[i], docs[j], rarity, proper)
        if score is not None:
            similar[(i, j)] = score
    return _stories(docs, similar, window_days)


def with_stories(graph: KnowledgeGraph, stories: Iterable[Story]) -> KnowledgeGraph:
    """`graph` with a Story node per story and an edge from each member to it; a story's facts
    come from the files of its members."""
    nodes = list(graph.nodes)
    edges = list(graph.edges)
    added = False
    for story in stories:
        members = [graph.by_iri[m] for m in story.members]
        sources = frozenset().union(*(m.sources for m in members))
        iri = graph.minter.story(story.key)
        facts = {"label": Fact(story.label, sources), "first": Fact(story.first, sources),
                 "last": Fact(story.last, sources),
                 "outlets": Fact(len(story.outlets), sources),
                 "size": Fact(len(story.members), sources)}
        nodes.append(Node(NodeKind.STORY, story.key, iri, sources, facts, {}))
        edges.extend(Edge(EdgeKind.STORY, m.iri, iri, m.sources) for m in members)
        added = True
    if not added:
        return graph
    nodes.sort(key=lambda n: n.iri)
    edges.sort(key=lambda e: (e.source, e.kind.value, e.target))
    return KnowledgeGraph(nodes, edges, graph.minter)


def story_subjects(graph: KnowledgeGraph) -> frozenset[str]:
    """The IRIs whose statements stories shape: the story nodes and their members."""
    return frozenset(n.iri for n in graph.nodes_of(NodeKind.STORY)) | frozenset(
        e.source for e in graph.edges if e.kind is EdgeKind.STORY)


def _normal(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


_YEAR = re.compile(r"(19|20)\d\d")
# A word that opens a sentence: at the text's start or after an end of sentence.
_INITIAL = re.compile(r"(?:^|[.!?:]['\"’”)]*\s+)([^\W_]+(?:['’.][^\W_]+)*)")
_SUFFIX = re.compile(r"\s+[|\-–—]\s+[^|\-–—]{2,40}$")  # " - The Outlet", " | Site name"


def _title(article: StoryArticle) -> str:
    """The headline without an outlet's suffix, normalised, case kept."""
    return unicodedata.normalize("NFKC", _SUFFIX.sub("", article.headline.strip())
                                 or article.headline).replace("’", "'")


def _excerpt(article: StoryArticle) -> str:
    return unicodedata.normalize("NFKC", article.description[:EXCERPT_CHARS])


def _doc(article: StoryArticle, stems: _Stems) -> _Doc:
    folded = _title(article).casefold()
    words = _WORD.findall(folded)
    distinct = set(words)
    months = frozenset(map(_MONTHS.__getitem__, distinct & _MONTH_WORDS))
    markers = set(map(str, map(int, _NUMBER.findall(folded)))) | months
    markers.update(map(_NUMBER_WORDS.__getitem__, distinct & _NUMBER_WORD_SET))
    date = article.date_published
    day = date.timestamp() / 86400 if date is not None else 0.0
    return _Doc(article, day, " ".join(words), stems.of(distinct), frozenset(markers), months)


def _read(d: _Doc, stems: _Stems) -> None:
    """The excerpt's words, which every article's give their rarity."""
    d.words = d.leads | stems.of_text(_excerpt(d.article).casefold().replace("’", "'"))


def _read_names(d: _Doc, stems: _Stems) -> None:
    """The title's names and the case of the excerpt's words: for candidates only."""
    names, shaped = set(), set()
    for w in _WORD.findall(_title(d.article)):
        if w.islower():
            continue
        stem = _stem(w.casefold())
        if not stem:
            continue
        if stem.isdigit():
            if not _YEAR.fullmatch(stem):
                shaped.add(stem)  # "38 million", "18 colleges", "Snapdragon 888"
        elif w[0].isupper():
            names.add(stem)
            if len(w) > 1 and not w[1:].islower():
                shaped.add(stem)
    description = _excerpt(d.article)
    tokens = set(_WORD.findall(description))
    capital = {t for t in tokens if t[0].isupper()}.difference(_INITIAL.findall(description))
    d.names, d.shaped = frozenset(names), frozenset(shaped)
    d.capital = stems.of([t.casefold() for t in capital])
    d.lower = stems.of([t for t in tokens if t[0].islower()])


def _proper(docs: list[_Doc]) -> frozenset[str]:
    """Words that name something: in more than twice as many excerpts capitalised (where
    they do not open a sentence) as in lower case."""
    upper: Counter[str] = Counter()
    lower: Counter[str] = Counter()
    for d in docs:
        upper.update(d.capital)
        lower.update(d.lower)
    return frozenset(w for w, n in upper.items() if n > 2 * lower[w] and not w.isdigit())


def _stem(word: str) -> str:
    """A casefolded word as compared: "" for a stop word, "38m" as "38", the rest cut to
    `STEM` letters ("exposes", "exposed" and "exposure" alike: a crude stemmer, but one with
    no language data to ship, and the markers check keeps numbers apart)."""
    if word in _STOP or (len(word) < 2 and not word.isdigit()):
        return ""
    number = _NUMBER.match(word)
    return number.group() if number else word[:STEM]


# Characters that never belong to a word, as spaces: splitting there, then finding the words
# of each piece, finds what `_WORD` finds in the whole text, at a third of the cost.
_BREAKS = str.maketrans({c: " " for c in map(chr, range(128)) if not c.isalnum() and c not in "'."})
_SEVERAL = "\x00"  # not a stem: no word holds it


class _Stems(dict[str, str]):
    """The stem of each piece of text between spaces, worked out once a grouping: a dict
    whose lookups stay in C, since every article's excerpt passes through it. A piece that
    holds more than one word ("a..b", "x—y") maps to `_SEVERAL`, its stems kept aside."""

    def __init__(self) -> None:
        super().__init__()
        self.several: dict[str, tuple[str, ...]] = {}

    def __missing__(self, piece: str) -> str:
        words = _WORD.findall(piece)
        if len(words) == 1:
            stem = self[piece] = _stem(words[0])
            return stem
        self.several[piece] = tuple(map(_stem, words))
        self[piece] = _SEVERAL
        return _SEVERAL

    def of(self, pieces: list[str] | set[str]) -> frozenset[str]:
        """The stems of casefolded words, or of casefolded text split at spaces."""
        found = set(map(self.__getitem__, pieces))
        if _SEVERAL in found:
            found.discard(_SEVERAL)
            found.update(*(self.several[p] for p in pieces if p in self.several))
        found.discard("")
        return frozenset(found)

    def of_text(self, folded: str) -> frozenset[str]:
        return self.of(folded.translate(_BREAKS).split())


def _rarity(docs: list[_Doc]) -> dict[str, float]:
    """Each word's inverse document frequency over title and excerpt words."""
    counts = Counter(chain.from_iterable(d.words for d in docs))
    total = len(docs) + 1
    return {w: math.log(total / c) for w, c in counts.items()}


def _candidates(docs: list[_Doc], window: float) -> list[tuple[int, int]]:
    """Pairs (i < j, by date) sharing at least two title words that are rare within their
    window, in order."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        for w in d.leads:
            postings[w].append(i)
    days = [d.day for d in docs]
    later: list[list[int]] = [[] for _ in docs]  # for each doc, later docs sharing a word
    for ids in postings.values():
        if len(ids) < 2:
            continue
        when = [days[i] for i in ids]
        if len(ids) <= MAX_POSTINGS:  # rare wherever it is
            for at, i in enumerate(ids):
                end = bisect_right(when, when[at] + window, at + 1)
                if end - at > 1:
                    later[i].extend(ids[at + 1:end])
            continue
        # A word in many titles: where it is rare is worked out for all of them at once.
        at_day = np.array(when)
        ends = np.searchsorted(at_day, at_day + window, "right")
        starts = np.searchsorted(at_day, at_day - window, "left")
        rare = (ends - np.arange(len(ids)) > 1) & (ends - starts <= MAX_POSTINGS)
        for at in np.flatnonzero(rare).tolist():
            later[ids[at]].extend(ids[at + 1:ends[at]])
    return [(i, j) for i, found in enumerate(later) if len(found) > 1
            for j, shared in sorted(Counter(found).items()) if shared > 1]


def _conflict(a: _Doc, b: _Doc) -> bool:
    """Titles that differ in a number, a month or a part cannot tell one story."""
    if a.months and b.months and a.months != b.months:
        return True
    return not (a.markers <= b.markers or b.markers <= a.markers)


def _similarity(a: _Doc, b: _Doc, rarity: dict[str, float], proper: frozenset[str]
                ) -> float | None:
    """How alike two candidates are (above 0), or None when they are not the same story;
    the cheap refusals first, since most candidates are refused."""
    if _conflict(a, b):
        return None
    dice = 2 * _weight(a.leads & b.leads, rarity) / (a.lead_weight + b.lead_weight or 1.0)
    if dice < TITLE_MIN:
        return None
    title = fuzz.token_set_ratio(a.title, b.title)
    if title >= TITLE_SAME and min(len(a.leads), len(b.leads)) >= 3:
        return 1 + title / 100
    if a.article.provider is not None and a.article.provider == b.article.provider:
        return None  # one outlet's two articles: the same story only as a copy
    named = (a.shaped | (a.names & proper)) & (b.shaped | (b.names & proper))
    if _weight(named, rarity) < NAME_MIN:
        return None  # titles on one topic, but no one thing named by both
    text = _weight(a.words & b.words, rarity) / (min(a.word_weight, b.word_weight) or 1.0)
    score = dice + text
    return score if score >= TEXT_SAME else None


def _weight(words: frozenset[str], rarity: dict[str, float]) -> float:
    return sum(rarity.get(w, 0.0) for w in words)


def _stories(docs: list[_Doc], similar: dict[tuple[int, int], float], window: float
             ) -> list[Story]:
    """Average-linkage groups over the similar pairs, most similar first, never across a
    conflict nor beyond twice the window from first to last."""
    group_of = list(range(len(docs)))
    members: dict[int, list[int]] = {}
    for (i, j), _score in sorted(similar.items(), key=lambda kv: (-kv[1], kv[0])):
        gi, gj = group_of[i], group_of[j]
        if gi == gj:
            continue
        left, right = members.get(gi, [gi]), members.get(gj, [gj])
        span = [docs[k].day for k in (*left, *right)]
        if max(span) - min(span) > 2 * window:
            continue
        links, pairs = 0, len(left) * len(right)
        clash = False
        for a in left:
            for b in right:
                key = (a, b) if a < b else (b, a)
                if key in similar:
                    links += 1
                elif abs(docs[a].day - docs[b].day) > window:
                    pairs -= 1  # never compared: they say nothing either way
                elif _conflict(docs[a], docs[b]):
                    clash = True
                    break
            if clash:
                break
        if clash or links < max(LINKAGE * pairs, min(pairs, 2)):
            continue
        if len(left) < len(right):
            gi, gj, left, right = gj, gi, right, left
        merged = left + right
        members[gi] = merged
        members.pop(gj, None)
        for k in right:
            group_of[k] = gi
    out = []
    for ids in members.values():
        ds = sorted((docs[k] for k in ids), key=lambda d: (d.day, d.article.iri))
        earliest = ds[0].article
        out.append(Story(
            key=earliest.iri,
            members=tuple(sorted(d.article.iri for d in ds)),
            label=earliest.headline,
            first=min(d.article.date_published for d in ds),  # type: ignore[type-var]
            last=max(d.article.date_published for d in ds),  # type: ignore[type-var]
            outlets=tuple(sorted({d.article.provider for d in ds if d.article.provider}))))
    return sorted(out, key=lambda s: s.key)

"""What story grouping costs where stories are many: `python docs/story_cost.py [SIZES]`.

`kg bench` corpora have few stories (every title carries its own number), so grouping there
stops after the titles. This times `kg.stories.group` alone, in memory, on articles whose
titles share words the way news does: 5-11 words from a Zipf vocabulary of 20,000 with a
proper name in each, 5 % of articles re-published by another outlet within a day under the
same title, over five years (55 articles a day at 100,000). Prints seconds, µs an article and the
stories found, per size (default 10000,100000).
"""

from __future__ import annotations

import datetime as dt
import gc
import random
import sys
import time

from kg.stories import StoryArticle, group

VOCABULARY = 20_000
NAMES = 2_000
DAYS = 5 * 365


def articles(n: int, seed: int = 0) -> list[StoryArticle]:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(VOCABULARY)]
    weights = [1 / (i + 1) for i in range(VOCABULARY)]
    names = [f"Name{i}" for i in range(NAMES)]
    start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    out: list[StoryArticle] = []
    for i in range(n):
        if out and rng.random() < 0.05:
            copy = rng.choice(out[-200:])
            day = copy.date_published + dt.timedelta(hours=rng.randint(1, 24))
            out.append(StoryArticle(f"ex:a{i}", copy.headline, copy.description, day,
                                    f"ex:p{rng.randrange(400)}"))
            continue
        title = [*rng.choices(words, weights, k=rng.randint(4, 10)), rng.choice(names)]
        rng.shuffle(title)
        excerpt = rng.choices(words, weights, k=30)
        day = start + dt.timedelta(days=rng.uniform(0, DAYS))
        out.append(StoryArticle(f"ex:a{i}", " ".join(title).capitalize(), " ".join(excerpt),
                                day, f"ex:p{rng.randrange(400)}"))
    return out


def main(sizes: list[int]) -> None:
    for n in sizes:
        given = articles(n)
        gc.collect()
        gc.disable()  # as in a build, which runs without the cyclic collector's passes
        start = time.perf_counter()
        stories = group(given)
        took = time.perf_counter() - start
        gc.enable()
        members = sum(len(s.members) for s in stories)
        print(f"{n:>8,} articles: {took:6.2f} s, {took / n * 1e6:5.1f} µs an article, "
              f"{len(stories):,} stories of {members:,} articles")


if __name__ == "__main__":
    main([int(s) for s in sys.argv[1].split(",")] if len(sys.argv) > 1 else [10_000, 100_000])

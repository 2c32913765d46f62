"""A synthetic corpus shaped like the real one, for benchmarks and scale tests.

Providers follow a long-tail distribution, topics come from the built-in taxonomy (so they have
a hierarchy), a quarter of the articles list one to three related articles (0.5 per article, as in
the real corpus), some of which point into the corpus
through AMP or tracking-parameter variants of their URLs, and a few files repeat a URL.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from pathlib import Path

import yaml

from .sources import default_taxonomy

WORDS = ("model", "data", "cloud", "robot", "vision", "language", "chip", "startup", "health",
         "bank", "market", "policy", "research", "open", "agent", "security", "privacy",
         "energy", "drug", "school", "car", "climate", "law")


def _topics() -> list[str]:
    return [r.name for r in default_taxonomy().records]


def write_corpus(folder: str | os.PathLike, n: int, seed: int = 0) -> list[Path]:
    """Write `n` front-matter article files into `folder`; return their paths."""
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    topics = _topics()
    providers = [f"news{i}.example.com" for i in range(max(20, n // 25))]
    weights = [1 / (i + 1) for i in range(len(providers))]
    start = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
    urls: list[str] = []
    paths = []
    for i in range(n):
        domain = rng.choices(providers, weights)[0]
        if urls and rng.random() < 0.004:
            url = rng.choice(urls)  # the same story saved twice
        else:
            url = f"https://www.{domain}/{2019 + i % 6}/story-{i}-{rng.choice(WORDS)}/"
            urls.append(url)
        article = _article(rng, i, url, domain, topics, start)
        related = []
        if rng.random() < 0.25:  # the real corpus has 0.51 related entries per article
            for j in range(rng.randint(1, 3)):
                related.append(_related(rng, i, j, urls, providers, start))
        if related:
            article["related"] = related
        path = folder / f"{i // 1000:03d}" / f"{i:07d}-{rng.choice(WORDS)}.md"
        path.parent.mkdir(exist_ok=True)
        text = "---\n" + yaml.safe_dump(article, sort_keys=False, allow_unicode=True) + "---\n"
        path.write_text(text, "utf-8")
        paths.append(path)
    return paths


def _article(rng: random.Random, i: int, url: str, domain: str, topics: list[str],
             start: dt.datetime) -> dict:
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 10))).capitalize()
    return {
        "category": "news",
        "title": f"{title} {i}",
        "excerpt": " ".join(rng.choice(WORDS) for _ in range(30)),
        "publishedDateTime": start + dt.timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60)),
        "originalUrl": url,
        "webUrl": url,
        "type": "article",
        "quality": rng.randint(0, 100),
        "heat": rng.choice([-1, rng.randint(0, 100)]),
        "published": rng.random() < 0.5,
        "provider": {"name": domain.split(".")[0].capitalize(), "domain": domain,
                     "images": [{"url": f"https://img.example.com/{domain}-50x50.jpg",
                                 "width": 50, "height": 50}]},
        "topics": rng.sample(topics, rng.randint(1, 4)),
        "images": [{"url": f"https://img.example.com/{i}.jpg", "width": 1200, "height": 800,
                    "isCached": True}],
    }


def _related(rng: random.Random, i: int, j: int, urls: list[str], providers: list[str],
             start: dt.datetime) -> dict:
    if rng.random() < 0.15 and len(urls) > 1:
        target = rng.choice(urls[:-1])
        variant = rng.choice([target + "amp/", target + "?utm_source=feed", target])
        host = target.split("/")[2]
        return {"title": f"Related to {i}", "webUrl": variant,
                "provider": {"name": host, "domain": host.removeprefix("www.")}}
    domain = rng.choice(providers)
    return {
        "title": f"Elsewhere {i}-{j} " + rng.choice(WORDS),
        "excerpt": " ".join(rng.choice(WORDS) for _ in range(20)),
        "publishedDateTime": start + dt.timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60)),
        "webUrl": f"https://{domain}/related/{i}-{j}",
        "type": "article",
        "provider": {"name": domain, "domain": domain},
        "quality": rng.randint(0, 100),
    }

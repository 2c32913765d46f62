"""graph.html in a real headless Chromium, offline: drawn, safe, usable at scale."""

from __future__ import annotations

import time

import pytest
from browser import open_offline

import kg
from kg.bench_corpus import write_corpus

pytestmark = pytest.mark.browser


def wait_ready(page, seconds: float = 10) -> float:
    start = time.monotonic()
    page.wait_for_function("window.kgReady === true", timeout=seconds * 1000)
    return time.monotonic() - start


def canvas_is_drawn(page) -> bool:
    colours = page.evaluate("""() => {
        const c = document.querySelector('#mynetwork canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 97) seen.add(d[i] + ',' + d[i+1] + ',' + d[i+2] + ',' + d[i+3]);
        return seen.size;
    }""")
    return colours > 5


def test_seeds_view_offline(seeds_out, tmp_path):
    with open_offline(seeds_out / "graph.html") as opened:
        wait_ready(opened.page)
        count = opened.page.evaluate("network.body.data.nodes.length")
        kinds = opened.page.evaluate(
            "Array.from(new Set(network.body.data.nodes.get().map(n => n.kgKind))).sort()")
        assert opened.page.evaluate("window.network === network")
        assert canvas_is_drawn(opened.page)
        opened.page.screenshot(path=str(tmp_path / "seeds.png"))
        assert opened.requests == []
        assert opened.errors == []
    assert count == 13 + 12 + 4
    assert kinds == ["article", "provider", "topic"]


def test_tooltip_shows_fields_as_text(seeds_out):
    with open_offline(seeds_out / "graph.html") as opened:
        wait_ready(opened.page)
        text = hover(opened.page, "AI revolution in medicine")
    assert "AI revolution in medicine" in text
    assert "Provider: Harvard Medical School" in text
    assert "Topics: AI" in text and "AI Ethics" in text
    assert "Date: 2020-11-11" in text
    assert "URL: https://news.harvard.edu/" in text


def hover(page, title: str) -> str:
    node_id = page.evaluate(
        "(t) => network.body.data.nodes.get().find(n => n.kgInfo.title === t).id", title)
    page.evaluate("(id) => network.focus(id, {scale: 1.5, animation: false})", node_id)
    page.wait_for_timeout(200)
    pos = page.evaluate("""(id) => { const p = network.canvasToDOM(network.getPositions([id])[id]);
        const r = document.querySelector('#mynetwork canvas').getBoundingClientRect();
        return {x: p.x + r.left, y: p.y + r.top}; }""", node_id)
    page.mouse.move(pos["x"] + 40, pos["y"] + 40)
    page.mouse.move(pos["x"], pos["y"])
    page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5000)
    return page.inner_text("div.vis-tooltip")


PAYLOADS = {
    "title": "<img src=x onerror=alert(1)>",
    "excerpt": "<script>alert(2)</script>",
    "provider": "<svg onload=alert(3)>",
    "topic": "<b onmouseover=alert(4)>bold</b>",
}


def test_script_payloads_show_as_text(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "evil.md").write_text(f"""---
title: "{PAYLOADS['title']}"
excerpt: "{PAYLOADS['excerpt']}"
webUrl: "https://evil.example.com/a?x=<script>alert(5)</script>"
publishedDateTime: 2024-01-01T00:00:00Z
provider:
  name: "{PAYLOADS['provider']}"
  domain: evil.example.com
topics:
  - "{PAYLOADS['topic']}"
---
""", "utf-8")
    out = tmp_path / "out"
    kg.write_outputs(kg.build([src]), out)
    with open_offline(out / "graph.html") as opened:
        wait_ready(opened.page)
        article = hover(opened.page, PAYLOADS["title"])
        provider = hover(opened.page, PAYLOADS["provider"])
        topic = hover(opened.page, PAYLOADS["topic"])
        injected = opened.page.evaluate("document.querySelectorAll('#mynetwork img, body > svg, .vis-tooltip img, .vis-tooltip b b').length")
        assert opened.dialogs == []
        assert opened.requests == []
    assert PAYLOADS["title"] in article
    assert PAYLOADS["provider"] in article and PAYLOADS["topic"] in article
    assert PAYLOADS["provider"] in provider
    assert PAYLOADS["topic"] in topic
    assert injected == 0


def test_5000_articles_view_stays_within_budget(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 5000, seed=1)
    out = tmp_path / "out"
    build = kg.build([corpus])
    kg.write_outputs(build, out)
    total = sum(build.graph.counts()[k] for k in ("articles", "providers", "topics"))
    assert total > 5000
    with open_offline(out / "graph.html") as opened:
        settled = wait_ready(opened.page, seconds=10)
        count = opened.page.evaluate("network.body.data.nodes.length")
        note = opened.page.inner_text("#kg-budget")
        assert canvas_is_drawn(opened.page)
        opened.page.screenshot(path=str(tmp_path / "big.png"))
        assert opened.requests == []
    assert count <= 1500
    assert "left out" in note and "articles" in note
    assert settled < 10


def test_search_and_filters(seeds_out):
    with open_offline(seeds_out / "graph.html") as opened:
        page = opened.page
        wait_ready(page)
        visible = "network.body.data.nodes.get().filter(n => !n.hidden).length"
        page.select_option("#kg-topic", "AI in Security")
        # the topic, its one article, and that article's provider, related article and topics
        shown = page.evaluate("network.body.data.nodes.get().filter(n => !n.hidden).map(n => n.label)")
        assert "AI in Security" in shown and "IT Security" in shown
        assert "Forbes" not in shown
        page.select_option("#kg-topic", "")
        page.uncheck("input[data-kind=provider]")
        assert page.evaluate(visible) == 13 + 4
        page.check("input[data-kind=provider]")
        page.fill("#kg-search", "democratization")
        page.press("#kg-search", "Enter")
        selected = page.evaluate("network.getSelectedNodes().map(id => network.body.data.nodes.get(id).kgInfo.title)")
        assert selected == ["AI's Biggest Promise: The Democratization Of Precision Medicine"]
        assert page.inner_text("#kg-status") == "1 match(es)"

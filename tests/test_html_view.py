"""graph.html in a real headless Chromium, offline: drawn, safe, usable at scale."""

from __future__ import annotations

import time

import pytest
from browser import open_offline
from view_measure import measure, zoom_on_densest

import kg
from kg.bench_corpus import write_corpus
from kg.graph import EdgeKind, NodeKind
from kg.viz import write_html

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
        node_id = opened.page.evaluate(
            "(t) => network.body.data.nodes.get().find(n => n.kgInfo.title === t).id", PAYLOADS["title"])
        click_node(opened.page, node_id)
        panel = opened.page.inner_text("#kg-details")
        href = opened.page.get_attribute("#kg-link", "href")
        injected = opened.page.evaluate("document.querySelectorAll('#mynetwork img, body > svg, .vis-tooltip img, .vis-tooltip b b, #kg-details img, #kg-details svg, #kg-details script, #kg-details b').length")
        assert opened.dialogs == []
        assert opened.requests == []
    assert PAYLOADS["title"] in article
    assert PAYLOADS["provider"] in article and PAYLOADS["topic"] in article
    assert PAYLOADS["provider"] in provider
    assert PAYLOADS["topic"] in topic
    assert PAYLOADS["title"] in panel and PAYLOADS["provider"] in panel and PAYLOADS["topic"] in panel
    assert href.startswith("https://evil.example.com/a?x=") and "<" not in href
    assert injected == 0


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
        assert page.inner_text("#kg-details h2") == selected[0]
        page.fill("#kg-from", "2020-11-01")
        page.fill("#kg-to", "2020-11-30")
        page.dispatch_event("#kg-to", "change")
        dates = page.evaluate("""network.body.data.nodes.get().filter(n => n.kgKind === 'article' && !n.hidden)
                                 .map(n => n.kgInfo.date)""")
        assert dates and all("2020-11-01" <= d <= "2020-11-30" for d in dates)
        assert page.evaluate(visible) < 13 + 4 + 12


def test_the_side_panel_folds_to_its_title_and_back(seeds_out):
    with open_offline(seeds_out / "graph.html") as opened:
        page = opened.page
        wait_ready(page)
        box = "(() => { const r = document.getElementById('kg-panel').getBoundingClientRect(); return [r.width, r.height]; })()"
        width, height = page.evaluate(box)
        page.click("#kg-fold")
        folded = page.evaluate(box)
        assert folded[1] < 50 and folded[1] < height / 5, (folded, height)
        assert page.is_hidden("#kg-search") and page.is_visible("#kg-panel h1")
        assert page.get_attribute("#kg-fold", "aria-expanded") == "false"
        page.click("#kg-fold")
        assert page.evaluate(box) == [width, height]
        assert page.is_visible("#kg-search")
        assert opened.errors == []


def click_node(page, node_id: str) -> None:
    page.evaluate("(id) => network.focus(id, {scale: Math.max(network.getScale(), 1), animation: false})", node_id)
    page.wait_for_timeout(100)
    pos = page.evaluate("""(id) => { const p = network.canvasToDOM(network.getPositions([id])[id]);
        const r = document.querySelector('#mynetwork canvas').getBoundingClientRect();
        return {x: p.x + r.left, y: p.y + r.top}; }""", node_id)
    page.mouse.click(pos["x"], pos["y"])
    page.wait_for_selector("#kg-details:not([hidden])", timeout=5000)


def readable(figures: dict) -> bool:
    return (figures["label_overlap_share"] <= 0.05 and figures["labels"] >= 25
            and figures["shape_overlap_share"] <= 0.10)


def topics_with_articles(graph) -> set[str]:
    about = {e.target for e in graph.edges if e.kind is EdgeKind.ABOUT}
    return {n.label for n in graph.nodes if n.kind is NodeKind.TOPIC and n.iri in about}


@pytest.mark.corpus
def test_corpus_view_is_readable_at_first_and_zoomed_in(corpus_build, corpus_out, tmp_path):
    with open_offline(corpus_out / "graph.html") as opened:
        page = opened.page
        wait_ready(page)
        first = measure(page)
        page.screenshot(path=str(tmp_path / "overview.png"))
        spot = zoom_on_densest(page, 4)
        zoomed = measure(page)
        page.screenshot(path=str(tmp_path / "zoomed.png"))
        assert opened.requests == [] and opened.errors == []
    print("overview", first, "zoomed on", spot, zoomed)
    assert readable(first), first
    assert set(first["topics_labelled"]) >= topics_with_articles(corpus_build.graph)
    assert readable(zoomed), zoomed
    assert zoomed["labels"] > first["labels"]
    assert zoomed["scale"] == pytest.approx(4 * first["scale"])


@pytest.mark.corpus
def test_details_panel_of_an_article_and_a_topic(corpus_build, corpus_out):
    graph = corpus_build.graph
    with open_offline(corpus_out / "graph.html") as opened:
        page = opened.page
        wait_ready(page)
        drawn = set(page.evaluate("network.body.data.nodes.getIds()"))
        article = next(n for n in graph.nodes if n.kind is NodeKind.ARTICLE and n.iri in drawn
                       and len(n.label) > 40 and n.get("url"))
        click_node(page, article.iri)
        assert page.inner_text("#kg-details h2") == " ".join(article.label.split())
        assert page.get_attribute("#kg-link", "href") == article.get("url")
        dimmed = page.evaluate("""(id) => { const near = new Set([id, ...network.getConnectedNodes(id)]);
            return network.body.data.nodes.get().filter(n => !near.has(n.id) && n.color.background !== '#e8e8e8').length; }""", article.iri)
        assert dimmed == 0
        page.keyboard.press("Escape")
        assert page.is_hidden("#kg-details")

        topic = max((n for n in graph.nodes if n.kind is NodeKind.TOPIC),
                    key=lambda n: sum(1 for e in graph.edges if e.target == n.iri))
        about = [graph.by_iri[e.source] for e in graph.edges
                 if e.kind is EdgeKind.ABOUT and e.target == topic.iri]
        click_node(page, topic.iri)
        assert page.inner_text("#kg-details h2") == topic.label
        assert page.inner_text("#kg-details .kg-count") == f"{len(about)} articles"
        listed = page.eval_on_selector_all("#kg-details li .kg-date", "els => els.map(e => e.textContent)")
        assert listed == sorted(listed, reverse=True) and len(listed) == min(300, len(about))
        first_listed = page.inner_text("#kg-details li .kg-go")
        page.click("#kg-details li .kg-go")
        assert page.inner_text("#kg-details h2") == first_listed
        assert page.evaluate("network.getSelectedNodes().length") == 1

        page.keyboard.press("Escape")
        page.fill("#kg-search", "Power Apps portals")
        page.press("#kg-search", "Enter")
        assert "Power Apps portals" in page.inner_text("#kg-details h2")
        assert opened.requests == [] and opened.errors == []


@pytest.mark.corpus
def test_a_story_lists_its_other_reports_one_click_away(corpus_build, corpus_out):
    graph = corpus_build.graph
    widest = max(graph.nodes_of(NodeKind.STORY), key=lambda n: (n.get("outlets"), n.iri))
    members = {e.source for e in graph.edges if e.kind is EdgeKind.STORY and e.target == widest.iri}
    with open_offline(corpus_out / "graph.html") as opened:
        page = opened.page
        wait_ready(page)
        assert page.inner_text("#kg-stories li .kg-go") == " ".join(widest.get("label").split())
        page.click("#kg-stories li .kg-go")  # opens the story's earliest article
        opened_title = page.inner_text("#kg-details h2")
        assert opened_title == " ".join(widest.get("label").split())
        heading = page.inner_text("#kg-story h3")
        assert heading == f"Also reported by {widest.get('outlets') - 1} other outlets"
        others = page.eval_on_selector_all("#kg-story li .kg-go", "els => els.map(e => e.textContent)")
        assert len(others) == len(members) - 1
        assert set(others) <= {" ".join(graph.by_iri[m].label.split()) for m in members}
        page.click("#kg-story li .kg-go")
        assert page.inner_text("#kg-details h2") == others[0]
        assert page.is_visible("#kg-story")  # the other report's panel shows the story too
        assert opened.requests == [] and opened.errors == []


@pytest.mark.corpus
def test_aggregated_articles_are_listed_and_expand(corpus_build, corpus_out):
    with open_offline(corpus_out / "graph.html") as opened:
        page = opened.page
        wait_ready(page)
        note = page.inner_text("#kg-budget")
        cluster = page.evaluate("network.body.data.nodes.get().filter(n => n.kgKind === 'cluster')[0].id")
        before = page.evaluate("network.body.data.nodes.length")
        click_node(page, cluster)
        heading = page.inner_text("#kg-details h2")
        page.click("#kg-expand")
        after = page.evaluate("network.body.data.nodes.length")
    aggregated = int(heading.split()[0].replace(",", ""))
    assert "aggregated" in note and "cluster" in note
    assert after - before in (min(200, aggregated), min(200, aggregated) - 1)


@pytest.mark.slow
def test_20000_articles_view_is_ready_fast_and_readable(tmp_path):
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 20000, seed=1)
    build = kg.build([corpus])
    html = write_html(build.graph, tmp_path / "graph.html")
    with open_offline(html) as opened:
        page = opened.page
        wait_ready(page, seconds=20)
        ready_ms = page.evaluate("window.kgReadyMs")
        count = page.evaluate("network.body.data.nodes.length")
        figures = measure(page)
        note = page.inner_text("#kg-budget")
        assert opened.requests == [] and opened.errors == []
    print("20,000 articles: ready after", ready_ms, "ms;", figures)
    assert ready_ms < 10_000
    assert count <= 1500
    assert readable(figures), figures
    assert set(figures["topics_labelled"]) >= topics_with_articles(build.graph)
    assert "aggregated" in note

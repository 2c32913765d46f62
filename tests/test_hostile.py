"""Bad input: every hostile file is survived and named, every good article kept (SPEC §8)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kg
from kg import rdf
from kg.bench_corpus import write_corpus
from kg.validate import validate

HOSTILE = Path(__file__).parent / "data" / "hostile"
KG = shutil.which("kg")
HEADLINE = ox.NamedNode("https://schema.org/headline")
ARTICLE = ox.NamedNode("https://schema.org/NewsArticle")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def good_titles() -> set[str]:
    titles = set()
    for path in HOSTILE.glob("good-*"):
        match = re.search(r'^\ufeff?title: "(.*)"', path.read_text("utf-8"), re.MULTILINE)
        titles.add(match.group(1) if match else path.read_text("utf-8").splitlines()[0])
    return titles


def headlines(ttl: Path) -> set[str]:
    return {t.object.value for t in ox.parse(path=str(ttl), format=ox.RdfFormat.TURTLE)
            if t.predicate == HEADLINE}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """`kg build` as a user runs it, on the hostile files plus two huge ones, in a scratch cwd."""
    root = tmp_path_factory.mktemp("hostile")
    articles = root / "articles"
    shutil.copytree(HOSTILE, articles)
    big = "x" * (3 * 1024 * 1024)
    (articles / "bad-31-huge-field.md").write_text(
        f'---\ntitle: "Huge field"\nexcerpt: "{big}"\nwebUrl: "https://example-news.com/huge"\n'
        f"topics: [{', '.join(['AI'] * 5000)}]\n---\n", "utf-8")
    (articles / "bad-32-over-cap.md").write_text("---\ntitle: over\n---\n" + big * 4, "utf-8")
    started = time.monotonic()
    run = subprocess.run([KG, "build", str(articles), "-o", str(root / "out")], cwd=root,
                         capture_output=True, text=True, timeout=120)
    return root, run, time.monotonic() - started


def test_build_survives_and_keeps_good_articles(hostile_run):
    root, run, seconds = hostile_run
    assert run.returncode == 0, run.stderr
    assert seconds < 30
    assert len(list(HOSTILE.iterdir())) >= 25
    assert good_titles() <= headlines(root / "out" / "graph.ttl")
    assert len(good_titles()) == 7
    assert "Warnings by kind:" in run.stdout and "invalid-yaml" in run.stdout


def test_every_bad_file_is_named_with_what_was_done(hostile_run):
    root, _, _ = hostile_run
    warnings = json.loads((root / "out" / "warnings.json").read_text("utf-8"))
    named = {w["source"] for w in warnings}
    bad = {p.name for p in (root / "articles").glob("bad-*")}
    assert bad - named == set()
    assert not {p.name for p in HOSTILE.glob("good-*")} & named
    assert all(w["message"] and w["action"] and w["kind"] for w in warnings)
    by_file = {w["source"]: w for w in warnings}
    assert by_file["bad-01-invalid-yaml.md"]["line"] == 4
    assert by_file["bad-32-over-cap.md"]["action"] == "skipped the file"
    assert any(w["field"] == "topics" or "topics" in (w["field"] or "") for w in warnings
               if w["source"] == "bad-31-huge-field.md")


def test_output_is_strictly_valid_and_safe(hostile_run):
    root, _, _ = hostile_run
    result = validate(root / "out" / "graph.ttl")
    assert result.conforms, result.report
    page = (root / "out" / "graph.html").read_text("utf-8")
    assert "<script>alert" not in page and "onerror=alert" not in page


def test_python_tags_construct_nothing(hostile_run):
    root, _, _ = hostile_run
    created = [p for p in root.rglob("PWNED*")] + list(Path.cwd().glob("PWNED*"))
    assert created == []
    assert "Huge field" in headlines(root / "out" / "graph.ttl")


def test_strict_exits_1_and_still_writes(tmp_path):
    run = subprocess.run([KG, "build", str(HOSTILE), "-o", str(tmp_path), "--strict", "-q"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert good_titles() <= headlines(tmp_path / "graph.ttl")


# --- arbitrary unicode everywhere --------------------------------------------------------

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
URLISH = st.one_of(TEXT, TEXT.map(lambda s: "https://" + s), TEXT.map(lambda s: "http://x.org/" + s))
RELATED = st.fixed_dictionaries({"title": TEXT, "webUrl": URLISH,
                                 "provider": st.fixed_dictionaries({"name": TEXT,
                                                                    "domain": TEXT})})
ARTICLE_DATA = st.fixed_dictionaries({
    "title": TEXT, "excerpt": TEXT, "publishedDateTime": TEXT,
    "provider": st.fixed_dictionaries({"name": TEXT, "domain": URLISH}),
    "topics": st.lists(TEXT, max_size=3),
    "images": st.lists(st.fixed_dictionaries({"url": URLISH}), max_size=2),
    "related": st.lists(RELATED, max_size=3),
})


def view_catalogue(page: str) -> list[dict]:
    """Every node the page's panels can show, as the page reads it: JSON in a data script."""
    data = page.split('<script id="kg-data" type="application/json">', 1)[1]
    return json.loads(data.split("</script>", 1)[0])["catalogue"]


# CI runs a fixed set of examples (a red CI must be reproducible); elsewhere they vary.
@settings(max_examples=60, deadline=None, derandomize=os.environ.get("CI") == "true", suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.lists(ARTICLE_DATA, min_size=1, max_size=4), st.lists(URLISH, min_size=4, max_size=4))
def test_arbitrary_unicode_round_trips(tmp_path_factory, docs, urls):
    folder = tmp_path_factory.mktemp("unicode")
    for i, (doc, url) in enumerate(zip(docs, urls, strict=False)):
        doc = {**doc, "webUrl": f"https://site{i}.example/{url}"}
        (folder / f"{i}.md").write_text("---\n" + yaml.safe_dump(doc, allow_unicode=True)
                                        + "---\n", "utf-8")
    result = kg.build([folder])
    out = folder / "out"
    kg.write_outputs(result, out)
    triples = list(ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE))
    articles = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == ARTICLE}
    assert len(articles) == result.graph.counts()["articles"] >= len(docs)
    titles = {n.iri: n.label for n in result.graph.nodes if n.kind is kg.NodeKind.ARTICLE}
    shown = {n["id"]: n["l"] for n in view_catalogue((out / "graph.html").read_text())
             if n["k"] == "article"}
    assert shown == titles


# --- interrupted writes ------------------------------------------------------------------

def test_failure_while_writing_keeps_previous_turtle(tmp_path, seeds_build, monkeypatch):
    kg.write_outputs(seeds_build, tmp_path)
    before = (tmp_path / "graph.ttl").read_bytes()

    def half_then_fail(data, output=None, *args, **kwargs):
        if output is not None:
            Path(output).write_bytes(before[: len(before) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(rdf.ox, "serialize", half_then_fail)
    with pytest.raises(OSError):
        kg.write_outputs(seeds_build, tmp_path)
    assert (tmp_path / "graph.ttl").read_bytes() == before
    assert not list(tmp_path.glob(".*.tmp"))


def test_killed_build_leaves_complete_outputs(tmp_path):
    write_corpus(tmp_path / "articles", 3000, seed=7)
    out = tmp_path / "out"
    first = subprocess.run([KG, "build", str(tmp_path / "articles"), "-o", str(out), "-q"],
                           capture_output=True, timeout=300)
    assert first.returncode == 0
    complete = len(list(ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE)))
    for delay, cache in ((0.5, "--no-cache"), (1.5, "--no-cache"), (2.5, "-q"), (3.5, "-q")):
        process = subprocess.Popen([KG, "build", str(tmp_path / "articles"), "-o", str(out),
                                    "-q", cache],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        triples = list(ox.parse(path=str(out / "graph.ttl"), format=ox.RdfFormat.TURTLE))
        assert len(triples) == complete
        json.loads((out / "warnings.json").read_text("utf-8"))


def test_killed_build_leaves_no_worker_processes(tmp_path):
    write_corpus(tmp_path / "articles", 3000, seed=8)
    out = tmp_path / "out"
    process = subprocess.Popen([KG, "build", str(tmp_path / "articles"), "-o", str(out), "-q",
                                "--workers", "2"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    # `kg build`, the child that builds the graph, and the two workers parsing for it
    while len(survivors(str(out), wait=0)) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(survivors(str(out), wait=0)) == 4
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not survivors(str(out), wait=5), "worker processes outlived the killed build"


def survivors(marker: str, wait: float) -> list[int]:
    """Processes whose command line names `marker`, after waiting up to `wait` seconds."""
    deadline = time.monotonic() + wait
    while True:
        found = []
        for proc in Path("/proc").iterdir():
            try:
                if proc.name.isdigit() and marker in (proc / "cmdline").read_text():
                    found.append(int(proc.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)

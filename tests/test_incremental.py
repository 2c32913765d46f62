"""Every way of building (clean, kept, patched, rebuilt in full) gives a clean build's bytes;
the previous build's state is never trusted for more than it can vouch for."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import subprocess
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg import incremental, model, store
from kg.bench_corpus import write_corpus
from kg.incremental import reads, state
from kg.options import STATE_DIR, STORE_DIR
from kg.pipeline import build_and_write
from kg.sources import discover

KG = shutil.which("kg")
OUTPUTS = ("graph.ttl", "graph.nt", "graph.nq", "warnings.json")
FILES = 600  # above the size at which kg starts worker processes by itself


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("incremental") / "articles"
    write_corpus(folder, FILES, seed=3)
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    for name, title, day in STORY_FILES:
        (folder / f"{name}.md").write_text(story_file(name, title, day), "utf-8")
    return folder


# Two stories: three outlets' copies of one headline, and two outlets' of another.
STORY_FILES = [("story-a", "Quantum chip maker Qubitron raises 90 million in Series C", 2),
               ("story-b", "Quantum chip maker Qubitron raises 90 million in Series C", 3),
               ("story-c", "Qubitron, a quantum chip maker, raises 90 million in Series C", 3),
               ("story-d", "Harbour city bans facial recognition in its schools", 9),
               ("story-e", "Harbour city bans facial recognition in its schools", 10)]


def story_file(name: str, title: str, day: int) -> str:
    return (f"---\ntitle: {title}\nexcerpt: What {name} says of it.\n"
            f"publishedDateTime: 2021-03-{day:02d}T10:00:00Z\n"
            f"webUrl: https://{name}.example.net/news/{name}\n"
            f"provider:\n  name: {name}\n  domain: {name}.example.net\n---\n")


def story_path(work: Path, name: str) -> Path:
    return work / f"{name}.md"


def joined(work: Path) -> None:
    replace_line(first_file(work), "title:", f"title: {STORY_FILES[0][1]}\n")
    replace_line(first_file(work), "publishedDateTime:",
                 "publishedDateTime: 2021-03-04 09:00:00+00:00\n")


def kg_build(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([KG, "build", *args, "-q"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert store_lines(a) == store_lines(b)


def store_lines(out: Path) -> list[bytes]:
    """Every quad of the embedded store, default graph and named graphs, as sorted lines."""
    held = ox.Store.read_only(str(out / STORE_DIR))
    lines = sorted(held.dump(format=ox.RdfFormat.N_QUADS).splitlines())
    assert len(lines) > 1000
    return lines


def output_stats(out: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, size, mtime) of every output file and of every file of the store."""
    paths = [out / name for name in (*OUTPUTS, "graph.html")] + sorted((out / STORE_DIR).iterdir())
    return {str(p): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in paths}


def first_file(folder: Path) -> Path:
    return sorted(folder.rglob("0000000-*.md"))[0]


def with_related(folder: Path) -> Path:
    return next(path for path in sorted(folder.rglob("*.md"))
                if "\nrelated:\n" in path.read_text("utf-8"))


def replace_line(path: Path, start: str, new: str) -> None:
    lines = path.read_text("utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[at] = new
    path.write_text("".join(lines), "utf-8")


def added(work: Path) -> None:
    shutil.copy(first_file(work), work / "added.md")
    replace_line(work / "added.md", "webUrl:", "webUrl: https://added.example.com/a\n")


# way -> (edit of the inputs after a first build, the plan, how the lines are made)
WAYS = {
    "clean": (None, incremental.Full, "full"),
    "nothing changed": (lambda w: None, incremental.Kept, None),
    "headline": (lambda w: replace_line(first_file(w), "title:", "title: Patched headline\n"),
                 incremental.Patch, "patched"),
    "new topic": (lambda w: replace_line(first_file(w), "topics:",
                                         "topics:\n- A Topic Nobody Had\n"),
                  incremental.Patch, "patched"),
    "provider name": (lambda w: replace_line(first_file(w), "  name:", "  name: Renamed Co\n"),
                      incremental.Patch, "patched"),
    "related dropped": (lambda w: replace_line(with_related(w), "related:", "unrelated:\n"),
                        incremental.Patch, "patched"),
    "body": (lambda w: first_file(w).write_text(first_file(w).read_text("utf-8") + "More.\n",
                                                "utf-8"), incremental.Patch, "patched"),
    # The file no longer names any topic, so it leaves the topic scheme's sources.
    "topics dropped": (lambda w: replace_line(first_file(w), "topics:", "subjects:\n"),
                       incremental.Patch, "patched"),
    # Other files' related links resolve through an article's URL: no patch is safe.
    # Stories: an article joins one, leaves one, or its leaving ends one.
    "story joined": (joined, incremental.Patch, "patched"),
    "story left": (lambda w: replace_line(story_path(w, "story-b"), "title:",
                                          "title: Something else entirely\n"),
                   incremental.Patch, "patched"),
    "story gone": (lambda w: replace_line(story_path(w, "story-e"), "title:",
                                          "title: Something else entirely\n"),
                   incremental.Patch, "patched"),
    "url": (lambda w: replace_line(first_file(w), "webUrl:",
                                   "webUrl: https://elsewhere.example.com/moved\n"),
            incremental.Patch, "full"),
    "deleted": (lambda w: first_file(w).unlink(), incremental.Patch, "full"),
    "added": (added, incremental.Patch, "full"),
}


# The store with named graphs (--provenance) on one way of each kind.
CASES = [*((way, False) for way in WAYS), *((way, True) for way in ("clean", "headline",
                                                                    "deleted"))]


@pytest.mark.slow
@pytest.mark.parametrize(("way", "provenance"), CASES,
                         ids=[f"{way}{', provenance' * p}" for way, p in CASES])
def test_every_way_of_building_gives_a_clean_builds_bytes(corpus, tmp_path, way, provenance):
    """The equivalence specification: whatever the plan, every output (graph.ttl, graph.nt,
    graph.nq, warnings.json, every quad of the store) is what a build without any state
    makes of the same inputs."""
    edit, kind, lines = WAYS[way]
    work, out, clean = tmp_path / "articles", tmp_path / "out", tmp_path / "clean"
    shutil.copytree(corpus, work)
    options = kg.BuildOptions(cache_dir=out / STATE_DIR, provenance=provenance)
    if edit is not None:
        time.sleep(state.RACY_NS / 1e9 + 0.1)  # only stats two seconds old vouch for content
        build_and_write([work], options, out)
        edit(work)
    plan = incremental.plan(options, discover([work]), out)
    assert type(plan) is kind
    before, loaded = (output_stats(out), (out / STORE_DIR).stat().st_ino) if edit else ({}, 0)

    report = build_and_write([work], options, out)

    assert isinstance(state.unseal(out / STATE_DIR / incremental.MANIFEST_FILE),
                      incremental.Manifest)
    if lines is None:
        assert report.kept and output_stats(out) == before, "an output was rewritten"
    else:
        assert not report.kept and report.patched == (lines == "patched")
        # A patch updates the store in place; lines written in full load a new one.
        assert ((out / STORE_DIR).stat().st_ino == loaded) == (lines == "patched")
    build_and_write([work], kg.BuildOptions(provenance=provenance), clean)
    same_outputs(out, clean)


def payload(marker: Path) -> bytes:
    """A pickle whose loading creates `marker`."""

    class Planted:
        def __reduce__(self):
            return os.system, (f"touch {marker}",)

    return pickle.dumps(Planted())


def test_nothing_planted_in_the_output_folder_runs(corpus, tmp_path):
    work, out, clean = tmp_path / "articles", tmp_path / "out", tmp_path / "clean"
    shutil.copytree(corpus, work)
    kg_build(str(work), "-o", str(out))
    probe, marker = tmp_path / "probe", tmp_path / "ran"
    pickle.loads(payload(probe))
    assert probe.exists(), "the planted pickle would run code if loaded"
    planted = [path for path in out.rglob("*") if path.is_file()
               and path.name not in (*OUTPUTS, "graph.html") and STORE_DIR not in path.parts]
    assert {path.name for path in planted} == {incremental.MANIFEST_FILE, reads.READS_FILE}
    for n, data in enumerate([payload(marker),  # as pickles, and behind kg's header
                              state.MAGIC + bytes(32) + payload(marker), os.urandom(4096)]):
        for path in planted:
            path.write_bytes(data)
        replace_line(first_file(work), "title:", f"title: Edited {n}\n")
        done = kg_build(str(work), "-o", str(out))
        assert not marker.exists(), "kg ran code planted in the output folder"
        assert "note:" in done.stderr and "not written by kg" in done.stderr
        kg_build(str(work), "-o", str(clean), "--no-cache")
        assert (out / "graph.nt").read_bytes() == (clean / "graph.nt").read_bytes()


def test_a_state_file_sealed_with_another_key_is_refused(tmp_path, monkeypatch):
    target = tmp_path / "state"
    state.seal(target, {"fine": 1})
    assert state.unseal(target) == {"fine": 1}
    monkeypatch.setenv(state.KEY_ENV, str(tmp_path / "other-user"))
    state._key.cache_clear()
    try:
        with pytest.raises(state.Unsealed):
            state.unseal(target)
    finally:
        monkeypatch.undo()
        state._key.cache_clear()


def test_a_kept_build_needs_its_outputs_and_inputs_as_recorded(corpus, tmp_path):
    work, out = tmp_path / "articles", tmp_path / "out"
    shutil.copytree(corpus, work)
    time.sleep(state.RACY_NS / 1e9 + 0.1)  # only stats two seconds old vouch for the content
    first = kg_build(str(work), "-o", str(out)).stdout
    written, turtle = output_stats(out), (out / "graph.ttl").read_bytes()
    subprocess.run([KG, "query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "-o", str(out)],
                   check=True, capture_output=True, timeout=60)
    again = kg_build(str(work), "-o", str(out)).stdout
    assert "whose outputs are kept" in again
    assert again.split(":", 1)[1] == first.split(":", 1)[1]  # the same counts and warnings
    assert output_stats(out) == written, "an output was rewritten"

    with open(out / "graph.ttl", "ab") as handle:  # an output changed by hand is rebuilt
        handle.write(b"# edited by hand\n")
    assert "kept" not in kg_build(str(work), "-o", str(out)).stdout
    assert (out / "graph.ttl").read_bytes() == turtle

    edited = first_file(work)
    edited.write_text(edited.read_text("utf-8").replace("title: ", "title: Edited ", 1), "utf-8")
    assert "kept" not in kg_build(str(work), "-o", str(out)).stdout
    assert "Edited " in (out / "graph.ttl").read_text("utf-8")
    # The edit is under two seconds old: its stat cannot vouch for it yet, so nothing is kept.
    assert "kept" not in kg_build(str(work), "-o", str(out)).stdout


def test_a_file_is_hashed_again_only_when_its_stat_changed(corpus, tmp_path, monkeypatch):
    """Unchanged files are known by stat; a same-size rewrite with its mtime put back is not."""
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    options = kg.BuildOptions(cache_dir=tmp_path / "cache")
    hashed: list[str] = []
    hash_file = reads._digest
    monkeypatch.setattr(reads, "_digest",
                        lambda item, read: hashed.append(item.relpath) or hash_file(item, read))
    edited = first_file(work)
    time.sleep(state.RACY_NS / 1e9 + 0.1)  # only a stat two seconds old is trusted
    kg.build([work], options)
    edited.write_text(edited.read_text("utf-8") + "\nAn added line.\n", "utf-8")
    time.sleep(state.RACY_NS / 1e9 + 0.1)
    assert kg.build([work], options).files_cached == FILES + len(STORY_FILES)
    assert hashed == [edited.relative_to(work).as_posix()]

    hashed.clear()
    before = edited.stat()
    text = edited.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))[7:]
    edited.write_text(text.replace(title, title.upper()), "utf-8")
    os.utime(edited, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert edited.stat().st_size == before.st_size and title != title.upper()
    rebuilt = kg.build([work], options)
    assert hashed == [edited.relative_to(work).as_posix()]
    headlines = {n.get("headline") for n in rebuilt.graph.nodes_of(kg.NodeKind.ARTICLE)}
    assert title.upper() in headlines and title not in headlines


def test_a_damaged_or_foreign_read_cache_is_ignored(corpus, tmp_path):
    folder = tmp_path / "cache"
    options = kg.BuildOptions(cache_dir=folder)
    reference = kg.build([corpus], options)
    assert reference.files_cached == 0
    assert kg.build([corpus], options).files_cached == FILES + len(STORY_FILES) + 1

    (folder / reads.READS_FILE).write_bytes(b"\x80\x05 not a pickle")
    damaged = kg.build([corpus], options)
    assert damaged.files_cached == 0
    assert damaged.summary() == {**reference.summary(), "files_cached": 0}

    other_limits = kg.BuildOptions(cache_dir=folder, read=kg.BuildOptions().read.__class__(
        max_file_bytes=1_000_000))
    assert kg.build([corpus], other_limits).files_cached == 0  # other read options: other key
    assert reads.load(folder, "another kg version")[0].entries == {}


def test_lines_that_are_not_the_recorded_ones_are_written_in_full(corpus, tmp_path):
    work, out, clean = tmp_path / "articles", tmp_path / "out", tmp_path / "clean"
    shutil.copytree(corpus, work)
    kg_build(str(work), "-o", str(out))
    replace_line(first_file(work), "title:", "title: Edited again\n")
    nt = out / "graph.nt"
    nt.write_bytes(nt.read_bytes()[:-100])  # as a build cut short, or a hand edit, might leave
    options = kg.BuildOptions(cache_dir=out / STATE_DIR)
    assert type(incremental.plan(options, discover([work]), out)) is incremental.Full
    kg_build(str(work), "-o", str(out))
    kg_build(str(work), "-o", str(clean), "--no-cache")
    same_outputs(out, clean)


def test_workers_give_the_same_bytes_as_one_process(corpus, tmp_path):
    one = kg.build([corpus], kg.BuildOptions(workers=1))
    two = kg.build([corpus], kg.BuildOptions(workers=2))
    assert one.summary() == two.summary()
    kg.write_outputs(one, tmp_path / "one")
    kg.write_outputs(two, tmp_path / "two")
    same_outputs(tmp_path / "one", tmp_path / "two")


def test_every_record_comes_back_whole_from_a_pickle():
    """Records cross between processes and into the read cache as class + field values."""
    image = model.ImageRecord("https://x.test/i.png", 640, 480, "caption")
    related = model.ArticleRecord("a.md", title="Related", web_url="https://x.test/r",
                                  is_related_entry=True)
    article = model.ArticleRecord(
        "a.md", "Title", "Excerpt", dt.datetime(2024, 5, 1, 9, 30, tzinfo=dt.UTC),
        "https://o.test/a", "https://x.test/a", "https://x.test/amp", "https://cdn.test/a",
        "story", "tech", 7, 42, True, model.ProviderRecord("X", "x.test", (image,)),
        ("AI", "Chips"), (image,), (related,), "Body text", "a", False)
    others = [model.TopicRecord("t.yaml", "ai", "AI", "A.I.", "tech", "About AI", ("ml",), ("#ai",)),
              model.OrganizationRecord("o.yaml", "x", "X", "x.test", "A site", ("Ex",), (image,)),
              model.Problem("a.md", "bad date", "bad-date", 3, "publishedAt", "kept the file",
                            model.Severity.NOTICE)]
    for record in [article, *others]:
        back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == record and type(back) is type(record)


@pytest.mark.parametrize("provenance", [False, True], ids=["lean", "provenance"])
def test_the_store_holds_every_line_it_is_made_from(corpus, tmp_path, monkeypatch, provenance):
    out = tmp_path / "out"
    kg_build(str(corpus), "-o", str(out), "--no-cache", *(["--provenance"] * provenance))
    triples = set((out / "graph.nt").read_bytes().splitlines())
    quads = set((out / "graph.nq").read_bytes().splitlines())
    whole = store_lines(out)  # this corpus is small enough to load each file whole
    assert whole == sorted(triples | quads if provenance else triples)

    # Loaded in pieces cut at line breaks, as large graphs are: nothing lost, split or doubled.
    monkeypatch.setattr(store, "WHOLE_MAX_BYTES", 40_000)
    monkeypatch.setattr(store, "PIECE_BYTES", 40_000)
    assert len(store._pieces(out / "graph.nq", cut=True)) > 10
    store.fill_store(out, provenance)
    assert store_lines(out) == whole
    assert not list(out.glob(".load-*")), "pieces were left behind"


def test_the_corpus_has_the_stories_the_story_ways_edit(corpus):
    stories = kg.build([corpus]).graph.nodes_of(kg.NodeKind.STORY)
    assert sorted(s.get("size") for s in stories) == [2, 3]

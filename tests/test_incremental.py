"""Incremental rebuilds (the read cache) and parallel parsing give exactly a clean build's output."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import pickle
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg import (
    cache,
    lines_update,
    model,
    pipeline,
    rdf,
    reading,
    store,
    store_update,
    turtle_update,
)
from kg.bench_corpus import write_corpus

KG = shutil.which("kg")
OUTPUTS = ("graph.ttl", "graph.nt", "graph.nq", "warnings.json")
FILES = 600  # above the size at which kg starts worker processes by itself


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("incremental") / "articles"
    write_corpus(folder, FILES, seed=3)
    (folder / "broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    return folder


def kg_build(*args: str) -> str:
    done = subprocess.run([KG, "build", *args, "-q"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def same_outputs(a: Path, b: Path) -> None:
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert store_lines(a) == store_lines(b)


def store_lines(out: Path) -> list[bytes]:
    """Every quad of the embedded store, default graph and named graphs, as sorted lines."""
    store = ox.Store.read_only(str(out / "store"))
    lines = sorted(store.dump(format=ox.RdfFormat.N_QUADS).splitlines())
    assert len(lines) > 1000
    return lines


def first_file(folder: Path) -> Path:
    return sorted(folder.rglob("0000000-*.md"))[0]


def test_rebuild_after_an_edit_parses_one_file_and_equals_a_clean_build(corpus, tmp_path):
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    out, clean = tmp_path / "out", tmp_path / "clean"
    first = kg_build(str(work), "-o", str(out))
    assert "from the cache" not in first
    assert (out / cache.CACHE_DIR / cache.CACHE_FILE).is_file()

    edited = first_file(work)
    text = edited.read_text("utf-8")
    old_title = next(line for line in text.splitlines() if line.startswith("title:"))[7:]
    edited.write_text(text.replace(old_title, "A freshly edited headline"), "utf-8")
    loaded = (out / "store").stat().st_ino
    again = kg_build(str(work), "-o", str(out))
    assert f"({FILES} unchanged, from the cache)" in again  # all but the edited file
    assert (out / "store").stat().st_ino == loaded, "the store was reloaded, not updated"

    kg_build(str(work), "-o", str(clean), "--no-cache")
    assert not (clean / cache.CACHE_DIR).exists()
    same_outputs(out, clean)
    turtle = (out / "graph.ttl").read_text("utf-8")
    assert "A freshly edited headline" in turtle and old_title not in turtle
    assert "broken.md" in (out / "warnings.json").read_text("utf-8")


def test_a_file_is_hashed_again_only_when_its_stat_changed(corpus, tmp_path, monkeypatch):
    """Unchanged files are known by stat; a same-size rewrite with its mtime put back is not."""
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    options = kg.BuildOptions(cache_dir=tmp_path / "cache")
    hashed: list[str] = []
    hash_file = reading._digest
    monkeypatch.setattr(reading, "_digest",
                        lambda item, read: hashed.append(item.relpath) or hash_file(item, read))
    edited = first_file(work)
    time.sleep(cache.RACY_NS / 1e9 + 0.1)  # only a stat two seconds old is trusted
    kg.build([work], options)
    edited.write_text(edited.read_text("utf-8") + "\nAn added line.\n", "utf-8")
    time.sleep(cache.RACY_NS / 1e9 + 0.1)
    assert kg.build([work], options).files_cached == FILES
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


def test_few_changes_are_written_beside_the_cache_not_into_it(corpus, tmp_path):
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    folder = tmp_path / "cache"
    options = kg.BuildOptions(cache_dir=folder)
    time.sleep(cache.RACY_NS / 1e9 + 0.1)  # stats trusted from the start: no entry changes
    kg.build([work], options)
    base = (folder / cache.CACHE_FILE).read_bytes()
    edited, gone = sorted(work.rglob("*.md"))[:2]
    edited.write_text(edited.read_text("utf-8") + "\nAn added line.\n", "utf-8")
    gone.unlink()
    assert kg.build([work], options).files_cached == FILES - 1
    assert (folder / cache.CACHE_FILE).read_bytes() == base
    assert (folder / cache.CHANGES_FILE).is_file()
    held = cache.load(folder, pickle.loads(base).fingerprint)
    assert len(held.entries) == FILES and not any(gone.name in key for key in held.entries)
    assert kg.build([work], options).files_cached == FILES

    for path in sorted(work.rglob("*.md"))[:FILES // 10]:  # too many for the side file
        path.write_text(path.read_text("utf-8") + "\nAn added line.\n", "utf-8")
    assert kg.build([work], options).files_cached == FILES - FILES // 10
    assert not (folder / cache.CHANGES_FILE).exists()
    assert (folder / cache.CACHE_FILE).read_bytes() != base
    assert kg.build([work], options).files_cached == FILES


def output_stats(out: Path) -> dict[str, tuple[int, int, int]]:
    """(inode, size, mtime) of every output file and of every file of the store."""
    paths = [out / name for name in (*OUTPUTS, "graph.html")] + sorted((out / "store").iterdir())
    return {str(p): (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns) for p in paths}


def test_a_build_with_nothing_changed_keeps_the_outputs(corpus, tmp_path):
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    out = tmp_path / "out"
    time.sleep(cache.RACY_NS / 1e9 + 0.1)  # only stats two seconds old vouch for the content
    first = kg_build(str(work), "-o", str(out))
    written, turtle = output_stats(out), (out / "graph.ttl").read_bytes()
    subprocess.run([KG, "query", "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "-o", str(out)],
                   check=True, capture_output=True, timeout=60)
    again = kg_build(str(work), "-o", str(out))
    assert "whose outputs are kept" in again
    assert again.split(":", 1)[1] == first.split(":", 1)[1]  # the same counts and warnings
    assert output_stats(out) == written, "an output was rewritten"

    with open(out / "graph.ttl", "ab") as handle:  # an output changed by hand is rebuilt
        handle.write(b"# edited by hand\n")
    assert "kept" not in kg_build(str(work), "-o", str(out))
    assert (out / "graph.ttl").read_bytes() == turtle

    edited = first_file(work)
    edited.write_text(edited.read_text("utf-8").replace("title: ", "title: Edited ", 1), "utf-8")
    assert "kept" not in kg_build(str(work), "-o", str(out))
    assert "Edited " in (out / "graph.ttl").read_text("utf-8")
    # The edit is under two seconds old: its stat cannot vouch for it yet, so nothing is kept.
    assert "kept" not in kg_build(str(work), "-o", str(out))


def test_deleted_file_drops_its_facts(corpus, tmp_path):
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    out, clean = tmp_path / "out", tmp_path / "clean"
    kg_build(str(work), "-o", str(out))
    gone = first_file(work)
    title = next(line for line in gone.read_text("utf-8").splitlines()
                 if line.startswith("title:"))[7:]
    assert title in (out / "graph.ttl").read_text("utf-8")
    gone.unlink()
    kg_build(str(work), "-o", str(out))
    kg_build(str(work), "-o", str(clean), "--no-cache")
    same_outputs(out, clean)
    assert title not in (out / "graph.ttl").read_text("utf-8")
    assert gone.name not in (out / "graph.nq").read_text("utf-8")


def with_related(folder: Path) -> Path:
    return next(path for path in sorted(folder.rglob("*.md"))
                if "\nrelated:\n" in path.read_text("utf-8"))


def replace_line(path: Path, start: str, new: str) -> None:
    lines = path.read_text("utf-8").splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[at] = new
    path.write_text("".join(lines), "utf-8")


EDITS = {  # name -> (edit of the work folder, whether the lines can be patched)
    "headline": (lambda w: replace_line(first_file(w), "title:", "title: Patched headline\n"),
                 True),
    "new topic": (lambda w: replace_line(first_file(w), "topics:",
                                         "topics:\n- A Topic Nobody Had\n"), True),
    "provider name": (lambda w: replace_line(first_file(w), "  name:", "  name: Renamed Co\n"),
                      True),
    "related dropped": (lambda w: replace_line(with_related(w), "related:", "unrelated:\n"),
                        True),
    "body": (lambda w: first_file(w).write_text(first_file(w).read_text("utf-8") + "More.\n",
                                                "utf-8"), True),
    # The file no longer names any topic, so it leaves the topic scheme's sources.
    "topics dropped": (lambda w: replace_line(first_file(w), "topics:", "subjects:\n"), True),
    "url": (lambda w: replace_line(first_file(w), "webUrl:",
                                   "webUrl: https://elsewhere.example.com/moved\n"), False),
    "deleted": (lambda w: first_file(w).unlink(), False),
}


@pytest.mark.slow
def test_rebuilds_patch_the_lines_and_turtle_only_where_safe_and_equal_clean_builds(
        corpus, tmp_path, monkeypatch):
    """Each edit, built on the last: the lines and Turtle are patched when the changed file
    keeps its identities, written in full otherwise, and every output is a clean build's."""
    work, out = tmp_path / "articles", tmp_path / "out"
    shutil.copytree(corpus, work)
    taken = tmp_path / "taken.txt"  # the build's child writes here (it is a forked process)

    def spy(module, name, label):
        real = getattr(module, name)

        def call(*args, **kwargs):
            done = real(*args, **kwargs)
            with open(taken, "a", encoding="utf-8") as log:
                log.write(f"{label} {'patched' if done is not None else 'refused'}\n")
            return done
        monkeypatch.setattr(module, name, call)

    spy(lines_update, "rewrite", "lines")
    spy(turtle_update, "_patch", "turtle")
    spy(store_update, "plan", "store plan")  # not needed when the lines say what changed
    options = kg.BuildOptions(cache_dir=out / cache.CACHE_DIR)
    pipeline.build_and_write([work], options, out)
    for name, (edit, patchable) in EDITS.items():
        taken.write_text("", "utf-8")
        edit(work)
        pipeline.build_and_write([work], options, out)
        expected = "lines patched\nturtle patched\n" if patchable else "store plan patched\n"
        assert taken.read_text("utf-8") == expected, name
        clean = tmp_path / f"clean-{len(name)}"
        pipeline.build_and_write([work], kg.BuildOptions(), clean)
        same_outputs(out, clean)
        shutil.rmtree(clean)
    assert "Patched headline" not in (out / "graph.ttl").read_text("utf-8")  # deleted last


def test_lines_that_are_not_the_recorded_ones_are_written_in_full(corpus, tmp_path):
    work, out, clean = tmp_path / "articles", tmp_path / "out", tmp_path / "clean"
    shutil.copytree(corpus, work)
    kg_build(str(work), "-o", str(out))
    replace_line(first_file(work), "title:", "title: Edited again\n")
    nt = out / "graph.nt"
    nt.write_bytes(nt.read_bytes()[:-100])  # as a build cut short, or a hand edit, might leave
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
    image = model.ImageRecord("https://x.test/i.png", 640, 480, True, "caption")
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


def test_a_damaged_or_foreign_cache_is_ignored(corpus, tmp_path):
    folder = tmp_path / "cache"
    options = kg.BuildOptions(cache_dir=folder)
    reference = kg.build([corpus], options)
    assert reference.files_cached == 0
    assert kg.build([corpus], options).files_cached == FILES + 1

    (folder / cache.CACHE_FILE).write_bytes(b"\x80\x05 not a pickle")
    damaged = kg.build([corpus], options)
    assert damaged.files_cached == 0
    assert damaged.summary() == {**reference.summary(), "files_cached": 0}

    other_limits = kg.BuildOptions(cache_dir=folder, read=kg.BuildOptions().read.__class__(
        max_file_bytes=1_000_000))
    assert kg.build([corpus], other_limits).files_cached == 0  # other read options: other key
    assert cache.load(folder, "another kg version").entries == {}


def test_store_without_its_digests_is_loaded_again_in_full(corpus, tmp_path):
    work = tmp_path / "articles"
    shutil.copytree(corpus, work)
    out, clean = tmp_path / "out", tmp_path / "clean"
    kg_build(str(work), "-o", str(out))
    (out / "store" / store_update.DIGESTS_FILE).write_bytes(b"damaged")
    loaded = (out / "store").stat().st_ino
    edited = first_file(work)
    edited.write_text(edited.read_text("utf-8").replace("title: ", "title: Edited ", 1), "utf-8")
    kg_build(str(work), "-o", str(out))
    assert (out / "store").stat().st_ino != loaded
    kg_build(str(work), "-o", str(clean), "--no-cache")
    same_outputs(out, clean)


def test_the_block_index_tiles_each_file_subject_by_subject(corpus, tmp_path):
    result = kg.build([corpus])
    index = tmp_path / "blocks.txt"
    with store_update.block_index(index) as blocks:
        files = rdf.write_lines(result.graph, tmp_path, index=blocks)
    data = [path.read_bytes() for path in files]
    ends = [0, 0]
    subjects: list[list[str]] = [[], []]
    for line in index.read_text("utf-8").splitlines():
        kind, subject, digest, length = line.split(" ")
        kind, length = int(kind), int(length)
        block = data[kind][ends[kind]:ends[kind] + length]  # each block right after the last
        assert all(line.startswith(f"<{subject}> ".encode()) for line in block.splitlines())
        assert hashlib.sha256(block).hexdigest()[:32] == digest
        ends[kind] += length
        subjects[kind].append(subject)
    assert ends == [len(data[0]), len(data[1])]
    assert subjects[0] == subjects[1] and len(set(subjects[0])) == len(subjects[0]) > FILES
    layout = blocks.layout
    assert [sum(lengths) for lengths in layout.lengths] == [*ends, index.stat().st_size]
    ranks = [rdf.NODE] * len(result.graph.nodes) + [rdf.SCHEME] + [rdf.SOURCE] * len(
        result.graph.sources())
    keys = [(rank, key) for rank, key in zip(ranks, layout.keys, strict=True)]
    assert keys == sorted(keys)  # the order lines_update finds subjects by


def write_index(target: Path, blocks: list[tuple[str, bytes]]) -> None:
    with store_update.block_index(target) as index:
        for subject, block in blocks:
            index.add(subject, rdf.NODE, subject, block, b"")


def test_a_subject_split_over_two_runs_is_never_patched(tmp_path):
    """Replacing by subject is only safe when each subject's lines come together."""
    a1, b2, a3 = (f'<http://x/{s}> <http://x/p> "{n}" .\n'.encode() for s, n in
                  (("a", 1), ("b", 2), ("a", 3)))
    nt, nq, pending = tmp_path / "graph.nt", tmp_path / "graph.nq", tmp_path / "pending.txt"
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    write_index(store_dir / store_update.DIGESTS_FILE, [("http://x/a", a1)])
    nq.write_bytes(b"")
    nt.write_bytes(a1 + b2 + a3)
    write_index(pending, [("http://x/a", a1), ("http://x/b", b2), ("http://x/a", a3)])
    assert store_update.plan(store_dir, [nt, nq], pending) is None
    nt.write_bytes(a1 + b2)
    write_index(pending, [("http://x/a", a1), ("http://x/b", b2)])
    change = store_update.plan(store_dir, [nt, nq], pending)
    assert change is not None and change.touched == {(0, "http://x/b"), (1, "http://x/b")}
    assert change.new_blocks == {(0, "http://x/b"): b2.decode(), (1, "http://x/b"): ""}


def test_the_store_holds_every_line_of_graph_nt_and_graph_nq(corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    kg_build(str(corpus), "-o", str(out), "--no-cache")
    triples = (out / "graph.nt").read_bytes().splitlines()
    quads = (out / "graph.nq").read_bytes().splitlines()
    whole = store_lines(out)  # this corpus is small enough to load each file whole
    assert len(whole) == len(set(triples)) + len(set(quads)) > 2000
    graphs = {line.rsplit(b" ", 2)[1] for line in quads}
    assert len(graphs) > FILES // 2

    # Loaded in pieces cut at line breaks, as large graphs are: nothing lost, split or doubled.
    monkeypatch.setattr(store, "WHOLE_MAX_BYTES", 40_000)
    monkeypatch.setattr(store, "PIECE_BYTES", 40_000)
    assert len(store._pieces(out / "graph.nq", cut=True)) > 10
    store.fill_store(out)
    assert store_lines(out) == whole
    assert not list(out.glob(".load-*")), "pieces were left behind"


@pytest.mark.parametrize("early", [True, False])
def test_the_store_is_loaded_beside_the_html_writer_only_when_small(corpus, tmp_path,
                                                                     monkeypatch, early):
    """A small graph's store starts loading as soon as its lines are written, while the child
    writes the HTML view; a large one waits for the child, and both give the same store."""
    threads: list[str] = []
    load = pipeline.load_store

    def watched(out: Path) -> None:
        threads.append(threading.current_thread().name)
        load(out)

    monkeypatch.setattr(pipeline, "load_store", watched)
    if not early:
        monkeypatch.setattr(pipeline, "EARLY_STORE_MAX_BYTES", 0)
    out = tmp_path / "out"
    report = pipeline.build_and_write([corpus], kg.BuildOptions(), out)
    assert report.written[-1] == out / "store"
    # Late, fill_store loads it in this thread once the child has ended.
    assert [name.split("_")[0] for name in threads] == (["kg-after-lines"] if early else [])
    triples = set((out / "graph.nt").read_bytes().splitlines())
    quads = set((out / "graph.nq").read_bytes().splitlines())
    assert store_lines(out) == sorted(triples | quads)

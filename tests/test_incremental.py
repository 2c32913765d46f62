"""Incremental rebuilds (the read cache) and parallel parsing give exactly a clean build's output."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

import kg
from kg import cache, store_update
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


def test_workers_give_the_same_bytes_as_one_process(corpus, tmp_path):
    one = kg.build([corpus], kg.BuildOptions(workers=1))
    two = kg.build([corpus], kg.BuildOptions(workers=2))
    assert one.summary() == two.summary()
    kg.write_outputs(one, tmp_path / "one")
    kg.write_outputs(two, tmp_path / "two")
    same_outputs(tmp_path / "one", tmp_path / "two")


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


def test_a_subject_split_over_two_runs_is_never_patched(tmp_path):
    """Replacing by subject is only safe when each subject's lines come together."""
    nt, nq = tmp_path / "graph.nt", tmp_path / "graph.nq"
    nt.write_text("<http://x/a> <http://x/p> \"1\" .\n", "utf-8")
    nq.write_text("<http://x/a> <http://x/p> \"1\" <http://x/g> .\n", "utf-8")
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    store_update.plan(store_dir, [nt, nq], store_dir / store_update.DIGESTS_FILE, in_place=False)
    nt.write_text("<http://x/a> <http://x/p> \"1\" .\n<http://x/b> <http://x/p> \"2\" .\n"
                  "<http://x/a> <http://x/p> \"3\" .\n", "utf-8")
    pending = tmp_path / "pending.pickle"
    assert store_update.plan(store_dir, [nt, nq], pending, in_place=True) is None
    nt.write_text("<http://x/a> <http://x/p> \"1\" .\n<http://x/b> <http://x/p> \"2\" .\n", "utf-8")
    change = store_update.plan(store_dir, [nt, nq], pending, in_place=True)
    assert change is not None and change.touched == {(0, "http://x/b")}

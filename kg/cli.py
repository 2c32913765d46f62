"""The `kg` command line: thin commands over the library."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from . import __version__
from .errors import KgError
from .identity import DEFAULT_BASE_IRI
from .options import (
    STATE_DIR,
    STORE_DIR,
    TRIPLES_FILE,
    TURTLE_FILE,
    WARNINGS_FILE,
    ClusterOptions,
)
from .pipeline import BuildOptions, Progress, build_and_write
from .sources import ReadOptions
from .sources.files import DEFAULT_MAX_FILE_BYTES
from .stories import DEFAULT_WINDOW_DAYS
from .vocab import SCHEMA_HTTP, SCHEMA_HTTPS

SHOWN_WARNINGS = 20
out_option = click.option("-o", "--out", "out_dir", default="output", show_default=True,
                          type=click.Path(file_okay=False, path_type=Path),
                          help="Output folder.")


class KgFailure(click.ClickException):
    """A library error, told in one line (`Error: ...`) with exit code 2."""

    exit_code = 2


class KgGroup(click.Group):
    """Turns library errors into one-line messages with exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KgError as exc:
            raise KgFailure(str(exc)) from exc


@click.group(cls=KgGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """Build a knowledge graph of news articles: Turtle, a SPARQL store and an HTML view.

    \b
    Examples:
      kg build examples/articles          # writes output/graph.ttl, graph.html, ...
      kg stats                            # counts, top providers, topics and stories
      kg query queries/top-providers-per-topic.rq
    """


@main.command("build")
@click.argument("paths", nargs=-1, required=True)
@out_option
@click.option("--base-iri", default=DEFAULT_BASE_IRI, show_default=True,
              help="Base IRI under which node IRIs are minted.")
@click.option("--schema-http", is_flag=True,
              help="Use http://schema.org/ instead of https://schema.org/.")
@click.option("--max-file-size", default=DEFAULT_MAX_FILE_BYTES, show_default=True,
              help="Skip files larger than this many bytes.")
@click.option("--max-list-items", default=1000, show_default=True,
              help="Keep at most this many items of any list field of one file.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parse files in this many processes [default: one per CPU for 400+ files].")
@click.option("--no-cache", is_flag=True,
              help="Build afresh instead of reusing what OUT/.kg-cache says of the last build.")
@click.option("--provenance", is_flag=True,
              help="Also keep each source file's triples in a named graph of the store, for "
                   "GRAPH ?g queries (source-of-facts.rq); slower to build.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="Where to build: this machine's processes, or a Dask cluster (pip install "
                   "'kg[dask]'; the inputs and OUT on a file system every worker sees).")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: the scheduler, e.g. tcp://10.0.0.5:8786 [default: a "
                   "cluster of --workers local processes].")
@click.option("--partitioned", is_flag=True,
              help="With --engine dask: graph.nt, graph.nq and graph.ttl as folders of "
                   "part-NNNNN shards, for bulk loaders.")
@click.option("--no-view", is_flag=True, help="With --engine dask: skip graph.html.")
@click.option("--no-store", is_flag=True,
              help="With --engine dask: skip the embedded SPARQL store.")
@click.option("--story-window", type=click.FloatRange(min=0.0), default=DEFAULT_WINDOW_DAYS,
              show_default=True, metavar="DAYS",
              help="Group articles that report the same news into stories when at most this "
                   "many days apart.")
@click.option("--no-stories", is_flag=True, help="Do not group articles into stories.")
@click.option("--strict", is_flag=True, help="Exit with code 1 when any input was bad.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary line.")
def build_command(paths: tuple[str, ...], out_dir: Path, base_iri: str, schema_http: bool,
                  max_file_size: int, max_list_items: int, workers: int | None, no_cache: bool,
                  provenance: bool, story_window: float, no_stories: bool, engine: str,
                  scheduler: str | None, partitioned: bool, no_view: bool, no_store: bool,
                  strict: bool, quiet: bool) -> None:
    """Read article files, folders or globs and write the graph into the output folder.

    \b
    Examples:
      kg build examples/articles
      kg build ../corpus -o out --base-iri https://data.example.com/news/
      kg build 'articles/**/*.md' --strict
      kg build ../corpus --workers 4 --no-cache
      kg build examples/articles --provenance   # which file asserted a fact: GRAPH ?g
      kg build /shared/corpus --engine dask --scheduler tcp://10.0.0.5:8786
      kg build ../corpus --story-window 7       # stories whose reports span a week
    """
    cluster = _cluster_options(engine, scheduler, partitioned, no_view, no_store)
    if scheduler and workers:
        raise click.UsageError("--workers sizes a cluster of local processes; with --scheduler "
                               "the cluster's own workers do the work")
    options = BuildOptions(base_iri=base_iri, schema=SCHEMA_HTTP if schema_http else SCHEMA_HTTPS,
                           read=ReadOptions(max_file_size, max_list_items), workers=workers,
                           cache_dir=None if no_cache else out_dir / STATE_DIR,
                           provenance=provenance, stories=not no_stories,
                           story_window=story_window)
    with progress_bar("Reading") as progress:
        report = build_and_write(paths, options, out_dir, progress, cluster)
    summary, warnings = report.summary, report.warnings
    if report.notice:
        click.echo(f"note: {report.notice}", err=True)
    if not quiet:
        for problem in warnings[:SHOWN_WARNINGS]:
            click.echo(f"warning: {problem}", err=True)
        hidden = len(warnings) - SHOWN_WARNINGS
        if hidden > 0:
            click.echo(f"... and {hidden} more warnings in {out_dir / WARNINGS_FILE}", err=True)
    click.echo(
        f"Read {summary['files_read']} files{_cached(summary['files_cached'], report.kept)}: "
        f"{summary['articles']} articles, "
        f"{summary['providers']} providers, {summary['topics']} topics, "
        f"{summary['images']} images, {summary['stories']} stories; "
        f"{summary['publisher_edges']} publisher, {summary['about_edges']} about, "
        f"{summary['related_edges']} related links; {summary['warnings']} warnings."
    )
    if summary["warnings"]:
        kinds = ", ".join(f"{k} {n}" for k, n in summary["warnings_by_kind"].items())
        click.echo(f"Warnings by kind: {kinds}; {summary['files_skipped']} files skipped whole.")
    if not quiet:
        click.echo(("Kept " if report.kept else "Wrote ") + ", ".join(map(str, report.written)))
    if strict and warnings:
        sys.exit(1)


def _cluster_options(engine: str, scheduler: str | None, partitioned: bool, no_view: bool,
                     no_store: bool) -> ClusterOptions | None:
    if engine == "dask":
        return ClusterOptions(scheduler, partitioned, not no_view, not no_store)
    given = [flag for flag, used in (("--scheduler", scheduler), ("--partitioned", partitioned),
                                     ("--no-view", no_view), ("--no-store", no_store)) if used]
    if given:
        raise click.UsageError(f"{', '.join(given)} only go with --engine dask")
    return None


def _cached(count: int, kept: bool) -> str:
    if kept:
        return " (none changed since the last build, whose outputs are kept)"
    return f" ({count} unchanged, from the cache)" if count else ""


@contextmanager
def progress_bar(label: str) -> Iterator[Progress | None]:
    """A progress bar on a terminal; nothing in a pipe or a log."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import Progress as RichProgress

    with RichProgress(transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


@main.command("validate")
@out_option
def validate_command(out_dir: Path) -> None:
    """Check graph.ttl: strict parsing by Oxigraph and kg's SHACL shapes.

    \b
    Example:
      kg validate -o output
    """
    from .validate import validate

    target = out_dir / TURTLE_FILE
    if not target.exists():
        raise click.UsageError(f"{target} does not exist: run `kg build` first")
    result = validate(target)
    click.echo(f"{target}: {result.triples} triples, parses strictly; "
               f"SHACL: {'conforms' if result.conforms else 'does NOT conform'}")
    if not result.conforms:
        click.echo(result.report, err=True)
        sys.exit(1)


@main.command("stats")
@out_option
def stats_command(out_dir: Path) -> None:
    """Counts, top providers and topics, links, components and communities of a built graph.

    Reads graph.nt in the output folder and writes report.json and report.md beside it.

    \b
    Example:
      kg build examples/articles && kg stats
    """
    from rich.console import Console
    from rich.table import Table

    from .analytics import compute_stats, read_networkx
    from .report import write_stats

    source = out_dir / TRIPLES_FILE
    if not source.exists():
        raise click.UsageError(f"{source} does not exist: run `kg build` first")
    stats = compute_stats(read_networkx(source))
    console = Console()
    table = Table("what", "count", title="Graph")
    for name, value in stats.counts.items():
        table.add_row(name.replace("_", " "), f"{value:,}")
    console.print(table)
    for title, rows in (("Top providers", stats.top_providers), ("Top topics", stats.top_topics),
                        ("Most linked articles", stats.most_linked_articles),
                        ("Topic pairs", stats.topic_pairs)):
        if rows:
            t = Table(title=title, show_header=False)
            for row in rows:
                t.add_row(*(str(v) for v in row))
            console.print(t)
    if stats.top_stories:
        t = Table("story (earliest headline)", "outlets", "articles",
                  title="Stories by coverage")
        for story, outlets, articles in stats.top_stories:
            t.add_row(story, str(outlets), str(articles))
        console.print(t)
    console.print(f"{stats.components:,} components (largest {stats.largest_component:,} nodes), "
                  f"{stats.communities:,} communities; "
                  + ", ".join(f"{k.replace('_', ' ')}: {v:,}" for k, v in stats.dangling.items()))
    written = write_stats(stats, out_dir)
    console.print("Wrote " + ", ".join(str(p) for p in written))


@main.command("query")
@click.argument("query")
@out_option
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json", "xml"]),
              default="table", show_default=True, help="Result format (json: SPARQL 1.1 JSON).")
def query_command(query: str, out_dir: Path, fmt: str) -> None:
    """Run a SPARQL query (text or a .rq file) on the store built in the output folder.

    Queries without GRAPH see every triple. GRAPH ?g reaches each source file's triples only
    in a store built with `kg build --provenance`; otherwise it finds nothing.
    Prefixes schema:, skos:, kg:, dcterms:, prov:, rdfs:, xsd: are predeclared.

    \b
    Examples:
      kg query 'SELECT ?t WHERE { ?a schema:headline ?t } LIMIT 5'
      kg query queries/top-providers-per-topic.rq --format csv
      kg query 'ASK { ?a schema:about/skos:prefLabel "AI" }'
    """
    from .store import has_named_graphs, open_store, read_query, rows, run_query, serialize_answer

    store = open_store(out_dir)
    text = read_query(query)
    uncommented = re.sub(r"(?m)^\s*#.*$", "", text)  # "graph" in a comment asks for nothing
    if re.search(r"\bGRAPH\b", uncommented, re.IGNORECASE) and not has_named_graphs(store):
        click.echo("note: this store has no named graphs, so GRAPH finds nothing; build with "
                   "`kg build --provenance` to have one per source file", err=True)
    answer = run_query(store, text)
    if fmt != "table" or answer.kind == "graph":
        sys.stdout.buffer.write(serialize_answer(answer, "json" if fmt == "table" else fmt))
        return
    if answer.kind == "ask":
        click.echo("true" if answer.result else "false")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(*answer.variables())
    count = 0
    for row in rows(answer):
        table.add_row(*row)
        count += 1
    Console().print(table)
    click.echo(f"{count} row{'s' if count != 1 else ''}")


@main.command("serve")
@out_option
@click.option("-p", "--port", default=7878, show_default=True, help="Port on 127.0.0.1.")
def serve_command(out_dir: Path, port: int) -> None:
    """Serve the built graph read-only over the SPARQL 1.1 Protocol (Oxigraph server).

    \b
    Example:
      kg serve --port 7878 &
      curl -H 'Accept: text/csv' --data-urlencode 'query=SELECT * { ?s ?p ?o } LIMIT 3' \\
           http://127.0.0.1:7878/query
    """
    from .store import serve

    click.echo(f"Serving {out_dir / STORE_DIR} at http://127.0.0.1:{port}/query "
               "(read-only; Ctrl-C or SIGTERM stops)", err=True)
    sys.exit(serve(out_dir, port))


@main.command("load")
@click.argument("url")
@out_option
@click.option("-u", "--user", help="User name; the password comes from the environment "
              "variable KG_LOAD_PASSWORD, or a prompt on a terminal.")
@click.option("--token-env", metavar="VAR",
              help="Send the bearer token held in the environment variable VAR.")
@click.option("--drop-missing", is_flag=True,
              help="Delete the graphs kg loaded here before whose source files are gone.")
@click.option("--timeout", default=60.0, show_default=True,
              help="Seconds to wait for the store to answer one request.")
def load_command(url: str, out_dir: Path, user: str | None, token_env: str | None,
                 drop_missing: bool, timeout: float) -> None:
    """Push the graph into a SPARQL store's Graph Store endpoint.

    Each source file goes to its own named graph, replaced with PUT, so reloading after an
    edit leaves no stale facts; the merged graph goes to the default graph (or, where the
    endpoint has none, to the named graph BASE/graph/merged), so queries work remotely as
    with `kg query`. Credentials in the URL or ~/.netrc are used when --user is not given;
    Basic or Digest is chosen as the server asks. Passwords are never printed.

    \b
    Examples:
      kg load http://127.0.0.1:7878/store                          # Oxigraph
      kg load http://127.0.0.1:3030/news/data --user admin         # Jena Fuseki
      KG_LOAD_PASSWORD=... kg load --user dba \\
          http://127.0.0.1:8890/sparql-graph-crud-auth             # Virtuoso (Digest)
      kg load https://store.example.com/data --token-env STORE_TOKEN --drop-missing
    """
    from .publish import Credentials, load

    credentials = None
    if token_env:
        token = os.environ.get(token_env)
        if not token:
            raise click.UsageError(f"--token-env {token_env}: that environment variable is "
                                   "empty or not set")
        credentials = Credentials(token=token)
    elif user:
        password = os.environ.get("KG_LOAD_PASSWORD")
        if password is None:
            if not sys.stdin.isatty():
                raise click.UsageError("--user needs a password: set KG_LOAD_PASSWORD "
                                       "(no terminal to ask on)")
            password = click.prompt(f"Password for {user}", hide_input=True, err=True)
        credentials = Credentials(user, password)

    def dropping(graphs: list[str]) -> None:
        click.echo(f"Dropping {len(graphs)} graphs whose source files are gone:", err=True)
        for graph in graphs:
            click.echo(f"  {graph}", err=True)

    with progress_bar("Loading") as progress:
        report = load(out_dir, url, credentials, drop_missing=drop_missing, on_drop=dropping,
                      progress=progress, timeout=timeout)
    merged = f"<{report.merged_graph}>" if report.merged_graph else "the default graph"
    dropped = f", dropped {len(report.dropped)}" if report.dropped else ""
    click.echo(f"Loaded {report.graphs} named graphs and the merged graph (into {merged})"
               f"{dropped} into {report.url} in {report.seconds:.1f} s")


@main.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["jsonld", "graphml", "gexf"]))
@out_option
def export_command(fmt: str, out_dir: Path) -> None:
    """Write the built graph as JSON-LD (schema.org context), GraphML or GEXF beside it.

    \b
    Examples:
      kg export jsonld          # output/graph.jsonld, to embed or hand to JSON-LD tools
      kg export graphml         # output/graph.graphml, for Cytoscape or Gephi
      kg export gexf -o out     # out/graph.gexf, for Gephi
    """
    from .export import export

    click.echo(f"Wrote {export(out_dir, fmt)}")


@main.command("bench")
@click.option("--articles", default="1000,10000", show_default=True,
              help="Comma-separated corpus sizes, e.g. 1000,10000,100000.")
@click.option("--runs", default=3, show_default=True, help="Runs per size; medians are shown.")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), default=Path("bench-data"),
              show_default=True, help="Where synthetic corpora and outputs are kept.")
@click.option("--json-out", type=click.Path(path_type=Path), default=Path("bench.json"),
              show_default=True, help="Where the figures are written.")
@click.option("--no-stories", is_flag=True,
              help="Build without grouping stories, to measure what grouping costs.")
@click.option("--engine", type=click.Choice(["local", "dask"]), default="local",
              show_default=True,
              help="dask: also time `kg build --engine dask` beside the local build.")
@click.option("--scheduler", metavar="ADDRESS",
              help="With --engine dask: the scheduler [default: local worker processes].")
def bench_command(articles: str, runs: int, data_dir: Path, json_out: Path, no_stories: bool,
                  engine: str, scheduler: str | None) -> None:
    """Time the build against the floor (read + C-loader YAML parse), each in a fresh process.

    \b
    Examples:
      kg bench --articles 1000,10000,100000 --runs 3
      kg bench --articles 10000,100000 --engine dask   # the Dask engine beside the local one
    """
    from .bench import SCHEDULER_ENV, bench_size, machine
    from .fileio import write_text

    if scheduler:
        os.environ[SCHEDULER_ENV] = scheduler
    sizes = [int(n.replace("_", "")) for n in articles.split(",") if n.strip()]
    rows = [bench_size(n, data_dir, runs, lambda line: click.echo(line, err=True),
                       dask=engine == "dask", stories=not no_stories) for n in sizes]
    _bench_table(rows, runs)
    write_text(json_out, json.dumps({"machine": machine(), "runs": runs,
                                     "stories": not no_stories,
                                     "sizes": [r.to_dict() for r in rows]}, indent=2) + "\n")
    click.echo(f"Wrote {json_out}")


def _bench_table(rows, runs: int) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"kg bench: medians of {runs} runs, each in a fresh process")
    for name in ("article files", "article nodes", "triples", "floor s", "build s",
                 "build/floor", "µs/file", "build CPU s (÷ cores)", "store s after graph",
                 "nothing changed s", "rebuild s (1 edit)", "turtle s",
                 "turtle/floor", "peak MB: largest process / all (worst run)",
                 "slowest query ms"):
        table.add_column(name, justify="right")
    for r in rows:
        slowest = max(r.queries_ms, key=r.queries_ms.get)
        table.add_row(f"{r.files:,}", f"{r.articles:,}", f"{r.triples:,}", f"{r.floor_s:.2f}",
                      f"{r.build_s:.2f}", f"{r.build_ratio:.2f}x",
                      f"{r.build_s / r.files * 1e6:.0f}",
                      f"{r.build_cpu_s:.1f} ({r.cpu_bound_s:.1f})", f"{r.store_s:.2f}",
                      f"{r.unchanged_s:.2f} ({'kept' if r.unchanged_kept else 'rebuilt'})",
                      f"{r.rebuild_s:.2f} ({r.rebuild_share:.0%})", f"{r.turtle_s:.2f}",
                      f"{r.turtle_ratio:.2f}x", f"{r.build_rss_mb:,.0f} / "
                      f"{'?' if r.build_memory_mb is None else f'{r.build_memory_mb:,.0f}'}",
                      f"{r.queries_ms[slowest]:.0f} ({slowest})")
    Console(width=200).print(table)
    for r in rows:
        if r.dask is not None:
            d = r.dask
            click.echo(f"{r.files:,} files with --engine dask ({d.where}): build {d.build_s:.2f} s "
                       f"beside the local {r.build_s:.2f} s ({d.build_s / r.build_s:.2f}x); "
                       f"client peak {d.client_graph_mb:,.0f} MB until the graph files were "
                       f"written, {d.client_rss_mb:,.0f} MB with the store; all processes "
                       f"{'?' if d.memory_mb is None else f'{d.memory_mb:,.0f}'} MB; graph files "
                       f"{'the same bytes' if d.same_bytes else 'NOT the same bytes'}")
    for r in rows:
        click.echo(f"{r.files:,} files with --provenance (a named graph per file in the store): "
                   f"build {r.provenance_s:.2f} s ({r.provenance_s / r.floor_s:.2f}x the floor), "
                   f"source-of-facts {r.provenance_query_ms:.0f} ms")

"""Publishing the graph into a triple store through the SPARQL 1.1 Graph Store HTTP Protocol.

Each source file's triples go to its own named graph, replaced with PUT, so reloading after a
file changed leaves no stale facts. The merged graph (every fact once) goes to the store's
default graph, which is what a query without FROM or GRAPH reads on Oxigraph and Fuseki. Where
the endpoint has no default graph (Virtuoso's, whose queries read the union of all graphs
anyway) it goes to the named graph `<BASE graph/merged>` instead, so that `FROM <…>` can read
each fact exactly once there too.

Credentials never leave this module except in the Authorization header: URLs are shown
without their user part, and error messages never include a password or token.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pyoxigraph as ox
import requests
from requests.auth import AuthBase, HTTPBasicAuth, HTTPDigestAuth
from requests.utils import get_netrc_auth

from .errors import NoGraphError, StoreError
from .fileio import write_text
from .options import QUADS_FILE, TRIPLES_FILE

# Which graphs kg has put to which endpoint: what `--drop-missing` may delete later. The
# Graph Store Protocol cannot list a store's graphs, so kg remembers its own.
LOADED_FILE = ".kg-loaded.json"
MERGED_GRAPH = "graph/merged"
# Answers worth another try of the same PUT: the server was busy or a proxy lost it.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})
NO_DEFAULT_GRAPH_STATUSES = frozenset({400, 404, 405, 500, 501})
N_TRIPLES = "application/n-triples"


@dataclass(frozen=True)
class Credentials:
    """Who `kg load` is: a user and password (Basic or Digest, as the server asks) or a
    bearer token. Never shown: `repr` leaves the secrets out."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class LoadReport:
    """What `load` did: graphs put, where the merged graph went, graphs dropped."""

    url: str
    graphs: int
    merged_graph: str | None  # None: the store's default graph
    dropped: tuple[str, ...]
    seconds: float


def public_url(url: str) -> str:
    """The URL without a user part, fit to print.

    >>> public_url("http://alice:s3cret@127.0.0.1:8890/sparql-graph-crud-auth?x=1")
    'http://127.0.0.1:8890/sparql-graph-crud-auth?x=1'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def credentials_in_url(url: str) -> Credentials | None:
    """A user and password written in the URL, taken out of it so they are never printed."""
    from urllib.parse import unquote

    parts = urlsplit(url)
    if parts.username is None:
        return None
    return Credentials(unquote(parts.username), unquote(parts.password or "") or None)


def merged_graph_iri(graphs: list[str]) -> str:
    """`<BASE graph/merged>`, BASE being the base IRI the source graphs were minted under."""
    for graph in graphs:
        base, found, _ = graph.rpartition("/source/")
        if found:
            return f"{base}/{MERGED_GRAPH}"
    from .identity import DEFAULT_BASE_IRI

    return DEFAULT_BASE_IRI + MERGED_GRAPH


def graphs_in(quads_file: str | os.PathLike) -> dict[str, list[ox.Triple]]:
    """The triples of each named graph of an N-Quads file."""
    graphs: dict[str, list[ox.Triple]] = {}
    for quad in ox.parse(path=str(quads_file), format=ox.RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, ox.NamedNode):
            graphs.setdefault(quad.graph_name.value, []).append(quad.triple)
    return graphs


def load(out_dir: str | os.PathLike, url: str, credentials: Credentials | None = None, *,
         drop_missing: bool = False, on_drop: Callable[[list[str]], None] | None = None,
         progress: Callable[[int, int], None] | None = None, timeout: float = 60,
         retries: int = 3) -> LoadReport:
    """Put each source file's named graph and the merged graph to a Graph Store endpoint.

    `credentials`: a user and password, answered with the scheme the server's
    WWW-Authenticate asks for (Basic or Digest), or a bearer token; without them, a user and
    password in the URL or in ~/.netrc. `drop_missing`: delete the graphs kg put to this
    endpoint before whose source files are gone (`on_drop` is told which, first).

        >>> load("output", "http://127.0.0.1:7878/store")  # doctest: +SKIP
        LoadReport(url='http://127.0.0.1:7878/store', graphs=13, merged_graph=None, ...)
    """
    started = time.monotonic()
    out = Path(out_dir)
    quads, merged = out / QUADS_FILE, out / TRIPLES_FILE
    if not quads.exists() or not merged.exists():
        raise NoGraphError(f"no {QUADS_FILE} in {out}: run `kg build -o {out}` first")
    shown = public_url(url)
    credentials = credentials or credentials_in_url(url) or _netrc(url)
    graphs = graphs_in(quads)
    names = sorted(graphs)
    loaded = _read_loaded(out)
    missing = sorted(set(loaded.get(shown, [])) - set(names) - {merged_graph_iri(names)})
    total = len(names) + 1 + (len(missing) if drop_missing else 0)
    with _Session(shown, credentials, timeout, retries) as session:
        if drop_missing and missing:
            if on_drop:
                on_drop(missing)
            for done, graph in enumerate(missing, 1):
                session.send("DELETE", graph, None, missing_ok=True)
                if progress:
                    progress(done, total)
        start = len(missing) if drop_missing else 0
        for done, graph in enumerate(names, start + 1):
            session.send("PUT", graph, ox.serialize(graphs.pop(graph),
                                                    format=ox.RdfFormat.N_TRIPLES))
            if progress:
                progress(done, total)
        merged_graph = session.put_merged(merged, merged_graph_iri(names))
        if progress:
            progress(total, total)
    kept = [] if drop_missing else missing
    _write_loaded(out, shown, sorted({*names, *kept}
                                     | ({merged_graph} if merged_graph else set())))
    return LoadReport(shown, len(names), merged_graph,
                      tuple(missing) if drop_missing else (), time.monotonic() - started)


def _netrc(url: str) -> Credentials | None:
    found = get_netrc_auth(url)
    return Credentials(found[0], found[1]) if found else None


def _read_loaded(out: Path) -> dict[str, list[str]]:
    try:
        data = json.loads((out / LOADED_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: [g for g in v if isinstance(g, str)] for k, v in data.items()
            if isinstance(v, list)} if isinstance(data, dict) else {}


def _write_loaded(out: Path, url: str, graphs: list[str]) -> None:
    loaded = _read_loaded(out)
    loaded[url] = graphs
    write_text(out / LOADED_FILE, json.dumps(loaded, indent=1, sort_keys=True) + "\n")


class _Session:
    """One HTTP session to one endpoint: authentication, retries and readable failures."""

    def __init__(self, url: str, credentials: Credentials | None, timeout: float,
                 retries: int) -> None:
        self.url, self.timeout, self.retries = url, timeout, retries
        self.credentials = credentials or Credentials()
        self.http = requests.Session()
        # An explicit auth object, even one that adds nothing, keeps requests from sending
        # ~/.netrc's password as Basic to a server that asked for Digest.
        self.auth: AuthBase = _Bearer(self.credentials.token) \
            if self.credentials.token else _NoAuth()
        self.negotiated = bool(self.credentials.token)

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def put_merged(self, path: Path, named: str) -> str | None:
        """The merged graph into the default graph, or into `named` where there is none."""
        body = path.read_bytes()
        # A server that refuses early may leave the rest of the body unread on the
        # connection, to be taken for the next request (Virtuoso then answers 501): close it.
        response = self.send("PUT", None, body, refused_ok=NO_DEFAULT_GRAPH_STATUSES,
                             close=True)
        if response is not None and response.status_code < 300:
            return None
        self.send("PUT", named, body)
        return named

    def send(self, method: str, graph: str | None, body: bytes | None, *,
             missing_ok: bool = False, refused_ok: frozenset[int] = frozenset(),
             close: bool = False):
        """One request on `graph` (None: the default graph), tried again when it may pass."""

        params = {"graph": graph} if graph else {"default": ""}
        what = f"graph <{graph}>" if graph else "the default graph"
        headers = {"Content-Type": N_TRIPLES} if body is not None else {}
        if close:
            headers["Connection"] = "close"
        for attempt in range(self.retries + 1):
            try:
                response = self.http.request(method, self.url, params=params, data=body,
                                             headers=headers, auth=self.auth,
                                             timeout=self.timeout)
            except requests.RequestException as exc:
                if attempt < self.retries and isinstance(exc, (requests.Timeout,
                                                               requests.ConnectionError)):
                    time.sleep(_backoff(attempt))
                    continue
                raise StoreError(self._unanswered(exc, what)) from exc
            if response.status_code == 401 and not self.negotiated and self.credentials.user:
                self.auth = _negotiate(response, self.credentials)
                self.negotiated = True
                return self.send(method, graph, body, missing_ok=missing_ok,
                                 refused_ok=refused_ok, close=close)
            if response.status_code in RETRY_STATUSES and attempt < self.retries:
                time.sleep(_backoff(attempt))
                continue
            if response.status_code < 300 or response.status_code in refused_ok or (
                    missing_ok and response.status_code == 404):
                return response
            raise StoreError(self._refusal(method, what, response))
        raise AssertionError("unreachable")

    def _unanswered(self, exc: requests.RequestException, what: str) -> str:
        if isinstance(exc, requests.Timeout):
            return (f"{self.url} did not answer within {self.timeout:g} s while loading {what} "
                    f"({self.retries + 1} tries): it timed out; the store may be busy or the "
                    "graph large: try a larger --timeout")
        return (f"cannot reach {self.url} ({exc.__class__.__name__}) while loading {what}; is "
                "the store running and is this its Graph Store endpoint (Oxigraph: /store, "
                "Fuseki: /DATASET/data, Virtuoso: /sparql-graph-crud-auth)?")

    def _refusal(self, method: str, what: str, response: requests.Response) -> str:
        reason = server_reason(response.text) or response.reason or ""
        message = (f"{self.url} refused {method} of {what}: HTTP {response.status_code} "
                   f"{response.reason}" + (f": {reason}" if reason != response.reason else ""))
        if response.status_code == 401:
            asked = response.headers.get("WWW-Authenticate", "").split(" ", 1)[0]
            hint = ("check the user and KG_LOAD_PASSWORD (or the token)" if
                    self.credentials.user or self.credentials.token else
                    f"the store asks for credentials ({asked or 'no scheme named'}): "
                    "give --user NAME with KG_LOAD_PASSWORD, or --token-env VAR")
        elif response.status_code == 403:
            hint = ("this user may not write here, or the endpoint is read-only (Virtuoso "
                    "writes through /sparql-graph-crud-auth with --user)")
        elif response.status_code in (404, 405):
            hint = ("is this the store's Graph Store endpoint (Oxigraph: /store, Fuseki: "
                    "/DATASET/data, Virtuoso: /sparql-graph-crud-auth)?")
        else:
            hint = ""
        return message + (f"; {hint}" if hint else "")


def server_reason(body: str, limit: int = 500) -> str:
    """The text of an error page without its markup, whitespace folded, cut at `limit`.

    >>> server_reason("<html><head><title>x</title></head><body><h3>Error 42000</h3>"
    ...               "<xmp>Permission denied</xmp></body></html>")
    'Error 42000 Permission denied'
    """
    if "<" not in body:
        text = body
    else:
        parser = _Text()
        parser.feed(body)
        parser.close()
        text = " ".join(parser.parts)
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[:limit - 1] + "…"


class _Text(HTMLParser):
    """The text of a page, leaving out its head (title, styles, scripts)."""

    SKIPPED = frozenset({"head", "title", "style", "script"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def _backoff(attempt: int) -> float:
    return 0.5 * 2 ** attempt


def _negotiate(response: requests.Response, credentials: Credentials):
    """Basic or Digest, whichever the server's WWW-Authenticate names (Digest if both)."""
    asked = response.headers.get("WWW-Authenticate", "").lower()
    user, password = credentials.user or "", credentials.password or ""
    return HTTPDigestAuth(user, password) if "digest" in asked else HTTPBasicAuth(user, password)


class _NoAuth(AuthBase):
    def __call__(self, request):
        return request


class _Bearer(AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __repr__(self) -> str:
        return "_Bearer(<hidden>)"

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request

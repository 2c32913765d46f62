"""Identity rules: which inputs denote the same thing, and the IRI each thing gets.

- Articles: by canonical URL (AMP variants, tracking parameters, fragments, default ports,
  `www.` and the http/https difference folded), or by file path for plain-text articles.
- Providers: by domain, lower-cased, `www.` dropped.
- Topics: by taxonomy `_id`, or the slug of the name (case- and space-insensitive).

IRIs are minted under a base IRI from ASCII-only, percent-encoded or hashed parts, so they are
valid whatever the input holds and the same on every machine.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

DEFAULT_BASE_IRI = "https://kg.example.org/id/"

TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "ref", "ref_src",
     "amp", "sh", "ncid", "cmpid", "_ga"}
)
_AMP_CACHE = re.compile(r"^[a-z0-9-]+\.cdn\.ampproject\.org$")
_AMP_SUFFIX = re.compile(r"/amp/?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}
# Characters kept as they are in a path or query; everything else is percent-encoded, so a URL
# with spaces, quotes, <>, backticks or raw unicode still becomes a valid IRI.
URL_SAFE = "/%:@!$&'()*+,;=-._~?#"
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/%:@!$'()*+,;-._~?"
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_LOOKS_LIKE_HOST = re.compile(r"^[\w-]+(\.[\w-]+)+(/|$)", re.UNICODE)
# A URL that is already canonical (lower-case host, no port, query or fragment, a path of safe
# characters) comes back unchanged; most input URLs are, and splitting them is costly.
_ALREADY_CANONICAL = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*/[A-Za-z0-9/%:@!$&'()*+,;=._~-]*")


def canonical_url(raw: str) -> str | None:
    """The normalised form of a URL, or None when it is not an http(s) URL.

    >>> canonical_url("HTTPS://Example.COM:443/a b/?utm_source=x&id=2#top")
    'https://example.com/a%20b/?id=2'
    """
    if _ALREADY_CANONICAL.fullmatch(raw) and "ampproject" not in raw:
        return raw
    return _canonicalise(raw)


def _canonicalise(raw: str) -> str | None:
    text = _strip_controls(raw).strip()
    if not text:
        return None
    if text.startswith("//"):
        text = "https:" + text
    elif not _SCHEME.match(text) and _LOOKS_LIKE_HOST.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = _ascii_host(parts.hostname)
    if host is None:
        return None
    if port and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = _clean_query(parts.query)
    url = urlunsplit((scheme, host, path, query, ""))
    return _unwrap_amp_cache(url)


@lru_cache(maxsize=1 << 18)  # every article file and each link to it asks again
def article_key(url: str) -> str:
    """The identity of an article with this canonical URL: AMP, www. and scheme folded."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    path = _AMP_SUFFIX.sub("/", parts.path)
    path = path.rstrip("/") or "/"
    return urlunsplit(("https", host, path, parts.query, ""))


@lru_cache(maxsize=1 << 16)  # a few hundred providers, asked once per article
def provider_key(domain: str) -> str | None:
    """The identity of a provider: its domain, lower-cased, `www.` dropped.

    >>> provider_key(" WWW.Forbes.com. ")
    'forbes.com'
    """
    text = _strip_controls(domain).strip().lower()
    if "//" in text:
        try:
            text = urlsplit(text).hostname or ""
        except ValueError:  # "https://[" and the like: no host to be had
            return None
    text = text.split("/")[0].split(":")[0].strip(".")
    host = _ascii_host(text)
    if not host or "." not in host:
        return None
    return host.removeprefix("www.")


def host_of(url: str) -> str | None:
    """The provider identity of a canonical URL's host."""
    return provider_key(urlsplit(url).hostname or "")


def slug(text: str) -> str:
    """A case-, space- and punctuation-insensitive key for a name.

    >>> slug("AI in  Healthcare")
    'ai-in-healthcare'
    """
    folded = unicodedata.normalize("NFKC", _strip_controls(text)).casefold()
    return re.sub(r"[\W_]+", "-", folded).strip("-")


def digest(text: str, length: int = 16) -> str:
    """A short, stable hash used where a readable key would be too long or unsafe."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:length]


def iri_segment(text: str) -> str:
    """A key made safe to stand as one IRI path segment (ASCII, percent-encoded)."""
    encoded = quote(text, safe="-._~")
    if not encoded or len(encoded) > 120:
        return digest(text)
    return encoded


class IriMinter:
    """Mints the IRI of every node under one base IRI."""

    def __init__(self, base_iri: str = DEFAULT_BASE_IRI) -> None:
        if not base_iri.endswith(("/", "#")):
            base_iri += "/"
        self.base = base_iri

    def article(self, key: str) -> str:
        return f"{self.base}article/{digest(key)}"

    def provider(self, key: str) -> str:
        return f"{self.base}provider/{iri_segment(key)}"

    def topic(self, key: str) -> str:
        return f"{self.base}topic/{iri_segment(key)}"

    def image(self, key: str) -> str:
        return f"{self.base}image/{digest(key)}"

    def story(self, key: str) -> str:
        """A story's IRI, from its key (the IRI of its earliest member)."""
        return f"{self.base}story/{digest(key)}"

    def source(self, relpath: str) -> str:
        return f"{self.base}source/{quote(relpath, safe='/-._~')}"

    def scheme(self) -> str:
        return f"{self.base}topics"


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith("utm_")
    ]
    return quote(urlencode(sorted(pairs)), safe=_QUERY_SAFE + "=&")


def _unwrap_amp_cache(url: str) -> str:
    """`https://www-x-com.cdn.ampproject.org/c/s/www.x.com/p` -> `https://www.x.com/p`."""
    parts = urlsplit(url)
    if not _AMP_CACHE.match(parts.netloc) or not parts.path.startswith(("/c/", "/v/")):
        return url
    rest = parts.path[3:]
    scheme = "https" if rest.startswith("s/") else "http"
    rest = rest.removeprefix("s/")
    inner = f"{scheme}://{rest}" + (f"?{parts.query}" if parts.query else "")
    return canonical_url(inner) or url


def _ascii_host(host: str) -> str | None:
    host = host.strip().strip(".").lower()
    if not host or any(c in host for c in " <>\"'`{}|\\^%"):
        return None
    try:
        return host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        return None


def _strip_controls(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c for c in text if unicodedata.category(c) != "Cc")

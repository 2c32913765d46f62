"""Identity rules: canonical URLs, provider domains, topic slugs, IRIs."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kg.identity import IriMinter, _canonicalise, article_key, canonical_url, provider_key, slug

BASE = "https://www.alleywatch.com/2020/11/the-next-stage/"


@pytest.mark.parametrize("variant", [
    BASE,
    "https://www.alleywatch.com/2020/11/the-next-stage/amp/",
    "https://www-alleywatch-com.cdn.ampproject.org/c/s/www.alleywatch.com/2020/11/the-next-stage/amp/",
    "http://alleywatch.com/2020/11/the-next-stage",
    "HTTPS://WWW.AlleyWatch.com:443/2020/11/the-next-stage/?utm_source=x&utm_medium=y#comments",
    "https://www.alleywatch.com/2020/11/the-next-stage/?fbclid=abc&gclid=def",
    "https://www.alleywatch.com/2020/11/the-next-stage/?amp",
    " https://www.alleywatch.com/2020/11/the-next-stage/ ",
])
def test_variants_fold_onto_one_article(variant):
    assert article_key(canonical_url(variant)) == article_key(canonical_url(BASE))


def test_meaningful_query_is_kept():
    assert article_key(canonical_url(BASE + "?id=2")) != article_key(canonical_url(BASE))


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "", "   ", "mailto:x@y.z", "http://[::1"])
def test_non_http_urls_are_refused(raw):
    assert canonical_url(raw) is None


@pytest.mark.parametrize("raw", [
    'https://x.com/a b"c<d>{e}|f^g`h',
    "https://x.com/‘fintech-for-impact’",
    "https://münchen.de/straße",
    "www.example.com/no-scheme",
])
def test_odd_urls_become_valid_iris(raw):
    url = canonical_url(raw)
    assert url is not None and url.isascii()
    ox.NamedNode(url)  # raises on an invalid IRI


def test_provider_domain():
    assert provider_key(" WWW.Forbes.com. ") == "forbes.com"
    assert provider_key("https://www.rte.ie/news") == "rte.ie"
    assert provider_key("not a domain") is None


def test_topic_slug_is_case_and_space_insensitive():
    assert slug("AI in  Healthcare") == slug("ai in healthcare") == "ai-in-healthcare"


@pytest.mark.parametrize("key", ["a b", "<script>", "中国日报网", "x" * 500, "\x00\x01", "\"'`"])
def test_minted_iris_are_valid_and_stable(key):
    minter = IriMinter("https://data.example.com/kg/")
    for iri in (minter.article(key), minter.topic(key), minter.provider(key), minter.image(key),
                minter.source(key)):
        assert iri.startswith("https://data.example.com/kg/") and iri.isascii()
        ox.NamedNode(iri)
    assert minter.topic(key) == IriMinter("https://data.example.com/kg/").topic(key)


@pytest.mark.parametrize("domain", ["https://[", "//[::1", "http://]x.com", "https://a[b]c.com"])
def test_provider_key_survives_broken_bracket_urls(domain):
    assert provider_key(domain) is None


_HOST = st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,12}){0,3}", fullmatch=True)
_PATH = st.text(alphabet="abcXYZ019/%:@!$&'()*+,;=._~-", max_size=40)


@settings(max_examples=400, deadline=None)
@given(scheme=st.sampled_from(["http", "https"]), host=_HOST, path=_PATH)
def test_fast_path_agrees_with_the_full_rules(scheme, host, path):
    """canonical_url returns an already-canonical URL unchanged without splitting it; the
    full rules must agree that such a URL is already canonical."""
    url = f"{scheme}://{host}/{path}"
    assert canonical_url(url) == _canonicalise(url)


@pytest.mark.parametrize(("url", "wanted"), [
    ("https://x-com.cdn.ampproject.org/c/s/x.com/a", "https://x.com/a"),
    ("https://X.com/a", "https://x.com/a"), ("https://x.com:443/a", "https://x.com/a"),
    ("https://x.com/a b", "https://x.com/a%20b"), ("https://x.com", "https://x.com/")])
def test_urls_off_the_fast_path_still_normalise(url, wanted):
    assert canonical_url(url) == _canonicalise(url) == wanted

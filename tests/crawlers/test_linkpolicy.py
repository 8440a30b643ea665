"""The link policy on its own: which URLs a source may request (the hostile-site suite shows it in a crawl)."""
import pytest

from crawlers.linkpolicy import LinkPolicy, RefusedURL, is_non_link, is_private_host, parse_origin
from crawlers.registry import Source


def _policy(endpoint="https://www.bis.gov/press-releases", private=False, **settings):
    return LinkPolicy.for_source(Source(id="s", kind="policy", country="US", language="en", endpoint=endpoint,
                                        spider="feed", parser="feed", settings=settings, private_network=private))


@pytest.mark.parametrize("url", [
    "https://www.bis.gov/press-releases/2024/x", "https://WWW.BIS.GOV./a", "https://www.bis.gov:443/b",
    "http://www.bis.gov/b",  # either scheme on its default port: sites move between them
])
def test_the_sources_own_host_is_allowed(url):
    assert _policy().allows(url)


@pytest.mark.parametrize("url, why", [
    ("file:///proc/self/environ", "scheme file:"), ("data:text/html,x", "scheme data:"), ("ftp://www.bis.gov/x", "scheme ftp:"),
    ("javascript:alert(1)", "scheme javascript:"), ("//www.bis.gov/x", "scheme (none)"), ("http:///x", "without a host"),
    ("https://bis.gov/x", "not one of"), ("https://www.bis.gov.evil.example/x", "not one of"),
    ("https://www.bis.gov:8443/x", "not one of"),
    ("https://www.bis.gov@evil.example/x", "not one of"), ("http://[::1/x", "malformed"),
    ("http://www.bis.gov:99999/x", "malformed"),
])
def test_other_schemes_hosts_and_ports_are_refused(url, why):
    with pytest.raises(RefusedURL, match=why.replace("(", r"\(").replace(")", r"\)")):
        _policy().check(url)


def test_registered_extra_hosts_wildcards_and_token_urls():
    p = _policy("https://api.uspto.gov/api/v1/datasets/products/ptgrxml",
                allowed_hosts=["data.uspto.gov", "*.cloudfront.example", "files.example.org:8443"])
    assert p.allows("https://data.uspto.gov/a.zip") and p.allows("https://d1.cloudfront.example/x")
    assert p.allows("https://cloudfront.example/x") and p.allows("https://files.example.org:8443/x")
    assert not p.allows("https://files.example.org/x") and not p.allows("https://evilcloudfront.example/x")
    ops = LinkPolicy.for_source(Source(id="o", kind="patent", country="INT", language="en", spider="xml_api",
                                       parser="epo_ops", endpoint="https://ops.epo.org/3.2/rest-services/x",
                                       settings={"auth_url": "https://auth.epo.example/token"}))
    assert ops.allows("https://auth.epo.example/token")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.169.254",
                                  "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1", "224.0.0.1",
                                  "2130706433", "0x7f000001", "127.1", "a.localhost"])
def test_private_loopback_and_link_local_hosts(host):
    assert is_private_host(host)


@pytest.mark.parametrize("host", ["www.bis.gov", "8.8.8.8", "2001:4860:4860::8888", "example.org"])
def test_public_hosts(host):
    assert not is_private_host(host)


def test_a_registered_loopback_host_needs_the_registry_flag():
    with pytest.raises(RefusedURL, match="private, loopback"):
        _policy("http://127.0.0.1:8080/list").check("http://127.0.0.1:8080/a")
    flagged = _policy("http://127.0.0.1:8080/list", private=True)
    assert flagged.allows("http://127.0.0.1:8080/a")
    assert not flagged.allows("http://127.0.0.1:8081/a") and not flagged.allows("http://localhost:8080/a")


def test_non_links_and_origins():
    for href in ("javascript:x()", " JavaScript:x", "java\tscript:x", "mailto:a@b", "tel:1", "#top", "", "about:blank"):
        assert is_non_link(href), href
    assert not is_non_link("/view.do?seq=1") and not is_non_link("file:///etc/passwd")
    assert parse_origin("host.example:81").port == 81 and parse_origin("*.example.org").wildcard
    with pytest.raises(ValueError):
        parse_origin("host:port")

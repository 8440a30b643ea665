import datetime as dt

import pytest

from crawlers.demo import data
from crawlers.parsers.base import HostileInput, ParseError
from crawlers.parsers.feeds import parse_feed
from crawlers.parsers.xmlsafe import parse_xml

BOMB = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
        + b']>\n<rss version="2.0"><channel><item><title>&lol9;</title><guid>x</guid></item></channel></rss>')
XXE = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
       b'<rss version="2.0"><channel><item><title>&xxe;</title><guid>x</guid></item></channel></rss>')
ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>arXiv</title>
<entry><id>http://arxiv.org/abs/2401.00001v1</id><published>2024-01-02T18:00:00Z</published>
<title>A  superconducting
 qubit coupler</title><summary>We present a tunable coupler.</summary>
<link href="http://arxiv.org/abs/2401.00001v1" rel="alternate" type="text/html"/>
<link title="pdf" href="http://arxiv.org/pdf/2401.00001v1" rel="related"/></entry></feed>"""


def test_demo_rss_items(ctx_factory):
    docs, errors = parse_feed(data.rss_feed("http://127.0.0.1:1").encode(), ctx_factory(url="http://127.0.0.1:1/f.xml"))
    assert errors == [] and len(docs) == 30
    d = docs[0]
    assert d.source_key == "demo-feed-30" and d.published_basis == "stated" and d.url.endswith("/feeds/items/30.html")
    assert d.published == data.feed_items()[0]["published"].date()


def test_atom_entries(ctx_factory):
    docs, errors = parse_feed(ATOM, ctx_factory(kind="paper"))
    assert errors == []
    d = docs[0]
    assert d.title == "A superconducting qubit coupler" and d.kind == "paper"
    assert d.url == "http://arxiv.org/abs/2401.00001v1" and d.published == dt.date(2024, 1, 2)


def test_html_in_descriptions_is_stripped_and_undated_items_are_inferred(ctx_factory):
    body = (b'<rss version="2.0"><channel><item><title>T</title><link>http://x/1</link>'
            b'<description>&lt;p&gt;Hello &amp;amp; &lt;b&gt;world&lt;/b&gt;&lt;/p&gt;</description></item>'
            b'<item><description>no id, no link</description></item></channel></rss>')
    docs, errors = parse_feed(body, ctx_factory())
    assert docs[0].text == "Hello & world" and docs[0].source_key == "http://x/1"
    assert docs[0].published_basis == "inferred"
    assert len(errors) == 1 and "item #1" in errors[0]


@pytest.mark.parametrize("body", [BOMB, XXE])
def test_entity_tricks_are_refused(ctx_factory, body):
    with pytest.raises(HostileInput, match="entities"):
        parse_feed(body, ctx_factory())


@pytest.mark.parametrize("body, problem", [
    (b"<rss><channel><item>", "malformed XML"), (b"", "empty"), (b"<html><body/></html>", "not an RSS or Atom"),
])
def test_malformed_feeds(ctx_factory, body, problem):
    with pytest.raises(ParseError, match=problem):
        parse_feed(body, ctx_factory())


def test_size_limit():
    with pytest.raises(HostileInput, match="exceeds"):
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", "here", max_bytes=1000)

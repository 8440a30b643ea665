"""A bounded fuzz pass over every parser (JSON APIs, XML APIs, feeds, USPTO XML, HTML lists and pages):
whatever the bytes, a parser returns a page or raises one of the documented kinds (ParseError and its
HostileInput) — never anything else. Derandomized (the same examples every run) and without an example
database, so CI is reproducible; each test is bounded by its number of examples (a few seconds)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.parsers.base import PageContext, ParseError
from crawlers.registry import Source
from crawlers.spider_table import parse_page
from crawlers.spiders.bulk_zip import parse_listing

FUZZ = settings(max_examples=120, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

BOARD = {"list_item": "ul li", "item_link": "a::attr(href)", "item_date": "span::text", "next_page": "a.next::attr(href)",
         "detail_title": "h1::text", "detail_date": "span.date::text", "detail_body": "div.body"}


def make_ctx(source: str, kind: str, settings: dict, content_type: str | None = None) -> PageContext:
    return PageContext(source=source, kind=kind, url="http://127.0.0.1/x", lang="en", jurisdiction="US",
                       fetched_at=dt.datetime(2025, 1, 2, tzinfo=dt.UTC), content_type=content_type, settings=settings)


def _source(spider, parser, **settings):
    return Source(id="fz", kind="patent" if spider in ("xml_api", "bulk_zip") or parser == "patentsview" else "policy",
                  country="US", language="en", endpoint="http://127.0.0.1/x", spider=spider, parser=parser,
                  settings=settings, private_network=True)


def _parse(source, role, body: bytes):
    ctx = make_ctx(source=source.id, kind=source.kind, settings=source.settings)
    try:
        page = parse_page(source, role, body, ctx, {"listed": {"url": "http://127.0.0.1/x", "title": "t", "date": None}})
    except ParseError:
        return None
    assert isinstance(page.errors, list) and all(isinstance(e, str) for e in page.errors)
    return page


# ------------------------------------------------------------------ JSON
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30))
json_values = st.recursive(scalars, lambda kids: st.one_of(st.lists(kids, max_size=4),
                                                           st.dictionaries(st.text(max_size=8), kids, max_size=4)),
                           max_leaves=20)


def shaped(spec, required: tuple[str, ...] = ()):
    """Values of the shape the API documents (`spec`: str, int, [spec], {name: spec}), each part replaced by a
    value of any JSON shape now and then, so the converters meet both near-valid and broken records."""
    if spec is str:
        right = st.one_of(st.text(max_size=20), st.sampled_from(["2024-01-05", "KR", "en", "https://x.org/W1", ""]))
    elif spec is int:
        right = st.integers(min_value=-5, max_value=10**6)
    elif isinstance(spec, list):
        right = st.lists(shaped(spec[0]), max_size=3)
    else:
        right = st.fixed_dictionaries({k: shaped(v) for k, v in spec.items() if k in required},
                                      optional={k: shaped(v) for k, v in spec.items() if k not in required})
    return st.one_of(*[right] * 9, json_values)  # one part in ten broken: most records get deep into the converter


PV = {"patent_id": str, "patent_title": str, "patent_abstract": str, "patent_date": str,
      "application": [{"filing_date": str, "application_id": str}],
      "assignees": [{"assignee_organization": str, "assignee_individual_name_first": str,
                     "assignee_individual_name_last": str, "assignee_country": str}],
      "inventors": [{"inventor_name_first": str, "inventor_name_last": str, "inventor_country": str}],
      "cpc_current": [{"cpc_group_id": str}]}
OA = {"id": str, "doi": str, "title": str, "display_name": str, "publication_date": str, "language": str,
      "abstract_inverted_index": {"word": [int], "other": [int]},
      "authorships": [{"institutions": [{"display_name": str, "country_code": str}], "countries": [str]}],
      "primary_location": {"landing_page_url": str}}
FR = {"document_number": str, "title": str, "abstract": str, "publication_date": str, "type": str,
      "agencies": [{"name": str, "raw_name": str}], "html_url": str}
JSON_APIS = [("patentsview", "patents", PV, ["count", "total_hits", "error"]),
             ("openalex", "results", OA, ["meta", "error"]),
             ("federal_register", "results", FR, ["count", "next_page_url", "errors"])]


@pytest.mark.parametrize("parser, key, spec, top", JSON_APIS, ids=[p[0] for p in JSON_APIS])
def test_json_api_records_of_any_shape(parser, key, spec, top):
    src = _source("json_api", parser)

    @FUZZ
    @given(recs=st.lists(shaped(spec, required=(next(iter(spec)),)), max_size=4),
           extra=st.dictionaries(st.sampled_from(top), json_values, max_size=len(top)))
    def run(recs, extra):
        body = json.dumps({key: recs, **extra}, allow_nan=True).encode()
        _parse(src, "api", body)

    run()


@pytest.mark.parametrize("parser", ["patentsview", "openalex", "federal_register"])
def test_json_api_arbitrary_bytes(parser):
    src = _source("json_api", parser)

    @FUZZ
    @given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                          st.integers(0, 3000).map(lambda n: b'{"results": ' + b"[" * n + b"]" * n + b"}")))
    def run(body):
        _parse(src, "api", body)

    run()


def test_bulk_listing_of_any_shape():
    @FUZZ
    @given(v=json_values, raw=st.binary(max_size=200))
    def run(v, raw):
        for body in (json.dumps({"bulkDataProductBag": v}).encode(), json.dumps(v).encode(), raw):
            try:
                parse_listing(body, "http://127.0.0.1/list", r"ip[ag]\d{6}\.zip")
            except ParseError:
                pass

    run()


# ------------------------------------------------------------------ XML
XML_TOKENS = ["<", ">", "</", "/>", "&", "&amp;", "&lt;", "&#0;", "&#x110000;", "&lsquo;", "<!DOCTYPE r [", "]>",
              "<!ENTITY x \"y\">", "<!ENTITY % p SYSTEM \"http://127.0.0.1:9/p\">", "%p;", "&x;", "<![CDATA[", "]]>",
              "<?xml version=\"1.0\" encoding=\"EUC-KR\"?>", "<?xml version=\"1.0\" encoding=\"UTF-7\"?>", "\x00", "\ufffe",
              "한국어", "日本語", " ", "\n", "=\"", "xmlns:ops=\"http://ops.epo.org\""]


def xml_trees(tags: list[str]):
    text = st.text(alphabet=st.sampled_from(list("abc 12<&>\"'한日\n")), max_size=12)
    leaf = st.builds(lambda t, x: f"<{t}>{x}</{t}>", st.sampled_from(tags), text)
    return st.recursive(leaf, lambda kids: st.builds(
        lambda t, attrs, cs: f"<{t}{attrs}>{''.join(cs)}</{t}>", st.sampled_from(tags),
        st.sampled_from(["", ' status="not found"', ' total-result-count="x"', ' end="9"', ' lang="en"',
                         ' href="javascript:x"']),
        st.lists(kids, max_size=4)), max_leaves=25)


def mutated(sample: str):
    """A valid document with hostile tokens spliced in at random places."""
    return st.lists(st.tuples(st.integers(0, len(sample)), st.sampled_from(XML_TOKENS)), max_size=6).map(
        lambda edits: _splice(sample, edits))


def _splice(sample: str, edits) -> bytes:
    for pos, tok in sorted(edits, reverse=True):
        sample = sample[:pos] + tok + sample[pos:]
    return sample.encode("utf-8", "surrogatepass")


KIPRIS = ('<?xml version="1.0" encoding="UTF-8"?><response><header><resultCode>00</resultCode></header><body><items>'
          '<item><applicationNumber>1020240001</applicationNumber><applicationDate>20240105</applicationDate>'
          '<inventionTitle>반도체</inventionTitle><ipcNumber>H01L 21/02|G06N</ipcNumber><openDate>20240110</openDate>'
          '<applicantName>삼성전자</applicantName></item></items><numOfRows>10</numOfRows><pageNo>1</pageNo>'
          '<totalCount>30</totalCount></body></response>')
EPO = ('<?xml version="1.0"?><ops:world-patent-data xmlns="http://www.epo.org/exchange" xmlns:ops="http://ops.epo.org">'
       '<ops:biblio-search total-result-count="3"><ops:range begin="1" end="1"/><ops:search-result><exchange-documents>'
       '<exchange-document country="EP" doc-number="4000001" kind="A1"><bibliographic-data><publication-reference>'
       '<document-id document-id-type="docdb"><date>20240105</date></document-id></publication-reference>'
       '<invention-title lang="en">Battery</invention-title><parties><applicants><applicant sequence="1" data-format="epodoc">'
       '<applicant-name><name>LG [KR]</name></applicant-name></applicant></applicants></parties></bibliographic-data>'
       '</exchange-document></exchange-documents></ops:search-result></ops:biblio-search></ops:world-patent-data>')
FEED = ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title><item><title>A &amp; B</title>'
        '<link>http://127.0.0.1/a</link><guid>g1</guid><pubDate>Tue, 09 Jan 2024 10:00:00 GMT</pubDate>'
        '<description>&lt;p&gt;text&lt;/p&gt;</description></item></channel></rss>')
USPTO = ('<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE us-patent-grant SYSTEM "x.dtd" [ ]><us-patent-grant>'
         '<us-bibliographic-data-grant><publication-reference><document-id><country>US</country><doc-number>12000001'
         '</doc-number><kind>B2</kind><date>20240102</date></document-id></publication-reference><invention-title>'
         'Memory &lsquo;cell&rsquo;</invention-title></us-bibliographic-data-grant><abstract><p>An abstract.</p></abstract>'
         '</us-patent-grant>')
XML_PARSERS = [
    ("kipris", _source("xml_api", "kipris"), "api", KIPRIS,
     ["response", "header", "resultCode", "body", "items", "item", "applicationNumber", "openDate", "totalCount",
      "pageNo", "numOfRows", "applicantName", "ipcNumber"]),
    ("epo_ops", _source("xml_api", "epo_ops"), "api", EPO,
     ["ops:world-patent-data", "ops:biblio-search", "ops:range", "exchange-document", "bibliographic-data",
      "document-id", "date", "invention-title", "abstract", "parties", "applicant", "name", "fault", "code"]),
    ("feed", _source("feed", "feed"), "feed", FEED,
     ["rss", "channel", "item", "title", "link", "guid", "pubDate", "description", "feed", "entry", "updated", "RDF"]),
    ("uspto", _source("bulk_zip", "uspto_bulk"), "bulk_doc", USPTO,
     ["us-patent-grant", "PATDOC", "patent-application-publication", "us-bibliographic-data-grant",
      "publication-reference", "document-id", "doc-number", "date", "invention-title", "abstract", "B110", "B140"]),
]


@pytest.mark.parametrize("name, source, role, sample, tags", XML_PARSERS, ids=[p[0] for p in XML_PARSERS])
def test_xml_parsers_on_mutated_and_generated_documents(name, source, role, sample, tags):
    @FUZZ
    @given(body=st.one_of(mutated(sample), xml_trees(tags).map(lambda x: x.encode()),
                          xml_trees(tags).map(lambda x: ('<?xml version="1.0" encoding="UTF-16"?>' + x).encode("utf-16")),
                          st.binary(max_size=300)))
    def run(body):
        _parse(source, role, body)

    run()


# ------------------------------------------------------------------ HTML
HTML_BITS = ["<ul>", "</ul>", "<li>", "</li>", "<a href='", "'>", "</a>", "<a class='next' href='", "<span>", "</span>",
             "<span class='date'>2024.01.05</span>", "<h1>", "</h1>", "<div class='body'>", "</div>", "<p>", "</p>",
             "<script>", "</script>", "javascript:alert(1)", "file:///proc/self/environ", "http://[::1", "http://x:99999/",
             "//evil.example/", "data:,x", "&amp;", "&#0;", "<meta charset='utf-7'>", "<meta charset='euc-kr'>",
             "<meta charset='x-unknown'>", "<!--", "-->", "<table>", "<td>", "반도체", "半導体", "\x00", "\r\n"]


@pytest.mark.parametrize("role", ["list", "detail"])
def test_html_lists_and_pages_of_any_shape(role):
    src = _source("html_list", "html_detail", **BOARD)

    def parse(body):
        ctx = make_ctx(source=src.id, kind=src.kind, settings=src.settings, content_type="text/html")
        try:
            if role == "list":
                from crawlers.parsers.html import parse_list_page

                parse_list_page(body, ctx)
            else:
                _parse(src, "detail", body)
        except ParseError:
            pass

    @FUZZ
    @given(parts=st.lists(st.sampled_from(HTML_BITS), max_size=40), enc=st.sampled_from(["utf-8", "cp949", "cp932", "latin-1"]),
           raw=st.binary(max_size=200))
    def run(parts, enc, raw):
        parse("".join(parts).encode(enc, "replace"))
        parse(raw)

    run()

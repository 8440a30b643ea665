"""Hostile sources, every case served from 127.0.0.1 and crawled once by the real spiders (issue 12).

Proof of "never requested" is the servers' own logs: the main site's hit counts per path and a
tripwire listener that counts every connection; proof of "never stored" is a scan of the whole data
directory (every file, every archived body decompressed) for the canaries: an environment variable
the crawler process holds, a local file's content and the configured credentials.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3

import hostile_sites as hs
import pytest

from crawlers.crawl import crawl_sources
from crawlers.demo import LocalSite, Reply
from crawlers.registry import Source
from crawlers.reparse import reparse
from ews.kernel.store import Store

pytestmark = pytest.mark.integration

WINDOW = (dt.date(2024, 2, 1), dt.date(2024, 3, 1))
CANARY = "canary-7f3a91c2-environment"
FILE_CANARY = "canary-local-file-5b2e"
MAILTO = "hostile-mailto@example.invalid"
ENV = {"EWS_TEST_HOSTILE_CANARY": CANARY, "EWS_TEST_HOSTILE_MAILTO": MAILTO}
DETAIL_DATE = "<span class='date'>2024-02-07</span>"
BOARD = {**hs.BOARD, "detail_date": "span.date::text"}


def _src(id_, spider, parser, endpoint, private=True, kind="policy", **settings):
    return Source(id=id_, kind=kind, country="US", language="en", endpoint=endpoint, spider=spider, parser=parser,
                  settings=settings, private_network=private)


def _routes(u: str, trip: int, local_file: str, bulk: dict) -> dict:
    good = hs.GOOD_DETAIL.replace("</h1>", "</h1>" + DETAIL_DATE)
    sjis = hs.SJIS_DETAIL.replace("</h1>", "</h1>" + DETAIL_DATE)
    routes = {
        "/evil/list.html": hs.html(hs.evil_board(u, trip, local_file)),
        "/evil/good.html": hs.html(good),
        "/evil/redirect-file.html": hs.redirect("file:///proc/self/environ"),
        "/evil/redirect-other.html": hs.redirect(f"http://127.0.0.1:{trip}/redirected"),
        "/evil/redirect-metadata.html": hs.redirect("http://169.254.169.254/latest/meta-data/"),
        "/evil/redirect-chain.html": hs.redirect(f"{u}/evil/redirect-other.html?hop=2"),
        "/evil/refresh.html": hs.html(f"<html><head><meta http-equiv='refresh' content='0;url=http://127.0.0.1:{trip}/refresh'>"
                                      "</head><body></body></html>"),
        "/private/list.html": hs.html(hs.evil_board(u, trip, local_file)),
        "/evil/feed-redirect.xml": hs.redirect(f"http://127.0.0.1:{trip}/feed.xml"),
        "/evil/patents": lambda req: Reply(200, hs.patent_page(), {"Content-Type": "application/json"}),
        "/evil/deep": lambda req: Reply(200, hs.deep_json(), {"Content-Type": "application/json"}),
        "/evil/openalex": lambda req: Reply(200, hs.openalex_page(), {
            "Content-Type": "application/json", "X-Echo-Mailto": req.arg("mailto") or "",
            "Set-Cookie": f"session={req.arg('mailto')}"}),
        "/evil/fr": lambda req: Reply(200, hs.federal_register_page(trip), {"Content-Type": "application/json"}),
        "/enc/list.html": hs.html("<html><body><ul class='list'>" + "".join(
            f"<li><a href='/enc/{n}.html'>{n}</a></li>" for n in ("sjis", "utf7", "random", "big")) + "</ul></body></html>"),
        "/enc/sjis.html": hs.html(sjis, "text/html; charset=utf-8", "shift_jis"),
        "/enc/utf7.html": lambda req: Reply(200, hs.UTF7_DETAIL, {"Content-Type": "text/html"}),
        "/enc/random.html": lambda req: Reply(200, hs.random_bytes(), {"Content-Type": "text/html"}),
        "/enc/big.html": lambda req: Reply(200, b"<html><body><div class='body'>" + b"<p>word word</p>" * 700_000
                                           + b"</div></body></html>", {"Content-Type": "text/html; charset=utf-8"}),
        "/enc/cp949.xml": lambda req: Reply(200, hs.CP949_FEED.encode("cp949"), {"Content-Type": "application/rss+xml"}),
        "/evil/bulk/listing": lambda req: Reply(200, hs.json_listing(u, trip), {"Content-Type": "application/json"}),
        "/evil/bulk/files/ipg240206.zip": lambda req: Reply(200, bulk["line"], {"Content-Type": "application/zip"}),
        "/evil/bulk/files/ipg240213.zip": lambda req: Reply(200, bulk["ratio"], {"Content-Type": "application/zip"}),
        "/evil/bulk/files/ipg240227.zip": hs.redirect(f"http://127.0.0.1:{trip}/bulk.zip"),
    }
    for name, body in hs.xml_cases(u).items():
        routes[f"/xml/{name}.xml"] = (lambda b: lambda req: Reply(200, b, {"Content-Type": "application/rss+xml"}))(body)
    return routes


def _sources(u: str) -> list[Source]:
    out = [
        _src("h-board", "html_list", "html_detail", f"{u}/evil/list.html", **BOARD),
        _src("h-private", "html_list", "html_detail", f"{u}/private/list.html", private=False, **BOARD),
        _src("h-feed-redirect", "feed", "feed", f"{u}/evil/feed-redirect.xml"),
        _src("h-patents", "json_api", "patentsview", f"{u}/evil/patents", kind="patent", page_size=100),
        _src("h-deep", "json_api", "patentsview", f"{u}/evil/deep", kind="patent"),
        _src("h-openalex", "json_api", "openalex", f"{u}/evil/openalex", kind="paper",
             mailto_env="EWS_TEST_HOSTILE_MAILTO"),
        _src("h-fr", "json_api", "federal_register", f"{u}/evil/fr"),
        _src("h-enc", "html_list", "html_detail", f"{u}/enc/list.html", **BOARD),
        _src("h-cp949", "feed", "feed", f"{u}/enc/cp949.xml"),
        _src("h-bulk", "bulk_zip", "uspto_bulk", f"{u}/evil/bulk/listing", kind="patent", cpc_filter="none"),
    ]
    out += [_src(f"h-xml-{name}", "feed", "feed", f"{u}/xml/{name}.xml") for name in hs.xml_cases(u)]
    return out


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    home = tmp_path_factory.mktemp("hostile-home")
    local_file = tmp_path_factory.mktemp("local") / "secret.txt"
    local_file.write_text(FILE_CANARY, encoding="utf-8")
    bulk = {"line": hs.one_huge_line_zip(), "ratio": hs.ratio_bomb_zip()}
    saved = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)  # the crawler process inherits them: /proc/self/environ would hold the canary
    try:
        with hs.Tripwire() as trip, LocalSite() as site:
            site.routes.update(_routes(site.url, trip.port, str(local_file), bulk))
            sources = _sources(site.url)
            health = {h.source: h for h in crawl_sources(sources, *WINDOW, home)}
            hits = dict(site.hits)
            connections = trip.connections
        reparsed = {r.source: r for r in reparse(home, sources)}
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    with Store(home) as store:
        docs = {s.id: list(store.iter_documents(source=s.id)) for s in sources}
        raws = [store.get_raw(r["id"]) for r in store.iter_raw()]
        raw_sources = [r["source"] for r in store.iter_raw()]
    return {"home": home, "health": health, "hits": hits, "tripwire": connections, "docs": docs, "raws": raws,
            "raw_sources": raw_sources, "reparse": reparsed, "sources": sources}


def _messages(crawl, source) -> str:
    return "\n".join(crawl["health"][source].error_messages)


# ------------------------------------------------------------------ release blocker: nothing off the source
def test_no_off_list_target_was_ever_connected_to(crawl):
    assert crawl["tripwire"] == 0
    for path in ("/localhost-secret", "/ipv6-secret", "/decimal-secret", "/private/list.html", "/evil/evil.dtd",
                 "/evil/param.dtd", "/evil/xxe-entity", "/userinfo", "/mapped"):
        assert crawl["hits"].get(path, 0) == 0, path


def test_nothing_of_the_environment_or_local_files_is_stored_anywhere(crawl):
    needles = [CANARY, FILE_CANARY, MAILTO, MAILTO.replace("@", "%40"), "TRIPWIRE-BODY"]
    for path in crawl["home"].rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for n in needles:
                assert n.encode() not in data, (path, n)
    for meta, body in crawl["raws"]:
        blob = body + repr(meta).encode()
        for n in needles:
            assert n.encode() not in blob, (meta["url"], n)
    for docs in crawl["docs"].values():
        for d in docs:
            assert not any(n in d.model_dump_json() for n in needles), d.id


def test_every_hostile_link_is_refused_and_the_good_entry_after_them_is_stored(crawl):
    msgs = _messages(crawl, "h-board")
    for needle in ("file:///proc/self/environ", "file://", "data:text/html", "ftp://", "10.0.0.1", "169.254.169.254",
                   "192.168.1.1", "localhost", "[::1]", "2130706433", "not followed"):
        assert needle in msgs, needle
    assert "scheme file: is never fetched" in msgs and "not one of the source's registered hosts" in msgs
    assert crawl["hits"]["/evil/good.html"] == 1
    assert [d.title for d in crawl["docs"]["h-board"]] == ["Export controls on lithography"]
    assert crawl["hits"]["/evil/list.html"] == 1  # the file: next page was refused, not fetched


def test_redirects_and_meta_refresh_off_the_source_are_refused(crawl):
    msgs = _messages(crawl, "h-board")
    assert msgs.count("request refused (redirected from") >= 3, msgs
    assert "/evil/redirect-other.html" in msgs and "/evil/refresh.html" in msgs and "169.254.169.254" in msgs
    assert crawl["hits"]["/evil/redirect-chain.html"] == 1 and crawl["hits"]["/evil/redirect-other.html"] == 2
    assert "request refused" in _messages(crawl, "h-feed-redirect")


def test_a_source_of_an_unflagged_registry_never_requests_a_private_address(crawl):
    h = crawl["health"]["h-private"]
    assert not h.ok and "private, loopback or link-local" in _messages(crawl, "h-private")
    assert crawl["hits"].get("/private/list.html", 0) == 0 and crawl["docs"]["h-private"] == []


def test_bulk_listing_links_redirects_and_bombs_are_refused(crawl):
    msgs = _messages(crawl, "h-bulk")
    assert "file:///proc/self/environ" in msgs and "not one of the source's registered hosts" in msgs
    assert "redirect to" in msgs and "refused" in msgs
    assert msgs.count("bulk file refused") == 2, msgs
    assert crawl["docs"]["h-bulk"] == []
    assert not list((crawl["home"] / "bulk-tmp").glob("*")) if (crawl["home"] / "bulk-tmp").exists() else True


# ------------------------------------------------------------------ one bad record never costs its neighbours
def test_bad_patent_records_are_counted_with_their_position_and_the_good_ones_kept(crawl):
    h = crawl["health"]["h-patents"]
    assert sorted(d.source_key for d in crawl["docs"]["h-patents"]) == ["99000001", "99000002", "99000003"]
    assert h.errors == len(hs.BAD_PATENTS) and h.items == 3
    for i in list(range(1, 6)) + list(range(7, 13)):
        assert f"patent #{i} " in _messages(crawl, "h-patents"), i
    assert "h-patents" in crawl["raw_sources"]  # the page is archived


def test_openalex_and_federal_register_bad_shapes_are_counted_not_dropped(crawl):
    oa, fr = crawl["health"]["h-openalex"], crawl["health"]["h-fr"]
    assert [d.source_key for d in crawl["docs"]["h-openalex"]] == ["W1"] and oa.errors == 4
    assert "authorships" in _messages(crawl, "h-openalex")
    assert [d.source_key for d in crawl["docs"]["h-fr"]] == ["2024-00001"] and fr.errors == 4
    assert "agencies.0" in _messages(crawl, "h-fr") and "leaves the API's site" in _messages(crawl, "h-fr")


def test_deep_json_is_refused_cleanly_and_archived(crawl):
    assert "nested deeper" in _messages(crawl, "h-deep") and crawl["docs"]["h-deep"] == []
    assert "h-deep" in crawl["raw_sources"]


# ------------------------------------------------------------------ encodings and sizes
def test_mislabelled_shift_jis_is_decoded_by_content_and_the_lie_recorded(crawl):
    docs = {d.url.rsplit("/", 1)[-1]: d for d in crawl["docs"]["h-enc"]}
    assert "半導体の輸出管理を強化" in docs["sjis.html"].title and "経済産業省" in docs["sjis.html"].text
    msgs = _messages(crawl, "h-enc")
    assert "labelled utf-8 (header) but the bytes are cp932" in msgs


def test_utf7_binary_and_oversize_pages_are_refused(crawl):
    msgs = _messages(crawl, "h-enc")
    assert "UTF-7 is refused" in msgs and "random.html: binary data" in msgs
    assert "exceeds the 8388608-byte limit" in msgs
    assert set(d.url.rsplit("/", 1)[-1] for d in crawl["docs"]["h-enc"]) == {"sjis.html"}


def test_euc_kr_feed_with_a_cp949_only_syllable_is_read_whole(crawl):
    (d,) = crawl["docs"]["h-cp949"]
    assert d.title.startswith("똠방각하") and crawl["health"]["h-cp949"].errors == 0


# ------------------------------------------------------------------ XML: the parser's settings are the defence
@pytest.mark.parametrize("case", ["late-doctype", "utf16-xxe", "parameter-entity", "xxe-http"])
def test_entity_declarations_anywhere_are_refused(crawl, case):
    assert "declares entities" in _messages(crawl, f"h-xml-{case}") and crawl["docs"][f"h-xml-{case}"] == []


def test_an_external_dtd_is_never_fetched(crawl):
    assert crawl["hits"].get("/evil/evil.dtd", 0) == 0 and crawl["hits"]["/xml/external-dtd.xml"] == 1
    assert crawl["health"]["h-xml-external-dtd"].errors == 0  # a DTD reference alone is no attack: read, never loaded


# ------------------------------------------------------------------ credentials never archived
def test_configured_secrets_are_redacted_in_archived_urls_and_headers(crawl):
    (meta, _), = [r for r, s in zip(crawl["raws"], crawl["raw_sources"]) if s == "h-openalex"]
    assert "mailto=REDACTED" in meta["url"]
    assert meta["headers"]["X-Echo-Mailto"] == "REDACTED" and meta["headers"]["Set-Cookie"] == "REDACTED"


# ------------------------------------------------------------------ ews reparse goes through the same chain
def test_reparse_of_the_hostile_archive_changes_nothing(crawl):
    for source, r in crawl["reparse"].items():
        assert r.inserted == 0 and r.updated == 0, (source, r)
    assert crawl["reparse"]["h-patents"].error_count == len(hs.BAD_PATENTS)
    assert crawl["reparse"]["h-patents"].unchanged == 3


def test_reparse_survives_corrupt_archive_rows(crawl, tmp_path):
    home = tmp_path / "copy"
    shutil.copytree(crawl["home"], home)
    db = sqlite3.connect(home / "ews.sqlite")
    rows = [r[0] for r in db.execute("SELECT id FROM raw WHERE source='h-enc' ORDER BY id")]
    assert len(rows) == 5  # the list, sjis, utf7, random and big pages
    db.execute("UPDATE raw SET body=? WHERE id=?", (b"not gzip at all", rows[0]))
    db.execute("UPDATE raw SET headers=? WHERE id=?", ("{not json", rows[1]))
    db.execute("UPDATE raw SET fetched_at=? WHERE id=?", ("yesterday-ish", rows[2]))
    db.commit()
    db.close()
    (r,) = reparse(home, crawl["sources"], "h-enc")
    text = "\n".join(r.errors)
    assert r.raw == 5 and text.count("unreadable") == 2 and text.count("bad fetch time") == 1, text
    assert r.inserted == 0 and r.updated == 0

"""Hostile sites for the crawler, served from 127.0.0.1: pages whose links, redirects, records, encodings,
XML and sizes are built to hurt. Used by test_hostile_sites (real spiders, one real crawl).

Off-list targets point at a `Tripwire`: a TCP listener on 127.0.0.1 that counts every connection,
whatever the protocol (http, ftp …), so "never requested" is a count of zero, not an absence of errors.
"""
from __future__ import annotations

import gzip
import io
import json
import socket
import threading
import zipfile

from crawlers.demo.server import Reply


class Tripwire:
    """Counts connections on 127.0.0.1:port; any connection at all means a refused URL was requested."""

    def __init__(self):
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="tripwire")

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nTRIPWIRE-BODY")
            except OSError:
                pass
            conn.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)
        self._sock.close()


def html(text: str, content_type: str = "text/html; charset=utf-8", encoding: str = "utf-8"):
    return lambda req: Reply(200, text.encode(encoding), {"Content-Type": content_type})


def redirect(location: str):
    return lambda req: Reply(302, b"", {"Location": location})


BOARD = {"list_item": "ul.list li", "item_link": "a::attr(href)", "next_page": "a.next::attr(href)",
         "detail_title": "h1::text", "detail_body": "div.body"}
GOOD_DETAIL = ("<html><head><meta charset='utf-8'></head><body><h1>Export controls on lithography</h1>"
               "<div class='body'><p>The ministry tightened export controls on lithography systems.</p></div></body></html>")


def evil_links(u: str, trip: int, local_file: str) -> list[str]:
    """The list entries of the hostile board: every way a link may leave the source (and one good entry)."""
    port = u.rsplit(":", 1)[1]
    return [
        "file:///proc/self/environ",                      # the crawler's environment (keys, passwords)
        f"file://{local_file}",                            # any local file
        "data:text/html;base64,PGgxPmRhdGE8L2gxPg==",      # inline documents
        f"ftp://127.0.0.1:{trip}/pub/file.txt",            # another protocol
        "javascript:alert(document.cookie)",               # script: must not stop the list
        "JaVa\tScRiPt:void(0)",
        "mailto:press@example.org",
        "#top",
        "http://10.0.0.1/internal",                        # private network
        "http://169.254.169.254/latest/meta-data/",        # cloud metadata (link-local)
        "http://192.168.1.1/admin",
        f"http://127.0.0.1:{trip}/other-origin",           # a host:port the registry does not name
        f"http://localhost:{port}/localhost-secret",       # the same server by another name
        f"http://[::1]:{port}/ipv6-secret",
        f"http://2130706433:{port}/decimal-secret",        # 127.0.0.1 as one number
        f"http://127.0.0.1:{port}@127.0.0.1:{trip}/userinfo",  # userinfo tricks: the host is the tripwire
        f"http://[::ffff:127.0.0.1]:{trip}/mapped",
        "http://[not-an-ip/broken",                        # a malformed URL
        "/evil/redirect-file.html",                        # allowed page → 302 to file:
        "/evil/redirect-other.html",                       # allowed page → 302 to the tripwire
        "/evil/redirect-metadata.html",                    # allowed page → 302 to 169.254.169.254
        "/evil/redirect-chain.html",                       # allowed → allowed → tripwire
        "/evil/refresh.html",                              # <meta http-equiv=refresh> to the tripwire
        "/evil/good.html",                                 # the one real document, after all of the above
    ]


def evil_board(u: str, trip: int, local_file: str) -> str:
    items = "".join(f"<li><a href='{h}'>entry {i}</a></li>" for i, h in enumerate(evil_links(u, trip, local_file)))
    return f"<html><body><ul class='list'>{items}</ul><a class='next' href='file:///etc/passwd'>next</a></body></html>"


# ------------------------------------------------------------------ records that used to cost their page
GOOD_PATENT = {"patent_id": "99000001", "patent_title": "Quantum processor", "patent_abstract": "Qubits.",
               "patent_date": "2024-02-06", "cpc_current": [{"cpc_group_id": "G06N10/40"}]}
BAD_PATENTS = [
    {**GOOD_PATENT, "patent_id": "b1", "assignees": ["ACME"]},
    {**GOOD_PATENT, "patent_id": "b2", "patent_title": 12345},
    {**GOOD_PATENT, "patent_id": "b3", "inventors": "Kim"},
    {**GOOD_PATENT, "patent_id": "b4", "cpc_current": [7]},
    {**GOOD_PATENT, "patent_id": "b5", "application": "17/123"},
    {**GOOD_PATENT, "patent_id": ["b6"]},
    {**GOOD_PATENT, "patent_id": "b7", "patent_abstract": {"text": "x"}},
    {**GOOD_PATENT, "patent_id": "b8", "assignees": [{"assignee_organization": 5}]},
    {**GOOD_PATENT, "patent_id": "b9", "patent_date": ["2024-02-06"]},
    None,
    {**GOOD_PATENT, "patent_id": True},
]


def patent_page() -> bytes:
    recs = [dict(GOOD_PATENT, patent_id="99000001")] + BAD_PATENTS[:5] + [dict(GOOD_PATENT, patent_id="99000002")] \
        + BAD_PATENTS[5:] + [dict(GOOD_PATENT, patent_id="99000003")]
    return json.dumps({"count": len(recs), "total_hits": len(recs), "patents": recs}).encode()


def openalex_page() -> bytes:
    good = {"id": "https://openalex.org/W1", "title": "Qubits at scale", "publication_date": "2024-02-03",
            "abstract_inverted_index": {"Qubits": [0], "scale": [1]}}
    bad = [dict(good, id="https://openalex.org/W2", authorships="bad"),
           dict(good, id="https://openalex.org/W3", authorships=[{"institutions": "KAIST"}]),
           dict(good, id="https://openalex.org/W4", abstract_inverted_index={"a": "x"}),
           dict(good, id=42)]
    return json.dumps({"meta": {"count": 5, "next_cursor": None}, "results": [good, *bad]}).encode()


def federal_register_page(trip: int) -> bytes:
    good = {"document_number": "2024-00001", "title": "Entity List additions", "publication_date": "2024-02-05",
            "agencies": [{"name": "Industry and Security Bureau"}], "html_url": "https://example.org/fr/1"}
    bad = [dict(good, document_number="2024-00002", agencies=["x"]),
           dict(good, document_number=2024),
           dict(good, document_number="2024-00004", title=["a"])]
    return json.dumps({"count": 4, "results": [good, *bad],
                       "next_page_url": f"http://127.0.0.1:{trip}/fr-next"}).encode()


def deep_json(depth: int = 100_000) -> bytes:
    return b'{"patents": ' + b"[" * depth + b"]" * depth + b"}"


# ------------------------------------------------------------------ encodings
SJIS_DETAIL = ("<html><head><meta charset='utf-8'><title>t</title></head><body><h1>半導体の輸出管理を強化</h1>"
               "<div class='body'><p>経済産業省は先端半導体製造装置の輸出管理を強化すると発表しました。</p></div></body></html>")
CP949_FEED = ('<?xml version="1.0" encoding="EUC-KR"?><rss version="2.0"><channel><title>t</title><item>'
              '<title>똠방각하 반도체 수출 통제</title><guid>kr-1</guid><pubDate>Mon, 05 Feb 2024 09:00:00 GMT</pubDate>'
              '<description>산업통상자원부는 반도체 수출 통제를 강화한다.</description></item></channel></rss>')
UTF7_DETAIL = (b"<html><head><meta charset='utf-7'></head><body><h1>+ADw-script+AD4-alert(1)+ADw-/script+AD4-</h1>"
               b"<div class='body'><p>x</p></div></body></html>")


def random_bytes(n: int = 75_000) -> bytes:
    import random

    rng = random.Random(7)
    return bytes(rng.getrandbits(8) for _ in range(n))


# ------------------------------------------------------------------ XML that must not be expanded or fetched
def xml_cases(u: str) -> dict[str, bytes]:
    item = "<item><title>&x;</title><guid>g</guid></item>"
    return {
        "late-doctype": (b'<?xml version="1.0"?><!--' + b"x" * 70_000 + b'--><!DOCTYPE rss [<!ENTITY x "expanded">]>'
                         b'<rss version="2.0"><channel>' + item.encode() + b"</channel></rss>"),
        "utf16-xxe": ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///proc/self/environ">]>'
                      f'<rss version="2.0"><channel>{item}</channel></rss>').encode("utf-16"),
        "external-dtd": (f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{u}/evil/evil.dtd">'
                         '<rss version="2.0"><channel><item><title>t</title><guid>g</guid></item></channel></rss>').encode(),
        "parameter-entity": (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY % p SYSTEM "{u}/evil/param.dtd"> %p;]>'
                             '<rss version="2.0"><channel><item><title>t</title><guid>g</guid></item></channel></rss>').encode(),
        "xxe-http": (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "{u}/evil/xxe-entity">]>'
                     f'<rss version="2.0"><channel>{item}</channel></rss>').encode(),
    }


# ------------------------------------------------------------------ bulk zips beyond the caps
def zip_of(member: str, chunks) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(member, "w", force_zip64=True) as out:
            for c in chunks:
                out.write(c)
    return buf.getvalue()


def one_huge_line_zip(mb: int = 40) -> bytes:
    return zip_of("ipg240206.xml", (b"a" * (1024 * 1024) for _ in range(mb)))


def ratio_bomb_zip(mb: int = 100) -> bytes:
    line = b"<p>" + b"b" * 1020 + b"</p>\n"
    return zip_of("ipg240213.xml", (line * 1024 for _ in range(mb)))


def gz(body: bytes) -> bytes:
    return gzip.compress(body)


def echo_secret_headers(secret: str):
    """An API that echoes a credential back in its response headers (some do, in debug modes)."""
    body = json.dumps({"meta": {"count": 0, "next_cursor": None}, "results": []}).encode()

    def route(req):
        return Reply(200, body, {"Content-Type": "application/json", "X-Echo-Mailto": req.arg("mailto") or "",
                                 "Set-Cookie": f"session={secret}"})
    return route


def json_listing(u: str, trip: int) -> bytes:
    """A bulk product listing (USPTO ODP format) whose file links leave the source, or lead to bombs."""
    def f(name, uri):
        d = f"20{name[3:5]}-{name[5:7]}-{name[7:9]}"
        return {"fileName": name, "fileDownloadURI": uri, "fileDataFromDate": d, "fileReleaseDate": d}
    files = [f("ipg240201.zip", "file:///proc/self/environ"),
             f("ipg240202.zip", f"http://127.0.0.1:{trip}/ipg240202.zip"),
             f("ipg240206.zip", f"{u}/evil/bulk/files/ipg240206.zip"),
             f("ipg240213.zip", f"{u}/evil/bulk/files/ipg240213.zip"),
             f("ipg240227.zip", f"{u}/evil/bulk/files/ipg240227.zip")]
    return json.dumps({"bulkDataProductBag": [{"productFileBag": {"fileDataBag": files}}]}).encode()

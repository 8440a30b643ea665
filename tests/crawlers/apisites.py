"""Responses in the real formats of the Federal Register, OpenAlex, EPO OPS, KIPRIS Plus and USPTO bulk
APIs, generated here and served by routes of a LocalSite on 127.0.0.1 (real HTTP, no mocks)."""
from __future__ import annotations

import base64
import datetime as dt
import io
import json
import zipfile
from urllib.parse import urlencode

from crawlers.demo.server import Reply, json_reply

WINDOW = (dt.date(2024, 1, 1), dt.date(2024, 2, 1))
EPO_KEY, EPO_SECRET = "test-ops-key", "test-ops-secret"
KIPRIS_KEY = "kipris-secret-value-123"
ODP_KEY = "odp-key-456"


# ------------------------------------------------------------------------------ Federal Register
def fr_records(n: int = 25) -> list[dict]:
    out = []
    for i in range(n):
        day = WINDOW[0] + dt.timedelta(days=i % 31)
        out.append({"document_number": f"2024-{i + 100:05d}",
                    "title": f"Additions to the Entity List: advanced computing items {i}",
                    "abstract": f"BIS revises export controls on semiconductor manufacturing items, rule {i}.",
                    "publication_date": day.isoformat(), "type": "Rule",
                    "agencies": [{"raw_name": "DEPARTMENT OF COMMERCE", "name": "Commerce Department", "id": 54,
                                  "slug": "commerce-department"},
                                 {"raw_name": "Bureau of Industry and Security", "name": "Industry and Security Bureau",
                                  "id": 241, "slug": "industry-and-security-bureau"}],
                    "html_url": f"https://www.federalregister.gov/documents/{day:%Y/%m/%d}/2024-{i + 100:05d}/x",
                    "pdf_url": f"https://www.govinfo.gov/content/pkg/FR-{day}/pdf/2024-{i + 100:05d}.pdf"})
    return out


def federal_register_route(site):
    def route(req):
        per_page = int(req.arg("per_page", "20"))
        page = int(req.arg("page", "1"))
        gte = req.arg("conditions[publication_date][gte]")
        lte = req.arg("conditions[publication_date][lte]")
        recs = [r for r in fr_records() if gte <= r["publication_date"] <= lte]
        chunk = recs[(page - 1) * per_page: page * per_page]
        body = {"count": len(recs), "description": "Documents matching your search",
                "total_pages": -(-len(recs) // per_page), "results": chunk}
        if page * per_page < len(recs):
            q = {k: v for k, v in req.query.items()}
            q["page"] = [str(page + 1)]
            body["next_page_url"] = f"{site.url}{req.path}?" + urlencode(q, doseq=True)
        return json_reply(body)
    return route


# ------------------------------------------------------------------------------ OpenAlex
def openalex_works(n: int = 12) -> list[dict]:
    out = []
    for i in range(n):
        words = f"We demonstrate a superconducting qubit array with error rates below threshold number {i}".split()
        inv: dict = {}
        for p, w in enumerate(words):
            inv.setdefault(w, []).append(p)
        out.append({"id": f"https://openalex.org/W40000{i:04d}", "doi": f"https://doi.org/10.1234/q.{i}",
                    "title": f"Scalable superconducting qubits {i}", "display_name": f"Scalable superconducting qubits {i}",
                    "publication_date": (WINDOW[0] + dt.timedelta(days=i)).isoformat(), "language": "en",
                    "abstract_inverted_index": inv,
                    "authorships": [
                        {"author_position": "first", "author": {"display_name": "Min-jun Lee"},
                         "institutions": [{"display_name": "KAIST", "country_code": "KR"}], "countries": ["KR"]},
                        {"author_position": "middle", "author": {"display_name": "Ji-woo Park"},
                         "institutions": [{"display_name": "Seoul National University", "country_code": "KR"}],
                         "countries": ["KR"]},
                        {"author_position": "last", "author": {"display_name": "Ann Smith"},
                         "institutions": [{"display_name": "MIT", "country_code": "US"}], "countries": ["US"]}],
                    "primary_location": {"landing_page_url": f"https://example.org/q{i}"}})
    return out


def openalex_route(req):
    per = int(req.arg("per-page", "25"))
    cursor = req.arg("cursor")
    works = openalex_works()
    start = 0 if cursor == "*" else int(cursor.split("-")[1])
    chunk = works[start:start + per]
    nxt = f"c-{start + per}" if start + per < len(works) else None
    return json_reply({"meta": {"count": len(works), "db_response_time_ms": 12, "page": None, "per_page": per,
                                "next_cursor": nxt, "groups_count": None}, "results": chunk, "group_by": []})


# ------------------------------------------------------------------------------ EPO OPS
EPO_DOC = """<exchange-document system="ops.epo.org" family-id="{fam}" country="{cc}" doc-number="{num}" kind="A1">
<bibliographic-data><publication-reference><document-id document-id-type="docdb"><country>{cc}</country><doc-number>{num}</doc-number><kind>A1</kind><date>{date}</date></document-id></publication-reference>
<classifications-ipcr><classification-ipcr sequence="1"><text>H01M  10/   0525          A I</text></classification-ipcr></classifications-ipcr>
<patent-classifications><patent-classification sequence="1"><classification-scheme office="EP" scheme="CPCI"/><section>H</section><class>01</class><subclass>M</subclass><main-group>10</main-group><subgroup>0525</subgroup></patent-classification></patent-classifications>
<application-reference><document-id document-id-type="docdb"><country>{cc}</country><doc-number>2022{num}</doc-number><kind>A</kind></document-id><document-id document-id-type="epodoc"><doc-number>{cc}2022{num}</doc-number><date>20220801</date></document-id></application-reference>
<parties><applicants><applicant sequence="1" data-format="epodoc"><applicant-name><name>LG ENERGY SOLUTION LTD [KR]</name></applicant-name></applicant></applicants>
<inventors><inventor sequence="1" data-format="epodoc"><inventor-name><name>PARK JIYOUNG [KR]</name></inventor-name></inventor></inventors></parties>
<invention-title lang="en">Lithium secondary battery {num}</invention-title></bibliographic-data>
<abstract lang="en"><p>A cathode active material for a lithium-ion battery.</p></abstract></exchange-document>"""
EPO_TOTAL = 230


def epo_search_xml(first: int, last: int, total: int = EPO_TOTAL) -> bytes:
    last = min(last, total)
    docs = "".join(EPO_DOC.format(fam=i, cc="EP", num=f"4{i:06d}", date=f"202401{1 + i % 28:02d}")
                   for i in range(first, last + 1))
    return (f'<?xml version="1.0" encoding="UTF-8"?><?xml-stylesheet type="text/xsl" href="/3.2/style/exchange.xsl"?>'
            f'<ops:world-patent-data xmlns="http://www.epo.org/exchange" xmlns:ops="http://ops.epo.org" '
            f'xmlns:xlink="http://www.w3.org/1999/xlink"><ops:biblio-search total-result-count="{total}">'
            f'<ops:query syntax="CQL" family="false">pd within "20240101,20240131"</ops:query>'
            f'<ops:range begin="{first}" end="{last}"/><ops:search-result><exchange-documents>{docs}'
            f'</exchange-documents></ops:search-result></ops:biblio-search></ops:world-patent-data>').encode()


FAULT = ('<?xml version="1.0" encoding="UTF-8"?><fault xmlns="http://ops.epo.org"><code>{code}</code>'
         '<message>{msg}</message></fault>')


class EpoServer:
    """Token endpoint and search: the first token that asks for a second page is refused (expired), as OPS does.

    Which source gets which token depends on scheduling, so the expiry is tied to the paging, not to a token name.
    """

    def __init__(self):
        self.tokens_issued = 0
        self.valid: set[str] = set()
        self.expired_one = False

    def token(self, req):
        want = "Basic " + base64.b64encode(f"{EPO_KEY}:{EPO_SECRET}".encode()).decode()
        if req.method != "POST" or req.headers.get("authorization") != want or req.body != b"grant_type=client_credentials":
            return json_reply({"error": "invalid_client", "error_description": "Invalid client credentials"}, 401)
        self.tokens_issued += 1
        tok = f"tok-{self.tokens_issued}"
        self.valid.add(tok)
        return json_reply({"refresh_token_expires_in": "0", "api_product_list": "['ops-prod']",
                           "organization_name": "test", "token_type": "BearerToken", "issued_at": "1700000000000",
                           "client_id": EPO_KEY, "access_token": tok, "application_name": "t", "scope": "core",
                           "expires_in": "1199", "refresh_count": "0", "status": "approved"})

    def search(self, req):
        tok = (req.headers.get("authorization") or "").removeprefix("Bearer ")
        first, last = (int(x) for x in req.arg("Range", "1-25").split("-"))
        if first > 1 and not self.expired_one:
            self.expired_one = True
            self.valid.discard(tok)
        if tok not in self.valid:
            return Reply(400, FAULT.format(code="CLIENT.InvalidAccessToken", msg="invalid access token").encode(),
                         {"Content-Type": "application/xml"})
        return Reply(200, epo_search_xml(first, last), {"Content-Type": "application/xml",
                                                        "X-Throttling-Control": "idle (search=green:30)"})


def epo_empty(req):
    return Reply(404, FAULT.format(code="SERVER.EntityNotFound", msg="No results found").encode(),
                 {"Content-Type": "application/xml"})


# ------------------------------------------------------------------------------ KIPRIS Plus
KIPRIS_TOTAL = 120


def kipris_xml(page: int, rows: int, total: int = KIPRIS_TOTAL) -> bytes:
    items = []
    for i in range((page - 1) * rows, min(page * rows, total)):
        items.append(f"<item><indexNo>{i + 1}</indexNo><registerStatus>공개</registerStatus>"
                     f"<inventionTitle>고체 전해질을 포함하는 리튬 이차전지 {i}</inventionTitle>"
                     f"<ipcNumber>H01M 10/0562|H01M 10/052</ipcNumber><registerNumber></registerNumber><registerDate></registerDate>"
                     f"<applicationNumber>10202200{i:05d}</applicationNumber><applicationDate>20220715</applicationDate>"
                     f"<openNumber>10202400{i:05d}</openNumber><openDate>202401{1 + i % 28:02d}</openDate>"
                     f"<publicationNumber></publicationNumber><publicationDate></publicationDate>"
                     f"<astrtCont>황화물계 고체 전해질과 양극 활물질을 포함하는 전고체 전지가 개시된다.</astrtCont>"
                     f"<drawing>http://plus.kipris.or.kr/img/{i}.jpg</drawing>"
                     f"<applicantName>삼성에스디아이 주식회사|현대자동차주식회사</applicantName></item>")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><response><header><successYN>Y</successYN>'
            '<resultCode>00</resultCode><resultMsg>NORMAL SERVICE.</resultMsg></header><body><items>'
            + "".join(items) + f'</items><numOfRows>{rows}</numOfRows><pageNo>{page}</pageNo>'
            f'<totalCount>{total}</totalCount></body></response>').encode("utf-8")


def kipris_route(req):
    if req.arg("ServiceKey") != KIPRIS_KEY:
        return Reply(200, (b'<?xml version="1.0" encoding="UTF-8"?><response><header><successYN>N</successYN>'
                           b'<resultCode>30</resultCode><resultMsg>SERVICE KEY IS NOT REGISTERED ERROR.</resultMsg>'
                           b'</header></response>'), {"Content-Type": "application/xml"})
    if req.arg("openDate") != "20240101~20240131":
        return Reply(400, b"bad date", {"Content-Type": "text/plain"})
    return Reply(200, kipris_xml(int(req.arg("pageNo", "1")), int(req.arg("numOfRows", "10"))),
                 {"Content-Type": "application/xml;charset=UTF-8"})


# ------------------------------------------------------------------------------ USPTO bulk
V45 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v47-2022-02-17.dtd" [ ]>
<us-patent-grant lang="EN" dtd-version="v4.7 2022-02-17" country="US"><us-bibliographic-data-grant>
<publication-reference><document-id><country>US</country><doc-number>{num}</doc-number><kind>B2</kind><date>20240102</date></document-id></publication-reference>
<application-reference appl-type="utility"><document-id><country>US</country><doc-number>17{num}</doc-number><date>20220301</date></document-id></application-reference>
<classifications-cpc><main-cpc><classification-cpc><section>{s}</section><class>{c}</class><subclass>{sc}</subclass><main-group>{g}</main-group><subgroup>{sg}</subgroup></classification-cpc></main-cpc></classifications-cpc>
<invention-title id="d2e43">{title} &mdash; {num}</invention-title>
<us-parties><us-applicants><us-applicant sequence="001" app-type="applicant" designation="us-only"><addressbook><orgname>{org}</orgname><address><country>{cc}</country></address></addressbook></us-applicant></us-applicants>
<inventors><inventor sequence="001" designation="us-only"><addressbook><last-name>Kim</last-name><first-name>Minsu</first-name><address><city>Seoul</city><country>KR</country></address></addressbook></inventor></inventors></us-parties>
</us-bibliographic-data-grant><abstract id="abstract"><p id="p-0001">{abstract}</p></abstract>
<description id="description"><p id="p-0002">{padding}</p></description></us-patent-grant>
"""
IN_TAXONOMY = ("H", "10", "B", "12", "00", "Memory cell with a stacked capacitor", "Samsung Electronics Co., Ltd.", "KR")
OUTSIDE = ("A", "01", "B", "1", "00", "Garden spade with a folding handle", "Acme Tools Inc.", "US")


def bulk_zip_bytes(n: int = 1500, padding: int = 1500) -> bytes:
    """A weekly-style file: one zip member concatenating n grant documents; every third one in the taxonomy."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("ipg240102.xml", "w") as member:
            for i in range(n):
                s, c, sc, g, sg, title, org, cc = IN_TAXONOMY if i % 3 == 0 else OUTSIDE
                member.write(V45.format(num=f"{12000000 + i}", s=s, c=c, sc=sc, g=g, sg=sg, title=title, org=org,
                                        cc=cc, abstract=f"Abstract of document {i}.",
                                        padding=("Detailed description. " * (padding // 22))).encode())
    return buf.getvalue()


def odp_listing(site_url: str, names: list[str]) -> dict:
    files = []
    for name in names:
        d = dt.date(2000 + int(name[3:5]), int(name[5:7]), int(name[7:9]))
        files.append({"fileName": name, "fileSize": 1000, "fileDataFromDate": d.isoformat(),
                      "fileDataToDate": d.isoformat(), "fileTypeText": "Data", "fileReleaseDate": d.isoformat(),
                      "fileDownloadURI": f"{site_url}/bulk/files/{name}", "fileLastModifiedDateTime": f"{d}T00:00:00"})
    return {"count": 1, "bulkDataProductBag": [{"productIdentifier": "PTGRXML",
                                                "productTitleText": "Patent Grant Full-Text Data (No Images) - XML",
                                                "productFileBag": {"count": len(files), "fileDataBag": files}}]}


def json_body(obj) -> bytes:
    return json.dumps(obj).encode()

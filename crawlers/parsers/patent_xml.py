"""Patent XML: USPTO bulk full text (every format generation since 2001) and EPO OPS exchange documents.

USPTO generations, told apart by the root element:
- `PATDOC` — grants 2001-2004 (ST.32 "SGML-era" XML v2.4/2.5: B110 number, B220 filing date, B721 inventors …);
- `patent-application-publication` — applications 2001-2004 (v1.5/1.6);
- `us-patent-grant` / `us-patent-application` — 2005 onwards (v4.0-v4.7; `parties` before 2012, `us-parties` after;
  `classification-ipc` before 2006, `classifications-ipcr` and from 2013 `classifications-cpc`).
Weekly bulk files concatenate thousands of such documents in one zipped file: `iter_bulk_documents`
splits that stream one document at a time, so a multi-gigabyte file is never held in memory.
"""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Iterator
from typing import IO

from lxml import etree

from crawlers.parsers.base import RECORD_ERRORS, HostileInput, PageContext, ParseError, validation_summary
from crawlers.parsers.xmlsafe import parse_xml
from ews.kernel.schema import Document, Party, PatentInfo, normalize_cpc

# ----------------------------------------------------------------------------------------- helpers

def _t(el) -> str:
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _f(el, path: str):
    """First match of a slash path of local names ('a/b/c'), any namespace."""
    return el.find("/".join("{*}" + p if p not in (".", "..") else p for p in path.split("/"))) if el is not None else None


def _fa(el, path: str) -> list:
    return el.findall("/".join("{*}" + p for p in path.split("/"))) if el is not None else []


def _desc(el, name: str) -> list:
    return list(el.iter("{*}" + name)) if el is not None else []


def _date(text: str | None) -> dt.date | None:
    text = (text or "").strip()
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", text)
    if not m:
        return None
    y, mo, d = map(int, m.groups())
    try:
        return dt.date(y, mo, d if d else 1)
    except ValueError:
        return None


def _country(text: str | None) -> str | None:
    text = (text or "").strip().upper()
    return text if re.fullmatch(r"[A-Z]{2}", text) else None


def _classes(symbols) -> list[str]:
    out = []
    for s in symbols:
        try:
            out.append(normalize_cpc(s))
        except ValueError:
            continue  # a malformed class on one document must not lose the document
    return list(dict.fromkeys(out))


def _structured_class(el) -> str | None:
    parts = [_t(_f(el, n)) for n in ("section", "class", "subclass", "main-group", "subgroup")]
    return f"{parts[0]}{parts[1]}{parts[2]} {parts[3]}/{parts[4]}" if all(parts) else None


def _compact_ipc(text: str) -> str | None:
    """'G06F017/60' / 'G06F 1516' / 'H01L 21/00' (the pre-2006 text forms) → 'G06F 17/60'."""
    text = text.strip().upper()
    m = re.match(r"^([A-H]\d{2}[A-Z])\s*(\d{1,4})\s*/\s*(\d{1,6})", text)
    if m:
        return f"{m[1]} {int(m[2])}/{m[3]}"
    m = re.match(r"^([A-H]\d{2}[A-Z])\s*(\d{3,7})$", text.replace(" ", "")[:4] + " " + text.replace(" ", "")[4:])
    if m:
        digits = m[2]
        # ST.32 writes main group and a 2-digit subgroup run together ('1516' = 15/16, '0100' = 1/00).
        return f"{m[1]} {int(digits[:-2])}/{digits[-2:]}"
    return None


def _name(el) -> str:
    org = _t(_f(el, "orgname")) or _t(_f(el, "organization-name"))
    if org:
        return org
    first = _t(_f(el, "first-name")) or _t(_f(el, "given-name"))
    last = _t(_f(el, "last-name")) or _t(_f(el, "family-name"))
    return " ".join(x for x in (first, last) if x)


def _party(el, country_paths=("address/country", "residence/country-code", "country-code", "country")) -> Party | None:
    book = _f(el, "addressbook") if _f(el, "addressbook") is not None else el
    name = _name(book) or _name(el)
    if not name:
        return None
    country = None
    for p in country_paths:
        country = _country(_t(_f(book, p)) or _t(_f(el, p)))
        if country:
            break
    if country is None:
        country = _country(_t(_f(el, "residence/residence-us/country-code"))) or _country(
            _t(_f(el, "residence/residence-non-us/country-code")))
    if country is None and _f(el, "residence/residence-us") is not None:
        country = "US"
    return Party(name=name, country=country)


# ------------------------------------------------------------------------------ USPTO bulk stream

_DOC_START = re.compile(rb"<\?xml[^>]*\?>")

# Caps of the bulk path. A weekly USPTO file is 0.1-1.5 GB zipped and XML compresses about 10:1; one
# document is at most a few MB and its longest line a few hundred KB. Anything far beyond is refused
# while streaming, before it is held: a 6 MB zip holding one 6 GiB line used to exhaust memory.
MAX_DOC_BYTES = 64 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024
MAX_MEMBER_BYTES = 32 * 1024**3
MAX_RATIO = 200          # decompressed bytes per compressed byte of a member
RATIO_SLACK = 16 * 1024 * 1024  # small members compress oddly; the ratio guard starts above this


def iter_bulk_documents(stream: IO[bytes], max_doc_bytes: int = MAX_DOC_BYTES,
                        max_line_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """Split a concatenation of XML documents (a USPTO weekly file) into one bytes object per document."""
    buf: list[bytes] = []
    size = 0
    while True:
        line = stream.readline(max_line_bytes + 1)
        if not line:
            break
        if len(line) > max_line_bytes:
            raise HostileInput(f"a line of the bulk file exceeds {max_line_bytes} bytes; refused")
        if line.lstrip().startswith(b"<?xml") and buf:
            yield b"".join(buf)
            buf, size = [], 0
        buf.append(line)
        size += len(line)
        if size > max_doc_bytes:
            raise HostileInput(f"one document in the bulk file exceeds {max_doc_bytes} bytes; refusing to buffer it")
    if buf:
        doc = b"".join(buf)
        if doc.strip():
            yield doc


class CappedMember:
    """A zip member's stream that stops at MAX_MEMBER_BYTES and at MAX_RATIO times its compressed size."""

    def __init__(self, member, info, max_bytes: int, max_ratio: int):
        self.member, self.read_bytes = member, 0
        self.limit = min(max_bytes, max(RATIO_SLACK, info.compress_size * max_ratio))
        self.name = info.filename

    def readline(self, limit: int = -1) -> bytes:
        line = self.member.readline(limit)
        self.read_bytes += len(line)
        if self.read_bytes > self.limit:
            raise HostileInput(f"{self.name}: decompresses beyond {self.limit} bytes (a decompression bomb?); refused")
        return line


def iter_bulk_zip(path, max_doc_bytes: int = MAX_DOC_BYTES, max_line_bytes: int = MAX_LINE_BYTES,
                  max_member_bytes: int = MAX_MEMBER_BYTES, max_ratio: int = MAX_RATIO) -> Iterator[tuple[str, bytes]]:
    """(member name, document bytes) for every XML document in every .xml/.sgm member of a zip, streamed."""
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith((".xml", ".sgm", ".sgml", ".txt")):
                continue
            if info.file_size > max_member_bytes:
                raise HostileInput(f"{info.filename}: declares {info.file_size} bytes, over {max_member_bytes}; refused")
            with zf.open(info) as member:
                capped = CappedMember(member, info, max_member_bytes, max_ratio)
                for doc in iter_bulk_documents(capped, max_doc_bytes, max_line_bytes):
                    yield info.filename, doc


def uspto_generation(root) -> str:
    return etree.QName(root).localname


def parse_uspto_document(body: bytes, ctx: PageContext) -> Document:
    """One USPTO bulk XML document (any generation) → a patent Document."""
    root = parse_xml(body, ctx.where, lenient_entities=True)
    gen = uspto_generation(root)
    if gen in ("us-patent-grant", "us-patent-application"):
        info, title, abstract = _v4(root)
    elif gen == "PATDOC":
        info, title, abstract = _patdoc(root)
    elif gen == "patent-application-publication":
        info, title, abstract = _pap(root)
    else:
        raise ParseError(f"{ctx.where}: not a USPTO patent document (root <{gen}>)")
    if not info.publication_number:
        raise ParseError(f"{ctx.where}: {gen} without a document number")
    published = info.publication_date
    return Document.build(source=ctx.source, source_key=info.publication_number, kind="patent",
                          url=f"https://patents.google.com/patent/{info.publication_number}",
                          title=title, text=abstract, lang="en", published=published,
                          published_basis="stated" if published else "inferred", fetched_at=ctx.fetched_at,
                          jurisdiction="US", patent=info)


def _v4(root):
    bib = _f(root, "us-bibliographic-data-grant")
    if bib is None:
        bib = _f(root, "us-bibliographic-data-application")
    pub = _f(bib, "publication-reference/document-id")
    app = _f(bib, "application-reference/document-id")
    number = _t(_f(pub, "doc-number"))
    kind = _t(_f(pub, "kind"))
    pub_date = _date(_t(_f(pub, "date")))
    prio = [_date(_t(_f(p, "date"))) for p in _fa(bib, "priority-claims/priority-claim")]
    cpc = [_structured_class(c) for c in _desc(_f(bib, "classifications-cpc"), "classification-cpc")]
    ipc = [_structured_class(c) for c in _desc(_f(bib, "classifications-ipcr"), "classification-ipcr")]
    if not ipc:
        old = _f(bib, "classification-ipc")
        ipc = [_compact_ipc(_t(e)) for e in (_fa(old, "main-classification") + _fa(old, "further-classification"))]
    parties = _f(bib, "us-parties") if _f(bib, "us-parties") is not None else _f(bib, "parties")
    inventors, applicants = [], []
    for inv in _fa(parties, "inventors/inventor"):
        p = _party(inv)
        if p:
            inventors.append(p)
    for a in _fa(parties, "us-applicants/us-applicant") + _fa(parties, "applicants/applicant"):
        p = _party(a)
        if p is None:
            continue
        if a.get("app-type") == "applicant-inventor" or "inventor" in (a.get("app-type") or ""):
            if not inventors or a.getparent().tag.endswith("applicants") and not _fa(parties, "inventors/inventor"):
                inventors.append(p)
        if a.get("app-type") == "applicant" or _t(_f(a, "addressbook/orgname")):
            applicants.append(p)
    for asg in _fa(bib, "assignees/assignee"):
        p = _party(asg)
        if p and p.name not in {x.name for x in applicants}:
            applicants.append(p)
    if not applicants:
        applicants = list(inventors)  # no assignee: the inventors own the patent
    is_grant = etree.QName(root).localname == "us-patent-grant"
    info = PatentInfo(application_number=_t(_f(app, "doc-number")) or None, application_date=_date(_t(_f(app, "date"))),
                      publication_number=f"US{number.lstrip('0') if is_grant else number}{kind}" if number else None,
                      publication_date=pub_date, grant_date=pub_date if is_grant else None,
                      priority_date=min((d for d in prio if d), default=None),
                      applicants=applicants, inventors=inventors, cpc=_classes(x for x in cpc if x),
                      ipc=_classes(x for x in ipc if x))
    title = _t(_f(bib, "invention-title"))
    abstract = _t(_f(root, "abstract"))
    return info, title, abstract


def _patdoc(root):
    bib = _f(root, "SDOBI")
    number = _t(_f(bib, "B100/B110/DNUM"))
    kind = _t(_f(bib, "B100/B130"))
    pub_date = _date(_t(_f(bib, "B100/B140/DATE")))
    ipc = [_compact_ipc(_t(e)) for e in _fa(bib, "B500/B510/B511") + _fa(bib, "B500/B510/B512")]
    inventors = []
    for inv in _desc(_f(bib, "B700"), "B721"):
        nam = _f(inv, "PARTY-US/NAM") if _f(inv, "PARTY-US/NAM") is not None else _desc(inv, "NAM")[0] if _desc(inv, "NAM") else None
        name = " ".join(x for x in (_t(_f(nam, "FNM")), _t(_f(nam, "SNM"))) if x) or _t(_f(nam, "ONM"))
        ctry = _country(_t(_desc(inv, "CTRY")[0]) if _desc(inv, "CTRY") else None)
        if name:
            inventors.append(Party(name=name, country=ctry or ("US" if _desc(inv, "STATE") else None)))
    applicants = []
    for asg in _desc(_f(bib, "B700"), "B731"):
        name = _t(_desc(asg, "ONM")[0]) if _desc(asg, "ONM") else _t(_desc(asg, "NAM")[0]) if _desc(asg, "NAM") else ""
        ctry = _country(_t(_desc(asg, "CTRY")[0]) if _desc(asg, "CTRY") else None)
        if name:
            applicants.append(Party(name=name, country=ctry or ("US" if _desc(asg, "STATE") else None)))
    info = PatentInfo(application_number=_t(_f(bib, "B200/B210/DNUM")) or None,
                      application_date=_date(_t(_f(bib, "B200/B220/DATE"))),
                      publication_number=f"US{number.lstrip('0')}{kind}" if number else None,
                      publication_date=pub_date, grant_date=pub_date,
                      priority_date=min((d for d in (_date(_t(e)) for e in _desc(_f(bib, "B300"), "B320")) if d), default=None),
                      applicants=applicants or list(inventors), inventors=inventors, ipc=_classes(x for x in ipc if x))
    return info, _t(_f(bib, "B500/B540")), _t(_f(root, "SDOAB"))


def _pap(root):
    bib = _f(root, "subdoc-bibliographic-information")
    number = _t(_f(bib, "document-id/doc-number"))
    kind = _t(_f(bib, "document-id/kind-code"))
    pub_date = _date(_t(_f(bib, "document-id/document-date")))
    ipc = [_compact_ipc(_t(e)) for e in _desc(_f(bib, "technical-information/classification-ipc"), "ipc")]
    inventors = []
    for tag in ("first-named-inventor", "inventor"):
        for inv in _desc(_f(bib, "inventors"), tag):
            p = _party(_f(inv, "name") if _f(inv, "name") is not None else inv,
                       country_paths=("residence/residence-us/country-code", "residence/residence-non-us/country-code"))
            if p:
                ctry = _country(_t(_f(inv, "residence/residence-us/country-code"))) or _country(
                    _t(_f(inv, "residence/residence-non-us/country-code")))
                if ctry is None and _f(inv, "residence/residence-us") is not None:
                    ctry = "US"
                inventors.append(Party(name=p.name, country=ctry))
    applicants = []
    for asg in _desc(bib, "assignee"):
        name = _t(_f(asg, "organization-name")) or _name(_f(asg, "name") if _f(asg, "name") is not None else asg)
        if name:
            applicants.append(Party(name=name, country=_country(_t(_f(asg, "address/country/country-code")))))
    info = PatentInfo(application_number=_t(_f(bib, "domestic-filing-data/application-number/doc-number")) or None,
                      application_date=_date(_t(_f(bib, "domestic-filing-data/filing-date"))),
                      publication_number=f"US{number}{kind}" if number else None, publication_date=pub_date,
                      applicants=applicants or list(inventors), inventors=inventors, ipc=_classes(x for x in ipc if x))
    return info, _t(_f(bib, "technical-information/title-of-invention")), _t(_f(root, "subdoc-abstract"))


# ------------------------------------------------------------------------------------- EPO OPS

_EPODOC_NAME = re.compile(r"^(.*?)[,\s]*\[([A-Z]{2})\]\s*$")


def _epo_parties(container, tag: str) -> list[Party]:
    """Prefer the epodoc form ('NAME [KR]'), which carries the country; fall back to the original form."""
    people = {}
    for el in _fa(container, f"{tag}s/{tag}"):
        fmt = el.get("data-format")
        raw = _t(_f(el, f"{tag}-name/name"))
        if not raw:
            continue
        m = _EPODOC_NAME.match(raw)
        name, country = (m[1].strip(" ,"), m[2]) if m else (raw.strip(" ,"), None)
        seq = el.get("sequence") or str(len(people))
        if fmt == "epodoc" or seq not in people:
            people[seq] = Party(name=name, country=country)
    return list(people.values())


def parse_epo_exchange(body: bytes, ctx: PageContext) -> list[Document]:
    """EPO OPS biblio / search-with-biblio responses (exchange-documents) → patent Documents."""
    return epo_exchange_documents(parse_xml(body, ctx.where), ctx)[0]


def epo_exchange_documents(root, ctx: PageContext) -> tuple[list[Document], list[str]]:
    """(documents, per-record errors) of every exchange-document under `root`; a bad one costs only itself."""
    docs, errors = [], []
    for i, ex in enumerate(root.iter("{*}exchange-document")):
        try:
            doc = _epo_document(ex, ctx)
        except RECORD_ERRORS as e:
            errors.append(f"{ctx.where}: exchange-document #{i} ({str(ex.get('doc-number'))[:40]}): "
                          f"{validation_summary(e)}")
            continue
        if doc is not None:
            docs.append(doc)
    return docs, errors


def _epo_document(ex, ctx: PageContext) -> Document | None:
    """One exchange-document → a patent Document (None: OPS says 'not found')."""
    if ex.get("status") == "not found":
        return None
    bib = _f(ex, "bibliographic-data")
    country, number, kind = ex.get("country"), ex.get("doc-number"), ex.get("kind")
    pub = None
    for d in _fa(bib, "publication-reference/document-id"):
        if d.get("document-id-type") == "docdb":
            pub = d
    pub_date = _date(_t(_f(pub, "date")))
    app_date, app_number = None, None
    for d in _fa(bib, "application-reference/document-id"):
        app_date = app_date or _date(_t(_f(d, "date")))
        if d.get("document-id-type") == "docdb":
            app_number = f"{_t(_f(d, 'country'))}{_t(_f(d, 'doc-number'))}"
    prio = [_date(_t(e)) for pc in _fa(bib, "priority-claims/priority-claim") for e in _desc(pc, "date")]
    cpc = [_structured_class(c) for c in _fa(bib, "patent-classifications/patent-classification")]
    ipc = [_compact_ipc(_t(c)) for c in _fa(bib, "classifications-ipcr/classification-ipcr")]
    titles = {t.get("{http://www.w3.org/XML/1998/namespace}lang") or t.get("lang"): _t(t)
              for t in _fa(bib, "invention-title")}
    abstracts = {a.get("lang"): _t(a) for a in _fa(ex, "abstract")}
    lang = "en" if "en" in titles or "en" in abstracts else (next(iter(titles), None) or ctx.lang)
    title = titles.get("en") or next(iter(titles.values()), "")
    text = abstracts.get("en") or next(iter(abstracts.values()), "")
    if not (title or text):
        title = f"{country}{number}{kind}"
    key = f"{country}{number}{kind}"
    info = PatentInfo(application_number=app_number, application_date=app_date,
                      publication_number=key, publication_date=pub_date,
                      priority_date=min((d for d in prio if d), default=None),
                      applicants=_epo_parties(_f(bib, "parties"), "applicant"),
                      inventors=_epo_parties(_f(bib, "parties"), "inventor"),
                      cpc=_classes(x for x in cpc if x), ipc=_classes(x for x in ipc if x))
    return Document.build(source=ctx.source, source_key=key, kind="patent",
                          url=f"https://worldwide.espacenet.com/patent/search?q=pn%3D{key}",
                          title=title, text=text, lang=lang if lang and len(lang) == 2 else None,
                          published=pub_date, published_basis="stated" if pub_date else "inferred",
                          fetched_at=ctx.fetched_at, jurisdiction=_country(country) or ctx.jurisdiction,
                          patent=info)


# ------------------------------------------------------------------- USPTO Patent Public Search JSON

def _listish(value) -> list[str]:
    """ppubs returns lists, or their Python repr as a string, or 'None'."""
    if value is None or value == "None":
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v]
    text = str(value).strip()
    if text.startswith("["):
        return [x.strip().strip("'\"") for x in text[1:-1].split("',") if x.strip().strip("'\"")]
    return [x for x in re.split(r"\s*;\s*", text) if x]


def parse_ppubs_search(body: bytes, ctx: PageContext) -> list[Document]:
    """USPTO Patent Public Search (ppubs) search JSON → patent Documents (front-page data, no abstract text)."""
    import json

    try:
        obj = json.loads(body)
    except ValueError as e:
        raise ParseError(f"{ctx.where}: response is not JSON: {e}") from None
    records = obj if isinstance(obj, list) else (obj.get("patents") or obj.get("docs") or [])
    docs = []
    for rec in records:
        if not isinstance(rec, dict):
            continue
        number = str(rec.get("guid") or rec.get("documentId") or "").replace(" ", "-")
        if not number:
            continue
        published = _date((rec.get("datePublished") or "")[:10].replace("-", ""))
        filed = [_date(x[:10].replace("-", "")) for x in _listish(rec.get("applicationFilingDate"))]
        applicants = [Party(name=n) for n in dict.fromkeys(_listish(rec.get("assigneeName")) or _listish(rec.get("applicantName")))]
        # 'Henley; Francois J. et al.': only the first-named inventor, written "Last; First"
        short = re.sub(r"\s+et al\.?$", "", str(rec.get("inventorsShort") or "")).strip()
        if short and short != "None":
            last, _, first = short.partition(";")
            inventors = [Party(name=f"{first.strip()} {last.strip()}".strip())]
        else:
            inventors = []
        cpc = _listish(rec.get("cpcInventiveFlattened")) + _listish(rec.get("cpcAdditionalFlattened"))
        info = PatentInfo(application_number=rec.get("applicationNumber") or None,
                          application_date=next((d for d in filed if d), None),
                          publication_number=number.replace("-", ""), publication_date=published,
                          grant_date=published if rec.get("type") == "USPAT" else None,
                          applicants=applicants, inventors=inventors, cpc=_classes(cpc),
                          ipc=_classes(_listish(rec.get("ipcCodeFlattened"))))
        docs.append(Document.build(source=ctx.source, source_key=number, kind="patent",
                                   title=rec.get("inventionTitle") or number, text=_html_text(rec.get("abstractHtml")) or "",
                                   lang="en", published=published, published_basis="stated" if published else "inferred",
                                   fetched_at=ctx.fetched_at, jurisdiction="US", patent=info))
    return docs


def _html_text(value) -> str:
    if not value or value == "None":
        return ""
    import html as _html

    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", str(value))).split())

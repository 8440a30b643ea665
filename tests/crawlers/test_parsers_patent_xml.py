"""Patent XML parsers on small documents written here in each real format generation."""
import datetime as dt
import io
import zipfile

import pytest

from crawlers.parsers.base import HostileInput, ParseError
from crawlers.parsers.patent_xml import iter_bulk_documents, iter_bulk_zip, parse_epo_exchange, parse_uspto_document

V45 = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE us-patent-grant SYSTEM "us-patent-grant-v45-2014-04-03.dtd" [ ]>
<us-patent-grant lang="EN" dtd-version="v4.5 2014-04-03" country="US"><us-bibliographic-data-grant>
<publication-reference><document-id><country>US</country><doc-number>{num}</doc-number><kind>B2</kind><date>20150106</date></document-id></publication-reference>
<application-reference appl-type="utility"><document-id><country>US</country><doc-number>13647883</doc-number><date>20121009</date></document-id></application-reference>
<classifications-ipcr><classification-ipcr><section>H</section><class>01</class><subclass>M</subclass><main-group>10</main-group><subgroup>0525</subgroup></classification-ipcr></classifications-ipcr>
<classifications-cpc><main-cpc><classification-cpc><section>H</section><class>10</class><subclass>B</subclass><main-group>12</main-group><subgroup>00</subgroup></classification-cpc></main-cpc></classifications-cpc>
<invention-title id="d2e43">Memory cell &amp; method</invention-title>
<us-parties><us-applicants><us-applicant sequence="001" app-type="applicant" designation="us-only"><addressbook><orgname>Samsung Electronics Co., Ltd.</orgname><address><city>Suwon-si</city><country>KR</country></address></addressbook></us-applicant></us-applicants>
<inventors><inventor sequence="001" designation="us-only"><addressbook><last-name>Kim</last-name><first-name>Minsu</first-name><address><city>Seoul</city><country>KR</country></address></addressbook></inventor></inventors></us-parties>
<assignees><assignee><addressbook><orgname>Samsung Electronics Co., Ltd.</orgname><role>03</role><address><country>KR</country></address></addressbook></assignee></assignees>
</us-bibliographic-data-grant><abstract id="abstract"><p id="p-0001">A DRAM cell with a capacitor.</p></abstract></us-patent-grant>
"""

PATDOC = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE PATDOC SYSTEM "ST32-US-Grant-025xml.dtd" [
<!ENTITY US06336130-20020101-D00000.TIF SYSTEM "US06336130-20020101-D00000.TIF" NDATA TIF>
]>
<PATDOC DTD="2.5" STATUS="Build 20011227"><SDOBI><B100><B110><DNUM><PDAT>06336130</PDAT></DNUM></B110><B130><PDAT>B1</PDAT></B130><B140><DATE><PDAT>20020101</PDAT></DATE></B140></B100>
<B200><B210><DNUM><PDAT>09413215</PDAT></DNUM></B210><B220><DATE><PDAT>19991005</PDAT></DATE></B220></B200>
<B300><B320><DATE><PDAT>19970408</PDAT></DATE></B320></B300>
<B500><B510><B511><PDAT>G06F 1516</PDAT></B511></B510><B540><STEXT><PDAT>Arrangement for &lsquo;services&rsquo;</PDAT></STEXT></B540></B500>
<B700><B720><B721><PARTY-US><NAM><FNM><PDAT>Thanh</PDAT></FNM><SNM><STEXT><PDAT>Do</PDAT></STEXT></SNM></NAM><ADR><CITY><PDAT>Oslo</PDAT></CITY><CTRY><PDAT>NO</PDAT></CTRY></ADR></PARTY-US></B721></B720>
<B730><B731><PARTY-US><NAM><ONM><STEXT><PDAT>Telefonaktiebolaget LM Ericsson</PDAT></STEXT></ONM></NAM><ADR><CTRY><PDAT>SE</PDAT></CTRY></ADR></PARTY-US></B731></B730></B700></SDOBI>
<SDOAB><BTEXT><PARA><PTEXT><PDAT>Availability of services is improved.</PDAT></PTEXT></PARA></BTEXT></SDOAB></PATDOC>
"""

PAP = """<!DOCTYPE simple PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
<patent-application-publication><subdoc-bibliographic-information>
<document-id><doc-number>20010000044</doc-number><kind-code>A1</kind-code><document-date>20010315</document-date></document-id>
<domestic-filing-data><application-number><doc-number>09342866</doc-number></application-number><filing-date>19990629</filing-date></domestic-filing-data>
<technical-information><classification-ipc><classification-ipc-primary><ipc>G06F017/60</ipc></classification-ipc-primary></classification-ipc>
<title-of-invention>Systems for transacting business</title-of-invention></technical-information>
<inventors><first-named-inventor><name><given-name>Wayne</given-name><family-name>Lin</family-name></name>
<residence><residence-us><city>Irvine</city><state>CA</state><country-code>US</country-code></residence-us></residence></first-named-inventor></inventors>
</subdoc-bibliographic-information><subdoc-abstract><paragraph>A business model is described.</paragraph></subdoc-abstract></patent-application-publication>
"""

EPO = """<?xml version="1.0" encoding="UTF-8"?>
<ops:world-patent-data xmlns="http://www.epo.org/exchange" xmlns:ops="http://ops.epo.org"><exchange-documents>
<exchange-document system="ops.epo.org" family-id="1" country="KR" doc-number="20240012345" kind="A">
<bibliographic-data><publication-reference><document-id document-id-type="docdb"><country>KR</country><doc-number>20240012345</doc-number><kind>A</kind><date>20240125</date></document-id></publication-reference>
<classifications-ipcr><classification-ipcr sequence="1"><text>H01M  10/   0525          A I</text></classification-ipcr></classifications-ipcr>
<patent-classifications><patent-classification sequence="1"><classification-scheme office="EP" scheme="CPCI"/><section>H</section><class>01</class><subclass>M</subclass><main-group>10</main-group><subgroup>0525</subgroup></patent-classification></patent-classifications>
<application-reference><document-id document-id-type="docdb"><country>KR</country><doc-number>20220099999</doc-number><kind>A</kind></document-id><document-id document-id-type="epodoc"><doc-number>KR20220099999</doc-number><date>20220801</date></document-id></application-reference>
<priority-claims><priority-claim sequence="1"><document-id document-id-type="epodoc"><doc-number>KR20220099999</doc-number><date>20220801</date></document-id></priority-claim></priority-claims>
<parties><applicants><applicant sequence="1" data-format="epodoc"><applicant-name><name>LG ENERGY SOLUTION LTD [KR]</name></applicant-name></applicant>
<applicant sequence="1" data-format="original"><applicant-name><name>LG Energy Solution, Ltd.</name></applicant-name></applicant></applicants>
<inventors><inventor sequence="1" data-format="epodoc"><inventor-name><name>PARK JIYOUNG [KR]</name></inventor-name></inventor></inventors></parties>
<invention-title lang="ko">리튬 이차전지</invention-title><invention-title lang="en">Lithium secondary battery</invention-title></bibliographic-data>
<abstract lang="en"><p>A cathode material.</p></abstract></exchange-document></exchange-documents></ops:world-patent-data>
"""


def test_v4_grant(ctx_factory):
    d = parse_uspto_document(V45.format(num="08930553").encode(), ctx_factory(kind="patent"))
    p = d.patent
    assert d.source_key == "US8930553B2" and d.title == "Memory cell & method" and d.text == "A DRAM cell with a capacitor."
    assert p.grant_date == dt.date(2015, 1, 6) and p.application_date == dt.date(2012, 10, 9)
    assert p.cpc == ["H10B12/00"] and p.ipc == ["H01M10/0525"]
    assert [(x.name, x.country) for x in p.applicants] == [("Samsung Electronics Co., Ltd.", "KR")]
    assert [(x.name, x.country) for x in p.inventors] == [("Minsu Kim", "KR")]


def test_patdoc_2001_2004_with_image_entities_and_html_named_entities(ctx_factory):
    d = parse_uspto_document(PATDOC.encode(), ctx_factory(kind="patent"))
    p = d.patent
    assert d.source_key == "US6336130B1" and d.title == "Arrangement for \u2018services\u2019"
    assert p.application_date == dt.date(1999, 10, 5) and p.priority_date == dt.date(1997, 4, 8)
    assert p.ipc == ["G06F15/16"]
    assert [(x.name, x.country) for x in p.inventors] == [("Thanh Do", "NO")]
    assert [(x.name, x.country) for x in p.applicants] == [("Telefonaktiebolaget LM Ericsson", "SE")]


def test_pre_2005_application(ctx_factory):
    d = parse_uspto_document(PAP.encode(), ctx_factory(kind="patent"))
    assert d.source_key == "US20010000044A1" and d.patent.ipc == ["G06F17/60"]
    assert [(x.name, x.country) for x in d.patent.inventors] == [("Wayne Lin", "US")]


def test_epo_exchange_document(ctx_factory):
    (d,) = parse_epo_exchange(EPO.encode(), ctx_factory(kind="patent"))
    p = d.patent
    assert d.source_key == "KR20240012345A" and d.title == "Lithium secondary battery" and d.jurisdiction == "KR"
    assert p.publication_date == dt.date(2024, 1, 25) and p.application_date == dt.date(2022, 8, 1)
    assert p.cpc == ["H01M10/0525"] and p.ipc == ["H01M10/0525"]
    assert [(x.name, x.country) for x in p.applicants] == [("LG ENERGY SOLUTION LTD", "KR")]
    assert [(x.name, x.country) for x in p.inventors] == [("PARK JIYOUNG", "KR")]


@pytest.mark.parametrize("decl", [
    '<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">',
    '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
    '<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;',
])
def test_entity_declarations_other_than_image_references_are_refused(ctx_factory, decl):
    body = V45.format(num="1").replace('"us-patent-grant-v45-2014-04-03.dtd" [ ]', f'"x.dtd" [{decl}]').encode()
    with pytest.raises(HostileInput):
        parse_uspto_document(body, ctx_factory(kind="patent"))


def test_not_a_patent_and_broken_xml(ctx_factory):
    with pytest.raises(ParseError, match="not a USPTO patent"):
        parse_uspto_document(b"<class-scheme/>", ctx_factory(kind="patent"))
    with pytest.raises(ParseError, match="malformed"):
        parse_uspto_document(V45.format(num="1")[:900].encode(), ctx_factory(kind="patent"))


def test_bulk_zip_is_streamed_document_by_document(tmp_path, ctx_factory):
    n = 3000
    path = tmp_path / "ipg150106.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("ipg150106.xml", "w") as out:  # one member, thousands of concatenated documents
            for i in range(n):
                out.write(V45.format(num=f"{9000000 + i:08d}").encode())
    assert path.stat().st_size < (len(V45) * n) / 5
    keys = [parse_uspto_document(doc, ctx_factory(kind="patent")).source_key for _, doc in iter_bulk_zip(path)]
    assert len(keys) == n and keys[0] == "US9000000B2" and keys[-1] == f"US{9000000 + n - 1}B2"


def test_bulk_stream_refuses_an_unbounded_document():
    stream = io.BytesIO(b'<?xml version="1.0"?>\n' + b"<a>" + b"x" * 5000 + b"\n" * 10 + b"</a>\n")
    with pytest.raises(ParseError, match="exceeds"):
        list(iter_bulk_documents(stream, max_doc_bytes=1000))

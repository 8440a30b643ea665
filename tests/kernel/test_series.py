"""The series key: one typed value, the string form every CSV, id and stored alert carries."""
from __future__ import annotations

import datetime as dt

import pytest

from ews.kernel.schema import CountRow, Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore
from ews.kernel.series import SeriesKey, SeriesKeyError, document_series, memberships

# (text, subject kind, subject, corpus, dimension, value, technology, field, facet)
KEYS = [
    ("tech:semi.memory", "tech", "semi.memory", "patent", None, None, "semi.memory", "semi", None),
    ("field:semi", "field", "semi", "patent", None, None, None, "semi", None),
    ("tech:semi.memory|applicant:SAMSUNG ELECTRONICS", "tech", "semi.memory", "patent", "applicant",
     "SAMSUNG ELECTRONICS", "semi.memory", "semi", "applicant:SAMSUNG ELECTRONICS"),
    ("tech:semi.memory|country:KR", "tech", "semi.memory", "patent", "country", "KR", "semi.memory", "semi",
     "country:KR"),
    ("tech:semi.memory|jurisdiction:US", "tech", "semi.memory", "patent", "jurisdiction", "US", "semi.memory",
     "semi", "jurisdiction:US"),
    ("field:quantum|policy:KR", "field", "quantum", "policy", "jurisdiction", "KR", None, "quantum", "policy:KR"),
    ("tech:semi.memory|policy:XX", "tech", "semi.memory", "policy", "jurisdiction", "XX", "semi.memory", "semi",
     "policy:XX"),
    ("field:semi|paper:ALL", "field", "semi", "paper", None, None, None, "semi", "paper:ALL"),
    ("source:kr.msit", "source", "kr.msit", None, None, None, None, None, None),
    ("pipeline:ews_monitoring|task:index", "pipeline", "ews_monitoring", None, "task", "index", None, None,
     "task:index"),
    ("inventor:KIM JAEWON", "inventor", "KIM JAEWON", None, None, None, None, None, None),
]


@pytest.mark.parametrize("text,kind,subject,corpus,dim,value,tech,field,facet", KEYS)
def test_every_key_of_the_table_parses_to_its_parts_and_formats_back(text, kind, subject, corpus, dim, value, tech,
                                                                    field, facet):
    k = SeriesKey.parse(text)
    assert (k.subject_kind, k.subject, k.corpus, k.dimension, k.value) == (kind, subject, corpus, dim, value)
    assert (k.technology, k.field, k.facet) == (tech, field, facet)
    assert str(k) == text and SeriesKey.parse(str(k)) == k and hash(k) == hash(SeriesKey.parse(text))


def test_constructors_give_the_string_forms_of_the_table():
    assert SeriesKey.of_technology("semi.memory", "country", "KR").text == "tech:semi.memory|country:KR"
    assert SeriesKey.of_field("semi", corpus="policy", value="KR").text == "field:semi|policy:KR"
    assert SeriesKey.of_field("semi", corpus="paper").text == "field:semi|paper:ALL"
    assert SeriesKey.of_source("kr.msit").text == "source:kr.msit"
    assert SeriesKey.of_pipeline("ews_monitoring", "index").text == "pipeline:ews_monitoring|task:index"
    assert SeriesKey.of_inventor("KIM JAEWON").text == "inventor:KIM JAEWON"
    with pytest.raises(SeriesKeyError):
        SeriesKey.of_technology("semi.memory", "task", "x")
    with pytest.raises(SeriesKeyError):
        SeriesKey.of_technology("semi.memory", "applicant", "  ")


def test_values_cannot_leak_the_separator_or_hostile_characters_from_data():
    k = SeriesKey.of_technology("semi.memory", "applicant", "ACME|EVIL \u202eCORP\x00  X")
    assert k.text == "tech:semi.memory|applicant:ACME/EVIL CORP X"
    assert SeriesKey.parse(k.text) == k


def test_free_keys_are_kept_verbatim_and_read_as_before():
    k = SeriesKey.parse("semi.memory|SAMSUNG")
    assert k.subject_kind == "free" and k.text == "semi.memory|SAMSUNG"
    assert (k.technology, k.field, k.facet) == ("semi.memory", "semi", "SAMSUNG")
    assert SeriesKey.parse("anything goes").technology is None
    odd = SeriesKey.parse("tech:semi.memory|country:KR|applicant:X")  # two dimensions: not a typed key
    assert odd.subject_kind == "free" and odd.technology == "semi.memory" and odd.facet == "country:KR|applicant:X"
    assert SeriesKey.parse("tech:").subject_kind == "free" and SeriesKey.parse("tech:x|country:").subject_kind == "free"
    assert SeriesKey.parse("x|policy:KR").counts_documents == "policy"
    assert SeriesKey.parse("x|y").counts_documents == "patent"
    assert SeriesKey.parse("source:s").counts_documents is None


@pytest.mark.parametrize("text", ["tech:semi\x00.memory", "tech:semi.memory|applicant:\u202eGNUSMAS",
                                  "field:semi\u2066", "a\tb", "", "   "])
def test_nul_bidi_and_control_characters_are_refused_with_a_clear_error(text):
    with pytest.raises(SeriesKeyError) as e:
        SeriesKey.parse(text)
    if text.strip():
        assert "U+" in str(e.value) and "position" in str(e.value)
    with pytest.raises(ValueError):
        CountRow(series=text, period="2023-01", count=1)


def test_membership_of_a_korean_named_patent_dated_only_by_publication():
    now = dt.datetime(2024, 1, 1)
    doc = Document.build(source="kipris", source_key="1", kind="patent", title="DRAM", fetched_at=now,
                         jurisdiction="KR",
                         patent=PatentInfo(publication_date=dt.date(2023, 9, 5),
                                           applicants=[Party(name="삼성전자 주식회사", country="KR")]))
    tag = TaggedDocument(doc_id=doc.id, model_version="t", taxonomy_version="t",
                         tagging=Tagging(id=doc.id, fields=["semi"],
                                         technologies=[TechnologyScore(id="semi.memory", score=0.9)]))
    keys = {k.text for k in document_series(doc, tag)}
    assert keys == {"tech:semi.memory", "field:semi", "tech:semi.memory|applicant:SAMSUNG ELECTRONICS",
                    "tech:semi.memory|country:KR", "tech:semi.memory|jurisdiction:KR"}
    (m,) = memberships([doc], [tag], "month")
    assert m.period == "2023-09" and {k.text for k in m.keys} == keys
    assert list(memberships([doc], [tag], "month", as_of=dt.date(2023, 9, 1))) == []

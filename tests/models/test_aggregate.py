"""Count series from tagged documents: keys, dates, gap filling, the as-of cut."""
from __future__ import annotations

import datetime as dt

import pytest

from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore, document_date
from ews.kernel.series import SeriesKey
from models.aggregate import build_counts

FETCHED = dt.datetime(2024, 1, 1, 12, 0)


def patent(key, filed, published=None, applicants=(), jurisdiction="KR"):
    return Document.build(source="kipris", source_key=key, kind="patent", title=f"patent {key}",
                          fetched_at=FETCHED, jurisdiction=jurisdiction, published=published,
                          patent=PatentInfo(application_date=filed, publication_date=published,
                                            applicants=[Party(name=n, country=c) for n, c in applicants]))


def policy(key, published, jurisdiction="KR"):
    return Document.build(source="moleg", source_key=key, kind="policy", title=f"law {key}",
                          fetched_at=FETCHED, jurisdiction=jurisdiction, published=published)


def tag(doc, techs=("semi.memory",), fields=("semi",)):
    return TaggedDocument(doc_id=doc.id, model_version="t", taxonomy_version="nst-2024.1",
                          tagging=Tagging(id=doc.id, technologies=[TechnologyScore(id=t, score=0.9) for t in techs],
                                          fields=list(fields)))


def table(df):
    return {(r.series, r.period): r.count for r in df.itertuples()}


def test_keys_merge_applicant_spellings_and_count_each_document_once_per_key():
    docs = [
        patent("1", dt.date(2023, 1, 5), applicants=[("SAMSUNG ELECTRONICS CO LTD", "KR"), ("삼성전자", "KR")]),
        patent("2", dt.date(2023, 1, 20), applicants=[("Samsung Electronics Co., Ltd.", "KR")]),
        patent("3", dt.date(2023, 3, 2), applicants=[("Micron Technology, Inc.", "US")], jurisdiction="US"),
    ]
    t = table(build_counts(docs, [tag(d) for d in docs]))
    assert t[("tech:semi.memory", "2023-01")] == 2
    assert t[("tech:semi.memory|applicant:SAMSUNG ELECTRONICS", "2023-01")] == 2
    assert t[("tech:semi.memory|country:KR", "2023-01")] == 2
    assert t[("tech:semi.memory|country:US", "2023-03")] == 1
    assert t[("tech:semi.memory|jurisdiction:US", "2023-03")] == 1
    assert t[("field:semi", "2023-03")] == 1
    # February had nothing: filled with 0 inside the series' range, not beyond it
    assert t[("tech:semi.memory", "2023-02")] == 0
    assert ("tech:semi.memory|applicant:SAMSUNG ELECTRONICS", "2023-03") not in t


def test_patents_dated_by_filing_then_publication_policies_by_publication():
    filed = patent("1", dt.date(2021, 6, 1), published=dt.date(2022, 12, 1))
    unfiled = patent("2", None, published=dt.date(2022, 12, 1))
    assert document_date(filed) == dt.date(2021, 6, 1)
    assert document_date(unfiled) == dt.date(2022, 12, 1)
    law = policy("a", dt.date(2022, 5, 3))
    t = table(build_counts([filed, law], [tag(filed), tag(law)], granularity="quarter"))
    assert t[("tech:semi.memory", "2021-Q2")] == 1
    assert t[("field:semi|policy:KR", "2022-Q2")] == 1
    assert t[("tech:semi.memory|policy:KR", "2022-Q2")] == 1
    assert not any("policy" in k and p == "2021-Q2" for k, p in t)


def test_as_of_cuts_later_documents_and_extends_series_to_the_cut_off():
    docs = [patent("1", dt.date(2023, 1, 5)), patent("2", dt.date(2023, 9, 5))]
    df = build_counts(docs, [tag(d) for d in docs], granularity="month", as_of=dt.date(2023, 4, 15))
    t = table(df)
    assert [p for (k, p) in t if k == "tech:semi.memory"] == ["2023-01", "2023-02", "2023-03", "2023-04"]
    assert t[("tech:semi.memory", "2023-04")] == 0


def test_untagged_and_undated_documents_are_not_counted_and_empty_input_gives_empty_table():
    undated = policy("x", None)
    untagged = patent("9", dt.date(2023, 1, 1))
    df = build_counts([undated, untagged], [tag(undated)])
    assert list(df.columns) == ["series", "period", "count"] and len(df) == 0


def test_series_key_round_trip_and_separator_cannot_leak_from_values():
    key = SeriesKey.of_technology("semi.memory", "applicant", "A|B  CORP")
    assert key.text == "tech:semi.memory|applicant:A/B CORP"
    back = SeriesKey.parse(key.text)
    assert back == key and (back.technology, back.dimension, back.value) == ("semi.memory", "applicant", "A/B CORP")


def test_weekly_granularity_and_bad_granularity():
    docs = [patent("1", dt.date(2023, 1, 2)), patent("2", dt.date(2023, 1, 23))]
    t = table(build_counts(docs, [tag(d) for d in docs], granularity="week"))
    assert [t[("tech:semi.memory", f"2023-W0{w}")] for w in (1, 2, 3, 4)] == [1, 0, 0, 1]
    with pytest.raises(ValueError):
        build_counts(docs, [], granularity="day")

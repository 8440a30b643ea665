"""The annual report counts as the aggregator counts: the same documents, technologies, applicants."""
from __future__ import annotations

import datetime as dt

from analysis.annual import annual_data
from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore
from ews.kernel.store import Store
from models.aggregate import build_counts

NOW = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def _patent(key, applicant, filed=None, published=None, country="KR"):
    return Document.build(source="kipris", source_key=key, kind="patent", title=f"DRAM {key}", fetched_at=NOW,
                          jurisdiction="KR", patent=PatentInfo(application_date=filed, publication_date=published,
                                                               applicants=[Party(name=applicant, country=country)]))


def test_annual_figures_agree_with_the_count_series(tmp_path):
    docs = [_patent("a", "삼성전자 주식회사", filed=dt.date(2023, 3, 1)),
            _patent("b", "Samsung Electronics Co., Ltd.", published=dt.date(2023, 5, 2)),  # publication date only
            _patent("c", "SK hynix Inc.", filed=dt.date(2023, 7, 9)),
            _patent("d", "Micron Technology, Inc.", filed=dt.date(2022, 7, 9), country="US"),
            _patent("e", "Micron Technology, Inc.", country="US")]  # undated: counted nowhere
    tags = [TaggedDocument(doc_id=d.id, model_version="t", taxonomy_version="t",
                           tagging=Tagging(id=d.id, fields=["semi"],
                                           technologies=[TechnologyScore(id="semi.memory", score=0.9)]))
            for d in docs]
    with Store(tmp_path) as store:
        store.upsert_documents(docs)
        store.upsert_tagged(tags)
        data = annual_data(store, 2023, years_back=1)
    semi = next(f for f in data["fields"] if f["id"] == "semi")
    memory = next(t for t in semi["technologies"] if t["id"] == "semi.memory")
    counts = build_counts(docs, tags, granularity="year")
    yearly = {p: n for s, p, n in counts.itertuples(index=False) if s == "tech:semi.memory"}
    assert memory["patents"] == {"2022": yearly["2022"], "2023": yearly["2023"]} == {"2022": 1, "2023": 3}
    assert semi["top_applicants"][0] == {"applicant": "SAMSUNG ELECTRONICS", "patents": 2, "previous_year": 0}
    assert {c["country"]: c["patents"] for c in semi["countries"]} == {"KR": 3}

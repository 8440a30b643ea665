"""A small realistic workbench data directory: documents (some with hostile titles and applicant names),
their tags, the archived raw responses, count series and alerts built by the real alert builder."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from alerts.build import alerts_from_detections
from ews.kernel.schema import Detection, Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore
from ews.kernel.store import Store

SCRIPT_TITLE = "<script>alert('crawled')</script> Solid-state battery roadmap"
ATTR_BREAK = '" onmouseover="alert(1)" x="'
HOSTILE_APPLICANT = "<img src=x onerror=alert(2)> Battery Corp"
PASSWORD = "correct horse battery"
USERS = {"vera": "viewer", "ana": "analyst", "adam": "admin", "anton": "analyst"}


def _doc(n: int, title: str, text: str, published: dt.date, kind="patent", jurisdiction="US",
         applicants=(), cpc=(), source="uspto-test", lang="en", raw_ref=None) -> Document:
    patent = PatentInfo(application_date=published, applicants=[Party(name=a, country=c) for a, c in applicants],
                        cpc=list(cpc)) if kind == "patent" else None
    return Document(id=f"doc{n:03d}", source=source, source_key=f"k{n}", kind=kind, url=f"https://example.org/d/{n}",
                    title=title, text=text, lang=lang, published=published, published_basis="stated",
                    fetched_at=dt.datetime(2024, 1, 2, tzinfo=dt.UTC), jurisdiction=jurisdiction,
                    patent=patent, raw_ref=raw_ref)


def _tag(doc: Document, techs: list[str]) -> TaggedDocument:
    return TaggedDocument(doc_id=doc.id, model_version="test-model", taxonomy_version="2024.1",
                          tagging=Tagging(id=doc.id, technologies=[TechnologyScore(id=t, score=0.9) for t in techs],
                                          fields=sorted({t.split(".")[0] for t in techs})))


def seed(home) -> dict:
    with Store(home) as store:
        raw = store.put_raw(source="uspto-test", url="https://example.org/d/1",
                            body=b"<html><script>alert('archived')</script><p>archived body</p></html>",
                            headers={"Content-Type": "text/html"})
        docs = [
            _doc(1, SCRIPT_TITLE, "A lithium-ion cell with a solid electrolyte. 리튬이온 전지 전해질.",
                 dt.date(2023, 7, 10), applicants=[(HOSTILE_APPLICANT, "US")], cpc=["H01M10/0525"], raw_ref=raw),
            _doc(2, f"Cathode coating {ATTR_BREAK}", "Nickel-rich cathode coating for lithium-ion cells.",
                 dt.date(2023, 7, 20), applicants=[("SAMSUNG SDI", "KR")], cpc=["H01M4/36"]),
            _doc(3, "Semiconductor export control update", "Policy on memory chip exports and HBM.",
                 dt.date(2023, 8, 1), kind="policy", jurisdiction="KR", source="motie-test", lang="en"),
            _doc(4, "배터리 산업 육성 전략", "이차전지 산업 경쟁력 강화를 위한 정책 문서입니다. 리튬이온 전지.",
                 dt.date(2023, 9, 1), kind="policy", jurisdiction="KR", source="motie-test", lang="ko"),
            _doc(5, "A memory cell array", "Resistive memory cell array with selector.", dt.date(2023, 3, 5),
                 applicants=[("SK HYNIX", "KR")], cpc=["H10B63/00"]),
        ]
        store.upsert_documents(docs)
        store.upsert_tagged([_tag(docs[0], ["battery.li_ion"]), _tag(docs[1], ["battery.li_ion"]),
                             _tag(docs[2], ["semi.memory"]), _tag(docs[3], ["battery.li_ion"]),
                             _tag(docs[4], ["semi.memory"])])
        rows = []
        for m in range(1, 13):
            rows += [("tech:battery.li_ion", f"2023-{m:02d}", 20 + m if m != 7 else 3),
                     ("field:battery", f"2023-{m:02d}", 25 + m if m != 7 else 4),
                     ("tech:semi.memory", f"2023-{m:02d}", 10 + m if m != 3 else 40),
                     ("tech:battery.li_ion|jurisdiction:US", f"2023-{m:02d}", 8 if m != 7 else 1)]
        for k, tech in enumerate(("battery.next_gen", "battery.module_system", "battery.reuse_recycling", "semi.ai_chip")):
            rows += [(f"tech:{tech}", f"2023-{m:02d}", 5 + (m * (k + 2)) % 9) for m in range(1, 13)]
        store.replace_counts(pd.DataFrame(rows, columns=["series", "period", "count"]))
        ds = [Detection(series="tech:battery.li_ion", period="2023-07", observed=3, expected=26.5, lower=16, upper=37,
                        alarm=True, direction="drop", score=0.99, method="poisson"),
              Detection(series="field:battery", period="2023-07", observed=4, expected=31, lower=20, upper=42,
                        alarm=True, direction="drop", score=0.99, method="poisson"),
              Detection(series="tech:battery.li_ion|jurisdiction:US", period="2023-07", observed=1, expected=8,
                        lower=3, upper=13, alarm=True, direction="drop", score=0.9, method="poisson"),
              Detection(series="tech:semi.memory", period="2023-03", observed=40, expected=12, lower=5, upper=19,
                        alarm=True, direction="surge", score=0.97, method="poisson <b>x</b>")]
        alerts = alerts_from_detections(ds, store=store)
        store.upsert_alerts(alerts)
    return {"alerts": {a.series: a.id for a in alerts}, "docs": [d.id for d in docs]}

"""Hand-made documents of one field with planted issues, for the issue and briefing tests."""
import datetime as dt

from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore

NOW = dt.datetime(2024, 7, 1, tzinfo=dt.UTC)

SOLID = [
    "Sulfide solid electrolyte with high ionic conductivity for all-solid-state batteries",
    "All-solid-state battery cell using a sulfide solid electrolyte layer and lithium metal anode",
    "Method of densifying a sulfide solid electrolyte sheet for all-solid-state batteries",
    "Interface coating between cathode and sulfide solid electrolyte in all-solid-state batteries",
    "Export controls on sulfide solid electrolyte production equipment for all-solid-state batteries",
    "Supply chain of lithium sulfide for sulfide solid electrolyte in all-solid-state batteries",
]
SOLID_KO = [
    "황화물 고체전해질을 적용한 전고체 전지의 이온전도도 향상",
    "전고체 전지용 황화물 고체전해질 시트 제조 방법",
    "전고체 전지 양극과 황화물 고체전해질 계면 코팅",
]
RECYCLE = [
    "Hydrometallurgical recovery of cobalt and nickel from spent battery black mass",
    "Leaching spent battery black mass with sulfuric acid for cobalt recovery",
    "Direct recycling of cathode material from spent battery black mass",
    "Solvent extraction of nickel and cobalt from black mass leachate of spent battery",
]
OTHER = [
    "Battery management system estimating state of charge with a Kalman filter",
    "Cooling plate for a battery module with coolant channels",
    "Busbar welding for cylindrical cell modules",
]


def make_doc(i: int, text: str, date: dt.date, kind: str = "patent", techs=("battery.next_gen",),
             jurisdiction: str = "US", lang: str = "en", cpc=("H01M10/0562",)) -> tuple[Document, TaggedDocument]:
    patent = PatentInfo(application_date=date, applicants=[Party(name=f"Applicant {i % 4}", country=jurisdiction)],
                        inventors=[Party(name=f"Inventor {i}", country=jurisdiction)],
                        cpc=list(cpc)) if kind == "patent" else None
    d = Document.build(source="test", source_key=f"k{i}", kind=kind, title=text, text=text + ".", lang=lang,
                       published=date, fetched_at=NOW, jurisdiction=jurisdiction, patent=patent)
    tag = TaggedDocument(doc_id=d.id, tagging=Tagging(id=d.id, technologies=[TechnologyScore(id=t, score=0.9)
                                                                              for t in techs],
                                                      fields=sorted({t.split(".")[0] for t in techs})),
                         model_version="test", taxonomy_version="2024.1")
    return d, tag


def planted_corpus(solid_months=(4, 5, 6), recycle_months=(1, 2, 3), year=2024):
    """Solid-state electrolyte documents (growing, with a Korean part and export-control mentions) late in the
    window, recycling documents early, and unrelated ones; returns (documents, tagged, solid document ids)."""
    docs, tags, solid = [], [], []
    i = 0
    for rep in range(2):
        for j, text in enumerate(SOLID):
            d, t = make_doc(i, f"{text} ({rep})" if rep else text, dt.date(year, solid_months[j % len(solid_months)], 10 + rep))
            docs.append(d), tags.append(t), solid.append(d.id)
            i += 1
        for j, text in enumerate(SOLID_KO):
            d, t = make_doc(i, text + (f" ({rep})" if rep else ""), dt.date(year, solid_months[-1], 3 + j + rep),
                            jurisdiction="KR", lang="ko")
            docs.append(d), tags.append(t), solid.append(d.id)
            i += 1
        for j, text in enumerate(RECYCLE):
            d, t = make_doc(i, text + (f" ({rep})" if rep else ""), dt.date(year, recycle_months[j % 3], 5 + rep),
                            techs=("battery.reuse_recycling",), cpc=("H01M10/54", "C22B7/00"))
            docs.append(d), tags.append(t)
            i += 1
    for j, text in enumerate(OTHER):
        d, t = make_doc(i, text, dt.date(year, 2 + j, 1), techs=("battery.module_system",), cpc=("H01M50/204",))
        docs.append(d), tags.append(t)
        i += 1
    return docs, tags, solid

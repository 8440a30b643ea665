import datetime as dt
import itertools

import pytest

from alerts.build import alerts_from_signals
from ews.kernel.ids import alert_id
from ews.kernel.schema import Document, Party, PatentInfo, TaggedDocument, Tagging, TechnologyScore
from models.inventors import _mentions, detect_inventor_moves, disambiguate, find_moves, person_key

FETCHED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
_n = itertools.count(1)


def patent(date, applicants, inventors, tech="semi.memory"):
    i = next(_n)
    doc = Document.build(source="t", source_key=f"P{i}", kind="patent", title=f"patent {i}", fetched_at=FETCHED,
                         jurisdiction="US",
                         patent=PatentInfo(application_date=dt.date.fromisoformat(date), publication_number=f"US{i}",
                                           applicants=[Party(name=n, country=c) for n, c in applicants],
                                           inventors=[Party(name=n, country=c) for n, c in inventors]))
    techs = [TechnologyScore(id=tech, score=0.9)] if tech else []
    tag = TaggedDocument(doc_id=doc.id, tagging=Tagging(id=doc.id, technologies=techs, fields=[]),
                         model_version="t", taxonomy_version="t")
    return doc, tag


def run(pairs, **kw):
    docs, tags = zip(*pairs)
    return alerts_from_signals(detect_inventor_moves(list(docs), list(tags), **kw))


SAMSUNG = ("Samsung Electronics Co., Ltd.", "KR")
CXMT = ("ChangXin Memory Technologies, Inc.", "CN")
MICRON = ("Micron Technology, Inc.", "US")


@pytest.mark.parametrize("a, b", [
    ("Jaewon Kim", "KIM, Jae-won"), ("Jaewon Kim", "Jae Won KIM"), ("Jaewon Kim", "Gim Jaewon"),
    ("Jaewon Kim", "김재원"), ("Seong-ho Jeong", "Sungho Jung"), ("Min-jun Lee", "Yi, Minjun"),
    ("Hyun-woo Park", "PARK HYUNWOO"), ("Hyunwoo Park", "Bak, Hyeon-u"), ("Ji-hoon Choi", "Choe Jihun"),
])
def test_romanisation_and_order_variants_share_a_key(a, b):
    assert person_key(a) == person_key(b) != ""


@pytest.mark.parametrize("a, b", [("Jaewon Kim", "Jaewon Park"), ("Jaewon Kim", "Minsu Kim"),
                                  ("Wei Zhang", "Wei Wang")])
def test_different_people_keep_different_keys(a, b):
    assert person_key(a) != person_key(b)


def mover_history(name_home="Jaewon Kim", name_abroad="KIM, Jae-won", coinventor_abroad="Minsu Lee",
                  abroad_country="CN", abroad_applicant=CXMT, tech_abroad="semi.memory", n_home=3):
    pairs = [patent(f"2019-0{i + 1}-10", [SAMSUNG], [(name_home, "KR"), ("Minsu Lee", "KR")]) for i in range(n_home)]
    pairs += [patent("2022-03-01", [abroad_applicant], [(name_abroad, abroad_country), (coinventor_abroad, abroad_country)],
                     tech=tech_abroad),
              patent("2022-09-01", [abroad_applicant], [(name_abroad, abroad_country)], tech=tech_abroad)]
    return pairs


def test_a_mover_tied_by_a_co_inventor_is_flagged_with_evidence_and_a_deterministic_id():
    alerts = run(mover_history())
    # the co-inventor who moved along is flagged too: each is the other's tie
    assert sorted(a.series for a in alerts) == ["inventor:KIM JAEWON", "inventor:LEE MINSU"]
    a = next(a for a in alerts if a.series == "inventor:KIM JAEWON")
    assert (a.detector, a.series, a.period) == ("inventor_abroad", "inventor:KIM JAEWON", "2022-03")
    assert a.id == alert_id("inventor_abroad", "inventor:KIM JAEWON", "2022-03")
    ev = a.evidence
    assert ev["tie"] == "shared co-inventor: LEE MINSU"
    assert len(ev["home_patents"]) == 3 and len(ev["foreign_patents"]) == 2
    assert ev["foreign_patents"][0]["applicants"] == [{"name": "CHANGXIN MEMORY TECHNOLOGIES", "country": "CN"}]
    assert ev["first_foreign_filing"] == "2022-03-01" and "CN" in ev["countries"]
    assert 0 < a.severity <= 1 and "SAMSUNG ELECTRONICS" in a.explanation
    # re-runs give the same ids
    assert [x.id for x in run(mover_history())] == [x.id for x in alerts]


def test_only_one_prior_korean_patent_is_not_enough():
    assert run(mover_history(n_home=1)) == []


def test_foreign_filing_outside_the_strategic_technologies_is_not_flagged():
    assert run(mover_history(tech_abroad=None)) == []


def test_foreign_companys_korean_lab_is_not_abroad():
    assert run(mover_history(abroad_country="KR")) == []


def test_a_subsidiary_of_the_home_group_abroad_is_not_a_move():
    assert run(mover_history(abroad_applicant=("Samsung Semiconductor, Inc.", "US"))) == []


def test_a_common_name_without_a_tie_is_never_flagged():
    # two Korean 'Jaewon Kim's at different companies, and a third at Micron: the name alone proves nothing
    pairs = mover_history(coinventor_abroad="John Smith")
    pairs += [patent(f"2020-0{i + 1}-10", [("SK hynix Inc.", "KR")], [("Jaewon Kim", "KR"), ("Eunji Park", "KR")])
              for i in range(2)]
    assert run(pairs) == []


def test_a_name_unique_in_the_data_in_the_same_technology_is_enough_but_not_in_another():
    pairs = mover_history(coinventor_abroad="Wei Wang")
    alerts = run(pairs)
    assert len(alerts) == 1 and alerts[0].evidence["tie"].startswith("same full name, held by no other person in the stored data")
    assert "rare" not in alerts[0].explanation  # nothing measured how rare a name is
    assert run(mover_history(coinventor_abroad="Wei Wang", tech_abroad="battery.li_ion")) == []


def test_name_tie_fails_when_the_home_filings_go_on_after_the_move():
    pairs = mover_history(coinventor_abroad="Wei Wang")
    pairs += [patent("2023-06-01", [SAMSUNG], [("Jaewon Kim", "KR"), ("Minsu Lee", "KR")])]
    assert run(pairs) == []


def test_disambiguation_splits_a_name_by_co_inventors_and_applicants():
    pairs = mover_history(coinventor_abroad="Wei Wang")
    docs, tags = zip(*pairs)
    persons = disambiguate(_mentions(docs, tags))["KIM JAEWON"]
    assert sorted(len(p) for p in persons) == [2, 3]


def test_the_planted_demo_mover_and_nobody_else():
    from crawlers.demo import data
    from crawlers.parsers.base import PageContext
    from crawlers.parsers.patentsview import patent_to_document
    from ews.kernel.schema import ClassifyInput
    from models.classify import load_classifier

    ctx = PageContext(source="demo-pv", kind="patent", url="http://127.0.0.1/x", fetched_at=FETCHED)
    docs = [patent_to_document(r, ctx) for r in data.patents()]
    clf = load_classifier(None)
    tags = [TaggedDocument(doc_id=t.id, tagging=t, model_version=clf.version, taxonomy_version=clf.taxonomy_version)
            for t in clf.predict([ClassifyInput.from_document(d) for d in docs])]
    alerts = alerts_from_signals(detect_inventor_moves(docs, tags))
    assert [(a.series, a.period) for a in alerts] == [("inventor:KIM JAEWON", "2022-03")]
    ev = alerts[0].evidence
    assert ev["home_applicants"] == ["SAMSUNG ELECTRONICS"]
    assert ev["foreign_applicants"] == ["CHANGXIN MEMORY TECHNOLOGIES (CN)"]
    assert all(p["filed"] < "2022-01-01" for p in ev["home_patents"])
    assert all(p["filed"] >= "2022-01-01" for p in ev["foreign_patents"])
    assert find_moves(docs, tags, min_prior=100) == []
    # the alert folds like the count alerts do (re-detection keeps one alert)
    from alerts.build import apply_realert_window
    again = alerts_from_signals(detect_inventor_moves(docs, tags))
    merged = apply_realert_window(again, alerts)
    assert [a.id for a in merged] == [alerts[0].id] and merged[0].evidence["occurrences"].keys() == {"2022-03"}


def test_pipeline_wiring_is_idempotent_through_the_store(tmp_path):
    """The line suggested for ews/pipeline.detect_and_alert: re-runs update the alert, never duplicate it,
    and keep its review status."""
    from ews.kernel.store import Store

    docs, tags = zip(*mover_history(coinventor_abroad="Wei Wang"))
    with Store(tmp_path / "home") as store:
        store.upsert_documents(docs)
        store.upsert_tagged(tags)
        first = store.upsert_alerts(alerts_from_signals(detect_inventor_moves(store.iter_documents(), store.iter_tagged())))
        assert first == {"inserted": 1, "updated": 0}
        a = store.list_alerts()[0]
        with store.transaction() as c:  # an analyst triages it (as the review app's embedded store does)
            c.execute("UPDATE alerts SET status=?, body=? WHERE id=?",
                      ("triaged", a.model_copy(update={"status": "triaged"}).model_dump_json(), a.id))
        again = store.upsert_alerts(alerts_from_signals(detect_inventor_moves(store.iter_documents(), store.iter_tagged())))
        assert again == {"inserted": 0, "updated": 1}
        assert [(x.series, x.status) for x in store.list_alerts()] == [("inventor:KIM JAEWON", "triaged")]


def test_the_spilled_stream_finds_the_moves_of_the_lists_whatever_the_number_of_names(tmp_path):
    """`detect_inventor_moves_in` reads the pairs once and judges one name key at a time from disk: the same
    signals as `detect_inventor_moves` on the lists, for movers among many other names."""
    import random

    from models.inventors import detect_inventor_moves_in

    rng = random.Random(7)
    GIVEN = [a + b for a in ("Min", "Ji", "Seo", "Hyun", "Tae", "Woo") for b in ("jun", "ho", "yeon", "bin", "su",
                                                                           "won", "hee", "kyu", "rim", "chan")]
    pairs = mover_history(coinventor_abroad="Wei Wang")
    for i in range(400):  # Korean and foreign inventors of many names, some sharing co-inventors across borders
        home = bool(i % 3)
        when = f"{2015 + i % 4 + (0 if home else 4)}-0{1 + i % 9}-1{i % 10}"
        who = [(f"{GIVEN[rng.randrange(60)]} Park", "KR" if home else "CN"),
               (f"{GIVEN[rng.randrange(30)]} Choi", "KR" if home else "CN")]
        pairs.append(patent(when, [SAMSUNG] if home else [CXMT], who, tech="semi.memory" if i % 2 else None))
    docs, tags = zip(*pairs)
    expected = detect_inventor_moves(list(docs), list(tags))
    reads = []

    def stream():
        reads.append(1)
        return iter(pairs)
    spilled = detect_inventor_moves_in(stream, spill_dir=tmp_path / "spill")
    assert len(expected) > 10 and [s.model_dump() for s in spilled] == [s.model_dump() for s in expected]
    assert reads == [1] and list((tmp_path / "spill").iterdir()) == []  # read once; the spill file is gone

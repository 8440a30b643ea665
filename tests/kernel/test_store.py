import datetime as dt

import pandas as pd
import pytest

from ews.kernel.ids import alert_id
from ews.kernel.schema import Alert, Document, SourceHealth, TaggedDocument, Tagging, TechnologyScore
from ews.kernel.store import Store

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def doc(key="1", text="body", fetched=NOW):
    return Document.build(source="demo.news", source_key=key, kind="policy", title="T", text=text, fetched_at=fetched)


def alert(series="tech:semi.memory", period="2023-10", severity=0.8):
    return Alert(id=alert_id("count", series, period), detector="count", series=series, period=period,
                 direction="surge", observed=40, expected=10, score=0.99, severity=severity, method="m",
                 first_seen=NOW, last_seen=NOW)


def test_raw_archive_is_compressed_and_idempotent(tmp_path):
    with Store(tmp_path) as s:
        body = "본문 <html>".encode("euc-kr") * 100
        a = s.put_raw(source="kr.site", url="http://127.0.0.1/a", body=body, headers={"Content-Type": "text/html"})
        b = s.put_raw(source="kr.site", url="http://127.0.0.1/a", body=body, headers={"Content-Type": "text/html"})
        assert a == b and s.stats()["raw"] == 1
        meta, got = s.get_raw(a)
        assert got == body and meta["url"] == "http://127.0.0.1/a" and meta["headers"]["Content-Type"] == "text/html"
        assert meta["compressed_size"] < len(body) / 10
        with pytest.raises(KeyError):
            s.get_raw("missing")


def test_document_upsert_counts_insert_update_unchanged(tmp_path):
    with Store(tmp_path) as s:
        assert s.upsert_documents([doc("1"), doc("2")]) == {"inserted": 2, "updated": 0, "unchanged": 0}
        # a refetch of the same content an hour later changes nothing
        later = NOW + dt.timedelta(hours=1)
        assert s.upsert_documents([doc("1", fetched=later)]) == {"inserted": 0, "updated": 0, "unchanged": 1}
        assert s.upsert_documents([doc("2", text="new body")]) == {"inserted": 0, "updated": 1, "unchanged": 0}
        assert s.count_documents() == 2
        assert {d.text for d in s.iter_documents()} == {"body", "new body"}


def test_failed_batch_writes_nothing(tmp_path):
    def docs():
        yield doc("1")
        raise RuntimeError("crawler died")
    with Store(tmp_path) as s:
        with pytest.raises(RuntimeError):
            s.upsert_documents(docs())
        assert s.count_documents() == 0


def test_alert_upsert_keeps_review_status_and_first_seen(tmp_path):
    with Store(tmp_path) as s:
        assert s.upsert_alerts([alert()]) == {"inserted": 1, "updated": 0}
        s._conn.execute("UPDATE alerts SET status='confirmed', body=json_set(body, '$.status', 'confirmed')")
        again = alert(severity=0.9).model_copy(update={"first_seen": NOW + dt.timedelta(days=1)})
        assert s.upsert_alerts([again]) == {"inserted": 0, "updated": 1}
        (got,) = s.list_alerts()
        assert got.status == "confirmed" and got.first_seen == NOW and got.severity == 0.9
        assert [a.id for a in s.pending_alerts()] == [got.id]
        s.mark_indexed([got.id])
        assert s.pending_alerts() == []


def test_counts_tagged_health_state(tmp_path):
    with Store(tmp_path) as s:
        df = pd.DataFrame({"series": ["a", "a"], "period": ["2024-01", "2024-02"], "count": [1, 0]})
        assert s.replace_counts(df) == 2 and s.replace_counts(df) == 2
        assert s.read_counts().to_dict("records") == df.to_dict("records")
        t = TaggedDocument(doc_id="d", model_version="v1", taxonomy_version="2024.1",
                           tagging=Tagging(id="d", technologies=[TechnologyScore(id="semi.memory", score=0.9)], fields=["semi"]))
        s.upsert_tagged([t, t])
        assert list(s.iter_tagged()) == [t]
        h = SourceHealth(source="x", started_at=NOW, finished_at=NOW, items=3)
        s.record_health(h)
        assert s.last_health("x") == h and s.last_health("y") is None
        s.set_state("x", {"cursor": "2024-01-01"})
        assert s.get_state("x") == {"cursor": "2024-01-01"} and s.get_state("y") == {}

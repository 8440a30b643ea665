"""`ews ingest`: documents in the document schema into the store, idempotent, with the bad-input rules of
every command (file:line:problem, nothing stored without --skip-bad, what was skipped and lost with it)."""
from __future__ import annotations

import gzip
import json

from ews.kernel.ids import document_id
from ews.kernel.store import Store
from tests.app.cli import ews


def _patent(i: int, **extra) -> dict:
    return {"source": "bulk.test", "source_key": f"US{i:07d}", "kind": "patent", "title": f"Memory cell {i}",
            "text": "A nonvolatile memory cell array with a charge trap layer.", "lang": "en",
            "published": "2021-03-02", "jurisdiction": "US", "application_date": "2020-01-15",
            "publication_date": "2021-03-02", "applicants": [{"name": "Samsung Electronics Co., Ltd.", "country": "KR"}],
            "inventors": [{"name": "KIM, Jae-won", "country": "KR"}], "cpc": ["H10B 43/27"], **extra}


def _policy(i: int) -> dict:
    return {"source": "bulk.policy", "source_key": f"https://example.org/p/{i}", "kind": "policy",
            "title": f"Semiconductor strategy {i}", "text": "A plan for memory chips.", "lang": "en",
            "published": "2022-05-01", "jurisdiction": "KR"}


def _jsonl(path, records, gz=False):
    data = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def _no_traceback(r):
    assert "Traceback" not in r.stderr, r.stderr


def test_ingest_stores_documents_with_derived_ids_and_twice_changes_nothing(tmp_path, ews_home):
    src = _jsonl(tmp_path / "docs.jsonl.gz", [_patent(1), _patent(2), _policy(1),
                                              {**_patent(3), "id": document_id("bulk.test", "US0000003")}], gz=True)
    r = ews("ingest", "--input", str(src))
    _no_traceback(r)
    assert r.returncode == 0 and "4 new" in r.stderr, r.stderr
    with Store(ews_home) as store:
        docs = {d.id: d for d in store.iter_documents()}
        body = store.connection.execute("SELECT id, updated_at FROM documents ORDER BY id").fetchall()
    assert set(docs) == {document_id("bulk.test", f"US{i:07d}") for i in (1, 2, 3)} | {
        document_id("bulk.policy", "https://example.org/p/1")}
    p = docs[document_id("bulk.test", "US0000001")].patent
    assert p.application_date.isoformat() == "2020-01-15" and p.cpc == ["H10B43/27"]
    assert p.applicants[0].country == "KR" and p.inventors[0].name == "KIM, Jae-won"
    r = ews("ingest", "--input", str(src))
    assert r.returncode == 0 and "0 new, 0 updated, 4 unchanged" in r.stderr, r.stderr
    with Store(ews_home) as store:
        assert store.connection.execute("SELECT id, updated_at FROM documents ORDER BY id").fetchall() == body


def test_a_changed_document_is_updated_in_place(tmp_path, ews_home):
    ews("ingest", "--input", str(_jsonl(tmp_path / "a.jsonl", [_patent(1)])))
    r = ews("ingest", "--input", str(_jsonl(tmp_path / "b.jsonl", [_patent(1, title="Memory cell, corrected")])))
    assert r.returncode == 0 and "0 new, 1 updated" in r.stderr, r.stderr
    with Store(ews_home) as store:
        assert [d.title for d in store.iter_documents()] == ["Memory cell, corrected"]


def test_bad_lines_are_named_and_nothing_is_stored_without_skip_bad(tmp_path, ews_home):
    huge = json.dumps(_patent(9, text="x" * (17 * 1024 * 1024)))
    src = tmp_path / "bad.jsonl"
    good = [json.dumps(_patent(i)) for i in range(1, 4)]
    lines = [good[0], "{not json", json.dumps({**_patent(5), "kind": "novel"}), huge,
             json.dumps({**_patent(6), "id": "made-up"}), good[1], good[1], json.dumps(_policy(1) | {"cpc": ["H01M"]}),
             json.dumps({"kind": "patent", "title": "no source"}), "[1, 2]", good[2]]
    src.write_bytes(("\n".join(lines) + "\n").encode() + b'{"source": "s", "title": "caf\xe9"}\n')
    r = ews("ingest", "--input", str(src))
    _no_traceback(r)
    assert r.returncode == 2, r.stderr
    for where, problem in [(2, "not JSON"), (3, "kind"), (4, "line too long"), (5, "'made-up' is not the id"),
                           (7, "duplicate id"), (8, "patent fields (cpc) on a document of kind 'policy'"),
                           (9, "source: a non-empty text is required"), (10, "not a JSON object"), (12, "not UTF-8")]:
        assert f"{src}:{where}: " in r.stderr and problem in r.stderr, (where, problem, r.stderr)
    assert "nothing written" in r.stderr
    with Store(ews_home) as store:
        assert store.count_documents() == 0
    r = ews("ingest", "--input", str(src), "--skip-bad")
    _no_traceback(r)
    assert r.returncode == 0 and "skipped 9 bad lines" in r.stderr and "3 new" in r.stderr, r.stderr
    with Store(ews_home) as store:
        assert store.count_documents() == 3


def test_an_empty_file_and_a_missing_file_are_clear_errors(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")
    r = ews("ingest", "--input", str(empty))
    _no_traceback(r)
    assert r.returncode == 2 and "no documents to ingest" in r.stderr
    r = ews("ingest", "--input", str(tmp_path / "absent.jsonl"))
    _no_traceback(r)
    assert r.returncode == 2 and "no such file" in r.stderr


def test_a_damaged_gzip_stores_nothing_or_with_skip_bad_what_came_before_and_says_what_is_lost(tmp_path, ews_home):
    blob = gzip.compress("".join(json.dumps(_patent(i, text=f"memory {i} " * 40)) + "\n" for i in range(3000)).encode())
    src = tmp_path / "cut.jsonl.gz"
    src.write_bytes(blob[: len(blob) // 2])
    r = ews("ingest", "--input", str(src))
    _no_traceback(r)
    assert r.returncode == 2 and "damaged after line" in r.stderr and "lost" in r.stderr
    with Store(ews_home) as store:
        assert store.count_documents() == 0
    r = ews("ingest", "--input", str(src), "--skip-bad")
    _no_traceback(r)
    assert r.returncode == 0 and "every record after it is lost and not counted among the skipped" in r.stderr
    with Store(ews_home) as store:
        n = store.count_documents()
    assert 0 < n < 3000


def _parsed_lines(monkeypatch) -> list[int]:
    """The line numbers `ews ingest` parses (turns into documents), recorded as it runs."""
    import ews.kernel.records as records

    parsed: list[int] = []
    real = records.parse_json_line

    def counting(name, lineno, text, parse):
        parsed.append(lineno)
        return real(name, lineno, text, parse)

    monkeypatch.setattr(records, "parse_json_line", counting)
    return parsed


def test_a_second_load_parses_only_the_lines_it_has_not_stored(tmp_path, ews_home, monkeypatch):
    first = [_patent(i) for i in range(1, 6)]
    ews("ingest", "--input", str(_jsonl(tmp_path / "a.jsonl.gz", first, gz=True)))
    parsed = _parsed_lines(monkeypatch)
    r = ews("ingest", "--input", str(_jsonl(tmp_path / "a.jsonl.gz", first, gz=True)))
    assert r.returncode == 0 and "0 new, 0 updated, 5 unchanged" in r.stderr, r.stderr
    assert parsed == []
    # the file grows and one line changes: only those are parsed (twice: the checking pass, then the load)
    grown = first[:2] + [_patent(3, title="Memory cell, corrected")] + first[3:] + [_patent(6)]
    r = ews("ingest", "--input", str(_jsonl(tmp_path / "b.jsonl", grown)))
    assert r.returncode == 0 and "1 new, 1 updated, 4 unchanged" in r.stderr, r.stderr
    assert parsed == [3, 6, 3, 6]
    with Store(ews_home) as store:
        titles = {d.source_key: d.title for d in store.iter_documents()}
    assert titles["US0000003"] == "Memory cell, corrected" and titles["US0000006"] == "Memory cell 6"


def test_a_known_line_beside_a_bad_one_stores_nothing_and_a_known_line_twice_is_a_duplicate(tmp_path, ews_home):
    ews("ingest", "--input", str(_jsonl(tmp_path / "a.jsonl", [_patent(1)])))
    r = ews("ingest", "--input", str(_jsonl(tmp_path / "b.jsonl", [_patent(1), _patent(2), "{not json"])))
    assert r.returncode == 2 and f"{tmp_path / 'b.jsonl'}:3: not JSON" in r.stderr, r.stderr
    r = ews("ingest", "--input", str(_jsonl(tmp_path / "c.jsonl", [_patent(1), _patent(1)])))
    assert r.returncode == 2 and f"{tmp_path / 'c.jsonl'}:2: duplicate id" in r.stderr, r.stderr
    with Store(ews_home) as store:
        assert store.count_documents() == 1


def test_a_document_a_crawl_changed_is_restored_from_its_line(tmp_path, ews_home, monkeypatch):
    from ews.kernel.ingest import document_from_record

    src = _jsonl(tmp_path / "a.jsonl", [_patent(1)])
    ews("ingest", "--input", str(src))
    with Store(ews_home) as store:  # a crawl writes a newer version of the document (no input line)
        doc = next(store.iter_documents())
        assert store.upsert_documents([doc.model_copy(update={"title": "Crawled title"})])["updated"] == 1
    parsed = _parsed_lines(monkeypatch)
    r = ews("ingest", "--input", str(src))
    assert r.returncode == 0 and "0 new, 1 updated" in r.stderr and parsed == [1, 1], r.stderr
    with Store(ews_home) as store:
        assert [d.title for d in store.iter_documents()] == ["Memory cell 1"]
    assert document_from_record(_patent(1), doc.fetched_at).content_hash == doc.content_hash


def test_other_conversion_code_parses_every_line_again(tmp_path, ews_home, monkeypatch):
    import ews.kernel.ingest as ingest

    src = _jsonl(tmp_path / "a.jsonl", [_patent(1), _patent(2)])
    ews("ingest", "--input", str(src))
    parsed = _parsed_lines(monkeypatch)
    monkeypatch.setattr(ingest, "_CONVERSION", b"the schema of a later release")
    r = ews("ingest", "--input", str(src))
    assert r.returncode == 0 and "0 new, 0 updated, 2 unchanged" in r.stderr and parsed == [1, 2, 1, 2], r.stderr
    parsed.clear()
    assert ews("ingest", "--input", str(src)).returncode == 0 and parsed == []

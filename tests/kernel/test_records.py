import gzip

import pytest

from ews.kernel.records import InputError, read_csv, read_jsonl, write_jsonl_atomic
from ews.kernel.schema import ClassifyInput


def test_jsonl_names_line_and_problem(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_bytes(b'{"id": "a", "text": "ok"}\n\nnot json\n[1,2]\n{"text": "no id"}\n'
                  + '{"id": "k", "text": "한국"}\n'.encode("euc-kr") + b'{"id": "z", "text": "fine"}\n')
    res = read_jsonl(p, ClassifyInput)
    assert [r.id for r in res.records] == ["a", "z"]
    problems = {b.line: b.problem for b in res.bad}
    assert set(problems) == {3, 4, 5, 6}
    assert problems[3].startswith("not JSON") and "not a JSON object" in problems[4]
    assert "id" in problems[5] and problems[6].startswith("not UTF-8")
    assert str(res.bad[0]).startswith(f"{p}:3: ")


def test_jsonl_gzip_and_bom_and_empty(tmp_path):
    p = tmp_path / "in.jsonl.gz"
    p.write_bytes(gzip.compress('\ufeff{"id": "a", "text": "x"}\n'.encode()))
    assert [r.id for r in read_jsonl(p, ClassifyInput).records] == ["a"]
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    res = read_jsonl(empty, ClassifyInput)
    assert res.records == [] and res.bad == []
    with pytest.raises(InputError, match="no such file"):
        read_jsonl(tmp_path / "missing.jsonl", ClassifyInput)
    with pytest.raises(InputError, match="directory"):
        read_jsonl(tmp_path, ClassifyInput)


def test_jsonl_truncated_gzip_is_reported(tmp_path):
    p = tmp_path / "cut.jsonl.gz"
    lines = "".join(f'{{"id": "{i}", "text": "{i * 7919 % 104729}"}}\n' for i in range(5000))
    whole = gzip.compress(lines.encode())
    p.write_bytes(whole[: len(whole) // 2])
    res = read_jsonl(p, ClassifyInput)
    assert res.bad and "file damaged after line" in res.bad[-1].problem and "every record after it is lost" in res.bad[-1].problem


def test_csv_header_and_rows(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("series,period,count\na,2024-01,3\na,2024-02,x,9\n", encoding="utf-8")
    res = read_csv(p, ["series", "period", "count"], lambda r: r)
    assert len(res.records) == 1 and res.bad[0].line == 3 and "too many fields" in res.bad[0].problem
    p.write_text("series,count\na,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column.*period"):
        read_csv(p, ["series", "period", "count"], lambda r: r)
    p.write_bytes("series,period,count\n한,2024-01,1\n".encode("euc-kr"))
    with pytest.raises(InputError, match=r"c.csv:2: not UTF-8"):
        read_csv(p, ["series", "period", "count"], lambda r: r)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("previous\n")

    def rows():
        yield {"a": 1}
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        write_jsonl_atomic(out, rows())
    assert out.read_text() == "previous\n" and list(tmp_path.iterdir()) == [out]
    assert write_jsonl_atomic(out, [{"a": "한"}]) == 1 and out.read_text(encoding="utf-8") == '{"a": "한"}\n'

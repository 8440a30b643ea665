"""`ews classify` and `ews taxonomy` per the command-line contract, as a real process."""
import gzip
import json

from tests.app.cli import ews, ews_process

DOCS = [
    {"id": "kr1", "title": "차세대 메모리", "text": "정부는 고대역폭메모리(HBM)와 3D 낸드 등 고집적 메모리 반도체 기술 개발을 지원한다.", "lang": "ko"},
    {"id": "en1", "text": "A lithium-ion battery cathode active material with a nickel-rich layered oxide.", "cpc": ["H01M 4/525"]},
    {"id": "none", "text": "A coffee machine with a removable water tank and a milk frother.", "cpc": ["A47J 31/44"]},
    {"id": 42, "text": "Superconducting qubits for a quantum computer with error correction.", "lang": "en"},
]


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_taxonomy_json_lists_12_fields_and_50_technologies():
    r = ews("taxonomy", "--json")
    assert r.returncode == 0, r.stderr
    tax = json.loads(r.stdout)
    assert len(tax["fields"]) == 12 and sum(len(f["technologies"]) for f in tax["fields"]) == 50
    assert ews("taxonomy").returncode == 0


def test_classify_contract_one_line_per_input_in_order(tmp_path):
    out = tmp_path / "out.jsonl"
    r = ews("classify", "--input", str(write_jsonl(tmp_path / "in.jsonl", DOCS)), "--output", str(out))
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["id"] for x in rows] == ["kr1", "en1", "none", "42"]
    by = {x["id"]: x for x in rows}
    assert by["kr1"]["technologies"][0]["id"] == "semi.memory" and "semi" in by["kr1"]["fields"]
    assert "battery.li_ion" in [t["id"] for t in by["en1"]["technologies"]]
    assert by["none"]["technologies"] == [] and by["none"]["fields"] == []
    assert "quantum.computing" in [t["id"] for t in by["42"]["technologies"]]
    for x in rows:
        scores = [t["score"] for t in x["technologies"]]
        assert scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
        assert {t["id"].split(".")[0] for t in x["technologies"]} <= set(x["fields"])


def test_classify_reads_gzip(tmp_path):
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(gzip.compress("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in DOCS).encode()))
    out = tmp_path / "out.jsonl"
    assert ews("classify", "--input", str(src), "--output", str(out)).returncode == 0
    assert len(out.read_text().splitlines()) == 4


def test_classify_bad_lines_stop_or_are_skipped(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"id": "a", "text": "DRAM memory cell"}\n{"id": "b"}\n{broken\n'
                    + '{"id": "c", "text": "메모리"}\n'.encode("euc-kr"))
    out = tmp_path / "out.jsonl"
    r = ews("classify", "--input", str(src), "--output", str(out))
    err = " ".join(r.stderr.split())
    assert r.returncode != 0 and not out.exists() and "Traceback" not in r.stderr
    assert f"{src}:2: invalid record: text" in err and f"{src}:3: not JSON" in err and f"{src}:4: not UTF-8" in err
    r = ews("classify", "--input", str(src), "--output", str(out), "--skip-bad")
    assert r.returncode == 0 and "skipped 3 bad lines" in r.stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["a"]


def test_classify_missing_input_and_model(tmp_path):
    r = ews_process("classify", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "o.jsonl"))
    assert r.returncode != 0 and "no such file" in r.stderr
    src = write_jsonl(tmp_path / "in.jsonl", DOCS[:1])
    r = ews("classify", "--input", str(src), "--output", str(tmp_path / "o.jsonl"), "--model", str(tmp_path / "no-model"))
    assert r.returncode != 0 and "no-model" in r.stderr and "Traceback" not in r.stderr

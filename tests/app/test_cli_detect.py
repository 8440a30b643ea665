"""`ews detect` per the command-line contract, driven as users drive it: a real process."""
import json

import pytest

from tests.app.cli import ews, ews_process


def series_csv(path, rows):
    path.write_text("series,period,count\n" + "".join(f"{s},{p},{c}\n" for s, p, c in rows), encoding="utf-8")
    return path


def flat_with_surge(series="semi.memory|SAMSUNG", months=36, at=30, base=5, peak=40):
    rows = []
    for i in range(months):
        y, m = 2021 + i // 12, i % 12 + 1
        c = peak if i == at else base + (i * 7 % 3) - 1
        rows.append((series, f"{y}-{m:02d}", c))
    return rows


def test_flags_a_surge_with_the_contract_fields(tmp_path):
    rows = flat_with_surge()
    out = tmp_path / "alerts.jsonl"
    r = ews("detect", "--input", str(series_csv(tmp_path / "s.csv", rows[::-1])), "--output", str(out))
    assert r.returncode == 0, r.stderr
    flags = [json.loads(line) for line in out.read_text().splitlines()]
    surge = [f for f in flags if f["period"] == "2023-07"]
    assert surge and surge[0]["direction"] == "surge" and surge[0]["observed"] == 40
    assert set(surge[0]) >= {"series", "period", "direction", "observed", "expected", "score", "method"}
    assert surge[0]["series"] == "semi.memory|SAMSUNG" and 0 <= surge[0]["score"] <= 1
    assert surge[0]["expected"] < 20
    # a flat series raises nothing around the surge except the surge itself
    assert all(f["period"] >= "2023-07" for f in flags)


def test_detection_is_causal(tmp_path):
    rows = flat_with_surge(months=36, at=24)
    full, cut = tmp_path / "full.jsonl", tmp_path / "cut.jsonl"
    assert ews("detect", "--input", str(series_csv(tmp_path / "a.csv", rows)), "--output", str(full)).returncode == 0
    assert ews("detect", "--input", str(series_csv(tmp_path / "b.csv", rows[:27])), "--output", str(cut)).returncode == 0
    f = [json.loads(x) for x in full.read_text().splitlines() if json.loads(x)["period"] <= "2023-03"]
    c = [json.loads(x) for x in cut.read_text().splitlines()]
    assert f == c and any(x["period"] == "2023-01" for x in c)


def test_missing_periods_count_as_zero(tmp_path):
    rows = [r for r in flat_with_surge(base=30, peak=30) if r[1] != "2023-08"]
    out = tmp_path / "o.jsonl"
    assert ews("detect", "--input", str(series_csv(tmp_path / "s.csv", rows)), "--output", str(out)).returncode == 0
    flags = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(f["period"], f["direction"], f["observed"]) for f in flags if f["period"] == "2023-08"] == [("2023-08", "drop", 0)]


@pytest.mark.parametrize("content,message", [
    ("series,period,count\na,2024-13,1\n", "s.csv:2: invalid row: period '2024-13'"),
    ("series,period,count\na,2024-01,-3\n", "s.csv:2: invalid row: count '-3' is not a whole number"),
    ("series,period,count\na,2024-01,many\n", "s.csv:2: invalid row: count 'many' is not a whole number"),
    ("series,period,count\na,2024-01,1\na,2024-Q2,1\n", "s.csv:3: mixed granularity"),
    ("series,period,count\na,2024-01,1\na,2024-01,2\n", "s.csv:3: duplicate row"),
    ("series,period,count\na,2024-01\n", "s.csv:2: too few fields"),
    ("series,period,count\ntech:a.b\u202eX,2024-01,1\n", "s.csv:2: invalid row: series key 'tech:a.b\\u202eX' holds the control character U+202E"),
    ("series,period,count\na\x00b,2024-01,1\n", "U+0000 at position 1: refused"),
    ("series,count\na,1\n", "header lacks column(s) period"),
    ("", "empty file"),
])
def test_bad_rows_are_named_and_nothing_is_written(tmp_path, content, message):
    src = tmp_path / "s.csv"
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "o.jsonl"
    r = ews("detect", "--input", str(src), "--output", str(out))
    assert r.returncode != 0
    assert message in " ".join(r.stderr.split()), r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_skip_bad_reports_what_it_skipped(tmp_path):
    rows = flat_with_surge()
    src = series_csv(tmp_path / "s.csv", rows)
    with open(src, "a", encoding="utf-8") as f:
        f.write("x,2024-99,1\nsemi.memory|SAMSUNG,2023-07,5\n")
    out = tmp_path / "o.jsonl"
    r = ews("detect", "--input", str(src), "--output", str(out), "--skip-bad")
    assert r.returncode == 0, r.stderr
    assert "skipped 2 bad rows" in r.stderr and out.exists()


def test_wrong_encoding_is_a_clear_error_from_the_installed_command(tmp_path):
    src = tmp_path / "s.csv"
    src.write_bytes("series,period,count\n메모리,2024-01,1\n".encode("cp949"))
    r = ews_process("detect", "--input", str(src), "--output", str(tmp_path / "o.jsonl"))
    assert r.returncode != 0 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr


def test_output_has_bounds_severity_and_explanation(tmp_path):
    out = tmp_path / "alerts.jsonl"
    r = ews("detect", "--input", str(series_csv(tmp_path / "s.csv", flat_with_surge())), "--output", str(out))
    assert r.returncode == 0, r.stderr
    surge = [json.loads(x) for x in out.read_text().splitlines() if json.loads(x)["period"] == "2023-07"][0]
    assert surge["lower"] <= surge["expected"] <= surge["upper"] < surge["observed"]
    assert 0 < surge["severity"] <= 1 and "Surge" in surge["explanation"]


def test_as_of_says_how_many_flags_it_withheld_and_why(tmp_path):
    rows = [("semi.memory", f"{2020 + i // 12}-{i % 12 + 1:02d}", 40 if i < 45 else 1) for i in range(48)]
    src = series_csv(tmp_path / "s.csv", rows)
    cut, full = tmp_path / "cut.jsonl", tmp_path / "full.jsonl"
    r = ews("detect", "--input", str(src), "--output", str(cut), "--as-of", "2023-12-31")
    assert r.returncode == 0, r.stderr
    assert ews("detect", "--input", str(src), "--output", str(full)).returncode == 0
    withheld = len(full.read_text().splitlines()) - len(cut.read_text().splitlines())
    assert withheld > 0
    assert f"{withheld} flags withheld: {withheld} drops in periods not complete before 2022-06-30 (publication lag)" \
        in " ".join(r.stderr.split())

"""`ews forecast` per the command-line contract: the contract fields, and bad input named without a traceback."""
import json
import os

import pytest

from tests.app.cli import ews

FIELDS = {"series", "period", "mean", "lower_80", "upper_80", "lower_95", "upper_95"}


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_forecasts_every_series_and_future_period(tmp_path):
    rows = "".join(f"tech:a,{y},{10 + 2 * (y - 2005)}\n" for y in range(2005, 2021))
    rows += "".join(f"tech:b,{2020 + i // 12}-{i % 12 + 1:02d},{5 + i % 4}\n" for i in range(36))
    src = write(tmp_path / "s.csv", "series,period,count\n" + rows)
    out = tmp_path / "f.jsonl"
    r = ews("forecast", "--input", str(src), "--horizon", "2", "--output", str(out))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(x["series"], x["period"]) for x in lines] == [
        ("tech:a", "2021"), ("tech:a", "2022"), ("tech:b", "2023-01"), ("tech:b", "2023-02")]
    assert all(set(x) == FIELDS for x in lines)
    assert all(x["lower_95"] <= x["lower_80"] <= x["mean"] <= x["upper_80"] <= x["upper_95"] for x in lines)


@pytest.mark.parametrize("content,args,message", [
    ("series,period,count\na,2024-13,1\n", [], "s.csv:2: invalid row: period '2024-13'"),
    ("series,period,count\na,2024-01,nan\n", [], "s.csv:2: invalid row: count 'nan' is not a whole number"),
    ("series,period,count\na,2024-01,1\na,2024-01,2\n", [], "s.csv:3: duplicate row"),
    ("series,count\na,1\n", [], "header lacks column(s) period"),
    ("", [], "empty file"),
    ("series,period,count\na,2024,1\n", ["--horizon", "0"], "--horizon must be between 1 and 120"),
])
def test_bad_input_is_named_and_nothing_is_written(tmp_path, content, args, message):
    src = write(tmp_path / "s.csv", content)
    out = tmp_path / "o.jsonl"
    r = ews("forecast", "--input", str(src), "--output", str(out), *args)
    assert r.returncode != 0
    assert message in " ".join(r.stderr.split()), r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_wrong_encoding_and_missing_file_are_named(tmp_path):
    src = tmp_path / "latin.csv"
    src.write_bytes("series,period,count\nbatterie é,2024,1\n".encode("latin-1"))
    r = ews("forecast", "--input", str(src), "--output", str(tmp_path / "o.jsonl"))
    assert r.returncode != 0 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr
    r = ews("forecast", "--input", str(tmp_path / "nope.csv"), "--output", str(tmp_path / "o.jsonl"))
    assert r.returncode != 0 and "no such file" in r.stderr


def test_policy_forecast_reads_the_store(tmp_path):
    import pandas as pd

    from ews.kernel.store import Store

    with Store(os.environ["EWS_HOME"]) as store:
        store.replace_counts(pd.DataFrame(
            [("field:semi|policy:US", f"2024-{m:02d}", m) for m in range(1, 13)]
            + [("tech:semi.memory", f"2024-{m:02d}", 3) for m in range(1, 13)], columns=["series", "period", "count"]))
    out = tmp_path / "p.jsonl"
    r = ews("forecast", "--policy", "--horizon", "1", "--output", str(out))
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["series"] for x in out.read_text().splitlines()] == ["field:semi|policy:US"]

"""Bad input to every stage-1 command: a clear error naming file, line and problem, never a traceback,
nothing written (or, with --skip-bad, what was skipped and what was lost)."""
import gzip
import json

import pytest

from tests.app.cli import ews


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _no_traceback(r):
    assert "Traceback" not in r.stderr, r.stderr


@pytest.mark.parametrize("line, message", [
    ('{"id":"a","text":' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ('{"id":"a","text":"x","n":' + "9" * 5000 + "}", "integer string conversion"),
])
def test_classify_refuses_hostile_json_per_line(tmp_path, line, message):
    src = _write(tmp_path / "in.jsonl", line + "\n")
    r = ews("classify", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    _no_traceback(r)
    assert r.returncode == 2 and f"{src}:1:" in r.stderr and message in r.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_classify_output_that_is_a_directory_or_unwritable(tmp_path):
    src = _write(tmp_path / "in.jsonl", '{"id":"a","text":"memory chip"}\n')
    r = ews("classify", "--input", str(src), "--output", str(tmp_path))
    _no_traceback(r)
    assert r.returncode == 2 and "is a directory" in r.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        r = ews("classify", "--input", str(src), "--output", str(locked / "out.jsonl"))
    finally:
        locked.chmod(0o700)
    _no_traceback(r)
    import os

    if os.geteuid() != 0:  # root writes anywhere: the permission case only means something for a user
        assert r.returncode == 2 and "not writable" in r.stderr


def test_classify_and_train_refuse_duplicate_ids(tmp_path):
    src = _write(tmp_path / "in.jsonl", '{"id":"a","text":"memory chip"}\n{"id":"b","text":"x"}\n{"id":"a","text":"battery"}\n')
    r = ews("classify", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    _no_traceback(r)
    assert r.returncode == 2 and f"{src}:3: duplicate id 'a': already on line 1" in r.stderr


def test_truncated_gzip_says_the_rest_is_lost(tmp_path):
    lines = "".join(json.dumps({"id": f"d{i}", "text": "memory chip text " * 5}) + "\n" for i in range(3000)).encode()
    blob = gzip.compress(lines)
    src = tmp_path / "in.jsonl.gz"
    src.write_bytes(blob[: len(blob) // 3])
    r = ews("classify", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    assert r.returncode == 2 and "damaged after line" in r.stderr and "lost" in r.stderr
    r = ews("classify", "--input", str(src), "--output", str(tmp_path / "out.jsonl"), "--skip-bad")
    _no_traceback(r)
    assert r.returncode == 0 and "every record after it is lost and not counted among the skipped" in r.stderr


@pytest.mark.parametrize("rows, message", [
    ("a,2021-01,inf\n", "'inf' is not a whole number"),
    ("a,2021-01,nan\n", "'nan' is not a whole number"),
    ("a,2021-01," + "9" * 400 + "\n", "(400 digits) is larger than"),
    ("a,2021-01,1_000\n", "'1_000' is not a whole number"),
    ("a,2021-01,1e3\n", "'1e3' is not a whole number"),
    ("a,2021-01,-3\n", "'-3' is not a whole number"),
    ("a,2021-W53,3\n", "ISO year 2021 has no week 53"),
    ("a,0000-01,3\n", "year 0000 is outside"),
    ("a,9999-12,3\n", "year 9999 is outside"),
    ("a\x00b,2021-01,3\n", "control character U+0000"),
    ("\u202eab,2021-01,3\n", "control character U+202E"),
    ("a,1850-01,3\na,2100-01,3\n", "more than 200 years"),
])
def test_detect_refuses_bad_counts_periods_and_keys(tmp_path, rows, message):
    src = _write(tmp_path / "in.csv", "series,period,count\n" + rows)
    r = ews("detect", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    _no_traceback(r)
    assert r.returncode == 2 and message in r.stderr, r.stderr
    assert not (tmp_path / "out.jsonl").exists()
    r = ews("detect", "--input", str(src), "--output", str(tmp_path / "out.jsonl"), "--skip-bad")
    _no_traceback(r)
    assert r.returncode == 0 and "skipped" in r.stderr


def test_detect_refuses_a_repeated_column(tmp_path):
    src = _write(tmp_path / "in.csv", "series,period,count,count\na,2021-01,3,4\n")
    r = ews("detect", "--input", str(src), "--output", str(tmp_path / "out.jsonl"))
    _no_traceback(r)
    assert r.returncode == 2 and f"{src}:1: header names column(s) count more than once" in r.stderr


def _labelled(path, n, labels):
    return _write(path, "".join(json.dumps({"id": f"d{i}", "text": f"memory chip text {i}", "labels": labels(i)}) + "\n"
                                for i in range(n)))


def test_train_refuses_degenerate_data(tmp_path):
    same = _labelled(tmp_path / "same.jsonl", 20, lambda i: ["semi.memory"])
    r = ews("train", "--input", str(same), "--output", str(tmp_path / "m"))
    _no_traceback(r)
    assert r.returncode == 2 and "every one of the 20 records is labelled semi.memory" in r.stderr
    one = _labelled(tmp_path / "one.jsonl", 1, lambda i: ["semi.memory"])
    r = ews("train", "--input", str(one), "--output", str(tmp_path / "m"))
    _no_traceback(r)
    assert r.returncode == 2 and "training needs at least" in r.stderr
    good = _labelled(tmp_path / "good.jsonl", 20, lambda i: ["semi.memory"] if i % 2 else [])
    a_file = _write(tmp_path / "a-file", "x")
    r = ews("train", "--input", str(good), "--output", str(a_file))
    _no_traceback(r)
    assert r.returncode == 2 and "is a file, expected a directory" in r.stderr

"""tools/es_node.py without starting a node: which Java it picks, and what it says when Java or Maven is missing."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def es_node(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("es_node_under_test", ROOT / "tools" / "es_node.py")
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up there
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "JVM_ROOT", tmp_path / "jvm")
    for var in ("JAVA_HOME", "ES_JAVA_HOME"):
        monkeypatch.delenv(var, raising=False)
    return module


def fake_jdk(path: Path, version: str) -> Path:
    (path / "bin").mkdir(parents=True)
    (path / "bin" / "java").write_text("#!/bin/sh\nexit 1\n")
    (path / "release").write_text(f'JAVA_VERSION="{version}"\n')
    return path


def test_the_newest_jdk_of_21_or_later_is_chosen(es_node, tmp_path):
    fake_jdk(tmp_path / "jvm" / "java-17-openjdk-amd64", "17.0.15")
    fake_jdk(tmp_path / "jvm" / "jdk-21", "21.0.4")
    newest = fake_jdk(tmp_path / "jvm" / "temurin-25-jdk-amd64", "25.0.3")
    assert es_node.find_java() == newest


def test_java_home_wins_when_new_enough(es_node, tmp_path, monkeypatch):
    fake_jdk(tmp_path / "jvm" / "temurin-25-jdk-amd64", "25.0.3")
    home = fake_jdk(tmp_path / "elsewhere" / "jdk21", "21.0.1")
    monkeypatch.setenv("JAVA_HOME", str(home))
    assert es_node.find_java() == home


def test_only_an_old_java_says_what_is_needed(es_node, tmp_path):
    fake_jdk(tmp_path / "jvm" / "java-17-openjdk-amd64", "17.0.15")
    with pytest.raises(es_node.MissingTool, match=r"Java 21 or newer; found: .*java-17-openjdk-amd64 \(Java 17\)"):
        es_node.find_java()


def test_no_maven_is_a_clear_message_and_exit_code_2(es_node, tmp_path, monkeypatch, capsys):
    fake_jdk(tmp_path / "jvm" / "temurin-25-jdk-amd64", "25.0.3")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    monkeypatch.setenv("EWS_ES_CACHE", str(tmp_path / "cache"))  # nothing fetched yet
    assert es_node.main(["start", "--dir", str(tmp_path / "state")]) == 2
    err = capsys.readouterr().err
    assert "Maven (mvn) is not installed" in err and "Traceback" not in err


def test_status_of_a_directory_without_a_node(es_node, tmp_path, capsys):
    assert es_node.main(["status", "--dir", str(tmp_path / "none")]) == 1
    assert "not running" in capsys.readouterr().out
    assert es_node.main(["stop", "--dir", str(tmp_path / "none")]) == 0

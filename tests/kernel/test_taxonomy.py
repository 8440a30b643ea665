import shutil
from pathlib import Path

import pytest
import yaml

from ews.kernel.taxonomy import TaxonomyError, load_taxonomy, load_taxonomy_file, map_ids
from ews.kernel.taxonomy.concordance import CpcConcordance

DATA = Path(__file__).resolve().parents[2] / "ews" / "kernel" / "taxonomy"


def test_active_taxonomy_has_12_fields_and_50_unique_technologies():
    tax = load_taxonomy()
    assert len(tax.fields) == 12
    assert len(tax.technologies) == 50
    assert len(set(tax.technology_ids)) == 50
    assert all(t.id.startswith(f.id + ".") for f in tax.fields for t in f.technologies)
    assert all(t.keywords_ko and t.keywords_en and t.cpc for t in tax.technologies)


def test_seed_names_are_kept():
    tax = load_taxonomy()
    assert tax.field("semi").name_ko == "반도체·디스플레이"
    assert tax.technology("semi.memory").name_ko == "고집적·저항기반 메모리"
    assert tax.technology("quantum.sensing").name_en


@pytest.fixture
def tax_dir(tmp_path):
    d = tmp_path / "tax"
    shutil.copytree(DATA, d, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return d


def _edit(d: Path, fn):
    path = d / "nst-2024.1.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_missing_technology_is_a_clear_error(tax_dir):
    path = _edit(tax_dir, lambda d: d["fields"][0]["technologies"].pop())
    with pytest.raises(TaxonomyError, match=r"(?s)nst-2024.1.yaml.*expected 50 technologies, found 49"):
        load_taxonomy_file(path)


def test_duplicate_technology_is_named(tax_dir):
    def dup(d):
        d["fields"][0]["technologies"][1]["id"] = d["fields"][0]["technologies"][0]["id"]
    with pytest.raises(TaxonomyError, match="(?s)not unique.*semi.memory"):
        load_taxonomy_file(_edit(tax_dir, dup))


def test_empty_field_is_rejected(tax_dir):
    def empty(d):
        d["fields"][3]["technologies"] = []
    with pytest.raises(TaxonomyError, match=r"fields\.3\.technologies"):
        load_taxonomy_file(_edit(tax_dir, empty))


def test_bad_cpc_symbol_is_located(tax_dir):
    def bad(d):
        d["fields"][1]["technologies"][0]["cpc"].append("not a class")
    with pytest.raises(TaxonomyError, match=r"(?s)fields\.1\.technologies\.0\.cpc.*not a CPC"):
        load_taxonomy_file(_edit(tax_dir, bad))


def test_broken_yaml_and_wrong_encoding(tax_dir):
    p = tax_dir / "nst-2024.1.yaml"
    p.write_text("fields: [unclosed", encoding="utf-8")
    with pytest.raises(TaxonomyError, match="not valid YAML"):
        load_taxonomy_file(p)
    p.write_bytes("version: '2024.1'\nname: 반도체".encode("euc-kr"))
    with pytest.raises(TaxonomyError, match="not UTF-8"):
        load_taxonomy_file(p)
    with pytest.raises(TaxonomyError, match="not found"):
        load_taxonomy_file(tax_dir / "absent.yaml")


def test_unknown_version_lists_known_ones():
    with pytest.raises(TaxonomyError, match=r"unknown taxonomy version '1999.1' \(known: 2024.1"):
        load_taxonomy("1999.1")


def test_versions_map_renamed_split_and_retired_ids(tax_dir):
    # a next version: semi.memory split in two, aerospace.gas_turbine retired
    def next_version(d):
        d["version"] = "2026.1"
        sem = d["fields"][0]["technologies"]
        mem = sem.pop(0)
        sem.insert(0, {**mem, "id": "semi.dram_hbm"})
        sem.insert(1, {**mem, "id": "semi.emerging_memory"})
        aero = d["fields"][5]["technologies"]
        d["fields"][5]["technologies"] = [t for t in aero if t["id"] != "aerospace.gas_turbine"]
    data = yaml.safe_load((tax_dir / "nst-2024.1.yaml").read_text(encoding="utf-8"))
    next_version(data)
    (tax_dir / "nst-2026.1.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (tax_dir / "versions.yaml").write_text(yaml.safe_dump({
        "active": "2026.1",
        "versions": [
            {"version": "2024.1", "file": "nst-2024.1.yaml", "replaces": None, "mapping": {}},
            {"version": "2026.1", "file": "nst-2026.1.yaml", "replaces": "2024.1",
             "mapping": {"semi.memory": ["semi.dram_hbm", "semi.emerging_memory"], "aerospace.gas_turbine": []}},
        ]}), encoding="utf-8")
    new = load_taxonomy(data_dir=tax_dir)
    assert new.version == "2026.1" and len(new.technologies) == 50
    assert map_ids(["semi.memory", "aerospace.gas_turbine", "battery.li_ion"], "2024.1", "2026.1", data_dir=tax_dir) == [
        "semi.dram_hbm", "semi.emerging_memory", "battery.li_ion"]
    with pytest.raises(TaxonomyError, match="backwards"):
        map_ids(["semi.dram_hbm"], "2026.1", "2024.1", data_dir=tax_dir)


@pytest.mark.parametrize("symbol,tech", [
    ("H10B 12/00", "semi.memory"),        # 2023 scheme
    ("H01L 27/10814", "semi.memory"),     # pre-2023 DRAM symbol
    ("H01M10/0525", "battery.li_ion"),
    ("H01M 10/05251", "battery.li_ion"),  # deeper subgroup under a listed one
    ("G06N 10/40", "quantum.computing"),
    ("G06N 99/002", "quantum.computing"), # pre-2019 quantum computing
])
def test_concordance_matches_old_and_new_symbols(symbol, tech):
    conc = CpcConcordance(load_taxonomy())
    assert tech in [m.technology for m in conc.match(symbol)]


def test_concordance_does_not_overreach():
    conc = CpcConcordance(load_taxonomy())
    assert conc.match("A47J 31/44") == []
    assert conc.match("H01M 10/44") == []        # charging, not under 10/052
    assert conc.match("H01M 10/0425") == [] or all(m.technology != "battery.li_ion" for m in conc.match("H01M 10/0425"))
    with pytest.raises(ValueError, match="not a CPC"):
        conc.match("banana")

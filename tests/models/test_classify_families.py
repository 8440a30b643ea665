"""Generation-numbered product names match their family's keyword; fields are tagged without a technology.

Issue 13: "a 12-layer HBM3E memory stack … TSV-based advanced packaging" was tagged semi.packaging
only. Issue 17: a passage about a field in general is a field signal even with no sub-technology.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ews.kernel.schema import ClassifyInput
from ews.kernel.taxonomy import load_taxonomy
from models.classify import load_classifier
from models.classify.rules import KeywordConcordanceClassifier
from models.classify.terms import field_name_terms, generation_family, technology_matcher

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "shipped" / "classifier"
HBM_STACK = ("A 12-layer HBM3E memory stack in which DRAM dies are joined by through-silicon vias, "
             "with TSV-based advanced packaging on an interposer.")


@pytest.mark.parametrize("token,family", [("HBM3E", "HBM"), ("HBM2E", "HBM"), ("DDR5", "DDR"),
                                          ("LPDDR5X", "LPDDR"), ("GDDR6", "GDDR"), ("HBM-3E", "HBM")])
def test_generation_reduces_to_family(token, family):
    assert generation_family(token) == family


@pytest.mark.parametrize("token", ["CO2", "H2", "6G", "5G", "A100", "covid19", "HBM"])
def test_not_a_generation(token):
    assert generation_family(token) is None


def test_hbm3e_matches_the_hbm_keyword_alone():
    hits = technology_matcher(load_taxonomy()).find("Samples of HBM3E ship this quarter.")
    assert [h.term.label for h in hits["semi.memory"]] == ["high-bandwidth memory (HBM)"]
    assert "semi.memory" not in technology_matcher(load_taxonomy()).find("HBMX shipped; CO2 emissions.")


@pytest.mark.parametrize("make", [KeywordConcordanceClassifier, lambda: load_classifier(SHIPPED)],
                         ids=["rules", "shipped"])
def test_hbm3e_stack_is_memory_and_packaging(make):
    tag = make().predict([ClassifyInput(id="hbm", text=HBM_STACK)])[0]
    ids = [t.id for t in tag.technologies]
    assert "semi.memory" in ids and "semi.packaging" in ids, ids
    memory = next(t for t in tag.technologies if t.id == "semi.memory")
    assert any("HBM" in e for e in memory.evidence)


def test_field_names_split_into_their_parts():
    parts = {f.id: field_name_terms(f) for f in load_taxonomy().fields}
    assert {"반도체", "디스플레이", "Semiconductors"} <= set(parts["semi"])
    assert "모빌리티" in parts["mobility"] and "원자력" in parts["nuclear"]
    assert "manufacturing" not in parts["robot"] and "제조" not in parts["robot"]


@pytest.mark.parametrize("make", [KeywordConcordanceClassifier, lambda: load_classifier(SHIPPED)],
                         ids=["rules", "shipped"])
def test_field_without_a_technology(make):
    docs = [ClassifyInput(id="ko", lang="ko", text="정부는 인공지능 정책을 총괄하고 관련 인재 양성 계획을 발표했다."),
            ClassifyInput(id="en", text="The national strategy sets out AI governance and public funding rules."),
            ClassifyInput(id="none", text="The ministry published its annual budget for road maintenance.")]
    ko, en, none = make().predict(docs)
    assert ko.technologies == [] and ko.fields == ["ai"]
    # a technology's keyword is evidence for its field even when the technology stays below its threshold
    assert "ai" in en.fields
    assert none.technologies == [] and none.fields == []

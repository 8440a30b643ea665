"""Applicant name normalisation and merging, with the evidence kept."""
from __future__ import annotations

import pytest

from ews.kernel.names import ApplicantRegistry, normalise_applicant


@pytest.mark.parametrize("name", ["SAMSUNG ELECTRONICS CO LTD", "Samsung Electronics Co., Ltd.", "삼성전자",
                                  "삼성전자 주식회사", "(주)삼성전자", "samsung  electronics co. ltd"])
def test_samsung_spellings_merge(name):
    assert normalise_applicant(name) == "SAMSUNG ELECTRONICS"


@pytest.mark.parametrize("name,key", [("NVIDIA Corporation", "NVIDIA"), ("Intel Corp.", "INTEL"),
                                      ("LG Chem, Ltd.", "LG CHEM"), ("(주)엘지화학", "LG CHEM"),
                                      ("Toyota Jidosha Kabushiki Kaisha", "TOYOTA JIDOSHA"),
                                      ("AT&T Intellectual Property I, L.P.", "AT AND T INTELLECTUAL PROPERTY I L P")])
def test_legal_forms_and_punctuation_go(name, key):
    assert normalise_applicant(name) == key


def test_different_companies_stay_apart():
    assert normalise_applicant("삼성전자서비스") != normalise_applicant("삼성전자")
    assert normalise_applicant("SAMSUNG SDI CO LTD") != normalise_applicant("SAMSUNG ELECTRONICS CO LTD")
    # a legal-form word inside a name is part of the name
    assert normalise_applicant("CO-OP") == "CO OP"
    assert normalise_applicant("Co.") == "CO"


def test_registry_keeps_the_merged_spellings_as_evidence():
    reg = ApplicantRegistry()
    keys = {reg.resolve(n) for n in ["SAMSUNG ELECTRONICS CO LTD", "Samsung Electronics Co., Ltd.", "삼성전자"]}
    assert keys == {"SAMSUNG ELECTRONICS"}
    assert reg.evidence("SAMSUNG ELECTRONICS") == sorted(
        ["SAMSUNG ELECTRONICS CO LTD", "Samsung Electronics Co., Ltd.", "삼성전자"])

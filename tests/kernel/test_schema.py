import datetime as dt

import pytest
from pydantic import ValidationError

from ews.kernel.ids import document_id
from ews.kernel.schema import ClassifyInput, Document, Party, PatentInfo, normalize_cpc

NOW = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize("raw,norm", [
    ("H01M 10/0525", "H01M10/0525"), ("h01m10/0525", "H01M10/0525"), ("H10B  12 / 00", "H10B12/00"),
    ("G06N 3", "G06N3/00"), ("Y02E 60/50", "Y02E60/50"),
])
def test_cpc_normalisation(raw, norm):
    assert normalize_cpc(raw) == norm


@pytest.mark.parametrize("bad", ["", "H01M", "XYZ 1/2", "H01M10/05x", "12345"])
def test_cpc_rejects_non_symbols(bad):
    with pytest.raises(ValueError):
        normalize_cpc(bad)


def test_document_id_is_deterministic_and_source_scoped():
    a = Document.build(source="kr.msit", source_key="123", kind="policy", title="t", fetched_at=NOW)
    b = Document.build(source="kr.msit", source_key="123", kind="policy", title="t", fetched_at=NOW)
    c = Document.build(source="kr.motie", source_key="123", kind="policy", title="t", fetched_at=NOW)
    assert a.id == b.id == document_id("kr.msit", "123") and a.id != c.id
    assert a.content_hash == b.content_hash


def test_patent_document_round_trip():
    d = Document.build(
        source="us.patentsview", source_key="11234567", kind="patent", title="Memory cell", text="A DRAM cell…",
        lang="en", published=dt.date(2023, 1, 3), published_basis="stated", fetched_at=NOW, jurisdiction="US",
        patent=PatentInfo(application_number="17/123,456", application_date=dt.date(2021, 6, 1),
                          applicants=[Party(name="Samsung Electronics Co., Ltd.", country="kr")],
                          inventors=[Party(name="Kim, Minsu", country="KR")], cpc=["H10B 12/00", "H10B12/00"]))
    assert d.patent.applicants[0].country == "KR"
    assert d.patent.cpc == ["H10B12/00"]  # normalised and de-duplicated
    assert Document.model_validate_json(d.model_dump_json()) == d


def test_document_validation_errors():
    with pytest.raises(ValidationError, match="title or a text"):
        Document.build(source="s", source_key="k", kind="policy", fetched_at=NOW)
    with pytest.raises(ValidationError, match="only patents"):
        Document.build(source="s", source_key="k", kind="policy", title="t", fetched_at=NOW, patent=PatentInfo())
    with pytest.raises(ValidationError, match="kind"):
        Document.build(source="s", source_key="k", kind="blog", title="t", fetched_at=NOW)
    with pytest.raises(ValidationError, match="ISO alpha-2"):
        Party(name="x", country="Korea")
    with pytest.raises(ValidationError):
        Document.build(source="s", source_key="k", kind="policy", title="t", fetched_at=NOW, unknown_field=1)


def test_classify_input_accepts_numeric_ids_and_rejects_bad_classes():
    assert ClassifyInput.model_validate({"id": 7, "text": "x"}).id == "7"
    with pytest.raises(ValidationError, match="not a CPC"):
        ClassifyInput.model_validate({"id": "a", "text": "x", "cpc": ["nonsense"]})
    with pytest.raises(ValidationError, match="text"):
        ClassifyInput.model_validate({"id": "a"})

"""The Kibana saved objects kibana-init imports: data views on the read aliases, a trends dashboard whose
every chart reads fields the index templates really map."""
from __future__ import annotations

import json

import pytest

from alerts.templates import FAMILIES, VERSIONS, IndexNames, mappings
from tests.deploy.conftest import load_script


@pytest.fixture(scope="module")
def kibana_init():
    return load_script("kibana_init")


@pytest.fixture(scope="module")
def objects(kibana_init):
    return kibana_init.read_objects()


def field_types(family: str) -> dict[str, str]:
    """Every aggregatable path of a family's mapping (sub-fields included) with its type."""
    out = {}

    def walk(props: dict, prefix: str = "") -> None:
        for name, spec in props.items():
            path = f"{prefix}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{path}.")
                continue
            out[path] = spec.get("type", "object")
            for sub, sub_spec in spec.get("fields", {}).items():
                out[f"{path}.{sub}"] = sub_spec["type"]

    walk(mappings(family)["properties"])
    return out


def data_views(objects) -> dict[str, dict]:
    return {o["id"]: o for o in objects if o["type"] == "index-pattern"}


def test_data_views_target_the_read_aliases_with_a_mapped_time_field(objects):
    views = data_views(objects)
    read_aliases = {IndexNames("ews", f, VERSIONS[f]).read: f for f in FAMILIES}
    assert {v["attributes"]["title"] for v in views.values()} >= {"ews-documents", "ews-trends", "ews-alerts"}
    for view in views.values():
        family = read_aliases[view["attributes"]["title"]]
        assert field_types(family)[view["attributes"]["timeFieldName"]] == "date", view["id"]


def test_every_chart_reads_mapped_aggregatable_fields(objects):
    views = data_views(objects)
    lenses = [o for o in objects if o["type"] == "lens"]
    assert len(lenses) >= 3
    for lens in lenses:
        refs = {r["name"]: r["id"] for r in lens["references"]}
        layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        for layer_id, layer in layers.items():
            view = views[refs[f"indexpattern-datasource-layer-{layer_id}"]]
            family = view["attributes"]["title"].split("-", 1)[1]
            types = field_types(family)
            assert set(layer["columnOrder"]) == set(layer["columns"]), lens["id"]
            for col_id, col in layer["columns"].items():
                field = col["sourceField"]
                if field == "___records___":  # Lens' document count
                    continue
                assert field in types, f"{lens['id']}.{col_id}: {field} is not mapped in {family}"
                assert types[field] in ("keyword", "date", "integer", "float"), f"{lens['id']}: {field} is {types[field]}"
        vis_layers = lens["attributes"]["state"]["visualization"]["layers"]
        for vis in vis_layers:
            cols = layers[vis["layerId"]]["columns"]
            for accessor in [vis["xAccessor"], *vis["accessors"], *([vis["splitAccessor"]] if "splitAccessor" in vis else [])]:
                assert accessor in cols, f"{lens['id']}: accessor {accessor}"


def test_trend_charts_count_each_document_once(objects):
    """The trends index holds technology rows and faceted rows (per applicant, country): summing both would
    count a document twice, so every trends chart keeps the technology-level monthly rows only."""
    for lens in (o for o in objects if o["type"] == "lens"):
        if lens["references"][0]["id"] != "ews-trends":
            continue
        query = lens["attributes"]["state"]["query"]["query"]
        assert "not facet : *" in query and 'granularity : "month"' in query, lens["id"]


def test_the_dashboard_shows_every_chart_by_reference(objects):
    (dashboard,) = [o for o in objects if o["type"] == "dashboard"]
    panels = json.loads(dashboard["attributes"]["panelsJSON"])
    refs = {r["name"]: r for r in dashboard["references"]}
    lens_ids = {o["id"] for o in objects if o["type"] == "lens"}
    shown = set()
    for panel in panels:
        ref = refs[panel["panelRefName"]]
        assert ref["type"] == panel["type"] == "lens" and ref["id"] in lens_ids
        shown.add(ref["id"])
        grid = panel["gridData"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 48  # Kibana's grid is 48 columns wide
    assert shown == lens_ids
    ids = [o["id"] for o in objects]
    assert len(ids) == len(set(ids))


def test_another_index_prefix_renames_the_data_views_only(kibana_init, objects):
    renamed = kibana_init.with_prefix(objects, "acme")
    titles = {o["attributes"]["title"] for o in renamed if o["type"] == "index-pattern"}
    assert titles == {"acme-documents", "acme-trends", "acme-alerts"}
    assert [o["id"] for o in renamed] == [o["id"] for o in objects]  # references stay valid
    assert kibana_init.with_prefix(objects, "ews") == objects


def test_a_broken_line_is_named_by_file_and_line(kibana_init, tmp_path):
    bad = tmp_path / "objects.ndjson"
    bad.write_text('{"type": "index-pattern", "id": "a", "attributes": {}}\n{"type": "lens", \n')
    with pytest.raises(kibana_init.SavedObjectsError, match=r"objects\.ndjson:2: not JSON"):
        kibana_init.read_objects(bad)
    bad.write_text('{"type": "lens"}\n')
    with pytest.raises(kibana_init.SavedObjectsError, match=r"objects\.ndjson:1: a saved object needs"):
        kibana_init.read_objects(bad)

import re

import pytest
import yaml

from crawlers.registry import DEMO_FILE, REGISTRY_FILE, RegistryError, Source, load_registry, load_registry_file


def test_real_registry_has_at_least_20_sources_of_every_kind_and_region():
    sources = load_registry()
    assert len(sources) >= 20
    assert {s.kind for s in sources} == {"patent", "policy", "paper"}
    assert {"US", "EU", "JP", "CN", "KR", "INT"} <= {s.country for s in sources}
    assert len({s.id for s in sources}) == len(sources)
    ids = {s.id for s in sources}
    for must in ("us-patentsview", "ep-ops", "kr-kipris-plus", "us-federal-register", "kr-msit", "arxiv", "openalex"):
        assert must in ids


def test_public_view_has_the_contract_fields():
    s = load_registry()[0]
    assert set(s.public()) == {"id", "kind", "country", "language", "schedule", "endpoint"}


def test_registry_never_holds_secret_values():
    data = yaml.safe_load(REGISTRY_FILE.read_text(encoding="utf-8"))
    for entry in data["sources"]:
        for key, value in entry.get("settings", {}).items():
            assert not re.search(r"(?i)(secret|token|password|api_?key)$", key), (entry["id"], key)
            if key.endswith("_env"):
                assert re.fullmatch(r"[A-Z][A-Z0-9_]+", value), (entry["id"], key, value)


def test_demo_registry_is_templated_with_the_base_url():
    sources = load_registry(demo=True, base_url="http://127.0.0.1:5555/")
    assert [s.id for s in sources] == ["demo-patentsview", "demo-kr-ministry", "demo-thinktank-rss"]
    assert all(s.endpoint.startswith("http://127.0.0.1:5555/") for s in sources)
    assert {s.spider for s in sources} == {"json_api", "html_list", "feed"}
    # without a base URL the demo entries can still be listed
    assert load_registry(demo=True)[0].endpoint.startswith("http://127.0.0.1:0/")


def _write(tmp_path, entries) -> str:
    p = tmp_path / "reg.yaml"
    p.write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True), encoding="utf-8")
    return p


GOOD = {"id": "ok-src", "kind": "policy", "country": "KR", "language": "ko", "schedule": "@daily",
        "endpoint": "https://example.invalid/list", "spider": "html_list", "parser": "html_detail",
        "settings": {"list_item": "ul li", "item_link": "a::attr(href)"}}


@pytest.mark.parametrize("change, problem", [
    ({"kind": "blog"}, "kind"),
    ({"country": "Korea"}, "country"),
    ({"schedule": "every day"}, "schedule"),
    ({"spider": "magic"}, "unknown spider type 'magic'"),
    ({"parser": "nope"}, "unknown parser 'nope'"),
    ({"endpoint": "ftp://x"}, "endpoint"),
    ({"surprise": 1}, "surprise"),
    # the spider table's settings model of the type, checked when the registry loads
    ({"settings": {"list_item": "ul li"}}, "settings.item_link: Field required"),
    ({"settings": {**GOOD["settings"], "list_itme": "x"}}, "settings.list_itme: Extra inputs"),
    ({"settings": {**GOOD["settings"], "max_pages": "many"}}, "settings.max_pages"),
    ({"settings": {**GOOD["settings"], "api_key_env": "my key"}}, "must name an environment variable"),
    ({"settings": {**GOOD["settings"], "allowed_hosts": ["cdn.example.org:http"]}}, "port must be a number"),
    ({"parser": "patentsview"}, "is not one the html_list spider speaks"),
    ({"private_network": True}, "private_network is a setting of the whole registry file"),
])
def test_bad_entry_names_file_entry_and_field(tmp_path, change, problem):
    path = _write(tmp_path, [GOOD, {**GOOD, "id": "bad-src", **change}])
    with pytest.raises(RegistryError) as e:
        load_registry(path=path)
    msg = str(e.value)
    assert str(path) in msg and "entry 2 ('bad-src')" in msg and problem in msg


def test_duplicate_ids_missing_file_bad_yaml_and_missing_base_url(tmp_path):
    with pytest.raises(RegistryError, match="duplicate source id 'ok-src'"):
        load_registry(path=_write(tmp_path, [GOOD, GOOD]))
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(path=tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [ {id: x", encoding="utf-8")
    with pytest.raises(RegistryError, match="not valid YAML"):
        load_registry(path=bad)
    with pytest.raises(RegistryError, match="base_url"):
        load_registry_file(DEMO_FILE)


def test_disabled_sources_are_left_out(tmp_path):
    path = _write(tmp_path, [GOOD, {**GOOD, "id": "off", "enabled": False}])
    assert [s.id for s in load_registry(path=path)] == ["ok-src"]
    assert isinstance(load_registry(path=path)[0], Source)


def test_private_network_only_for_a_whole_flagged_file(tmp_path):
    assert load_registry(path=_write(tmp_path, [GOOD]))[0].private_network is False
    p = tmp_path / "local.yaml"
    p.write_text(yaml.safe_dump({"private_network": True, "sources": [GOOD]}), encoding="utf-8")
    assert load_registry(path=p)[0].private_network is True
    assert all(s.private_network for s in load_registry(demo=True))
    assert not any(s.private_network for s in load_registry())

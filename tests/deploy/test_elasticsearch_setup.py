"""What es-init puts into the cluster (deploy/elasticsearch/*.json) and the checks of deploy/scripts/es_init.py.

A secured Elasticsearch with ILM (x-pack) cannot be started on this machine (Maven Central's test
distribution has no x-pack, and osmem rejects ILM settings), so the requests themselves are checked here as
data against the project's own index templates; docs/deploy.md says how to verify them on a real cluster.
"""
from __future__ import annotations

import json

import pytest

from alerts.templates import FAMILIES, VERSIONS, IndexNames
from tests.deploy.conftest import DEPLOY, load_script

ES_DIR = DEPLOY / "elasticsearch"
# cluster privileges the app may hold: read cluster health, put its own index templates
ALLOWED_CLUSTER = {"monitor", "manage_index_templates"}
ALLOWED_INDEX = {"create_index", "read", "write", "view_index_metadata", "manage"}


@pytest.fixture(scope="module")
def es_init():
    return load_script("es_init")


def test_every_data_file_is_json():
    for path in ES_DIR.rglob("*.json"):
        json.loads(path.read_text(encoding="utf-8"))


def test_the_app_role_reaches_only_the_projects_indices(es_init):
    role = es_init.load("roles/ews_app.json", "ews")
    assert set(role["cluster"]) <= ALLOWED_CLUSTER
    assert {"all", "manage", "manage_security", "manage_ilm", "manage_slm"} & set(role["cluster"]) == set()
    for entry in role["indices"]:
        assert entry["names"] == ["ews-*"]
        assert set(entry["privileges"]) <= ALLOWED_INDEX and "all" not in entry["privileges"]
    assert set(role) <= {"description", "cluster", "indices", "metadata"}  # no run_as, no applications
    # every index of the project matches the role's pattern, under any prefix
    for family in FAMILIES:
        names = IndexNames("acme", family, VERSIONS[family])
        pattern = es_init.load("roles/ews_app.json", "acme")["indices"][0]["names"][0].rstrip("*")
        for name in (names.index, names.read, names.write):
            assert name.startswith(pattern), name


@pytest.mark.parametrize("user", ["elastic", "kibana_system", ""])
def test_es_init_refuses_a_builtin_or_missing_app_user(es_init, user):
    with pytest.raises(es_init.SetupError, match="EWS_ES_USERNAME"):
        es_init.app_credentials({"EWS_ES_USERNAME": user, "EWS_ES_PASSWORD": "a-long-enough-password"})


def test_es_init_refuses_a_short_app_password(es_init):
    with pytest.raises(es_init.SetupError, match="shorter than 12"):
        es_init.app_credentials({"EWS_ES_USERNAME": "ews", "EWS_ES_PASSWORD": "short"})
    assert es_init.app_credentials({"EWS_ES_USERNAME": "ews", "EWS_ES_PASSWORD": "x" * 12}) == ("ews", "x" * 12)


def test_es_init_without_the_superuser_password_says_so(es_init, capsys):
    assert es_init.main({"EWS_ES_USERNAME": "ews", "EWS_ES_PASSWORD": "x" * 20}) == 2
    assert "ELASTIC_PASSWORD is not set" in capsys.readouterr().err


def test_es_init_names_the_step_when_the_cluster_is_unreachable(es_init, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once the block ends: nothing listens there
    rc = es_init.main({"ELASTIC_PASSWORD": "x" * 20, "EWS_ES_URL": f"http://127.0.0.1:{port}",
                       "EWS_ES_USERNAME": "ews", "EWS_ES_PASSWORD": "x" * 20, "EWS_ES_INIT_TIMEOUT": "1"})
    err = capsys.readouterr().err
    assert rc == 1 and "waiting for the cluster" in err and "did not become available" in err


def test_index_settings_cover_every_family_and_profile(es_init):
    indices = es_init.load("indices.json")
    assert set(indices["families"]) == set(FAMILIES)
    policies = {p.stem for p in (ES_DIR / "ilm").glob("*.json")}
    assert indices["retired_lifecycle"] in policies
    for family in FAMILIES:
        for profile in ("default", "scale"):
            s = es_init.family_settings(indices, family, profile)
            assert s["index.lifecycle.name"] in policies
            assert s["number_of_shards"] >= 1 and s["number_of_replicas"] >= 0
        default = es_init.family_settings(indices, family, "default")
        scale = es_init.family_settings(indices, family, "scale")
        assert default["number_of_replicas"] == 0  # one node: a replica could never be allocated (yellow)
        assert scale["number_of_replicas"] >= 1  # three nodes: every shard survives the loss of one
    for family in ("alerts", "silences"):  # alerts.templates keeps them at one shard for seq_no checks
        assert es_init.family_settings(indices, family, "scale")["number_of_shards"] == 1
    assert es_init.family_settings(indices, "documents", "scale")["number_of_shards"] > 1
    with pytest.raises(es_init.SetupError, match="profile 'huge'"):
        es_init.family_settings(indices, "documents", "huge")


def test_profile_follows_compose_profiles(es_init):
    assert es_init.profile_from("") == "default"
    assert es_init.profile_from("demo") == "default"
    assert es_init.profile_from("demo, scale") == "scale"


def test_live_policies_never_roll_over_and_retired_ones_end(es_init):
    """Documents and trends are upserted by deterministic id: a rollover would leave a second copy of a
    re-tagged document in the next index. Only superseded index versions are aged out."""
    for path in (ES_DIR / "ilm").glob("*.json"):
        phases = es_init.load(f"ilm/{path.name}")["policy"]["phases"]
        actions = {a for phase in phases.values() for a in phase["actions"]}
        assert "rollover" not in actions and "shrink" not in actions, path.name
        if path.stem != "ews-retired":
            assert set(phases) == {"hot"} and "delete" not in actions, path.name
    retired = es_init.load("ilm/ews-retired.json")["policy"]["phases"]
    assert {"readonly", "forcemerge"} <= set(retired["warm"]["actions"])
    assert retired["delete"]["min_age"] == "30d" and "delete" in retired["delete"]["actions"]


def test_snapshots_cover_the_projects_indices_in_the_shared_repository(es_init, raw):
    policy = es_init.load("slm/ews-nightly.json", "ews")
    repo = es_init.load("snapshot-repository.json")
    assert policy["repository"] == repo["name"] and policy["config"]["indices"] == ["ews-*"]
    assert {"kibana", "security"} <= set(policy["config"]["feature_states"])  # dashboards, the role and the user
    assert policy["retention"]["min_count"] >= 1
    path_repo = raw["x-es-node-env"]["path.repo"]
    assert repo["settings"]["location"] == path_repo
    for node in ("elasticsearch", "es02", "es03"):
        assert any(v.startswith(f"es-snapshots:{path_repo}") for v in raw["services"][node]["volumes"]), node


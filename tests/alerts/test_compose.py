"""docker-compose.yml parses and describes the production stack (no Docker engine needed)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from elastic_testing import es_node

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_describes_the_stack():
    spec = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = spec["services"]
    for name in ("elasticsearch", "kibana", "postgres", "airflow-init", "airflow-apiserver", "airflow-scheduler",
                 "airflow-dag-processor", "review-app"):
        assert name in services, name
    es_image = services["elasticsearch"]["image"]
    kibana_image = services["kibana"]["image"]
    server_version = re.search(r":-(\d+)\.(\d+)\.\d+\}$", es_image).groups()
    assert kibana_image.split(":", 1)[1] == es_image.split(":", 1)[1]  # Kibana and Elasticsearch move together
    lock = (ROOT / "requirements.lock").read_text()
    client_major, client_minor = re.search(r"^elasticsearch==(\d+)\.(\d+)", lock, re.M).groups()
    assert server_version[0] == client_major == "8"
    # production runs the release the tests run against
    assert ".".join(server_version) == ".".join(es_node.VERSION.split(".")[:2])
    assert int(server_version[1]) >= int(client_minor)  # the client is forward compatible only
    airflow_env = services["airflow-scheduler"]["environment"]
    assert airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql")
    assert airflow_env["EWS_ES_URL"].startswith("https://elasticsearch:9200")
    assert services["review-app"]["command"][:2] == ["ews", "serve"]
    assert services["airflow-scheduler"]["depends_on"]["postgres"]["condition"] == "service_healthy"

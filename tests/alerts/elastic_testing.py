"""The cluster the Elasticsearch tests run against: a real single-node Elasticsearch on 127.0.0.1,
started by `tools/es_node.py` (fetched through Maven on first use), once per test session.

Only where Java 21+ or Maven is missing do the tests fall back to osmem-server (an in-memory
OpenSearch-compatible engine), and say so in the test output. Under CI (`CI=true`) there is
no fallback: a node that cannot be fetched or started fails the run.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from elasticsearch import Elasticsearch

ROOT = Path(__file__).resolve().parents[2]


def _load_es_node():
    spec = importlib.util.spec_from_file_location("es_node", ROOT / "tools" / "es_node.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("es_node", module)
    spec.loader.exec_module(module)
    return sys.modules["es_node"]


es_node = _load_es_node()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def new_state_dir() -> Path:
    # not under pytest's tmp_path: that is private to the test user, and a root run starts
    # the node as an unprivileged user that must reach its data directory
    return Path(tempfile.mkdtemp(prefix="ews-es-test-"))


@dataclass
class TestCluster:
    """A cluster for the session: `kind` is "elasticsearch" (real) or "osmem" (the fallback)."""

    url: str
    kind: str
    version: str = ""
    nori: bool = False
    notice: str = ""
    node: object | None = None
    _closers: list = field(default_factory=list)

    @property
    def real(self) -> bool:
        return self.kind == "elasticsearch"

    @property
    def expected_text_analysis(self) -> str:
        """What the store's capability check must find here, known from how the cluster was made."""
        if not self.real:
            return "cjk_bigram"  # osmem ships CJK filters but no nori
        # integ-test-zip has no analysis-common module; nori comes from the official plugin or tools/es_analysis
        return "nori" if self.nori else "standard"

    def client(self, url: str | None = None, **kw) -> Elasticsearch:
        if self.real:
            return Elasticsearch(url or self.url, **kw)
        from osmem_testing import es_client

        return es_client(url or self.url, **kw)

    def restart(self) -> None:
        """Start the real node again on its data directory and port (after it was stopped)."""
        port = int(self.url.rsplit(":", 1)[1])
        self.node = es_node.start(self.node.state_dir, port=port)

    def close(self) -> None:
        for close in reversed(self._closers):
            close()


def start_real_node(state_dir: Path | None = None) -> TestCluster:
    state = state_dir or new_state_dir()
    node = es_node.start(state)
    cluster = TestCluster(url=node.url, kind="elasticsearch", version=node.version,
                          nori=es_node.has_nori(node.version), node=node)
    cluster._closers.append(lambda: (es_node.stop(state), shutil.rmtree(state, ignore_errors=True)))
    return cluster


def start_cluster() -> TestCluster:
    """The real node if this machine can run one; osmem-server otherwise (never under CI)."""
    try:
        es_node.find_java()
        es_node.find_maven()
        return start_real_node()
    except es_node.MissingTool as e:
        if in_ci():
            raise RuntimeError(f"CI must test against a real Elasticsearch node: {e}") from e
        from osmem_testing import start_osmem

        server = start_osmem()
        cluster = TestCluster(url=server.url, kind="osmem",
                              notice=f"Elasticsearch tests ran against osmem-server, not a real node: {e}")
        cluster._closers.append(server.close)
        return cluster

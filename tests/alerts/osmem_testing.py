"""The fallback cluster where no real Elasticsearch node can run (no Java 21+ or Maven): osmem-server.

osmem-server is an in-memory OpenSearch-compatible engine. The official
Elasticsearch client sends `application/vnd.elasticsearch+json;
compatible-with=8` (and `+x-ndjson` for bulk), which osmem does not accept;
`PlainJsonNode` rewrites those headers to plain JSON. This adaptation exists
only here, for the fallback: against the real node the client is unchanged.
"""
from __future__ import annotations

from elastic_transport import HttpHeaders, Urllib3HttpNode
from elasticsearch import Elasticsearch
from osmem_server import OsmemServer


class PlainJsonNode(Urllib3HttpNode):
    """Test-only transport node: compatible-with media types become plain JSON / NDJSON."""

    def perform_request(self, method, target, body=None, headers=None, **kw):
        if headers:
            headers = HttpHeaders(headers)
            for name in ("content-type", "accept"):
                value = headers.get(name)
                if value and "vnd.elasticsearch+" in value:
                    headers[name] = "application/" + value.split("vnd.elasticsearch+", 1)[1].split(";", 1)[0].strip()
        return super().perform_request(method, target, body, headers, **kw)


def es_client(url: str, **kw) -> Elasticsearch:
    return Elasticsearch(url, node_class=PlainJsonNode, **kw)


def start_osmem(port: int | None = None) -> OsmemServer:
    # japanese=False: nothing here needs kuromoji, and the server starts lighter
    return OsmemServer.start(japanese=False, addr=f"127.0.0.1:{port or 0}")

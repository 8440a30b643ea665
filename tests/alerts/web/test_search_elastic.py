"""Document search on the Elasticsearch documents index (a real server on 127.0.0.1): user text is a value."""
from __future__ import annotations

import pytest
from workbench_seed import SCRIPT_TITLE, seed

from alerts.web.search import DocQuery, search_elastic
from ews.kernel.store import Store

pytestmark = pytest.mark.integration


def test_elastic_document_search_filters_highlights_and_survives_syntax(es_store, ews_home):
    seed(ews_home)
    with Store(ews_home) as store:
        docs = list(store.iter_documents())
        tagged = {t.doc_id: t for t in store.iter_tagged()}
    es_store.index_documents(docs, tagged)
    index = es_store.names["documents"].read
    hits, total = search_elastic(es_store.es, index, DocQuery(text="lithium"))
    assert total >= 2 and {"doc001", "doc002"} <= {h.id for h in hits}
    assert any(hit for h in hits for p in h.passages for text, hit in p.pieces)
    assert search_elastic(es_store.es, index, DocQuery(text="lithium", kind="policy"))[1] == 0
    assert search_elastic(es_store.es, index, DocQuery(technology="semi.memory"))[1] == 2
    for hostile in ('lithium AND (', 'title:*', '"unbalanced', "a\\", "/[a-z/"):
        search_elastic(es_store.es, index, DocQuery(text=hostile))  # no error: the text is never parsed as syntax
    (hit,) = [h for h in search_elastic(es_store.es, index, DocQuery(text="roadmap"))[0] if h.id == "doc001"]
    assert "".join(t for t, _ in hit.title_marked.pieces) == SCRIPT_TITLE

"""What stage 2 reads from stage 1: counts and documents from the embedded store, alerts from the alert store.

The alert store the settings select (`alerts.stores`) holds the review status, so risk scores and
briefings see the same confirmed and dismissed alerts as the review app.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ews.kernel.schema import Alert, Document, TaggedDocument


@dataclass
class Stage1:
    counts: pd.DataFrame
    alerts: list[Alert]
    documents: list[Document]
    tagged: list[TaggedDocument]


def load_stage1(settings, documents: bool = True) -> Stage1:
    """What stage 2 reads of stage 1, from the store and the alert store `settings` (the entry point's) name."""
    from alerts.stores import open_alert_store
    from ews.kernel.store import Store

    with Store(settings.home) as store:
        counts = store.read_counts()
        docs = list(store.iter_documents()) if documents else []
        tagged = list(store.iter_tagged()) if documents else []
        with open_alert_store(settings, store) as alert_store:
            alerts = alert_store.all_alerts()
    return Stage1(counts, alerts, docs, tagged)

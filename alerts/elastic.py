"""The Elasticsearch alert store: alerts, documents, trends and silences in versioned indices.

Writes go to write aliases, reads to read aliases (see `alerts.templates`).
Bulk writes use the client's `helpers.streaming_bulk` with deterministic
`_id`s, report per-item errors, and retry what failed for a transient reason
(429, 5xx, connection loss) with exponential backoff, in one retry loop of
this module's own (`streaming_bulk`'s retries are off: two layers would
multiply the attempts and the waiting); what the cluster acknowledged is
reported back so the caller's outbox can mark exactly that.

Review state has one truth, the review journal (`alerts.embedded`, SQLite in
the data directory): a review is checked and written there first (version,
transition, history, in one transaction) and the alert document, status,
assignee and history included, is then indexed from it. Alert documents are
therefore an index of the journal: whole documents by id, never merged in the
cluster. A review the cluster missed (down, or lost) stays in the outbox, and
a cluster that comes back empty gets every alert with its review state back
from the next sync. Silences are kept the same way.

Nothing here depends on scripts (painless), on the reindex module or on a
particular analysis plugin, so the store runs on a minimal node as on a full
one: migrations and stale-row deletions go through scan and bulk, and the
Korean and English analyzers are chosen by a capability check at start-up.
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd
from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError, helpers

from alerts.base import (
    AlertQuery,
    AlertStore,
    AlertStoreError,
    HistoryEntry,
    Mover,
    ReviewedAlert,
    Silence,
    TrendPoint,
    default_movers_period,
    movers_from_counts,
    now_utc,
)
from alerts.build import DEFAULT_WINDOW
from alerts.embedded import EmbeddedAlertStore
from alerts.templates import FAMILIES, VERSIONS, IndexNames, TextAnalysis, index_template
from ews.kernel.ids import stable_id
from ews.kernel.periods import PeriodError, granularity, to_period
from ews.kernel.schema import Alert, Document, TaggedDocument
from ews.kernel.series import SeriesKey

log = logging.getLogger(__name__)

TRANSIENT_STATUS = {429, 502, 503, 504}
SEARCH_FIELDS = ["series^3", "method", "method.en", "explanation", "explanation.en"]
MAX_RESULTS = 10_000
MOVER_PERIODS = 100  # newest periods with data searched for one the data cut-off covers


@dataclass
class BulkOutcome:
    """What one bulk write achieved: acknowledged ids, and per-item errors of the rest."""

    ok: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    attempts: int = 0

    @property
    def complete(self) -> bool:
        return not self.failed


class ElasticAlertStore(AlertStore):
    def __init__(self, client: Elasticsearch, prefix: str = "ews", window: int = DEFAULT_WINDOW,
                 versions: dict[str, int] | None = None, chunk_size: int = 500, retries: int = 4,
                 initial_backoff: float = 0.5, max_backoff: float = 30.0, journal: EmbeddedAlertStore | None = None):
        """`journal` holds review state (see the module doc); without one the store can index and search,
        which is all the sync needs, but not review, upsert or read single alerts."""
        self.es = client
        self._journal_store = journal
        self._owns = (False, False)  # (client, journal): what close() closes; from_settings sets it
        self.prefix = prefix
        self.window = window
        self.versions = {**VERSIONS, **(versions or {})}
        self.names = {f: IndexNames(prefix, f, self.versions[f]) for f in FAMILIES}
        self.chunk_size, self.retries = chunk_size, retries
        self.initial_backoff, self.max_backoff = initial_backoff, max_backoff
        self.text_analysis: TextAnalysis | None = None
        self.english_analysis: bool | None = None

    @classmethod
    def from_settings(cls, settings, journal: EmbeddedAlertStore | None = None, owns_journal: bool | None = None,
                      **kw) -> ElasticAlertStore:
        """The store of `settings.es_url`, with the data directory's review journal unless one is given.
        `close()` closes the client it made, and the journal when it made it (or `owns_journal`)."""
        s = settings
        opts: dict = {"request_timeout": 30, "retry_on_timeout": True, "max_retries": 2}
        if s.es_username:
            opts["basic_auth"] = (s.es_username, s.es_password or "")
        if s.es_ca_certs:
            opts["ca_certs"] = str(s.es_ca_certs)
        store = cls(Elasticsearch(s.es_url, **opts), prefix=s.es_index_prefix,
                    journal=journal if journal is not None else EmbeddedAlertStore(s.home), **kw)
        store._owns = (True, journal is None if owns_journal is None else owns_journal)
        return store

    def close(self) -> None:
        own_client, own_journal = self._owns
        if own_client:  # built by from_settings; a client passed in is closed by whoever built it
            self.es.close()
        if own_journal and self._journal_store is not None:
            self._journal_store.close()

    @property
    def journal(self) -> EmbeddedAlertStore:
        if self._journal_store is None:
            raise AlertStoreError("this Elasticsearch store has no review journal: reviews and alert writes need "
                                  "the data directory's (ElasticAlertStore.from_settings or journal=...)")
        return self._journal_store

    # start-up -----------------------------------------------------------------
    def detect_text_analysis(self) -> TextAnalysis:
        """Which Korean-capable analysis the cluster offers: nori, else CJK bigrams, else standard."""
        probes: list[tuple[TextAnalysis, dict]] = [
            ("nori", {"tokenizer": "nori_tokenizer"}),
            ("cjk_bigram", {"tokenizer": "standard", "filter": ["cjk_width", "lowercase", "cjk_bigram"]}),
        ]
        for kind, body in probes:
            try:
                self.es.indices.analyze(text="반도체 기술", **body)
                return kind
            except ApiError:
                continue
        return "standard"

    def detect_english_analysis(self) -> bool:
        try:
            self.es.indices.analyze(text="running batteries", analyzer="english")
            return True
        except ApiError:
            return False

    def setup(self) -> None:
        """Put the templates, create missing indices with their aliases, migrate families whose version rose."""
        self.text_analysis = self.detect_text_analysis()
        self.english_analysis = self.detect_english_analysis()
        for _fam, n in self.names.items():
            self.es.indices.put_index_template(name=n.template,
                                               **index_template(n, self.text_analysis, self.english_analysis))
            current = self._alias_target(n.write)
            if current is None:
                if not self.es.indices.exists(index=n.index):
                    self.es.indices.create(index=n.index, aliases={n.read: {}, n.write: {"is_write_index": True}})
                else:  # the index exists but lost its aliases (interrupted migration): reattach them
                    self._point_aliases(n, old=None)
            elif current != n.index:
                self._migrate(n, current)

    def _alias_target(self, alias: str) -> str | None:
        try:
            res = self.es.indices.get_alias(name=alias).body
        except NotFoundError:
            return None
        return sorted(res)[0] if res else None

    def _point_aliases(self, n: IndexNames, old: str | None) -> None:
        actions = []
        if old:
            actions += [{"remove": {"index": old, "alias": n.read}}, {"remove": {"index": old, "alias": n.write}}]
        actions += [{"add": {"index": n.index, "alias": n.read}},
                    {"add": {"index": n.index, "alias": n.write, "is_write_index": True}}]
        self.es.indices.update_aliases(actions=actions)  # one request: readers switch atomically

    def _migrate(self, n: IndexNames, old: str) -> None:
        """A mapping change: new index from the new template, copy the data, swap both aliases."""
        log.info("migrating %s: %s -> %s", n.family, old, n.index)
        if not self.es.indices.exists(index=n.index):
            self.es.indices.create(index=n.index)
        # scan and bulk, ids kept: needs neither the reindex module nor data streams on the cluster
        hits = helpers.scan(self.es, index=old, size=self.chunk_size, query={"query": {"match_all": {}}})
        out = self.bulk([{"_op_type": "index", "_index": n.index, "_id": h["_id"], "_source": h["_source"]}
                         for h in hits])
        self.es.indices.refresh(index=n.index)
        if out.failed:
            raise AlertStoreError(f"migration {old} -> {n.index}: {len(out.failed)} not copied: "
                                  f"{next(iter(out.failed.values()))}")
        if n.family == "alerts":
            self._upgrade_legacy_alerts(n.index)
        self._point_aliases(n, old)

    def _upgrade_legacy_alerts(self, index: str) -> None:
        """Alerts written before kinds existed get their kind and own direction (`Alert` reads them so);
        ids, review fields and history stay as they are."""
        legacy = {"bool": {"must_not": [{"exists": {"field": "kind"}}]}}
        actions = []
        for h in helpers.scan(self.es, index=index, query={"query": legacy}, size=1000):
            a = self._from_source(h["_source"])
            actions.append({"_op_type": "update", "_index": index, "_id": h["_id"],
                            "doc": {"kind": a.kind, "direction": a.direction, "observed": a.observed,
                                    "expected": a.expected}})
        if actions:
            res = self.bulk(actions, refresh=True)
            if res.failed:
                log.warning("%d legacy alerts not upgraded: %s", len(res.failed), next(iter(res.failed.values())))

    def refresh(self) -> None:
        self.es.indices.refresh(index=",".join(n.read for n in self.names.values()))

    # bulk ---------------------------------------------------------------------
    def bulk(self, actions: list[dict], refresh: bool = False) -> BulkOutcome:
        """Write actions (each with a deterministic `_id`); retry transient failures with backoff.

        Per-item errors that retrying cannot fix (a mapping error, a bad
        document) are reported in `failed` and not retried. Whatever stays
        unacknowledged after the last attempt is reported too, never dropped.
        """
        out = BulkOutcome()
        remaining = list(actions)
        last_error = ""
        for attempt in range(self.retries + 1):
            out.attempts = attempt + 1
            if attempt:
                time.sleep(min(self.max_backoff, self.initial_backoff * 2 ** (attempt - 1)))
            acked: set[str] = set()
            try:
                for ok, item in helpers.streaming_bulk(
                        self.es, remaining, chunk_size=self.chunk_size, max_retries=0,
                        raise_on_error=False, raise_on_exception=False, yield_ok=True):
                    info = next(iter(item.values()))
                    _id = str(info.get("_id"))
                    if ok:
                        acked.add(_id)
                        out.ok.append(_id)
                    else:
                        status = info.get("status")
                        last_error = str(info.get("error"))[:500]
                        transient = not isinstance(status, int) or status in TRANSIENT_STATUS or status >= 500
                        if not transient:  # a bad document or mapping: retrying cannot help
                            out.failed[_id] = f"{status}: {last_error}"
            except TransportError as e:  # connection refused or reset mid-request: the rest is retried
                last_error = f"{type(e).__name__}: {e}"
                log.warning("bulk attempt %d interrupted: %s", attempt + 1, last_error)
            except ApiError as e:
                last_error = f"{type(e).__name__}: {e}"
                log.warning("bulk attempt %d failed: %s", attempt + 1, last_error)
            remaining = [a for a in remaining if a["_id"] not in acked and a["_id"] not in out.failed]
            if not remaining:
                break
        for a in remaining:
            out.failed[a["_id"]] = f"not acknowledged after {out.attempts} attempts: {last_error}"
        if refresh and out.ok:
            try:
                self.refresh()
            except TransportError:
                pass
        return out

    # alerts -------------------------------------------------------------------
    def _alert_doc(self, a: Alert, assignee: str | None = None, history: list[HistoryEntry] | None = None) -> dict:
        parts = SeriesKey.read(a.series)
        d = a.model_dump(mode="json")
        d.update({"technology": parts.technology, "field": parts.field, "facet": parts.facet,
                  "last_period": a.evidence.get("last_period", a.period),
                  "occurrences": len(a.evidence.get("occurrences") or {a.period: 1}),
                  "assignee": assignee, "history": [h.model_dump(mode="json") for h in history or []],
                  "updated_at": now_utc().isoformat()})
        return d

    def alert_actions(self, alerts: Iterable[Alert], reviews: dict[str, tuple[str | None, list[HistoryEntry]]] | None = None
                      ) -> list[dict]:
        """Whole documents, review state included (`reviews`: id -> (assignee, history), from the journal)."""
        reviews = reviews or {}
        return [{"_op_type": "index", "_index": self.names["alerts"].write, "_id": a.id,
                 "_source": self._alert_doc(a, *reviews.get(a.id, (None, [])))} for a in alerts]

    def index_alerts(self, alerts: Iterable[Alert], refresh: bool = True,
                     reviews: dict[str, tuple[str | None, list[HistoryEntry]]] | None = None) -> BulkOutcome:
        """Index alerts by id as the journal holds them (what the outbox does): no re-alerting logic here."""
        return self.bulk(self.alert_actions(alerts, reviews), refresh=refresh)

    def reviews_of(self, journal: EmbeddedAlertStore, ids: list[str]) -> dict[str, tuple[str | None, list[HistoryEntry]]]:
        """Assignee and history of each alert, as `journal` holds them."""
        state, hist = journal.review_state(ids), journal.histories(ids)
        return {i: (state.get(i, ("0", None))[1], hist.get(i, [])) for i in ids if i in state or i in hist}

    def _index_from_journal(self, ids: list[str] | None = None) -> BulkOutcome:
        """Index pending alerts (these, or all) as the journal has them now; what the cluster acknowledged
        leaves the outbox."""
        core = self.journal.core
        wanted = None if ids is None else set(ids)
        stamped = {a.id: (a, stamp) for a, stamp in core.outbox() if wanted is None or a.id in wanted}
        alerts = [a for a, _ in stamped.values()]
        out = self.index_alerts(alerts, reviews=self.reviews_of(self.journal, list(stamped)))
        core.mark_indexed(out.ok, {i: stamp for i, (_, stamp) in stamped.items()})
        return out

    def upsert_alerts(self, alerts: list[Alert]) -> dict[str, int]:
        """Into the journal first (re-alert window, review state kept), then indexed."""
        counts = self.journal.upsert_alerts(alerts)
        res = self._index_from_journal()  # what was written is in the outbox, under the ids it merged into
        if res.failed:
            raise AlertStoreError(f"{len(res.failed)} alerts not indexed (they stay in the outbox): "
                                  f"{next(iter(res.failed.values()))}")
        return counts

    def record(self, alerts: list[Alert]) -> dict[str, int]:
        return self.journal.upsert_alerts(alerts)  # the outbox: the next sync indexes them

    def all_alerts(self) -> list[Alert]:
        return self.journal.all_alerts()

    @staticmethod
    def _from_source(src: dict) -> Alert:
        fields = set(Alert.model_fields)
        return Alert.model_validate({k: v for k, v in src.items() if k in fields})

    def get(self, alert_id: str) -> ReviewedAlert | None:
        return self.journal.get(alert_id)

    def alert_ids(self) -> set[str]:
        return set(self.alert_review_marks())

    def alert_review_marks(self) -> dict[str, tuple[str | None, int]]:
        """Id -> (status, number of history entries) of every alert the cluster holds: enough to tell
        whether its review state is the journal's."""
        out = {}
        for h in helpers.scan(self.es, index=self.names["alerts"].read,
                              query={"query": {"match_all": {}}, "_source": ["status", "history.at"]}, size=2000):
            src = h.get("_source") or {}
            out[h["_id"]] = (src.get("status"), len(src.get("history") or []))
        return out

    def review_documents(self, ids: list[str]) -> dict[str, tuple[str, str | None, list[HistoryEntry]]]:
        """Id -> (status, assignee, history) as the cluster holds them."""
        out = {}
        for i in range(0, len(ids), 500):
            res = self.es.mget(index=self.names["alerts"].read, ids=ids[i:i + 500],
                               source_includes=["status", "assignee", "history"])
            for d in res["docs"]:
                if d.get("found"):
                    src = d["_source"]
                    out[d["_id"]] = (src.get("status") or "new", src.get("assignee"),
                                     [HistoryEntry.model_validate(h) for h in src.get("history") or []])
        return out

    def count_alerts(self) -> int:
        return int(self.es.count(index=self.names["alerts"].read)["count"])

    def search(self, query: AlertQuery | None = None) -> list[ReviewedAlert]:
        return self.search_page(query)[0]

    def search_page(self, query: AlertQuery | None = None) -> tuple[list[ReviewedAlert], int]:
        q = query or AlertQuery()
        filters: list[dict] = []
        if q.status:
            filters.append({"terms": {"status": list(q.status)}})
        if q.series:
            filters.append({"term": {"series": q.series}})
        if q.technology:
            filters.append({"term": {"technology": q.technology}})
        if q.field:
            filters.append({"term": {"field": q.field}})
        if q.direction:
            filters.append({"term": {"direction": q.direction}})
        if q.assignee:
            filters.append({"term": {"assignee": q.assignee}})
        if q.kind:
            filters.append({"term": {"kind": q.kind}})
        if q.country:
            filters.append({"terms": {"facet": [f"country:{q.country}", f"jurisdiction:{q.country}"]}})
        if q.min_severity is not None:
            filters.append({"range": {"severity": {"gte": q.min_severity}}})
        if q.period_from or q.period_to:
            rng = {}
            if q.period_from:
                rng["gte"] = q.period_from
            if q.period_to:
                rng["lte"] = q.period_to
            filters.append({"range": {"period": rng}})
        must: list[dict] = []
        if q.text and q.text.strip():
            # simple_query_string never fails on user syntax and has no field or regex escapes;
            # raw query_string is never built from user input
            must.append({"simple_query_string": {"query": q.text, "fields": SEARCH_FIELDS,
                                                 "default_operator": "and", "lenient": True}})
        silences = self.silences(now_utc())
        must_not = [] if q.include_silenced else [_silence_clause(s) for s in silences]
        body = {"bool": {"filter": filters, "must": must or [{"match_all": {}}], "must_not": must_not}}
        res = self.es.search(index=self.names["alerts"].read, query=body, from_=q.offset, size=q.size,
                             sort=[{"severity": "desc"}, {"series": "asc"}, {"period": "asc"}],
                             track_total_hits=True)
        hits = [h["_source"] for h in res["hits"]["hits"]]
        # the cluster finds and orders; the journal says the review state (and its version) of what was found
        reviews = self.journal.review_state([h["id"] for h in hits])
        out = []
        for src in hits:
            a = self._from_source(src)
            version, assignee = reviews.get(a.id, ("0", None))
            out.append(ReviewedAlert(alert=a, assignee=assignee, version=version,
                                     silenced=any(s.matches(a) for s in silences)))
        return out, int(res["hits"]["total"]["value"])

    # review -------------------------------------------------------------------
    def review(self, alert_id: str, *, actor: str, version: str, status=None, assignee=None, note: str = "") -> ReviewedAlert:
        """Checked and written in the journal (it raises AlertNotFound, ReviewConflict, InvalidTransition), then
        indexed; a cluster that cannot take it now gets it from the outbox on the next sync."""
        r = self.journal.review(alert_id, actor=actor, version=version, status=status, assignee=assignee, note=note)
        try:
            out = self._index_from_journal([alert_id])
            if out.failed:
                log.warning("review of %s saved, not yet indexed: %s", alert_id, next(iter(out.failed.values())))
        except (TransportError, ApiError) as e:
            log.warning("review of %s saved, not yet indexed: %s", alert_id, type(e).__name__)
        return r

    def history(self, alert_id: str) -> list[HistoryEntry]:
        return self.journal.history(alert_id)

    # silences -----------------------------------------------------------------
    def add_silence(self, silence: Silence) -> Silence:
        self.journal.add_silence(silence)
        self.index_silences([silence])
        return silence

    def index_silences(self, silences: list[Silence]) -> BulkOutcome:
        return self.bulk([{"_op_type": "index", "_index": self.names["silences"].write, "_id": s.id,
                           "_source": s.model_dump(mode="json")} for s in silences], refresh=True)

    def silences(self, active_at: dt.datetime | None = None) -> list[Silence]:
        return self.journal.silences(active_at)

    # trends -------------------------------------------------------------------
    def trend_actions(self, counts: pd.DataFrame, generation: str) -> list[dict]:
        actions = []
        keys: dict[str, SeriesKey] = {}
        for s, p, c in counts[["series", "period", "count"]].itertuples(index=False):
            s, p = str(s), str(p)
            parts = keys.get(s) or keys.setdefault(s, SeriesKey.read(s))
            try:
                gran, start = granularity(p), to_period(p).start_time.date().isoformat()
            except PeriodError:
                gran, start = None, None
            actions.append({"_op_type": "index", "_index": self.names["trends"].write, "_id": stable_id("trend", s, p),
                            "_source": {"series": s, "technology": parts.technology, "field": parts.field,
                                        "facet": parts.facet, "period": p, "granularity": gran, "period_start": start,
                                        "count": int(c), "generation": generation}})
        return actions

    def index_trends(self, counts: pd.DataFrame) -> int:
        generation = now_utc().strftime("%Y%m%dT%H%M%S.%f")
        res = self.bulk(self.trend_actions(counts, generation), refresh=True)
        if res.failed:
            raise AlertStoreError(f"{len(res.failed)} trend rows not indexed: {next(iter(res.failed.values()))}")
        # rows of an earlier aggregation that this one no longer has (a series renamed, a period dropped);
        # deleted by id rather than by query, which needs the reindex module a minimal node lacks
        stale = helpers.scan(self.es, index=self.names["trends"].read, size=2000, _source=False,
                             query={"query": {"bool": {"must_not": [{"term": {"generation": generation}}]}}})
        gone = self.bulk([{"_op_type": "delete", "_index": h["_index"], "_id": h["_id"]} for h in stale], refresh=True)
        if any(not e.startswith("404") for e in gone.failed.values()):
            raise AlertStoreError(f"stale trend rows not deleted: {next(iter(gone.failed.values()))}")
        return len(res.ok)

    def trend(self, series: str, period_from: str | None = None, period_to: str | None = None) -> list[TrendPoint]:
        filters: list[dict] = [{"term": {"series": series}}]
        if period_from or period_to:
            rng = {k: v for k, v in (("gte", period_from), ("lte", period_to)) if v}
            filters.append({"range": {"period": rng}})
        res = self.es.search(index=self.names["trends"].read, query={"bool": {"filter": filters}},
                             size=MAX_RESULTS, sort=[{"period": "asc"}], source_includes=["series", "period", "count"])
        return [TrendPoint(**h["_source"]) for h in res["hits"]["hits"]]

    def _newest_periods(self, query: dict, size: int) -> list[str]:
        res = self.es.search(index=self.names["trends"].read, size=0, query=query,
                             aggs={"periods": {"terms": {"field": "period", "size": size, "order": {"_key": "desc"}}}})
        return [b["key"] for b in res["aggregations"]["periods"]["buckets"]]

    def top_movers(self, n: int = 10, period: str | None = None) -> list[Mover]:
        """`period` (by default the newest with data the cut-off covers: `default_movers_period`) and the one
        before, per technology-level series."""
        tech_only = {"bool": {"must_not": [{"exists": {"field": "facet"}}]}}
        if period is None:
            with_data = self._newest_periods({"bool": {"filter": [tech_only, {"range": {"count": {"gt": 0}}}]}},
                                             MOVER_PERIODS)
            period = default_movers_period(with_data, self.data_cutoff())
            if period is None:
                return []
        periods = self._newest_periods({"bool": {"filter": [tech_only, {"range": {"period": {"lte": period}}}]}}, 2)
        if len(periods) < 2:
            return []
        rows = self.es.search(index=self.names["trends"].read, size=MAX_RESULTS,
                              query={"bool": {"filter": [tech_only, {"terms": {"period": periods}}]}},
                              source_includes=["series", "period", "count"])
        df = pd.DataFrame([h["_source"] for h in rows["hits"]["hits"]], columns=["series", "period", "count"])
        return movers_from_counts(df, n, periods[0])

    def data_cutoff(self) -> dt.date | None:
        return self._journal_store.data_cutoff() if self._journal_store is not None else None

    def series_exists(self, pattern: str) -> bool:
        """Alerts are the review journal's; counts are this cluster's trends (and the journal's own)."""
        if self.journal.series_exists(pattern):
            return True
        res = self.es.count(index=self.names["trends"].read, query={"wildcard": {"series": {"value": pattern}}})
        return res["count"] > 0

    # documents ----------------------------------------------------------------
    def document_actions(self, docs: Iterable[Document], tagged: dict[str, TaggedDocument] | None = None) -> list[dict]:
        tagged = tagged or {}
        actions = []
        for d in docs:
            src = {"id": d.id, "source": d.source, "source_key": d.source_key, "kind": d.kind, "url": d.url,
                   "title": d.title, "text": d.text, "lang": d.lang,
                   "published": d.published.isoformat() if d.published else None,
                   "published_basis": d.published_basis, "fetched_at": d.fetched_at.isoformat(),
                   "jurisdiction": d.jurisdiction, "raw_ref": d.raw_ref, "content_hash": d.content_hash}
            if d.patent:
                p = d.patent
                src.update({"application_number": p.application_number, "publication_number": p.publication_number,
                            "application_date": p.application_date.isoformat() if p.application_date else None,
                            "applicants": [x.model_dump() for x in p.applicants],
                            "inventors": [x.model_dump() for x in p.inventors], "cpc": p.cpc, "ipc": p.ipc})
            t = tagged.get(d.id)
            if t is not None:
                src.update({"technologies": [s.id for s in t.tagging.technologies],
                            "technology_scores": {s.id: s.score for s in t.tagging.technologies},
                            "fields": t.tagging.fields, "model_version": t.model_version,
                            "taxonomy_version": t.taxonomy_version})
            actions.append({"_op_type": "index", "_index": self.names["documents"].write, "_id": d.id, "_source": src})
        return actions

    def index_documents(self, docs: Iterable[Document], tagged: dict[str, TaggedDocument] | None = None,
                        refresh: bool = True) -> BulkOutcome:
        return self.bulk(self.document_actions(docs, tagged), refresh=refresh)

    def count_documents(self) -> int:
        return int(self.es.count(index=self.names["documents"].read)["count"])


def _silence_clause(s: Silence) -> dict:
    clause: dict = {"bool": {"filter": [{"wildcard": {"series": {"value": s.series}}}]}}
    if s.direction:
        clause["bool"]["filter"].append({"term": {"direction": s.direction}})
    return clause

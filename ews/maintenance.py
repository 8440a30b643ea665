"""Maintenance jobs the scheduler runs besides the main job: retraining, the annual report, the taxonomy review,
and the alert a failing pipeline task raises about itself.

Each is a plain function of a store and a few arguments (the Airflow DAGs call them
through `ews.tasks`); heavy libraries are imported inside the functions.

- `retrain`: trains the classifier on the crawled patents (labels through the CPC
  concordance) into `models/versions/<name>` and points `models/current` at it only
  when it scores no worse than the model in use on the same held-out patents.
- `annual_report`: per field, patents per technology per year, top applicants,
  applicant countries and the alerts of the year (Markdown per field + one JSON).
- `taxonomy_review`: terms growing in documents that fit none of the 50
  technologies (Markdown + JSON).
- `pipeline_failure_alert`: an `Alert` (detector "pipeline") with a deterministic
  id per DAG, task and data interval, so analysts see a failing source or stage.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import re
from collections import Counter, defaultdict
from pathlib import Path

from ews.ids import alert_id, stable_id
from ews.schema import Alert, ClassifyInput
from ews.store import Store

# the classifier holds out a record when sha1(id) falls in the first 20 % (models.classify.store); retraining
# uses the same rule, so a model promoted by an earlier retraining never saw today's held-out patents either
HELDOUT_SHARE = 0.2
MIN_TRAIN = 30      # labelled patents needed to train
MIN_HELDOUT = 10    # labelled held-out patents needed to compare two models
RETRAIN_LOG = "retrain.jsonl"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)  # a reader never sees half a file


def is_heldout(record_id: str) -> bool:
    return int(hashlib.sha1(record_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < HELDOUT_SHARE


# --- retraining --------------------------------------------------------------------------------------------------
def _score(clf, records: list[ClassifyInput], gold: list[list[str]]) -> dict:
    """Held-out scores of `clf` on text alone (classes removed: the labels come from the classes)."""
    from models.classify.store import scores_table

    pred = clf.predict_ids([r.model_copy(update={"cpc": [], "labels": None}) for r in records])
    table = scores_table(pred, gold, list(clf.tech_ids) if hasattr(clf, "tech_ids") else sorted({t for g in gold for t in g}))
    return {"micro_f1": table["micro"]["f1"], "micro_precision": table["micro"]["precision"],
            "micro_recall": table["micro"]["recall"], "macro_f1": table["macro_f1"], "documents": table["documents"]}


def _current_target(models_dir: Path) -> str | None:
    cur = models_dir / "current"
    if cur.is_symlink():
        return os.readlink(cur)
    return None


def _promote(models_dir: Path, version_dir: Path) -> None:
    """Point models_dir/current at version_dir (a relative symlink, swapped atomically)."""
    cur = models_dir / "current"
    if cur.exists() and not cur.is_symlink():  # a model trained straight into current: keep it as a version
        legacy = models_dir / "versions" / f"legacy-{int(cur.stat().st_mtime)}"
        os.replace(cur, legacy)
    tmp = models_dir / f".current.tmp{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(os.path.relpath(version_dir, models_dir), target_is_directory=True)
    os.replace(tmp, cur)


def retrain(store: Store, models_dir: Path, min_train: int = MIN_TRAIN, min_heldout: int = MIN_HELDOUT,
            **params) -> dict:
    """Train on the store's patents; promote the new model only if it is no worse on held-out patents.

    Returns the decision: {"status": "promoted" | "kept" | "skipped", "reason", "candidate", "current", scores}.
    The candidate's directory name is a digest of its training data and parameters, so re-running
    the same month reuses it instead of training again. Every decision is appended to
    models_dir/retrain.jsonl.
    """
    from ews.taxonomy import load_taxonomy
    from models.classify import ModelError, load_classifier, train_classifier
    from models.classify.store import resolve_labels

    models_dir = Path(models_dir)
    tax = load_taxonomy()
    records = [ClassifyInput.from_document(d) for d in store.iter_documents(kind="patent")]
    kept, labels, summary = resolve_labels(records, tax)  # labels through the CPC concordance
    train = [r for r in kept if not is_heldout(r.id)]
    held = [(r, labs) for r, labs in zip(kept, labels) if is_heldout(r.id)]
    positives = sum(1 for labs in labels if labs)
    out = {"status": "skipped", "reason": "", "patents": len(records), "labelled": len(kept),
           "with_technology": positives, "train": len(train), "heldout": len(held), "candidate": None,
           "current": None, "candidate_scores": None, "current_scores": None}

    def finish(status: str, reason: str) -> dict:
        out.update(status=status, reason=reason, decided_at=dt.datetime.now(dt.timezone.utc).isoformat())
        models_dir.mkdir(parents=True, exist_ok=True)
        with open(models_dir / RETRAIN_LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(out, ensure_ascii=False, sort_keys=True) + "\n")
        return out

    if len(train) < min_train or len(held) < min_heldout or not positives:
        return finish("skipped", f"too few labelled patents to train and compare: {len(train)} to train "
                                 f"(need {min_train}), {len(held)} held out (need {min_heldout}), "
                                 f"{positives} with a technology; the current model stays")

    digest = hashlib.sha1()
    for r in sorted(train, key=lambda r: r.id):
        digest.update(f"{r.id}\t{','.join(r.cpc)}\t{hashlib.sha1((r.title + r.text).encode()).hexdigest()}\n".encode())
    digest.update(json.dumps(params, sort_keys=True).encode())
    name = f"{tax.version}-{digest.hexdigest()[:12]}"
    version_dir = models_dir / "versions" / name
    if not (version_dir / "model.json").is_file():
        try:
            train_classifier(train, version_dir, source=f"store:{store.home} patents ({len(train)}, held out {len(held)})",
                             **params)
        except Exception as e:  # recorded, then raised: the task fails (retries, a pipeline alert); nothing promoted
            finish("failed", f"training failed ({type(e).__name__}: {e}); the current model stays")
            raise
    out["candidate"] = name
    candidate = load_classifier(version_dir)
    held_records, held_gold = [r for r, _ in held], [labs for _, labs in held]
    out["candidate_scores"] = _score(candidate, held_records, held_gold)

    target = _current_target(models_dir)
    if target is not None and (models_dir / target).resolve() == version_dir.resolve():
        out["current"] = name
        out["current_scores"] = out["candidate_scores"]
        return finish("unchanged", "the model trained on this data is already the current model")
    try:
        current = load_classifier(None)  # the model the pipeline uses now: current, last trained, shipped or built-in
        out["current"] = current.version
        out["current_scores"] = _score(current, held_records, held_gold)
    except ModelError as e:
        _promote(models_dir, version_dir)
        return finish("promoted", f"the current model cannot be used ({e}); the new model replaces it")
    new, old = out["candidate_scores"]["micro_f1"], out["current_scores"]["micro_f1"]
    if new >= old:
        _promote(models_dir, version_dir)
        return finish("promoted", f"held-out micro F1 {new:.4f} >= {old:.4f} of {out['current']} "
                                  f"on {len(held)} held-out patents")
    return finish("kept", f"held-out micro F1 {new:.4f} < {old:.4f} of the current model {out['current']} "
                          f"on {len(held)} held-out patents; the current model stays, the candidate is kept "
                          f"in {version_dir} for inspection")


# --- annual report -----------------------------------------------------------------------------------------------
def _year_of_alert(period: str) -> int | None:
    m = re.match(r"^(\d{4})", period)
    return int(m.group(1)) if m else None


def annual_data(store: Store, year: int, years_back: int = 4, top: int = 10) -> dict:
    """Per field: patents per technology per year (year-years_back..year), top applicants and applicant
    countries in `year`, and the alerts of that year; counted as the aggregator counts (filing date,
    else publication; each patent once per key; applicants by normalised name)."""
    from alerts.build import series_parts
    from ews.taxonomy import load_taxonomy
    from models.aggregate import document_date
    from models.names import normalise_applicant

    tax = load_taxonomy()
    tagging = {t.doc_id: t.tagging for t in store.iter_tagged()}
    years = list(range(year - years_back, year + 1))
    per_tech: dict[str, Counter] = defaultdict(Counter)           # tech -> year -> patents
    per_field: dict[str, Counter] = defaultdict(Counter)          # field -> year -> patents
    applicants: dict[str, Counter] = defaultdict(Counter)         # field -> applicant -> patents in `year`
    applicants_prev: dict[str, Counter] = defaultdict(Counter)    # same, year - 1
    countries: dict[str, Counter] = defaultdict(Counter)          # field -> country -> patents in `year`
    untagged = 0
    for doc in store.iter_documents(kind="patent"):
        tg = tagging.get(doc.id)
        d = document_date(doc)
        if d is None or d.year not in years:
            continue
        if tg is None:
            untagged += 1
            continue
        techs = {t.id for t in tg.technologies}
        fields = set(tg.fields) | {t.split(".", 1)[0] for t in techs}
        for t in techs:
            per_tech[t][d.year] += 1
        for f in fields:
            per_field[f][d.year] += 1
        if d.year in (year, year - 1) and doc.patent is not None:
            names = {normalise_applicant(a.name) for a in doc.patent.applicants} - {""}
            ccs = {a.country for a in doc.patent.applicants if a.country}
            for f in fields:
                (applicants if d.year == year else applicants_prev)[f].update(names)
                if d.year == year:
                    countries[f].update(ccs)
    alerts_by_field: dict[str, list] = defaultdict(list)
    for a in store.list_alerts():
        if _year_of_alert(a.period) != year:
            continue
        parts = series_parts(a.series)
        if parts.field:
            alerts_by_field[parts.field].append(a)

    fields_out = []
    for f in tax.fields:
        techs = []
        for t in f.technologies:
            row = {str(y): per_tech[t.id][y] for y in years}
            prev = per_tech[t.id][year - 1]
            techs.append({"id": t.id, "name_ko": t.name_ko, "name_en": t.name_en, "patents": row,
                          "change_vs_previous_year": (round(per_tech[t.id][year] / prev - 1, 4) if prev else None)})
        fields_out.append({
            "id": f.id, "name_ko": f.name_ko, "name_en": f.name_en,
            "patents": {str(y): per_field[f.id][y] for y in years},
            "technologies": techs,
            "top_applicants": [{"applicant": n, "patents": c, "previous_year": applicants_prev[f.id][n]}
                               for n, c in sorted(applicants[f.id].items(), key=lambda x: (-x[1], x[0]))[:top]],
            "countries": [{"country": c, "patents": n}
                          for c, n in sorted(countries[f.id].items(), key=lambda x: (-x[1], x[0]))],
            "alerts": [{"id": a.id, "series": a.series, "period": a.period, "direction": a.direction,
                        "observed": a.observed, "expected": round(a.expected, 3), "severity": round(a.severity, 4),
                        "status": a.status, "detector": a.detector}
                       for a in sorted(alerts_by_field[f.id], key=lambda a: (a.period, -a.severity, a.series))],
        })
    return {"year": year, "years": [str(y) for y in years], "taxonomy_version": tax.version,
            "patents_in_years_not_classified": untagged,
            "note": ("Patents are dated by filing date (else publication), so the newest year is incomplete "
                     "until publication catches up (about 18 months)"),
            "fields": fields_out}


def _md_annual(data: dict, f: dict) -> str:
    y, years = data["year"], data["years"]
    lines = [f"# {f['name_en']} ({f['name_ko']}) — patent trends {y}", "",
             f"Taxonomy {data['taxonomy_version']}. {data['note']}.", "",
             "## Patents per technology per year", "",
             "| technology | " + " | ".join(years) + " | change vs previous year |",
             "|---|" + "---:|" * len(years) + "---:|"]
    for t in f["technologies"]:
        ch = t["change_vs_previous_year"]
        lines.append(f"| {t['name_en']} (`{t['id']}`) | " + " | ".join(str(t["patents"][k]) for k in years)
                     + f" | {'—' if ch is None else f'{ch:+.0%}'} |")
    lines.append("| **field total** | " + " | ".join(str(f["patents"][k]) for k in years) + " | |")
    lines += ["", f"## Top applicants {y}", ""]
    if f["top_applicants"]:
        lines += ["| applicant | patents | previous year |", "|---|---:|---:|"]
        lines += [f"| {a['applicant']} | {a['patents']} | {a['previous_year']} |" for a in f["top_applicants"]]
    else:
        lines.append("No patents in this field this year.")
    lines += ["", f"## Applicant countries {y}", ""]
    if f["countries"]:
        lines += ["| country | patents |", "|---|---:|"] + [f"| {c['country']} | {c['patents']} |" for c in f["countries"]]
    else:
        lines.append("No applicant country known.")
    lines += ["", f"## Alerts {y}", ""]
    if f["alerts"]:
        lines += ["| period | series | direction | observed | expected | severity | status |", "|---|---|---|---:|---:|---:|---|"]
        lines += [f"| {a['period']} | `{a['series']}` | {a['direction']} | {a['observed']:g} | {a['expected']:g} | "
                  f"{a['severity']:.2f} | {a['status']} |" for a in f["alerts"]]
    else:
        lines.append("No alerts this year.")
    return "\n".join(lines) + "\n"


def annual_report(store: Store, year: int, out_dir: Path) -> dict:
    """Write out_dir/annual/<year>/{trends.json, index.md, <field>.md}; returns the paths and totals."""
    data = annual_data(store, year)
    base = Path(out_dir) / "annual" / str(year)
    _write_atomic(base / "trends.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    index = [f"# Patent trends {year}, per field", "", f"Taxonomy {data['taxonomy_version']}. {data['note']}.", "",
             "| field | " + " | ".join(data["years"]) + " | alerts |", "|---|" + "---:|" * (len(data["years"]) + 1)]
    for f in data["fields"]:
        _write_atomic(base / f"{f['id']}.md", _md_annual(data, f))
        index.append(f"| [{f['name_en']}]({f['id']}.md) | " + " | ".join(str(f["patents"][k]) for k in data["years"])
                     + f" | {len(f['alerts'])} |")
    _write_atomic(base / "index.md", "\n".join(index) + "\n")
    return {"dir": str(base), "fields": len(data["fields"]),
            "patents": sum(f["patents"][str(year)] for f in data["fields"]),
            "alerts": sum(len(f["alerts"]) for f in data["fields"])}


# --- taxonomy review ---------------------------------------------------------------------------------------------
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9\-]{2,}|[\uac00-\ud7a3]{2,}")
_KO_SUFFIX = re.compile(r"(으로|에서|에게|까지|부터|하는|했다|한다|하고|이며|이다|에는|과의|와의|들의|의|을|를|은|는|이|가|과|와|에|도|로|및)$")
STOPWORDS = frozenset("""
the and for with from that this these those are was were been being have has had not but its their them they
which what when where while into onto over under than then there here such also more most other some any each
all can may will would should could one two three using use used method methods system systems apparatus device
devices based thereof wherein comprising comprises including first second third new said via per between among
about after before during within without upon our your his her him she you who whom how why very only same
part parts unit units means layer process processes manufacturing structure structures material materials
data information technology technologies research development report policy government national strategy
plan plans program programs support announced year years month today said will press release
""".split())


_SEGMENT = re.compile(r"[\n.;:!?,()\[\]{}\"“”'‘’·|/]+")


def _terms(text: str) -> set[str]:
    """Words and two-word phrases; phrases never span a line break or punctuation."""
    grams: set[str] = set()
    for segment in _SEGMENT.split(text):
        grams |= _segment_terms(segment)
    return grams


def _segment_terms(text: str) -> set[str]:
    toks = []
    for m in _TOKEN.finditer(text):
        t = m.group(0)
        if "\uac00" <= t[0] <= "\ud7a3":
            t = _KO_SUFFIX.sub("", t)
            if len(t) < 2:
                toks.append(None)
                continue
        else:
            t = t.lower().strip("-")
            if t in STOPWORDS or len(t) < 3:
                toks.append(None)
                continue
        toks.append(t)
    grams = {t for t in toks if t}
    grams.update(f"{a} {b}" for a, b in zip(toks, toks[1:]) if a and b)
    return grams


def emerging_terms(docs_before: list, docs_recent: list, known: set[str], min_df: int = 3, min_ratio: float = 2.0,
                   top: int = 50) -> list[dict]:
    """Terms whose document share grew, among documents no technology claimed.

    A term is a word (English lower-cased, Korean with a trailing particle removed) or two adjacent
    words; stop words and terms that contain or are contained in a taxonomy keyword (they fit one of
    the 50) are left out. Document frequency df counts each document once. Growth is the ratio of
    smoothed shares, ((df_recent + 0.5) / (N_recent + 1)) / ((df_before + 0.5) / (N_before + 1));
    a term is reported when df_recent >= min_df and the ratio >= min_ratio, ranked by
    ratio × log(1 + df_recent) (growth weighted by how many documents carry it).
    """
    def df(docs):
        c, ex = Counter(), defaultdict(list)
        for d in docs:
            for t in _terms(f"{d.title}\n{d.text}"):
                c[t] += 1
                if len(ex[t]) < 3:
                    ex[t].append({"id": d.id, "title": d.title[:160], "published": d.published.isoformat() if d.published else None})
        return c, ex

    before, _ = df(docs_before)
    recent, examples = df(docs_recent)
    nb, nr = len(docs_before), len(docs_recent)
    out = []
    for term, c in recent.items():
        if c < min_df or any(k in term or term in k for k in known):
            continue
        ratio = ((c + 0.5) / (nr + 1)) / ((before[term] + 0.5) / (nb + 1))
        if ratio < min_ratio:
            continue
        out.append({"term": term, "df_recent": c, "df_before": before[term], "growth": round(ratio, 3),
                    "score": round(ratio * math.log1p(c), 3), "examples": examples[term]})
    out.sort(key=lambda x: (-x["score"], -x["term"].count(" "), x["term"]))  # on a tie the phrase before its words
    # a bigram and its words often say the same thing: keep a word only if no kept bigram holds it with the same df
    kept: list[dict] = []
    for x in out:
        if " " not in x["term"] and any(x["term"] in k["term"].split() and k["df_recent"] == x["df_recent"] for k in kept):
            continue
        kept.append(x)
    return kept[:top]


def taxonomy_review(store: Store, start: dt.date, end: dt.date, out_dir: Path, **kw) -> dict:
    """Terms emerging in [start, end) against the equally long period before, in documents no technology claimed.

    Writes out_dir/taxonomy-review/<start>_<end>.{md,json}."""
    from ews.taxonomy import load_taxonomy
    from models.aggregate import document_date

    tax = load_taxonomy()
    known = {k.lower() for t in tax.technologies for k in (*t.keywords_en, *t.keywords_ko, t.name_en, t.name_ko)}
    known |= {f.name_en.lower() for f in tax.fields} | {f.name_ko for f in tax.fields}
    claimed = {t.doc_id for t in store.iter_tagged() if t.tagging.technologies}
    tagged_ids = {t.doc_id for t in store.iter_tagged()}
    before_start = start - (end - start)
    before, recent, not_classified = [], [], 0
    for doc in store.iter_documents():
        if doc.id in claimed:
            continue
        if doc.id not in tagged_ids:
            not_classified += 1
            continue
        d = document_date(doc)
        if d is None:
            continue
        if start <= d < end:
            recent.append(doc)
        elif before_start <= d < start:
            before.append(doc)
    terms = emerging_terms(before, recent, known, **kw)
    # the project's emergence model (Porter–Carley EScore and Kleinberg bursts over quarters) on the same store
    from models.emerging import unmatched_terms

    with_model = [{"term": t.term, "score": round(t.score, 4), "emerging": t.emerging,
                   "burst_weight": round(t.burst_weight, 4), "counts": t.counts}
                  for t in unmatched_terms(list(store.iter_documents()), list(store.iter_tagged()), granularity="quarter",
                                           as_of=end - dt.timedelta(days=1), top=30)]
    data = {"window": [start.isoformat(), end.isoformat()], "baseline": [before_start.isoformat(), start.isoformat()],
            "taxonomy_version": tax.version, "documents_recent": len(recent), "documents_before": len(before),
            "documents_not_classified": not_classified,
            "method": emerging_terms.__doc__.split("\n\n")[0].strip() + " " + " ".join(
                emerging_terms.__doc__.split("\n\n")[1].split()),
            "terms": terms, "emergence_model": with_model,
            "emergence_model_method": "models.emerging.unmatched_terms: Porter-Carley emergence score and Kleinberg "
                                      "bursts over the last 3 + 7 quarters, terms of untagged documents"}
    base = Path(out_dir) / "taxonomy-review"
    stem = f"{start.isoformat()}_{end.isoformat()}"
    _write_atomic(base / f"{stem}.json", json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
    md = [f"# Taxonomy review {start} – {end}", "",
          f"Terms growing in documents that fit none of the {len(tax.technologies)} technologies of taxonomy "
          f"{tax.version}: {len(recent)} such documents in the window, {len(before)} in the baseline "
          f"{before_start} – {start}.", "", data["method"], ""]
    if terms:
        md += ["| term | documents | before | growth | examples |", "|---|---:|---:|---:|---|"]
        md += [f"| {t['term']} | {t['df_recent']} | {t['df_before']} | {t['growth']:.1f}× | "
               + "; ".join(e["title"].replace("|", "/") for e in t["examples"]) + " |" for t in terms]
    else:
        md.append("No emerging term found.")
    md += ["", "## Emergence model (models.emerging)", "", data["emergence_model_method"] + ".", ""]
    if with_model:
        md += ["| term | EScore | emerging | burst weight |", "|---|---:|---|---:|"]
        md += [f"| {t['term']} | {t['score']:.3f} | {'yes' if t['emerging'] else 'burst only'} | {t['burst_weight']:.2f} |"
               for t in with_model]
    else:
        md.append("No term qualifies.")
    if not_classified:
        md += ["", f"{not_classified} documents are not classified yet and were not read."]
    _write_atomic(base / f"{stem}.md", "\n".join(md) + "\n")
    return {"report": str(base / f"{stem}.md"), "terms": len(terms), "documents_recent": len(recent),
            "documents_before": len(before)}


# --- pipeline failures -------------------------------------------------------------------------------------------
_SECRET_ENV = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|_KEY|CREDENTIALS?)$", re.I)
_URL_CREDS = re.compile(r"(://)[^/@\s:]+(?::[^/@\s]*)?@")
_QUERY_SECRET = re.compile(r"((?:api_?key|key|token|secret|password|passwd|access_token|client_secret)=)[^&\s'\"]+", re.I)


_ENV_URL_CREDS = re.compile(r"://([^/@\s:]+):([^/@\s]+)@")
_USERINFO = re.compile(r"(?<![\w/])[^\s/@:'\"]+:[^\s/@'\"]+@(?=[\w.\-\[])")


def secret_values() -> list[str]:
    """Values that must never be shown: those of secret-named environment variables (…PASSWORD, …_KEY, …)
    and the user:password parts of URLs held by any environment variable; longest first."""
    found = set()
    for name, value in os.environ.items():
        if not value:
            continue
        if _SECRET_ENV.search(name) and len(value) >= 8:  # short values ("True", "1") are settings, not secrets
            found.add(value)
        for user, password in _ENV_URL_CREDS.findall(value):
            found.update({f"{user}:{password}", password} if len(password) >= 4 else {f"{user}:{password}"})
    return sorted(found, key=len, reverse=True)


def scrub(text: str) -> str:
    """Remove credentials from a message: known secret values, user:password@ in URLs (with or without a
    scheme), key=… query values."""
    for value in secret_values():
        text = text.replace(value, "***")
    text = _URL_CREDS.sub(r"\1***@", text)
    text = _USERINFO.sub("***@", text)
    return _QUERY_SECRET.sub(r"\1***", text)


def pipeline_failure_alert(dag_id: str, task_id: str, interval_start: str | None, interval_end: str | None,
                           run_id: str, error: str, error_type: str = "Exception", try_number: int | None = None,
                           source: str | None = None, now: dt.datetime | None = None) -> Alert:
    """An alert about a failed pipeline task; one id per DAG, task and data interval (or run, without one)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    series = f"pipeline:{dag_id}|task:{task_id}"
    interval = f"{interval_start}/{interval_end}" if interval_start and interval_end else f"run:{run_id}"
    when = (interval_start or now.isoformat())[:7]
    period = when if re.fullmatch(r"\d{4}-\d{2}", when) else now.strftime("%Y-%m")
    what = f"source {source}" if source else f"stage {task_id}"
    message = scrub(" ".join(str(error).split()))[:1000]
    return Alert(
        id=alert_id("pipeline", series, interval), detector="pipeline", series=series, period=period,
        direction="drop", observed=0.0, expected=1.0, score=1.0, severity=0.5, method=f"airflow task failure ({error_type})",
        explanation=(f"The pipeline itself failed: {what} (DAG {dag_id}, task {task_id}) for the data interval "
                     f"{interval_start or '—'} – {interval_end or '—'}"
                     f"{f' after {try_number} tries' if try_number else ''}: {error_type}: {message}. "
                     "Data of this interval may be missing until the task is re-run."),
        evidence={"detector": "pipeline", "dag_id": dag_id, "task_id": task_id, "run_id": run_id,
                  "interval_start": interval_start, "interval_end": interval_end, "try_number": try_number,
                  "source": source, "error_type": error_type, "error": message,
                  "key": stable_id(dag_id, task_id, interval)},
        first_seen=now, last_seen=now)

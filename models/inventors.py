"""Inventors moving abroad: a Korean inventor whose later strategic-technology filings are for a foreign applicant.

    from models.inventors import detect_inventor_moves
    signals = detect_inventor_moves(documents, tagged)     # list[ews.kernel.schema.Signal], kind inventor_move

Steps:

1. **Name keys** (`person_key`): 'KIM, Jae-won', 'Jaewon Kim', 'Jae Won KIM', 'Gim Jaewon' and
   '김재원' all become 'KIM JAEWON'. Surnames are read through a table of the
   common Korean romanisation variants (Lee/Yi/Rhee, Park/Pak/Bak, Jung/Jeong/
   Chung …); given names are joined (hyphens and spaces dropped) and their
   vowel spellings folded (eo/u, oo/u, ee/i); Hangul names are romanised
   (Revised Romanisation, surname by the table). 'LAST, FIRST' is read by the
   comma, otherwise a known surname at either end is taken as the surname.
2. **Persons** (`disambiguate`): the mentions of one name key are split into
   persons: two mentions are one person when they share a co-inventor (name
   key) or an applicant (normalised, `ews.kernel.names`). A common name (many
   unrelated clusters) is therefore never merged into one person by its name.
3. **Moves**: a person has a Korean history (at least `min_prior` patents
   filed before the first foreign filing, each with a Korean applicant or the
   inventor's Korean address) and later a *foreign* filing: no Korean applicant,
   an applicant of a company group not seen in the history, and the inventor's
   address, if given, not Korean; that filing must be tagged with a strategic
   technology. The foreign filing must be tied to the Korean history by
   evidence, never by a bare name: a shared co-inventor, or the same full name
   held by no other person in the stored data (the name key belongs to one
   Korean person and one foreign group only) in the same technology. That is
   uniqueness in the data, not rarity in the population: no name-frequency
   table is used, so a common name ("Jaewon Kim") can be unique in a small
   store; the explanation says exactly that and the tie is the weaker kind.

Precision over recall (a false accusation is costly): every condition above
errs towards silence. Each signal carries its evidence (patent ids, dates,
applicants, countries, the tie); `alerts.build` makes the alert, with the
deterministic id `alert_id('inventor_abroad', 'inventor:<key>', <month of the
first foreign filing>)`.
"""
from __future__ import annotations

import datetime as dt
import pickle
import re
import sqlite3
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import groupby, islice
from pathlib import Path

from ews.kernel.names import normalise_applicant
from ews.kernel.schema import Document, Signal, TaggedDocument
from ews.kernel.series import SeriesKey
from ews.kernel.text import HANGUL_FIRST, is_hangul_syllable

DETECTOR = "inventor_abroad"
HOME = "KR"

# Common Korean surnames: every romanisation seen in patent data → one spelling.
_SURNAME_VARIANTS = {
    "KIM": "KIM GIM KEEM", "LEE": "LEE YI RHEE RHIE LI YEE RI I", "PARK": "PARK PAK BAK BAHK PACK PARKE",
    "CHOI": "CHOI CHOE CHOY CHUI", "JUNG": "JUNG JEONG CHUNG CHEONG JOUNG CHONG", "KANG": "KANG GANG",
    "CHO": "CHO JO JOE", "YOON": "YOON YUN YOUN", "JANG": "JANG CHANG", "LIM": "LIM IM RIM YIM",
    "HAN": "HAN", "OH": "OH O", "SEO": "SEO SUH SUE SEOH", "SHIN": "SHIN SIN SHINN", "KWON": "KWON GWON KWEON",
    "HWANG": "HWANG WHANG", "AHN": "AHN AN", "SONG": "SONG", "YOO": "YOO YU YOU RYU RYOO", "HONG": "HONG",
    "JEON": "JEON JUN CHUN CHON JEUN", "KO": "KO GO KOH", "MOON": "MOON MUN MOUN", "YANG": "YANG",
    "SON": "SON SOHN", "BAE": "BAE PAE BAI", "BAEK": "BAEK PAEK PAIK BAIK", "HEO": "HEO HUH HUR HEOH",
    "NAM": "NAM", "NOH": "NOH ROH NO RO", "HA": "HA", "KWAK": "KWAK GWAK", "SUNG": "SUNG SEONG",
    "CHA": "CHA", "JOO": "JOO JU CHOO", "WOO": "WOO WU", "MIN": "MIN", "YOOK": "YOOK YUK",
}
SURNAMES: dict[str, str] = {v: canon for canon, vs in _SURNAME_VARIANTS.items() for v in vs.split()}
# 'I', 'O', 'AN', 'NO' … are too ambiguous as a bare token to decide the name order; they still map
# when the order is known from a comma.
_ORDER_SURNAMES = {v for v in SURNAMES if len(v) >= 3 or v in {"KO", "OH", "HA", "YU", "JO", "GO"}}
_HANGUL_SURNAMES = {
    "김": "KIM", "이": "LEE", "리": "LEE", "박": "PARK", "최": "CHOI", "정": "JUNG", "강": "KANG", "조": "CHO",
    "윤": "YOON", "장": "JANG", "임": "LIM", "한": "HAN", "오": "OH", "서": "SEO", "신": "SHIN", "권": "KWON",
    "황": "HWANG", "안": "AHN", "송": "SONG", "유": "YOO", "류": "YOO", "홍": "HONG", "전": "JEON", "고": "KO",
    "문": "MOON", "양": "YANG", "손": "SON", "배": "BAE", "백": "BAEK", "허": "HEO", "남": "NAM", "노": "NOH",
    "하": "HA", "곽": "KWAK", "성": "SUNG", "차": "CHA", "주": "JOO", "우": "WOO", "민": "MIN", "육": "YOOK",
}
# Revised Romanisation of Hangul jamo (initial, medial, final).
_RR_INITIAL = ["g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"]
_RR_MEDIAL = ["a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
              "yu", "eu", "ui", "i"]
_RR_FINAL = ["", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t",
             "ng", "t", "t", "k", "t", "p", "t"]
# Folding of given-name spellings (applied to the joined, lower-cased given name, in order).
_GIVEN_FOLDS = [("eo", "u"), ("oo", "u"), ("ee", "i"), ("ou", "u"), ("k", "g"), ("t", "d"), ("p", "b"), ("ch", "j"),
                ("sh", "s"), ("l", "r"), ("wu", "u")]
_NONWORD = re.compile(r"[^\w\s,]|_|\d")


def _romanise_hangul(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch) - HANGUL_FIRST
        if 0 <= code < 11172:
            out.append(_RR_INITIAL[code // 588] + _RR_MEDIAL[(code % 588) // 28] + _RR_FINAL[code % 28])
        elif ch.strip():
            out.append(ch.lower())
    return "".join(out)


def _fold_given(given: str) -> str:
    g = re.sub(r"[\s\-]", "", given.lower())
    for a, b in _GIVEN_FOLDS:
        g = g.replace(a, b)
    return g.upper()


def person_key(name: str) -> str:
    """The match key of a person's name: 'SURNAME GIVEN' with romanisation variants folded ('' if unusable)."""
    s = unicodedata.normalize("NFKC", name).strip()
    if not s:
        return ""
    compact = s.replace(" ", "")
    if compact and all(is_hangul_syllable(c) for c in compact) and 2 <= len(compact) <= 4:
        # a Hangul name: surname first (one syllable; the two-syllable surnames are too rare to guess)
        surname = _HANGUL_SURNAMES.get(compact[0], _romanise_hangul(compact[0]).upper())
        return f"{surname} {_fold_given(_romanise_hangul(compact[1:]))}"
    s = _NONWORD.sub(" ", s.replace("-", "\x00")).replace("\x00", "-").upper()
    if "," in s:
        last, _, first = s.partition(",")
        surname, given = last.replace(",", " ").split(), first.replace(",", " ").split()
    else:
        tokens = s.split()
        if len(tokens) < 2:
            return " ".join(tokens)
        if tokens[-1] in _ORDER_SURNAMES:
            surname, given = tokens[-1:], tokens[:-1]
        elif tokens[0] in _ORDER_SURNAMES:
            surname, given = tokens[:1], tokens[1:]
        else:
            surname, given = tokens[-1:], tokens[:-1]
    if not surname or not given:
        return " ".join(surname + given)
    sur = " ".join(surname)
    sur = SURNAMES.get(sur, sur)
    return f"{sur} {_fold_given(' '.join(given))}"


# ---------------------------------------------------------------------------------------- mentions


@dataclass(frozen=True)
class Mention:
    """One inventor on one patent."""

    doc_id: str
    number: str
    name: str
    key: str
    country: str | None
    date: dt.date
    applicants: tuple[tuple[str, str | None], ...]   # (normalised name, country)
    techs: frozenset[str]
    coinventors: frozenset[str]

    @property
    def applicant_keys(self) -> set[str]:
        return {a for a, _ in self.applicants}

    @property
    def home(self) -> bool:
        """Filed in Korea's name: a Korean applicant, or the inventor's Korean address."""
        return self.country == HOME or any(c == HOME for _, c in self.applicants)

    def evidence(self) -> dict:
        return {"doc_id": self.doc_id, "patent": self.number, "filed": self.date.isoformat(), "name": self.name,
                "inventor_country": self.country,
                "applicants": [{"name": a, "country": c} for a, c in self.applicants],
                "technologies": sorted(self.techs)}


def _mentions(documents: Iterable[Document], tagged: Iterable[TaggedDocument]) -> list[Mention]:
    tags = {t.doc_id: t for t in tagged}
    return list(_pair_mentions((d, tags.get(d.id)) for d in documents))


def _pair_mentions(pairs: Iterable[tuple[Document, TaggedDocument | None]],
                   keys: set[str] | None = None) -> Iterator[Mention]:
    """The inventor mentions of (document, tagging) pairs; with `keys`, only of those name keys."""
    for doc, tag in pairs:
        p = doc.patent
        if doc.kind != "patent" or p is None or not p.inventors:
            continue
        date = p.priority_date or p.application_date or p.publication_date or doc.published
        if date is None:
            continue
        names = [person_key(i.name) for i in p.inventors]
        if keys is not None and keys.isdisjoint(names):
            continue
        apps = tuple(sorted({(normalise_applicant(a.name), a.country) for a in p.applicants
                             if normalise_applicant(a.name)}, key=lambda a: (a[0], a[1] or "")))
        number = p.publication_number or p.application_number or doc.source_key
        techs = frozenset(s.id for s in tag.tagging.technologies) if tag is not None else frozenset()
        for inv, key in zip(p.inventors, names):
            if " " not in key or (keys is not None and key not in keys):  # a single token is not a name we can match on
                continue
            yield Mention(doc.id, number, inv.name, key, inv.country, date, apps, techs,
                          frozenset(k for k in names if k != key))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def disambiguate(mentions: list[Mention]) -> dict[str, list[list[Mention]]]:
    """Per name key, the persons: groups of mentions tied by a shared co-inventor or a shared applicant."""
    by_key: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_key[m.key].append(m)
    persons: dict[str, list[list[Mention]]] = {}
    for key, ms in by_key.items():
        ms = sorted(ms, key=lambda m: (m.date, m.doc_id))
        uf = _UnionFind(len(ms))
        for attr in ("coinventors", "applicant_keys"):
            first_with: dict[str, int] = {}
            for i, m in enumerate(ms):
                for v in getattr(m, attr):
                    if v in first_with:
                        uf.union(first_with[v], i)
                    else:
                        first_with[v] = i
        groups: dict[int, list[Mention]] = defaultdict(list)
        for i, m in enumerate(ms):
            groups[uf.find(i)].append(m)
        persons[key] = sorted(groups.values(), key=lambda g: (g[0].date, g[0].doc_id))
    return persons


# ---------------------------------------------------------------------------------------- moves


def _group_words(applicant_keys: set[str]) -> set[str]:
    """First words of applicant names: SAMSUNG ELECTRONICS and SAMSUNG SEMICONDUCTOR are one group."""
    return {a.split()[0] for a in applicant_keys if a}


def _is_foreign(m: Mention, home_groups: set[str]) -> bool:
    if not m.applicants or any(c == HOME or c is None for _, c in m.applicants):
        return False  # a Korean (or unplaced) applicant on the filing: not evidence of a move
    if m.country == HOME:
        return False  # a foreign company's Korean lab is not abroad
    return not (_group_words(m.applicant_keys) & home_groups)


@dataclass
class Move:
    key: str
    home: list[Mention]
    abroad: list[Mention]
    tie: str
    technologies: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        return self.abroad[0].date.strftime("%Y-%m")


def find_moves(documents: Iterable[Document], tagged: Iterable[TaggedDocument], min_prior: int = 2,
               overlap_days: int = 183, mentions: list[Mention] | None = None) -> list[Move]:
    """Persons with >= `min_prior` Korean filings, later a foreign strategic-technology filing tied by evidence."""
    mentions = _mentions(documents, tagged) if mentions is None else mentions
    moves = []
    for key, persons in sorted(disambiguate(mentions).items()):
        unique_in_data = len(persons) <= 2  # at most one Korean person and one foreign group carry this name
        home_persons = [g for g in persons if sum(m.home for m in g) >= min_prior]
        if not home_persons:
            continue
        for home_group in home_persons:
            home_ms = [m for m in home_group if m.home]
            home_apps = set().union(*(m.applicant_keys for m in home_ms))
            home_groups = _group_words(home_apps)
            home_techs = set().union(*(m.techs for m in home_ms))
            home_coinv = set().union(*(m.coinventors for m in home_ms))
            candidates = []
            for group in persons:
                for m in group:
                    if not m.techs or not _is_foreign(m, home_groups):
                        continue
                    if m.coinventors & home_coinv:
                        candidates.append((m, "shared co-inventor: " + ", ".join(sorted(m.coinventors & home_coinv))))
                    elif unique_in_data and len(persons) == (1 if group is home_group else 2) and (m.techs & home_techs):
                        candidates.append((m, "same full name, held by no other person in the stored data, in the same technology: "
                                              + ", ".join(sorted(m.techs & home_techs))))
            if not candidates:
                continue
            candidates.sort(key=lambda c: (c[0].date, c[0].doc_id))
            first = candidates[0][0].date
            if not candidates[0][1].startswith("shared co-inventor"):
                # tied by the name only: one person cannot go on filing at home long after leaving, so a
                # home filing more than `overlap_days` after the first foreign one means two people
                if any((m.date - first).days > overlap_days for m in home_ms):
                    continue
            prior = [m for m in home_ms if m.date < first]
            if len(prior) < min_prior:
                continue
            abroad = [m for m, _ in candidates]
            techs = sorted(set().union(*(m.techs for m in abroad)))
            moves.append(Move(key, prior, abroad, candidates[0][1], techs))
    return moves


def move_signal(move: Move) -> Signal:
    """One move as an `inventor_move` signal (worded and scored into an alert by `alerts.build`)."""
    series = SeriesKey.of_inventor(move.key).text
    first = move.abroad[0]
    home_apps = sorted({a for m in move.home for a, _ in m.applicants})
    foreign_apps = sorted({f"{a} ({c})" for m in move.abroad for a, c in m.applicants})
    countries = sorted({c for m in move.abroad for _, c in m.applicants if c} | {m.country for m in move.abroad
                                                                                   if m.country})
    # confidence grows with the Korean history, the foreign filings and the strength of the tie
    strength = 1.0 if move.tie.startswith("shared co-inventor") else 0.8
    score = round(min(1.0, strength * (1.0 - 0.5 ** (len(move.home) + len(move.abroad) - 1))), 4)
    facts = {"name": first.name, "inventor": move.key, "home_filings": len(move.home), "home_applicants": home_apps,
             "home_from": move.home[0].date.isoformat(), "home_to": move.home[-1].date.isoformat(),
             "first_foreign_filing": first.date.isoformat(), "foreign_filings": len(move.abroad),
             "technologies": move.technologies, "foreign_applicants": foreign_apps, "tie": move.tie}
    evidence = {"kind": DETECTOR, "inventor": move.key,
                "technology": move.technologies[0] if move.technologies else None,
                "field": move.technologies[0].split(".")[0] if move.technologies else None,
                "facet": series,
                "contributors": {"documents": [{"id": m.doc_id, "title": m.number, "url": None, "kind": "patent"}
                                               for m in move.abroad[:5]],
                                 "documents_total": len(move.abroad),
                                 "document_ids": sorted(m.doc_id for m in move.abroad),
                                 "top_applicants": [{"name": a, "documents": sum(1 for m in move.abroad
                                                                                 if a in m.applicant_keys)}
                                                    for a in sorted({a for m in move.abroad
                                                                     for a in m.applicant_keys})]},
                "names": sorted({m.name for m in move.home + move.abroad}),
                "technologies": move.technologies, "tie": move.tie, "countries": countries,
                "home_applicants": home_apps, "foreign_applicants": foreign_apps,
                "home_patents": [m.evidence() for m in move.home],
                "foreign_patents": [m.evidence() for m in move.abroad],
                "first_foreign_filing": first.date.isoformat()}
    return Signal(kind="inventor_move", detector=DETECTOR, series=series, period=move.period, direction="move",
                  observed=float(len(move.abroad)), expected=0.0, score=score,
                  method=f"{DETECTOR}(min_prior=2,tie=co-inventor|unique-name-in-data+technology)", facts=facts,
                  evidence=evidence)


def detect_inventor_moves(documents: Iterable[Document], tagged: Iterable[TaggedDocument],
                          min_prior: int = 2) -> list[Signal]:
    """Signals of inventors moving abroad (see the module doc), one per inventor and period, in key order."""
    return _signals(find_moves(list(documents), list(tagged), min_prior=min_prior))


def detect_inventor_moves_in(pairs: Callable[[], Iterable[tuple[Document, TaggedDocument]]],
                             min_prior: int = 2, spill_dir: Path | str | None = None) -> list[Signal]:
    """As `detect_inventor_moves`, on (document, tagging) pairs read once from `pairs()` (a store's stream).
    Persons are found per name key (`find_moves` never looks across keys), so the mentions are spilled to a
    temporary SQLite file in `spill_dir` and read back one key at a time, only the keys with at least
    `min_prior` Korean filings: memory holds one name's mentions, whatever the size of the store."""
    moves: list[Move] = []
    with _MentionSpill(spill_dir) as spill:
        spill.add(_pair_mentions(pairs()))
        for mentions in spill.keys_with_home(min_prior):
            moves += find_moves([], [], min_prior=min_prior, mentions=mentions)
    return _signals(moves)


class _MentionSpill:
    """Mentions on disk, read back grouped by name key (a file of this process's own pickles, never input)."""

    BATCH = 5000

    def __init__(self, directory: Path | str | None) -> None:
        if directory is not None:
            Path(directory).mkdir(parents=True, exist_ok=True)
        self._dir = tempfile.TemporaryDirectory(prefix="inventor-mentions-", dir=directory)
        self._db = sqlite3.connect(Path(self._dir.name) / "mentions.sqlite", isolation_level=None)
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("CREATE TABLE m (key TEXT NOT NULL, home INTEGER NOT NULL, body BLOB NOT NULL)")

    def add(self, mentions: Iterable[Mention]) -> None:
        rows = ((m.key, int(m.home), pickle.dumps(m, pickle.HIGHEST_PROTOCOL)) for m in mentions)
        self._db.execute("BEGIN")
        while chunk := list(islice(rows, self.BATCH)):
            self._db.executemany("INSERT INTO m VALUES (?,?,?)", chunk)
        self._db.execute("COMMIT")

    def keys_with_home(self, min_home: int) -> Iterator[list[Mention]]:
        """The mentions of each key with at least `min_home` Korean ones, one key at a time, in key order."""
        rows = self._db.execute(
            "SELECT key, body FROM m WHERE key IN (SELECT key FROM m GROUP BY key HAVING SUM(home) >= ?) "
            "ORDER BY key", (min_home,))
        for _key, group in groupby(rows, key=lambda r: r[0]):
            yield [pickle.loads(body) for _, body in group]

    def __enter__(self) -> _MentionSpill:
        return self

    def __exit__(self, *exc) -> None:
        self._db.close()
        self._dir.cleanup()


def _signals(moves: list[Move]) -> list[Signal]:
    signals = {(s.series, s.period): s for s in (move_signal(m) for m in moves)}
    return [signals[k] for k in sorted(signals)]

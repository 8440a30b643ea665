"""Patent-class concordance: which technologies a CPC/IPC symbol points to.

A taxonomy symbol with subgroup `00` covers its whole main group; any other
subgroup covers the subgroups whose digits start with it (H01M 10/052 covers
10/0525), the usual approximation of the CPC dot hierarchy. Legacy symbols of
earlier scheme editions match the same way, so documents classified before the
2023-2025 reforms still map.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ews.kernel.schema import normalize_cpc
from ews.kernel.taxonomy import Taxonomy


@dataclass(frozen=True)
class ClassMatch:
    technology: str
    pattern: str
    legacy: bool


class CpcConcordance:
    def __init__(self, taxonomy: Taxonomy):
        self.taxonomy = taxonomy
        # (subclass+group) -> [(subgroup prefix or "", tech, pattern, legacy)]
        self._index: dict[str, list[tuple[str, str, str, bool]]] = defaultdict(list)
        for t in taxonomy.technologies:
            for sym, legacy in [(s, False) for s in t.cpc] + [(s, True) for s in t.cpc_legacy]:
                head, sub = sym.split("/")
                self._index[head].append(("" if sub == "00" else sub, t.id, sym, legacy))

    def match(self, symbol: str) -> list[ClassMatch]:
        """Technologies a symbol points to; raises ValueError for a non-symbol."""
        head, sub = normalize_cpc(symbol).split("/")
        out = {}
        for prefix, tech, pattern, legacy in self._index.get(head, ()):
            if sub.startswith(prefix):
                # the most specific pattern per technology explains the match best
                if tech not in out or len(pattern) > len(out[tech].pattern):
                    out[tech] = ClassMatch(tech, pattern, legacy)
        return list(out.values())

    def technologies(self, symbols: list[str]) -> dict[str, list[str]]:
        """For a document's classes: technology -> the document's symbols that point to it.

        Symbols that are not valid CPC/IPC are ignored here; schemas reject them at the boundary.
        """
        out: dict[str, list[str]] = defaultdict(list)
        for s in symbols:
            try:
                matches = self.match(s)
            except ValueError:
                continue
            for m in matches:
                out[m.technology].append(normalize_cpc(s))
        return dict(out)

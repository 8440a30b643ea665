"""Near-duplicate documents: the same article syndicated across sources, found with shingled MinHash.

Text is normalised (case, punctuation, spacing), cut into shingles (word 3-grams; character 4-grams
for Chinese and Japanese, which do not space words), and summarised by a 128-value MinHash signature
banded 32 × 4 for LSH. Two documents published within `window_days` of each other whose estimated
Jaccard similarity reaches `threshold` *and whose facts agree* (every number of the shorter one —
dates, amounts, counts — appears in the other) are near-duplicates; the one stored first is the
original. Syndicated copies add bylines and boilerplate but keep the facts; templated press releases
of one ministry share most of their words but differ in exactly those numbers. Identical normalised
text (same content hash) is a duplicate at any length.
"""
from __future__ import annotations

import datetime as dt
import re
import zlib
from dataclasses import dataclass

import numpy as np

from crawlers.index import CrawlIndex
from ews.kernel.schema import Document

NUM_PERM = 128
BANDS = 32
ROWS = NUM_PERM // BANDS
_PRIME = np.uint64(4294967311)  # the first prime above 2**32
_rng = np.random.default_rng(20240201)
_A = _rng.integers(1, 2**31 - 1, size=NUM_PERM, dtype=np.uint64)
_B = _rng.integers(0, 2**31 - 1, size=NUM_PERM, dtype=np.uint64)
_WORD = re.compile(r"\w+", re.U)
MIN_SHINGLES = 25
MIN_EXACT_CHARS = 40
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def shingles(text: str) -> set[str]:
    words = _WORD.findall(text.casefold())
    if not words:
        return set()
    joined = "".join(words)
    if len(joined) / len(words) > 8:  # unspaced scripts (Chinese, Japanese): characters, not words
        return {joined[i:i + 4] for i in range(max(1, len(joined) - 3))}
    if len(words) < 3:
        return {" ".join(words)}
    return {" ".join(words[i:i + 3]) for i in range(len(words) - 2)}


def numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def facts_agree(a: set[str], b: set[str]) -> bool:
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    return small <= big


def signature(sh: set[str]) -> np.ndarray:
    x = np.fromiter((zlib.crc32(s.encode("utf-8")) for s in sh), dtype=np.uint64, count=len(sh))
    return ((np.outer(_A, x) + _B[:, None]) % _PRIME).min(axis=1)


def band_keys(sig: np.ndarray) -> list[str]:
    return [f"{b}:{zlib.crc32(sig[b * ROWS:(b + 1) * ROWS].tobytes()):08x}" for b in range(BANDS)]


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


@dataclass
class Verdict:
    original_id: str
    similarity: float


class NearDuplicateDetector:
    """Checks a document against the ones seen before and remembers it; idempotent per document id."""

    def __init__(self, index: CrawlIndex, threshold: float = 0.7, window_days: int = 14):
        self.index = index
        self.threshold = threshold
        self.window_days = window_days

    def _near(self, published: str | None, doc: Document) -> bool:
        if doc.published is None or not published:
            return True
        return abs((dt.date.fromisoformat(published) - doc.published).days) <= self.window_days

    def check(self, doc: Document) -> Verdict | None:
        """The original this document duplicates, or None (then it is remembered as a possible original)."""
        known = self.index.duplicate_of(doc.id)
        if known:
            return Verdict(known, 1.0)
        text = f"{doc.title}\n{doc.text}"
        sh = shingles(text)
        sig = signature(sh) if len(sh) >= MIN_SHINGLES else None
        nums = numbers(text)
        bands = band_keys(sig) if sig is not None else []
        best: Verdict | None = None
        if len(" ".join(text.split())) >= MIN_EXACT_CHARS:
            for other, published in self.index.same_hash(doc.content_hash, doc.id):
                if self._near(published, doc):
                    best = Verdict(other, 1.0)
                    break
        if best is None and sig is not None:
            for other, published, other_sig, other_nums in self.index.candidates(bands, doc.id, doc.published, self.window_days):
                if other_sig is None or not self._near(published, doc):
                    continue
                if not facts_agree(nums, set(other_nums.split())):
                    continue
                s = similarity(sig, np.frombuffer(other_sig, dtype=np.uint64))
                if s >= self.threshold and (best is None or s > best.similarity):
                    best = Verdict(other, s)
        if best is not None:
            self.index.add_duplicate(doc.id, doc.source, best.original_id, best.similarity, doc.url)
            return best
        self.index.add_fingerprint(doc.id, doc.source, doc.published, doc.content_hash,
                                   sig.tobytes() if sig is not None else None, bands, " ".join(sorted(nums)))
        return None

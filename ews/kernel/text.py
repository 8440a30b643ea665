"""Text helpers shared by the crawlers, the classifier, the emerging-term finder and the reports.

One home for the Hangul ranges and for the Korean morphological analyser
(kiwipiepy's `Kiwi`, heavy to load: built once per process, on first use).
"""
from __future__ import annotations

import re
from functools import lru_cache

# Precomposed Hangul syllables (가 … 힣): what Korean text is written in.
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
HANGUL_SYLLABLES = "\uac00-\ud7a3"  # as a regular-expression character-class range
HANGUL_RE = re.compile(f"[{HANGUL_SYLLABLES}]")
# Hangul jamo and compatibility jamo (ㄱ, ㅏ …): Hangul too, but not syllables.
HANGUL_JAMO = ((0x1100, 0x11FF), (0x3130, 0x318F))


def is_hangul_syllable(ch: str) -> bool:
    return HANGUL_FIRST <= ord(ch) <= HANGUL_LAST


def is_hangul(ch: str) -> bool:
    """A Hangul syllable or jamo."""
    o = ord(ch)
    return HANGUL_FIRST <= o <= HANGUL_LAST or any(lo <= o <= hi for lo, hi in HANGUL_JAMO)


def has_hangul(text: str) -> bool:
    return HANGUL_RE.search(text) is not None


@lru_cache(maxsize=1)
def kiwi():
    """The process's one kiwipiepy analyser."""
    from kiwipiepy import Kiwi

    return Kiwi()

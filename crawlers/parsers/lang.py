"""Language detection without dependencies: the script a text is written in, then function words.

Hangul → ko; Kana (with or without Han) → ja; Han only → zh; Cyrillic → ru; Latin → the language
whose function words are most frequent (en, de, fr, es, it, pt, nl), or None when undecided. Good
enough for routing documents (Korean, Japanese, Chinese and English government and think-tank
pages); it does not tell Korean pages with many Hanja from Chinese unless Hangul is there at all.
"""
from __future__ import annotations

import re
from collections import Counter

from ews.kernel.text import is_hangul

MIN_LETTERS = 12  # below this a text says too little about its language

_STOPWORDS = {
    "en": {"the", "of", "and", "to", "in", "is", "for", "that", "on", "with", "by", "as", "are", "be", "this",
           "from", "at", "an", "it", "or", "was", "will", "has", "have", "which", "its", "their"},
    "de": {"der", "die", "und", "das", "den", "von", "zu", "mit", "ist", "im", "des", "für", "nicht", "ein",
           "eine", "auf", "dem", "sich", "auch", "wird"},
    "fr": {"le", "la", "les", "de", "des", "et", "du", "en", "un", "une", "est", "pour", "que", "dans", "qui",
           "au", "sur", "par", "pas", "aux"},
    "es": {"el", "la", "de", "que", "y", "en", "los", "las", "del", "se", "por", "un", "una", "con", "para",
           "es", "al", "como", "su", "más"},
    "it": {"il", "di", "che", "e", "la", "per", "un", "una", "del", "della", "è", "sono", "con", "non", "gli",
           "le", "nel", "alla", "dei", "delle"},
    "pt": {"o", "a", "de", "que", "e", "do", "da", "em", "um", "uma", "para", "com", "não", "os", "as", "dos",
           "das", "no", "na", "é"},
    "nl": {"de", "het", "een", "van", "en", "in", "is", "dat", "op", "te", "zijn", "voor", "met", "niet", "aan",
           "er", "ook", "door", "wordt", "bij"},
}
_WORD = re.compile(r"[^\W\d_]+", re.U)


def script_counts(text: str) -> Counter:
    c: Counter = Counter()
    for ch in text:
        o = ord(ch)
        if is_hangul(ch):
            c["hangul"] += 1
        elif 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9D:
            c["kana"] += 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            c["han"] += 1
        elif 0x0400 <= o <= 0x04FF:
            c["cyrillic"] += 1
        elif ch.isalpha() and o < 0x0250:
            c["latin"] += 1
    return c


def detect_language(text: str, default: str | None = None) -> str | None:
    """ISO 639-1 code of the text's language, or `default` when the text is too short or undecided."""
    if not text:
        return default
    sample = text[:4000]  # the script mix of the opening is the language of the page
    c = script_counts(sample)
    cjk = c["hangul"] + c["kana"] + c["han"]
    letters = cjk + c["latin"] + c["cyrillic"]
    if letters < MIN_LETTERS:
        return default
    # One CJK character carries about as much as a Latin word: weigh them up against Latin letters.
    if cjk * 4 >= c["latin"] + c["cyrillic"] and cjk >= 4:
        if c["hangul"] >= 0.2 * cjk:
            return "ko"
        if c["kana"] >= 0.05 * cjk:
            return "ja"
        return "zh"
    if c["cyrillic"] > c["latin"]:
        return "ru"
    return _latin_language(sample, default)


def _latin_language(text: str, default: str | None) -> str | None:
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    if len(words) < 3:
        return default if default else None
    scores = {lang: sum(w in sw for w in words) for lang, sw in _STOPWORDS.items()}
    best = max(scores, key=lambda k: (scores[k], k == "en"))
    if scores[best] == 0:
        # Titles and keyword lists often have no function words: keep a Latin-script source language.
        return default if default in _STOPWORDS else "en"
    if default in scores and scores[default] >= 0.8 * scores[best]:
        return default
    return best

"""Summaries of issues and briefing sections: key sentences in Korean and English.

    from analysis.summarise import get_summariser
    lines = get_summariser().summarise(texts, lang="ko", n=3)

The default, `ExtractiveSummariser`, runs offline: sentences (split after
., ! or ? and a space, which also ends Korean '…다.' sentences) are weighted by
TF-IDF over the project's terms (`models.emerging`: kiwipiepy nouns for
Korean, stop-word-free n-grams for English) and the ones closest to the
centroid of all sentences are kept, in their original order, near-duplicates
dropped.

`ChatSummariser` asks an OpenAI-compatible chat-completions endpoint instead.
It is off by default and sends nothing unless `EWS_SUMMARY_URL` is set (for
example http://127.0.0.1:8000/v1), with `EWS_SUMMARY_MODEL` and optionally
`EWS_SUMMARY_API_KEY`; if the endpoint fails, the extractive summary is used
and the failure is kept in `last_error`.
"""
from __future__ import annotations

import json
import os
import re
import urllib.request
from typing import Protocol

from ews.kernel.text import has_hangul
from models.emerging import english_terms, korean_terms

_SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")
MAX_SENTENCES = 400
MAX_CHARS = 400


class Summariser(Protocol):
    def summarise(self, texts: list[str], lang: str, n: int = 3) -> list[str]: ...


def sentences(texts: list[str], lang: str) -> list[str]:
    """The texts' sentences in one language: Korean ones contain Hangul, English ones do not."""
    out, seen = [], set()
    for text in texts:
        for s in _SENTENCE_END.split(text or ""):
            s = " ".join(s.split())
            if len(s) < 15 or len(s) > MAX_CHARS or s in seen:
                continue
            if has_hangul(s) != (lang == "ko"):
                continue
            seen.add(s)
            out.append(s)
            if len(out) >= MAX_SENTENCES:
                return out
    return out


def _terms(sentence: str) -> list[str]:
    return sorted(korean_terms(sentence) | english_terms(sentence) if has_hangul(sentence) else english_terms(sentence))


class ExtractiveSummariser:
    def summarise(self, texts: list[str], lang: str, n: int = 3) -> list[str]:
        sents = sentences(texts, lang)
        if len(sents) <= n:
            return sents
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        try:
            x = TfidfVectorizer(analyzer=lambda s: _terms(s), sublinear_tf=True).fit_transform(sents)
        except ValueError:  # no terms at all: the first sentences are as good as any
            return sents[:n]
        centroid = np.asarray(x.mean(axis=0)).ravel()
        scores = x @ centroid
        order = np.argsort(-scores, kind="stable")
        chosen: list[int] = []
        for i in order:
            if any(float(x[i].multiply(x[j]).sum()) > 0.8 for j in chosen):  # rows are L2-normalised: cosine
                continue
            chosen.append(int(i))
            if len(chosen) == n:
                break
        return [sents[i] for i in sorted(chosen)]


class ChatSummariser:
    """An OpenAI-compatible endpoint; only built when EWS_SUMMARY_URL is set."""

    def __init__(self, url: str, model: str, api_key: str | None = None, timeout: float = 60.0):
        self.url = url.rstrip("/") + "/chat/completions"
        self.model, self.api_key, self.timeout = model, api_key, timeout
        self.fallback = ExtractiveSummariser()
        self.last_error: str | None = None

    def summarise(self, texts: list[str], lang: str, n: int = 3) -> list[str]:
        sents = sentences(texts, lang)
        if not sents:
            return []
        language = "Korean" if lang == "ko" else "English"
        prompt = (f"Summarise the following {language} sentences in at most {n} short {language} sentences, "
                  f"one per line, without adding facts:\n\n" + "\n".join(sents[:100]))
        body = json.dumps({"model": self.model, "messages": [{"role": "user", "content": prompt}],
                           "temperature": 0}).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        try:
            req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - a configured URL
                answer = json.loads(resp.read().decode("utf-8"))
            text = answer["choices"][0]["message"]["content"]
        except Exception as e:  # any failure of an optional backend falls back to the offline summary
            self.last_error = f"{type(e).__name__}: {e}"
            return self.fallback.summarise(texts, lang, n)
        return [line.strip(" -•\t") for line in text.splitlines() if line.strip()][:n]


def get_summariser(env: dict | None = None) -> Summariser:
    env = os.environ if env is None else env
    url = env.get("EWS_SUMMARY_URL")
    if url:
        return ChatSummariser(url, env.get("EWS_SUMMARY_MODEL", "default"), env.get("EWS_SUMMARY_API_KEY"))
    return ExtractiveSummariser()


def summarise_issues(issues, documents, n: int = 2, summariser: Summariser | None = None) -> None:
    """Fill each issue's `summary` ({'ko': [...], 'en': [...]}) from its documents' titles and texts."""
    summariser = summariser or get_summariser()
    by_id = {d.id: d for d in documents}
    for issue in issues:
        texts = [f"{by_id[i].title}.\n{by_id[i].text}" for i in issue.documents[:50] if i in by_id]
        issue.summary = {lang: summariser.summarise(texts, lang, n) for lang in ("ko", "en")}

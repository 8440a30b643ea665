"""Applicant name normalisation: one key for the many spellings of one company.

SAMSUNG ELECTRONICS CO LTD, Samsung Electronics Co., Ltd. and 삼성전자 주식회사
are one applicant. The key is built by (1) Unicode NFKC folding and upper-casing,
(2) mapping known native-script names to their English names (a small curated
table: there is no way to transliterate 삼성전자 into SAMSUNG ELECTRONICS), (3)
dropping punctuation and legal-form words (CO LTD, INC, GMBH, 주식회사 …), which
carry no identity. The spellings merged under each key are kept as evidence.
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

# Native-script names of frequent strategic-technology applicants → the English name they file under.
KNOWN_ALIASES: dict[str, str] = {
    "삼성전자": "SAMSUNG ELECTRONICS",
    "삼성에스디아이": "SAMSUNG SDI",
    "삼성SDI": "SAMSUNG SDI",
    "삼성디스플레이": "SAMSUNG DISPLAY",
    "삼성전기": "SAMSUNG ELECTRO MECHANICS",
    "에스케이하이닉스": "SK HYNIX",
    "SK하이닉스": "SK HYNIX",
    "엘지전자": "LG ELECTRONICS",
    "LG전자": "LG ELECTRONICS",
    "엘지에너지솔루션": "LG ENERGY SOLUTION",
    "LG에너지솔루션": "LG ENERGY SOLUTION",
    "엘지디스플레이": "LG DISPLAY",
    "LG디스플레이": "LG DISPLAY",
    "엘지화학": "LG CHEM",
    "LG화학": "LG CHEM",
    "현대자동차": "HYUNDAI MOTOR",
    "기아": "KIA",
    "에스케이온": "SK ON",
    "SK온": "SK ON",
    "한국전자통신연구원": "ELECTRONICS AND TELECOMMUNICATIONS RESEARCH INSTITUTE",
    "한국과학기술원": "KOREA ADVANCED INSTITUTE OF SCIENCE AND TECHNOLOGY",
    "华为技术有限公司": "HUAWEI TECHNOLOGIES",
    "京东方科技集团股份有限公司": "BOE TECHNOLOGY GROUP",
    "宁德时代新能源科技股份有限公司": "CONTEMPORARY AMPEREX TECHNOLOGY",
    "深圳市大疆创新科技有限公司": "SZ DJI TECHNOLOGY",
}

# Legal-form words: carry no identity, dropped at the end of a name (and a few at its start).
_TRAILING_FORMS = {
    ("KABUSHIKI", "KAISHA"), ("CO", "LTD"), ("CO", "LIMITED"), ("COMPANY", "LIMITED"), ("COMPANY", "LTD"),
    ("CORPORATION",), ("INCORPORATED",), ("LIMITED",), ("COMPANY",), ("CORP",), ("INC",), ("LTD",), ("LLC",),
    ("PLC",), ("GMBH",), ("AG",), ("SA",), ("SAS",), ("BV",), ("NV",), ("KK",), ("OY",), ("SPA",), ("SRL",),
    ("PTY",), ("CO",), ("주식회사",), ("유한회사",),
}
_LEADING_FORMS = {("KABUSHIKI", "KAISHA"), ("주식회사",), ("유한회사",)}
_PUNCT_RE = re.compile(r"[^\w\s]|_")
_ALIAS_BY_KEY = {re.sub(r"\s+", "", unicodedata.normalize("NFKC", k).upper()): v for k, v in KNOWN_ALIASES.items()}


def _strip_forms(tokens: list[str]) -> list[str]:
    changed = True
    while changed and len(tokens) > 1:
        changed = False
        for form in sorted(_TRAILING_FORMS, key=len, reverse=True):
            if len(tokens) > len(form) and tuple(tokens[-len(form):]) == form:
                tokens = tokens[:-len(form)]
                changed = True
                break
        for form in _LEADING_FORMS:
            if len(tokens) > len(form) and tuple(tokens[:len(form)]) == form:
                tokens = tokens[len(form):]
                changed = True
                break
    return tokens


def normalise_applicant(name: str) -> str:
    """The merge key of an applicant name: upper-case words without punctuation and legal forms."""
    s = unicodedata.normalize("NFKC", name).upper().strip()
    s = s.replace("(주)", " 주식회사 ").replace("㈜", " 주식회사 ").replace("&", " AND ")
    s = _PUNCT_RE.sub(" ", s)
    tokens = _strip_forms(s.split())
    # native-script names map to the English name through the curated table (exact match only:
    # 삼성전자서비스 is another company than 삼성전자)
    alias = _ALIAS_BY_KEY.get("".join(tokens))
    if alias:
        return alias
    return " ".join(tokens)


@dataclass
class ApplicantRegistry:
    """Merges applicant spellings under their key and keeps every spelling seen as evidence."""

    variants: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def resolve(self, name: str) -> str:
        key = normalise_applicant(name) or name.strip().upper()
        self.variants[key].add(name.strip())
        return key

    def evidence(self, key: str) -> list[str]:
        """The spellings merged under a key, sorted."""
        return sorted(self.variants.get(key, ()))

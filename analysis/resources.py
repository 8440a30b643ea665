"""The data files of stage 2 (analysis/data/*.yaml): weights, term lists and the plan's technology-level table."""
from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib import resources

from ews.kernel.yamldata import yaml_mapping


class ResourceError(ValueError):
    pass


@cache
def load_data(name: str) -> dict:
    try:
        text = resources.files("analysis").joinpath("data", name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResourceError(f"analysis/data/{name}: missing from the installed package") from None
    return yaml_mapping(text, f"analysis/data/{name}", ResourceError)


@lru_cache(maxsize=1)
def security_patterns() -> dict[str, re.Pattern]:
    """Per group of security_terms.yaml, one case-insensitive pattern over its English and Korean terms."""
    groups = load_data("security_terms.yaml")["groups"]
    out = {}
    for name, langs in groups.items():
        en = [rf"\b{re.escape(t)}s?\b" for t in sorted(langs.get("en", []), key=len, reverse=True)]
        ko = [re.escape(t) for t in sorted(langs.get("ko", []), key=len, reverse=True)]
        out[name] = re.compile("|".join(en + ko), re.IGNORECASE)
    return out


def security_weight(groups: list[str]) -> float:
    """The largest weight (security_terms.yaml) of the groups a text names; 0 for none."""
    weights = load_data("security_terms.yaml").get("weights") or {}
    return max((float(weights.get(g, 1.0)) for g in groups), default=0.0)


def security_groups(text: str) -> list[str]:
    """The security-term groups a text names (export_controls, sanctions, …), in file order."""
    return [name for name, pat in security_patterns().items() if pat.search(text)]

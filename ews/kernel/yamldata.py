"""YAML data files (taxonomy, source registry, stage-2 data): parsed safely, a mapping at the top, errors naming the file."""
from __future__ import annotations

import yaml


def yaml_mapping(text: str, where: str, error: type[Exception] = ValueError) -> dict:
    """The mapping `text` holds; `error` names `where` when it is not valid YAML or not a mapping."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise error(f"{where}: not valid YAML: {e}") from None
    if not isinstance(data, dict):
        raise error(f"{where}: expected a mapping at the top level, got {type(data).__name__}")
    return data

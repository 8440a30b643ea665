"""Per-field detector sensitivity: a data file each field committee edits (`sensitivity.yaml`).

A sensitivity is a factor on the false-alarm rate: every detector's alpha is
multiplied by it (`rescaled`). 1 is the default operating point, the one the
backtest's cross-validation chose; the named levels are low 0.5, default 1, high 2.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from scipy import stats

from ews.kernel.series import SeriesKey

DEFAULT_FILE = Path(__file__).with_name("sensitivity.yaml")
LEVELS = {"low": 0.5, "default": 1.0, "high": 2.0}
LIMITS = (0.1, 10.0)


class SensitivityError(ValueError):
    pass


@dataclass(frozen=True)
class Sensitivity:
    default: float = 1.0
    fields: dict[str, float] = field(default_factory=dict)

    def for_series(self, key: str) -> float:
        f = field_of(key)
        return self.fields.get(f, self.default) if f else self.default


def field_of(key: str) -> str | None:
    """The field of a series key: `tech:semi.memory|…` and `field:semi|…` give 'semi'; a CSV key 'semi.memory|X' too."""
    return SeriesKey.read(str(key)).field


def _level(value, where: str) -> float:
    if isinstance(value, str) and value.strip().lower() in LEVELS:
        return LEVELS[value.strip().lower()]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if LIMITS[0] <= float(value) <= LIMITS[1]:
            return float(value)
        raise SensitivityError(f"{where}: sensitivity {value} is outside {LIMITS[0]:g}..{LIMITS[1]:g}")
    raise SensitivityError(f"{where}: sensitivity {value!r} is none of low, default, high or a number")


def load_sensitivity(path: Path | None = None, known_fields: set[str] | None = None) -> Sensitivity:
    """Read and check the file; errors name file:line and the problem."""
    path = Path(path or DEFAULT_FILE)
    try:
        text = path.read_text(encoding="utf-8")
        root = yaml.compose(text)
    except (OSError, UnicodeDecodeError) as e:
        raise SensitivityError(f"{path}: cannot read: {e}") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SensitivityError(f"{path}{line}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if root is None:
        return Sensitivity()
    if not isinstance(root, yaml.MappingNode):
        raise SensitivityError(f"{path}:{root.start_mark.line + 1}: expected a mapping with 'default' and 'fields'")
    default, fields = 1.0, {}
    for k, v in root.value:
        where = f"{path}:{k.start_mark.line + 1}"
        if k.value == "default":
            default = _level(yaml.safe_load(yaml.serialize(v)), where)
        elif k.value == "fields":
            if not isinstance(v, yaml.MappingNode):
                raise SensitivityError(f"{where}: 'fields' must map field ids to levels")
            for fk, fv in v.value:
                fwhere = f"{path}:{fk.start_mark.line + 1}"
                if known_fields is not None and fk.value not in known_fields:
                    raise SensitivityError(f"{fwhere}: unknown field {fk.value!r}")
                fields[fk.value] = _level(yaml.safe_load(yaml.serialize(fv)), fwhere)
        else:
            raise SensitivityError(f"{where}: unknown key {k.value!r} (expected 'default' and 'fields')")
    return Sensitivity(default, fields)


_ALPHA_IN_NAME = re.compile(r"alpha=([0-9.eE+-]+)")


def rescaled(detector, factor: float):
    """A copy of `detector` whose every alpha (its parts' too) is multiplied by `factor`."""
    if factor == 1.0:
        return detector
    det = copy.deepcopy(detector)
    seen: set[int] = set()

    def walk(obj) -> None:
        if id(obj) in seen or obj is None or isinstance(obj, (str, int, float, bool, tuple, list, dict)):
            return
        seen.add(id(obj))
        if hasattr(obj, "alpha") and isinstance(obj.alpha, float):
            obj.alpha = min(0.5, obj.alpha * factor)
            if hasattr(obj, "z"):
                obj.z = float(stats.norm.ppf(1.0 - obj.alpha))
        for part in vars(obj).values() if hasattr(obj, "__dict__") else ():
            if hasattr(part, "detect") or hasattr(part, "baseline"):
                walk(part)
        if isinstance(getattr(obj, "name", None), str):
            obj.name = _ALPHA_IN_NAME.sub(lambda m: f"alpha={min(0.5, float(m.group(1)) * factor):g}", obj.name)

    walk(det)
    return det

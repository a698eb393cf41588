"""Table formats: the switches of MODEL.md section 4, and named presets.

A format is just the values of the ``table.*`` parameters; presets are YAML files in
``scenarios/formats/`` so that a scenario or experiment can name one and a user can
read (and copy) it. Applying a preset goes through the same parameter check as any
other value.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sim.errors import shown
from sim.params import PARAMETERS, ParameterError, check
from sim.yamlsafe import load_yaml

FORMATS_DIR = Path(__file__).resolve().parent.parent / "scenarios" / "formats"


@lru_cache(maxsize=None)
def _load(name: str) -> tuple[str, dict]:
    path = FORMATS_DIR / f"{name}.yaml"
    if name not in preset_names():  # not a path: '../x' or a 300-character name must not reach the file system
        from sim.params import nearest
        hint = nearest(name, preset_names()) if len(name) <= 200 else None
        raise ParameterError("table format", shown(name, 80) if len(name) > 80 else name,
                             "unknown preset" + (f"; did you mean '{hint}'?" if hint else "")
                             + "; known: " + ", ".join(preset_names()))
    data = load_yaml(path, "format preset")
    if not isinstance(data, dict) or not isinstance(data.get("switches", {}), dict):
        raise ParameterError(str(path), "switches", "a preset is a mapping with 'description' and 'switches'")
    switches = {f"table.{k}": check(f"table.{k}", v, str(path)) for k, v in (data.get("switches") or {}).items()}
    return str(data.get("description", "")), switches


def preset_names() -> list[str]:
    return sorted(p.stem for p in FORMATS_DIR.glob("*.yaml"))


def preset(name: str) -> dict:
    """The ``table.*`` values of a named preset."""
    if not isinstance(name, str):
        raise ParameterError("table format", "table.format",
                             f"got {shown(name)}; allowed: one of {', '.join(preset_names())}")
    return dict(_load(name)[1])


def describe(name: str) -> str:
    return _load(name)[0]


def switches_of(values: dict) -> dict:
    """The format part of a full parameter set, without the ``table.`` prefix."""
    return {k[len("table."):]: v for k, v in values.items() if k.startswith("table.") and k in PARAMETERS}

"""Page controls generated from the one parameter declaration, and the design's URL query.

Every declared parameter (``sim.params.PARAMETERS``) gets a control of its kind: a switch
for a yes/no, a dropdown for a choice, checkboxes for a set, a number field bounded by the
declared range for a number. Its label carries the meaning, unit, bounds and source as a
tooltip. A new parameter therefore shows up in the page without touching this code.

The table switches (``table.*``) and the escalation rules (``escalation.*``) are set per
design (A and B); every other parameter describes the world both designs face and is set
once for both.

A browser's number field hands the server ``None`` when what was typed is not a number or
lies outside the field's ``min``/``max``, so an out-of-bounds value never reaches a run:
:func:`read_controls` turns it into a problem that names the parameter and its range.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from dash import dcc, html

from sim import formats
from sim.errors import InputError
from sim.params import PARAMETERS, Param, check

DESIGNS = ("A", "B")
SHARED = "shared"
DESIGN_GROUPS = ("table", "escalation")  # what differs between designs A and B
REPLICATIONS = (1, 50)   # replications per design the page allows
SEEDS = (0, 2**31 - 1)   # base seed


def is_design_param(name: str) -> bool:
    return name.split(".", 1)[0] in DESIGN_GROUPS


def control_id(design: str, name: str) -> dict:
    return {"type": "param", "design": design, "name": name}


def to_control(p: Param, value: Any) -> Any:
    """A parameter value as its control holds it."""
    if p.kind is bool:
        return [True] if value else []
    if p.kind is frozenset:
        return sorted(value)
    return value


def from_control(p: Param, raw: Any, where: str) -> Any:
    """A control's value as the parameter's value; InputError when it is missing or out of bounds."""
    if p.kind is bool:
        return bool(raw)
    if p.kind in (int, float) and raw is None:
        # the browser sends nothing for an empty field and for a number outside the field's bounds
        raise InputError(where, p.name, f"enter a number within the allowed range: {p.allowed()}")
    return check(p.name, raw, where)


def tooltip(p: Param) -> str:
    lines = [p.name, p.meaning]
    if p.unit:
        lines.append(f"unit: {p.unit}")
    lines.append(f"allowed: {p.allowed()}")
    lines.append(f"source: {p.source or 'model assumption'}")
    return "\n".join(lines)


def control(p: Param, design: str, value: Any) -> html.Div:
    """One labelled control; its bounds come from the declaration."""
    cid = control_id(design, p.name)
    if p.kind is bool:
        widget = dcc.Checklist(id=cid, options=[{"label": "", "value": True}], value=to_control(p, value),
                               className="switch")
    elif p.kind is frozenset:
        widget = dcc.Checklist(id=cid, options=list(p.choices), value=to_control(p, value), inline=True)
    elif p.choices:
        widget = dcc.Dropdown(id=cid, options=list(p.choices), value=value, clearable=False, searchable=False)
    else:
        widget = dcc.Input(id=cid, type="number", value=value, min=p.low, max=p.high,
                           step=1 if p.kind is int else "any", debounce=True, required=True)
    label = p.name.split(".", 1)[1].replace("_", " ")
    row = {"id": row_id(design, p.name)} if p.requires else {}   # marked while its switch is off (``switched``)
    return html.Div([
        html.Label(label, className="param-label"),
        html.Div(widget, className="param-widget"),
        html.Span(p.unit, className="param-unit"),
    ], className="param", title=tooltip(p), **row)


def row_id(design: str, name: str) -> dict:
    return {"type": "param-row", "design": design, "name": name}


def switched(p: Param, switch_on: bool) -> tuple[str, str]:
    """The class and tooltip of the row of a parameter that acts only while its switch is on
    (``Param.requires``): dimmed, and saying why, while the switch is off."""
    if switch_on:
        return "param", tooltip(p)
    return "param inactive", f"{tooltip(p)}\nno effect in this design now: {p.requires} is off"


def groups(design_params: bool) -> dict[str, list[Param]]:
    """Declared parameters by group (the part before the dot), design or shared ones."""
    out: dict[str, list[Param]] = {}
    for p in PARAMETERS.values():
        if is_design_param(p.name) == design_params:
            out.setdefault(p.name.split(".", 1)[0], []).append(p)
    return out


def baseline(scenario, presets: dict[str, str]) -> dict[str, dict]:
    """Full parameter values of each design: the scenario's, with the design's preset on top."""
    return {d: scenario.parameter_values({"table.format": presets[d]}, where=f"design {d}") for d in DESIGNS}


def control_values(base: dict[str, dict], overrides: dict[str, dict] | None = None) -> dict[tuple, Any]:
    """(design, name) -> control value, for every control on the page."""
    overrides = overrides or {}
    out = {}
    for name, p in PARAMETERS.items():
        if is_design_param(name):
            for d in DESIGNS:
                out[(d, name)] = to_control(p, {**base[d], **overrides.get(d, {})}[name])
        else:
            out[(SHARED, name)] = to_control(p, {**base["A"], **overrides.get(SHARED, {})}[name])
    return out


def read_controls(ids: list[dict], raws: list[Any]) -> tuple[dict[str, dict], list[str]]:
    """Controls -> each design's full parameter values, and every problem found (as messages)."""
    shared: dict[str, Any] = {}
    designs: dict[str, dict] = {d: {} for d in DESIGNS}
    problems: list[str] = []
    for cid, raw in zip(ids, raws):
        d, name = cid["design"], cid["name"]
        try:
            value = from_control(PARAMETERS[name], raw, "both designs" if d == SHARED else f"design {d}")
        except InputError as e:
            problems.append(str(e))
            continue
        (shared if d == SHARED else designs[d])[name] = value
    return {d: {**shared, **v} for d, v in designs.items()}, problems


# --- the design as a URL query --------------------------------------------------------------

def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (frozenset, set, list, tuple)):
        return ",".join(sorted(value))
    return str(value)


def to_query(scenario: str, replications: int, seed: int, presets: dict[str, str],
             designs: dict[str, dict], base: dict[str, dict]) -> str:
    """``?scenario=...``: what differs from the scenario and the presets, so the link stays short."""
    items = [("scenario", scenario), ("replications", replications), ("seed", seed)]
    items += [(f"{d}.format", presets[d]) for d in DESIGNS]
    for name in PARAMETERS:
        if is_design_param(name):
            items += [(f"{d}.{name}", _text(designs[d][name])) for d in DESIGNS
                      if designs[d][name] != base[d][name]]
        elif designs["A"][name] != base["A"][name]:
            items.append((name, _text(designs["A"][name])))
    return "?" + urlencode(items)


def from_query(search: str | None) -> tuple[dict, list[str]]:
    """Parse a design link; bad items are dropped and reported, never applied.

    Returns ``{"scenario", "replications", "seed", "presets": {A, B}, "overrides": {A, B, shared}}``
    (missing keys absent) and the problems.
    """
    out: dict = {"presets": {}, "overrides": {d: {} for d in (*DESIGNS, SHARED)}}
    problems: list[str] = []
    for key, value in parse_qsl((search or "").lstrip("?")):
        try:
            if key == "scenario":
                out["scenario"] = value
            elif key in ("replications", "seed"):
                limits = REPLICATIONS if key == "replications" else SEEDS
                number = int(value)
                if not limits[0] <= number <= limits[1]:
                    raise ValueError
                out[key] = number
            elif key.endswith(".format") and key[:-len(".format")] in DESIGNS:
                if value not in formats.preset_names():
                    raise InputError("link", key, f"unknown preset {value!r}; known: "
                                     + ", ".join(formats.preset_names()))
                out["presets"][key[0]] = value
            elif key[:2] in ("A.", "B.") and is_design_param(key[2:]):
                out["overrides"][key[0]][key[2:]] = check(key[2:], value, "link")
            elif key in PARAMETERS and not is_design_param(key):
                out["overrides"][SHARED][key] = check(key, value, "link")
            else:
                raise InputError("link", key, "not a setting of this page")
        except InputError as e:
            problems.append(str(e))
        except ValueError:
            low, high = REPLICATIONS if key == "replications" else SEEDS
            problems.append(f"link: {key}: got {value!r}; allowed: an integer in [{low}, {high}]")
    return out, problems


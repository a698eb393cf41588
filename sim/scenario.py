"""Scenarios: who is where, which table format, and parameter values, read from YAML.

A scenario file is validated in full before anything runs: every problem (unknown key,
wrong type, value out of bounds, unknown preset) is collected and reported together,
each naming the file, the field and what is allowed.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim import formats
from sim.errors import InputError
from sim.params import PARAMETERS, ParameterError, check, flatten

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "scenarios"
PROVINCES = ("Groningen", "Friesland", "Drenthe", "Overijssel", "Flevoland", "Gelderland", "Utrecht",
             "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg")
LANDSDEEL = {"Groningen": "Noord", "Friesland": "Noord", "Drenthe": "Noord",
             "Utrecht": "Oost", "Gelderland": "Oost", "Overijssel": "Oost",
             "Noord-Holland": "Noordwest", "Flevoland": "Noordwest",
             "Zuid-Holland": "Zuidwest", "Zeeland": "Zuidwest",
             "Noord-Brabant": "Zuid", "Limburg": "Zuid"}


class ScenarioError(InputError):
    """All that is wrong with one scenario file (``problems``: (field, message) pairs)."""

    def __init__(self, where: str, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__(where, problems[0][0] if problems else "", problems[0][1] if problems else "")
        self.args = ("\n".join(f"{where}: {field}: {msg}" for field, msg in problems),)

    def __str__(self) -> str:
        return self.args[0]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MunicipalitySpec(_Strict):
    name: str = Field(min_length=1)
    province: Literal[PROVINCES]  # type: ignore[valid-type]
    region: str = Field(min_length=1, description="woondeal region")
    population: int = Field(gt=0, le=2_000_000, description="inhabitants")
    pressure: float = Field(1.0, ge=0.0, le=1.0, description="market pressure, 0..1")
    land_price_factor: float = Field(1.0, ge=0.1, le=5.0, description="local land prices relative to the scenario's")
    rent_factor: float = Field(1.0, ge=0.3, le=3.0, description="local market rent relative to the scenario's")
    alderman_initiative: float | None = Field(None, ge=0.0, le=1.0)
    vision_strength: float | None = Field(None, ge=0.0, le=1.0)
    financial_expertise: float | None = Field(None, ge=0.0, le=1.0)
    source: str = ""

    @property
    def landsdeel(self) -> str:
        return LANDSDEEL[self.province]


class MunicipalityFile(_Strict):
    """Municipalities read from a CSV table committed in the repo (see scenarios/data/README.md)."""

    path: str
    provinces: list[Literal[PROVINCES]] | None = None  # type: ignore[valid-type]
    regions: list[str] | None = None
    names: list[str] | None = None
    pressure: float = Field(0.6, ge=0.0, le=1.0)
    pressure_by_province: dict[str, float] = Field(default_factory=dict)


class Actors(_Strict):
    investors: int = Field(6, ge=0, le=500)
    developers: int = Field(6, ge=1, le=2_000)
    corporations: int = Field(0, ge=0, le=500, description="0: one per municipality")


class Scenario(_Strict):
    name: str = Field(min_length=1)
    description: str = ""
    source: str = ""
    table_format: str = "samenwerkingstafel-middenhuur"
    municipalities: list[MunicipalitySpec] = Field(default_factory=list)
    municipalities_file: MunicipalityFile | None = None
    actors: Actors = Field(default_factory=Actors)
    parameters: dict[str, Any] = Field(default_factory=dict)
    citations: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_municipalities(self):
        if not self.municipalities and self.municipalities_file is None:
            raise ValueError("a scenario needs 'municipalities' or 'municipalities_file'")
        names = [m.name for m in self.municipalities]
        if len(set(names)) != len(names):
            raise ValueError("municipality names must be unique")
        return self

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]

    def size(self) -> dict[str, int]:
        """Municipalities and agents (tenant organisations come one per corporation)."""
        n = len(self.all_municipalities())
        corps = self.actors.corporations or n
        return {"municipalities": n, "agents": n + self.actors.investors + self.actors.developers + 2 * corps}

    def all_municipalities(self) -> list[MunicipalitySpec]:
        out = list(self.municipalities)
        if self.municipalities_file is not None:
            out += _read_municipalities(self.municipalities_file)
        return out

    def parameter_values(self, overrides: dict | None = None, where: str = "overrides") -> dict:
        """Defaults < table-format preset < scenario parameters < overrides, all checked."""
        from sim.params import resolve
        values = resolve(formats.preset(self.table_format), flatten(self.parameters), where=self.name)
        if overrides:
            fmt = overrides.get("table.format")
            if fmt is not None:
                values.update(formats.preset(fmt))
            for k, v in overrides.items():
                if k != "table.format":
                    values[k] = check(k, v, where)
        return values


def _read_municipalities(spec: MunicipalityFile) -> list[MunicipalitySpec]:
    path = (BUILTIN_DIR / spec.path) if not Path(spec.path).is_absolute() else Path(spec.path)
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for r in rows:
        if spec.provinces and r["province"] not in spec.provinces:
            continue
        if spec.regions and r["woondeal_region"] not in spec.regions:
            continue
        if spec.names and r["name"] not in spec.names:
            continue
        out.append(MunicipalitySpec(name=r["name"], province=r["province"], region=r["woondeal_region"],
                                    population=int(r["population_2024"]),
                                    pressure=spec.pressure_by_province.get(r["province"], spec.pressure),
                                    source=str(path.name)))
    return out


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def _problems_from_pydantic(err: ValidationError) -> list[tuple[str, str]]:
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"]) or "(top level)"
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required field is missing"
        else:
            shown = repr(e.get("input"))
            msg = f"{e['msg']} (got {shown if len(shown) <= 60 else shown[:57] + '...'})"
        out.append((loc, msg))
    return out


def validate_data(data: Any, where: str) -> Scenario:
    """Build a Scenario from parsed YAML, collecting every problem before raising."""
    if not isinstance(data, dict):
        raise ScenarioError(where, [("(top level)", "a scenario is a mapping of keys to values")])
    problems: list[tuple[str, str]] = []
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        problems += _problems_from_pydantic(err)
        scenario = None
    params = data.get("parameters") or {}
    if isinstance(params, dict):
        for name, value in flatten(params).items():
            try:
                check(name, value, where)
            except ParameterError as e:
                problems.append((f"parameters.{name}", e.message))
    fmt = data.get("table_format", "samenwerkingstafel-middenhuur")
    if isinstance(fmt, str) and fmt not in formats.preset_names():
        problems.append(("table_format", f"unknown preset {fmt!r}; known: {', '.join(formats.preset_names())}"))
    if problems:
        raise ScenarioError(where, problems)
    return scenario


def load(source: str | Path | Scenario) -> Scenario:
    """A built-in name, a YAML path or a Scenario object -> a validated Scenario."""
    if isinstance(source, Scenario):
        return source
    path = Path(source)
    if not path.suffix and not path.exists():
        candidate = BUILTIN_DIR / f"{source}.yaml"
        if not candidate.exists():
            from sim.params import nearest
            hint = nearest(str(source), builtin_names())
            raise ScenarioError(str(source), [("scenario", "no such built-in scenario or file"
                                                + (f"; did you mean '{hint}'?" if hint else "")
                                                + f"; built-ins: {', '.join(builtin_names())}")])
        path = candidate
    if not path.exists():
        raise ScenarioError(str(path), [("file", "does not exist")])
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(unknown position)"
        raise ScenarioError(str(path), [(at, f"not valid YAML: {getattr(err, 'problem', err)}")]) from None
    except UnicodeDecodeError:
        raise ScenarioError(str(path), [("file", "not UTF-8 text")]) from None
    return validate_data(data, str(path))

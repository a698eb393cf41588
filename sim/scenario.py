"""Scenarios: who is where, which table format, and parameter values, read from YAML.

A scenario file is validated in full before anything runs: every problem (unknown key,
wrong type, value out of bounds, unknown preset, and every row of a municipalities
CSV it names) is collected and reported together, each naming the file, the field (or
CSV line and column) and what is allowed. Files are read with :mod:`sim.yamlsafe` and
:mod:`sim.userfiles`, so no file can make loading hang or crash.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from sim import formats
from sim.errors import InputError, shown, shown_name
from sim.params import ParameterError, check, flatten, flatten_all, nearest, twice
from sim.userfiles import read_text
from sim.yamlsafe import load_yaml

BUILTIN_DIR = Path(__file__).resolve().parent.parent / "scenarios"
PROVINCES = ("Groningen", "Friesland", "Drenthe", "Overijssel", "Flevoland", "Gelderland", "Utrecht",
             "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg")
LANDSDEEL = {"Groningen": "Noord", "Friesland": "Noord", "Drenthe": "Noord",
             "Utrecht": "Oost", "Gelderland": "Oost", "Overijssel": "Oost",
             "Noord-Holland": "Noordwest", "Flevoland": "Noordwest",
             "Zuid-Holland": "Zuidwest", "Zeeland": "Zuidwest",
             "Noord-Brabant": "Zuid", "Limburg": "Zuid"}


class ScenarioError(InputError):
    """All that is wrong with one scenario file (``problems``: (field, message) pairs).

    A problem may also be a (where, field, message) triple, for a problem in another
    file the scenario names (a municipalities CSV). ``str()`` shows the first
    :data:`SHOWN` problems, one a line.
    """

    SHOWN = 25

    def __init__(self, where: str, problems: list[tuple]):
        self.problems = [p if len(p) == 3 else (where, *p) for p in problems]
        first = self.problems[0] if self.problems else (where, "", "")
        super().__init__(first[0], first[1], first[2])
        self.where = where
        lines = [f"{w}: {field}: {msg}" for w, field, msg in self.problems[:self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"... and {len(self.problems) - self.SHOWN:,} more problems")
        self.args = ("\n".join(lines),)

    def __str__(self) -> str:
        return self.args[0]


class _Strict(BaseModel):
    # strict: a boolean is not a number and "5" is not 5; NaN and infinities are refused
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


Province = Literal[PROVINCES]  # type: ignore[valid-type]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class MunicipalitySpec(_Strict):
    name: str = Field(min_length=1, max_length=200)
    province: Province
    region: str = Field(min_length=1, max_length=200, description="woondeal region")
    population: int = Field(gt=0, le=2_000_000, description="inhabitants")
    pressure: Share = Field(1.0, description="market pressure, 0..1")
    land_price_factor: float = Field(1.0, ge=0.1, le=5.0, description="local land prices relative to the scenario's")
    rent_factor: float = Field(1.0, ge=0.3, le=3.0, description="local market rent relative to the scenario's")
    alderman_initiative: Share | None = None
    vision_strength: Share | None = None
    financial_expertise: Share | None = None
    source: str = ""

    @property
    def landsdeel(self) -> str:
        return LANDSDEEL[self.province]


class MunicipalityFile(_Strict):
    """Municipalities read from a CSV table (see scenarios/data/README.md).

    ``path`` is relative to the scenario file's directory; a path not found there is
    looked up among the built-in scenarios' files, so a copy of a built-in scenario
    keeps finding ``data/municipalities_nl.csv``.
    """

    path: str = Field(min_length=1)
    provinces: list[Province] | None = None
    regions: list[str] | None = None
    names: list[str] | None = None
    pressure: Share = 0.6
    pressure_by_province: dict[Province, Share] = Field(default_factory=dict)


class Actors(_Strict):
    investors: int = Field(6, ge=0, le=500)
    developers: int = Field(6, ge=1, le=2_000)
    corporations: int = Field(0, ge=0, le=500, description="0: one per municipality")


class Scenario(_Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    source: str = ""
    table_format: str = "samenwerkingstafel-middenhuur"
    municipalities: list[MunicipalitySpec] = Field(default_factory=list)
    municipalities_file: MunicipalityFile | None = None
    actors: Actors = Field(default_factory=Actors)
    parameters: dict[str, Any] = Field(default_factory=dict)
    citations: dict[str, str] = Field(default_factory=dict)
    _base: Path | None = PrivateAttr(None)            # directory data paths are relative to (the file's)
    _from_file: list | None = PrivateAttr(None)       # municipalities read from municipalities_file

    @model_validator(mode="after")
    def _has_municipalities(self):
        if not self.municipalities and self.municipalities_file is None:
            raise ValueError("a scenario needs 'municipalities' or 'municipalities_file'")
        repeated = sorted(n for n, k in Counter(m.name for m in self.municipalities).items() if k > 1)
        if repeated:
            raise ValueError("municipality names must be unique; repeated: " + ", ".join(map(repr, repeated)))
        return self

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()[:16]

    def size(self) -> dict[str, int]:
        """Municipalities and agents (tenant organisations come one per corporation)."""
        n = len(self.all_municipalities())
        corps = self.actors.corporations or n
        return {"municipalities": n, "agents": n + self.actors.investors + self.actors.developers + 2 * corps}

    def all_municipalities(self) -> list[MunicipalitySpec]:
        """Inline municipalities plus those of ``municipalities_file``; ScenarioError if the file is wrong."""
        if self.municipalities_file is None:
            return list(self.municipalities)
        if self._from_file is None:
            rows, problems = _file_municipalities(self)
            if problems:
                raise ScenarioError(self.name, problems)
            self._from_file = rows
        return list(self.municipalities) + self._from_file

    def parameter_values(self, overrides: Mapping | None = None, where: str = "overrides") -> dict:
        """Defaults < table-format preset < scenario parameters < overrides, all checked."""
        from sim.params import resolve
        values = resolve(formats.preset(self.table_format), flatten(self.parameters, where=self.name), where=self.name)
        if overrides:
            fmt = overrides.get("table.format")
            if fmt is not None:
                values.update(formats.preset(fmt))
            for k, v in overrides.items():
                if k != "table.format":
                    values[k] = check(k, v, where)
        return values


# --- the municipalities CSV ---------------------------------------------------------------
COLUMNS = {"name": "name", "province": "province", "woondeal_region": "region", "population_2024": "population"}
FIELD_COLUMN = {field: column for column, field in COLUMNS.items()}


def _data_path(spec: MunicipalityFile, base: Path | None) -> tuple[Path | None, list[Path]]:
    """The file ``spec.path`` names (None if nowhere), and every place looked, for the message."""
    p = Path(spec.path)
    tried = [p] if p.is_absolute() else list(dict.fromkeys([(base or Path.cwd()) / p, BUILTIN_DIR / p]))
    return next((t for t in tried if path_exists(t)), None), tried


def _file_municipalities(sc: Scenario) -> tuple[list[MunicipalitySpec], list[tuple]]:
    """Read, check and filter ``sc.municipalities_file``; (municipalities, problems)."""
    spec = sc.municipalities_file
    path, tried = _data_path(spec, sc._base)
    if path is None:
        return [], [("municipalities_file.path", f"{spec.path!r}: no such file (looked for "
                     + " and ".join(map(str, tried)) + ")")]
    try:
        rows, problems = read_municipality_table(path)
    except InputError as e:  # the file as a whole: unreadable, or its header (line 1) is wrong
        at = f"{e.field}: " if e.field.startswith("line ") else ""
        return [], [("municipalities_file.path", f"{e.where}: {at}{e.message}")]
    problems = [(str(path), field, msg) for field, msg in problems]
    chosen = rows
    for key, attr in (("provinces", "province"), ("regions", "region"), ("names", "name")):
        wanted = getattr(spec, key)
        if wanted is None:
            continue
        present = {getattr(m, attr) for m in rows}
        for value in wanted:
            if value not in present:
                hint = nearest(value, sorted(present))
                problems.append((f"municipalities_file.{key}", f"{value!r} matches no municipality in {path}"
                                 + (f"; did you mean {hint!r}?" if hint else "")))
        chosen = [m for m in chosen if getattr(m, attr) in set(wanted)]
    for province in spec.pressure_by_province:
        if province not in {m.province for m in rows}:
            problems.append(("municipalities_file.pressure_by_province",
                             f"{province!r} has no municipality in {path}"))
    if rows and not chosen:
        problems.append(("municipalities_file", f"the filters select no municipality from {path}"))
    inline = {m.name for m in sc.municipalities}
    for m in chosen:
        if m.name in inline:
            problems.append(("municipalities_file", f"{m.name!r} is both in 'municipalities' and in {path}; "
                             "names must be unique"))
    chosen = [m.model_copy(update={"pressure": spec.pressure_by_province.get(m.province, spec.pressure)})
              for m in chosen]
    return chosen, problems


def path_exists(path: Path) -> bool:
    """``path.exists()``, False for a name the system cannot take (too long, a NUL byte): no such file exists."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def read_municipality_table(path: Path) -> tuple[list[MunicipalitySpec], list[tuple[str, str]]]:
    """Every row of a municipalities CSV checked; (municipalities, (field, message) problems).

    Columns (scenarios/data/README.md): ``name``, ``province``, ``woondeal_region`` and
    ``population_2024`` are required, and no column may be named twice (a reader would keep the
    last one silently); ``landsdeel``, when present, must be the province's,
    and ``population_is_estimate`` true or false. A row is checked through
    :class:`MunicipalitySpec`, the same declaration an inline municipality goes through.
    Raises InputError when the file cannot be read at all.
    """
    text = read_text(path, "data file")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = reader.fieldnames
    except csv.Error as e:
        raise InputError(str(path), "line 1", f"not a readable CSV file ({e})") from None
    if not header:
        raise InputError(str(path), "line 1", "empty; expected a header row with columns "
                         + ", ".join(COLUMNS))
    first_column: dict[str, int] = {}
    for i, column in enumerate(header, 1):  # a reader keeps the last of two same-named columns, silently
        if column.strip() and first_column.setdefault(column, i) != i:  # blank names (trailing commas) are unused
            raise InputError(str(path), f"line 1, column {shown(column, 80)}",
                             f"appears twice (columns {first_column[column]} and {i}); each column name may "
                             "appear once in the header")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        hint = "; the values seem separated by ';' (save as CSV with commas)" if len(header) == 1 and ";" in \
            header[0] else ""
        raise InputError(str(path), "line 1", "missing column" + ("s " if len(missing) > 1 else " ")
                         + ", ".join(missing) + f"; the header has: {shown(', '.join(header), 200)}{hint}")
    rows, problems, first_line = [], [], {}
    try:
        for row in reader:
            line = reader.line_num
            at = f"line {line}"
            if None in row:
                problems.append((at, f"{len(header) + len(row[None])} values for {len(header)} columns"))
                continue
            empty = [c for c in COLUMNS if row[c] is None or not row[c].strip()]
            for c in empty:
                problems.append((f"{at}, column {c}", "missing value"))
            if empty:
                continue
            values = {field: row[column].strip() for column, field in COLUMNS.items()}
            try:
                values["population"] = int(values["population"])
            except ValueError:
                pass  # left as text, and reported as not a whole number
            try:
                m = MunicipalitySpec(**values, source=path.name)
            except ValidationError as err:
                for e in err.errors():
                    column = FIELD_COLUMN.get(str(e["loc"][0]), str(e["loc"][0]))
                    problems.append((f"{at}, column {column}", _row_message(e)))
                continue
            landsdeel = (row.get("landsdeel") or "").strip()
            if landsdeel and landsdeel != m.landsdeel:
                problems.append((f"{at}, column landsdeel", f"{landsdeel!r} but {m.province} lies in {m.landsdeel}"))
            estimate = row.get("population_is_estimate")
            if estimate is not None and estimate.strip().lower() not in ("true", "false", ""):
                problems.append((f"{at}, column population_is_estimate", f"got {shown(estimate)}; allowed: true or false"))
            if m.name in first_line:
                problems.append((f"{at}, column name", f"{m.name!r} is also on line {first_line[m.name]}; "
                                 "names must be unique"))
                continue
            first_line[m.name] = line
            rows.append(m)
    except csv.Error as e:
        problems.append((f"line {reader.line_num}", f"not readable as CSV ({e})"))
    if not rows and not problems:
        problems.append(("line 2", "no municipalities: the file has a header but no rows"))
    return rows, problems


def _row_message(e: dict) -> str:
    if e["type"] == "literal_error" and e["loc"][0] == "province":
        hint = nearest(str(e.get("input")), PROVINCES)
        return (f"unknown province {shown(e.get('input'))}" + (f"; did you mean {hint!r}?" if hint else "")
                + "; known: " + ", ".join(PROVINCES))
    if e["loc"][0] == "population" and e["type"] in ("int_type", "int_parsing"):
        return f"got {shown(e.get('input'))}; allowed: a whole number of inhabitants, 1 to 2,000,000"
    return f"{e['msg']} (got {shown(e.get('input'))})"


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def pydantic_problems(err: ValidationError) -> list[tuple[str, str]]:
    """(field, message) pairs for a pydantic error, in the words the CLI shows (scenario and
    experiment files alike); pydantic's internal location parts (validator names) are dropped."""
    out = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if not str(x).startswith(("function-", "literal[")))
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required field is missing"
        elif isinstance(e.get("input"), bool) and e["type"] in ("int_type", "float_type"):
            msg = f"got {e['input']}; a number is needed here (true and false are not numbers)"
        else:
            msg = f"{e['msg']} (got {shown(e.get('input'))})"
        out.append((loc or "(top level)", msg))
    return out


def validate_data(data: Any, where: str, base: Path | None = None) -> Scenario:
    """Build a Scenario from parsed YAML, collecting every problem before raising.

    ``base`` is the directory that relative data paths start from (the scenario file's).
    The data files the scenario names are read and checked here too, so that
    ``tafelsim validate`` reports their problems with the scenario's.
    """
    if not isinstance(data, dict):
        raise ScenarioError(where, [("(top level)", "a scenario is a mapping of keys to values, e.g. 'name: my-run'")])
    problems: list[tuple] = []
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        problems += pydantic_problems(err)
        scenario = None
    params = data.get("parameters") or {}
    if isinstance(params, dict):
        flat, repeated = flatten_all(params)
        for name, ways in repeated.items():  # dotted and nested: two YAML keys, one parameter
            problems.append((f"parameters.{shown_name(name)}", twice(ways)))
        for name, value in flat.items():
            if len(problems) > 2 * ScenarioError.SHOWN:
                break  # enough to act on; checking 50,000 misspelt names would take minutes
            try:
                check(name, value, where)
            except ParameterError as e:
                problems.append((f"parameters.{e.field}", e.message))
    fmt = data.get("table_format", "samenwerkingstafel-middenhuur")
    if isinstance(fmt, str) and fmt not in formats.preset_names():
        problems.append(("table_format", f"unknown preset {shown(fmt)}; known: {', '.join(formats.preset_names())}"))
    if scenario is not None:
        scenario._base = base
        if scenario.municipalities_file is not None:
            rows, file_problems = _file_municipalities(scenario)
            problems += file_problems
            scenario._from_file = rows
    if problems:
        raise ScenarioError(where, problems)
    return scenario


def load(source: str | os.PathLike | Scenario) -> Scenario:
    """A built-in name, a YAML path or a Scenario object -> a validated Scenario."""
    if isinstance(source, Scenario):
        return source
    if not isinstance(source, (str, os.PathLike)) or not str(source):
        raise ScenarioError("scenario", [("scenario", f"got {shown(source)}; allowed: a built-in scenario name "
                                          f"({', '.join(builtin_names())}), a path to a scenario YAML file or a "
                                          "sim.scenario.Scenario")])
    path = Path(source)
    if not path.suffix and not path_exists(path):
        candidate = BUILTIN_DIR / f"{source}.yaml"
        if not path_exists(candidate):
            hint = nearest(str(source), builtin_names()) if len(str(source)) <= 200 else None
            raise ScenarioError(str(source), [("scenario", "no such built-in scenario or file"
                                                + (f"; did you mean '{hint}'?" if hint else "")
                                                + f"; built-ins: {', '.join(builtin_names())}")])
        path = candidate
    try:
        data = load_yaml(path, "scenario file")
    except InputError as e:
        raise ScenarioError(e.where, [(e.field, e.message)]) from None
    return validate_data(data, str(path), base=path.resolve().parent)

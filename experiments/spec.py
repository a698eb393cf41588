"""Experiment files: what to run, validated in full before anything runs.

An experiment names a base scenario, the policies to compare (table designs or
escalation rules: a format preset and/or ``table.*``/``escalation.*`` settings, one of
them the baseline), the parameters to vary (levels, or ranges with a distribution),
a design (factorial, lhs, sobol, morris) with its size, replications, a base seed, the
headline metrics to keep and optional yearly series. Names are checked against the one
parameter declaration (``sim.params``) and the declared metrics (``sim.outputs``);
every problem in the file is collected and reported together, naming file and field.

The resolved experiment (defaults filled in, values coerced) is what a sweep stores in
``DIR/experiment.yaml`` and what its hash is taken of.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import InputError, shown
from experiments.outcomes import OUTCOMES
from sim.outputs import METRICS
from sim.params import PARAMETERS, ParameterError, check, nearest
from sim import scenario as scn

BUILTIN_DIR = Path(__file__).resolve().parent
# Columns of the run's `monthly` table that are flows of homes; a series sums one per year.
SERIES = ("proposed", "relabelled", "agreed", "started", "completed", "abandoned")
DESIGNS = ("factorial", "lhs", "sobol", "morris")
POLICY_PREFIXES = ("table.", "escalation.")
# when a stuck case escalates: the concession clock's end is the ladder's trigger, so a policy may set it
POLICY_EXTRA = ("negotiation.meetings_to_deadline",)
DUMMY = "dummy"  # the design's noise-floor parameter (sobol, morris): varied, but the model never sees it
# The largest design and sweep a file may ask for. Checked from the design's arithmetic before any
# point is drawn: a mistyped size would otherwise exhaust memory drawing the points, or hang
# counting the runs. A million points is a Sobol study of 60 parameters at n = 2**14; ten million
# runs of the 12-city scenario are about two months of one core.
MAX_POINTS = 1_000_000
MAX_RUNS = 10_000_000


class ExperimentError(InputError):
    """All that is wrong with one experiment file (``problems``: (field, message) pairs)."""

    def __init__(self, where: str, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__(where, problems[0][0], problems[0][1])
        self.args = ("\n".join(f"{where}: {f}: {m}" for f, m in problems),)

    def __str__(self) -> str:
        return self.args[0]


def read_yaml(path: Path) -> Any:
    """Parse a user's YAML file through the project's hardened loader (``sim/yamlsafe.py``)."""
    from sim.yamlsafe import load_yaml
    try:
        return load_yaml(path, "experiment file")
    except InputError as e:
        raise ExperimentError(e.where, [(e.field, e.message)]) from None


class _Strict(BaseModel):
    # as a scenario file's (``sim.scenario._Strict``): a boolean is not a number, "3" is not 3, 3.0 is not a
    # count, and NaN and infinities are refused
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class DesignSpec(_Strict):
    type: Literal[DESIGNS] = "factorial"  # type: ignore[valid-type]
    n: int | None = Field(None, ge=1, le=1_000_000, description="lhs: points; sobol: base sample (a power of 2)")
    trajectories: int | None = Field(None, ge=2, le=100_000, description="morris: trajectories")
    levels: int = Field(4, ge=2, le=20, description="morris: grid levels (even)")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="seed of the design's sampler")


class SeriesSpec(_Strict):
    name: Literal[SERIES]  # type: ignore[valid-type]
    by_segment: bool = False


class ExperimentFile(_Strict):
    name: str | None = Field(None, min_length=1)
    description: str = ""
    scenario: str = Field(min_length=1)
    months: int | None = Field(None, ge=1, le=600)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    replications: int = Field(1, ge=1, le=100_000)
    policies: dict[str, dict[str, Any]] = Field(default_factory=lambda: {"base": {}})
    baseline: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    design: DesignSpec = Field(default_factory=DesignSpec)
    outcomes: list[str] = Field(default_factory=lambda: list(METRICS))
    series: list[SeriesSpec | Literal[SERIES]] = Field(default_factory=list)  # type: ignore[valid-type]


def _jsonable(v):
    return sorted(v) if isinstance(v, frozenset) else v


@dataclass(frozen=True)
class Experiment:
    """A validated, resolved experiment. ``to_dict()`` is its canonical form."""

    name: str
    description: str
    scenario: str              # built-in name or absolute path
    scenario_digest: str
    months: int
    seed: int
    replications: int
    policies: dict[str, dict[str, Any]]
    baseline: str
    parameters: dict[str, dict[str, Any]]   # name -> {"values": [...]} or {"low", "high", "distribution", ...}
    design: dict[str, Any]
    outcomes: list[str]
    series: list[dict[str, Any]]
    source: str = field(default="", compare=False)

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "scenario": self.scenario,
                "scenario_digest": self.scenario_digest, "months": self.months, "seed": self.seed,
                "replications": self.replications, "policies": self.policies, "baseline": self.baseline,
                "parameters": self.parameters, "design": self.design, "outcomes": self.outcomes,
                "series": self.series}

    @cached_property
    def hash(self) -> str:
        """Identity of what the sweep computes (not of its name, description or baseline)."""
        d = self.to_dict()
        for k in ("name", "description", "baseline"):
            d.pop(k)
        d.pop("scenario")  # the content (digest) matters, not where the file lies
        return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]

    @property
    def varied(self) -> list[str]:
        """Columns of the design: the varied parameters, plus the dummy for sobol and morris."""
        names = list(self.parameters)
        return names + [DUMMY] if self.design["type"] in ("sobol", "morris") else names

    @cached_property
    def points(self):
        """The design points as a DataFrame (``point`` plus one column per varied name)."""
        from experiments.design import design_points
        return design_points(self)

    @property
    def runs(self) -> int:
        return len(self.points) * len(self.policies) * self.replications

    def to_yaml(self) -> str:
        import yaml
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)


def builtin_names() -> list[str]:
    return sorted(p.stem for p in BUILTIN_DIR.glob("*.yaml"))


def _locate(source: str | Path) -> Path:
    if not isinstance(source, (str, Path)) or not str(source).strip():
        raise ExperimentError(shown(source), [("experiment", "name a built-in experiment or an experiment YAML file")])
    path = Path(source)
    if not path.suffix and not scn.path_exists(path):
        candidate = BUILTIN_DIR / f"{source}.yaml"
        if not scn.path_exists(candidate):
            hint = nearest(str(source), builtin_names())
            raise ExperimentError(str(source), [("experiment", "no such built-in experiment or file"
                                                  + (f"; did you mean '{hint}'?" if hint else "")
                                                  + f"; built-ins: {', '.join(builtin_names())}")])
        return candidate
    exists = scn.path_exists(path)
    if not exists or not path.is_file():
        raise ExperimentError(str(path), [("file", "is not a file" if exists else "does not exist")])
    return path


def load_experiment(source: str | Path | Experiment, resolve_scenario: bool = True) -> Experiment:
    """A built-in name or a YAML path -> a validated, resolved Experiment.

    ``resolve_scenario=False`` reads an already resolved experiment (``DIR/experiment.yaml``)
    without loading its scenario, so results stay readable when the scenario file moved.
    """
    if isinstance(source, Experiment):
        return source
    path = _locate(source)
    return validate_data(read_yaml(path), path, resolve_scenario)


def _check_value(name: str, value: Any, field_: str, problems: list) -> Any:
    try:
        return check(name, value, field_)
    except ParameterError as e:
        problems.append((field_, e.message))
        return None


def _policies(raw: dict, problems: list) -> dict[str, dict[str, Any]]:
    from sim import formats
    out = {}
    for pname, settings in raw.items():
        resolved = {}
        for key, value in (settings or {}).items():
            f = f"policies.{pname}.{key}"
            if key == "table.format":
                if value not in formats.preset_names():
                    problems.append((f, f"unknown preset {value!r}; known: {', '.join(formats.preset_names())}"))
                resolved[key] = value
            elif not key.startswith(POLICY_PREFIXES) and key not in POLICY_EXTRA:
                problems.append((f, "a policy sets table.* or escalation.* parameters, "
                                    f"{', '.join(POLICY_EXTRA)} (when to escalate) or table.format; "
                                    "vary other parameters under 'parameters'"))
            else:
                resolved[key] = _jsonable(_check_value(key, value, f, problems))
        out[pname] = resolved
    seen: dict[str, str] = {}
    for pname, settings in out.items():
        key = json.dumps(settings, sort_keys=True, default=str)
        if key in seen:
            problems.append((f"policies.{pname}", f"has the same settings as policy '{seen[key]}'"))
        seen.setdefault(key, pname)
    return out


def _number(x: Any) -> bool:
    """A finite number as YAML gives one; a boolean is not a number."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _parameter(name: str, spec: Any, problems: list) -> dict | None:
    f = f"parameters.{name}"
    if name == "run.months":
        problems.append((f, "the run's length is the experiment's `months`, not a parameter to vary; "
                            "run one sweep per length"))
        return None
    if name == DUMMY:
        problems.append((f, "the dummy is not listed: sobol and morris designs add it themselves (the noise floor)"))
        return None
    if name not in PARAMETERS:
        hint = nearest(name, PARAMETERS)
        problems.append((f, "unknown parameter" + (f"; did you mean '{hint}'?" if hint else "; see `tafelsim params`")))
        return None
    prm = PARAMETERS[name]
    if isinstance(spec, list):
        spec = {"values": spec}
    if not isinstance(spec, dict):
        problems.append((f, "give `values: [...]` (levels) or `low:` and `high:` (a range)"))
        return None
    if "values" in spec:
        if set(spec) != {"values"} or not isinstance(spec["values"], list) or not spec["values"]:
            problems.append((f, "levels are given as `values: [v1, v2, ...]` and nothing else"))
            return None
        values = [_jsonable(_check_value(name, v, f"{f}.values", problems)) for v in spec["values"]]
        if len({json.dumps(v, default=str) for v in values}) != len(values):
            problems.append((f"{f}.values", "a level is given twice"))
        return {"values": values}
    if prm.kind not in (int, float):
        problems.append((f, f"a range needs a numeric parameter; {name} takes {prm.allowed()}: give `values`"))
        return None
    allowed = {"low", "high", "distribution", "mode", "mean", "sd"}
    if set(spec) - allowed or not {"low", "high"} <= set(spec):
        problems.append((f, "a range has `low`, `high` and optionally `distribution` "
                            "(uniform, triangular with `mode`, normal with `mean` and `sd`, truncated to the range)"))
        return None
    low, high = (_check_value(name, spec[k], f"{f}.{k}", problems) for k in ("low", "high"))
    if low is None or high is None:
        return None
    if not low < high:
        problems.append((f, f"low ({low:g}) must be below high ({high:g})"))
        return None
    out = {"low": float(low), "high": float(high), "distribution": spec.get("distribution", "uniform")}
    dist = out["distribution"]
    if dist == "uniform":
        extra = set(spec) & {"mode", "mean", "sd"}
    elif dist == "triangular":
        mode = spec.get("mode", (low + high) / 2)
        if not _number(mode) or not low <= mode <= high:
            problems.append((f"{f}.mode", f"must lie within [{low:g}, {high:g}]"))
        out["mode"] = float(mode) if _number(mode) else mode
        extra = set(spec) & {"mean", "sd"}
    elif dist == "normal":
        mean, sd = spec.get("mean", (low + high) / 2), spec.get("sd", (high - low) / 4)
        if not _number(mean) or not low <= mean <= high:
            problems.append((f"{f}.mean", f"must lie within [{low:g}, {high:g}]"))
        if not _number(sd) or sd <= 0:
            hint = "" if "sd" in spec else f" (not given: a quarter of high - low, which is {sd!r}; give sd or widen the range)"
            problems.append((f"{f}.sd", "must be a positive number" + hint))
        out.update(mean=mean, sd=sd)
        extra = set(spec) & {"mode"}
    else:
        problems.append((f"{f}.distribution", f"got {dist!r}; allowed: uniform, triangular, normal"))
        extra = set()
    for k in sorted(extra):
        problems.append((f"{f}.{k}", f"does not apply to a {dist} distribution"))
    return out


def _design_fits(design: DesignSpec, params: dict[str, dict], problems: list) -> None:
    t = design.type
    ranges = [n for n, s in params.items() if "low" in s]
    levels = [n for n, s in params.items() if "values" in s]
    # settings a design does not use, given other than their defaults (a resolved experiment states the defaults)
    if t != "morris" and design.levels != DesignSpec.model_fields["levels"].default:
        problems.append(("design.levels", f"applies to a morris design only, not to a {t} design"))
    if t == "factorial" and design.seed != DesignSpec.model_fields["seed"].default:
        problems.append(("design.seed", "a factorial design draws nothing: its seed does not apply (the runs' "
                                        "seeds come from `seed`)"))
    if t == "factorial":
        for n in ranges:
            problems.append((f"parameters.{n}", "a factorial design needs `values` (levels), not a range"))
        for k in ("n", "trajectories"):
            if getattr(design, k) is not None:
                problems.append((f"design.{k}", "does not apply to a factorial design (its size is the product of "
                                                "the levels)"))
        return
    for n in levels:   # drawn uniformly among its levels (experiments.design): a switch in a screening
        if len(params[n]["values"]) < 2:
            problems.append((f"parameters.{n}", f"a {t} design draws among levels: give at least two, or a range"))
    if not params:
        problems.append(("design.type", f"a {t} design needs at least one parameter (a range, or levels)"))
    size_key = "trajectories" if t == "morris" else "n"
    other = "n" if t == "morris" else "trajectories"
    if getattr(design, size_key) is None:
        problems.append((f"design.{size_key}", f"a {t} design needs its size `{size_key}`"))
    if getattr(design, other) is not None:
        problems.append((f"design.{other}", f"does not apply to a {t} design (it takes `{size_key}`)"))
    if t == "sobol" and design.n is not None and design.n & (design.n - 1):
        problems.append(("design.n", f"a sobol (Saltelli) design needs a power of 2, got {design.n}"))
    if t == "morris" and design.levels % 2:
        problems.append(("design.levels", f"a morris design needs an even number of levels, got {design.levels}"))


def design_size(design: DesignSpec, params: dict[str, dict]) -> int:
    """The number of design points, from the design's arithmetic (``experiments.design``), without
    drawing them: factorial, the product of the levels; lhs, ``n``; sobol (Saltelli, first and
    total order), ``n * (k + 2)``; morris, ``trajectories * (k + 1)``, k counting the dummy."""
    k = len(params) + 1
    if design.type == "factorial":
        return math.prod(len(s.get("values", ())) for s in params.values())
    if design.type == "lhs":
        return design.n or 0
    if design.type == "sobol":
        return (design.n or 0) * (k + 2)
    return (design.trajectories or 0) * (k + 1)


def _size_fits(design: DesignSpec, params: dict[str, dict], policies: int, replications: int,
               problems: list) -> None:
    points = design_size(design, params)
    where = {"factorial": "parameters", "lhs": "design.n", "sobol": "design.n", "morris": "design.trajectories"}
    if points > MAX_POINTS:
        problems.append((where[design.type], f"the design has {points:,} points; at most {MAX_POINTS:,} are allowed "
                                             "(fewer levels, a smaller size or fewer parameters)"))
    elif points * policies * replications > MAX_RUNS:
        problems.append(("replications", f"{points:,} design points x {policies} policies x {replications:,} "
                                         f"replications = {points * policies * replications:,} runs; at most "
                                         f"{MAX_RUNS:,} runs a sweep (fewer replications, or a smaller design)"))


def validate_data(data: Any, path: Path, resolve_scenario: bool = True) -> Experiment:
    """Build a resolved Experiment from parsed YAML, collecting every problem before raising."""
    where = str(path)
    if not isinstance(data, dict):
        raise ExperimentError(where, [("(top level)", "an experiment is a mapping of keys to values")])
    data = dict(data)
    stored_digest = data.pop("scenario_digest", None)  # written by a sweep; recomputed when the scenario is loaded
    problems: list[tuple[str, str]] = []
    try:
        spec = ExperimentFile.model_validate(data)
    except ValidationError as err:
        # report these, then check the rest of the file too: all problems at once
        problems += scn.pydantic_problems(err)
        bad = {e["loc"][0] for e in err.errors() if e["loc"]}
        try:
            spec = ExperimentFile.model_validate({k: v for k, v in data.items() if k not in bad} | {"scenario": "-"})
        except ValidationError:
            raise ExperimentError(where, problems) from None
        if "scenario" not in bad:
            spec = spec.model_copy(update={"scenario": data["scenario"]})

    scenario, digest, months = spec.scenario, stored_digest or "", spec.months
    if resolve_scenario and spec.scenario != "-":
        ref = spec.scenario
        if not scn.path_exists(scn.BUILTIN_DIR / f"{ref}.yaml") and scn.path_exists(path.parent / ref):
            ref = str((path.parent / ref).resolve())
        try:
            sc = scn.load(ref)
            digest = sc.digest()
            months = months or sc.parameter_values()["run.months"]
            scenario = ref
        except InputError as e:
            problems += [("scenario", line) for line in str(e).splitlines()]
    elif months is None and not resolve_scenario:   # (an invalid scenario is reported as such, above)
        problems.append(("months", "a resolved experiment states its months"))

    policies = _policies(spec.policies, problems)
    if not policies:
        problems.append(("policies", "name at least one policy (for example `base: {}`)"))
    baseline = spec.baseline if spec.baseline is not None else next(iter(policies), "")
    if policies and baseline not in policies:
        problems.append(("baseline", f"{baseline!r} is not a policy; policies: {', '.join(policies)}"))

    params = {}
    for name, s in spec.parameters.items():
        resolved = _parameter(name, s, problems)
        if resolved is not None:
            params[name] = resolved
        setters = [p for p, settings in policies.items() if name in settings]
        if setters:
            problems.append((f"parameters.{name}", f"also set by policy '{setters[0]}'; vary it or set it in a "
                                                   "policy, not both"))
    _design_fits(spec.design, params, problems)
    if len(params) == len(spec.parameters):   # every parameter resolved: the size is the one the sweep would run
        _size_fits(spec.design, params, max(1, len(policies)), spec.replications, problems)

    for i, o in enumerate(spec.outcomes):
        if o not in OUTCOMES:
            hint = nearest(o, OUTCOMES)
            problems.append((f"outcomes.{i}", f"unknown metric {o!r}" + (f"; did you mean '{hint}'?" if hint else "")
                                              + "; see sim/outputs.py (METRICS) and experiments/outcomes.py"))
    if len(set(spec.outcomes)) != len(spec.outcomes) or not spec.outcomes:
        problems.append(("outcomes", "list each metric once, at least one"))
    series = [(s if isinstance(s, SeriesSpec) else SeriesSpec(name=s)).model_dump() for s in spec.series]
    if len({s["name"] for s in series}) != len(series):
        problems.append(("series", "list each series once"))
    if problems:
        raise ExperimentError(where, problems)
    design = spec.design.model_dump()
    return Experiment(name=spec.name or path.stem, description=" ".join(spec.description.split()), scenario=scenario,
                      scenario_digest=digest, months=int(months), seed=spec.seed, replications=spec.replications,
                      policies=policies, baseline=baseline, parameters=params, design=design,
                      outcomes=list(spec.outcomes), series=series, source=where)

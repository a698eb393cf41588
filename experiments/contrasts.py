"""Contrasts: an effect as a weighted sum of sweep cells that share their seeds, with its 95% CI.

A sweep runs replication r of every policy at every design point on the same seed (common
random numbers, ``experiments.tasks``). A contrast names the cells it combines: each term
is a weight and a selector (a policy and/or levels of varied parameters). Per replication
the effect is the weighted sum of the outcome over the terms; its mean over replications
gets a Student-t interval (``experiments.stats.mean_ci``). Two terms (+1, -1) make a paired
difference, four an interaction (a difference of differences: does an effect grow with a
parameter?), one a level.

Varied dimensions that no term names (parameters, and the policy when no term names one)
are the contrast's context: the effect is computed at every combination of their levels,
which is how a sensitivity check asks whether a direction survives, and pooled over them
(each context and replication one observation, as ``analysis.compare`` pools).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from experiments.stats import mean_ci
from sim.outputs import METRICS

COLUMNS = ["contrast", "label", "outcome", "unit", "context", "n", "effect", "low", "high", "reference",
           "relative", "relative_low", "relative_high", "expected", "verdict"]
VERDICTS = {1: "up", -1: "down"}
OUTCOMES_OF_VERDICT = ["holds", "not clear", "reversed", "fails"]


@dataclass(frozen=True)
class Floor:
    """The expectation that an outcome falls by no more than ``share`` of the control's mean (a
    cost the pattern calls small): it holds when the lower CI bound of the relative effect clears it."""

    share: float

    def __str__(self) -> str:
        return f"no lower than {self.share:+.0%}"


@dataclass(frozen=True)
class Ceiling:
    """The expectation that a level stays below ``value`` ("near zero"): it holds when the upper CI
    bound is below it, and fails when the lower bound is above it."""

    value: float

    def __str__(self) -> str:
        return f"below {self.value:g}"


@dataclass(frozen=True)
class Term:
    weight: float
    policy: str | None = None
    levels: dict = field(default_factory=dict)   # varied parameter -> the level this term takes

    def mask(self, runs: pd.DataFrame) -> pd.Series:
        ok = pd.Series(True, index=runs.index) if self.policy is None else runs["policy"] == self.policy
        for name, value in self.levels.items():
            col = runs[name]
            ok &= np.isclose(col.astype(float), float(value)) if isinstance(value, float) else col == value
        return ok


@dataclass(frozen=True)
class Contrast:
    """An effect a pattern predicts. ``expect`` maps an outcome to the sign the pattern predicts
    (+1 up, -1 down), a ``Floor`` or a ``Ceiling``; an outcome without an expectation is reported, not judged."""

    key: str
    label: str
    terms: tuple[Term, ...]
    outcomes: tuple[str, ...]
    expect: dict = field(default_factory=dict)

    def named(self) -> set[str]:
        return {n for t in self.terms for n in t.levels}


def term(weight: float, selector: dict) -> Term:
    """A term from a selector written as one dict: ``{"policy": ..., parameter: level, ...}``."""
    return Term(weight, selector.get("policy"), {k: v for k, v in selector.items() if k != "policy"})


def diff(key: str, label: str, treatment: dict, control: dict, outcomes, expect=None) -> Contrast:
    """treatment - control: the usual paired difference."""
    return Contrast(key, label, (term(1.0, treatment), term(-1.0, control)), tuple(outcomes), dict(expect or {}))


def context_of(contrast: Contrast, runs: pd.DataFrame, varied: list[str]) -> list[str]:
    """The dimensions the contrast leaves free: varied parameters it does not name, and the policy
    when no term names one and the sweep has several."""
    ctx = [v for v in varied if v not in contrast.named() and runs[v].nunique() > 1]   # a single level is no context
    if all(t.policy is None for t in contrast.terms) and runs["policy"].nunique() > 1:
        ctx = ["policy"] + ctx
    return ctx


def per_replication(runs: pd.DataFrame, contrast: Contrast, outcome: str, context: list[str]) -> pd.Series:
    """The contrast's value for each (context, replication): the weighted sum over its terms.

    A cell missing for a term, or a NaN outcome (a median over no agreements), drops that
    replication at that context rather than counting as zero."""
    keys = context + ["replication"]
    parts = []
    for t in contrast.terms:
        cell = runs[t.mask(runs)].set_index(keys)[outcome]
        if cell.index.has_duplicates:
            raise ValueError(f"contrast {contrast.key}: a term selects several runs per replication; "
                             f"name the levels of {', '.join(context) or 'the design'}")
        parts.append(t.weight * cell)
    frame = pd.concat(parts, axis=1, join="inner")
    return frame.sum(axis=1, skipna=False)


def _verdict(low: float, high: float, expected, rel_low: float, rel_high: float) -> str:
    if expected is None or low != low:
        return ""
    if isinstance(expected, Ceiling):
        return "holds" if high < expected.value else "fails" if low > expected.value else "not clear"
    if isinstance(expected, Floor):
        if rel_low != rel_low:
            return ""
        return "holds" if rel_low >= expected.share else "fails" if rel_high < expected.share else "not clear"
    seen = 1 if low > 0 else -1 if high < 0 else 0
    if seen == expected:
        return "holds"
    return "reversed" if seen == -expected else "not clear"


def _context_label(values: dict) -> str:
    return ", ".join(f"{_name(k)}={_short(v)}" for k, v in values.items()) or "all"


def _name(parameter: str) -> str:
    """A parameter's name without its group where the rest says enough (``required_return``), in
    full where it does not (``trust.initial``, ``tenant.knowledge``)."""
    last = parameter.split(".")[-1]
    return last if "_" in last else parameter


def _short(v) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v).lower() if isinstance(v, bool) else str(v)


def effects(runs: pd.DataFrame, contrasts, varied: list[str], pooled: bool = True) -> pd.DataFrame:
    """One row per contrast, outcome and context (plus the pooled row when there are several
    contexts): the effect's mean with its 95% CI, the control's mean (two-term contrasts) and the
    effect relative to it, the expected sign and whether the CI shows it."""
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    rows = []
    for c in contrasts:
        context = context_of(c, ok, varied)
        for outcome in c.outcomes:
            frame = per_replication(ok, c, outcome, context).dropna().to_frame("value")
            frame["reference"] = np.nan
            if len(c.terms) == 2 and c.terms[1].weight == -1.0:   # a difference: the control's mean on the same pairs
                control = ok[c.terms[1].mask(ok)].set_index(context + ["replication"])[outcome]
                frame["reference"] = control.reindex(frame.index)
            groups = list(frame.groupby(level=context, sort=True)) if context else [((), frame)]
            if pooled and len(groups) > 1:
                groups.append((None, frame))
            for key, g in groups:
                key = key if isinstance(key, tuple) or key is None else (key,)
                ctx = "pooled" if key is None else _context_label(dict(zip(context, key)))
                rows.append(_row(c, outcome, ctx, g))
    return pd.DataFrame(rows, columns=COLUMNS)


def _row(c: Contrast, outcome: str, context: str, g: pd.DataFrame) -> dict:
    e = mean_ci(g["value"].to_numpy())
    base = mean_ci(g["reference"].to_numpy()).mean

    def rel(x: float) -> float:
        return x / abs(base) if base == base and base != 0 else float("nan")

    expected = c.expect.get(outcome)
    return {"contrast": c.key, "label": c.label, "outcome": outcome,
            "unit": METRICS[outcome].unit if outcome in METRICS else "", "context": context, "n": e.n,
            "effect": e.mean, "low": e.low, "high": e.high, "reference": base, "relative": rel(e.mean),
            "relative_low": rel(e.low), "relative_high": rel(e.high),
            "expected": "" if expected is None else str(expected) if isinstance(expected, (Floor, Ceiling)) else VERDICTS[expected],
            "verdict": _verdict(e.low, e.high, expected, rel(e.low), rel(e.high))}


def tally(df: pd.DataFrame) -> pd.DataFrame:
    """Per contrast and judged outcome: in how many contexts the expectation holds, is not clear, or
    fails (the sign reversed, or the cost larger than its floor); pooled rows left out."""
    judged = df[(df["expected"] != "") & (df["context"] != "pooled")]
    counts = judged.groupby(["contrast", "outcome"], sort=False)["verdict"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=OUTCOMES_OF_VERDICT, fill_value=0)
    counts.insert(0, "contexts", counts.sum(axis=1))
    return counts.reset_index()

"""Paired effects of every table-format preset, format switch and escalation rule, with 95% CIs.

Regenerate (issues 7 and 8):

    python -m experiments.switch_effects middenhuur-2017 woondeal-ladder --seeds 20 --workers 2 \
        --out results/table-effects

For each scenario the baseline is the scenario as it is; every variant changes one thing (a
preset applied on top, or one switch or rule set to another value). Replication r runs on seed r
under the baseline and every variant (common random numbers), so each effect is the mean of
per-seed differences with a Student-t interval (``experiments/stats.py``). Writes
``<out>/<scenario>.csv`` (one row per variant and outcome) and ``<out>/<scenario>.md``.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

OUTCOMES = ("homes_agreed", "midrent_agreed", "homes_abandoned", "agreements", "agreements_lost",
            "median_months_to_agreement", "mean_window_wait_months", "impasses", "mean_balance", "give_and_take",
            "conditional_concession", "max_national_queue", "mean_national_wait_months", "affordable_share_agreed")


def variants(scenario: str) -> dict[str, dict]:
    """Every preset, and every switch and escalation rule flipped or moved, against the scenario as it is."""
    from sim import formats
    from sim.scenario import load
    base = load(scenario).parameter_values()
    out: dict[str, dict] = {"baseline": {}}
    for name in formats.preset_names():
        out[f"preset {name}"] = {"table.format": name}
    flips = {
        "table.chair": ["none", "municipality", "external"],
        "table.decision_rule": ["consensus", "qualified_majority", "lead"],
        "table.orientation": ["horizontal", "vertical"],
        "table.specificity": ["concrete", "general"],
        "table.permanence": ["one_off", "structural"],
        "table.synchronised_cycles": [True, False],
        "table.mandate": [True, False],
        "table.expertise_pool": [True, False],
        "table.regional_plan_review": [True, False],
    }
    for name, values in flips.items():
        for v in values:
            if v != base[name]:
                out[f"{name}={v}"] = {name: v}
    if base["table.learning_sessions"] == 0:
        out["table.learning_sessions=4"] = {"table.learning_sessions": 4}
    else:
        out["table.learning_sessions=0"] = {"table.learning_sessions": 0}
    out["negotiation.reciprocity=0"] = {"negotiation.reciprocity": 0.0}
    out["negotiation.reciprocity=1"] = {"negotiation.reciprocity": 1.0}
    out["municipality.financial_expertise=0.2"] = {"municipality.financial_expertise": 0.2}
    out["municipality.financial_expertise=0.8"] = {"municipality.financial_expertise": 0.8}
    if base["escalation.enabled"]:
        out["escalation.enabled=false"] = {"escalation.enabled": False}
        out["escalation.allow_skip=" + str(not base["escalation.allow_skip"]).lower()] = {
            "escalation.allow_skip": not base["escalation.allow_skip"]}
        out["escalation.national_cases_per_year x0.25"] = {
            "escalation.national_cases_per_year": base["escalation.national_cases_per_year"] / 4}
        out["escalation.regional_cases_per_year x0.25"] = {
            "escalation.regional_cases_per_year": base["escalation.regional_cases_per_year"] / 4}
        out["escalation.national_money=0"] = {"escalation.national_money": 0.0}
        out["escalation.regional_money=5900"] = {"escalation.regional_money": 5_900.0}
        out["negotiation.meetings_to_deadline=8 (escalate later)"] = {"negotiation.meetings_to_deadline": 8}
    else:
        out["escalation.enabled=true"] = {"escalation.enabled": True}
    return out


def _one(job):
    import sim
    scenario, label, overrides, seed = job
    r = sim.run(scenario, seed=seed, overrides=overrides)
    m = dict(r.metrics)
    esc = r.escalations
    nat = esc[(esc["level"] == "national") & esc["month_admitted"].notna()] if len(esc) else esc
    m["mean_national_wait_months"] = float((nat["month_admitted"] - nat["month_in"]).mean()) if len(nat) else float("nan")
    return {"scenario": scenario, "variant": label, "seed": seed, **{k: m.get(k) for k in OUTCOMES}}


def effects(runs: pd.DataFrame) -> pd.DataFrame:
    """Paired difference of every variant from the baseline, per outcome, with a 95% CI."""
    from experiments.stats import mean_ci, paired_difference
    from sim.outputs import METRICS, NON_NEGATIVE
    rows = []
    base = runs[runs["variant"] == "baseline"].set_index("seed").sort_index()
    for label, g in runs.groupby("variant", sort=False):
        g = g.set_index("seed").sort_index()
        for outcome in OUTCOMES:
            bounds = METRICS[outcome].bounds if outcome in METRICS else NON_NEGATIVE   # or a wait in months
            level = mean_ci(g[outcome], bounds=bounds)
            diff = paired_difference(g[outcome].to_numpy(), base.loc[g.index, outcome].to_numpy(), bounds=bounds)
            rows.append({"variant": label, "outcome": outcome, "mean": level.mean, "diff": diff.mean,
                         "ci_low": diff.low, "ci_high": diff.high, "n": diff.n})
    return pd.DataFrame(rows)


def _markdown(scenario: str, eff: pd.DataFrame, seeds: int, command: str) -> str:
    show = ["homes_agreed", "midrent_agreed", "homes_abandoned", "agreements_lost", "median_months_to_agreement",
            "mean_balance", "conditional_concession", "mean_national_wait_months"]
    lines = [f"# Paired effects on `{scenario}` ({seeds} seeds, common random numbers)", "",
             f"Regenerate: `{command}`", "",
             "Each cell: mean paired difference from the baseline (the scenario as it is) with its 95% CI; "
             "`*` marks an interval that excludes zero. The baseline row gives the baseline's mean.", "",
             "| variant | " + " | ".join(show) + " |", "|---|" + "---|" * len(show)]
    for label, g in eff.groupby("variant", sort=False):
        g = g.set_index("outcome")
        cells = []
        for o in show:
            r = g.loc[o]
            if label == "baseline":
                cells.append(f"{r['mean']:,.2f}" if r["mean"] == r["mean"] else "-")
            elif r["diff"] != r["diff"]:
                cells.append("-")
            else:
                star = "*" if r["ci_low"] > 0 or r["ci_high"] < 0 else ""
                cells.append(f"{r['diff']:+,.2f}{star} [{r['ci_low']:,.1f}, {r['ci_high']:,.1f}]")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenarios", nargs="+")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("results/table-effects"))
    ap.add_argument("--only", nargs="*", help="run only variants whose label contains one of these")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    command = ("python -m experiments.switch_effects " + " ".join(args.scenarios)
               + f" --seeds {args.seeds} --workers {args.workers} --out {args.out}")
    for scenario in args.scenarios:
        vs = variants(scenario)
        if args.only:
            vs = {k: v for k, v in vs.items() if k == "baseline" or any(o in k for o in args.only)}
        jobs = [(scenario, label, o, seed) for label, o in vs.items() for seed in range(args.seeds)]
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            runs = pd.DataFrame(list(pool.map(_one, jobs, chunksize=4)))
        eff = effects(runs)
        eff.insert(0, "scenario", scenario)
        eff.to_csv(args.out / f"{scenario}.csv", index=False)
        text = _markdown(scenario, eff, args.seeds, command)
        (args.out / f"{scenario}.md").write_text(text)
        print(text)


if __name__ == "__main__":
    main()

"""Contrasts and the pattern definitions, on small synthetic sweeps (no model runs).

The pattern experiments themselves are checked by the slow tests (``tests/test_patterns.py``);
these check the arithmetic that turns a sweep into effects with CIs and verdicts, and that
every pattern's contrasts select cells its experiment actually has.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments import pattern_report
from experiments.contrasts import Ceiling, Contrast, Floor, Term, diff, effects, per_replication, tally
from experiments.patterns import PATTERNS, Pattern, experiment, headline
from experiments.stats import mean_ci, paired_difference

REPS = 12


def sweep(effect_of_x, noise=1.0, seed=0) -> pd.DataFrame:
    """Runs of policies A and B at levels x = 0.1 and 0.7, replication r sharing its noise across cells
    (common random numbers); B - A at level x is ``effect_of_x(x)`` plus a little independent noise."""
    rng = np.random.default_rng(seed)
    shared = rng.normal(100.0, 10.0, REPS)
    rows = []
    for x in (0.1, 0.7):
        for policy in ("A", "B"):
            y = shared + (effect_of_x(x) if policy == "B" else 0.0) + rng.normal(0.0, noise, REPS)
            rows += [{"run_id": f"{policy}{x}{r}", "policy": policy, "x": x, "replication": r, "status": "ok",
                      "y": v} for r, v in enumerate(y)]
    return pd.DataFrame(rows)


B_MINUS_A = diff("b-a", "B - A", {"policy": "B"}, {"policy": "A"}, ["y"], {"y": 1})


def test_a_difference_is_the_paired_difference_at_every_level_and_pooled():
    runs = sweep(lambda x: 5.0)
    df = effects(runs, [B_MINUS_A], ["x"]).set_index("context")
    assert list(df.index) == ["x=0.1", "x=0.7", "pooled"]
    for x in (0.1, 0.7):
        cell = runs[runs["x"] == x].pivot(index="replication", columns="policy", values="y")
        expected = paired_difference(cell["B"], cell["A"])
        row = df.loc[f"x={x:g}"]
        assert (row["effect"], row["low"], row["high"], row["n"]) == pytest.approx(
            (expected.mean, expected.low, expected.high, REPS))
        assert row["reference"] == pytest.approx(cell["A"].mean())
        assert row["relative"] == pytest.approx(expected.mean / cell["A"].mean())
    assert df.loc["pooled", "n"] == 2 * REPS
    assert (df["verdict"] == "holds").all()


def test_common_random_numbers_make_the_interval_narrow():
    """The shared noise (sd 10) cancels in the paired difference; only the independent noise (sd 1) is left."""
    df = effects(sweep(lambda x: 2.0), [B_MINUS_A], ["x"])
    pooled = df[df["context"] == "pooled"].iloc[0]
    assert pooled["high"] - pooled["low"] < 2.0


@pytest.mark.parametrize("true_effect, verdict", [(5.0, "holds"), (-5.0, "reversed")])
def test_the_verdict_is_what_the_interval_shows_against_the_expected_sign(true_effect, verdict):
    df = effects(sweep(lambda x: true_effect, noise=0.5), [B_MINUS_A], ["x"], pooled=False)
    assert set(df["verdict"]) == {verdict}


def test_an_interval_across_zero_does_not_tell():
    runs = sweep(lambda x: 0.0, noise=0.0)
    b = runs["policy"] == "B"
    runs.loc[b, "y"] += np.where(runs.loc[b, "replication"] % 2 == 0, 1.0, -1.0)   # differences +1, -1, +1, ...
    row = effects(runs, [B_MINUS_A], ["x"], pooled=False).iloc[0]
    assert row["low"] < 0 < row["high"] and row["verdict"] == "not clear"


def test_an_interaction_is_the_difference_of_the_differences():
    """How much B's advantage grows from x = 0.1 to x = 0.7: four terms."""
    runs = sweep(lambda x: 10.0 * x, noise=0.5)
    rise = Contrast("rise", "rise", (Term(1.0, "B", {"x": 0.7}), Term(-1.0, "A", {"x": 0.7}),
                                     Term(-1.0, "B", {"x": 0.1}), Term(1.0, "A", {"x": 0.1})), ("y",), {"y": 1})
    row = effects(runs, [rise], ["x"]).iloc[0]
    wide = runs.pivot_table(index="replication", columns=["policy", "x"], values="y")
    per_rep = (wide[("B", 0.7)] - wide[("A", 0.7)]) - (wide[("B", 0.1)] - wide[("A", 0.1)])
    expected = mean_ci(per_rep)
    assert row["context"] == "all" and row["n"] == REPS
    assert (row["effect"], row["low"], row["high"]) == pytest.approx((expected.mean, expected.low, expected.high))
    assert row["effect"] == pytest.approx(6.0, abs=1.0) and row["verdict"] == "holds"
    assert np.isnan(row["reference"])   # no single control for four terms


def test_a_floor_holds_when_the_cost_is_surely_small_and_fails_when_surely_large():
    small = diff("c", "B - A", {"policy": "B"}, {"policy": "A"}, ["y"], {"y": Floor(-0.1)})
    assert effects(sweep(lambda x: -2.0, noise=0.2), [small], ["x"], pooled=False)["verdict"].eq("holds").all()
    assert effects(sweep(lambda x: -30.0, noise=0.2), [small], ["x"], pooled=False)["verdict"].eq("fails").all()
    assert str(Floor(-0.1)) == "no lower than -10%"


def test_a_ceiling_judges_a_level_near_zero():
    """One term: the level of an outcome (here A's, about 100), against a ceiling."""
    runs = sweep(lambda x: 0.0)
    level = lambda value: Contrast("a", "A", (Term(1.0, "A", {"x": 0.1}),), ("y",), {"y": Ceiling(value)})
    assert effects(runs, [level(150.0)], ["x"]).iloc[0]["verdict"] == "holds"
    assert effects(runs, [level(50.0)], ["x"]).iloc[0]["verdict"] == "fails"
    row = effects(runs, [level(100.0)], ["x"]).iloc[0]
    assert row["low"] < 100.0 < row["high"] and row["verdict"] == "not clear" and row["expected"] == "below 100"


def test_a_nan_outcome_drops_its_replication_rather_than_counting_zero():
    runs = sweep(lambda x: 5.0)
    runs.loc[(runs["policy"] == "B") & (runs["replication"] == 0), "y"] = np.nan
    df = effects(runs, [B_MINUS_A], ["x"]).set_index("context")
    assert df.loc["x=0.1", "n"] == REPS - 1 and df.loc["pooled", "n"] == 2 * (REPS - 1)


def test_a_term_that_selects_several_runs_per_replication_is_refused():
    runs = sweep(lambda x: 5.0)
    with pytest.raises(ValueError, match="several runs per replication"):
        per_replication(runs, B_MINUS_A, "y", context=[])


def test_tally_counts_the_points_where_the_direction_holds():
    runs = sweep(lambda x: 5.0 if x > 0.5 else -5.0, noise=0.5)
    t = tally(effects(runs, [B_MINUS_A], ["x"])).iloc[0]
    assert (t["contexts"], t["holds"], t["reversed"], t["not clear"], t["fails"]) == (2, 1, 1, 0, 0)


@pytest.mark.parametrize("key", list(PATTERNS))
def test_every_pattern_selects_cells_its_experiments_have(key):
    """A contrast naming a policy or level the experiment lacks would silently compare nothing."""
    p = PATTERNS[key]
    for name, contrasts in ((p.main, p.contrasts), (p.sensitivity, p.checks)):
        exp = experiment(name)
        for c in contrasts:
            for t in c.terms:
                assert t.policy is None or t.policy in exp.policies, (name, c.key, t.policy)
                for param, level in t.levels.items():
                    assert level in exp.parameters[param]["values"], (name, c.key, param, level)
            assert set(c.expect) <= set(c.outcomes)
            assert set(c.outcomes) <= set(exp.outcomes) | set(pattern_report.NOT_DRAWN) | {"midrent_share_agreed"}
    for contrast, outcome, *_ in p.headline + p.guarded:
        assert any(c.key == contrast and outcome in c.outcomes and outcome in c.expect for c in p.contrasts)
    exp = experiment(p.main)
    assert exp.replications >= 30


@pytest.mark.parametrize("key", list(PATTERNS))
def test_the_reduced_experiment_is_smaller_and_keeps_the_cells_the_headline_needs(key):
    p = PATTERNS[key]
    full, small = experiment(p.main), experiment(p.main, p.reduced)
    assert small.name == f"{p.main}-reduced" and small.replications < full.replications
    assert small.months <= full.months
    for contrast, *_ in p.guarded:
        c = next(c for c in p.contrasts if c.key == contrast)
        for t in c.terms:
            assert t.policy is None or t.policy in small.policies
            for param, level in t.levels.items():
                assert level in small.parameters[param]["values"]


def test_headline_takes_the_pooled_row_where_there_are_several_contexts():
    runs = sweep(lambda x: 5.0)
    df = effects(runs, [B_MINUS_A], ["x"])
    fake = Pattern("t", "t", "claim", "m", "s", (B_MINUS_A,), (), (("b-a", "y"),))
    h = headline(fake, df)
    assert list(h["context"]) == ["pooled"]


def test_the_figure_has_one_panel_per_outcome_and_a_key_for_the_verdicts_shown():
    runs = sweep(lambda x: 5.0)
    df = effects(runs, [B_MINUS_A], ["x"])
    fig = pattern_report.forest(df, "title", by_context=True)
    markers = [t for t in fig.data if t.showlegend is False]
    assert len(markers) == 1 and list(markers[0].y) == ["x=0.1", "x=0.7"]   # pooled left out when contexts exist
    assert [t.name for t in fig.data if t.showlegend is not False] == [pattern_report.KEY["holds"]]
    html = pattern_report.page("t", "intro", [fig])
    assert '<script src="../plotly.min.js">' in html


def test_the_effect_table_in_markdown_has_a_row_per_effect_with_its_interval():
    df = effects(sweep(lambda x: 5.0), [B_MINUS_A], ["x"])
    md = pattern_report.table_md(df).splitlines()
    assert len(md) == 2 + len(df)
    assert "| B - A | y | pooled |" in md[-1] and "holds" in md[-1]


# --- the command, through its process ---------------------------------------------------------
def _patterns_command(*args, cwd):
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "experiments.patterns", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_an_unknown_pattern_is_refused_with_the_choices(tmp_path):
    r = _patterns_command("p9", cwd=tmp_path)
    assert r.returncode == 2 and "unknown pattern(s) p9; choose from p1, p2, p3, p4, p5, p6" in r.stderr


def test_a_sweep_directory_of_another_experiment_is_refused_in_a_line_and_left_alone(tmp_path):
    """Nothing runs: the sweep runner refuses to resume another experiment's directory, and the
    command says so in one line (no traceback) and exits 2."""
    from experiments.results import write_header
    from experiments.spec import load_experiment
    other = tmp_path / "sweeps" / "pattern-p1-specificity"
    other.mkdir(parents=True)
    write_header(other, load_experiment("smoke"))
    before = {p.name: p.read_bytes() for p in other.iterdir() if p.is_file()}
    r = _patterns_command("p1", "--sweeps", str(tmp_path / "sweeps"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "made by experiment 'smoke'" in r.stderr
    assert {name: (other / name).read_bytes() for name in before} == before

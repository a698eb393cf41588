"""The sweep report as a reader opens it: offline in headless Chromium, figures holding the stored numbers."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

import sweep_helpers
from experiments import analysis, results
from experiments.stats import mean_ci
from tafelsim.cli import app


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    small = sweep_helpers.small_sweep(tmp)
    out = tmp / "report.html"
    r = CliRunner().invoke(app, ["report", str(small), "--out", str(out)])
    assert r.exit_code == 0, r.output
    return small, out


def test_report_opens_offline_and_its_figures_hold_the_stored_numbers(report, page):
    small, out = report
    outbound, errors = [], []
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
               else (outbound.append(route.request.url), route.abort()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(out.as_uri())
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 3")
    assert outbound == [] and errors == []

    cmp = analysis.compare(small)
    pooled = cmp[cmp["point"].isna() & (cmp["policy"] != cmp["baseline"])]
    traces = page.evaluate("""() => document.getElementById('compare-figure')._fullData.map(t => (
        {y: Array.from(t.y), x: Array.from(t.x), hi: Array.from(t.error_x.array), lo: Array.from(t.error_x.arrayminus)}))""")
    outcomes = list(dict.fromkeys(pooled["outcome"]))
    assert len(traces) == len(outcomes)
    for trace, outcome in zip(traces, outcomes):
        g = pooled[pooled["outcome"] == outcome]
        assert trace["y"] == g["policy"].tolist()
        assert np.allclose(trace["x"], g["diff"], equal_nan=True)
        assert np.allclose(trace["hi"], g["diff_high"] - g["diff"], equal_nan=True)
        assert np.allclose(trace["lo"], g["diff"] - g["diff_low"], equal_nan=True)

    series = results.read_series(small)
    lines = page.evaluate("""() => document.getElementById('series-completed')._fullData
        .filter(t => t.mode === 'lines+markers').map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))""")
    assert {line["name"] for line in lines} == {"as-was", "synchronised", "learning"}
    for line in lines:
        g = series[(series["series"] == "completed") & (series["policy"] == line["name"])]
        want = [mean_ci(g.loc[g["year"] == year, "value"]).mean for year in line["x"]]
        assert np.allclose(line["y"], want)

    text = page.inner_text("body")
    assert "Findings" in text and "95% CI" in text and "small" in text
    assert "Three table designs" in text            # the experiment's description


def test_findings_are_honest_about_intervals_that_include_zero():
    from experiments.report import finding
    row = {"policy": "synchronised", "baseline": "as-was", "outcome": "median_months_to_agreement", "n_pairs": 20,
           "diff": -2.1, "diff_low": -2.6, "diff_high": -1.6}
    assert finding(row) == ("synchronised shortens median months from a location case's opening to its agreement "
                            "(median_months_to_agreement) by 2.1 months (95% CI 1.6-2.6) compared with as-was "
                            "(n = 20 pairs).")
    unsure = dict(row, diff=0.4, diff_low=-1.2, diff_high=2.0)
    assert finding(unsure).startswith("We cannot tell whether synchronised changes")
    assert "includes no change" in finding(unsure)
    more = dict(row, outcome="homes_agreed", diff=120.0, diff_low=40.0, diff_high=200.0)
    assert "raises homes in agreements that bound" in finding(more) and "by 120 homes (95% CI 40-200)" in finding(more)


def test_markdown_report_carries_the_findings_and_the_comparison(report, tmp_path):
    small, _ = report
    md = tmp_path / "small.md"
    r = CliRunner().invoke(app, ["report", str(small), "--out", str(md)])
    assert r.exit_code == 0, r.output
    text = md.read_text()
    from experiments.report import content
    c = content(small)
    assert all(f in text for f in c.findings) and "## Comparison with the baseline" in text
    learning = c.compare[c.compare["point"].isna() & (c.compare["policy"] == "learning")
                         & (c.compare["outcome"] == "homes_agreed")].iloc[0]
    from experiments.analysis import num
    assert f"| homes_agreed | learning | {num(learning['mean'])} | {num(learning['diff'])} |" in text
    r = CliRunner().invoke(app, ["report", str(small), "--out", str(tmp_path / "missing" / "r.html")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_sensitivity_findings_name_what_clears_the_noise_floor():
    import pandas as pd
    from experiments.report import sensitivity_findings
    rows = [("a", 0.5, 0.4, 0.6, True), ("b", 0.04, 0.0, 0.09, False), ("dummy", 0.03, 0.0, 0.06, False)]
    sens = pd.DataFrame([{"method": "sobol", "outcome": o, "policy": "base", "parameter": n, "ST": v, "ST_low": lo,
                          "ST_high": hi, "rank": i + 1, "above_dummy": above and o == "homes_agreed"}
                         for o in ("homes_agreed", "mean_balance") for i, (n, v, lo, hi, above) in enumerate(rows)])
    clear, hidden = sensitivity_findings(sens, "base")
    assert clear.startswith("For homes_agreed under base, the most influential parameter is a (total Sobol index 0.5")
    assert "not distinguishable from the model's noise (the dummy's, up to 0.06): b." in clear
    assert hidden.startswith("For mean_balance under base, no parameter's total Sobol index clears the noise floor")

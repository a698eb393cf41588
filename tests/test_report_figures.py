"""The report's figures as a reader sees them when a sweep compares many policies: every policy
is named on the comparison's axis (in the experiment's order, top down) and has its own colour
in the yearly series."""

from __future__ import annotations

import numpy as np
import pandas as pd

from experiments.analysis import compare_figure
from experiments.report import series_figure

POLICIES = [f"policy-{i:02d}" for i in range(15)]


def test_every_policy_is_named_on_each_comparison_panel_top_down():
    rows = [{"outcome": o, "policy": p, "baseline": POLICIES[0], "point": np.nan, "diff": i - 7.0,
             "diff_low": i - 8.0, "diff_high": i - 6.0, "n_pairs": 12}
            for o in ("homes_agreed", "mean_balance") for i, p in enumerate(POLICIES[1:])]
    fig = compare_figure(pd.DataFrame(rows))
    axes = [fig.layout[k] for k in fig.layout if k.startswith("yaxis")]
    assert len(axes) == 2
    for ax in axes:
        assert list(ax.tickvals) == POLICIES[1:] and list(ax.categoryarray) == POLICIES[1:]
        assert ax.autorange == "reversed"
    assert fig.layout.height >= 2 * 20 * len(POLICIES[1:])   # room for a label per policy on each panel


def test_each_policy_has_its_own_colour_in_the_series():
    series = pd.DataFrame([{"series": "agreed", "segment": "", "policy": p, "year": y, "value": float(y + i)}
                           for i, p in enumerate(POLICIES) for y in (2023, 2024) for _ in range(3)])
    fig = series_figure(series, "agreed", POLICIES)
    lines = [t for t in fig.data if t.mode == "lines+markers"]
    assert [t.name for t in lines] == POLICIES
    assert len({t.line.color for t in lines}) == len(POLICIES)

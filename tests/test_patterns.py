"""The six patterns of the seeds (MODEL.md section 7), each rerun in a reduced version: does its
direction still hold, with its 95% CI? A change to the model that breaks a pattern fails here.

Marked slow (1 min 24 s with -n 2 on a quiet 2-core machine; results/patterns/README.md), and
part of the default run and CI because it fits CI's time; alone:

    python -m pytest -m slow -n 2

The full experiments and their verdicts are in results/patterns/ (``python -m experiments.patterns``).
Each test checks ``Pattern.guarded``: for P4, whose whole-ladder effect does not hold, only the
regional tables' rise, which does.
"""

from __future__ import annotations

import pytest

from experiments.patterns import PATTERNS, reduced_check

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("key", list(PATTERNS))
def test_pattern_direction_holds_in_a_reduced_rerun(key, tmp_path):
    pattern = PATTERNS[key]
    rows = reduced_check(pattern, tmp_path, workers=2)   # P4 (80 woondeal-ladder runs) is the long pole
    assert len(rows) == len(pattern.guarded)
    for r in rows.itertuples():
        assert r.n >= pattern.reduced.get("replications", 30), (key, r.contrast, r.outcome, r.n)
        assert r.verdict == "holds", (f"{key} {r.label}, {r.outcome}: {r.effect:.4g} (95% CI {r.low:.4g} to "
                                      f"{r.high:.4g}), expected {r.expected}")

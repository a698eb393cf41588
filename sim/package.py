"""The package a table negotiates: the case's plan and the variants the parties can trade to.

MODEL.md 5.1 names the issues; the model negotiates five of them for a location case:

- **mix**: mid-rent homes turned into free-sector homes, or free-sector homes into mid-rent,
  in steps of ``negotiation.mix_step`` of the case's homes (the social share stays: it is the
  corporation's and the vision's);
- **rent**: the mid-rent rent, at the highest rent allowed (the market rent, capped) or
  ``negotiation.rent_step`` or twice that below it;
- **commitment**: the years the homes stay mid-rent, the municipality's demand
  (``municipality.midrent_commitment_years``) or ``negotiation.commitment_step`` years less or more;
- **priority**: whether the municipality fast-tracks the procedure (a counter-performance,
  MODEL.md 5.1: "procedure speed");
- **land price**: the transfer that divides the surplus. It is continuous and is not a
  dimension of the variant grid: each party's claim in EUR per home carries it
  (``sim/negotiation.py``).

A variant is one combination of the first four; the grid is small (at most 3 x 3 x 3 x 2),
so every party values all variants at once with numpy (``sim/valuation.py``). A general
question has no concrete plan to work on: its space is the plan alone. A performance
agreement's issues are the procedure priority and the land price of its social homes.
The national table may widen the mix (``escalation.max_mix_change``): "changes the case".
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np


@dataclass(frozen=True)
class PackageSpace:
    """The variants of one case's package, as parallel arrays (one entry per variant)."""

    mix_level: np.ndarray        # steps of mix_step: + more mid-rent, - more free-sector
    rent_level: np.ndarray       # 0 = highest allowed rent, 1, 2 = one or two rent steps below
    commitment_level: np.ndarray  # -1, 0, +1 commitment steps from the municipality's demand
    commitment: np.ndarray       # years the homes stay mid-rent
    priority: np.ndarray         # 1: the municipality fast-tracks the procedure
    mid_share: np.ndarray        # mid-rent share of the homes
    free_share: np.ndarray
    social_share: float
    rent_step: float
    plan: int                    # index of the municipality's plan (where the text starts)
    levels: tuple = ()           # the levels of each issue; spaces with the same levels share their neighbours

    @property
    def size(self) -> int:
        return len(self.mix_level)

    def rent_factor(self) -> np.ndarray:
        """Mid-rent rent as a share of the highest allowed rent."""
        return 1.0 - self.rent_step * self.rent_level

    def neighbours(self, v: int) -> np.ndarray:
        """Variants one step away on one issue (the single text moves one issue at a time)."""
        return _neighbours(self.levels)[v]

    @property
    def stacked(self) -> np.ndarray:
        """Mid share, free share, rent level, commitment and priority as one (5, variants) array."""
        if "_stacked" not in self.__dict__:
            stacked = np.array([self.mid_share, self.free_share, self.rent_level, self.commitment, self.priority])
            stacked.flags.writeable = False
            object.__setattr__(self, "_stacked", stacked)
        return self.__dict__["_stacked"]

    def describe(self, v: int) -> dict:
        return {"mix_level": int(self.mix_level[v]), "rent_level": int(self.rent_level[v]),
                "commitment_years": float(self.commitment[v]), "priority": bool(self.priority[v])}


@lru_cache(maxsize=None)
def _neighbours(levels: tuple) -> list:
    """Neighbours of every variant of a grid with these levels per issue (in the order of ``_grid``)."""
    grid = np.stack(_grid(levels)[:4], axis=1)                       # (variants, issues)
    step = np.abs(grid[:, None, :] - grid[None, :, :]).sum(axis=2)
    return [(row == 1).nonzero()[0] for row in step]


def space_for(case, p: dict, concrete: bool, mix_levels: int = 1, shared=None) -> PackageSpace:
    """The variants open to ``case``: only its plan when the question is general.

    ``mix_levels`` is how many mix steps each way are on the table (the national table may
    allow more towards free-sector homes: ``escalation.max_mix_change``). ``shared``: the spaces
    cases hold now (the model's, by weak reference, so that a space no case holds is freed);
    cases with the same homes on the same terms then share one space (its arrays are
    read-only), and with it the padded grids ``value_cases`` reads.
    """
    key = (case.kind == "performance", concrete, case.homes["social"], case.homes["midrent"], case.homes["free"],
           mix_levels, p["negotiation.mix_step"], p["negotiation.rent_step"],
           p["municipality.midrent_commitment_years"], p["negotiation.commitment_step"],
           p["negotiation.priority_months"] > case.process_help)
    if shared is None:
        return _space(*key)
    space = shared.get(key)
    if space is None:
        space = shared[key] = _space(*key)
    return space


def _space(performance: bool, concrete: bool, social: int, midrent: int, free: int, mix_levels: int,
           step: float, rent_step: float, t0: float, step_t: float, priority: bool) -> PackageSpace:
    n = (social + midrent + free) or 1
    soc, mid0, free0 = social / n, midrent / n, free / n
    if performance or not concrete:
        mixes, rents, commitments = (0,), (0,), (0,)
    else:
        mixes = tuple(m for m in range(-mix_levels, 2) if -1e-9 <= mid0 + m * step <= mid0 + free0 + 1e-9)
        mixes = mixes if step > 0 else (0,)
        rents = (0, 1, 2) if (mid0 > 0 or free0 > 0) and rent_step > 0 else (0,)
        commitments = tuple(k for k in (-1, 0, 1) if t0 + k * step_t >= 0) if (mid0 > 0 or free0 > 0) and step_t > 0 \
            else (0,)
    priorities = (0, 1) if concrete and priority else (0,)
    levels = (mixes, rents, commitments, priorities)
    mix, rent, commitment, priority_level, plan = _grid(levels)
    # np.minimum(np.maximum(...)) is np.clip, value for value, at half the cost on arrays this small
    mid = np.minimum(np.maximum(mid0 + mix * step, 0.0), 1.0 - soc)
    arrays = dict(commitment=_commitments(levels, t0, step_t), mid_share=mid,
                  free_share=np.minimum(np.maximum(1.0 - soc - mid, 0.0), 1.0))
    mid.flags.writeable = False
    arrays["free_share"].flags.writeable = False
    return PackageSpace(mix_level=mix, rent_level=rent, commitment_level=commitment, priority=priority_level,
                        social_share=soc, rent_step=rent_step, plan=plan, levels=levels, **arrays)


@lru_cache(maxsize=None)
def _commitments(levels: tuple, t0: float, step_t: float) -> np.ndarray:
    """Years of commitment of each variant of the grid (shared by every space with these levels)."""
    out = t0 + _grid(levels)[2] * step_t
    out.flags.writeable = False
    return out


@lru_cache(maxsize=None)
def _grid(levels: tuple) -> tuple:
    """The variant grid of these levels per issue (itertools.product order) as read-only arrays,
    and the index of the plan (every issue at level 0)."""
    grid = list(itertools.product(*levels))
    arrays = [np.array([g[k] for g in grid], dtype=float) for k in range(4)]
    for a in arrays:
        a.flags.writeable = False
    return (*arrays, grid.index((0, 0, 0, 0)))

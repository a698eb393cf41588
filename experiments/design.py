"""Design points of an experiment: factorial grids, Latin hypercubes, Sobol (Saltelli) and Morris.

Sampling happens in the unit hypercube (scipy.stats.qmc for lhs, SALib for sobol and
morris) and each column is then mapped onto its parameter's range through the inverse
of its distribution. The unit sample is kept: SALib's analysis of a Sobol or Morris
design needs the design exactly as it was drawn, before integer parameters are rounded.
Sobol and Morris designs carry a ``dummy`` column that the model never sees; its
sensitivity index is the noise floor of the others.

A parameter given as levels (a table switch, a choice, or chosen values) is drawn
uniformly among them: the unit value u picks level floor(u * k) of k. On a Morris grid
of 6 levels a switch of two or three levels is then visited evenly and every step of the
design changes it (with 4 levels, a three-way choice is visited 0, 1, 2, 2).
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd

from sim.params import PARAMETERS


def salib_problem(names: list[str]) -> dict:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


def unit_sample(kind: str, names: list[str], design: dict) -> np.ndarray:
    """Rows of the design in [0, 1]^len(names), in the order SALib's analysis expects."""
    problem = salib_problem(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SALib's notes on convergence properties; sizes are validated already
        if kind == "lhs":
            from scipy.stats import qmc
            return qmc.LatinHypercube(d=len(names), seed=design["seed"]).random(design["n"])
        if kind == "sobol":
            from SALib.sample import sobol
            return sobol.sample(problem, design["n"], calc_second_order=False, seed=design["seed"])
        if kind == "morris":
            from SALib.sample import morris
            return morris.sample(problem, design["trajectories"], num_levels=design["levels"], seed=design["seed"])
    raise ValueError(f"no unit sample for a {kind} design")


def scale(spec: dict, u: np.ndarray) -> np.ndarray:
    """Map unit values onto a parameter's range through its distribution's inverse CDF."""
    low, high = spec["low"], spec["high"]
    dist = spec.get("distribution", "uniform")
    if dist == "uniform":
        return np.clip(low + u * (high - low), low, high)   # low + 1 * (high - low) can exceed high by an ulp
    from scipy import stats
    if dist == "triangular":
        x = stats.triang(c=(spec["mode"] - low) / (high - low), loc=low, scale=high - low).ppf(u)
    elif dist == "normal":
        mean, sd = spec["mean"], spec["sd"]
        x = stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd).ppf(u)
    else:
        raise ValueError(f"unknown distribution {dist!r}")
    return np.clip(x, low, high)   # the inverse CDFs can miss the bounds by a rounding error


def levels(values: list, u: np.ndarray) -> list:
    """Levels drawn uniformly by unit values (u = 1 takes the last)."""
    k = len(values)
    return [values[i] for i in np.minimum(np.floor(u * k + 1e-9).astype(int), k - 1)]


def _typed(name: str, values: np.ndarray) -> list:
    if name in PARAMETERS and PARAMETERS[name].kind is int:
        return [int(v) for v in np.rint(values)]
    return [float(v) for v in values]


def design_points(exp) -> pd.DataFrame:
    """One row per design point: ``point`` and one column per varied name (``exp.varied``)."""
    kind = exp.design["type"]
    names = list(exp.parameters)
    if kind == "factorial":
        grid = list(itertools.product(*(exp.parameters[n]["values"] for n in names)))
        cols = {n: [row[i] for row in grid] for i, n in enumerate(names)}
        return pd.DataFrame({"point": range(len(grid)), **cols})
    u = unit_sample(kind, exp.varied, exp.design)
    cols = {n: levels(exp.parameters[n]["values"], u[:, i]) if "values" in exp.parameters[n]
            else _typed(n, scale(exp.parameters[n], u[:, i])) for i, n in enumerate(names)}
    if kind in ("sobol", "morris"):
        cols[exp.varied[-1]] = [float(v) for v in u[:, -1]]
    return pd.DataFrame({"point": range(len(u)), **cols})

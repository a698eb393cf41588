"""The signatories' numbers of ``tables.view`` compiled: every party's reservation, stake and guess in one kernel.

Why: a view asks each kind of party for its reservations over the cases it signs (``agents/*``),
some 60 numpy operations on small arrays per view and half a dozen views a month; in a 12-city
run that is about a fifth of the month, nearly all of it numpy's work per call
(results/benchmarks/README.md). The kernel does the same arithmetic case by case and slot by slot,
and gives the same numbers bit for bit: every operation is the agents' own, in their order
(``np.maximum``'s and ``np.minimum``'s handling of NaN as in ``sim.negotiation_kernel``).
Powers are taken by numpy before the kernel runs, with the agents' own expressions on the same
rows (an investor's own and market-standard value of its homes, a municipality's annuity of
the rent its tenants save): numpy's ``pow`` may differ from libm's on some CPUs, so the kernel
takes none. ``tests/test_view_kernel.py`` checks the equality on whole runs of every built-in
scenario and table format.

The agents' numpy formulas stay the reference (``Actor.reservations``, ``stakes``): they serve the
processes that have not loaded the kernels (``negotiation.use_kernel``), and a change to one of
them must be made here too, which the test enforces.
"""

from __future__ import annotations

import numba
import numpy as np

from agents import base
from sim import economics as eco
from sim.negotiation_kernel import _maximum, _minimum

# numba's cache keeps the values of the globals a kernel read when it was compiled (see
# sim/negotiation_kernel.py): the constant is written here and checked against the agents'.
BLOCKED = 1e12
MUNICIPALITY, CORPORATION, INVESTOR, DEVELOPER, TENANT = 0, 1, 2, 3, 4


def check_constants(agents_base=base) -> None:
    """Raise if this module's constants differ from the agents' (``agents.base.BLOCKED``, the slot order)."""
    from sim.valuation import KINDS
    if BLOCKED != agents_base.BLOCKED or KINDS != ("municipality", "corporation", "investor", "developer", "tenant"):
        raise RuntimeError("sim/view_kernel.py: its constants differ from agents/base.py's or the slot order "
                           "of sim/valuation.py; make them the same (numba's cache would keep the old ones)")


check_constants()


def _full(shape, rows, values) -> np.ndarray:
    out = np.zeros(shape)
    out[rows] = values
    return out


def slot_values(val, agents: list, seated: np.ndarray, absent: np.ndarray, guesses: bool, p: dict):
    """``own``, ``stake`` and (``guesses``) ``standard`` of ``tables.view``, shape (cases, 5, columns),
    from the same inputs as the agents' formulas: ``val`` (a ``Valuation``), each slot's agent and
    whether it is seated or an absent signatory (``tables.slot_rows``)."""
    m, width = val.size
    signs = seated | absent
    attr = np.zeros((m, 5))       # each slot's own number: vision, required return, yield, margin, stance
    std = np.zeros((m, 5))        # and its market-standard one where it differs (a developer's margin)
    horizon = np.zeros(m)
    annuity = np.zeros((m, width))
    d_own = np.zeros((m, width))   # (1 + k)^-years of an investor's own yield k, and of the market's
    d_std = np.zeros((m, width))
    k_own = np.ones(m)
    rows = [signs[:, k].nonzero()[0] for k in range(5)]
    who = [[agents[r][k] for r in rs.tolist()] for k, rs in enumerate(rows)]
    if len(rows[MUNICIPALITY]):
        r = rows[MUNICIPALITY]
        attr[r, MUNICIPALITY] = [a.vision_strength for a in who[MUNICIPALITY]]
        annuity[r] = eco.annuity(val.commitment[r], p["municipality.discount_rate"])
    if len(rows[CORPORATION]):
        attr[rows[CORPORATION], CORPORATION] = [a.required_return for a in who[CORPORATION]]
    if len(rows[INVESTOR]):
        r = rows[INVESTOR]
        base_k = np.array([a.base_return for a in who[INVESTOR]], dtype=float).reshape(-1, 1)
        k = base_k * val.k_investor[r] / p["investor.required_return"]       # Investor.reservations' k
        k_own[r] = k[:, 0]
        horizon[r] = [a.commitment_horizon for a in who[INVESTOR]]
        d_own[r] = (1.0 + k) ** (-np.asarray(val.commitment[r], dtype=float))   # eco.capitalised_value's
        g = r[absent[r, INVESTOR]] if guesses else r[:0]
        if len(g):
            d_std[g] = (1.0 + val.k_investor[g]) ** (-np.asarray(val.commitment[g], dtype=float))
    if len(rows[DEVELOPER]):
        r = rows[DEVELOPER]
        attr[r, DEVELOPER] = [a.required_margin(False) for a in who[DEVELOPER]]
        std[r, DEVELOPER] = [a.required_margin(True) for a in who[DEVELOPER]]
    if len(rows[TENANT]):
        attr[rows[TENANT], TENANT] = [a.critical_stance for a in who[TENANT]]
    floats = lambda a: np.ascontiguousarray(a, dtype=np.float64)     # noqa: E731  (one signature for every batch)
    flags = lambda a: np.ascontiguousarray(a, dtype=np.bool_)        # noqa: E731
    column = lambda a: floats(a[:, 0])                               # noqa: E731  an (M, 1) column as (M,)
    own, stake, standard = _slot_values(
        flags(seated), flags(absent), bool(guesses), floats(val.mid_share), floats(val.free_share),
        column(val.social_share), floats(val.commitment), floats(val.priority), column(val.market_rent),
        floats(val.rent), floats(val.v_mid), column(val.v_soc), column(val.owner_land_price),
        column(val.land_development_cost), column(val.social_land_price), column(val.social_rent),
        flags(val.municipal_land[:, 0]), flags(val.developer_land[:, 0]), column(val.k_investor),
        float(val.k_corporation), float(val.operating_cost_share), float(val.tenant_discount),
        attr, std, horizon, annuity, d_own, d_std, k_own,
        float(p["municipality.midrent_value"]), float(p["municipality.vision_strength"]),
        float(p["economics.public_cost_share"]), float(p["municipality.priority_cost"]),
        float(p["investor.commitment_horizon"]), float(p["developer.land_premium"]))
    return own, stake, (standard if guesses else None)


def warm_up() -> None:
    """Load (or, the first time on a machine, compile) the kernel now, on one small case."""
    m, w = 1, 2
    z = np.zeros((m, w))
    c = np.zeros(m)
    _slot_values(np.ones((m, 5), np.bool_), np.zeros((m, 5), np.bool_), True, z, z, c, z, z, c, z, z, c, c, c, c,
                 c, np.zeros(m, np.bool_), np.zeros(m, np.bool_), np.full(m, 0.04), 0.04, 0.25, 10.0,
                 np.zeros((m, 5)), np.zeros((m, 5)), c, z, z, z, np.ones(m), 1.0, 0.5, 0.5, 1.0, 15.0, 0.5)


@numba.njit(cache=True)
def _slot_values(seated, absent, guesses, mid, free, soc, commitment, priority, market, rent, v_mid, v_soc, p_own,
                 land_dev, social_land, social_rent, municipal_land, developer_land, k_inv, k_corp, opex, discount,
                 attr, std, horizon, annuity, d_own, d_std, k_own, midrent_value, vision_standard,
                 public_cost_share, priority_cost, horizon_standard, land_premium):
    m, width = mid.shape
    own = np.zeros((m, 5, width))
    stake = np.zeros((m, 5, width))
    standard = np.zeros((m, 5, width))
    keep = 1.0 - opex
    for i in range(m):
        for k in range(5):
            if not (seated[i, k] or absent[i, k]):
                continue
            guess = guesses and absent[i, k]
            for v in range(width):
                if k == MUNICIPALITY:        # Municipality.reservations, .stakes
                    gap = 12.0 * _maximum(0.0, market[i] - rent[i, v]) * annuity[i, v]
                    a = attr[i, k] * mid[i, v] * (midrent_value + gap)
                    res = _municipal(a, mid[i, v], free[i, v], soc[i], p_own[i], social_land[i], land_dev[i],
                                     priority[i, v], municipal_land[i], public_cost_share, priority_cost)
                    own[i, k, v] = res
                    stake[i, k, v] = p_own[i] if municipal_land[i] else land_dev[i]
                    if guess:
                        a_std = a / max(attr[i, k], 1e-12) * vision_standard
                        standard[i, k, v] = _municipal(a_std, mid[i, v], free[i, v], soc[i], p_own[i], social_land[i],
                                                       land_dev[i], priority[i, v], municipal_land[i],
                                                       public_cost_share, priority_cost)
                elif k == CORPORATION:       # Corporation.reservations, .stakes (the standard needs nothing)
                    value = 12.0 * social_rent[i] * keep / _maximum(attr[i, k], 1e-3)
                    own[i, k, v] = soc[i] * _maximum(0.0, v_soc[i] - value)
                    stake[i, k, v] = soc[i] * v_soc[i]
                elif k == INVESTOR:          # Investor.reservations, .stakes
                    now, later = 12.0 * rent[i, v] * keep, 12.0 * market[i] * keep
                    kk = k_own[i]
                    d = d_own[i, v]
                    value = now * (1.0 - d) / kk + later * d / kk
                    blocked = mid[i, v] > 0 and commitment[i, v] > horizon[i] + 1e-9
                    own[i, k, v] = BLOCKED if blocked else mid[i, v] * (v_mid[i, v] - value)
                    stake[i, k, v] = mid[i, v] * v_mid[i, v]
                    if guess:
                        kk, d = k_inv[i], d_std[i, v]
                        value = now * (1.0 - d) / kk + later * d / kk
                        blocked = mid[i, v] > 0 and commitment[i, v] > horizon_standard + 1e-9
                        standard[i, k, v] = BLOCKED if blocked else mid[i, v] * (v_mid[i, v] - value)
                elif k == DEVELOPER:         # Developer.reservations (its stake)
                    premium = land_premium * _maximum(0.0, p_own[i] - land_dev[i])
                    own[i, k, v] = _developer(attr[i, k], mid[i, v], v_mid[i, v], soc[i], v_soc[i], premium,
                                              developer_land[i])
                    stake[i, k, v] = own[i, k, v]
                    if guess:
                        standard[i, k, v] = _developer(std[i, k], mid[i, v], v_mid[i, v], soc[i], v_soc[i], premium,
                                                       developer_land[i])
                else:                        # TenantOrganisation.reservations (its stake; no standard of its own)
                    yearly = attr[i, k] * discount * 12.0 * keep
                    res = yearly * (mid[i, v] / k_inv[i] + soc[i] / k_corp)
                    own[i, k, v] = res
                    stake[i, k, v] = res
                    if guess:
                        standard[i, k, v] = res
    return own, stake, standard


@numba.njit(cache=True, inline="always")
def _municipal(a, mid, free, soc, p_own, social_land, land_dev, priority, own_land, public_cost_share, priority_cost):
    """``Municipality.reservations`` of one variant, given its affordability value ``a``."""
    if own_land:
        floor = free * p_own + soc * social_land - land_dev
        res = _maximum(-a, floor) if mid > 0 else floor
    else:
        res = -_minimum(a, public_cost_share * land_dev)
    return res + priority * priority_cost


@numba.njit(cache=True, inline="always")
def _developer(margin, mid, v_mid, soc, v_soc, premium, own_land):
    """``Developer.reservations`` of one variant."""
    claim = margin * (mid * v_mid + soc * v_soc)
    return claim + premium if own_land else claim

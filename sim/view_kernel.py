"""The view of a month's cases compiled: the valuation, every signatory's numbers, a table's reading of them.

Why: valuing cases takes some 30 numpy operations (``valuation.valued``), asking each kind of
party for its reservations some 60 more (``tables.slot_values``, the agents' formulas), a
table's reading of them with the openings some 40 (``View.table_res``, ``View.openings``) and
the parties' guardedness some 15 (``tables.guarded``), on small arrays, in half a dozen views a
month; in a 12-city run that was about a third of the month, nearly all of it numpy's work per
call (results/benchmarks/README.md). The kernels do the
same arithmetic case by case and slot by slot, and give the same numbers bit for bit: every
operation is numpy's, in its order (``np.maximum``'s and ``np.minimum``'s handling of NaN as in
``sim.negotiation_kernel``; numpy's sums over five slots are sequential). Powers are taken by
numpy before a kernel runs, with the same expressions on the same rows (a home's value at a
yield over its commitment through ``economics.discount``, as ``capitalised_value`` takes it;
earlier delivery; a municipality's annuity of the rent its tenants save): numpy's ``pow`` may
differ from libm's on some CPUs, so no kernel takes one.
``tests/test_view_kernel.py`` checks the equality on whole runs of every built-in scenario and
table format and on random settings of the formulas' parameters.

numpy's code stays the reference: it serves the processes that have not loaded the kernels
(``negotiation.use_kernel``), and a change to a formula there must be made here too, which the
test enforces.
"""

from __future__ import annotations

import numba
import numpy as np

from agents import Investor, base
from sim import economics as eco
from sim.negotiation_kernel import _flags, _floats, _maximum, _minimum

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


def _column(a) -> np.ndarray:
    """An (M, 1) column of a valuation as a float argument of shape (M,)."""
    return _floats(a[:, 0])


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
        k = Investor.own_yields(val, r, who[INVESTOR])
        k_own[r] = k[:, 0]
        horizon[r] = [a.commitment_horizon for a in who[INVESTOR]]
        d_own[r] = eco.discount(k, val.commitment[r])
        g = r[absent[r, INVESTOR]] if guesses else r[:0]
        if len(g):
            d_std[g] = eco.discount(val.k_investor[g], val.commitment[g])
    if len(rows[DEVELOPER]):
        r = rows[DEVELOPER]
        attr[r, DEVELOPER] = [a.required_margin(False) for a in who[DEVELOPER]]
        std[r, DEVELOPER] = [a.required_margin(True) for a in who[DEVELOPER]]
    if len(rows[TENANT]):
        attr[rows[TENANT], TENANT] = [a.critical_stance for a in who[TENANT]]
    own, stake, standard = _slot_values(
        _flags(seated), _flags(absent), bool(guesses), _floats(val.mid_share), _floats(val.free_share),
        _column(val.social_share), _floats(val.commitment), _floats(val.priority), _column(val.market_rent),
        _floats(val.rent), _floats(val.v_mid), _column(val.v_soc), _column(val.owner_land_price),
        _column(val.land_development_cost), _column(val.social_land_price), _column(val.social_rent),
        _flags(val.municipal_land[:, 0]), _flags(val.developer_land[:, 0]), _column(val.k_investor),
        float(val.k_corporation), float(val.operating_cost_share), float(val.tenant_discount),
        attr, std, horizon, annuity, d_own, d_std, k_own,
        float(p["municipality.midrent_value"]), float(p["municipality.vision_strength"]),
        float(p["economics.public_cost_share"]), float(p["municipality.priority_cost"]),
        float(p["investor.commitment_horizon"]), float(p["developer.land_premium"]))
    return own, stake, (standard if guesses else None)


def table_numbers(vw, margin: np.ndarray, padding: np.ndarray, p: dict) -> tuple[np.ndarray, np.ndarray]:
    """``View.table_res(margin)`` and ``View.openings(res, padding)`` of ``tables.assemble``: the
    reservations as each table sees them and the seated parties' first demands (cases x 5 x columns)."""
    val = vw.val
    m, width = val.size
    seated = vw.seated
    k_own, k_padded = np.ones(m), np.ones(m)
    d_own, d_padded = np.zeros((m, width)), np.zeros((m, width))
    required = np.zeros(m)
    inv = seated[:, INVESTOR].nonzero()[0]
    if len(inv):                  # Investor.asks' yields and their powers, on the same rows
        k = Investor.own_yields(val, inv, [vw.agents[r][INVESTOR] for r in inv.tolist()])
        padded = k * (1.0 + padding[inv, INVESTOR][:, None])
        k_own[inv], k_padded[inv] = k[:, 0], padded[:, 0]
        d_own[inv] = eco.discount(k, val.commitment[inv])
        d_padded[inv] = eco.discount(padded, val.commitment[inv])
    corp = seated[:, CORPORATION].nonzero()[0]
    if len(corp):
        required[corp] = [vw.agents[r][CORPORATION].required_return for r in corp.tolist()]
    standard = vw.standard if vw.standard is not None else np.zeros(vw.own.shape)
    return _table_numbers(
        _flags(seated), _flags(vw.absent), _flags(vw.known()), _floats(vw.own), _floats(vw.stake),
        _floats(standard), _floats(vw.position), _floats(margin), float(vw.board_margin), _floats(padding),
        _floats(val.mid_share), _column(val.social_share), _column(val.social_rent), _floats(val.rent),
        _column(val.market_rent), float(val.operating_cost_share), k_own, k_padded, d_own, d_padded, required)


@numba.njit(cache=True)
def _table_numbers(seated, absent, known, own, stake, standard, position, margin, board_margin, padding, mid, soc,
                   social_rent, rent, market, opex, k_own, k_padded, d_own, d_padded, required):
    m, slots, width = own.shape
    res = np.zeros((m, slots, width))
    opening = np.zeros((m, slots, width))
    keep = 1.0 - opex
    for i in range(m):
        for k in range(slots):
            if seated[i, k]:
                pad = padding[i, k]
                corporation_ask = 0.0
                if k == CORPORATION:         # Corporation.asks: a return ``pad`` above its own
                    kk = _maximum(required[i], 1e-3)
                    net = 12.0 * social_rent[i] * keep
                    corporation_ask = soc[i] * (net / _maximum(kk, 1e-3) - net / _maximum(kk * (1.0 + pad), 1e-3))
                for v in range(width):
                    s = stake[i, k, v]
                    r = own[i, k, v] + (position[i, k] + margin[i]) * s
                    if k == INVESTOR:        # Investor.asks: a yield ``pad`` above its own
                        now, later = 12.0 * rent[i, v] * keep, 12.0 * market[i] * keep
                        d1, d2, k1, k2 = d_own[i, v], d_padded[i, v], k_own[i], k_padded[i]
                        ask = mid[i, v] * ((now * (1.0 - d1) / k1 + later * d1 / k1)
                                           - (now * (1.0 - d2) / k2 + later * d2 / k2))
                    elif k == CORPORATION:
                        ask = corporation_ask
                    else:                    # Actor.asks: ``pad`` of its stake
                        ask = pad * s
                    res[i, k, v] = r
                    opening[i, k, v] = _maximum(r, own[i, k, v] + ask + position[i, k] * s)
            elif absent[i, k]:
                for v in range(width):
                    s = stake[i, k, v]
                    guess = own[i, k, v] + position[i, k] * s if known[i, k] else standard[i, k, v]
                    res[i, k, v] = guess + board_margin * s
    return res, opening


def guardedness(trust: np.ndarray, insight: np.ndarray, base: np.ndarray, seated: np.ndarray,
                vertical: np.ndarray, muni_chair: np.ndarray, p: dict) -> np.ndarray:
    """``tables.guarded``: each seated party's guardedness (cases x 5) from what ``guardedness_rows`` gathered."""
    w = float(p["trust.vertical_weight"])
    return _guardedness(_floats(trust), _floats(insight), _floats(base), _flags(seated), _flags(vertical),
                        _flags(muni_chair), float(p["trust.initial"]), w, (1.0 - w) * p["trust.vertical_anchor"])


@numba.njit(cache=True)
def _guardedness(trust, insight, base, seated, vertical, muni_chair, initial, w, anchored):
    """(1 - trust) * (1 - insight) per seated slot: its mean trust in the other seated slots (in the
    municipality's under a municipal chair), at a vertical table ``w`` of it and ``anchored`` besides."""
    m, n = seated.shape
    out = np.zeros((m, n))
    for i in range(m):
        for a in range(n):
            if not seated[i, a]:
                continue
            total, count = 0.0, 0
            for j in range(n):          # numpy's sum over the slots: sequential, from the first
                other = seated[i, j] and j != a
                x = trust[i, a, j] * (1.0 if other else 0.0)
                total = x if j == 0 else total + x
                count += 1 if other else 0
            tau = total / max(count, 1) if count > 0 else initial
            if muni_chair[i] and a != MUNICIPALITY:
                tau = trust[i, a, MUNICIPALITY]
            if vertical[i]:
                tau = w * tau + anchored
            ins = insight[i, a]
            if ins != ins:
                ins = base[i, a]
            out[i, a] = (1.0 - tau) * (1.0 - ins)
    return out


def valuation(cases: list, p: dict, econ, prices: np.ndarray, facts: np.ndarray, own_cost: np.ndarray,
              valid: np.ndarray, grid: np.ndarray):
    """``valuation.value_cases``'s arithmetic on what it gathered: ``prices`` (cases x ``_PRICES``),
    ``facts`` (cases x 8), ``own_cost`` (cases), ``valid`` and the package ``grid`` (5 x cases x columns)."""
    from sim.valuation import _PRICE_COLUMN, Valuation, priority_months
    m = len(cases)
    k_inv = prices[:, _PRICE_COLUMN["investor_return"]:_PRICE_COLUMN["investor_return"] + 1]
    k_corp, opex = max(econ.corporation_return, 1e-3), econ.operating_cost_share
    mid, free, level, commitment, priority = grid
    months = priority_months(cases, p)
    # the powers, as economics.capitalised_value and earlier_delivery_gain take them
    d_inv = eco.discount(k_inv, commitment)
    later = (1.0 + k_inv) ** (-months / 12.0)
    cost, market, rent, v_mid, v_soc, p_own, land_dev, social_land, surplus = _valuation(
        _floats(prices), _floats(facts), _flags(own_cost), _floats(grid), _floats(d_inv), _column(later),
        float(p["negotiation.rent_step"]),
        float(opex), float(k_corp), _column(1.0 - (1.0 + k_corp) ** (-months / 12.0)))
    col = lambda a: a.reshape(m, 1)     # noqa: E731
    social = _PRICE_COLUMN["social_rent"]
    return Valuation(cases=cases, valid=valid, mid_share=mid, free_share=free, social_share=facts[:, 1:2].copy(),
                     commitment=commitment, priority=priority, construction_cost=col(cost), market_rent=col(market),
                     social_rent=prices[:, social:social + 1], owner_land_price=col(p_own),
                     land_development_cost=col(land_dev), social_land_price=col(social_land),
                     operating_cost_share=opex, tenant_discount=econ.tenant_discount, k_investor=k_inv,
                     k_corporation=k_corp, rent=rent, v_mid=v_mid, v_soc=col(v_soc), surplus=surplus,
                     municipal_land=facts[:, 6:7] != 0, developer_land=facts[:, 7:8] != 0)


@numba.njit(cache=True)
def _valuation(prices, facts, own_cost, grid, d_inv, later, rent_step, opex, k_corp, corp_gain):
    """``value_cases``' arithmetic, case by case and variant by variant, in its order of operations.
    ``prices`` columns: construction cost, market rent, social rent, mid-rent cap, investor return,
    owner land price, land development cost, social land price (``valuation._PRICES``); ``facts``:
    size, social share, cost factor, land factor, rent factor, plan, municipal land, developer land."""
    m, width = d_inv.shape
    cost, market, v_soc = np.empty(m), np.empty(m), np.empty(m)
    p_own, land_dev, social_land = np.empty(m), np.empty(m), np.empty(m)
    rent, v_mid, surplus = np.empty((m, width)), np.empty((m, width)), np.empty((m, width))
    keep = 1.0 - opex
    for i in range(m):
        cost[i] = prices[i, 0] * (facts[i, 2] if own_cost[i] else 1.0)
        market[i] = prices[i, 1] * facts[i, 4]
        social_rent, k_inv = prices[i, 2], prices[i, 4]
        highest = _minimum(market[i], prices[i, 3])
        v_soc[i] = 12.0 * social_rent * keep / k_corp
        p_own[i] = prices[i, 5] * facts[i, 3]
        land_dev[i] = prices[i, 6] * facts[i, 3]
        social_land[i] = prices[i, 7] * facts[i, 3]
        soc = facts[i, 1]
        inv_gain = 1.0 - later[i]
        for v in range(width):
            mid, free, level, priority = grid[0, i, v], grid[1, i, v], grid[2, i, v], grid[4, i, v]
            r = _maximum(social_rent, highest * (1.0 - rent_step * level))
            rent[i, v] = r
            d = d_inv[i, v]
            value = 12.0 * r * keep * (1.0 - d) / k_inv + 12.0 * market[i] * keep * d / k_inv
            v_mid[i, v] = value
            gain = mid * value * inv_gain + soc * v_soc[i] * corp_gain[i]
            surplus[i, v] = (mid * (value - cost[i]) + soc * (v_soc[i] - cost[i]) + free * p_own[i] - land_dev[i]
                             + priority * gain)
    return cost, market, rent, v_mid, v_soc, p_own, land_dev, social_land, surplus


def warm_up() -> None:
    """Load (or, the first time on a machine, compile) the kernels now, on one small case."""
    _valuation(np.ones((1, 8)), np.ones((1, 8)), np.ones(1, np.bool_), np.zeros((5, 1, 2)), np.zeros((1, 2)),
               np.zeros(1), 0.1, 0.25, 0.03, np.full(1, 0.1))
    b, f = np.ones((1, 5), np.bool_), np.zeros((1, 5, 2))
    _guardedness(np.zeros((1, 5, 5)), np.zeros((1, 5)), np.zeros((1, 5)), b, b[:, 0], b[:, 0], 0.5, 0.5, 0.25)
    _table_numbers(b, ~b, ~b, f, f, f, np.zeros((1, 5)), np.zeros(1), 0.1, np.zeros((1, 5)), np.zeros((1, 2)),
                   np.zeros(1), np.ones(1), np.ones((1, 2)), np.ones(1), 0.25, np.ones(1), np.ones(1), f[:, 0],
                   f[:, 0], np.full(1, 0.03))
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

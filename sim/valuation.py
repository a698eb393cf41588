"""What cases' package variants are worth at market-standard numbers, in one month, as arrays.

The surplus of a variant is the value the plan creates above its construction and land
development costs, at the market's reference yields (EUR per home of the case):

    S(v) = s_mid(v) (V_mid(v) - C) + s_soc (V_soc - C) + s_free(v) P_own - D + priority(v) G(v)

with V_mid the value of a mid-rent home at the variant's rent and commitment, V_soc that of
a social home, P_own what a free-sector plot fetches (its residual land value for owner-
occupied homes), D the land development cost and G the value of earlier delivery when the
municipality fast-tracks the procedure. Each party's reservation (``agents/*``) is the least
claim on S it can sign for; it contains the party's own deviation from the market standard
(an investor's own required yield, a developer's own margin), so a table that does not
seat a party can still reserve a market-standard guess for it (docs/ODD.md 3.4.3).

Everything is computed for M cases at once on arrays of shape (M, V), V the largest number of
variants among them; a case with fewer variants is padded with copies of its plan, marked
invalid (``valid``) and never chosen (its surplus is minus infinity in the negotiation).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from sim import economics as eco
from sim import negotiation

KINDS = ("municipality", "corporation", "investor", "developer", "tenant")   # the slot order of every batch
SLOT = {k: i for i, k in enumerate(KINDS)}


@dataclass
class Valuation:
    """M cases valued in one month; every array has the cases on its first axis."""

    cases: list
    valid: np.ndarray          # (M, V) bool
    mid_share: np.ndarray      # (M, V)
    free_share: np.ndarray     # (M, V)
    social_share: np.ndarray   # (M, 1)
    commitment: np.ndarray     # (M, V) years
    priority: np.ndarray       # (M, V) 0/1
    construction_cost: np.ndarray   # (M, 1) the case's cost (its own where known)
    market_rent: np.ndarray    # (M, 1)
    social_rent: np.ndarray    # (M, 1)
    owner_land_price: np.ndarray    # (M, 1)
    land_development_cost: np.ndarray  # (M, 1)
    social_land_price: np.ndarray   # (M, 1)
    operating_cost_share: float
    tenant_discount: float
    k_investor: np.ndarray     # (M, 1) investors' reference net yield in each case's month
    k_corporation: float
    rent: np.ndarray           # (M, V) mid-rent rent, EUR/month
    v_mid: np.ndarray          # (M, V) value of a mid-rent home at the reference yield
    v_soc: np.ndarray          # (M, 1) value of a social home at the corporations' reference return
    surplus: np.ndarray        # (M, V) S, intervention money excluded
    municipal_land: np.ndarray  # (M, 1) bool: the municipality owns the land (it runs the land development)
    developer_land: np.ndarray  # (M, 1) bool: a developer holds the land position

    @property
    def size(self) -> tuple[int, int]:
        return self.valid.shape

    def rows(self, rows: np.ndarray, width: int | None = None) -> "Valuation":
        """The same valuation restricted to some cases (numpy fancy indexing on the first axis) and,
        given ``width``, to their first ``width`` variants (the padding other cases needed)."""
        out = {}
        full = self.size[1]
        for name in self.__dataclass_fields__:
            if name == "cases":
                continue
            v = getattr(self, name)
            if isinstance(v, np.ndarray):
                v = v[rows]
                if width is not None and v.ndim > 1 and v.shape[1] == full:
                    v = v[:, :width]
            out[name] = v
        return Valuation(cases=[self.cases[i] for i in rows], **out)

    def mid_value_at(self, k: np.ndarray, rows) -> np.ndarray:
        """Value of a mid-rent home per variant at other required yields, one per given case
        (k of shape (len(rows), 1))."""
        return eco.capitalised_value(self.rent[rows], self.operating_cost_share, k, self.commitment[rows],
                                     self.market_rent[rows])

    def social_value_at(self, k: np.ndarray, rows) -> np.ndarray:
        """Value of a social home at other required returns, one per given case (k of shape (len(rows), 1))."""
        return eco.capitalised_value(self.social_rent[rows], self.operating_cost_share, np.maximum(k, 1e-3))


_PRICES = ("construction_cost", "market_rent", "social_rent", "midrent_cap", "investor_return", "owner_land_price",
           "land_development_cost", "social_land_price")   # what a valuation reads of each case's Economy
_PRICE_COLUMN = {name: k for k, name in enumerate(_PRICES)}


def value_cases(model, cases: list, month: int, known_cost=None, economy=None, variants=None) -> Valuation:
    """Value the variants of ``cases`` at this month's prices in their municipalities.

    ``known_cost``: a concrete case's own construction cost (``case.cost_factor``) is on the
    table; a general question is valued at the standard cost until it is concretised. None:
    each case as it stands; True: every case at its own cost (what its parties will face).
    ``economy``: other prices than this month's, one Economy for all cases or one per case
    (ratification compares agreed terms in the prices of each agreement's month).
    ``variants``: some variants per case instead of all, as variant numbers: one per case (the
    valuation then has one column: what a board checks of an agreement is its own variant), or
    an array (cases, columns), -1 where a case has fewer (a padding column, marked invalid; it
    repeats the case's first column). Every value is per case and variant, so each column
    equals that variant's column of the full valuation. Where the process has loaded the kernels
    (``negotiation.use_kernel``) the arithmetic after the gathering is ``sim.view_kernel``'s, the
    same bit for bit.
    """
    p = model.p
    m = len(cases)
    econs = [model.economy] * m if economy is None else (economy if isinstance(economy, list) else [economy] * m)

    one_economy = economy is None or not isinstance(economy, list)

    # the month's prices per case, one column each, filled at once (a np.full per price cost more than the rest)
    if one_economy:
        prices = np.empty((m, len(_PRICES)))
        prices[:] = [getattr(econs[0], name) for name in _PRICES]
    else:
        # the cases of a batch come from a few months: each month's prices read once, then given to its cases
        row_of: dict[int, int] = {}
        rows = [row_of.setdefault(id(e), len(row_of)) for e in econs]
        months = list({id(e): e for e in econs}.values())   # in the order of row_of
        table = np.array([[getattr(e, name) for name in _PRICES] for e in months], dtype=float)
        prices = table.reshape(len(months), len(_PRICES))[np.array(rows, dtype=int)]

    econ = econs[0]
    # what each case brings, gathered in one pass: variants, social share, cost factor, local factors, its plan,
    # its land owner, and where its package space's columns start among the spaces of the batch
    first: dict[int, int] = {}       # id of a space -> its first column in ``stacks``
    stacks, at = [], 0
    kept_facts, starts = [], []
    for c in cases:
        space = c.space
        kept = c.valued_as          # what the case brings changes only with its space
        if kept is None or kept[0] is not space:
            kept = c.valued_as = (space, (space.size, space.social_share, c.cost_factor,
                                          c.municipality.land_price_factor, c.municipality.rent_factor, space.plan,
                                          c.land_owner == "municipality", c.land_owner == "developer"),
                                  space.stacked)
        start = first.get(id(space))
        if start is None:       # most cases have a space of their own
            start = first[id(space)] = at
            stacks.append(kept[2])
            at += kept[1][0]
        kept_facts.append(kept[1])
        starts.append(start)
    # size, social share, cost factor, land, rent, plan, the municipality's land, a developer's land
    facts = np.fromiter(chain.from_iterable(kept_facts), dtype=float, count=8 * m).reshape(m, 8)
    own_cost = np.array([c.concrete for c in cases], dtype=bool) if known_cost is None else np.full(m, bool(known_cost))
    plan, start = facts[:, 5].astype(int), np.array(starts, dtype=int)
    if variants is None:   # every variant; a case with fewer is padded with copies of its plan
        sizes = facts[:, 0].astype(int)
        j = np.arange(int(sizes.max()))[None, :]
        valid = j < sizes[:, None]
        columns = np.where(valid, j, plan[:, None])
    else:
        columns = np.asarray(variants, dtype=int).reshape(m, -1)
        valid = columns >= 0
        columns = np.where(valid, columns, columns[:, :1])
    # the package grids of all cases by one gather from the batch's spaces side by side: (5, M, V)
    grid = np.concatenate(stacks, axis=1)[:, start[:, None] + columns]
    if negotiation.kernel_loaded():
        from sim import view_kernel
        return view_kernel.valuation(list(cases), p, econ, prices, facts, own_cost, valid, grid)
    return valued(list(cases), p, econ, prices, facts, own_cost, valid, grid)


def priority_months(cases: list, p: dict) -> np.ndarray:
    """The months of procedure a fast-tracked procedure would save each case, as a column: what
    ``negotiation.priority_months`` saves beyond the process help the case already has (a
    versnellingstafel's). The procedure takes the larger of the two (``pipeline``), so priority on
    top of as much process help delivers nothing, and ``space_for`` then leaves it off the table."""
    helped = np.fromiter((c.process_help for c in cases), dtype=float, count=len(cases))
    return np.maximum(0.0, p["negotiation.priority_months"] - helped).reshape(-1, 1)


def valued(cases: list, p: dict, econ, prices: np.ndarray, facts: np.ndarray, own_cost: np.ndarray,
           valid: np.ndarray, grid: np.ndarray) -> Valuation:
    """``value_cases``' arithmetic on what it gathered: ``prices`` (cases x ``_PRICES``), ``facts``
    (size, social share, cost factor, land and rent factors, plan, the municipality's land, a
    developer's land), ``own_cost`` (each case at its own construction cost?), ``valid`` and the
    package ``grid`` (mid share, free share, rent level, commitment, priority x cases x columns);
    ``econ``: the economy whose returns and operating costs apply. ``sim.view_kernel.valuation``
    gives the same numbers compiled."""
    m = len(cases)

    def col(name):
        k = _PRICE_COLUMN[name]
        return prices[:, k:k + 1]

    mid, free, level, commitment, priority = grid
    soc = facts[:, 1:2].copy()
    factor = np.where(own_cost, facts[:, 2], 1.0)
    cost = (col("construction_cost")[:, 0] * factor).reshape(m, 1)
    land_f = facts[:, 3:4].copy()
    rent_f = facts[:, 4:5].copy()
    market = col("market_rent") * rent_f
    social_rent = col("social_rent")
    highest = np.minimum(market, col("midrent_cap"))
    rent = np.maximum(social_rent, highest * (1.0 - p["negotiation.rent_step"] * level))
    k_inv, k_corp = col("investor_return"), max(econ.corporation_return, 1e-3)
    opex = econ.operating_cost_share
    v_mid = eco.capitalised_value(rent, opex, k_inv, commitment, market)
    v_soc = eco.capitalised_value(social_rent, opex, k_corp)
    months = priority_months(cases, p)
    gain = eco.earlier_delivery_gain(mid * v_mid, k_inv, months) + eco.earlier_delivery_gain(soc * v_soc, k_corp, months)
    p_own = col("owner_land_price") * land_f
    d = col("land_development_cost") * land_f
    surplus = mid * (v_mid - cost) + soc * (v_soc - cost) + free * p_own - d + priority * gain
    return Valuation(cases=cases, valid=valid, mid_share=mid, free_share=free, social_share=soc,
                     commitment=commitment, priority=priority, construction_cost=cost, market_rent=market,
                     social_rent=social_rent, owner_land_price=p_own,
                     land_development_cost=d, social_land_price=col("social_land_price") * land_f,
                     operating_cost_share=opex, tenant_discount=econ.tenant_discount, k_investor=k_inv,
                     k_corporation=k_corp, rent=rent, v_mid=v_mid, v_soc=v_soc, surplus=surplus,
                     municipal_land=facts[:, 6:7] != 0, developer_land=facts[:, 7:8] != 0)

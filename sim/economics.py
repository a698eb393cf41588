"""The parties' arithmetic (MODEL.md section 5.2), as pure functions.

All money is in EUR per home. These functions are what makes agreement follow from
the parties' own numbers rather than from a dice roll; docs/ODD.md gives the formulas.
"""

from __future__ import annotations


def capitalised_value(rent: float, operating_cost_share: float, required_return: float,
                      commitment_years: float = 0.0, later_rent: float | None = None) -> float:
    """Value of a rented home at a required net initial yield.

    The home earns net rent ``12 * rent * (1 - opex)`` a year for ``commitment_years``
    and ``later_rent`` after that (the market rent once the mid-rent obligation ends),
    discounted at ``required_return``. With no commitment or equal rents this is the
    plain direct capitalisation ``net rent / yield`` of the worked example in MODEL.md.
    """
    k = required_return
    net_now = 12.0 * rent * (1.0 - operating_cost_share)
    if later_rent is None or commitment_years <= 0:
        return net_now / k if later_rent is None else 12.0 * later_rent * (1.0 - operating_cost_share) / k
    net_later = 12.0 * later_rent * (1.0 - operating_cost_share)
    d = (1.0 + k) ** (-commitment_years)
    return net_now * (1.0 - d) / k + net_later * d / k


def residual_land_value(value: float, construction_cost: float, developer_margin: float) -> float:
    """Most an investor can pay for land: value minus construction minus the developer's margin."""
    return value - construction_cost - developer_margin * value


def midrent_rent(market_rent: float, cap: float) -> float:
    """Rent of a mid-rent home: the market rent, but never above the cap."""
    return min(market_rent, cap)


def municipal_land_floor(land_development_cost: float, owner_land_price: float, vision_strength: float) -> float:
    """Least a municipality accepts per affordable home.

    Its land development cost, plus the revenue it forgoes against selling the plot for
    owner-occupied homes, of which a strong housing vision waives more.
    """
    forgone = max(0.0, owner_land_price - land_development_cost)
    return land_development_cost + (1.0 - vision_strength) * forgone


def concession_exponent(autonomy: float) -> float:
    """Map autonomy in [0, 1] to the exponent e of the time-dependent concession curve.

    autonomy 1 -> e = 1/4 (Boulware: holds on, concedes at the end); 0.5 -> e = 1 (linear);
    0 -> e = 4 (Conceder: gives early).
    """
    return 4.0 ** (1.0 - 2.0 * autonomy)


def concession_level(t: float, e: float) -> float:
    """Share of the opening-to-reservation range conceded by time t in [0, 1]: t^(1/e)."""
    t = min(max(t, 0.0), 1.0)
    return t ** (1.0 / e)

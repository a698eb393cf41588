"""The parties' arithmetic (MODEL.md section 5.2), as pure functions.

All money is in EUR per home. The functions work elementwise on numpy arrays as well as on
floats, so that a case's package variants (``sim/package.py``) are valued in one call.
They are what makes agreement follow from the parties' own numbers rather than from a
dice roll; docs/ODD.md section 3.4.1 gives the formulas.
"""

from __future__ import annotations

import numpy as np


def annuity(years, rate):
    """Present value of 1 a year for ``years`` years at ``rate`` (years may be 0 or an array)."""
    years = np.asarray(years, dtype=float)
    if rate <= 0:
        return years if years.ndim else float(years)
    out = (1.0 - (1.0 + rate) ** (-years)) / rate
    return out if np.ndim(out) else float(out)


def capitalised_value(rent, operating_cost_share: float, required_return: float,
                      commitment_years=0.0, later_rent=None):
    """Value of a rented home at a required net initial yield (NAR).

    The home earns net rent ``12 * rent * (1 - opex)`` a year for ``commitment_years`` and
    ``later_rent`` after that (the market rent once the mid-rent obligation ends), discounted
    at ``required_return``. With no commitment or no later rent this is plain direct
    capitalisation ``net rent / yield``, as in the worked example of MODEL.md.
    """
    k = required_return
    net_now = 12.0 * np.asarray(rent, dtype=float) * (1.0 - operating_cost_share)
    if later_rent is None:
        out = net_now / k
        return out if np.ndim(out) else float(out)
    net_later = 12.0 * np.asarray(later_rent, dtype=float) * (1.0 - operating_cost_share)
    d = discount(k, commitment_years)
    out = net_now * (1.0 - d) / k + net_later * d / k
    return out if np.ndim(out) else float(out)


def discount(required_return, years):
    """``(1 + k)^-years``, numpy's power (on arrays): what a euro ``years`` on is worth now at the net
    yield ``k``. The compiled view (``sim.view_kernel``) takes its powers here, so that they are the
    ones ``capitalised_value`` takes."""
    return (1.0 + required_return) ** (-np.asarray(years, dtype=float))


def earlier_delivery_gain(value, required_return: float, months: float):
    """What delivering ``months`` earlier is worth to the owner of a home of ``value``:
    the rent stream starts that much sooner, ``value * (1 - (1 + k)^(-months/12))``."""
    return value * (1.0 - (1.0 + required_return) ** (-months / 12.0))


def gross_to_net_yield(gross: float, operating_cost_share: float) -> float:
    """Net initial yield (NAR) from a gross initial yield (BAR): ``BAR * (1 - opex)``, roughly.

    FACTS.md quotes gross yields; the model's required returns are net."""
    return gross * (1.0 - operating_cost_share)


def residual_land_value(value, construction_cost, developer_margin: float):
    """Most an investor can pay for land: value minus construction minus the developer's margin."""
    return value - construction_cost - developer_margin * value


def concession_exponent(autonomy: float, spread: float = 4.0) -> float:
    """Map autonomy in [0, 1] to the exponent e of the time-dependent concession curve.

    autonomy 1 -> e = 1/spread (Boulware: holds on, concedes at the end); 0.5 -> e = 1 (linear);
    0 -> e = spread (Conceder: gives early). ``spread`` is ``negotiation.exponent_range``.
    """
    return spread ** (1.0 - 2.0 * autonomy)


def concession_level(t: float, e: float) -> float:
    """Share of the opening-to-reservation range conceded by time t in [0, 1]: t^(1/e)."""
    t = min(max(t, 0.0), 1.0)
    return t ** (1.0 / e)

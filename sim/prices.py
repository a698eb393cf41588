"""Prices by calendar year: published yearly changes where they exist, declared rates elsewhere.

A scenario sets every price for its start year. From one year to the next a price moves by
the published change in ``scenarios/data/prices_nl.csv`` where that file has both years (the
social rent limit, the statutory mid-rent cap, investors' gross yields: FACTS.md), and by the
scenario's declared yearly rate otherwise. Chaining year-on-year changes, rather than jumping
to a published level, keeps a scenario's own start level (and a sweep over it) meaningful.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

PRICES_FILE = Path(__file__).resolve().parent.parent / "scenarios" / "data" / "prices_nl.csv"
SERIES = ("social_rent_limit", "midrent_cap", "investor_gross_yield")


@lru_cache(maxsize=None)
def _series() -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {name: {} for name in SERIES}
    with open(PRICES_FILE, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for name in SERIES:
                if row[name].strip():
                    out[name][int(row["year"])] = float(row[name])
    return out


@lru_cache(maxsize=None)
def index(series: str | None, start_year: int, year: int, fallback_rate: float) -> float:
    """Factor by which a price of ``start_year`` has moved by ``year`` (1.0 at the start year).

    ``series=None`` uses ``fallback_rate`` every year (a constant yearly growth rate).
    """
    known = _series()[series] if series else {}
    factor = 1.0
    lo, hi, sign = (start_year, year, 1) if year >= start_year else (year, start_year, -1)
    for y in range(lo, hi):
        step = known[y + 1] / known[y] if y in known and y + 1 in known else 1.0 + fallback_rate
        factor *= step ** sign
    return factor

"""Annual and four-yearly cycles: elections, corporation bids and performance agreements.

Seed 004: each corporation bids (bod) before 1 July on the municipality's housing vision;
the local triangle then makes performance agreements, yearly or multi-year with a
yearly update. Elections every four years may replace the alderman.
"""

from __future__ import annotations

BID_MONTH = 5      # June: bids are in before 1 July (Woningwet, FACTS.md)
ELECTION_MONTH = 2  # March: municipal elections (FACTS.md)


def elections(model, month: int) -> None:
    p = model.p
    year = p["run.start_year"] + month // 12
    if month % 12 != ELECTION_MONTH or (year - p["elections.first_year"]) % p["elections.interval_years"]:
        return
    for idx, m in enumerate(model.municipalities):
        rng = model.election_streams[idx]
        u, shift, initiative = rng.random(), rng.normal(), rng.normal()  # drawn whoever wins: common random numbers
        if u >= p["elections.turnover"]:
            continue
        spread = p["elections.vision_spread"]
        m.vision_strength = min(1.0, max(0.0, m.initial_vision + spread * shift))
        m.alderman_initiative = min(1.0, max(0.0, m.initial_initiative + spread * initiative))
        model.reset_trust(m, p["elections.trust_reset"])
        model.elections_held += 1


def performance_round(model, month: int) -> None:
    """In bid month: each corporation spreads its capacity over its working area and bids per
    municipality (``Corporation.allocate``); the triangle negotiates the bid.

    Yearly mode: a new performance case every year. Multi-year mode: a case for the
    first year of a term, whose terms then hold for the later years; in each of those a
    single update meeting turns that year's bid (the corporation's capacity at that year's
    construction cost) into that year's tranche (``Model.update_performance``).
    """
    p = model.p
    if not p["performance.enabled"] or month % 12 != BID_MONTH:
        return
    year_index = month // 12
    term = p["performance.term_years"]
    negotiate = (not p["performance.multi_year"]) or year_index % term == 0
    bound = []
    for corp in model.corporations:
        corp.allocate(lambda m: m.population * m.pressure, model.regional_review)
        for m in corp.working_area:
            homes = corp.bid_homes(m, model.economy.construction_cost)
            if homes <= 0:
                continue
            if negotiate:
                model.new_performance_case(m, corp, homes, month)
            elif (term := model.update_performance(m, corp, homes, month)) is not None:
                bound.append(term)
    model.make_tranches(bound, month)

"""Each table rule acts through its mechanism (issue 8), checked on hand-built meetings and small runs."""

from __future__ import annotations

from contextlib import contextmanager
from types import SimpleNamespace

import numpy as np
import pytest

import sim
from sim import formats, negotiation
from sim.params import PARAMETERS
from sim.scenario import Scenario


@contextmanager
def built(scenario: str, overrides: dict, seed: int):
    """A model built (not run) for a look inside; Mesa's registry is released afterwards."""
    from sim import scenario as scn
    from sim.model import HousingTablesModel
    from sim.runner import _release
    sc = scn.load(scenario)
    m = HousingTablesModel(sc, sc.parameter_values(overrides), seed=seed)
    try:
        yield m
    finally:
        _release(m)


def _party(i, autonomy=0.5):
    return SimpleNamespace(unique_id=i, autonomy=autonomy)


def _case():
    return SimpleNamespace(concession={}, last_step={}, variant=0)


def _rules(chair="municipality", rule="consensus", lead=None, municipality=1, chair_trust=0.6, disclosure=0.7):
    return {"chair": chair, "decision_rule": rule, "lead": lead, "municipality": municipality,
            "chair_trust": chair_trust, "caucus_disclosure": disclosure}


def _meet(case, parties, rules, res, opening, surplus, *, t_start=0.0, rounds=4, reciprocity=0.5, hold=None,
          record=None):
    return negotiation.meet(case, parties, **rules, surplus=surplus, res={k: np.asarray(v, float) for k, v in res.items()},
                            opening={k: np.asarray(v, float) for k, v in opening.items()}, t_start=t_start,
                            t_step=1.0 / (rounds * 4), rounds=rounds, reciprocity=reciprocity, hold=hold, record=record)


# --- chair ------------------------------------------------------------------------------
def test_external_chair_divides_by_its_proposal_from_the_caucus():
    # two parties, reservations 0 and 0, openings 60 and 40 (EUR per home), surplus 50: demands do not fit yet
    parties = [_party(1), _party(2)]
    res, opening = {1: [0.0], 2: [0.0]}, {1: [60.0], 2: [40.0]}
    ext = _meet(_case(), parties, _rules(chair="external"), res, opening, [50.0], rounds=1)
    assert ext["agreed"] and ext["mediated"]
    # the chair's proposal, by hand: estimates res + 0.3 (target - res); the rest split by what each still asks
    # one round of a 4-meeting clock at autonomy 0.5 (e = 1) concedes 1/16 of the range
    targets = {1: 60 * (1 - 1 / 16), 2: 40 * (1 - 1 / 16)}
    est = {i: 0.3 * targets[i] for i in targets}
    rest = 50 - sum(est.values())
    excess = {i: targets[i] - est[i] for i in targets}
    for i in (1, 2):
        assert ext["claims"][i] == pytest.approx(est[i] + rest * excess[i] / sum(excess.values()))
    # the same meeting under a municipal chair needs the demands themselves to fit: no agreement yet
    muni = _meet(_case(), parties, _rules(chair="municipality"), res, opening, [50.0], rounds=1)
    assert not muni["agreed"]


def test_municipal_chair_keeps_the_slack_and_balance_ignores_it():
    parties = [_party(1), _party(2)]
    res, opening = {1: [10.0], 2: [10.0]}, {1: [20.0], 2: [20.0]}
    r = _meet(_case(), parties, _rules(chair="municipality", municipality=1), res, opening, [100.0], rounds=1)
    assert r["agreed"] and not r["mediated"]
    claims, needs = r["claims"], r["needs"]
    assert claims[1] - needs[1] == pytest.approx(100.0 - needs[1] - needs[2])   # the slack
    assert claims[2] == pytest.approx(needs[2])
    # concessions are measured on the demands, not on the slack the chair assigned: both moved the same
    from sim import reciprocity as rc
    cs = [rc.concession(opening[i][0], needs[i], res[i][0]) for i in (1, 2)]
    assert cs[0] == pytest.approx(cs[1]) and rc.balance(cs) == pytest.approx(1.0)


def test_municipal_chair_steers_the_text_and_no_chair_makes_no_uncompensated_moves():
    # variant 0 is the plan; variant 1 gives more surplus but raises party 2's reservation by 5
    parties = [_party(1), _party(2)]
    surplus = [10.0, 20.0]
    res = {1: [0.0, 0.0], 2: [0.0, 5.0]}
    opening = {1: [0.0, 0.0], 2: [0.0, 5.0]}
    kw = dict(surplus=surplus, res={k: np.asarray(v) for k, v in res.items()},
              opening={k: np.asarray(v) for k, v in opening.items()}, candidates=[1], writer=1,
              writer_insight={1: 1.0, 2: 1.0}, can_sign=False, rounds=1)
    moved = _case()
    negotiation.meet(moved, parties, **_rules(chair="municipality"), **kw)
    assert moved.variant == 1                      # the municipality arranges compensation through the land price
    stay = _case()
    negotiation.meet(stay, parties, **_rules(chair="none"), **kw)
    assert stay.variant == 0                       # without a chair party 2 would lose: no move
    steer = _case()
    negotiation.meet(steer, parties, **_rules(chair="municipality"), **kw, bonus=[20.0, 0.0])
    assert steer.variant == 0                      # valuing the plan's affordability more, it steers there


# --- reciprocity ------------------------------------------------------------------------
def _observations(reciprocity, hold):
    obs = []
    parties = [_party(1), _party(2)]
    case = _case()
    res, opening = {1: [0.0], 2: [0.0]}, {1: [100.0], 2: [100.0]}

    def record(slots, conceded, others):
        obs.extend(zip((parties[s].unique_id for s in slots), conceded, others))

    for m in range(4):
        _meet(case, parties, _rules(), res, opening, [0.0], t_start=m / 4, rounds=4, reciprocity=reciprocity,
              hold=hold, record=record)
    return obs


def test_conditional_concession_measures_reciprocity_not_a_cap():
    from sim import reciprocity as rc

    def cc(obs):
        after = [c for i, c, o in obs if o]
        none = [c for i, c, o in obs if not o]
        return rc.conditional_concession((sum(after), len(after)), (sum(none), len(none)))

    # no reciprocity: every free party takes its scheduled step whatever the others did
    assert all(c for _, c, _ in _observations(0.0, {}))
    # party 2 is capped after 10% of its range; the cap itself is never observed as 'not conceding'
    capped = _observations(0.0, {2: 0.9})
    assert all(c for i, c, _ in capped if i == 1) and cc(capped) == 0.0
    # with full reciprocity party 1 answers party 2's standstill by standing still: a positive measure
    recip = _observations(1.0, {2: 0.9})
    assert any(not c and not o for i, c, o in recip if i == 1)
    assert cc(recip) > 0


# --- decision cycles --------------------------------------------------------------------
def test_unsynchronised_cycles_lose_agreements_synchronised_ones_do_not():
    o = {"cycles.position_drift": 0.05, "run.months": 48}
    unsynced = sim.run("middenhuur-2017", seed=3, overrides={**o, "table.synchronised_cycles": False})
    synced = sim.run("middenhuur-2017", seed=3, overrides={**o, "table.synchronised_cycles": True})
    assert unsynced.metrics["agreements_lost"] > 0
    # every signatory is seated at this format, so with synchronised cycles all decide at the table
    assert synced.metrics["agreements_lost"] == 0


def test_absent_signatories_keep_their_costs_and_can_veto():
    # a local triangle seats no developer or investor; they still have to sign a mid-rent case
    r = sim.run("middenhuur-2017", seed=1, overrides={"table.format": "lokale-driehoek", "run.months": 48})
    a = r.agreements.merge(r.cases[["case_id", "land_owner"]], on="case_id")
    on_public_land = a[(a["homes_midrent"] > 0) & (a["land_owner"] == "municipality")]
    assert len(on_public_land) and on_public_land["absent_signatories"].str.contains("developer").all()
    assert (a.loc[a["land_owner"] == "developer", "absent_signatories"] .str.contains("developer") == False).all()  # noqa: E712
    assert a["developer_claim_per_home"].notna().all()            # its margin is reserved, not dropped
    assert set(a.loc[a["lost_at_ratification"], "lost_by"]) & {"developer", "investor"}


# --- imposing ---------------------------------------------------------------------------
def test_only_vertical_tables_impose():
    r = sim.run("woondeal-ladder", seed=2, overrides={"run.months": 36, "escalation.national_cases_per_year": 60})
    a = r.agreements
    assert a["imposed"].any()
    assert (a.loc[a["imposed"], "orientation"] == "vertical").all()
    assert not a.loc[a["level"] != "local", "imposed"].any()       # the versnellingstafels are horizontal


# --- the ladder's capacity ----------------------------------------------------------------
def _ladder_scenario():
    ms = [{"name": f"G{i}", "province": p, "region": f"R{i % 2}", "population": 300_000, "pressure": 1.0}
          for i, p in enumerate(["Utrecht", "Utrecht", "Gelderland", "Gelderland"])]
    return Scenario(name="ladder", municipalities=ms, actors={"investors": 6, "developers": 4},
                    parameters={"run.start_year": 2023, "run.months": 48, "cases.cross_region_share": 1.0,
                                "escalation.enabled": True, "negotiation.padding": 1.0, "trust.initial": 0.0,
                                "negotiation.distrust_hold": 1.0, "cases.per_year": 6.0})


def test_national_waiting_time_responds_to_load():
    def wait(per_year):
        r = sim.run(_ladder_scenario(), seed=1, overrides={"escalation.national_cases_per_year": per_year})
        e = r.escalations
        nat = e[(e["level"] == "national") & e["month_admitted"].notna()]
        return (nat["month_admitted"] - nat["month_in"]).mean(), r.metrics["max_national_queue"]

    quick, busy = wait(48.0), wait(2.0)
    assert busy[0] > quick[0] and busy[1] > quick[1]


# --- learning and expertise -------------------------------------------------------------
def test_structural_learning_programme_reaches_every_member():
    with built("gooi-vechtstreek-2024", {"run.months": 12}, 1) as m:
        for _ in range(12):
            m.step()
        from sim.tables import insight_of
        table = next(t for t in m.tables if t.level == 0 and t.learned)
        base = m.p["learning.base_insight"]
        members = [a for a in m.developers + m.corporations + m.municipalities]
        assert all(insight_of(m, table, None, a) > base for a in members)


def test_low_financial_expertise_invites_padding_and_takes_longer():
    def seated(expertise):
        with built("middenhuur-2017", {"municipality.financial_expertise": expertise}, 4) as m:
            while not any(c.space is not None for c in m.cases):
                m.step()
            return next(c for c in m.cases if c.space is not None)

    low, high = seated(0.0), seated(1.0)
    from sim.valuation import SLOT
    dev_low, dev_high = low.padding[SLOT["developer"]], high.padding[SLOT["developer"]]
    assert dev_low > dev_high                                      # others inflate claims it cannot check
    assert low.assessment_meetings > high.assessment_meetings == 0


# --- corporations' investment -------------------------------------------------------------
def test_corporations_invest_by_need_core_and_reciprocity():
    with built("lokale-driehoek-2018", {}, 1) as m:
        _allocation_checks(m)


def _allocation_checks(m):
    corp = next(c for c in m.corporations if c.non_core)
    corp.allocate(lambda x: x.population * x.pressure, set())
    before = dict(corp.budgets)
    outside = corp.non_core[0]
    corp.reciprocity[outside.name] = 1.0            # the municipality gave land and procedures last time
    corp.allocate(lambda x: x.population * x.pressure, set())
    assert corp.budgets[outside.name] > before[outside.name]
    corp.reciprocity.clear()
    corp.allocate(lambda x: x.population * x.pressure, {outside.name})   # a regional agreement: need counts
    assert corp.budgets[outside.name] > before[outside.name]
    assert sum(corp.budgets.values()) == pytest.approx(corp.investment_capacity)


# --- declarations -----------------------------------------------------------------------
def test_every_preset_sets_every_format_switch():
    switches = {n for n in PARAMETERS if n.startswith("table.") and n != "table.plan_review_threshold"}
    for name in formats.preset_names():
        assert set(formats.preset(name)) == switches, name


def test_multi_year_tranches_are_the_year_s_bid_and_refit_or_renegotiate():
    """Seed 004's multi-year agreement 'met jaarlijks een update': each later year's homes are that
    year's bid (the corporation's capacity at that year's construction cost), not the first year's
    repeated; a year whose terms no longer leave every signatory its reservation is negotiated anew."""
    overrides = {"performance.multi_year": True, "performance.term_years": 4, "economics.cost_inflation": 0.06}
    with built("lokale-driehoek-2018", overrides, seed=3) as m:
        seen = {}
        for _ in range(m.p["run.months"]):
            month = m.month
            m.step()
            if month % 12 == 5 and (month // 12) % 4:   # an update year's bid month
                for corp in m.corporations:
                    for muni in corp.working_area:
                        if corp.bids.get(muni.name, 0) > 0:
                            seen[(month, muni.name, corp.name)] = corp.bids[muni.name]
        tranches = [c for c in m.cases if c.tranche_of is not None]
        reopened = [c for c in m.cases if c.kind == "performance" and c.tranche_of is None
                    and (c.opened // 12) % 4 and c.opened % 12 == 5]
        assert tranches and reopened
        def key(c):
            return c.opened, c.municipality.name, c.cast["corporation"].name
        at_bid = [t for t in tranches if key(t) in seen]
        assert at_bid and all(t.homes["social"] == seen[key(t)] for t in at_bid)
        parents = {c.id: c for c in m.cases}
        assert any(t.homes["social"] != parents[t.tranche_of].homes["social"] for t in tranches)
        for c in reopened:   # reopened only where the term's terms no longer fit
            assert key(c) in seen


@pytest.mark.parametrize("twice", [False, True])
def test_a_learning_session_changes_trust_as_pair_by_pair_changes_would(twice):
    """``trust_among`` (a roster's learning session, one array update) gives the store and the trust
    log what changing every ordered pair in turn gives, also when an agent is listed twice."""
    with built("gooi-vechtstreek-2024", {}, seed=0) as m:
        roster = list(m.municipalities[:3]) + list(m.developers[:4]) + list(m.corporations[:2])
        roster += roster[:2] if twice else []
        m.trust_store.value[m.agent_index[roster[0].unique_id], :] = 0.99   # near the bound: clipping matters
        start, parts = m.trust_store.value.copy(), len(m.recorder.trust_parts)
        for delta in (0.02, 0.02):
            m.trust_among(roster, delta)
        together, log = m.trust_store.value.copy(), m.recorder.trust_parts[parts:]
        m.trust_store.value[:] = start
        del m.recorder.trust_parts[parts:]
        for delta in (0.02, 0.02):
            for a in roster:
                for b in roster:
                    if a is not b:
                        i, j = m.agent_index[a.unique_id], m.agent_index[b.unique_id]   # one pair at once
                        m.recorder.trust_changed(m.month, *m.trust_store.set_now([i], [j], [delta]))
        assert np.array_equal(together, m.trust_store.value)
        flat = lambda parts: [np.concatenate([p[k] for p in parts]).tolist() for k in (1, 2, 3)]  # noqa: E731
        assert flat(log) == flat(m.recorder.trust_parts[parts:])
        assert not np.array_equal(together, start)


# --- what a higher table brings, and when it is asked -----------------------------------------
def test_priority_is_offered_and_valued_only_for_the_months_it_saves_beyond_process_help():
    """The procedure takes the larger of process help and priority (``pipeline``): priority on
    top of a versnellingstafel's process help saves only the difference, and nothing at all
    when the help already saves as much; then it is not on the table."""
    r = sim.run("woondeal-ladder", seed=1)
    a = r.agreements
    assert a.loc[a["level"] == "local", "priority"].any()               # the entry tables fast-track
    assert (a["level"] != "local").sum() > 10
    assert not a.loc[a["level"] != "local", "priority"].any()         # 6 months of help = 6 months of priority

    from sim import economics as eco
    from sim.valuation import value_cases
    with built("middenhuur-2017", {}, 4) as m:
        while not any(c.space is not None and c.space.priority.any() for c in m.cases):
            m.step()
        case = next(c for c in m.cases if c.space is not None and c.space.priority.any())
        s = case.space

        def gain(help_months):
            case.process_help = help_months
            val = value_cases(m, [case], m.month)
            with_p = np.flatnonzero((s.priority == 1) & (s.mix_level == 0) & (s.rent_level == 0)
                                    & (s.commitment_level == 0))[0]
            without = np.flatnonzero((s.priority == 0) & (s.mix_level == 0) & (s.rent_level == 0)
                                     & (s.commitment_level == 0))[0]
            return val, val.surplus[0, with_p] - val.surplus[0, without], with_p

        _, g6, v = gain(0)
        part, g2, _ = gain(4)                         # 4 months of help: priority saves 2 more
        months = m.p["negotiation.priority_months"] - 4
        expect = (eco.earlier_delivery_gain(part.mid_share[0, v] * part.v_mid[0, v], part.k_investor[0, 0], months)
                  + eco.earlier_delivery_gain(part.social_share[0, 0] * part.v_soc[0, 0], part.k_corporation, months))
        assert g6 > g2 > 0
        assert g2 == pytest.approx(expect, rel=1e-12)
        assert gain(m.p["negotiation.priority_months"])[1] == 0.0


def test_a_general_question_is_assessed_once_as_the_worked_out_plan():
    """The municipality assesses a business case (seed 004); a general question has none until
    it is worked out, so it is assessed then, not twice."""
    with built("middenhuur-2017", {"table.specificity": "general", "municipality.financial_expertise": 0.0,
                                   "run.months": 48}, 2) as m:
        need = m.p["municipality.assessment_meetings"]
        worked_out = 0
        for _ in range(48):
            m.step()
            for c in m.cases:
                if c.space is None or c.table is None or c.table.level > 0 or c.kind == "pipeline":
                    continue
                if not c.concrete:
                    assert c.assessment_meetings == 0
                elif c.agreed_in_principle is not None:
                    assert c.assessment_meetings == need
                    worked_out += 1
        assert worked_out > 0


def test_a_sent_back_case_pads_after_the_advice_it_was_given(monkeypatch):
    """``send_back`` gives insight from the higher table's advice; the case's padding at its entry
    table is the one that insight gives (set after it), not the padding of the insight before."""
    from sim import escalation
    from sim.tables import insight_of, set_padding
    original, seen = escalation.send_back, []

    def checked(model, table, case, month, outcome):
        original(model, table, case, month, outcome)
        entry = model.entry_table[case.municipality.unique_id]
        padding = case.padding.copy()
        set_padding(model, [(entry, case)])
        assert np.array_equal(case.padding, padding)
        advice = model.p["escalation.advice_insight"] * table.means.mediation
        seen.append(any(insight_of(model, entry, case, a) == advice for a in case.parties))

    monkeypatch.setattr(escalation, "send_back", checked)
    sim.run("woondeal-ladder", seed=2)
    assert any(seen)                                  # the advice raised someone's insight

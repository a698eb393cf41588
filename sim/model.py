"""HousingTablesModel: the monthly schedule of the simulation.

One step is one month, in this order (MODEL.md section 3):

1. prices: construction cost drifts monthly with inflation; rents and land prices are
   indexed once a year;
2. annual cycles: elections (March of election years), corporation bids and
   performance agreements (June);
3. cases arise in municipalities under pressure, while plan capacity lasts, and go on
   the agenda of their entry table (after regional plan review, where the format has it);
4. infrastructure bottlenecks the national table took up are moved when their time is up;
5. tables meet on their calendar, local first, then regional, then national: higher
   tables first withdraw cases that waited too long in their queue, then admit cases as
   capacity allows (the national table per landsdeel) and apply their means; every case
   on the agenda gets one meeting (a case waiting for its infrastructure gets none);
   agreements go to ratification, cases stuck at the end of the concession clock
   escalate or are abandoned;
6. ratification: agreements whose parties' decision windows have all come bind, or
   are lost if their room to move has gone;
7. implementation: procedures start within municipal capacity, finished procedures
   start building within builders' capacity, buildings complete;
8. data collection.

All randomness comes from ``self.streams`` (named, seeded streams); the model never
touches a global random state and never imports plotting or the dashboard.
"""

from __future__ import annotations

import networkx as nx
import mesa

from agents import Corporation, Developer, Economy, Investor, Municipality, TenantOrganisation
from sim import cycles, escalation, formats, pipeline
from sim.case import Case, State
from sim.recorder import Recorder
from sim.rng import Streams
from sim.tables import Means, Table, adjust_trust, deadline_for, hold_meeting, seat


class HousingTablesModel(mesa.Model):
    def __init__(self, scenario, params: dict, seed: int, run_id: str = ""):
        self.streams = Streams(seed)
        super().__init__(rng=self.streams.get("mesa"))
        self.scenario_name = scenario.name
        self.seed = seed
        self.run_id = run_id
        self.p = params
        self.month = 0
        self.month_end = 0
        self.reference_return = params["investor.required_return"]
        self.corporation_return = params["corporation.required_return"]
        self.trust = nx.DiGraph()
        self.cases: list[Case] = []
        self.elections_held = 0
        self.economy = self._economy(0)
        self.recorder = Recorder(self)
        self._make_agents(scenario)
        self._make_tables()
        self.build_capacity = sum(d.build_capacity for d in self.developers)
        self.build_bucket = 0.0
        self._initial_pipeline()

    # --- set-up -------------------------------------------------------------------------
    def _autonomy(self, rng) -> float:
        return float(min(1.0, max(0.0, rng.normal(self.p["agents.autonomy"], self.p["agents.autonomy_spread"]))))

    def _phase(self, rng, months: int) -> int:
        return int(rng.integers(0, months))

    def _make_agents(self, scenario) -> None:
        p = self.p
        specs = scenario.all_municipalities()
        self.municipalities: list[Municipality] = []
        for idx, s in enumerate(specs):
            rng = self.streams.get("municipality", idx)
            self.municipalities.append(Municipality(
                self, s.name, province=s.province, region=s.region, landsdeel=s.landsdeel,
                population=s.population, pressure=s.pressure,
                vision_strength=s.vision_strength if s.vision_strength is not None else p["municipality.vision_strength"],
                financial_expertise=(s.financial_expertise if s.financial_expertise is not None
                                     else p["municipality.financial_expertise"]),
                target_affordable_share=p["municipality.target_affordable_share"],
                alderman_initiative=(s.alderman_initiative if s.alderman_initiative is not None
                                     else p["municipality.alderman_initiative"]),
                process_capacity=max(1, round(p["municipality.process_capacity"] * s.population / 100_000)),
                plan_capacity=p["municipality.plan_capacity"] * s.population / 1_000,
                land_price_factor=s.land_price_factor, rent_factor=s.rent_factor, autonomy=self._autonomy(rng),
                cycle_months=p["cycles.municipality_months"], cycle_phase=self._phase(rng, p["cycles.municipality_months"])))
        self.investors = []
        for idx in range(scenario.actors.investors):
            rng = self.streams.get("investor", idx)
            self.investors.append(Investor(
                self, f"investor-{idx + 1}",
                required_return=p["investor.required_return"] * float(rng.lognormal(0.0, 0.08)),
                capital=p["investor.capital"] * float(rng.lognormal(0.0, 0.5)),
                max_case_share=p["investor.max_case_share"],
                commitment_horizon=p["investor.commitment_horizon"] * float(rng.uniform(0.5, 1.5)), autonomy=self._autonomy(rng),
                cycle_months=p["cycles.investor_months"], cycle_phase=self._phase(rng, p["cycles.investor_months"])))
        self.developers = []
        for idx in range(scenario.actors.developers):
            rng = self.streams.get("developer", idx)
            self.developers.append(Developer(
                self, f"developer-{idx + 1}", margin=p["economics.developer_margin"],
                build_capacity=p["developer.build_capacity"], risk_appetite=float(rng.uniform()),
                autonomy=self._autonomy(rng), cycle_months=p["cycles.developer_months"],
                cycle_phase=self._phase(rng, p["cycles.developer_months"])))
        self.corporations, self.tenant_orgs = [], []
        n_corp = scenario.actors.corporations or len(self.municipalities)
        for idx, (core, non_core) in enumerate(_working_areas(self.municipalities, n_corp)):
            rng = self.streams.get("corporation", idx)
            corp = Corporation(
                self, f"corporation-{idx + 1}", required_return=p["corporation.required_return"],
                investment_capacity=p["corporation.investment_capacity"] * float(rng.lognormal(0.0, 0.3)),
                core=core, non_core=non_core, core_share=p["corporation.core_share"], autonomy=self._autonomy(rng),
                cycle_months=p["cycles.corporation_months"], cycle_phase=self._phase(rng, p["cycles.corporation_months"]))
            self.corporations.append(corp)
            rng = self.streams.get("tenant", idx)
            self.tenant_orgs.append(TenantOrganisation(
                self, f"tenants-{idx + 1}",
                knowledge=float(min(1.0, max(0.0, rng.normal(p["tenant.knowledge"], 0.1)))),
                has_advisor=bool(rng.random() < p["tenant.advisor_share"]), advisor_boost=p["tenant.advisor_boost"],
                critical_stance=p["tenant.critical_stance"],
                volunteer_capacity=float(min(1.0, max(0.0, rng.normal(p["tenant.volunteer_capacity"], 0.15)))),
                autonomy=self._autonomy(rng),
                cycle_months=p["cycles.tenant_months"], cycle_phase=self._phase(rng, p["cycles.tenant_months"])))
        for a in self.agents:
            self.trust.add_node(a.unique_id, kind=a.kind, name=a.name)
        self.tenant_of = {c.unique_id: t for c, t in zip(self.corporations, self.tenant_orgs)}
        self.corporations_in = {m.unique_id: [] for m in self.municipalities}
        for c in self.corporations:
            for m in c.core:
                self.corporations_in[m.unique_id].insert(0, c)
            for m in c.non_core:
                self.corporations_in[m.unique_id].append(c)

    def _make_tables(self) -> None:
        p = self.p
        entry = formats.switches_of(p)
        self.tables: list[Table] = []
        self.entry_table: dict[int, Table] = {}
        by_region: dict[str, Table] = {}
        for m in self.municipalities:
            if entry["scope"] == "region":
                if m.region not in by_region:
                    by_region[m.region] = self._table(f"{m.region} regional table", 0, entry)
                self.entry_table[m.unique_id] = by_region[m.region]
            else:
                self.entry_table[m.unique_id] = self._table(f"{m.name} local table", 0, entry)
        triangle = entry if {"municipality", "corporation", "tenant"} <= entry["members"] else \
            formats.switches_of(formats.preset("lokale-driehoek"))
        self.triangle_table = {m.unique_id: self._table(f"{m.name} (lokale driehoek)", 0, triangle)
                               for m in self.municipalities} if p["performance.enabled"] else {}
        regional = formats.switches_of(formats.preset("versnellingstafel-regionaal"))
        national = formats.switches_of(formats.preset("versnellingstafel-landelijk"))
        vertical = entry["orientation"] == "vertical"
        self.regional_tables = {}
        for region in sorted({m.region for m in self.municipalities}):
            self.regional_tables[region] = self._table(
                f"versnellingstafel {region}", 1, regional, capacity=p["escalation.regional_capacity"],
                means=Means(mediation=p["escalation.regional_mediation"], money=p["escalation.regional_money"],
                            process_help=p["escalation.process_help_months"], impose=vertical))
        self.national_table = self._table(
            "landelijke versnellingstafel", 2, national, capacity=p["escalation.national_capacity"], per_landsdeel=True,
            means=Means(mediation=p["escalation.national_mediation"], money=p["escalation.national_money"], process_help=p["escalation.process_help_months"],
                        impose=vertical, infrastructure=True, mix_change=p["escalation.max_mix_change"]))

    def _table(self, name, level, switches, capacity=None, means=None, per_landsdeel=False) -> Table:
        rng = self.streams.get(f"table:{name}")
        t = Table(id=len(self.tables), name=name, level=level, switches=dict(switches), means=means or Means(),
                  capacity=capacity, per_landsdeel=per_landsdeel, phase=int(rng.integers(0, switches["meeting_interval"])))
        self.tables.append(t)
        return t

    # --- trust --------------------------------------------------------------------------
    def trust_between(self, a, b) -> float:
        return self.trust_between_ids(a.unique_id, b.unique_id)

    def trust_between_ids(self, i, j) -> float:
        d = self.trust.get_edge_data(i, j)
        return d["weight"] if d else self.p["trust.initial"]

    def add_trust(self, a, b, delta) -> None:
        v = min(1.0, max(0.0, self.trust_between(a, b) + delta))
        self.trust.add_edge(a.unique_id, b.unique_id, weight=v)
        self.recorder.trust_changed(a.unique_id, b.unique_id, v)

    def reset_trust(self, agent, share) -> None:
        """A new alderman: trust to and from the municipality moves back towards the start."""
        t0 = self.p["trust.initial"]
        i = agent.unique_id
        for u, v, d in list(self.trust.in_edges(i, data=True)) + list(self.trust.out_edges(i, data=True)):
            d["weight"] = d["weight"] * (1 - share) + t0 * share
            self.recorder.trust_changed(u, v, d["weight"])

    # --- prices -------------------------------------------------------------------------
    def _economy(self, month: int) -> Economy:
        p = self.p
        rents = (1 + p["economics.rent_indexation"]) ** (month // 12)  # rents change once a year
        land = (1 + p["economics.land_indexation"]) ** (month // 12)
        return Economy(
            construction_cost=p["economics.construction_cost"] * (1 + p["economics.cost_inflation"]) ** (month / 12),
            market_rent=p["economics.market_rent"] * rents, midrent_cap=p["economics.midrent_cap"] * rents,
            social_rent=p["economics.social_rent"] * rents, operating_cost_share=p["economics.operating_cost_share"],
            owner_land_price=p["economics.owner_land_price"] * land,
            land_development_cost=p["economics.land_development_cost"] * land,
            social_land_price=p["economics.social_land_price"] * land, developer_margin=p["economics.developer_margin"],
            tenant_discount=p["economics.tenant_discount"], commitment_years=p["municipality.midrent_commitment_years"])

    # --- cases --------------------------------------------------------------------------
    def _cast(self, case: Case, rng) -> None:
        m = case.municipality
        cast = {"municipality": m}
        if self.investors:
            # the alderman looks for an investor willing to commit for the years the vision asks (seed 000)
            econ = self.economy.local(m)
            able = [i for i in self.investors if case.homes["midrent"] == 0 or i.can_fund(case, econ)]
            willing = [i for i in able if i.commitment_horizon >= econ.commitment_years]
            pool = willing or able
            u = rng.random()  # drawn whatever the pool: common random numbers
            if pool:
                cast["investor"] = pool[int(u * len(pool))]
        cast["developer"] = self.developers[int(rng.integers(len(self.developers)))]
        corps = self.corporations_in.get(m.unique_id, [])
        if corps:
            cast["corporation"] = corps[0]
            cast["tenant"] = self.tenant_of[corps[0].unique_id]
        case.cast = cast

    def _arrivals(self, month: int) -> None:
        p = self.p
        for idx, m in enumerate(self.municipalities):
            rng = self.streams.get("arrivals", idx, month)
            rate = p["cases.per_year"] * m.pressure * m.alderman_initiative * m.population / 100_000 / 12
            n = int(rng.poisson(rate))
            for k in range(n):
                crng = self.streams.get("case", idx, month, k)
                size = p["cases.mean_homes"] * (m.population / 100_000) ** 0.25
                homes = max(5, int(round(crng.lognormal(0.0, 0.6) * size * 0.84)))
                mid = float(crng.beta(4 * p["cases.midrent_share"] + 0.05, 4 * (1 - p["cases.midrent_share"]) + 0.05))
                soc = float(crng.beta(4 * p["cases.social_share"] + 0.05, 4 * (1 - p["cases.social_share"]) + 0.05))
                draws = crng.random(5)
                if m.plan_capacity < 5:
                    continue
                homes = min(homes, int(m.plan_capacity))
                m.plan_capacity -= homes
                if mid + soc > 1:
                    mid, soc = mid / (mid + soc), soc / (mid + soc)
                n_mid, n_soc = int(round(homes * mid)), int(round(homes * soc))
                n_soc = min(n_soc, homes - n_mid)
                case = Case(id=len(self.cases), kind="midrent", municipality=m,
                            homes={"social": n_soc, "midrent": n_mid, "free": homes - n_mid - n_soc},
                            land_owner="developer" if draws[0] < p["developer.land_position_share"] else "municipality",
                            specific=p["table.specificity"] == "concrete", opened=month,
                            infrastructure_blocked=bool(draws[1] < p["cases.infrastructure_share"]),
                            cross_region=bool(draws[2] < p["cases.cross_region_share"]),
                            objection=bool(draws[3] < p["pipeline.objection_probability"]))
                self._cast(case, crng)
                self._propose(case, self.entry_table[m.unique_id])

    def _initial_pipeline(self) -> None:
        """Homes agreed before the run: agreed (hard plans), in procedure or under construction.

        Without them a run starting in 2022 would complete nothing for years; with them
        the first years' completions come from the plans of earlier years, as in reality.
        A case is in a stage with probability proportional to the stage's length, at a
        uniformly drawn point of it; agreed plans enter procedure within
        ``pipeline.preparation_months``.
        """
        p = self.p
        per_1000 = p["pipeline.initial_homes"]
        if per_1000 <= 0:
            return
        proc, build, prep = p["pipeline.procedure_months"], p["pipeline.construction_months"], p["pipeline.preparation_months"]
        for idx, m in enumerate(self.municipalities):
            rng = self.streams.get("initial pipeline", idx)
            left = int(round(per_1000 * m.population / 1_000))
            while left > 0:
                homes = min(left, max(5, int(round(rng.lognormal(0.0, 0.6) * p["cases.mean_homes"] * 0.84))))
                left -= homes
                n_mid = int(round(homes * p["cases.midrent_share"]))
                n_soc = min(homes - n_mid, int(round(homes * p["cases.social_share"])))
                u = rng.random() * (prep + proc + build)
                state = (State.AGREED if u < prep else
                         State.IN_PROCEDURE if u < prep + proc else State.UNDER_CONSTRUCTION)
                case = Case(id=len(self.cases), kind="pipeline", municipality=m,
                            homes={"social": n_soc, "midrent": n_mid, "free": homes - n_mid - n_soc},
                            land_owner="municipality", specific=True, opened=0)
                case.state, case.entered = state, {state.value: 0}
                case.cast = {"municipality": m}
                if state is State.UNDER_CONSTRUCTION:
                    case.construction_months = int(rng.integers(1, build + 1))
                elif state is State.IN_PROCEDURE:
                    case.procedure_months = int(rng.integers(0, proc + 1))
                    m.in_procedure += 1
                else:
                    case.ratify_month = case.agreed_month = 0
                    case.release_month = int(rng.integers(0, prep))
                self.cases.append(case)
                self.recorder.homes_event(0, case, "proposed")

    def new_performance_case(self, m, corp, homes: int, month: int) -> Case:
        rng = self.streams.get("performance", self.municipalities.index(m), self.corporations.index(corp), month)
        case = Case(id=len(self.cases), kind="performance", municipality=m,
                    homes={"social": homes, "midrent": 0, "free": 0}, land_owner="municipality", specific=True,
                    opened=month, objection=bool(rng.random() < self.p["pipeline.objection_probability"]))
        case.cast = {"municipality": m, "corporation": corp, "tenant": self.tenant_of[corp.unique_id]}
        self._propose(case, self.triangle_table[m.unique_id])
        return case

    def _propose(self, case: Case, table: Table) -> None:
        p = self.p
        if table.switches["regional_plan_review"] and case.total_homes >= p["table.plan_review_threshold"]:
            _plan_review(case, case.municipality.target_affordable_share)
        self.cases.append(case)
        case.table = table
        table.agenda.append(case)
        self.recorder.homes_event(case.opened, case, "proposed")

    def cases_in(self, state: State):
        return [c for c in self.cases if c.state is state]

    def waiting_for_procedure(self):
        return [c for c in self.cases if c.state is State.AGREED and c.ratify_month is not None]

    # --- the month --------------------------------------------------------------------
    def step(self) -> None:
        month = self.month
        self.economy = self._economy(month)
        cycles.elections(self, month)
        cycles.performance_round(self, month)
        self._arrivals(month)
        for c in self.cases:
            if c.infrastructure_blocked and c.unblock_month is not None and month >= c.unblock_month:
                c.infrastructure_blocked = False
        for table in self.tables:
            self._withdraw_stale(table, month)
            self._admit(table, month)
            if table.meets(month):
                for case in list(table.agenda):
                    self._negotiate(table, case, month)
        for case in self.cases:
            if case.state is State.AGREED and case.ratify_month is None and case.pending_ratification is not None \
                    and case.pending_ratification <= month:
                pipeline.ratify(self, case, month)
        pipeline.start_procedures(self, month)
        pipeline.advance(self, month)
        self.recorder.end_of_month(month)
        self.month += 1

    def _withdraw_stale(self, table: Table, month: int) -> None:
        """Cases that waited too long in a queue are withdrawn: their parties move on."""
        limit = self.p["escalation.max_queue_months"]
        for case in [c for c in table.queue if month - c.state_since > limit]:
            table.queue.remove(case)
            self._abandon(case, month, "withdrawn")

    def _abandon(self, case: Case, month: int, outcome: str) -> None:
        self.recorder.escalation_out(month, case, outcome)
        case.move(State.ABANDONED, month)
        self.recorder.homes_event(month, case, "abandoned")

    def _admit(self, table: Table, month: int) -> None:
        for case in [c for c in table.queue]:  # first come, first served, per member's room
            if not table.has_room(case):
                continue
            table.queue.remove(case)
            case.move(State.AT_TABLE, month)
            seat(self, table, case)
            escalation.apply_means(self, table, case)
            table.agenda.append(case)
            self.recorder.escalation_admitted(month, case)

    def _negotiate(self, table: Table, case: Case, month: int) -> None:
        p = self.p
        if case.state is State.OPEN:
            case.move(State.AT_TABLE, month)
            seat(self, table, case)
        if case.infrastructure_blocked and case.unblock_month is not None:
            return  # the national table is moving the infrastructure; the case waits at the table
        if table.level > 0:
            escalation.close_gap(self, table, case)
        result = hold_meeting(self, table, case, month)
        if result.agreed:
            table.agenda.remove(case)
            case.move(State.AGREED, month)
            if case.agreed_month is None:
                case.agreed_month = month
            self.recorder.agreement(month, case, table, result.terms)
            self.recorder.escalation_out(month, case, "agreed")
            sync = table.switches["synchronised_cycles"]
            wait = 0 if sync else max(a.months_to_window(month) for a in case.parties)
            case.pending_ratification = month + wait
            case.ratify_month = None
            if wait == 0:
                pipeline.ratify(self, case, month)
            return
        if case.meetings_at_level < deadline_for(case, p):
            return
        # stuck: the concession clock ran out
        self.recorder.impasse()
        adjust_trust(self, case, case.parties, lambda a, b: -p["trust.loss"])
        case.table_history.append(table.level_name)
        if escalation.escalate(self, case, month):
            return
        table.agenda.remove(case)
        self._abandon(case, month, "abandoned")

    def make_tranches(self, case: Case, month: int) -> None:
        """A multi-year agreement fixes the later years' homes now; they enter procedure a year apart."""
        for j in range(1, self.p["performance.term_years"]):
            t = Case(id=len(self.cases), kind="performance", municipality=case.municipality,
                     homes=dict(case.homes), land_owner="municipality", specific=True, opened=month,
                     objection=case.objection, tranche_of=case.id)
            t.cast, t.parties, t.table = case.cast, case.parties, case.table
            t.state, t.entered = State.AGREED, {State.AGREED.value: month}
            t.agreed_month = t.ratify_month = month      # bound by the parent's ratified agreement
            t.release_month = month + 12 * j
            t.agreement = dict(case.agreement)
            self.cases.append(t)
            self.recorder.homes_event(month, t, "proposed")
            self.recorder.homes_event(month, t, "agreed")

    def finish(self) -> None:
        self.month_end = self.month
        for c in self.cases:
            c.close_books(self.month)


def _plan_review(case: Case, target: float) -> None:
    """Regional review (002): raise a plan's affordable share to the shared goal, from its free homes."""
    n = case.total_homes
    short = int(round(target * n)) - case.homes["social"] - case.homes["midrent"]
    if short > 0:
        move = min(short, case.homes["free"])
        case.homes["free"] -= move
        case.homes["social"] += move // 2
        case.homes["midrent"] += move - move // 2
    case.reviewed = True


def _working_areas(municipalities, n_corp: int):
    """Give each corporation a core area: consecutive municipalities of one region.

    Municipalities are sorted by region; the list is cut into ``n_corp`` runs. With
    more corporations than municipalities, the extra ones share the largest
    municipalities' core. A corporation's non-core area is the next municipality in
    its region (seed 004: large corporations with stock outside their core).
    """
    ms = sorted(municipalities, key=lambda m: (m.region, m.name))
    n = len(ms)
    areas = []
    if n_corp >= n:
        for i, m in enumerate(ms):
            areas.append(([m], []))
        big = sorted(ms, key=lambda m: -m.population)
        for k in range(n_corp - n):
            areas.append(([big[k % n]], []))
        return areas
    bounds = [round(i * n / n_corp) for i in range(n_corp + 1)]
    for i in range(n_corp):
        core = ms[bounds[i]:bounds[i + 1]]
        nxt = ms[bounds[i + 1]] if bounds[i + 1] < n else None
        non_core = [nxt] if nxt is not None and nxt.region == core[-1].region else []
        areas.append((core, non_core))
    return areas

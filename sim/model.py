"""HousingTablesModel: the monthly schedule of the simulation.

One step is one month, in this order (MODEL.md section 3; docs/ODD.md 1.3):

1. prices: construction cost drifts monthly with inflation; rents, land prices and
   investors' yields move once a year (published changes where known, ``sim/prices.py``);
2. annual cycles: elections (March of election years); in June corporations spread their
   investment capacity over their working area, bid, and make performance agreements;
3. cases arise in municipalities under pressure, while plan capacity lasts, and go on the
   agenda of their entry table (after regional plan review, where the format has it);
4. infrastructure bottlenecks the national table took up are moved when their time is up;
5. the versnellingstafels take up queued cases within their members' yearly intake (largest
   first), send back with advice the cases they do not take up or that waited too long, and
   apply their means; then every table that meets this month gives each case on its agenda
   one meeting, all meetings of the month negotiated together as one array computation (a
   case waiting for its infrastructure gets none). Agreements go to ratification; at the end
   of the concession clock a vertical table may impose a package, else the case escalates
   (to be taken up from next month) or is abandoned;
6. ratification: signatories whose decision window has come decide on the agreement at
   today's prices and positions; the last approval binds it, a rejection loses it;
7. implementation: procedures start within municipal capacity, finished procedures start
   building within builders' capacity, buildings complete;
8. end of the month: what the meetings changed in trust, insight and tenant organisations'
   knowledge takes effect together (the tables of a month meet in parallel), and the
   month's data are collected.

All randomness comes from ``self.streams`` (named, seeded streams); the model never
touches a global random state and never imports plotting or the dashboard.
"""

from __future__ import annotations

import math
import weakref

import mesa
import numpy as np

from agents import Corporation, Developer, Economy, Investor, Municipality, TenantOrganisation
from sim import cycles, escalation, formats, pipeline, prices, ratification, tables
from sim import economics as eco
from sim.case import Case, CaseIndex, State
from sim.package import space_for
from sim.recorder import Recorder
from sim.rng import Streams
from sim.tables import (Means, Table, adjust_trust, assessment_meetings, base_insight, deadline_for,
                        hold_meetings, seat, set_padding)
from sim.trust import TrustStore


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
        self.cases: list[Case] = []
        self.index = CaseIndex()
        self.deciding: dict[int, Case] = {}     # agreements waiting for their signatories' boards
        self.schedule = pipeline.Schedule()     # the pipeline's waiting lines (agreed, in procedure, building)
        self.insight_updates: list[tuple] = []   # (table x agent codes, gains) arrays: applied at the month's end
        self.tenant_learning: list[tuple] = []   # (tenant organisation, gain): applied at the month's end
        self.elections_held = 0
        self._economies: dict[int, Economy] = {}
        # package spaces in use, by what determines them: cases share them (``space_for``)
        self.spaces: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
        self.economy = self.economy_at(0)
        self.recorder = Recorder(self)
        self._make_agents(scenario)
        self.agent_rows = list(self.agents)      # the agents in the order of the model's agent arrays
        self.agent_index = {a.unique_id: k for k, a in enumerate(self.agent_rows)}
        # per agent row: its id and its concession exponent (autonomy is fixed), for the meetings' arrays
        self.agent_ids = np.array([a.unique_id for a in self.agent_rows])
        spread = self.p["negotiation.exponent_range"]
        self.concession_exponents = np.array([eco.concession_exponent(a.autonomy, spread) for a in self.agent_rows])
        n_months = params["run.months"] + 1
        self.drift = np.zeros((len(self.agent_index), n_months))   # every board's position, month by month
        for k, a in enumerate(self.agent_rows):
            if a.drift is not None and len(a.drift):
                self.drift[k] = a.drift[:n_months]
        self.trust_store = TrustStore(len(self.agent_index), params["trust.initial"])
        self._make_tables()
        self.insight = np.full((len(self.tables), len(self.agent_index)), np.nan)  # structural tables' memory
        self.build_capacity = sum(d.build_capacity for d in self.developers)
        self.build_bucket = 0.0
        self._initial_pipeline()

    # --- set-up -------------------------------------------------------------------------
    def _autonomy(self, rng) -> float:
        return float(min(1.0, max(0.0, rng.normal(self.p["agents.autonomy"], self.p["agents.autonomy_spread"]))))

    def _phase(self, rng, months: int) -> int:
        return int(rng.integers(0, months))

    def _drift(self, kind: str, idx: int) -> np.ndarray:
        """The board's position month by month: a stationary AR(1) process, its own stream per agent."""
        p = self.p
        sd, phi, n = p["cycles.position_drift"], p["cycles.drift_persistence"], p["run.months"] + 1
        if sd <= 0:
            return np.zeros(0)
        shocks = self.streams.get("drift", _KIND_INDEX[kind], idx).normal(0.0, sd, n).tolist()
        x = shocks[0] / math.sqrt(max(1e-12, 1.0 - phi * phi))
        out = [x]
        for s in shocks[1:]:   # Python floats: the same arithmetic as numpy's, without a numpy scalar a month
            x = phi * x + s
            out.append(x)
        return np.array(out)

    def _make_agents(self, scenario) -> None:
        p = self.p
        specs = scenario.all_municipalities()
        self.municipalities: list[Municipality] = []
        for idx, s in enumerate(specs):
            rng = self.streams.get("municipality", idx)
            autonomy, phase = self._autonomy(rng), self._phase(rng, p["cycles.municipality_months"])
            self.municipalities.append(Municipality(
                self, s.name, province=s.province, region=s.region, landsdeel=s.landsdeel,
                population=s.population, pressure=s.pressure,
                vision_strength=s.vision_strength if s.vision_strength is not None else p["municipality.vision_strength"],
                financial_expertise=(s.financial_expertise if s.financial_expertise is not None
                                     else p["municipality.financial_expertise"]),
                has_advisor=bool(rng.random() < p["municipality.advisor_share"]),
                target_affordable_share=p["municipality.target_affordable_share"],
                alderman_initiative=(s.alderman_initiative if s.alderman_initiative is not None
                                     else p["municipality.alderman_initiative"]),
                process_capacity=max(1, round(p["municipality.process_capacity"] * s.population / 100_000)),
                plan_capacity=p["municipality.plan_capacity"] * s.population / 1_000,
                land_price_factor=s.land_price_factor, rent_factor=s.rent_factor, autonomy=autonomy,
                cycle_months=p["cycles.municipality_months"], cycle_phase=phase,
                drift=self._drift("municipality", idx)))
        self.investors = []
        for idx in range(scenario.actors.investors):
            rng = self.streams.get("investor", idx)
            spread = p["investor.horizon_spread"]
            self.investors.append(Investor(
                self, f"investor-{idx + 1}",
                required_return=p["investor.required_return"] * float(rng.lognormal(0.0, p["investor.return_spread"])),
                capital=p["investor.capital"] * float(rng.lognormal(0.0, p["investor.capital_spread"])),
                max_case_share=p["investor.max_case_share"],
                commitment_horizon=p["investor.commitment_horizon"] * float(rng.uniform(1 - spread, 1 + spread)),
                autonomy=self._autonomy(rng), cycle_months=p["cycles.investor_months"],
                cycle_phase=self._phase(rng, p["cycles.investor_months"]), drift=self._drift("investor", idx)))
        # what casting a case reads of every investor, fixed for the run (``_cast``)
        self._investor_terms = (np.array([i.case_limit for i in self.investors], dtype=float),
                                np.array([i.commitment_horizon >= p["municipality.midrent_commitment_years"]
                                          for i in self.investors], dtype=bool))
        self.developers = []
        for idx in range(scenario.actors.developers):
            rng = self.streams.get("developer", idx)
            self.developers.append(Developer(
                self, f"developer-{idx + 1}", margin=p["economics.developer_margin"],
                build_capacity=p["developer.build_capacity"], risk_appetite=float(rng.uniform()),
                autonomy=self._autonomy(rng), cycle_months=p["cycles.developer_months"],
                cycle_phase=self._phase(rng, p["cycles.developer_months"]), drift=self._drift("developer", idx)))
        self.corporations, self.tenant_orgs = [], []
        n_corp = scenario.actors.corporations or len(self.municipalities)
        for idx, (core, non_core) in enumerate(_working_areas(self.municipalities, n_corp)):
            rng = self.streams.get("corporation", idx)
            corp = Corporation(
                self, f"corporation-{idx + 1}", required_return=p["corporation.required_return"],
                investment_capacity=p["corporation.investment_capacity"] * float(
                    rng.lognormal(0.0, p["corporation.capacity_spread"])),
                core=core, non_core=non_core, autonomy=self._autonomy(rng),
                cycle_months=p["cycles.corporation_months"], cycle_phase=self._phase(rng, p["cycles.corporation_months"]),
                drift=self._drift("corporation", idx))
            self.corporations.append(corp)
            rng = self.streams.get("tenant", idx)
            self.tenant_orgs.append(TenantOrganisation(
                self, f"tenants-{idx + 1}",
                knowledge=float(min(1.0, max(0.0, rng.normal(p["tenant.knowledge"], p["tenant.knowledge_spread"])))),
                has_advisor=bool(rng.random() < p["tenant.advisor_share"]), advisor_boost=p["tenant.advisor_boost"],
                critical_stance=p["tenant.critical_stance"],
                volunteer_capacity=float(min(1.0, max(0.0, rng.normal(p["tenant.volunteer_capacity"],
                                                                      p["tenant.volunteer_spread"])))),
                autonomy=self._autonomy(rng),
                cycle_months=p["cycles.tenant_months"], cycle_phase=self._phase(rng, p["cycles.tenant_months"]),
                drift=self._drift("tenant", idx)))
        for k, m in enumerate(self.municipalities):
            m.index = k
        # one random stream per municipality for its cases (and per pair for performance agreements):
        # keyed by name, never by call order, so two policies on the same seed share their arrivals
        self.arrival_streams = [self.streams.get("arrivals", k) for k in range(len(self.municipalities))]
        self.election_streams = [self.streams.get("election", k) for k in range(len(self.municipalities))]
        self.performance_streams: dict = {}
        self.performance_terms: dict = {}    # (municipality, corporation) -> the case of the current multi-year term
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
        by_region: dict[str, list] = {}
        for m in self.municipalities:
            by_region.setdefault(m.region, []).append(m)
        regional_entry = {}
        for m in self.municipalities:
            if entry["scope"] == "region":
                if m.region not in regional_entry:
                    regional_entry[m.region] = self._table(f"{m.region} regional table", 0, entry, by_region[m.region])
                self.entry_table[m.unique_id] = regional_entry[m.region]
            else:
                self.entry_table[m.unique_id] = self._table(f"{m.name} local table", 0, entry, [m])
        triangle = entry if {"municipality", "corporation", "tenant"} <= entry["members"] else \
            formats.switches_of({**p, **formats.preset("lokale-driehoek")})
        self.triangle_table = {m.unique_id: self._table(f"{m.name} (lokale driehoek)", 0, triangle, [m])
                               for m in self.municipalities} if p["performance.enabled"] else {}
        regional = formats.switches_of({**p, **formats.preset("versnellingstafel-regionaal")})
        national = formats.switches_of({**p, **formats.preset("versnellingstafel-landelijk")})
        self.regional_tables = {}
        for region in sorted(by_region):
            self.regional_tables[region] = self._table(
                f"versnellingstafel {region}", 1, regional, by_region[region],
                means=Means(mediation=p["escalation.regional_mediation"], money=p["escalation.regional_money"],
                            process_help=p["escalation.process_help_months"],
                            cases_per_year=p["escalation.regional_cases_per_year"],
                            min_homes=p["escalation.regional_min_homes"]))
        extra = int(math.floor(p["escalation.max_mix_change"] / p["negotiation.mix_step"] + 1e-9)) \
            if p["negotiation.mix_step"] > 0 else 0
        self.national_table = self._table(
            "landelijke versnellingstafel", 2, national, list(self.municipalities), per_landsdeel=True,
            means=Means(mediation=p["escalation.national_mediation"], money=p["escalation.national_money"],
                        process_help=p["escalation.process_help_months"], infrastructure=True,
                        mix_levels=max(1, extra), cases_per_year=p["escalation.national_cases_per_year"],
                        min_homes=p["escalation.national_min_homes"]))
        self.higher_tables = [t for t in self.tables if t.level > 0]
        self.regional_review = {m.name for m in self.municipalities
                                if self.entry_table[m.unique_id].switches["scope"] == "region"
                                or self.entry_table[m.unique_id].switches["regional_plan_review"]}

    def _table(self, name, level, switches, area, means=None, per_landsdeel=False) -> Table:
        interval = switches["meeting_interval"]
        # a table meeting every month has one phase: no stream needed to draw it (the stream is its own)
        phase = int(self.streams.get(f"table:{name}").integers(0, interval)) if interval > 1 else 0
        t = Table(id=len(self.tables), name=name, level=level, switches=dict(switches), area=list(area),
                  means=means or Means(), per_landsdeel=per_landsdeel, phase=phase)
        self.tables.append(t)
        return t

    # --- trust and insight ----------------------------------------------------------------
    def trust_between(self, a, b) -> float:
        return self.trust_store.get(self.agent_index[a.unique_id], self.agent_index[b.unique_id])

    def trust_among(self, parties: list, delta: float) -> None:
        """Trust of every party in every other party changes by ``delta`` now (a learning session of a
        structural table's roster: some 3,000 pairs at a national table), pair (a, b) by pair in
        ``parties`` order, a before b. Distinct pairs are changed as one array update; an agent
        listed twice has its pairs changed twice, in turn."""
        if not delta:
            return
        idx = np.array([self.agent_index[a.unique_id] for a in parties], dtype=np.int64)
        n = len(idx)
        rows, cols = np.repeat(idx, n), np.tile(idx, n)
        other = rows != cols                    # ``a is not b``: the same agent is the same row
        rows, cols = rows[other], cols[other]
        batches = [(rows, cols)] if len(np.unique(idx)) == n else [([i], [j]) for i, j in zip(rows, cols)]
        for r, c in batches:
            self.recorder.trust_changed(self.month, *self.trust_store.set_now(r, c, np.full(len(r), delta)))

    def add_trust(self, changes: list) -> None:
        """Trust of a in b changes by ``delta``, for each (a, b, delta) in ``changes``, at the end of
        this month (the tables meet in parallel)."""
        index = self.agent_index
        for a, b, delta in changes:
            self.trust_store.add(index[a.unique_id], index[b.unique_id], delta)

    def reset_trust(self, agent, share) -> None:
        """A new alderman: trust to and from the municipality moves back towards the start, and
        what the old one had learned at every table goes with it."""
        i = agent.unique_id
        self.recorder.trust_changed(self.month, *self.trust_store.reset(self.agent_index[i], share))
        base = self.p["learning.base_insight"]
        col = self.insight[:, self.agent_index[i]]
        self.insight[:, self.agent_index[i]] = np.where(np.isnan(col), col, col * (1 - share) + base * share)

    # --- prices -------------------------------------------------------------------------
    def economy_at(self, month: int) -> Economy:
        """The prices of ``month`` (kept: ratification looks back at the months of agreements)."""
        if month not in self._economies:
            self._economies[month] = self._economy(month)
        return self._economies[month]

    def _economy(self, month: int) -> Economy:
        p = self.p
        start, year = p["run.start_year"], p["run.start_year"] + month // 12
        series = p["economics.price_series"]
        rate = p["economics.rent_indexation"]

        def idx(name, fallback):
            return prices.index(name if series else None, start, year, fallback)

        land = (1 + p["economics.land_indexation"]) ** (month // 12)
        return Economy(
            construction_cost=p["economics.construction_cost"] * (1 + p["economics.cost_inflation"]) ** (month / 12),
            market_rent=p["economics.market_rent"] * idx(None, rate),
            midrent_cap=p["economics.midrent_cap"] * idx("midrent_cap", rate),
            social_rent=p["economics.social_rent"] * idx("social_rent_limit", rate),
            operating_cost_share=p["economics.operating_cost_share"],
            owner_land_price=p["economics.owner_land_price"] * land,
            land_development_cost=p["economics.land_development_cost"] * land,
            social_land_price=p["economics.social_land_price"] * land, developer_margin=p["economics.developer_margin"],
            tenant_discount=p["economics.tenant_discount"],
            investor_return=p["investor.required_return"] * idx("investor_gross_yield", 0.0),
            corporation_return=p["corporation.required_return"])

    # --- cases --------------------------------------------------------------------------
    def _cast(self, case: Case, rng) -> None:
        m = case.municipality
        cast = {"municipality": m}
        if self.investors:
            # the alderman looks for investors willing to commit for the years the vision asks (seed 000): of all
            # investors at once, in their order, those able to fund the case (its mid-rent homes at construction
            # cost within their case limit), preferring those whose mandate is that long
            limits, long_enough = self._investor_terms
            mid = case.homes["midrent"]
            able = limits >= (mid * self.economy.local(m).construction_cost) if mid else np.ones(len(limits), bool)
            willing = able & long_enough
            pool = (willing if willing.any() else able).nonzero()[0].tolist()   # the investors' positions
            u = rng.random(self.p["cases.investors_approached"])  # drawn whatever the pool: common random numbers
            if pool:
                # a small tender: of the investors it approaches, the alderman takes the lowest required yield
                shortlist = {self.investors[pool[int(x * len(pool))]] for x in u}
                cast["investor"] = min(shortlist, key=lambda i: (i.base_return, i.unique_id))
        cast["developer"] = self.developers[int(rng.integers(len(self.developers)))]
        corps = self.corporations_in.get(m.unique_id, [])
        if corps:
            cast["corporation"] = corps[0]
            cast["tenant"] = self.tenant_of[corps[0].unique_id]
        case.cast = cast

    def _arrivals(self, month: int) -> None:
        p = self.p
        sigma = p["cases.size_spread"]
        per_year, mean_homes, elasticity = p["cases.per_year"], p["cases.mean_homes"], p["cases.size_elasticity"]
        min_homes, conc = p["cases.min_homes"], p["cases.mix_concentration"]
        mid_a, mid_b = conc * p["cases.midrent_share"] + 0.05, conc * (1 - p["cases.midrent_share"]) + 0.05
        soc_a, soc_b = conc * p["cases.social_share"] + 0.05, conc * (1 - p["cases.social_share"]) + 0.05
        land_share, infra_share = p["developer.land_position_share"], p["cases.infrastructure_share"]
        cross_share, objection_p = p["cases.cross_region_share"], p["pipeline.objection_probability"]
        cost_spread, specific = p["cases.cost_spread"], p["table.specificity"] == "concrete"
        for idx, m in enumerate(self.municipalities):
            crng = self.arrival_streams[idx]
            rate = per_year * m.pressure * m.alderman_initiative * m.population / 100_000 / 12
            n = int(crng.poisson(rate))
            if not n:
                continue
            size = mean_homes * (m.population / 100_000) ** elasticity
            for k in range(n):
                # lognormal with mean 1: the case's size varies around the municipality's typical size
                homes = max(min_homes, int(round(crng.lognormal(-sigma * sigma / 2, sigma) * size)))
                mid = float(crng.beta(mid_a, mid_b))
                soc = float(crng.beta(soc_a, soc_b))
                draws = crng.random(6)
                cost = float(crng.normal(0.0, cost_spread))
                if m.plan_capacity < min_homes:
                    continue
                homes = min(homes, int(m.plan_capacity))
                m.plan_capacity -= homes
                if mid + soc > 1:
                    mid, soc = mid / (mid + soc), soc / (mid + soc)
                n_mid, n_soc = int(round(homes * mid)), int(round(homes * soc))
                n_soc = min(n_soc, homes - n_mid)
                case = Case(id=len(self.cases), kind="midrent", municipality=m,
                            homes={"social": n_soc, "midrent": n_mid, "free": homes - n_mid - n_soc},
                            land_owner="developer" if draws[0] < land_share else "municipality",
                            specific=specific, opened=month,
                            infrastructure_blocked=bool(draws[1] < infra_share),
                            cross_region=bool(draws[2] < cross_share),
                            objection=bool(draws[3] < objection_p),
                            cost_factor=max(0.5, 1.0 + cost), imposition_draw=float(draws[4]))
                case.concrete = case.specific
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
        sigma = p["cases.size_spread"]
        proc, build, prep = p["pipeline.procedure_months"], p["pipeline.construction_months"], p["pipeline.preparation_months"]
        for idx, m in enumerate(self.municipalities):
            rng = self.streams.get("initial pipeline", idx)
            left = int(round(per_1000 * m.population / 1_000))
            while left > 0:
                homes = min(left, max(p["cases.min_homes"],
                                      int(round(rng.lognormal(-sigma * sigma / 2, sigma) * p["cases.mean_homes"]))))
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
                    self.schedule.under_construction(case, 0, case.construction_months)
                elif state is State.IN_PROCEDURE:
                    case.procedure_months = int(rng.integers(0, proc + 1))
                    m.in_procedure += 1
                    self.schedule.in_procedure(case, 0)
                else:
                    case.ratify_month = case.agreed_month = 0
                    self.schedule.agreed(case)
                    case.release_month = int(rng.integers(0, prep))
                self.cases.append(case)
                self.index.add(case)
                self.recorder.homes_event(0, case, "proposed")

    def new_performance_case(self, m, corp, homes: int, month: int) -> Case:
        key = (m.index, self.corporations.index(corp))
        if key not in self.performance_streams:
            self.performance_streams[key] = self.streams.get("performance", *key)
        draws = self.performance_streams[key].random(2)
        case = Case(id=len(self.cases), kind="performance", municipality=m,
                    homes={"social": homes, "midrent": 0, "free": 0}, land_owner="municipality", specific=True,
                    opened=month, objection=bool(draws[0] < self.p["pipeline.objection_probability"]),
                    imposition_draw=float(draws[1]))
        case.cast = {"municipality": m, "corporation": corp, "tenant": self.tenant_of[corp.unique_id]}
        if self.p["performance.multi_year"]:
            self.performance_terms[key] = case
        self._propose(case, self.triangle_table[m.unique_id])
        return case

    def _propose(self, case: Case, table: Table) -> None:
        p = self.p
        if table.switches["regional_plan_review"] and case.total_homes >= p["table.plan_review_threshold"]:
            _plan_review(case, case.municipality.target_affordable_share)
        self.cases.append(case)
        self.index.add(case)
        case.table = table
        table.agenda.append(case)
        self.recorder.homes_event(case.opened, case, "proposed")

    def cases_in(self, state: State) -> list:
        """Cases in ``state``, oldest first (the index keeps them by state: no scan of all cases)."""
        return self.index.in_state(state)


    # --- the month --------------------------------------------------------------------
    def step(self) -> None:
        month = self.month
        self.economy = self.economy_at(month)
        cycles.elections(self, month)
        cycles.performance_round(self, month)
        self._arrivals(month)
        for c in self.national_table.agenda:
            if c.infrastructure_blocked and c.unblock_month is not None and month >= c.unblock_month:
                c.infrastructure_blocked = False
        for table in self.higher_tables:
            escalation.admit(self, table, month)
        self._meet(month)
        ratification.decide_all(self, month)
        pipeline.start_procedures(self, month)
        pipeline.advance(self, month)
        self._end_of_month(month)
        self.recorder.end_of_month(month)
        self.month += 1

    def _end_of_month(self, month: int) -> None:
        """What the month's meetings changed in trust and insight takes effect together."""
        self.recorder.trust_changed(month, *self.trust_store.apply())
        self._learn_at_tables(self.insight_updates)
        self.insight_updates.clear()
        for tenant, gain in self.tenant_learning:
            tenant.learn(gain)
        self.tenant_learning.clear()

    def _learn_at_tables(self, updates: list) -> None:
        """Apply the month's insight gains at structural tables, in the order made: ``updates`` are
        (codes, gains) arrays, a code being ``table.id * agents + agent row`` (``tables._learn``).

        Several gains of one party at one table compound, each in turn (``learned``). All parties
        at all tables are updated together: step t applies every pair's t-th gain at once, the
        same arithmetic in the same order as one gain at a time."""
        if not updates:
            return
        n = self.insight.shape[1]
        pair = np.concatenate([codes for codes, _ in updates])
        order = np.argsort(pair, kind="stable")
        keys, first, count = np.unique(pair[order], return_index=True, return_counts=True)
        gains = np.concatenate([g for _, g in updates])[order]
        v = self.insight.flat[keys]
        for k in np.isnan(v).nonzero()[0]:   # not met at this table yet: what the party brings
            v[k] = base_insight(self.agent_rows[int(keys[k]) % n])
        for step in range(int(count.max())):
            now = (count > step).nonzero()[0]
            v[now] = np.minimum(1.0, np.maximum(0.0, v[now] + gains[first[now] + step] * (1 - v[now])))
        self.insight.flat[keys] = v

    def abandon(self, case: Case, month: int, outcome: str) -> None:
        self.recorder.escalation_out(month, case, outcome)
        case.move(State.ABANDONED, month)
        self.recorder.homes_event(month, case, "abandoned")
        case.leave_the_table()

    def _meet(self, month: int) -> None:
        """Every table that meets this month gives each case on its agenda one meeting, all at once."""
        items, new = [], []
        for table in self.tables:
            if not table.agenda or not table.meets(month):
                continue
            for case in table.agenda:
                if case.state is State.OPEN:
                    case.move(State.AT_TABLE, month)
                    seat(self, table, case, pad=False)
                    new.append((table, case))
                if case.infrastructure_blocked and case.unblock_month is not None:
                    continue  # the national table is moving the infrastructure; the case waits at the table
                items.append((table, case))
        set_padding(self, new)
        escalation.close_gaps(self, [(t, c) for t, c in items if t.level > 0], month)
        agreed, stuck = [], []
        for (table, case), terms in zip(items, hold_meetings(self, items, month)):
            if terms is not None:
                agreed.append((table, case, terms))
            elif case.meetings_at_level >= deadline_for(case, self.p):
                # stuck: the concession clock ran out
                self.recorder.impasse()
                adjust_trust(self, case, case.parties, lambda a, b: -self.p["trust.loss"])
                case.table_history.append(table.level_name)
                stuck.append((table, case))
        agreed += escalation.stuck_cases(self, stuck, month)
        self.agree(agreed, month)

    def agree(self, agreed: list, month: int) -> None:
        """Tables reached agreements (or imposed them): record them and send them to the signatories' boards,
        which decide in the ratification phase of the month (``ratification.decide_all``).

        An agreement on a general question is one on intent: no board can sign a plan that does
        not exist yet. The table goes on to work out the concrete plan (``work_out``) and the case
        is agreed when the parties agree on that. A package a vertical table imposes is already
        concrete: the governments impose it at the location's own numbers (``escalation.impose``)."""
        for table, case, terms in agreed:
            if not case.concrete:
                if terms.imposed:
                    case.concrete = True
                else:
                    self.work_out(table, case, month)
        agreed = [(table, case, terms) for table, case, terms in agreed if case.agreed_in_principle != month]
        self.recorder.agreements_reached(month, agreed)
        for table, case, terms in agreed:
            table.agenda.remove(case)
            case.move(State.AGREED, month)
            if case.agreed_month is None:
                case.agreed_month = month
            surplus = terms.available - terms.money + sum(terms.claims[j] for j in terms.absent)
            self.recorder.escalation_out(month, case, "agreed")
            case.agreement = {"variant": terms.variant, "claims": dict(terms.claims), "surplus": surplus,
                              "openings": dict(terms.openings), "needs": dict(terms.needs), "month": month}
            case.ratify_month = None
            ratification.schedule(self, case, table, month)

    def work_out(self, table: Table, case: Case, month: int) -> None:
        """Seed 001: a general question agreed in principle becomes a concrete plan, at the same table.

        The plan opens the issues a general question lacked (mix, rent, commitment, priority) and
        shows the location's own cost (``cases.cost_spread``); the parties negotiate it from where
        their concessions stand, on a fresh concession clock. How long that takes, and whether the
        real numbers fit, is the negotiation's, not a fixed delay."""
        case.concrete = True
        case.agreed_in_principle = month
        case.space = space_for(case, self.p, concrete=True, mix_levels=table.means.mix_levels, shared=self.spaces)
        case.variant = case.space.plan
        case.meetings_at_level = 0
        case.assessment_meetings = assessment_meetings(self, table, case)

    def on_bind(self, case: Case) -> None:
        """A performance agreement bound: the corporation remembers the municipality's counter-performance."""
        if case.kind != "performance" or case.tranche_of is not None:
            return
        corp, muni = case.cast["corporation"], case.cast["municipality"]
        conceded = self.recorder.agreement_concessions[case.agreement_id].get(muni.unique_id, 0.0)
        priority = float(case.space.priority[case.agreement["variant"]])
        w = self.p["corporation.priority_weight"]
        corp.reciprocity[muni.name] = (1.0 - w) * conceded + w * priority

    def update_performance(self, m, corp, homes: int, month: int) -> Case | None:
        """The yearly update of a multi-year performance agreement (seed 004: 'meerjarenafspraken
        ... met jaarlijks een update'): one meeting, and this year's bid becomes this year's homes
        on the agreement's terms. Before the term's agreement binds the update waits for it; a term
        whose negotiation failed has nothing to update. Returns the term's case if it is bound, for
        ``make_tranches`` (called once for all of the month's updates, so they are valued together)."""
        parent = self.performance_terms.get((m.index, self.corporations.index(corp)))
        if parent is None or parent.state is State.ABANDONED:
            return None
        self.recorder.meetings[("local", "performance_update")] += 1
        parent.updates.append(homes)
        return parent if parent.ratify_month is not None else None

    def make_tranches(self, parents: list, month: int, drafted: dict | None = None) -> None:
        """Bound multi-year agreements' updated years: each enters procedure as a tranche of its
        agreement, or is negotiated anew when the agreement no longer fits that year.

        A tranche is the homes that year's bid pays for (the corporation's capacity at that year's
        construction cost), not a copy of the first year's. The update keeps the agreement's terms
        only while they still leave every signatory its reservation at that year's rents, yields and
        costs (a zone of agreement for the tranche); otherwise the year is a performance negotiation
        like a yearly one (``new_performance_case``), which then carries the rest of the term.
        ``drafted``: the parents' tranches as ``draft_tranches`` made them (for more parents than these)."""
        drafted = drafted or {}
        missing = [case for case in parents if case.updates and case.id not in drafted]
        if missing:
            drafted = {**drafted, **self.draft_tranches(missing, month)}
        for case in parents:
            case.updates = []
            for t, row in drafted.get(case.id, ()):
                if not row[t.variant] <= 1e-6:
                    self.new_performance_case(case.municipality, case.cast["corporation"], t.homes["social"], month)
                    continue
                t.id = len(self.cases)
                t.state, t.entered = State.AGREED, {State.AGREED.value: month}
                t.agreed_month = t.ratify_month = t.release_month = month  # bound by the parent's agreement
                t.process_help = case.process_help
                t.agreement = dict(case.agreement)
                self.cases.append(t)
                self.index.add(t)
                self.schedule.agreed(t)
                self.recorder.homes_event(month, t, "proposed")
                self.recorder.homes_event(month, t, "agreed")

    def draft_tranches(self, parents: list, month: int) -> dict:
        """The tranches the parents' yearly updates would make, valued together: parent id -> [(draft
        tranche, its shortfall per variant (``tables.shortfalls``))]. A draft depends only on its
        parent and this month's prices, so the drafts of a month's deciding agreements are valued in
        one batch, before their boards decide (``ratification.decide_all``)."""
        drafts = []
        for case in parents:
            for homes in case.updates:
                t = Case(id=-1, kind="performance", municipality=case.municipality,
                         homes={"social": homes, "midrent": 0, "free": 0}, land_owner="municipality",
                         specific=True, opened=month, objection=case.objection, tranche_of=case.id)
                t.cast, t.parties, t.absent, t.table = case.cast, case.parties, case.absent, case.table
                t.slots = case.slots
                t.space, t.variant = space_for(t, self.p, concrete=True, shared=self.spaces), case.agreement["variant"]
                drafts.append((case, t))
        out: dict[int, list] = {}
        if drafts:
            for (case, t), row in zip(drafts, tables.shortfalls(self, [t for _, t in drafts], month)):
                out.setdefault(case.id, []).append((t, row))
        return out

    def finish(self) -> None:
        self.month_end = self.month
        for c in self.cases:
            c.close_books(self.month)


_KIND_INDEX = {"municipality": 0, "investor": 1, "developer": 2, "corporation": 3, "tenant": 4}


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

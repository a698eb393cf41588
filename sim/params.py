"""The one declaration of every model parameter.

Each parameter has a dotted name, a type, a unit, a default, bounds (or allowed
choices) and a one-line meaning. Scenario validation, ``run(overrides=...)``, the CLI
(``tafelsim params``) and, later, sweep designs and dashboard sliders all read this
table, so a parameter is declared here once and nowhere else.

Defaults come from ``shared/FACTS.md`` and the worked example in MODEL.md section 5.2;
``source`` says where, and is empty for model assumptions.
"""

from __future__ import annotations

import difflib
import math
import numbers
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from sim.errors import InputError, shown, shown_name


class ParameterError(InputError):
    """A parameter is unknown, of the wrong type or out of bounds.

    ``where`` names the file (or "overrides"), ``field`` the parameter, and the message
    says what is allowed, so the CLI can print one clear line.
    """


@dataclass(frozen=True)
class Param:
    name: str
    kind: type  # float, int, bool or str (str means: one of `choices`)
    default: Any
    unit: str
    doc: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    source: str = ""
    requires: str = ""   # a bool switch (a parameter's name) this one acts only while on; "": always acts

    @property
    def meaning(self) -> str:
        """The doc, and when it acts: what every listing of the parameter shows."""
        return self.doc + (f" (acts only while {self.requires} is on)" if self.requires else "")

    def allowed(self) -> str:
        if self.kind is frozenset:
            return "a list of: " + ", ".join(self.choices)
        if self.kind is bool:
            return "true or false"
        if self.choices:
            return "one of " + ", ".join(self.choices)
        return f"{self.kind.__name__} in [{self.low:g}, {self.high:g}]" + (f" {self.unit}" if self.unit else "")

    def coerce(self, value: Any, where: str) -> Any:
        """Return ``value`` as this parameter's type, or raise ParameterError."""
        bad = ParameterError(where, self.name, f"got {shown(value)}; allowed: {self.allowed()}")
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value.lower() in {"true", "false", "yes", "no", "1", "0"}:
                return value.lower() in {"true", "yes", "1"}
            raise bad
        if self.kind is frozenset:
            items = value.replace("+", ",").split(",") if isinstance(value, str) else value
            if not isinstance(items, (list, tuple, set, frozenset)):
                raise bad
            items = frozenset(str(i).strip() for i in items if str(i).strip())
            if not items or not items <= set(self.choices):
                raise bad
            return items
        if self.choices:
            if isinstance(value, str) and value in self.choices:
                return value
            raise bad
        if isinstance(value, bool):  # True is not 1 here: a boolean for a number is a mistake
            raise bad
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise bad from None
        # numbers.Real takes numpy's numbers too (a sweep's design points); NaN and infinities are refused
        try:
            if not isinstance(value, numbers.Real) or not math.isfinite(value):
                raise bad
        except OverflowError:  # an int too large for a float is beyond every bound
            raise bad from None
        if self.kind is int:
            if value != int(value):
                raise bad
            value = int(value)
        else:
            value = float(value)
        if not (self.low <= value <= self.high):
            raise bad
        return value


def _p(name, kind, default, unit, doc, low=None, high=None, choices=(), source=""):
    return Param(name, kind, default, unit, doc, low, high, tuple(choices), source)


def _while(switch: str, params: list[Param]) -> list[Param]:
    """``params`` act only while the bool parameter ``switch`` is on: with it off the model never reads
    them (a test checks that they then change nothing). The dashboard marks them, and the parameter
    listing says so."""
    return [replace(p, requires=switch) for p in params]


_DECLARED: list[Param] = [
    # --- time -------------------------------------------------------------------------
    _p("run.start_year", int, 2018, "year", "calendar year of month 0", 2000, 2050),
    _p("run.months", int, 96, "months", "length of the run", 1, 600),
    # --- economics (per home) ---------------------------------------------------------
    _p("economics.construction_cost", float, 165_000, "EUR/home",
       "construction cost and fees of a new home in the start year", 50_000, 500_000,
       source="MODEL.md 5.2; Aedes 2021: 182-190k"),
    _p("economics.price_series", bool, True, "",
       "rents and yields follow the published year-on-year changes of scenarios/data/prices_nl.csv where it has "
       "them (else the declared rates)", source="FACTS.md"),
    _p("economics.cost_inflation", float, 0.03, "1/year",
       "yearly rise of construction cost, monthly (agreed prices are indexed: it does not erode an agreement "
       "waiting for ratification, 3.4.9)", 0.0, 0.3),
    _p("economics.rent_indexation", float, 0.025, "1/year",
       "yearly rise of market rent, and of the mid-rent cap and social rent where no published change is known",
       0.0, 0.2,
       source="FACTS.md: social rent limit 710.68 (2018) -> 900.07 (2025), ~3.4%/year"),
    _p("economics.land_indexation", float, 0.02, "1/year",
       "yearly rise of land prices (owner-occupied and social) and land development cost", 0.0, 0.2),
    _p("economics.market_rent", float, 950, "EUR/month",
       "free-sector rent of a typical new mid-size home", 300, 3_000, source="MODEL.md 5.2"),
    _p("economics.midrent_cap", float, 1_000, "EUR/month",
       "maximum rent of a mid-rent home (municipal rule before 2024, Wet betaalbare huur after)", 300, 3_000,
       source="FACTS.md: 1,157.95 (July 2024)"),
    _p("economics.social_rent", float, 710.68, "EUR/month", "rent of a new social home (liberalisation limit)",
       300, 2_000, source="FACTS.md: 710.68 (2015-18)"),
    _p("economics.operating_cost_share", float, 0.25, "share of rent",
       "operating costs, maintenance and vacancy as a share of gross rent", 0.0, 0.7, source="MODEL.md 5.2"),
    _p("economics.owner_land_price", float, 100_000, "EUR/home",
       "what a plot fetches when sold for owner-occupied homes (the municipality's alternative)", 0, 600_000,
       source="MODEL.md 5.2"),
    _p("economics.land_development_cost", float, 55_000, "EUR/home",
       "cost of preparing land for a home: acquisition, clearing, public works (grondexploitatie)", 0, 300_000,
       source="MODEL.md 5.2"),
    _p("economics.public_cost_share", float, 0.5, "share",
       "share of the land development cost that is public works a municipality recovers from a developer "
       "that owns the land (kostenverhaal)", 0.0, 1.0),
    _p("economics.social_land_price", float, 22_500, "EUR/home",
       "municipal land policy price of a social home's plot", 0, 150_000, source="FACTS.md: Aedes land price survey"),
    _p("economics.developer_margin", float, 0.07, "share of value", "margin a developer needs on the homes' value",
       0.0, 0.2, source="MODEL.md 5.2"),
    _p("economics.tenant_discount", float, 50, "EUR/month",
       "rent reduction a critical tenant organisation asks on affordable homes", 0, 500),
    # --- actors -----------------------------------------------------------------------
    _p("investor.required_return", float, 0.0375, "1/year",
       "investors' required NET initial yield (NAR) in the start year; sources quoting a gross yield (BAR) "
       "convert with NAR = BAR x (1 - operating-cost share)", 0.01, 0.15,
       source="MODEL.md 5.2 (NAR 3.75%); FACTS.md gives gross yields: 3.75% (2022), 4.2% (2023), 4.8% (2024)"),
    _p("investor.return_spread", float, 0.08, "log sd",
       "spread between investors' own required yields (lognormal around the market's)", 0.0, 1.0),
    _p("investor.capital_spread", float, 0.5, "log sd", "spread of investors' capital (lognormal)", 0.0, 2.0),
    _p("investor.horizon_spread", float, 0.5, "share",
       "investors' mandated commitment horizons lie uniformly within this share either side of the typical one",
       0.0, 0.95, source="seed 000: investors 'die voor langere periode middenhuur willen realiseren'"),
    _p("investor.commitment_horizon", float, 15, "years",
       "most years a typical investor's mandate lets it keep homes mid-rent", 1, 50,
       source="seed 000: investors 'die voor langere periode middenhuur willen realiseren'"),
    _p("investor.max_case_share", float, 0.1, "share of capital",
       "largest share of its capital an investor puts into one case", 0.001, 1.0),
    _p("investor.capital", float, 1.0e9, "EUR", "capital of a typical investor", 1e6, 1e11),
    _p("corporation.required_return", float, 0.03, "1/year",
       "corporations' required return on social new-build (low: social mission)", 0.0, 0.15),
    _p("corporation.investment_capacity", float, 40e6, "EUR/year",
       "new-build budget per corporation and year, from its financial ratios", 0, 2e9,
       source="FACTS.md: ICR >= 1.4, LTV <= 70%"),
    _p("corporation.capacity_spread", float, 0.3, "log sd", "spread of corporations' investment capacity",
       0.0, 2.0),
    _p("corporation.noncore_weight", float, 0.25, "weight",
       "weight of a municipality outside its core area when a corporation spreads its capacity (core: 1)",
       0.0, 1.0, source="seed 004: corporations withdrew from municipalities outside their core area"),
    _p("corporation.priority_weight", float, 0.5, "share",
       "weight of a fast-tracked procedure (against the municipality's concession on land price) in the "
       "counter-performance a corporation remembers", 0.0, 1.0, source="seed 004: land, procedures"),
    _p("corporation.reciprocity_weight", float, 0.5, "weight",
       "how much more a corporation invests where the municipality gave counter-performance (land price, "
       "procedures) in its last performance agreement", 0.0, 5.0,
       source="seed 004: 'Corporaties verwachten van gemeenten meer wederkerigheid'"),
    _p("developer.build_capacity", float, 400, "homes/year", "homes a developer can start per year", 1, 50_000),
    _p("developer.margin_spread", float, 0.2, "share",
       "developers' own margins lie within this share either side of the market margin, by risk appetite",
       0.0, 0.9),
    _p("developer.land_premium", float, 0.3, "share",
       "share of its site's value for owner-occupied homes (above development cost) a developer wants for its "
       "land position", 0.0, 1.0, source="model assumption; municipalities can require affordable shares on "
       "private land (doelgroepenverordening, Wro 2014)"),
    _p("developer.land_position_share", float, 0.3, "share",
       "share of cases on land owned by a developer (leverage) rather than the municipality", 0.0, 1.0),
    _p("municipality.midrent_commitment_years", float, 15, "years",
       "years a mid-rent home must stay mid-rent (municipal demand)", 0, 50),
    _p("municipality.vision_strength", float, 0.5, "0..1",
       "how strongly the housing vision trades land revenue for affordability", 0.0, 1.0, source="seeds 000, 004"),
    _p("municipality.financial_expertise", float, 0.5, "0..1",
       "ability to assess a bid or business case: others pad less against it, it needs fewer meetings to assess",
       0.0, 1.0, source="seed 004: 'Het beoordelen van het bod (vergt financiële kennis) vinden gemeenten lastig'"),
    _p("municipality.advisor_share", float, 0.0, "share",
       "share of municipalities that hire financial expertise for the tables", 0.0, 1.0),
    _p("municipality.advisor_boost", float, 0.5, "share", "share of its missing expertise an advisor makes up",
       0.0, 1.0),
    _p("municipality.pool_expertise", float, 0.7, "0..1",
       "expertise a regional expertise pool brings where a table has one (table.expertise_pool)", 0.0, 1.0),
    _p("municipality.assessment_meetings", int, 2, "meetings",
       "meetings a municipality without any financial expertise needs to assess a business case before it can "
       "sign (scaled by its missing expertise)", 0, 12, source="seed 004"),
    _p("municipality.midrent_value", float, 20_000, "EUR/home",
       "what a municipality with the strongest vision forgoes in land revenue for one mid-rent home "
       "(a middle-income household housed, a mixed neighbourhood), on top of its tenant's rent saving",
       0, 200_000, source="seed 000: 'gemengde wijken en het tegengaan van segregatie'"),
    _p("municipality.discount_rate", float, 0.0225, "1/year",
       "social discount rate at which a municipality values tenants' rent savings over the commitment",
       0.0, 0.1, source="Werkgroep discontovoet 2020: 2.25% real"),
    _p("municipality.priority_cost", float, 1_500, "EUR/home",
       "what fast-tracking a case's procedure costs a municipality in scarce capacity", 0, 50_000),
    _p("municipality.target_affordable_share", float, 0.67, "share",
       "share of new homes the vision wants social or mid-rent", 0.0, 1.0, source="FACTS.md: NWBA two thirds"),
    _p("municipality.process_capacity", float, 6, "cases per 100k inhabitants",
       "cases a municipality can have in procedure at once", 0.1, 100, source="FACTS.md: VNG 70% short of staff"),
    _p("municipality.alderman_initiative", float, 1.0, "0..1",
       "how actively the alderman brings cases to a table (scales the case rate)", 0.0, 1.0, source="seeds 000, 001"),
    _p("municipality.plan_capacity", float, 64, "homes per 1,000 inhabitants",
       "homes on available locations at the start (hard and soft plans)", 0, 1_000,
       source="FACTS.md: plan capacity ~127% of need; need ~50 per 1,000 to 2030"),
    _p("tenant.knowledge", float, 0.4, "0..1", "initial knowledge of the themes of a tenant organisation",
       0.0, 1.0, source="seed 004"),
    _p("tenant.insight_per_knowledge", float, 0.4, "0..1",
       "insight into the others' arithmetic per unit of a tenant organisation's knowledge of the themes",
       0.0, 1.0),
    _p("tenant.learning_floor", float, 0.5, "factor",
       "a tenant organisation learns at insight_gain x (this + its volunteer time)", 0.0, 2.0, source="seed 004"),
    _p("tenant.knowledge_spread", float, 0.1, "sd", "spread of tenant organisations' initial knowledge",
       0.0, 0.5),
    _p("tenant.advisor_share", float, 0.5, "share", "share of tenant organisations with an advisor",
       0.0, 1.0, source="seed 004: half"),
    _p("tenant.volunteer_capacity", float, 0.5, "0..1",
       "volunteer time of a tenant organisation (scales how fast it learns)", 0.0, 1.0, source="seed 004"),
    _p("tenant.volunteer_spread", float, 0.15, "sd", "spread of tenant organisations' volunteer time", 0.0, 0.5),
    _p("tenant.advisor_boost", float, 0.3, "0..1", "knowledge an advisor adds", 0.0, 1.0),
    _p("tenant.critical_stance", float, 0.5, "0..1", "how hard tenant organisations press for affordability",
       0.0, 1.0),
    _p("agents.autonomy", float, 0.5, "0..1", "mean autonomy (1: concede late, Boulware; 0: early, Conceder)",
       0.0, 1.0),
    _p("agents.autonomy_spread", float, 0.15, "0..1", "spread (sd) of autonomy between agents", 0.0, 0.5),
    # --- cases ------------------------------------------------------------------------
    _p("cases.per_year", float, 2.0, "cases per 100,000 inhabitants per year", "cases put forward per 100,000 inhabitants a year at full pressure and alderman initiative",
       0.0, 50),
    _p("cases.min_homes", int, 5, "homes", "smallest case (and the plan capacity below which none arises)", 1, 1_000),
    _p("cases.mean_homes", float, 120, "homes", "mean size of a case in a municipality of 100,000", 5, 5_000),
    _p("cases.size_elasticity", float, 0.25, "elasticity",
       "how case size grows with population (size ~ population^elasticity)", 0.0, 1.0),
    _p("cases.size_spread", float, 0.6, "log sd", "spread of case sizes (lognormal with mean 1)", 0.0, 2.0),
    _p("cases.mix_concentration", float, 4.0, "beta concentration",
       "how closely cases' segment shares follow the means (higher: closer)", 0.1, 100),
    _p("cases.cost_spread", float, 0.05, "sd",
       "spread of a location's own construction cost around the standard (known once the plan is concrete)",
       0.0, 0.5),
    _p("cases.midrent_share", float, 0.5, "share", "mean mid-rent share of a case", 0.0, 1.0),
    _p("cases.social_share", float, 0.2, "share", "mean social share of a case", 0.0, 1.0),
    _p("cases.investors_approached", int, 3, "investors",
       "investors an alderman approaches for a case; it takes the one asking the lowest yield (a small tender)",
       1, 50, source="seed 000: 'hebben gemeenten investeerders gevonden', 'de eerste tenders inmiddels gestart'"),
    _p("cases.infrastructure_share", float, 0.0, "share",
       "share of cases blocked by infrastructure (e.g. grid congestion) that only the national level can move",
       0.0, 1.0, source="FACTS.md: 160,000 homes at risk (2024)"),
    _p("cases.cross_region_share", float, 0.0, "share", "share of cases whose bottleneck crosses regions", 0.0, 1.0,
       source="seed 003"),
    # --- negotiation ------------------------------------------------------------------
    _p("negotiation.rounds_per_meeting", int, 4, "rounds", "offer rounds in one meeting", 1, 50),
    _p("negotiation.meetings_to_deadline", int, 4, "meetings",
       "meetings after which a case without agreement is stuck (the concession clock's end)", 1, 48),
    _p("negotiation.padding", float, 0.5, "share", "padding of opening demands at zero trust and insight",
       0.0, 1.0),
    _p("negotiation.reciprocity", float, 0.5, "0..1",
       "how strongly a party's step follows the others' steps relative to its own (tit for tat)", 0.0, 1.0),
    _p("negotiation.exponent_range", float, 4.0, "factor",
       "range of the concession exponent: autonomy 1 gives e = 1/range (Boulware), 0 gives e = range (Conceder)",
       1.0, 20.0, source="Faratin, Sierra and Jennings (1998): time-dependent tactics"),
    _p("negotiation.reciprocity_ratio_cap", float, 2.0, "ratio",
       "largest ratio of the others' step to its own that a party answers (tit for tat: its step is scaled by "
       "1 + reciprocity x (ratio - 1))", 1.0, 10.0),
    _p("negotiation.distrust_hold", float, 0.3, "share of range",
       "share of its range a party without trust or insight keeps back (impasse despite a zone)", 0.0, 1.0,
       source="MODEL.md 6: 'padding and low trust keep the parties apart'; seed 003"),
    _p("negotiation.concession_threshold", float, 0.01, "share of range",
       "a step of at least this share of a party's range counts as a concession (for reciprocity measures)",
       0.0001, 0.5),
    _p("negotiation.mix_step", float, 0.1, "share of homes",
       "step of the mix issue: this share of a case's homes turned from mid-rent into free-sector homes or back",
       0.0, 0.5, source="seeds 000, 001: deals found by working on the case's mix"),
    _p("negotiation.rent_step", float, 0.075, "share of rent",
       "step of the rent issue: the mid-rent rent this share (or twice it) below the highest allowed", 0.0, 0.3),
    _p("negotiation.commitment_step", float, 5, "years",
       "step of the commitment issue: years more or fewer than the municipality asks", 0, 25),
    _p("negotiation.priority_months", int, 6, "months",
       "months a fast-tracked procedure saves (the municipality's counter-performance issue)", 0, 36,
       source="MODEL.md 5.1: 'what the municipality gives in return (procedure speed ...)'"),
    _p("negotiation.chair_trust", float, 0.6, "0..1",
       "how far a party accepts a neutral chair's proposal below its own demand (share of the gap to its "
       "reservation)", 0.0, 1.0, source="seeds 000, 002: external facilitators (RVO, Platform31)"),
    _p("negotiation.chair_steering", float, 0.5, "share",
       "how much extra weight a municipality chairing the table gives its own affordability value when it "
       "drafts the text", 0.0, 5.0, source="MODEL.md 4: chair none / municipality / external"),
    _p("negotiation.caucus_disclosure", float, 0.7, "share",
       "share of its padding a party reveals to an external chair in private caucus", 0.0, 1.0),
    _p("negotiation.expertise_padding", float, 0.5, "factor",
       "how much more the other parties pad facing a municipality without financial expertise", 0.0, 5.0,
       source="seed 004"),
    _p("negotiation.board_margin", float, 0.01, "share of stake",
       "room a negotiator without a mandate keeps above its board's reservation, so the board can approve",
       0.0, 0.5, source="seed 001: take the package back to the organisation ('beslis-cyclus')"),
    _p("negotiation.renegotiation_meetings", int, 2, "meetings",
       "meetings a case gets back at its table after an agreement was lost at ratification "
       "(at most a fresh concession clock: more than its meetings to the deadline act as a fresh clock)", 1, 24),
    _p("trust.initial", float, 0.4, "0..1", "initial trust between agents", 0.0, 1.0, source="seed 003"),
    _p("trust.gain", float, 0.08, "0..1", "trust gained after an agreement or reciprocated concession", 0.0, 1.0),
    _p("trust.loss", float, 0.06, "0..1", "trust lost after an impasse or unreciprocated concession", 0.0, 1.0),
    _p("trust.reciprocated_share", float, 0.5, "share",
       "a concession counts as returned when the other moved at least this share of what one moved", 0.0, 1.0),
    _p("trust.vertical_weight", float, 0.5, "share",
       "how much trust counts at a vertical table, where governments steer (the rest taken at trust.vertical_anchor)",
       0.0, 1.0, source="seed 003"),
    _p("trust.vertical_anchor", float, 0.5, "0..1",
       "the trust a vertical table's steering stands in for, in place of the parties' own", 0.0, 1.0,
       source="seed 003"),
    _p("trust.meeting_share", float, 0.25, "share",
       "share of trust.gain (returned concessions) or trust.loss (unreturned) a meeting without agreement moves",
       0.0, 1.0),
    _p("learning.insight_gain", float, 0.08, "0..1", "insight into each other's arithmetic gained per meeting",
       0.0, 1.0, source="seeds 000, 002"),
    _p("learning.base_insight", float, 0.2, "0..1",
       "insight into the others' arithmetic a professional party has before meeting them", 0.0, 1.0),
    _p("learning.session_gain", float, 0.16, "0..1",
       "share of the insight still to gain that one session of a learning programme gives", 0.0, 1.0,
       source="seed 002: four sessions on each other's interests and arithmetic"),
    _p("learning.session_trust", float, 0.04, "0..1", "trust gained per learning session between participants",
       0.0, 1.0, source="seed 002"),
    _p("learning.general_question_share", float, 0.25, "share",
       "share of a meeting's insight gain on a general question, with no concrete numbers on the table",
       0.0, 1.0, source="seed 001: 'hoe specifieker de vraag of casus, des te scherper de antwoorden'"),
    # --- decision cycles --------------------------------------------------------------
    _p("cycles.municipality_months", int, 3, "months", "months between council decision windows", 1, 24, source="seed 001"),
    _p("cycles.investor_months", int, 3, "months", "months between investment committee meetings", 1, 24),
    _p("cycles.corporation_months", int, 4, "months", "months between corporation board decisions", 1, 24),
    _p("cycles.developer_months", int, 1, "months", "months between developer decisions", 1, 24),
    _p("cycles.tenant_months", int, 2, "months", "months between tenant organisation member meetings", 1, 24),
    _p("cycles.position_drift", float, 0.005, "share of stake per month",
       "monthly change (sd) in an organisation's position: its reservation moves by this share of its stake",
       0.0, 0.2, source="seed 001: parties lose 'bewegingsruimte' between decision windows"),
    _p("cycles.drift_persistence", float, 0.9, "0..1",
       "how much of last month's position shift persists (AR(1) coefficient)", 0.0, 0.99),
    # --- annual cycles ----------------------------------------------------------------
    _p("performance.enabled", bool, False, "", "run the local triangle's annual bids and performance agreements"),
    _p("performance.multi_year", bool, False, "", "multi-year performance agreements with yearly updates",
       source="seed 004"),
    _p("performance.meetings_required", int, 4, "meetings",
       "meetings a performance agreement takes at least (bid, reaction, negotiation, signing)", 1, 24,
       source="seed 004: 'Prestatieafspraken zijn een intensief leerproces'"),
    _p("performance.term_years", int, 4, "years", "term of a multi-year performance agreement", 1, 10,
       source="seed 004"),
    _p("elections.interval_years", int, 4, "years", "years between municipal elections", 1, 10),
    _p("elections.first_year", int, 2018, "year", "a municipal election year", 1990, 2050, source="FACTS.md"),
    _p("elections.turnover", float, 0.5, "probability", "chance an election replaces the alderman", 0.0, 1.0),
    _p("elections.trust_reset", float, 0.5, "share",
       "share of trust in, and insight of, a replaced alderman that is lost", 0.0, 1.0),
    _p("elections.vision_spread", float, 0.2, "sd",
       "how far a new alderman's vision and initiative lie from the municipality's own (sd)", 0.0, 1.0),
    # --- implementation ---------------------------------------------------------------
    _p("pipeline.procedure_months", int, 24, "months", "permits, zoning and participation", 0, 120,
       source="FACTS.md: initiative to completion ~10 years"),
    _p("pipeline.objection_probability", float, 0.33, "probability", "chance of objections and appeals",
       0.0, 1.0, source="FACTS.md: 1 in 3"),
    _p("pipeline.objection_months", int, 18, "months", "delay from objections and appeals", 0, 60,
       source="FACTS.md: 1-2 years"),
    _p("pipeline.initial_homes", float, 0.0, "homes per 1,000 inhabitants",
       "homes already in procedure or under construction at the start (agreed before the run)", 0, 200,
       source="FACTS.md: ~70k completions a year, construction 2-3 years"),
    _p("pipeline.preparation_months", int, 24, "months",
       "initial pipeline: months within which plans agreed before the run enter procedure", 1, 120),
    _p("pipeline.construction_months", int, 30, "months", "construction time", 1, 120, source="FACTS.md: 2-3 years"),
    # --- format of the entry table (MODEL.md section 4); presets set these -------------
    _p("table.members", frozenset, frozenset({"municipality", "investor", "developer", "corporation"}), "",
       "kinds of agent at the table", choices=("municipality", "corporation", "investor", "developer", "tenant")),
    _p("table.orientation", str, "horizontal", "", "vertical: governments steer; horizontal: parties as equals",
       choices=("vertical", "horizontal"), source="seed 003"),
    _p("table.chair", str, "municipality", "", "who chairs", choices=("none", "municipality", "external"),
       source="seeds 000, 002"),
    _p("table.decision_rule", str, "consensus", "", "when a package is accepted",
       choices=("consensus", "qualified_majority", "lead"), source="seed 003"),
    _p("table.synchronised_cycles", bool, False, "", "members' decision cycles are aligned", source="seed 001"),
    _p("table.mandate", bool, False, "", "members come with a mandate to sign at the table",
       source="seed 002: bestuurlijk overleg of aldermen and directors"),
    _p("table.expertise_pool", bool, False, "", "the table brings a (regional) expertise pool to municipalities",
       source="seed 003: the versnellingstafels' knowledge and experience"),
    _p("table.specificity", str, "concrete", "", "a concrete location or a general question",
       choices=("concrete", "general"), source="seed 001"),
    _p("table.scope", str, "municipality", "", "one table per municipality or per (woondeal) region",
       choices=("municipality", "region")),
    _p("table.meeting_interval", int, 2, "months", "months between meetings", 1, 24, source="seed 002"),
    _p("table.permanence", str, "structural", "", "one-off (trust starts afresh per case) or structural",
       choices=("one_off", "structural"), source="seeds 000, 003"),
    _p("table.learning_sessions", int, 0, "sessions", "joint learning sessions before negotiating", 0, 12,
       source="seed 002: four"),
    _p("table.regional_plan_review", bool, False, "",
       "plans of at least table.plan_review_threshold homes checked against regional goals",
       source="seed 002"),
    *_while("table.regional_plan_review", [
        _p("table.plan_review_threshold", int, 50, "homes", "size from which a plan is reviewed regionally",
           1, 10_000, source="seed 002")]),
    # --- escalation -------------------------------------------------------------------
    _p("escalation.enabled", bool, True, "", "stuck cases go up the ladder (else they are abandoned)"),
    # a vertical table imposes at any level, the local one included: these act with escalation off too
    _p("escalation.impose_trust_loss", float, 0.1, "0..1",
       "trust every party loses in the others when a vertical table (at any level) imposes a package", 0.0, 1.0),
    _p("escalation.impose_objection_probability", float, 0.5, "probability",
       "chance that an imposed package (at a vertical table of any level) meets objections and appeals",
       0.0, 1.0),
    *_while("escalation.enabled", [
    _p("escalation.allow_skip", bool, True, "", "cross-region bottlenecks go straight to the national table",
       source="seed 003"),
    _p("escalation.regional_cases_per_year", float, 12, "cases/year",
       "cases a regional versnellingstafel can take up a year", 0, 1_000),
    _p("escalation.national_cases_per_year", float, 12, "cases/year per member",
       "cases each of the national table's five members (one per landsdeel) can take up a year",
       0, 1_000, source="seed 003: five members, each for one landsdeel"),
    _p("escalation.intake_buffer_months", float, 3, "months",
       "months of unused intake a versnellingstafel can carry forward (it takes up at least one case)", 0, 24),
    _p("escalation.regional_min_homes", int, 50, "homes",
       "size from which a case is of regional significance (a regional table takes it up)", 0, 10_000,
       source="seed 002: plans of 50+ homes are discussed regionally"),
    _p("escalation.national_min_homes", int, 100, "homes",
       "size from which a case is of national significance (infrastructure and cross-region cases always are)",
       0, 10_000, source="seed 003"),
    _p("escalation.advice_insight", float, 0.5, "share",
       "share of its mediation a higher table's advice gives a case it sends back", 0.0, 1.0),
    _p("escalation.regional_money", float, 0, "EUR/home", "money a regional table can add per home", 0, 100_000),
    _p("escalation.national_money", float, 5_900, "EUR/home", "money the national table can add per home",
       0, 100_000, source="FACTS.md: Woningbouwimpuls ~5,900/home"),
    _p("escalation.regional_mediation", float, 0.6, "0..1",
       "insight a regional versnellingstafel's mediation gives every party (1: reservation points revealed)",
       0.0, 1.0, source="seed 003: 'meer inzicht in elkaars ideeën en standpunten'"),
    _p("escalation.national_mediation", float, 1.0, "0..1",
       "insight the national versnellingstafel's mediation gives every party", 0.0, 1.0,
       source="seed 003: 'doorbreken van impasses'"),
    _p("escalation.process_help_months", int, 6, "months", "months of procedure saved by process help", 0, 60),
    _p("escalation.max_queue_months", int, 12, "months",
       "a case waiting longer than this in a higher table's queue is sent back with advice", 1, 240),
    _p("escalation.max_mix_change", float, 0.3, "share of homes",
       "share of a case's homes the national table may put on the table to turn from mid-rent into free-sector "
       "homes (in mix steps)", 0.0, 1.0, source="MODEL.md 7.3: 'changes the case'"),
    _p("escalation.infrastructure_months", int, 12, "months",
       "months the national table needs to move an infrastructure bottleneck", 0, 120),
    ]),
]

PARAMETERS: dict[str, Param] = {p.name: p for p in _DECLARED}


def markdown_table(values: dict | None = None, column: str = "default") -> str:
    """The declaration as a Markdown table (docs/ODD.md section 5 is this, pasted); ``values``: a
    scenario's values in place of the defaults, under the heading ``column``."""
    def fmt(v):
        if isinstance(v, frozenset):
            return ", ".join(sorted(v))
        if isinstance(v, bool):
            return str(v).lower()
        if isinstance(v, float) and abs(v) >= 1000:
            return f"{v:,.0f}"
        return f"{v:,}" if isinstance(v, int) and abs(v) >= 10_000 else str(v)

    rows = [f"| name | type | unit | {column} | bounds / choices | meaning | source |", "|---|---|---|---|---|---|---|"]
    for p in _DECLARED:
        kind = {frozenset: "set", str: "choice"}.get(p.kind, p.kind.__name__)
        if p.kind in (int, float):
            bounds = f"[{fmt(p.low)}, {fmt(p.high)}]"
        elif p.kind is bool:
            bounds = "true / false"
        else:
            bounds = ", ".join(p.choices)
        value = p.default if values is None else values[p.name]
        rows.append(f"| `{p.name}` | {kind} | {p.unit} | {fmt(value)} | {bounds} | {p.meaning} | "
                    f"{p.source or 'model assumption'} |")
    return "\n".join(rows)


def defaults() -> dict[str, Any]:
    return {p.name: p.default for p in _DECLARED}


def nearest(name: str, names: Iterable[str]) -> str | None:
    hits = difflib.get_close_matches(name, list(names), n=1, cutoff=0.5)
    return hits[0] if hits else None


def check(name: str, value: Any, where: str) -> Any:
    """Validate one parameter assignment against the declaration."""
    if not isinstance(name, str):
        raise ParameterError(where, repr(name), "a parameter name is text, e.g. 'investor.required_return'")
    if name not in PARAMETERS:
        hint = nearest(name, PARAMETERS) if len(name) <= 200 else None
        msg = "unknown parameter" + (f"; did you mean '{hint}'?" if hint else "; see `tafelsim params`")
        raise ParameterError(where, shown_name(name), msg)
    return PARAMETERS[name].coerce(value, where)


def resolve(*layers: Mapping[str, Any], where: str = "overrides") -> dict[str, Any]:
    """Defaults, then each layer on top, every value checked."""
    values = defaults()
    for layer in layers:
        for name, value in layer.items():
            values[name] = check(name, value, where)
    return values


def flatten(tree: Mapping[str, Any], *, where: str = "parameters") -> dict[str, Any]:
    """``{"investor": {"required_return": 0.04}}`` -> ``{"investor.required_return": 0.04}``.

    A name spelt twice, dotted and nested (``investor.required_return: 0.04`` beside
    ``investor: {required_return: 0.05}``), is a ParameterError naming both spellings:
    YAML's duplicate-key check sees two different keys, and one value would silently win.
    :func:`flatten_all` gives every collision, for a check that reports all problems at once.
    """
    flat, repeated = flatten_all(tree)
    if repeated:
        name, ways = next(iter(repeated.items()))
        raise ParameterError(where, shown_name(name), twice(ways))
    return flat


def twice(ways: list[str]) -> str:
    """The message for a parameter given more than once, in ``ways``."""
    return "given " + ("twice" if len(ways) == 2 else f"{len(ways)} times") + ", as " + " and as ".join(ways) \
        + "; give each parameter once"


def flatten_all(tree: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """``tree`` flattened (the last value of a name spelt twice), and each name spelt more than once -> its
    spellings, for a check that reports every problem rather than the first (see :func:`flatten`)."""
    flat: dict[str, Any] = {}
    paths: dict[str, list[tuple]] = {}

    def walk(node: Mapping[str, Any], path: tuple) -> None:
        for key, value in node.items():
            here = (*path, key)
            if isinstance(value, Mapping) and value:  # an empty mapping stays a value, and is refused as one
                walk(value, here)
                continue
            name = ".".join(str(k) for k in here)
            paths.setdefault(name, []).append(here)
            flat[name] = value

    walk(tree, ())
    return flat, {name: [_spelling(p) for p in ways] for name, ways in paths.items() if len(ways) > 1}


def _spelling(path: tuple) -> str:
    """How a key path is written in YAML: ``'investor.required_return'`` or ``'investor: {required_return: ...}'``."""
    keys = [k if isinstance(k, str) else repr(k) for k in path]
    text = keys[-1] if len(keys) == 1 else f"{keys[-1]}: ..."
    for key in reversed(keys[:-1]):
        text = f"{key}: {{{text}}}"
    return f"'{text}'" if len(text) <= 100 else f"'{text[:97]}...'"

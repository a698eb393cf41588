"""Data collection: tidy tables of one run (MODEL.md section 8; definitions in docs/ODD.md).

Events are recorded as they happen; :meth:`Recorder.tables` turns them into pandas
DataFrames with ``run_id``, ``scenario`` and ``seed`` in every row.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from sim import reciprocity as rc
from sim.case import SEGMENTS, State

MONTHLY_COLUMNS = ("proposed", "relabelled", "agreed", "started", "completed", "abandoned", "pipeline")


class Recorder:
    def __init__(self, model):
        self.model = model
        self.flow = defaultdict(int)           # (month, municipality, segment, column) -> homes
        self.pipeline = defaultdict(int)       # (municipality, segment) -> homes now in the pipeline
        self.monthly_rows: list[tuple] = []
        self.queue_rows: list[tuple] = []      # (month, level, table, landsdeel, queued, at table): the ladder's tables
        self.agreements: list[dict] = []
        self.concessions: list[dict] = []
        self.escalations: list[dict] = []
        self.given = defaultdict(float)        # (year index, giver id, receiver id) -> EUR conceded
        self.agreement_concessions: dict[int, dict] = {}  # agreement id -> agent id -> concession
        self.cc = defaultdict(lambda: [0, 0, 0, 0])  # agent id -> [conceded|other, n|other, conceded|none, n|none]
        self.meetings = defaultdict(int)       # (table level, case kind) -> meetings
        self.impasses = 0
        self.trust_samples = {}                # (year index, i, j) -> trust at year end
        self.trust_now: dict[tuple, float] = {}  # (i, j) -> trust, changed this month
        self.trust_rows: list[tuple] = []      # (month, i, j, trust): the trust table, a change log

    # --- events -----------------------------------------------------------------------
    def homes_event(self, month, case, column, homes=None) -> None:
        for seg in SEGMENTS:
            n = case.homes[seg] if homes is None else homes.get(seg, 0)
            if n:
                self.flow[(month, case.municipality.name, seg, column)] += n
                if column == "proposed":
                    self.pipeline[(case.municipality.name, seg)] += n
                elif column in ("completed", "abandoned"):
                    self.pipeline[(case.municipality.name, seg)] -= n
                elif column == "relabelled":
                    self.pipeline[(case.municipality.name, seg)] += n

    def relabel(self, month, case, k) -> None:
        """k mid-rent homes of a case became free-sector homes (the count is unchanged)."""
        self.homes_event(month, case, "relabelled", {"midrent": -k, "free": k})

    def concessions_observed(self, agent_ids, conceded, others_conceded) -> None:
        """Observations of parties free to take their scheduled step (arrays, one entry each)."""
        for i, c, o in zip(agent_ids.tolist(), conceded.tolist(), others_conceded.tolist()):
            rec = self.cc[i]
            if o:
                rec[0] += c
                rec[1] += 1
            else:
                rec[2] += c
                rec[3] += 1

    def meeting(self, month, table, case) -> None:
        self.meetings[(table.level_name, case.kind)] += 1

    def impasse(self) -> None:
        self.impasses += 1

    def agreement(self, month, case, table, terms) -> None:
        """The table reached (or imposed) agreement: record the package, the claims, the concessions."""
        from sim.tables import view  # here: sim.tables imports sim.case, as this module does
        m = self.model
        econ = m.economy.local(case.municipality)
        seated = case.parties
        ids = [a.unique_id for a in seated]
        cs = {i: rc.concession(terms.openings[i], terms.needs[i], terms.reservations[i]) for i in ids}
        rational = all(terms.claims[i] >= terms.reservations[i] - 1e-6 for i in terms.claims)
        v, space = terms.variant, case.space
        now = view(m, [case], month)
        real = view(m, [case], month, known_cost=True)
        shortfall = real.total(real.true_need())[0] - real.val.surplus[0]
        aid = len(self.agreements)
        by_kind = {a.kind: terms.claims[a.unique_id] for a in seated + case.absent}
        n = case.total_homes
        mid_homes = int(round(space.mid_share[v] * n))
        land = self._land_prices(case, space, v, econ, by_kind.get("municipality", np.nan))
        self.agreements.append({
            "agreement_id": aid, "case_id": case.id, "case_kind": case.kind,
            "municipality": case.municipality.name, "region": case.municipality.region, "month": month,
            "level": table.level_name, "table": table.name, "orientation": table.switches["orientation"],
            "chair": table.switches["chair"], "decision_rule": table.switches["decision_rule"],
            "synchronised": table.switches["synchronised_cycles"], "mandate": table.switches["mandate"],
            "specific": case.specific, "homes": n, "homes_social": case.homes["social"],
            "homes_midrent": mid_homes, "homes_free": n - case.homes["social"] - mid_homes,
            "plan_homes_midrent": case.homes["midrent"],
            "midrent_rent": float(now.val.rent[0, v]) if mid_homes else np.nan,
            "commitment_years": float(space.commitment[v]) if mid_homes else np.nan,
            "priority": bool(space.priority[v]), "text_moves": case.text_moves,
            "rounds": case.rounds_total, "meetings": case.meetings, **land,
            "developer_claim_per_home": by_kind.get("developer", np.nan),
            "investor_surplus_per_home": by_kind.get("investor", np.nan),
            "corporation_surplus_per_home": by_kind.get("corporation", np.nan),
            "tenant_discount_per_home": by_kind.get("tenant", np.nan),
            "surplus_per_home": terms.available + sum(terms.claims[j] for j in terms.absent),
            "intervention_money_per_home": terms.money,
            "imposed": terms.imposed, "mediated": terms.mediated,
            "absent_signatories": ",".join(sorted(a.kind for a in case.absent)),
            "zone_of_agreement": bool(np.any(shortfall <= 1e-6)), "zone_at_plan": bool(shortfall[space.plan] <= 1e-6),
            "zone_as_seen": sum(terms.reservations.values()) <= terms.available - terms.money + sum(
                terms.claims[j] for j in terms.absent) + 1e-6,
            "individually_rational": rational,
            "balance": rc.balance(cs.values()), "ratified_month": np.nan, "window_wait_months": np.nan,
            "lost_at_ratification": False, "lost_by": "",
        })
        self.agreement_concessions[aid] = cs
        case.agreement_id = aid
        for a in seated:
            i = a.unique_id
            self.concessions.append({
                "agreement_id": aid, "case_id": case.id, "agent_id": i, "agent": a.name, "kind": a.kind,
                "reservation": terms.reservations[i], "opening": terms.openings[i], "demand": terms.needs[i],
                "final": terms.claims[i], "concession": cs[i], "slack": terms.claims[i] - terms.needs[i],
            })

    @staticmethod
    def _land_prices(case, space, v, econ, municipal_claim) -> dict:
        """The land prices the municipality's claim (its net land balance per home) stands for.

        Free-sector plots go at their residual price and, when the case has mid-rent homes,
        social plots at the policy price; the negotiated plots (mid-rent, else social) carry the rest.
        """
        out = {"land_balance_per_home": np.nan, "land_price_midrent": np.nan, "land_price_social": np.nan,
               "land_price_free": np.nan}
        if case.land_owner != "municipality" or municipal_claim != municipal_claim:
            return out
        mid, soc, free = float(space.mid_share[v]), space.social_share, float(space.free_share[v])
        revenue = municipal_claim + econ.land_development_cost
        out["land_balance_per_home"] = municipal_claim
        out["land_price_free"] = econ.owner_land_price if free > 0 else np.nan
        if mid > 0:
            out["land_price_social"] = econ.social_land_price if soc > 0 else np.nan
            out["land_price_midrent"] = (revenue - free * econ.owner_land_price - soc * econ.social_land_price) / mid
        elif soc > 0:
            out["land_price_social"] = (revenue - free * econ.owner_land_price) / soc
        return out

    def agreement_lost(self, month, case, party) -> None:
        row = self.agreements[case.agreement_id]
        row["lost_at_ratification"] = True
        row["lost_by"] = party.kind

    def ratified(self, month, case) -> None:
        """The agreement binds: count its homes as agreed and what each seated party gave the others."""
        terms = case.agreement
        ids = list(terms["openings"])
        for i in ids:
            value = max(0.0, terms["openings"][i] - terms["needs"][i]) * case.total_homes
            others = [j for j in ids if j != i]
            for j in others:
                self.given[(month // 12, i, j)] += value / len(others)
        row = self.agreements[case.agreement_id]
        row["ratified_month"] = month
        row["window_wait_months"] = month - row["month"]
        case.window_wait += month - row["month"]
        self.homes_event(month, case, "agreed")

    def escalation_in(self, month, case, table, queue_length) -> None:
        self.escalations.append({"case_id": case.id, "municipality": case.municipality.name,
                                 "from_level": case.table_history[-1] if case.table_history else "local",
                                 "level": table.level_name, "table": table.name, "bottleneck": case.bottleneck,
                                 "month_in": month, "month_admitted": np.nan, "month_out": np.nan,
                                 "queue_length": queue_length, "outcome": ""})
        case.escalation_rows.append(len(self.escalations) - 1)

    def escalation_admitted(self, month, case) -> None:
        self.escalations[case.escalation_rows[-1]]["month_admitted"] = month

    def escalation_out(self, month, case, outcome) -> None:
        if case.escalation_rows:
            row = self.escalations[case.escalation_rows[-1]]
            if row["outcome"] == "":
                row["month_out"], row["outcome"] = month, outcome

    def trust_changed(self, i, j, value) -> None:
        self.trust_now[(i, j)] = value

    def end_of_month(self, month) -> None:
        for (i, j), v in sorted(self.trust_now.items()):
            self.trust_rows.append((month, i, j, v))
        self.trust_now.clear()
        names = [m.name for m in self.model.municipalities]
        for name in names:
            for seg in SEGMENTS:
                vals = [self.flow.pop((month, name, seg, c), 0) for c in MONTHLY_COLUMNS[:-1]]
                pipe = self.pipeline[(name, seg)]
                if pipe or any(vals):
                    self.monthly_rows.append((month, name, seg, *vals, pipe))
        for t in self.model.tables:
            if t.level == 0 or not (t.queue or t.agenda):
                continue
            if t.per_landsdeel:  # the national table: one member per landsdeel, each with its own queue
                for ld in sorted({c.municipality.landsdeel for c in t.queue + t.agenda}):
                    self.queue_rows.append((month, t.level_name, t.name, ld,
                                            sum(c.municipality.landsdeel == ld for c in t.queue),
                                            sum(c.municipality.landsdeel == ld for c in t.agenda)))
            else:
                self.queue_rows.append((month, t.level_name, t.name, "", len(t.queue), len(t.agenda)))
        if month % 12 == 11 or month == self.model.p["run.months"] - 1:
            for i, j, d in self.model.trust.edges(data=True):
                self.trust_samples[(month // 12, i, j)] = d["weight"]

    # --- tables -----------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        m = self.model
        monthly = pd.DataFrame(self.monthly_rows, columns=["month", "municipality", "segment", *MONTHLY_COLUMNS])
        start = m.p["run.start_year"]
        monthly.insert(1, "year", start + monthly["month"] // 12)
        region = {x.name: x.region for x in m.municipalities}
        monthly.insert(3, "region", monthly["municipality"].map(region))
        cases = pd.DataFrame([self._case_row(c) for c in m.cases])
        agreements = pd.DataFrame(self.agreements)
        concessions = pd.DataFrame(self.concessions)
        escalations = pd.DataFrame(self.escalations)
        pairs = self._pairs()
        queues = pd.DataFrame(self.queue_rows, columns=["month", "level", "table", "landsdeel", "queued",
                                                         "at_table"])
        out = {"monthly": monthly, "cases": cases, "agreements": agreements, "concessions": concessions,
               "escalations": escalations, "queues": queues, "pairs": pairs, "trust": self._trust()}
        for name, df in out.items():
            if df.empty and len(df.columns) == 0:
                df = pd.DataFrame(columns=_EMPTY.get(name, []))
            df.insert(0, "seed", m.seed)
            df.insert(0, "scenario", m.scenario_name)
            df.insert(0, "run_id", m.run_id)
            out[name] = df.reset_index(drop=True)
        return out

    def _case_row(self, c) -> dict:
        row = {"case_id": c.id, "kind": c.kind, "municipality": c.municipality.name,
               "region": c.municipality.region, "province": c.municipality.province,
               "homes": c.total_homes, **{f"homes_{s}": c.homes[s] for s in SEGMENTS},
               "land_owner": c.land_owner, "specific": c.specific,
               "infrastructure_blocked": c.infrastructure_blocked, "cross_region": c.cross_region,
               "objection": c.objection, "opened": c.opened, "final_state": c.state.value,
               "age_months": self.model.month_end - c.opened, "meetings": c.meetings,
               "highest_level": ("local", "regional", "national")[c.max_level],
               "agreed_month": c.agreed_month, "ratified_month": c.ratify_month,
               "window_wait_months": c.window_wait, "lost_agreements": c.lost_agreements,
               "money_per_home": c.money_per_home, "imposed": c.imposed, "bottleneck": c.bottleneck,
               "blocked_by": c.blocked_by, "plan_reviewed": c.reviewed, "sent_back": c.sent_back,
               "text_moves": c.text_moves, "absent_signatories": ",".join(sorted(a.kind for a in c.absent)),
               "cost_factor": c.cost_factor}
        for s in State:
            row[f"entered_{s.value}"] = c.entered.get(s.value, np.nan)
        for s in State:
            row[f"months_{s.value}"] = c.months_in[s.value]
        return row

    def _pairs(self) -> pd.DataFrame:
        """Per pair of agents and year: value given each way, its balance, and trust at year end."""
        agents = {a.unique_id: a for a in self.model.agents}
        start = self.model.p["run.start_year"]
        keys = {(y, min(i, j), max(i, j)) for (y, i, j) in self.given}
        rows = []
        for y, i, j in sorted(keys):
            gij, gji = self.given.get((y, i, j), 0.0), self.given.get((y, j, i), 0.0)
            t0 = self.model.p["trust.initial"]
            rows.append({"year": start + y, "agent_i": agents[i].name, "kind_i": agents[i].kind,
                         "agent_j": agents[j].name, "kind_j": agents[j].kind,
                         "given_i_to_j": gij, "given_j_to_i": gji,
                         "give_ratio": gij / gji if gji > 0 else np.nan,
                         "give_and_take": rc.give_and_take({(i, j): gij, (j, i): gji}),
                         "trust_i_in_j": self.trust_samples.get((y, i, j), t0),
                         "trust_j_in_i": self.trust_samples.get((y, j, i), t0)})
        return pd.DataFrame(rows)

    def _trust(self) -> pd.DataFrame:
        """Graph trust as a change log: a row when trust of i in j changed that month (its value at month end)."""
        agents = {a.unique_id: a for a in self.model.agents}
        rows = [(month, agents[i].name, agents[i].kind, agents[j].name, agents[j].kind, v)
                for month, i, j, v in self.trust_rows]
        return pd.DataFrame(rows, columns=["month", "agent_i", "kind_i", "agent_j", "kind_j", "trust"])

    def given_totals(self) -> dict[tuple, float]:
        totals = defaultdict(float)
        for (_, i, j), v in self.given.items():
            totals[(i, j)] += v
        return totals

    def conditional_concession(self) -> float:
        a = (sum(v[0] for v in self.cc.values()), sum(v[1] for v in self.cc.values()))
        n = (sum(v[2] for v in self.cc.values()), sum(v[3] for v in self.cc.values()))
        return rc.conditional_concession(a, n)


_EMPTY = {
    "agreements": ["agreement_id", "case_id", "month", "level", "homes", "homes_midrent", "balance",
                   "individually_rational", "zone_of_agreement", "zone_as_seen", "zone_at_plan",
                   "intervention_money_per_home", "imposed", "ratified_month", "lost_at_ratification"],
    "concessions": ["agreement_id", "case_id", "agent_id", "agent", "kind", "reservation", "opening", "demand",
                    "final", "concession", "slack"],
    "escalations": ["case_id", "municipality", "from_level", "level", "table", "bottleneck", "month_in",
                    "month_admitted", "month_out", "queue_length", "outcome"],
    "pairs": ["year", "agent_i", "kind_i", "agent_j", "kind_j", "given_i_to_j", "given_j_to_i", "give_ratio",
              "give_and_take", "trust_i_in_j", "trust_j_in_i"],
}

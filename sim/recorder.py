"""Data collection: tidy tables of one run (MODEL.md section 8; definitions in docs/ODD.md).

Events are recorded as they happen: moves of homes as six integers each, counted at the
month's end into flows (municipality x segment x column) and the pipeline's stock; agreements,
concessions and escalations as tables of rows (``RowTable``); the rest in row lists.
:meth:`Recorder.tables` turns them into pandas DataFrames once, at the end, with ``run_id``,
``scenario`` and ``seed`` in every row. The columns are made arrays directly where pandas
would infer them value by value (``_column``, ``_strings_at``), with the same dtypes and values.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain, islice, repeat
from operator import attrgetter

import numpy as np
import pandas as pd
import pyarrow as pa

from sim import reciprocity as rc
from sim.case import SEGMENTS, STATES, State

MONTHLY_COLUMNS = ("proposed", "relabelled", "agreed", "started", "completed", "abandoned", "pipeline")
FLOWS = MONTHLY_COLUMNS[:-1]
ENTERED = tuple(f"entered_{s}" for s in STATES)
MONTHS_IN = tuple(f"months_{s}" for s in STATES)
_FLOW_INDEX = {c: k for k, c in enumerate(FLOWS)}
# what the cases table reads of each case (``Recorder._cases``)
_CASE_FIELDS = ("id", "kind", "municipality.name", "municipality.region", "municipality.province", "homes",
                "land_owner", "specific", "infrastructure_blocked", "cross_region", "objection", "opened", "state",
                "meetings", "max_level", "agreed_month", "ratify_month", "window_wait", "lost_agreements",
                "money_per_home", "imposed", "bottleneck", "blocked_by", "reviewed", "sent_back", "text_moves",
                "absent", "cost_factor", "entered", "months_in")
_PIPELINE_SIGN = {"proposed": 1, "relabelled": 1, "completed": -1, "abandoned": -1}   # how a flow moves the pipeline


class RowTable:
    """A table kept as a list of rows, appended row by row and turned into a DataFrame once.

    Rows are written as dicts (readable at the call site) but not kept as dicts: a national
    run records some 30,000 agreement and concession rows, and a dict per row held about 30 MB
    until the end of the run. A row is kept as the list of its values (as small as the column
    lists were, and one append instead of one per column); a few cells change later
    (ratification, escalation outcomes), by :meth:`set`. Every row has the same columns, in
    the same order."""

    def __init__(self):
        self.names: tuple[str, ...] = ()
        self.position: dict[str, int] = {}
        self.rows: list[list] = []

    def append(self, row: dict) -> int:
        """Add a row; returns its index."""
        if not self.rows:
            self.names = tuple(row)
            self.position = {k: p for p, k in enumerate(self.names)}
        elif tuple(row) != self.names:
            raise ValueError(f"a row with columns {list(row)} added to a table of {list(self.names)}")
        self.rows.append(list(row.values()))
        return len(self.rows) - 1

    def get(self, row: int, name: str):
        return self.rows[row][self.position[name]]

    def set(self, row: int, name: str, value) -> None:
        self.rows[row][self.position[name]] = value

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return pd.DataFrame()
        return pd.DataFrame({k: _column(v) for k, v in zip(self.names, zip(*self.rows))})


def _column(values) -> np.ndarray | pd.api.extensions.ExtensionArray | list:
    """The array pandas infers from a list of Python values, made directly when all values are
    of one plain type (pandas' inference goes value by value and took most of the time of
    building the output tables). Anything else (mixed types, None, NaN among integers) is left
    to pandas, so every column has exactly the dtype and values it would have had."""
    values = list(values)
    types = set(map(type, values))
    if len(types) == 1:
        t = next(iter(types))
        if t is int:
            try:
                return np.array(values, dtype=np.int64)
            except OverflowError:   # pandas makes these uint64 or object
                return values
        if t is float:
            return np.array(values, dtype=np.float64)
        if t is bool:
            return np.array(values, dtype=bool)
        if t is str:
            return _strings(values)
    elif types == {float, np.float64}:
        return np.array(values, dtype=np.float64)
    return values


def _strings(values: list):
    """A list of str as the string column pandas infers for it (pyarrow's large strings), built by pyarrow at once."""
    dtype = pd.Series(["x"]).dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        return pd.arrays.ArrowStringArray(pa.array(values, type=pa.large_string()), dtype=dtype)
    return values


def _strings_at(names: list, index: np.ndarray):
    """``names[index]`` (names: a list of str) as the string column pandas infers for it: the few names
    are made a string array once and taken, instead of pandas inferring a string per row."""
    dtype = pd.Series(["x"]).dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow" and all(type(x) is str for x in names):
        taken = pa.array(names, type=pa.large_string()).take(pa.array(index, type=pa.int64()))
        return pd.arrays.ArrowStringArray(taken, dtype=dtype)
    return np.array(names, dtype=object)[index]


class _Lookup:
    """Values by integer code, looked up for many codes at once (binary search in the sorted codes)."""

    def __init__(self, codes: np.ndarray, values: np.ndarray):
        order = np.argsort(codes, kind="stable")
        self.codes, self.values = codes[order], values[order]

    def at(self, wanted: np.ndarray, default):
        """The value at each wanted code, ``default`` where there is none: an array when every code has a
        value or the default is a float; else a list of the values and defaults, for pandas to infer the
        column's dtype from, as it did before (an integer default could make it another dtype)."""
        at = np.minimum(np.searchsorted(self.codes, wanted), len(self.codes) - 1)
        found = self.codes[at] == wanted if len(self.codes) else np.zeros(len(wanted), dtype=bool)
        values = self.values[at] if len(self.codes) else np.zeros(len(wanted))
        if found.all() or type(default) is float:
            return np.where(found, values, default)
        return [v if f else default for v, f in zip(values.tolist(), found.tolist())]


class Recorder:
    def __init__(self, model):
        self.model = model
        self.events: list[int] = []            # this month's events, six integers each: municipality, column,
                                               # pipeline sign, homes by segment
        self.flow: np.ndarray | None = None     # (municipality, segment, column) -> homes this month
        self.pipeline: np.ndarray | None = None  # (municipality, segment) -> homes now in the pipeline
        self.monthly_parts: list[tuple] = []   # per month: (municipality index, segment index, flows, pipeline)
        self.queue_rows: list[tuple] = []      # (month, level, table, landsdeel, queued, at table): the ladder's tables
        self.agreements = RowTable()
        self.concessions = RowTable()
        self.escalations = RowTable()
        self.given = defaultdict(float)        # (year index, giver id, receiver id) -> EUR conceded
        self.agreement_concessions: dict[int, dict] = {}  # agreement id -> agent id -> concession
        self.cc = [0, 0, 0, 0]                 # observations: [conceded|others did, n|others did, conceded|none, n|none]
        self.meetings = defaultdict(int)       # (table level, case kind) -> meetings
        self.impasses = 0
        self.trust_samples: list[tuple] = []   # per year: (year index, i ids, j ids, trust of i in j, of j in i)
        self.given_sampled = 0                 # pairs in ``given`` when trust was last sampled
        self.trust_parts: list[tuple] = []     # (month, agent index i, agent index j, trust): the change log

    # --- events -----------------------------------------------------------------------
    def homes_event(self, month, case, column, homes=None) -> None:
        """Homes of a case moved this month (``month`` is the current month); counted at the month's end."""
        h = case.homes if homes is None else homes
        self.events.extend((case.municipality.index, _FLOW_INDEX[column], _PIPELINE_SIGN.get(column, 0),
                            h.get("social", 0), h.get("midrent", 0), h.get("free", 0)))

    def _count_events(self) -> None:
        """Add the month's events to the flows and the pipeline (integers: the order does not matter).
        The events are kept as one flat list of integers, six an event: numpy reads that twice as fast
        as a list of tuples."""
        if self.flow is None:
            n_muni = len(self.model.municipalities)
            self.flow = np.zeros((n_muni, len(SEGMENTS), len(FLOWS)), dtype=np.int64)
            self.pipeline = np.zeros((n_muni, len(SEGMENTS)), dtype=np.int64)
        e = np.array(self.events, dtype=np.int64).reshape(-1, 6)
        self.events.clear()
        for k in range(len(SEGMENTS)):
            np.add.at(self.flow, (e[:, 0], k, e[:, 1]), e[:, 3 + k])
            np.add.at(self.pipeline, (e[:, 0], k), e[:, 2] * e[:, 3 + k])

    def relabel(self, month, case, k) -> None:
        """k mid-rent homes of a case became free-sector homes (the count is unchanged)."""
        self.homes_event(month, case, "relabelled", {"midrent": -k, "free": k})

    def concessions_observed(self, agent_ids, conceded, others_conceded) -> None:
        """Observations of parties free to take their scheduled step (arrays, one entry each).

        The run's conditional concession pools every party's observations, so only the counts
        are kept (``agent_ids``, who was observed, is part of the negotiation's protocol)."""
        after = int(np.count_nonzero(others_conceded))
        conceded_after = int(np.count_nonzero(conceded & others_conceded))
        self.cc[0] += conceded_after
        self.cc[1] += after
        self.cc[2] += int(np.count_nonzero(conceded)) - conceded_after
        self.cc[3] += len(others_conceded) - after

    def meeting(self, month, table, case) -> None:
        self.meetings[(table.level_name, case.kind)] += 1

    def impasse(self) -> None:
        self.impasses += 1

    def agreements_reached(self, month, agreed: list) -> None:
        """Tables reached (or imposed) these agreements ((table, case, terms)); valued together, and what
        the valuation says of each (its zones of agreement, its mid-rent rent) read for all at once."""
        if not agreed:
            return
        from sim.tables import view, width_groups  # here: sim.tables imports sim.case, as this module does
        cases = [c for _, c, _ in agreed]
        zone_any, zone_at_plan, rents = [False] * len(cases), [False] * len(cases), [0.0] * len(cases)
        for rows in width_groups(cases):
            group = [cases[r] for r in rows]
            real = view(self.model, group, month, known_cost=True)
            fits = real.total(real.true_need()) - real.val.surplus <= 1e-6   # (case, variant): a zone of agreement
            k = np.arange(len(rows))
            for r, any_zone, at_plan, rent in zip(rows, fits.any(axis=1).tolist(),
                                                   fits[k, [c.space.plan for c in group]].tolist(),
                                                   real.val.rent[k, [agreed[r][2].variant for r in rows]].tolist()):
                zone_any[r], zone_at_plan[r], rents[r] = any_zone, at_plan, rent
        for r, (table, case, terms) in enumerate(agreed):
            self._agreement(month, case, table, terms, zone_any[r], zone_at_plan[r], rents[r])

    def _agreement(self, month, case, table, terms, zone_of_agreement, zone_at_plan, rent) -> None:
        """Record the package, the claims, the concessions of one agreement."""
        seated = case.parties
        openings, needs, reservations, claims = terms.openings, terms.needs, terms.reservations, terms.claims
        concession = rc.concession
        cs = {}
        for a in seated:
            i = a.unique_id
            cs[i] = concession(openings[i], needs[i], reservations[i])
        rational = all(claims[i] >= reservations[i] - 1e-6 for i in claims)
        v, space = terms.variant, case.space
        by_kind = {a.kind: claims[a.unique_id] for a in seated + case.absent}
        absent_claims = sum(claims[j] for j in terms.absent)
        n = case.total_homes
        muni, homes, switches = case.municipality, case.homes, table.switches
        mid_homes = int(round(space.mid_share.item(v) * n))   # .item: a Python float, the same number
        land = self._land_prices(case, space, v, self.model.economy, by_kind.get("municipality", np.nan))
        aid = len(self.agreements)
        self.agreements.append({
            "agreement_id": aid, "case_id": case.id, "case_kind": case.kind,
            "municipality": muni.name, "region": muni.region, "month": month,
            "level": table.level_name, "table": table.name, "orientation": switches["orientation"],
            "chair": switches["chair"], "decision_rule": switches["decision_rule"],
            "synchronised": switches["synchronised_cycles"], "mandate": switches["mandate"],
            "specific": case.specific, "homes": n, "homes_social": homes["social"],
            "homes_midrent": mid_homes, "homes_free": n - homes["social"] - mid_homes,
            "plan_homes_midrent": homes["midrent"],
            "midrent_rent": rent if mid_homes else np.nan,
            "commitment_years": space.commitment.item(v) if mid_homes else np.nan,
            "priority": bool(space.priority.item(v)), "text_moves": case.text_moves,
            "rounds": case.rounds_total, "meetings": case.meetings, **land,
            "developer_claim_per_home": by_kind.get("developer", np.nan),
            "investor_surplus_per_home": by_kind.get("investor", np.nan),
            "corporation_surplus_per_home": by_kind.get("corporation", np.nan),
            "tenant_discount_per_home": by_kind.get("tenant", np.nan),
            "surplus_per_home": terms.available + absent_claims,
            "intervention_money_per_home": terms.money,
            "imposed": terms.imposed, "mediated": terms.mediated,
            "absent_signatories": ",".join(sorted(a.kind for a in case.absent)),
            "zone_of_agreement": zone_of_agreement, "zone_at_plan": zone_at_plan,
            "zone_as_seen": sum(reservations.values()) <= terms.available - terms.money + absent_claims + 1e-6,
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
                "reservation": reservations[i], "opening": openings[i], "demand": needs[i],
                "final": claims[i], "concession": cs[i], "slack": claims[i] - needs[i],
            })

    @staticmethod
    def _land_prices(case, space, v, economy, municipal_claim) -> dict:
        """The land prices the municipality's claim (its net land balance per home) stands for, at the
        municipality's local prices.

        Free-sector plots go at their residual price and, when the case has mid-rent homes,
        social plots at the policy price; the negotiated plots (mid-rent, else social) carry the rest.
        """
        out = {"land_balance_per_home": np.nan, "land_price_midrent": np.nan, "land_price_social": np.nan,
               "land_price_free": np.nan}
        if case.land_owner != "municipality" or municipal_claim != municipal_claim:
            return out
        econ = economy.local(case.municipality)
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
        self.agreements.set(case.agreement_id, "lost_at_ratification", True)
        self.agreements.set(case.agreement_id, "lost_by", party.kind)

    def ratified(self, month, case) -> None:
        """The agreement binds: count its homes as agreed and what each seated party gave the others."""
        openings, needs = case.agreement["openings"], case.agreement["needs"]
        ids = list(openings)
        homes, year, given = case.total_homes, month // 12, self.given
        for i in ids:
            value = max(0.0, openings[i] - needs[i]) * homes
            others = [j for j in ids if j != i]
            share = value / len(others) if others else 0.0
            for j in others:
                given[(year, i, j)] += share
        agreements, aid = self.agreements, case.agreement_id
        wait = month - agreements.get(aid, "month")
        agreements.set(aid, "ratified_month", month)
        agreements.set(aid, "window_wait_months", wait)
        case.window_wait += wait
        self.homes_event(month, case, "agreed")

    def escalation_in(self, month, case, table, queue_length) -> None:
        case.escalation_rows.append(self.escalations.append({
            "case_id": case.id, "municipality": case.municipality.name,
            "from_level": case.table_history[-1] if case.table_history else "local",
            "level": table.level_name, "table": table.name, "bottleneck": case.bottleneck,
            "month_in": month, "month_admitted": np.nan, "month_out": np.nan,
            "queue_length": queue_length, "outcome": ""}))

    def escalation_admitted(self, month, case) -> None:
        self.escalations.set(case.escalation_rows[-1], "month_admitted", month)

    def escalation_out(self, month, case, outcome) -> None:
        if case.escalation_rows:
            escalations, row = self.escalations, case.escalation_rows[-1]
            if escalations.get(row, "outcome") == "":
                escalations.set(row, "month_out", month)
                escalations.set(row, "outcome", outcome)

    def trust_changed(self, month, rows, cols, values) -> None:
        """Pairs (agent indices) whose trust changed this month, with the new values."""
        if len(rows):
            self.trust_parts.append((month, np.asarray(rows), np.asarray(cols), np.asarray(values)))

    def end_of_month(self, month) -> None:
        if self.events:
            self._count_events()
        if self.flow is not None:
            live = (self.pipeline != 0) | (self.flow != 0).any(axis=2)
            m_idx, s_idx = np.nonzero(live)
            self.monthly_parts.append((month, m_idx, s_idx, self.flow[m_idx, s_idx].copy(),
                                       self.pipeline[m_idx, s_idx].copy()))
            self.flow[:] = 0
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
            self._sample_trust(month // 12)

    def _sample_trust(self, year) -> None:
        """Trust each way at year end, for the pairs that gave this year, for the pairs table: read from
        the store's matrix at once (``TrustStore.get`` of one pair at a time was much of the recorder's
        monthly work). A pair's (year, giver, receiver) enters ``given`` when that year's first
        ratification between them is counted, so this year's pairs came after the last sample."""
        pairs = [k for k in islice(self.given, self.given_sampled, None) if k[0] == year]
        self.given_sampled = len(self.given)
        if not pairs:
            return
        index, trust = self.model.agent_index, self.model.trust_store.value
        i_ids, j_ids = [k[1] for k in pairs], [k[2] for k in pairs]
        i, j = [index[a] for a in i_ids], [index[b] for b in j_ids]
        self.trust_samples.append((year, np.array(i_ids, dtype=np.int64), np.array(j_ids, dtype=np.int64),
                                   trust[i, j], trust[j, i]))

    # --- tables -----------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        m = self.model
        monthly = self._monthly()
        start = m.p["run.start_year"]
        monthly.insert(1, "year", start + monthly["month"] // 12)
        region = {x.name: x.region for x in m.municipalities}
        monthly.insert(3, "region", monthly["municipality"].map(region))
        cases = self._cases()
        agreements = self.agreements.frame()
        concessions = self.concessions.frame()
        escalations = self.escalations.frame()
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

    def _cases(self) -> pd.DataFrame:
        """One row per case, built column by column (a row dict per case took ten times longer): the cases'
        fields read for all cases at once (``attrgetter``, one pass), each column made an array at once
        (``_column``)."""
        cs = self.model.cases
        if not cs:
            return pd.DataFrame()
        end = self.model.month_end
        levels = ("local", "regional", "national")
        got = dict(zip(_CASE_FIELDS, zip(*map(attrgetter(*_CASE_FIELDS), cs))))
        homes, state_names = got["homes"], {s: s.value for s in State}
        cols = {"case_id": got["id"], "kind": got["kind"], "municipality": got["municipality.name"],
                "region": got["municipality.region"], "province": got["municipality.province"],
                "homes": [sum(h.values()) for h in homes],
                **{f"homes_{s}": [h[s] for h in homes] for s in SEGMENTS},
                "land_owner": got["land_owner"], "specific": got["specific"],
                "infrastructure_blocked": got["infrastructure_blocked"], "cross_region": got["cross_region"],
                "objection": got["objection"], "opened": got["opened"],
                "final_state": [state_names[x] for x in got["state"]],
                "age_months": [end - x for x in got["opened"]], "meetings": got["meetings"],
                "highest_level": [levels[x] for x in got["max_level"]], "agreed_month": got["agreed_month"],
                "ratified_month": got["ratify_month"], "window_wait_months": got["window_wait"],
                "lost_agreements": got["lost_agreements"], "money_per_home": got["money_per_home"],
                "imposed": got["imposed"], "bottleneck": got["bottleneck"], "blocked_by": got["blocked_by"],
                "plan_reviewed": got["reviewed"], "sent_back": got["sent_back"], "text_moves": got["text_moves"],
                "absent_signatories": [",".join(sorted(a.kind for a in x)) if x else "" for x in got["absent"]],
                "cost_factor": got["cost_factor"]}
        entered = {s: [np.nan] * len(cs) for s in STATES}   # first month in each state; NaN: never
        for r, first_in in enumerate(got["entered"]):
            for s, first in first_in.items():
                entered[s][r] = first
        for s, name in zip(STATES, ENTERED):
            cols[name] = entered[s]
        months_in = got["months_in"]
        for s, name in zip(STATES, MONTHS_IN):
            cols[name] = [x[s] for x in months_in]
        return pd.DataFrame({name: _column(values) for name, values in cols.items()})

    def _pairs(self) -> pd.DataFrame:
        """Per pair of agents and year: value given each way, its balance, and trust at year end.

        Built with numpy rather than a row dict per pair (which took most of the time): each
        (year, giver, receiver) is coded as one integer, so the pairs sort as the tuples do and
        each way's value, and trust, is found by a binary search."""
        if not self.given:
            return pd.DataFrame()
        agents = list(self.model.agents)
        ids = np.array([a.unique_id for a in agents], dtype=np.int64)
        start = self.model.p["run.start_year"]
        t0 = self.model.p["trust.initial"]
        keys = np.fromiter(chain.from_iterable(self.given), dtype=np.int64, count=3 * len(self.given)).reshape(-1, 3)
        if ids.min() < 0 or keys.min() < 0:
            raise ValueError("the pairs table codes agent ids and years as non-negative integers")
        if not np.isin(keys[:, 1:], ids).all():
            raise KeyError("value given by or to an agent the model does not have")
        n = int(max(ids.max(), keys[:, 1:].max())) + 1      # every id is below n

        def code(year, i, j):
            return (year * n + i) * n + j

        pair = np.unique(code(keys[:, 0], np.minimum(keys[:, 1], keys[:, 2]), np.maximum(keys[:, 1], keys[:, 2])))
        year, i, j = pair // (n * n), pair // n % n, pair % n
        given = _Lookup(code(keys[:, 0], keys[:, 1], keys[:, 2]),
                        np.fromiter(self.given.values(), dtype=np.float64, count=len(self.given)))
        gij, gji = given.at(code(year, i, j), 0.0), given.at(code(year, j, i), 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(gji > 0, gij / gji, np.nan)
        samples, none = self.trust_samples, [np.zeros(0, dtype=np.int64)]
        trust = _Lookup(np.concatenate([code(y, a, b) for y, a, b, _, _ in samples]
                                       + [code(y, b, a) for y, a, b, _, _ in samples] + none),
                        np.concatenate([ab for *_, ab, _ in samples] + [ba for *_, ba in samples] + [np.zeros(0)]))
        row = np.zeros(n, dtype=np.int64)
        row[ids] = np.arange(len(agents))
        names, kinds = [a.name for a in agents], [a.kind for a in agents]
        cols = {"year": start + year, "agent_i": _strings_at(names, row[i]), "kind_i": _strings_at(kinds, row[i]),
                "agent_j": _strings_at(names, row[j]), "kind_j": _strings_at(kinds, row[j]),
                "given_i_to_j": gij, "given_j_to_i": gji, "give_ratio": ratio,
                "give_and_take": list(map(rc.pair_give_and_take, gij.tolist(), gji.tolist())),
                "trust_i_in_j": trust.at(code(year, i, j), t0), "trust_j_in_i": trust.at(code(year, j, i), t0)}
        return pd.DataFrame({name: _column(values) if isinstance(values, list) else values
                             for name, values in cols.items()})

    def _monthly(self) -> pd.DataFrame:
        names = [x.name for x in self.model.municipalities]
        cols = ["month", "municipality", "segment", *MONTHLY_COLUMNS]
        if not self.monthly_parts:
            return pd.DataFrame(columns=cols)
        month = np.concatenate([np.full(len(mi), t) for t, mi, _, _, _ in self.monthly_parts])
        m_idx = np.concatenate([p[1] for p in self.monthly_parts])
        s_idx = np.concatenate([p[2] for p in self.monthly_parts])
        flows = np.concatenate([p[3] for p in self.monthly_parts])
        pipe = np.concatenate([p[4] for p in self.monthly_parts])
        data = {"month": month, "municipality": _strings_at(names, m_idx),
                "segment": _strings_at(list(SEGMENTS), s_idx)}
        for k, c in enumerate(FLOWS):
            data[c] = flows[:, k]
        data["pipeline"] = pipe
        return pd.DataFrame(data, columns=cols)

    def _trust(self) -> pd.DataFrame:
        """Store trust as a change log: a row when trust of i in j changed that month (its value at month end)."""
        cols = ["month", "agent_i", "kind_i", "agent_j", "kind_j", "trust"]
        if not self.trust_parts:
            return pd.DataFrame(columns=cols)
        agents = list(self.model.agents)
        names = [a.name for a in agents]
        kinds = [a.kind for a in agents]
        month = np.concatenate([np.full(len(r), t) for t, r, _, _ in self.trust_parts])
        i = np.concatenate([p[1] for p in self.trust_parts])
        j = np.concatenate([p[2] for p in self.trust_parts])
        v = np.concatenate([p[3] for p in self.trust_parts])
        return pd.DataFrame({"month": month, "agent_i": _strings_at(names, i), "kind_i": _strings_at(kinds, i),
                             "agent_j": _strings_at(names, j), "kind_j": _strings_at(kinds, j), "trust": v},
                            columns=cols)

    def given_totals(self) -> dict[tuple, float]:
        totals = defaultdict(float)
        for (_, i, j), v in self.given.items():
            totals[(i, j)] += v
        return totals

    def conditional_concession(self) -> float:
        return rc.conditional_concession((self.cc[0], self.cc[1]), (self.cc[2], self.cc[3]))


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

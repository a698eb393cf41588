"""Cases (casussen): concrete locations or questions, with their state machine.

A case's homes never change in number while it lives (an agreed package may turn mid-rent
homes into free-sector ones or back, which changes the mix, not the count), so homes are
conserved: every proposed home is completed, in the pipeline or abandoned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

import numpy as np


class State(str, Enum):
    OPEN = "open"                      # proposed, waiting for its first meeting
    AT_TABLE = "at_table"              # being negotiated
    ESCALATED = "escalated"            # in the queue of a higher table
    AGREED = "agreed"                  # agreed; waiting for ratification or a procedure slot
    IN_PROCEDURE = "in_procedure"      # permits, zoning, participation, objections
    UNDER_CONSTRUCTION = "under_construction"
    COMPLETED = "completed"
    ABANDONED = "abandoned"


class CaseIndex:
    """Cases by state, so that monthly work touches only the cases it concerns (not every case)."""

    def __init__(self):
        self.by_state: dict[State, dict[int, "Case"]] = {s: {} for s in State}

    def add(self, case: "Case") -> None:
        self.by_state[case.state][case.id] = case
        case.index = self

    def moved(self, case: "Case", old: State) -> None:
        del self.by_state[old][case.id]
        self.by_state[case.state][case.id] = case

    def in_state(self, state: State) -> list:
        """Cases in ``state`` in the order they entered it (first come, first served)."""
        return list(self.by_state[state].values())


STATES = tuple(s.value for s in State)   # the state names, in order (cheaper than iterating the enum)
TERMINAL = frozenset({State.COMPLETED, State.ABANDONED})
PIPELINE = frozenset(State) - TERMINAL

ALLOWED = {
    State.OPEN: {State.AT_TABLE, State.ABANDONED},
    State.AT_TABLE: {State.AGREED, State.ESCALATED, State.ABANDONED},
    State.ESCALATED: {State.AT_TABLE, State.ABANDONED},
    State.AGREED: {State.AT_TABLE, State.IN_PROCEDURE},
    State.IN_PROCEDURE: {State.UNDER_CONSTRUCTION},
    State.UNDER_CONSTRUCTION: {State.COMPLETED},
    State.COMPLETED: set(),
    State.ABANDONED: set(),
}

SEGMENTS = ("social", "midrent", "free")
LEVELS = ("local", "regional", "national")


@dataclass(slots=True, eq=False)
class Case:
    """One case and everything the tables, boards and pipeline keep about it.

    Slots, not a ``__dict__``: a national run keeps some 15,000 cases of about 65 fields
    until its end, and a dict each added some 16 MB to its peak memory. A field must be
    declared here to be set. Cases compare by identity (a case is itself, whatever its
    fields): the field-by-field ``==`` of a dataclass made every ``case in agenda`` and
    ``agenda.remove(case)`` build two tuples of 65 fields for each case it passed."""

    id: int
    kind: str                     # "midrent" (a location) or "performance" (prestatieafspraken)
    municipality: object          # Municipality agent
    homes: dict[str, int]         # segment -> homes
    land_owner: str               # "municipality" or "developer"
    specific: bool                # concrete location (True) or general question
    opened: int                   # month
    infrastructure_blocked: bool = False
    cross_region: bool = False
    objection: bool = False       # drawn at creation: common random numbers across policies
    cost_factor: float = 1.0      # the location's own construction cost against the standard (drawn at creation)
    imposition_draw: float = 1.0  # uniform draw: do objections follow if a package is imposed?
    state: State = State.OPEN
    state_since: int = 0
    months_in: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    entered: dict[str, int] = field(default_factory=dict)   # first month in each state
    level: int = 0
    max_level: int = 0
    meetings_at_level: int = 0
    meetings: int = 0
    agreed_month: int | None = None   # month the table reached agreement (first time)
    ratify_month: int | None = None
    release_month: int = 0            # earliest month to enter procedure
    window_wait: int = 0              # months spent waiting for decision windows
    procedure_months: int = 0
    construction_months: int | None = None            # None: the scenario's construction time
    process_help: int = 0
    money_per_home: float = 0.0
    imposed: bool = False
    lost_agreements: int = 0
    cast: dict = field(default_factory=dict)          # kind -> the agent of that kind for this case
    parties: list = field(default_factory=list)       # who negotiates at the current table
    table: object = None                              # current table
    padding: np.ndarray | None = None                 # per slot: padding at this level (set at seating)
    trust_local: np.ndarray | None = None             # one-off tables: trust by slot (5 x 5) that dies with the case
    insight_local: np.ndarray | None = None           # one-off tables: insight by slot (NaN: nothing learned yet)
    unblock_month: int | None = None                  # infrastructure bottleneck moved from this month
    table_history: list = field(default_factory=list)  # level names of the tables it left
    escalation_rows: list = field(default_factory=list)
    agreement_id: int | None = None
    pending_ratification: int | None = None           # month the last signatory decides
    reviewed: bool = False                            # checked by the regional plan review
    blocked_by: str = ""                              # why the last meeting could not sign, if blocked
    tenant_waits: int = 0                             # meetings spent waiting for the tenant organisation
    rounds_total: int = 0
    mix_changed: int = 0                              # mid-rent homes turned into free-sector homes
    tranche_of: int | None = None                     # multi-year performance agreement: parent case
    updates: list = field(default_factory=list)       # multi-year parent: homes of the yearly updates not yet in tranches
    conceded: np.ndarray | None = None                # per party slot: share of its range conceded (from the first seating)
    last: np.ndarray | None = None                    # per slot: last round's step (NaN: none)
    agreement: dict | None = None
    bottleneck: str = ""
    space: object = None                              # the package's variants (sim/package.py), set at seating
    variant: int = 0                                  # the single text: the variant on the table
    absent: list = field(default_factory=list)        # signatories the table does not seat
    known: set = field(default_factory=set)           # absent signatories whose own numbers a veto revealed
    decisions: dict = field(default_factory=dict)     # signatory id -> month its organisation decides
    sent_back: bool = False                           # a higher table sent it back with advice
    assessment_meetings: int = 0                      # meetings the municipality needs to assess the business case
    text_moves: int = 0                               # times the single text moved to another variant
    concrete: bool = True                             # a concrete plan (False: a general question, until worked out)
    agreed_in_principle: int | None = None            # month a general question was agreed in principle (then worked out)
    index: object = None                              # the model's CaseIndex, kept up to date by move()
    slots: tuple | None = None                        # (agent per slot, seated, absent signatory), set at seating
    slot_index: tuple | None = None                   # (those slots, their agents' rows, seated + absent flags)
    valued_as: tuple | None = None                    # (its space, what ``value_cases`` reads of the case with it, its grid)

    def __post_init__(self):
        self.state_since = self.opened
        self.entered[State.OPEN.value] = self.opened

    @property
    def total_homes(self) -> int:
        return sum(self.homes.values())

    @property
    def lacks_investor(self) -> bool:
        """Mid-rent homes that no investor can fund (the portfolio rule excluded them all)."""
        return self.homes["midrent"] > 0 and "investor" not in self.cast

    def share(self, segment: str) -> float:
        n = self.total_homes
        return self.homes[segment] / n if n else 0.0

    def move(self, new: State, month: int) -> None:
        """Change state at the start of ``month``; time is booked to the old state."""
        old = self.state
        if new not in ALLOWED[old]:
            raise RuntimeError(f"case {self.id}: illegal transition {old.value} -> {new.value}")
        # ``_value_``: the member's value as a plain attribute (``.value`` is a property, and moves are many)
        self.months_in[old._value_] += month - self.state_since
        self.state, self.state_since = new, month
        self.entered.setdefault(new._value_, month)
        if self.index is not None:
            self.index.moved(self, old)

    def leave_the_table(self) -> None:
        """A case that is bound or abandoned will not negotiate again: drop its negotiation state
        (package space, concessions, the one-off stores), which is most of a case's memory."""
        self.space = None
        self.trust_local = None
        self.insight_local = None
        self.conceded = self.last = self.padding = None
        self.slots = self.slot_index = self.valued_as = None

    def close_books(self, month: int) -> None:
        """Book the months up to ``month`` to the current state (end of run)."""
        self.months_in[self.state.value] += month - self.state_since
        self.state_since = month

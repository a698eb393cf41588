"""Implementation: procedure, construction, completion (MODEL.md 3.5); ratification is ``sim/ratification.py``.

Limited by each municipality's process capacity (cases in procedure at once) and by
builders' capacity (homes started per year, as a bucket that refills monthly).

The waiting lines are kept in a :class:`Schedule`, so that a month's pipeline work touches only
the cases it concerns: the agreed cases of municipalities with room in their procedures, the
procedures that have ended, the buildings due to be completed. Every line is served in the
order the cases joined it (first come, first served), as a scan of all cases would.
"""

from __future__ import annotations

import itertools

from sim.case import State


class Schedule:
    """The pipeline's waiting lines, by municipality and by the month a stage ends."""

    def __init__(self):
        self._order = itertools.count()   # one sequence for joining the lines: first come, first served
        self.ready: dict[int, dict[int, tuple]] = {}      # municipality index -> case id -> (order, case)
        self.procedure_ends: dict[int, list] = {}         # month -> (order, case) whose procedure ends then
        self.built: list = []                             # (order, case, homes): procedure done, waiting for builders
        self.completes: dict[int, list] = {}              # month -> cases completed then, in order of starting

    def agreed(self, case) -> None:
        """A binding agreement waits for a procedure slot in its municipality."""
        self.ready.setdefault(case.municipality.index, {})[case.id] = (next(self._order), case)

    def in_procedure(self, case, month: int) -> None:
        """A case entered procedure in ``month`` (its ``procedure_months`` set)."""
        self.procedure_ends.setdefault(month + case.procedure_months, []).append((next(self._order), case))

    def under_construction(self, case, month: int, duration: int) -> None:
        """A case started building in ``month``; it is completed ``duration`` months later, and at
        the earliest in the next month's pipeline step (a month's completions come before its starts)."""
        self.completes.setdefault(month + max(duration, 1), []).append(case)


def start_procedures(model, month: int) -> None:
    """Agreed cases enter procedure where their municipality has room, in the order they were agreed."""
    schedule, municipalities = model.schedule, model.municipalities
    chosen = []
    for m_index, waiting in schedule.ready.items():
        if not waiting:
            continue
        m = municipalities[m_index]
        room = m.process_capacity - m.in_procedure
        if room <= 0:
            continue
        for order, case in waiting.values():
            if month < case.release_month:
                continue
            chosen.append((order, case))
            room -= 1
            if room <= 0:
                break
    if not chosen:
        return
    chosen.sort(key=_first)
    standard, objection = model.p["pipeline.procedure_months"], model.p["pipeline.objection_months"]
    for _, case in chosen:
        m = case.municipality
        m.in_procedure += 1
        months = max(0, standard - case.process_help)
        if case.objection:
            months += objection
        case.procedure_months = months
        case.move(State.IN_PROCEDURE, month)
        del schedule.ready[m.index][case.id]
        schedule.in_procedure(case, month)


def advance(model, month: int) -> None:
    """Procedures that are done start building when builders have room; buildings complete.

    The builders' line is scanned in order every month (a small case may start where a large one
    cannot), so each entry keeps its case's homes, which do not change in the pipeline."""
    schedule, recorder, capacity = model.schedule, model.recorder, model.build_capacity
    model.build_bucket = min(capacity, model.build_bucket + capacity / 12.0)
    for case in schedule.completes.pop(month, ()):
        case.move(State.COMPLETED, month)
        recorder.homes_event(month, case, "completed")
    ended = schedule.procedure_ends.pop(month, ())
    if ended:
        # the line stays in the order the cases entered procedure (their orders are distinct)
        schedule.built.extend((order, case, case.total_homes) for order, case in ended)
        schedule.built.sort(key=_first)
    if not schedule.built:
        return
    construction = model.p["pipeline.construction_months"]
    waiting = []
    for entry in schedule.built:
        _, case, homes = entry
        need = min(homes, capacity)
        if model.build_bucket < need:
            waiting.append(entry)
            continue
        model.build_bucket -= need
        case.municipality.in_procedure -= 1
        case.move(State.UNDER_CONSTRUCTION, month)
        recorder.homes_event(month, case, "started")
        own = case.construction_months
        schedule.under_construction(case, month, own if own is not None else construction)
    schedule.built = waiting


def _first(entry):
    return entry[0]

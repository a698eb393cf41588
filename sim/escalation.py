"""The escalation ladder: local or woondeal table -> regional -> national versnellingstafel.

A case is stuck when its table reaches the end of the concession clock without
agreement. The rule then sends it one level up (or straight to the national table
when the bottleneck crosses regions and skipping is allowed), into that table's queue;
tables admit from their queue as capacity frees up, and on admission apply their means.
"""

from __future__ import annotations

from sim.case import State
from sim import negotiation
from sim.tables import financial_gap


def classify(model, case) -> str:
    """Kind of bottleneck (MODEL.md 6): infrastructure, financial (no zone of agreement) or impasse."""
    if case.infrastructure_blocked:
        return "infrastructure"
    if case.lacks_investor:
        return "no_investor"
    return "financial" if financial_gap(model, case) > negotiation.EPS else "impasse"


def next_table(model, case):
    """The table a stuck case goes to, or None when it has nowhere left to go."""
    p = model.p
    if not p["escalation.enabled"] or case.kind != "midrent" or case.bottleneck == "no_investor":
        return None  # no table can conjure an investor the portfolio rules exclude
    if case.level >= 2:
        return None
    if case.cross_region and p["escalation.allow_skip"]:
        return model.national_table
    if case.level == 0:
        return model.regional_tables.get(case.municipality.region, model.national_table)
    return model.national_table


def escalate(model, case, month: int) -> bool:
    """Send a stuck case up; False when it cannot go up (it is then abandoned)."""
    case.bottleneck = classify(model, case)
    target = next_table(model, case)
    if target is None:
        return False
    model.recorder.escalation_out(month, case, "escalated")  # closes the row of the level it leaves, if any
    old = case.table
    if case in old.agenda:
        old.agenda.remove(case)
    case.move(State.ESCALATED, month)
    case.level = target.level
    case.max_level = max(case.max_level, target.level)
    case.table = target
    target.queue.append(case)
    model.recorder.escalation_in(month, case, target, queue_length=len(target.queue) - 1)
    return True


def apply_means(model, table, case) -> None:
    """What the level brings on admission: imposing, process help, infrastructure, a changed case, money.

    Money is a fixed contribution per home up to the level's limit (like the
    Woningbouwimpuls), paid only when it closes the gap the parties see; a case is
    changed (mid-rent homes become free-sector homes) only as far as needed for the
    money to close the rest.
    """
    means = table.means
    if means.impose and case.municipality in case.parties:
        case.imposed = True
    if means.process_help:
        case.process_help = max(case.process_help, means.process_help)
    if means.infrastructure and case.infrastructure_blocked:
        case.unblock_month = model.month + model.p["escalation.infrastructure_months"]
    close_gap(model, table, case)


def close_gap(model, table, case) -> None:
    """Money and, at the top, a changed mix, as far as needed to close a financial gap.

    Applied on admission and again before every meeting at the level, because prices
    move while a case waits (e.g. for an infrastructure bottleneck to be moved).
    """
    means = table.means
    if financial_gap(model, case) <= 0:
        return  # an impasse, not a financial gap: mediation is what helps
    before = case.money_per_home
    case.money_per_home = max(before, means.money)
    if financial_gap(model, case) <= 0:
        return
    if means.mix_change > 0 and case.homes["midrent"] > 0 and _change_mix(model, case, means.mix_change):
        return
    case.money_per_home = before  # money that cannot close the gap is not paid


def _change_mix(model, case, max_share: float) -> bool:
    """Turn the fewest mid-rent homes into free-sector homes that closes the gap (with the money)."""
    original_mid, original_free = case.homes["midrent"], case.homes["free"]
    for k in range(1, int(original_mid * max_share) + 1):
        case.homes["midrent"], case.homes["free"] = original_mid - k, original_free + k
        if financial_gap(model, case) <= 0:
            case.mix_changed += k
            model.recorder.relabel(model.month, case, k)
            return True
    case.homes["midrent"], case.homes["free"] = original_mid, original_free
    return False

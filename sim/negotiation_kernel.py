"""``negotiation.meet_all`` compiled: the month's meetings negotiated one by one in a numba kernel.

Why: a national month's ``meet_all`` is some 300 numpy operations on arrays of a few hundred
meetings, and most of their cost is numpy's work per call, not the arithmetic
(results/benchmarks/README.md). The kernel does the same arithmetic as loops over the meetings,
compiled once per machine (numba caches it beside this file), and gives the same numbers bit
for bit: every operation is numpy's, in numpy's order (sums over the party slots in slot order,
``np.minimum``'s handling of NaN, a stable sort for the qualified majority's outvoted parties).
The concession curves' powers are taken by numpy before the kernel runs, so that no power is
computed by a different library. ``tests/test_negotiation_kernel.py`` checks the equality on
random meetings and on whole runs.

numpy's ``meet_all_numpy`` stays the reference: it serves the processes that have not loaded
the kernel (a single run: loading costs about a second, ``negotiation.use_kernel`` says why),
machines without numba, and ``TAFELSIM_KERNEL=off``.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from sim import negotiation
from sim.negotiation import Meetings, Outcome, Protocol

# numba's cache keeps the values of the globals a kernel read when it was compiled, and is renewed
# only when this file changes. So the protocol's constants are written here and checked against
# sim.negotiation's at every import: a change there must be made here too, which recompiles.
EPS, NO_TEXT = 1e-9, -2
_NO_CHAIR, _MUNICIPAL_CHAIR, _EXTERNAL_CHAIR = 0, 1, 2
_CONSENSUS, _QUALIFIED, _LEAD = 0, 1, 2


def check_constants(protocol=negotiation) -> None:
    """Raise if this module's constants differ from those of ``protocol`` (sim.negotiation)."""
    mine = (EPS, NO_TEXT, {"none": _NO_CHAIR, "municipality": _MUNICIPAL_CHAIR, "external": _EXTERNAL_CHAIR},
            {"consensus": _CONSENSUS, "qualified_majority": _QUALIFIED, "lead": _LEAD})
    if mine != (protocol.EPS, protocol.NO_TEXT, protocol.CHAIRS, protocol.RULES):
        raise RuntimeError("sim/negotiation_kernel.py: its constants differ from sim/negotiation.py's; "
                           "make them the same (numba's cache would keep the old ones)")


check_constants()


def _floats(a) -> np.ndarray:
    """A kernel's float argument as a C-contiguous float64 array: one signature for every batch, so numba
    compiles (and caches) each kernel once."""
    return np.ascontiguousarray(a, dtype=np.float64)


def _ints(a) -> np.ndarray:
    """A kernel's integer argument, likewise."""
    return np.ascontiguousarray(a, dtype=np.int64)


def _flags(a) -> np.ndarray:
    """A kernel's boolean argument, likewise."""
    return np.ascontiguousarray(a, dtype=np.bool_)


def meet_all(m: Meetings, protocol: Protocol, record=None) -> Outcome:
    """``negotiation.meet_all`` on the same meetings, with the same outcome and updates of ``m``.

    ``record`` receives the same observations, once for the whole batch, meeting by meeting
    (numpy's version gives them round by round); the run's record only counts them."""
    n, slots = m.seated.shape
    rounds = protocol.rounds
    inv_e = 1.0 / m.exponent
    curve = np.empty((rounds + 1, n, slots))      # each party's concession curve at each round's start
    for r in range(rounds + 1):
        curve[r] = negotiation.curve_at(m, inv_e, r)
    variant = _ints(m.variant)
    conceded = np.array(m.conceded, dtype=float)
    last = np.array(m.last, dtype=float)
    candidates = _ints(m.candidates).reshape(n, -1)
    (agreed, rounds_held, claims, needs, available, mediated, moved, text_moved,
     obs_agent, obs_conceded, obs_others, n_obs) = _meet(
        _flags(m.seated), _flags(m.absent), _floats(m.res), _floats(m.opening), _floats(m.surplus),
        candidates, _ints(m.writer), _floats(m.writer_insight), _floats(m.bonus), variant, conceded, last, curve,
        _floats(m.hold), _flags(m.can_sign), _ints(m.chair), _ints(m.rule), _ints(m.lead), _ints(m.municipality),
        _ints(m.agent), rounds, float(protocol.reciprocity), float(protocol.ratio_cap), float(protocol.threshold),
        float(protocol.chair_trust), float(protocol.caucus_disclosure), record is not None)
    m.variant, m.conceded, m.last = variant, conceded, last
    if record is not None and n_obs:
        record(obs_agent[:n_obs], obs_conceded[:n_obs], obs_others[:n_obs])
    return Outcome(agreed, rounds_held, claims, needs, available, mediated, moved, text_moved)


def warm_up() -> None:
    """Load (or, the first time on a machine, compile) the kernel now, on one small meeting, so
    that a run's time does not include it (every batch has the same argument types)."""
    n, p, v = 1, 5, 2
    meet_all(Meetings(
        seated=np.ones((n, p), bool), absent=np.zeros((n, p), bool), res=np.zeros((n, p, v)),
        opening=np.ones((n, p, v)), surplus=np.full((n, v), 10.0), candidates=np.ones((n, 1), int),
        writer=np.zeros(n, int), writer_insight=np.zeros((n, p)), bonus=np.zeros((n, v)), variant=np.zeros(n, int),
        conceded=np.zeros((n, p)), last=np.full((n, p), np.nan), exponent=np.ones((n, p)), t_start=np.zeros(n),
        t_step=np.full(n, 0.1), hold=np.zeros((n, p)), can_sign=np.ones(n, bool), chair=np.zeros(n, int),
        rule=np.zeros(n, int), lead=np.full(n, -1), municipality=np.full(n, -1), agent=np.zeros((n, p), int)),
        Protocol(4, 0.5, 2.0, 0.01, 0.5, 0.5), lambda *observations: None)


@numba.njit(cache=True, inline="always")
def _minimum(a, b):
    """``np.minimum`` of two floats: NaN if either is NaN."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


@numba.njit(cache=True, inline="always")
def _maximum(a, b):
    """``np.maximum`` of two floats: NaN if either is NaN."""
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


@numba.njit(cache=True)
def _write_text(i, seated, absent, res, opening, conceded, surplus, candidates, writer, writer_insight, bonus,
                variant, chair, z, cols):
    """``negotiation.write_text`` for meeting ``i``: returns whether its text moved."""
    p = seated.shape[1]
    k = candidates.shape[1]
    w = writer[i]
    v = variant[i]
    for c_idx in range(k + 1):
        c = v if c_idx == 0 else candidates[i, c_idx - 1]
        usable = c >= 0
        if not usable:
            c = v
        cols[c_idx] = c
        s = res[i, 0, c] * (1.0 if absent[i, 0] else 0.0)
        for j in range(1, p):
            s = s + res[i, j, c] * (1.0 if absent[i, j] else 0.0)
        zz = surplus[i, c] - s
        for j in range(p):
            rj = res[i, j, c]
            if j == w:
                need = rj
            else:
                target = rj + (opening[i, j, c] - rj) * (1.0 - conceded[i, j])
                need = rj + (1.0 - writer_insight[i, j]) * (target - rj)
            zz = zz - (need if seated[i, j] else 0.0)
        zz = zz + bonus[i, c]
        if chair[i] == _NO_CHAIR:
            for j in range(p):
                if seated[i, j] and w != j and res[i, j, c] > res[i, j, v] + 1e-6:
                    zz = -np.inf
        if not usable:
            zz = -np.inf
        z[c_idx] = zz
    best = 0                       # np.argmax: the first maximum, a NaN first of all
    for c_idx in range(1, k + 1):
        if math.isnan(z[best]):
            break
        if math.isnan(z[c_idx]) or z[c_idx] > z[best]:
            best = c_idx
    new = cols[best] if z[best] > z[0] + 1e-6 else v
    variant[i] = new
    return new != v


@numba.njit(cache=True)
def _meet(seated, absent, res3, opening3, surplus, candidates, writer, writer_insight, bonus, variant, conceded,
          last, curve, hold, can_sign, chair, rule, lead, municipality, agent, rounds, rho, cap, threshold,
          chair_trust, disclosure, recording):
    n, p = seated.shape
    k = candidates.shape[1]
    agreed = np.zeros(n, dtype=np.bool_)
    rounds_held = np.full(n, rounds, dtype=np.int64)
    claims = np.zeros((n, p))
    needs = np.zeros((n, p))
    available = np.zeros(n)
    mediated = np.zeros(n, dtype=np.bool_)
    moved = np.zeros((n, p))
    text_moved = np.zeros(n, dtype=np.bool_)
    size = rounds * n * p if recording else 0
    obs_agent = np.empty(size, dtype=np.int64)
    obs_conceded = np.empty(size, dtype=np.bool_)
    obs_others = np.empty(size, dtype=np.bool_)
    n_obs = 0
    z = np.empty(k + 1)
    cols = np.empty(k + 1, dtype=np.int64)
    res = np.empty(p)
    opening = np.empty(p)
    active = np.empty(p, dtype=np.bool_)
    in_record = np.empty(p, dtype=np.bool_)
    last_known = np.empty(p)
    step = np.empty(p)
    stepping = np.empty(p, dtype=np.bool_)
    targets = np.empty(p)
    est = np.empty(p)
    excess = np.empty(p)
    offer = np.empty(p)
    votes = np.empty(p, dtype=np.bool_)
    need = np.empty(p)
    key = np.empty(p)
    order = np.empty(p, dtype=np.int64)
    rank = np.empty(p, dtype=np.int64)
    for i in range(n):
        if writer[i] != NO_TEXT and k > 0:
            text_moved[i] = _write_text(i, seated, absent, res3, opening3, conceded, surplus, candidates, writer,
                                        writer_insight, bonus, variant, chair, z, cols)
        v = variant[i]
        n_seated = 0
        for j in range(p):
            res[j] = res3[i, j, v]
            opening[j] = _maximum(res[j], opening3[i, j, v])
            active[j] = seated[i, j] and (opening[j] - res[j] > EPS)
            claims[i, j] = res[j] if absent[i, j] else 0.0
            if seated[i, j]:
                n_seated += 1
        s = res[0] * (1.0 if absent[i, 0] else 0.0)
        for j in range(1, p):
            s = s + res[j] * (1.0 if absent[i, j] else 0.0)
        avail = surplus[i, v] - s
        available[i] = avail
        lead_rule = rule[i] == _LEAD and lead[i] >= 0
        qualified = rule[i] == _QUALIFIED and n_seated >= 3
        external = chair[i] == _EXTERNAL_CHAIR
        to_municipality = chair[i] == _MUNICIPAL_CHAIR and municipality[i] >= 0
        to_proposer = chair[i] == _NO_CHAIR
        n_one = max(n_seated, 1)
        for r in range(rounds):
            if agreed[i]:
                break                  # an agreed meeting takes no more steps
            # this round's scheduled steps, answered tit for tat
            count_in = 0
            for j in range(p):
                in_record[j] = not math.isnan(last[i, j])
                last_known[j] = last[i, j] if in_record[j] else 0.0
                if in_record[j]:
                    count_in += 1
            for j in range(p):
                scheduled = curve[r + 1, i, j] - curve[r, i, j]
                others_n = count_in - (1 if in_record[j] else 0)
                others_sum = 0.0
                for q in range(p):
                    if q != j:
                        others_sum = others_sum + (last_known[q] if in_record[q] else 0.0)
                answer = in_record[j] and others_n > 0
                ratio = _minimum(cap, (others_sum / max(others_n, 1) if answer else 0.0) / _maximum(last_known[j], EPS))
                base = scheduled * (1.0 + rho * (ratio - 1.0)) if answer else scheduled
                room = _maximum(0.0, 1.0 - hold[i, j] - conceded[i, j])
                stepping[j] = active[j]
                step[j] = _minimum(_maximum(base, 0.0), room) if stepping[j] else 0.0
                if recording and stepping[j] and in_record[j] and count_in > 0 and scheduled > EPS \
                        and room > scheduled * (1.0 + rho * (cap - 1.0)) + EPS:
                    others_conceded = 0
                    for q in range(p):
                        if q != j and in_record[q] and last_known[q] >= threshold:
                            others_conceded += 1
                    obs_agent[n_obs] = agent[i, j]
                    obs_conceded[n_obs] = step[j] >= scheduled * (1.0 - 1e-6)
                    obs_others[n_obs] = others_conceded > 0
                    n_obs += 1
            for j in range(p):
                had_room = conceded[i, j] < 1.0 - EPS
                if stepping[j]:
                    conceded[i, j] = conceded[i, j] + step[j]
                moved[i, j] = moved[i, j] + step[j]
                last[i, j] = step[j] if stepping[j] and had_room else np.nan
            if not can_sign[i]:
                continue
            for j in range(p):
                targets[j] = res[j] + (opening[j] - res[j]) * (1.0 - conceded[i, j])
            ok = False
            if external:       # an external chair's proposal from what the parties told it in caucus
                total_est = 0.0
                for j in range(p):
                    est[j] = res[j] + (1.0 - disclosure) * (targets[j] - res[j])
                    total_est = total_est + (est[j] if seated[i, j] else 0.0)
                rest = avail - total_est
                total = 0.0
                for j in range(p):
                    excess[j] = targets[j] - est[j] if seated[i, j] else 0.0
                    total = total + (excess[j] if seated[i, j] else 0.0)
                yes = 0
                for j in range(p):
                    weight = excess[j] / total if total > EPS else 1.0 / n_one
                    offer[j] = est[j] + _maximum(rest, 0.0) * weight
                    votes[j] = offer[j] >= res[j] + (1.0 - chair_trust) * (targets[j] - res[j]) - 1e-6
                    if votes[j] and seated[i, j]:
                        yes += 1
                if lead_rule:
                    accepts = votes[max(lead[i], 0)]
                elif qualified:
                    accepts = yes >= np.ceil(2 * n_seated / 3)
                else:
                    accepts = yes == n_seated
                if rest >= -EPS and accepts:
                    ok = True
                    mediated[i] = True
                    for j in range(p):
                        if seated[i, j]:
                            claims[i, j] = offer[j]
                        needs[i, j] = offer[j] if seated[i, j] else 0.0
            if not ok:         # the decision rule's minimum claims, the slack to whom the table gives it
                for j in range(p):
                    need[j] = targets[j] if seated[i, j] else 0.0
                    if lead_rule and seated[i, j] and j != lead[i]:
                        need[j] = res[j]
                if qualified:
                    for j in range(p):   # a stable sort, most asked above the reservation first
                        key[j] = -(targets[j] - res[j]) if seated[i, j] else np.inf
                        order[j] = j
                    for a in range(1, p):
                        b = a
                        while b > 0 and key[order[b]] < key[order[b - 1]]:
                            order[b], order[b - 1] = order[b - 1], order[b]
                            b -= 1
                    for a in range(p):
                        rank[order[a]] = a
                    bound = n_seated - int(np.ceil(2 * n_seated / 3))
                    for j in range(p):
                        if seated[i, j] and rank[j] < bound:
                            need[j] = res[j]
                total = 0.0
                for j in range(p):
                    total = total + (need[j] if seated[i, j] else 0.0)
                if total <= avail + EPS:
                    slack = _maximum(0.0, avail - total)
                    kth = r % n_one
                    proposer, seen = 0, 0
                    for j in range(p):
                        if seated[i, j]:
                            seen += 1
                        if seen > kth:
                            proposer = j
                            break
                    ok = True
                    for j in range(p):
                        if to_municipality:
                            share = (1.0 if j == municipality[i] else 0.0) * slack
                        elif to_proposer:
                            share = (1.0 if j == proposer else 0.0) * slack
                        else:
                            share = (1.0 if seated[i, j] else 0.0) * (slack / n_one)
                        if seated[i, j]:
                            claims[i, j] = need[j] + share
                        needs[i, j] = need[j]
            if ok:
                agreed[i] = True
                rounds_held[i] = r + 1
    return (agreed, rounds_held, claims, needs, available, mediated, moved, text_moved,
            obs_agent, obs_conceded, obs_others, n_obs)

"""The compiled negotiation (``sim.negotiation_kernel``) is numpy's ``meet_all``, bit for bit.

The kernel is a second implementation of the protocol, kept only for speed; these tests are
what allows it: on random batches of meetings (every chair, decision rule, writer, seating and
record) and on whole runs of the table formats, every number it gives equals numpy's.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import formats, negotiation
from sim import negotiation_kernel as kernel
from sim.errors import InputError
from sim.negotiation import CHAIR, NO_TEXT, Meetings, Protocol

P = 5
finite = st.floats(-200_000, 200_000, allow_nan=False, allow_infinity=False)
share = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def batches(draw):
    """A month's meetings as ``sim.tables.assemble`` makes them: seated and absent parties apart,
    the municipality in slot 0, the writer and the lead seated, the text on a valid column."""
    n = draw(st.integers(1, 6))
    v = draw(st.integers(1, 4))
    k = draw(st.integers(0, 3))
    arr = lambda shape, elements: np.array(draw(st.lists(elements, min_size=int(np.prod(shape)),  # noqa: E731
                                                          max_size=int(np.prod(shape))))).reshape(shape)
    seated = arr((n, P), st.booleans())
    seated[:, 1] |= ~seated.any(axis=1)            # somebody negotiates
    absent = arr((n, P), st.booleans()) & ~seated
    res = arr((n, P, v), finite)
    opening = res + arr((n, P, v), st.floats(-1_000, 100_000, allow_nan=False))
    surplus = arr((n, v), finite)
    valid = arr((n, v), st.booleans())
    valid[:, 0] = True
    surplus = np.where(valid, surplus, -np.inf)
    candidates = arr((n, k), st.integers(-1, v - 1)) if k else np.zeros((n, 0), dtype=int)
    candidates = np.where((candidates >= 0) & valid[np.arange(n)[:, None], np.maximum(candidates, 0)], candidates, -1)
    writer = np.array([draw(st.sampled_from([NO_TEXT, CHAIR] + seated[i].nonzero()[0].tolist())) for i in range(n)])
    lead = np.array([draw(st.sampled_from([-1] + seated[i].nonzero()[0].tolist())) for i in range(n)])
    last = arr((n, P), st.floats(0.0, 0.6, allow_nan=False))
    last = np.where(arr((n, P), st.booleans()), last, np.nan)
    return Meetings(
        seated=seated, absent=absent, res=res, opening=opening, surplus=surplus, candidates=candidates,
        writer=writer, writer_insight=arr((n, P), share), bonus=arr((n, v), st.floats(0, 5_000)),
        variant=np.zeros(n, dtype=int), conceded=arr((n, P), share), last=last,
        exponent=arr((n, P), st.floats(0.2, 5.0)), t_start=arr((n,), share), t_step=arr((n,), st.floats(0.0, 0.2)),
        hold=arr((n, P), st.floats(0.0, 0.5)), can_sign=arr((n,), st.booleans()),
        chair=arr((n,), st.integers(0, 2)), rule=arr((n,), st.integers(0, 2)), lead=lead,
        municipality=np.where(seated[:, 0], 0, -1), agent=np.arange(n * P).reshape(n, P))


protocols = st.builds(Protocol, st.integers(1, 6), share, st.floats(1.0, 4.0), st.floats(0.0, 0.2), share, share)


def observations(meet, m, protocol):
    """Outcome, updated state and every observation given to ``record`` (sorted: the kernel
    gives them meeting by meeting, numpy round by round)."""
    seen = []
    out = meet(m, protocol, lambda *x: seen.extend(zip(*(a.tolist() for a in x))))
    return out, m, sorted(seen)


def assert_same(a, b):
    for name in a.__dataclass_fields__:
        x, y = np.asarray(getattr(a, name)), np.asarray(getattr(b, name))
        assert x.dtype.kind == y.dtype.kind, name
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), name


@settings(max_examples=300)
@given(batches(), protocols)
def test_kernel_gives_numpy_outcome_bit_for_bit(m, protocol):
    a_out, a_m, a_seen = observations(negotiation.meet_all_numpy, copy.deepcopy(m), protocol)
    b_out, b_m, b_seen = observations(kernel.meet_all, copy.deepcopy(m), protocol)
    assert_same(a_out, b_out)
    for name in ("variant", "conceded", "last"):
        assert np.array_equal(getattr(a_m, name), getattr(b_m, name), equal_nan=True), name
    assert a_seen == b_seen


@pytest.fixture
def numpy_then_kernel():
    """Run a callable with numpy's negotiation, then with the kernel; the process's choice restored."""
    before = negotiation._kernel is not None

    def both(f):
        negotiation.use_kernel(False)
        a = f()
        assert negotiation.use_kernel(True)
        return a, f()
    yield both
    negotiation.use_kernel(before)


@pytest.mark.parametrize("preset", formats.preset_names())
def test_runs_are_identical_with_the_kernel(numpy_then_kernel, preset):
    """Every table format (chairs, decision rules, ladders) gives the same tables either way."""
    a, b = numpy_then_kernel(lambda: sim.run("woondeal-ladder", seed=3, months=30,
                                             overrides={"table.format": preset}))
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), (preset, name)


def test_a_single_run_does_not_import_numba():
    """Loading the kernel costs about a second; a one-off run (the CLI's) is cheaper without it."""
    code = "import sys, sim; sim.run('middenhuur-2017', months=3); print('numba' in sys.modules)"
    env = {k: v for k, v in os.environ.items() if k != "TAFELSIM_KERNEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "False"


def test_kernel_can_be_switched_off(monkeypatch, numpy_then_kernel):
    monkeypatch.setenv("TAFELSIM_KERNEL", "off")
    assert not negotiation.use_kernel(True)
    assert negotiation._kernel is None


def test_unknown_kernel_setting_is_refused(monkeypatch):
    monkeypatch.setenv("TAFELSIM_KERNEL", "fast")
    with pytest.raises(ValueError, match="TAFELSIM_KERNEL: got 'fast'; allowed: on, off"):
        negotiation.use_kernel(True)


def test_a_mistyped_kernel_setting_stops_a_run_before_it_starts(monkeypatch):
    monkeypatch.setenv("TAFELSIM_KERNEL", "yes")
    with pytest.raises(InputError, match="environment: TAFELSIM_KERNEL: got 'yes'"):
        sim.run("middenhuur-2017", months=1)


def test_the_kernel_refuses_constants_that_differ_from_the_protocols(monkeypatch):
    """numba's cache keeps the constants a kernel was compiled with until the kernel's own file
    changes: a constant changed in sim/negotiation.py alone must stop the kernel from loading
    (``check_constants`` runs when the module is imported)."""
    kernel.check_constants()
    monkeypatch.setattr(negotiation, "EPS", 1e-8)
    with pytest.raises(RuntimeError, match="constants differ"):
        kernel.check_constants()
    monkeypatch.setitem(negotiation.RULES, "lead", 7)
    monkeypatch.setattr(negotiation, "EPS", kernel.EPS)
    with pytest.raises(RuntimeError, match="constants differ"):
        kernel.check_constants()

"""What compiling a month's numpy code would buy: ``sim.negotiation.write_text`` as a numba kernel.

Run on demand (not in CI; numba is not a dependency of the project):

    pip install 'numba>=0.68,<0.69'
    python benchmarks/kernel_probe.py [--scenario nederland] [--seed 0] [--write results/benchmarks/kernel_probe.md]

Issue 11's targets need the month's cost of calls removed: about 90% of a national month is the
interpreter and numpy's per-call work on small arrays, 7% arithmetic (results/benchmarks/README.md).
This probe takes one function of the month's negotiation whose numpy code is typical (some 80
array operations on a month's meetings), writes the same arithmetic as loops compiled by numba,
and checks both on every month of a run:

1. the meetings of every month are captured as ``meet_all`` receives them (a copy, before the
   text is written);
2. on each month, the numpy ``write_text`` and the kernel run on copies of the same meetings:
   the text's variants and the moved flags must be identical, element for element;
3. both are timed on all months, alternating, minimum of ``--repeat`` passes.

The kernel keeps numpy's order of operations (the absent parties' reservations summed in slot
order, as numpy's reduction over five slots does; a variant not open to the text worth minus
infinity; the first maximum chosen, NaN first as ``argmax`` does), so identical results are
expected, and checked rather than assumed.
"""

from __future__ import annotations

import argparse
import copy
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def capture(scenario: str, seed: int) -> list:
    """Every month's meetings of one run, as ``meet_all`` receives them."""
    import sim
    from sim import negotiation
    caught, original = [], negotiation.meet_all

    def spy(m, protocol, record=None):
        caught.append(copy.deepcopy(m))
        return original(m, protocol, record)

    negotiation.meet_all = spy
    try:
        sim.run(scenario, seed=seed)
    finally:
        negotiation.meet_all = original
    return caught


def compiled_write_text():
    """``write_text`` as a numba kernel over one meeting at a time (compiled once, cached)."""
    import numba
    from sim.negotiation import CHAIRS, NO_TEXT

    no_chair = CHAIRS["none"]

    @numba.njit(cache=True)
    def kernel(writer, variant, candidates, res, opening, conceded, surplus, absent, seated, writer_insight,
               bonus, chair):
        m, p, _ = res.shape
        k = candidates.shape[1]
        moved = np.zeros(m, dtype=np.bool_)
        if k == 0:
            return moved
        z = np.empty(k + 1)
        cols = np.empty(k + 1, dtype=np.int64)
        for i in range(m):
            w = writer[i]
            if w == NO_TEXT:
                continue
            v = variant[i]
            for c_idx in range(k + 1):
                c = v if c_idx == 0 else candidates[i, c_idx - 1]
                usable = c >= 0
                if not usable:
                    c = v
                cols[c_idx] = c
                s = res[i, 0, c] * absent[i, 0]
                for j in range(1, p):
                    s = s + res[i, j, c] * absent[i, j]
                zz = surplus[i, c] - s
                for j in range(p):
                    r = res[i, j, c]
                    if j == w:
                        need = r
                    else:
                        target = r + (opening[i, j, c] - r) * (1.0 - conceded[i, j])
                        need = r + (1.0 - writer_insight[i, j]) * (target - r)
                    zz = zz - (need if seated[i, j] else 0.0)
                zz = zz + bonus[i, c]
                if chair[i] == no_chair:
                    for j in range(p):
                        if seated[i, j] and w != j and res[i, j, c] > res[i, j, v] + 1e-6:
                            zz = -np.inf
                if not usable:
                    zz = -np.inf
                z[c_idx] = zz
            best = 0
            for c_idx in range(1, k + 1):
                if math.isnan(z[best]):
                    break
                if math.isnan(z[c_idx]) or z[c_idx] > z[best]:
                    best = c_idx
            new = cols[best] if z[best] > z[0] + 1e-6 else v
            moved[i] = new != v
            variant[i] = new
        return moved

    def write_text(m):
        return kernel(m.writer, m.variant, m.candidates, m.res, m.opening, m.conceded, m.surplus,
                      m.absent.astype(np.float64), m.seated, m.writer_insight, m.bonus, m.chair)

    return write_text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="nederland")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    try:
        import numba
    except ImportError:
        sys.exit("kernel_probe.py needs numba: pip install 'numba>=0.68,<0.69' (it is not a project dependency)")
    from sim.negotiation import write_text
    months = capture(args.scenario, args.seed)
    start = time.perf_counter()
    kernel = compiled_write_text()
    kernel(copy.deepcopy(months[0]))            # compiled (or loaded from numba's cache) here
    ready = time.perf_counter() - start
    differ = 0
    for m in months:
        a, b = copy.deepcopy(m), copy.deepcopy(m)
        if not (np.array_equal(write_text(a), kernel(b)) and np.array_equal(a.variant, b.variant)):
            differ += 1
    best = {"numpy": math.inf, "numba": math.inf}
    for _ in range(args.repeat):
        for name, f in (("numpy", write_text), ("numba", kernel)):
            copies = [copy.deepcopy(m) for m in months]
            t = time.perf_counter()
            for m in copies:
                f(m)
            best[name] = min(best[name], time.perf_counter() - t)
    meetings = sum(len(m.variant) for m in months)
    lines = [
        f"`sim.negotiation.write_text` against a numba kernel of the same arithmetic, on every month of "
        f"`{args.scenario}` seed {args.seed} ({len(months)} months, {meetings} meetings).",
        f"Python {platform.python_version()}, numpy {np.__version__}, numba {numba.__version__}; "
        f"minimum of {args.repeat} passes each, alternating.",
        f"Command: `python benchmarks/kernel_probe.py --scenario {args.scenario} --seed {args.seed} --repeat "
        f"{args.repeat}{' --write ' + str(args.write) if args.write else ''}`",
        "",
        "| measure | value |",
        "|---|---|",
        f"| months whose text moves differ (variants or moved flags) | {differ} of {len(months)} |",
        f"| numpy, all months | {best['numpy'] * 1e3:.1f} ms |",
        f"| numba kernel, all months | {best['numba'] * 1e3:.1f} ms |",
        f"| numpy / kernel | {best['numpy'] / best['numba']:.1f}x |",
        f"| numpy, per month | {best['numpy'] / len(months) * 1e3:.2f} ms |",
        f"| kernel, per month | {best['numba'] / len(months) * 1e3:.2f} ms |",
        f"| compiling or loading the kernel, once a process | {ready:.2f} s |",
    ]
    emit("\n".join(lines) + "\n", args.write)
    if differ:
        sys.exit(1)


if __name__ == "__main__":
    main()

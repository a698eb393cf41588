"""Where a run's months go, timed directly: each phase of ``HousingTablesModel.step`` and of its meetings.

Run on demand (not in CI):

    python benchmarks/phase_times.py [--scenario nederland] [--seeds 0 1] [--write FILE]

Every phase function is wrapped in a timer (``time.process_time``) for the run, so the times
are those of the plain run plus a few microseconds a call, not cProfile's inflated ones
(``profile_run.py`` shares out a profile instead). Nested phases (the meetings' parts inside
``_meet``) are indented; a phase's time includes the phases it calls. Together with a count of
what happens each month (meetings, agreements) this says what a rewrite of the month would
have to make cheaper: the meetings' arrays, or the Python around each case and agreement.

Each seed is run twice, alternating: with numpy's code (a single run's) and with the compiled
kernels (``negotiation.use_kernel``: a sweep's and the dashboard's workers), side by side. The
last rows count every valuation and view, whoever asks for it.
"""

from __future__ import annotations

import argparse
import collections
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (label, module, attribute, where the caller looks it up): wrapped where the caller finds it
PHASES = [
    ("elections", "sim.cycles", "elections", "sim.cycles"),
    ("performance rounds", "sim.cycles", "performance_round", "sim.cycles"),
    ("arrivals", "sim.model", "HousingTablesModel._arrivals", None),
    ("admission to the ladder's tables", "sim.escalation", "admit", "sim.escalation"),
    ("meetings (_meet)", "sim.model", "HousingTablesModel._meet", None),
    ("  seating", "sim.tables", "seat", "sim.model"),
    ("  padding", "sim.tables", "set_padding", "sim.model"),
    ("  financial gaps at higher tables", "sim.escalation", "close_gaps", "sim.escalation"),
    ("  hold_meetings", "sim.tables", "hold_meetings", "sim.model"),
    ("    assemble", "sim.tables", "assemble", "sim.tables"),
    ("    meet_all", "sim.negotiation", "meet_all", "sim.negotiation"),
    ("    terms_of", "sim.tables", "terms_of", "sim.tables"),
    ("  stuck cases", "sim.escalation", "stuck_cases", "sim.escalation"),
    ("  agree", "sim.model", "HousingTablesModel.agree", None),
    ("    agreements recorded (view and rows)", "sim.recorder", "Recorder.agreements_reached", None),
    ("ratification (decide_all)", "sim.ratification", "decide_all", "sim.ratification"),
    ("procedures started", "sim.pipeline", "start_procedures", "sim.pipeline"),
    ("pipeline advanced", "sim.pipeline", "advance", "sim.pipeline"),
    ("end of month: trust, insight", "sim.model", "HousingTablesModel._end_of_month", None),
    ("end of month: recorder", "sim.recorder", "Recorder.end_of_month", None),
    ("every view (a valuation and the signatories' numbers), whoever asks", "sim.tables", "view",
     ("sim.escalation", "sim.ratification")),
    ("every valuation, in a view or not", "sim.valuation", "value_cases", ("sim.tables", "sim.ratification")),
    ("every gathering of the cases' slots (in a view or not)", "sim.tables", "slot_rows", ()),
]


def _wrap(counter, label: str, f):
    def timed(*args, **kwargs):
        start = time.process_time()
        try:
            return f(*args, **kwargs)
        finally:
            counter()[label] += time.process_time() - start
    return timed


def measure(scenario: str, seeds: list[int]) -> tuple[dict, dict, int, dict]:
    """Per way of computing ("numpy", "kernels"): each phase's CPU time and the months' total; the
    months run per way and what happened in them (the same either way: the ways give the same numbers)."""
    import importlib

    import sim
    from sim import negotiation
    from sim import scenario as scn
    from sim.model import HousingTablesModel
    from sim.runner import _collector_for_a_run, _release

    assert negotiation.use_kernel(True), "the kernels did not load (TAFELSIM_KERNEL=off, or no numba)"
    sim.run("middenhuur-2017", seed=0, months=1)   # imports, not timed
    times = {way: collections.Counter() for way in ("numpy", "kernels")}
    current = {"way": "numpy"}

    def counter():
        return times[current["way"]]
    for label, module, name, callers in PHASES:
        mod = importlib.import_module(module)
        if "." in name:   # a method: wrapped on its class
            cls, attr = name.split(".")
            setattr(getattr(mod, cls), attr, _wrap(counter, label, getattr(getattr(mod, cls), attr)))
        else:             # a function: wrapped in its module and where the callers imported it
            wrapped = _wrap(counter, label, getattr(mod, name))
            setattr(mod, name, wrapped)
            for caller in (callers,) if isinstance(callers, str) else callers:
                if hasattr(importlib.import_module(caller), name):
                    setattr(importlib.import_module(caller), name, wrapped)
    sc = scn.load(scenario)
    params = sc.parameter_values()
    total, counts = {"numpy": 0.0, "kernels": 0.0}, collections.Counter()
    for seed in seeds:
        for way in ("numpy", "kernels") if seed % 2 == 0 else ("kernels", "numpy"):
            current["way"] = way
            negotiation.use_kernel(way == "kernels")
            with _collector_for_a_run():
                model = HousingTablesModel(sc, params, seed=seed)
                start = time.process_time()
                for _ in range(params["run.months"]):
                    model.step()
                total[way] += time.process_time() - start
                if way == "numpy":
                    counts["meetings"] += sum(model.recorder.meetings.values())
                    counts["agreements"] += len(model.recorder.agreements)
                    counts["cases"] += len(model.cases)
                _release(model)
    return times, total, len(seeds) * params["run.months"], counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="nederland")
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1])
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    times, total, months, counts = measure(args.scenario, args.seeds)
    lines = [
        f"Where a month of `{args.scenario}` goes (seeds {', '.join(map(str, args.seeds))}; {months} months each way), "
        "each phase timed directly, with numpy's code (a single run's) and with the compiled kernels (a sweep's "
        "and the dashboard's workers), alternating run by run.",
        f"Python {platform.python_version()}; command: `python benchmarks/phase_times.py --scenario {args.scenario} "
        f"--seeds {' '.join(map(str, args.seeds))}`",
        "",
        f"A month: {total['numpy'] / months * 1e3:.1f} ms of CPU with numpy's code, "
        f"{total['kernels'] / months * 1e3:.1f} ms with the kernels, with {counts['meetings'] / months:.0f} meetings "
        f"and {counts['agreements'] / months:.0f} agreements (cases made in a run: "
        f"{counts['cases'] / len(args.seeds):.0f}).",
        "",
        "| phase (indented: part of the one above) | numpy: ms a month | share | kernels: ms a month | share |",
        "|---|---|---|---|---|",
    ]
    for label, *_ in PHASES:
        cells = []
        for way in ("numpy", "kernels"):
            t = times[way][label] / months
            cells += [f"{t * 1e3:.2f}", f"{t / (total[way] / months):.0%}"]
        lines.append(f"| {label.replace('  ', '&nbsp;&nbsp;')} | {' | '.join(cells)} |")
    emit("\n".join(lines) + "\n", args.write)


if __name__ == "__main__":
    main()

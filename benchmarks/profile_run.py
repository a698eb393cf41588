"""Where one run's time goes: a profile of a scenario by phase of the month (issue 11's gap).

Run on demand (not in CI):

    python benchmarks/profile_run.py [--scenario nederland] [--seed 0] [--write results/benchmarks/profile.md]

The run is timed once without a profiler (the CPU seconds that count) and once under
cProfile; each phase's share is its cumulative time in the profile, applied to the
unprofiled time (cProfile inflates code with many small calls, so the shares are
indicative, the total is not). Phases are the steps of ``HousingTablesModel.step`` in
their order (docs/ODD.md section 3.1), plus building the model and the output tables.
The top functions by own time show how flat the profile is: no single function holds a
large share, which is why the remaining gap to the 2-second target needs a change of
data layout (cases as arrays), not a local fix.
"""

from __future__ import annotations

import argparse
import cProfile
import platform
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import emit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (phase, module path suffix, function name): cumulative time of that function is the phase's.
PHASES = [
    ("build the model (agents, tables, data)", "sim/model.py", "__init__"),
    ("elections and performance rounds", "sim/cycles.py", "elections"),
    ("", "sim/cycles.py", "performance_round"),
    ("arrivals of new cases", "sim/model.py", "_arrivals"),
    ("admission to the ladder's tables", "sim/escalation.py", "admit"),
    ("meetings: value the cases for the table (assemble)", "sim/tables.py", "assemble"),
    ("meetings: the vectorised negotiation (meet_all)", "sim/negotiation.py", "meet_all"),
    ("meetings: seating, padding, gaps, stuck cases", "sim/model.py", "_meet"),
    ("agreements recorded and scheduled", "sim/model.py", "agree"),
    ("ratification by the boards (decide_all)", "sim/ratification.py", "decide_all"),
    ("pipeline: procedures, starts, completions", "sim/pipeline.py", "start_procedures"),
    ("", "sim/pipeline.py", "advance"),
    ("end of month: trust, insight, learning", "sim/model.py", "_end_of_month"),
    ("end of month: recorder (flows, queues)", "sim/recorder.py", "end_of_month"),
    ("output tables (DataFrames)", "sim/recorder.py", "tables"),
    ("headline metrics", "sim/outputs.py", "headline"),
]


def _cumulative(stats: pstats.Stats) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for (path, _line, name), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():
        for _, suffix, fn in PHASES:
            if name == fn and path.endswith(suffix):
                out[(suffix, fn)] = out.get((suffix, fn), 0.0) + ct
    return out


def profile(scenario: str, seed: int, top: int) -> str:
    import sim

    sim.run("middenhuur-2017", seed=0, months=1)  # imports and file caches, not counted
    start = time.process_time()
    sim.run(scenario, seed=seed)
    plain = time.process_time() - start

    prof = cProfile.Profile()
    prof.enable()
    sim.run(scenario, seed=seed)
    prof.disable()
    stats = pstats.Stats(prof)
    total = stats.total_tt
    cum = _cumulative(stats)

    # _meet's cumulative time contains assemble, meet_all and agree: show its own remainder.
    meet_parts = [("sim/tables.py", "assemble"), ("sim/negotiation.py", "meet_all"), ("sim/model.py", "agree")]
    shares: list[tuple[str, float]] = []
    label = ""
    for name, suffix, fn in PHASES:
        t = cum.get((suffix, fn), 0.0)
        if (suffix, fn) == ("sim/model.py", "_meet"):
            t -= sum(cum.get(k, 0.0) for k in meet_parts)
        if name:
            label = name
            shares.append((label, t))
        else:
            shares[-1] = (label, shares[-1][1] + t)
    accounted = sum(t for _, t in shares)
    shares.append(("other (sim.run's checks, data collection elsewhere, Mesa)", max(total - accounted, 0.0)))

    lines = [f"Where the time of one `{scenario}` run goes (seed {seed}), model {sim.__version__}.",
             f"Python {platform.python_version()}, {platform.machine()}; CPU time of the run without a profiler: "
             f"{plain:.2f} s; under cProfile {total:.2f} s (shares below are of the profiled run, applied to "
             f"{plain:.2f} s).",
             f"Command: `python benchmarks/profile_run.py --scenario {scenario} --seed {seed} --write "
             f"results/benchmarks/profile.md`", "",
             "| phase of the month | share | CPU s (estimated) |", "|---|---|---|"]
    for name, t in shares:
        lines.append(f"| {name} | {t / total:.1%} | {plain * t / total:.2f} |")
    lines += ["", f"Top {top} functions by own time (profiled run):", "",
              "| function | calls | own s | share |", "|---|---|---|---|"]
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    for (path, line, name), (_cc, nc, tt, _ct, _callers) in rows:
        where = path.replace(str(ROOT) + "/", "") if str(ROOT) in path else Path(path).name
        lines.append(f"| `{where}:{line}({name})` | {nc} | {tt:.2f} | {tt / total:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default="nederland")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--write", type=Path)
    args = ap.parse_args()
    emit(profile(args.scenario, args.seed, args.top), args.write)


if __name__ == "__main__":
    main()

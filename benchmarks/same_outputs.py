"""Check that a refactor left every output table identical: this tree against another commit.

The headline metrics of each run are compared as one more table (``metrics``), since some
(conditional concession) are computed from what the recorder keeps, not from the tables.

Run on demand:  python benchmarks/same_outputs.py [--base HEAD] [--seeds 0 1 2] [--scenarios ...] [--months N] [--rtol R]

``--scenarios`` takes built-in names or scenario files (absolute paths: both trees read the same
file), e.g. a built-in scenario with another ``table_format``, for the code only a format reaches.

The base commit is checked out into a temporary git worktree; each tree runs every
built-in scenario for each seed in its own process (so each imports its own code) and
writes its tables as Parquet; then every table is compared cell by cell. ``run_id``
(a hash that includes the model version and the full parameter set) is ignored, as is a
table that only one side has (a new output is not a changed one). Exit code 1 if any
shared table differs, with the first differences printed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent

DUMP = r"""
import sys
from pathlib import Path
import pandas as pd
import sim
out, months, seeds, names = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(","), sys.argv[4].split(",")
for name in names:
    for seed in seeds:
        r = sim.run(name, seed=int(seed), months=None if months == "-" else int(months))
        d = out / Path(name).stem / seed      # a built-in name, or a scenario file's name
        d.mkdir(parents=True, exist_ok=True)
        for t, df in r.tables.items():
            df.drop(columns=["run_id"], errors="ignore").to_parquet(d / f"{t}.parquet", index=False)
        pd.DataFrame([r.metrics]).to_parquet(d / "metrics.parquet", index=False)   # the headline metrics too
"""


def dump(tree: Path, out: Path, months, seeds, names) -> None:
    subprocess.run([sys.executable, "-c", DUMP, str(out), "-" if months is None else str(months),
                    ",".join(map(str, seeds)), ",".join(names)], cwd=tree, check=True,
                   env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"})


def compare(a: Path, b: Path, rtol: float = 0.0) -> list[str]:
    """Tables that differ: cell by cell, or, with ``rtol`` > 0, exactly in every non-float column and
    within ``rtol`` in float columns (for changes that only round differently in the last digit)."""
    problems = []
    for fa in sorted(a.rglob("*.parquet")):
        fb = b / fa.relative_to(a)
        if not fb.exists():
            continue
        x, y = pd.read_parquet(fa), pd.read_parquet(fb)
        try:
            if rtol > 0:
                pd.testing.assert_frame_equal(x, y, check_exact=False, rtol=rtol, atol=0.0)
                floats = x.select_dtypes("float").columns
                pd.testing.assert_frame_equal(x.drop(columns=floats), y.drop(columns=floats), check_exact=True)
            else:
                pd.testing.assert_frame_equal(x, y, check_exact=True)
        except AssertionError as e:
            problems.append(f"{fa.relative_to(a)}: {str(e).splitlines()[0:6]}")
    return problems


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", default="HEAD")
    ap.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    ap.add_argument("--scenarios", nargs="*")
    ap.add_argument("--months", type=int)
    ap.add_argument("--rtol", type=float, default=0.0,
                    help="compare float columns within this relative tolerance (non-float columns stay exact)")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    from sim.scenario import builtin_names
    names = args.scenarios or builtin_names()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_tree = tmp / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            dump(base_tree, tmp / "before", args.months, args.seeds, names)
            dump(ROOT, tmp / "after", args.months, args.seeds, names)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, check=False)
        problems = compare(tmp / "before", tmp / "after", args.rtol)
        n = len(list((tmp / "before").rglob("*.parquet")))
    if problems:
        print(f"{len(problems)} of {n} tables differ from {args.base}:")
        print("\n".join(problems[:20]))
        sys.exit(1)
    how = f"identical (floats within rtol {args.rtol:g})" if args.rtol else "identical"
    print(f"{how}: {n} tables, headline metrics included ({len(names)} scenarios x {len(args.seeds)} seeds) "
          f"against {args.base}")


if __name__ == "__main__":
    main()

"""results/README.md and experiments/regenerate.py: every committed result is listed with the
command that regenerates it, the README's table is the regenerate list, and the command runs
the list in order, resumably."""

from __future__ import annotations

import subprocess
import sys

import pytest

from experiments import regenerate
from experiments.regenerate import ROOT, STEPS, Step

NOT_ON_EVERY_BRANCH = {"patterns"}   # made by a branch merged separately


def test_every_file_under_results_is_covered_by_a_step():
    files = [p.relative_to(ROOT).as_posix() for p in (ROOT / "results").rglob("*") if p.is_file()]
    assert "results/README.md" in files
    uncovered = [f for f in files if regenerate.covering(f) is None]
    assert not uncovered, f"add these to experiments/regenerate.py STEPS, then --readme: {uncovered}"


def test_every_step_covers_files_that_exist():
    for step in STEPS:
        if step.name in NOT_ON_EVERY_BRANCH:
            continue
        for c in step.covers:
            path = ROOT / c
            assert (path.is_dir() and any(path.iterdir())) if c.endswith("/") else path.is_file(), (step.name, c)


def test_the_readme_table_is_the_regenerate_list_with_a_model_version_per_result():
    text = regenerate.README.read_text()
    assert regenerate.with_table(text) == text, "results/README.md's table differs: python -m experiments.regenerate --readme"
    stated = regenerate.versions(text)
    assert list(stated) == [s.name for s in STEPS]
    for s in STEPS:
        if s.commands and s.name not in NOT_ON_EVERY_BRANCH:
            assert stated[s.name][:1].isdigit(), f"{s.name}: no model version in results/README.md"


def test_every_command_names_a_script_module_or_experiment_that_exists():
    from experiments.spec import load_experiment
    for step in STEPS:
        if step.name in NOT_ON_EVERY_BRANCH:
            continue
        for command in step.commands:
            words = command.split()
            if words[:2] == ["python", "-m"]:
                assert (ROOT / (words[2].replace(".", "/") + ".py")).is_file(), command
            elif words[0] == "python":
                assert (ROOT / words[1]).is_file(), command
            elif words[:2] == ["tafelsim", "sweep"]:
                assert load_experiment(words[2]).name, command
            else:
                assert words[:2] == ["tafelsim", "report"], command


def test_the_default_run_leaves_out_the_benchmarks_and_the_notes():
    names = [s.name for s in regenerate.chosen(None, benchmarks=False)]
    assert names and not any(n.startswith("benchmark") for n in names) and "notes" not in names
    with_bench = [s.name for s in regenerate.chosen(None, benchmarks=True)]
    assert set(with_bench) - set(names) == {s.name for s in STEPS if s.benchmark}
    assert [s.name for s in STEPS if s.name in with_bench] == with_bench   # in the table's order


def _run(*args):
    return subprocess.run([sys.executable, "-m", "experiments.regenerate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_dry_run_prints_the_commands_in_order_and_runs_nothing():
    p = _run("--dry-run", "--fresh", "--only", "table-design", "--only", "calibration")
    assert p.returncode == 0, p.stderr
    td = next(s for s in STEPS if s.name == "table-design")
    assert p.stdout.splitlines() == ["[calibration] python -m experiments.calibration --seeds 10 --workers 2"] + [
        f"[table-design] rm -rf {d}" for d in td.clean] + [f"[table-design] {c}" for c in td.commands]
    assert all((ROOT / "results" / "table-design" / f).is_file() for f in ("report.html", "report.md"))


def test_an_unknown_step_is_refused_in_one_line_naming_the_steps():
    p = _run("--only", "nope")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "nope" in p.stderr and "calibration" in p.stderr


def test_a_step_written_by_hand_is_refused_rather_than_silently_skipped():
    p = _run("--only", "notes", "--dry-run")
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "notes: written by hand, nothing to run" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_a_run_resumes_after_the_last_finished_step_and_records_versions(tmp_path, monkeypatch, capsys):
    marks = tmp_path / "ran.txt"
    monkeypatch.setattr(regenerate, "ROOT", tmp_path)
    sweep = tmp_path / "out" / "sweep"

    def step(name, code, clean=()):
        return Step(name, (f"results/{name}.md",), (f"python -c \"{code}\"",), name, clean=clean)
    steps = (step("first", f"open({str(marks)!r}, 'a').write('first ')"),
             step("second", f"open({str(marks)!r}, 'a').write('second ')", clean=("out/sweep",)),
             step("broken", "raise SystemExit(3)"))
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{regenerate.BEGIN}\n{regenerate.END}\n")
    monkeypatch.setattr(regenerate, "STEPS", steps)
    monkeypatch.setattr(regenerate, "README", readme)
    monkeypatch.setattr(regenerate, "STATE", tmp_path / "done.json")
    monkeypatch.setattr(regenerate, "_stamp", lambda: {"model": "9.9.9", "commit": "abc"})
    sweep.mkdir(parents=True)
    assert regenerate.main([]) == 3                      # the broken step stops the run
    assert marks.read_text() == "first second "
    assert not sweep.exists()                            # started from scratch: its sweep directory removed
    assert regenerate.versions(readme.read_text()) == {"first": "9.9.9", "second": "9.9.9", "broken": "-"}
    sweep.mkdir(parents=True)
    assert regenerate.main([]) == 3                      # rerun: finished steps skipped, nothing removed
    assert marks.read_text() == "first second " and sweep.exists()
    assert "skipped" in capsys.readouterr().out
    assert regenerate.main(["--fresh", "--only", "second"]) == 0
    assert marks.read_text() == "first second second " and not sweep.exists()


def test_only_directories_inside_the_repository_are_removed(tmp_path):
    with pytest.raises(ValueError, match="not inside"):
        regenerate.remove("../outside")

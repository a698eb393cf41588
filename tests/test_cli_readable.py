"""What a newcomer reads: the run summary, --version, help texts and the listings."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from hostile import cli, process
from sim import formats
from sim.outputs import METRICS
from sim.params import PARAMETERS
from sim.scenario import builtin_names, load
from tafelsim.cli import app


def wide(args, columns=250):
    r = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": str(columns)})
    assert r.exit_code == 0, (r.stderr, r.exception)
    return r.stdout


def _figure(out, name):
    return int(re.search(rf"{name}\s+([\d,]+) homes", out).group(1).replace(",", ""))


def test_the_summary_names_the_period_and_explains_every_figure():
    # a large initial pipeline: more homes complete in a year than are agreed in it
    out = wide(["run", "gooi-vechtstreek-2024", "--seed", 1, "--months", 12, "--set", "pipeline.initial_homes=100"],
               columns=120)
    assert "period: January 2024 to December 2024 (12 months)" in out
    flat = " ".join(out.split())
    for m in METRICS.values():
        assert m.name in out
        assert " ".join(m.meaning.split()) in flat, m.name   # wrapped at spaces, never inside a word
    assert _figure(out, "homes_completed") > _figure(out, "homes_agreed")
    assert "initial pipeline" in out and "more homes were completed" in flat


def test_no_pipeline_note_when_agreements_cover_completions():
    out = wide(["run", "middenhuur-2017", "--seed", 1, "--months", 12])
    assert _figure(out, "homes_completed") <= _figure(out, "homes_agreed")
    assert "more homes were completed" not in " ".join(out.split())


def test_no_bare_nan_when_nothing_is_agreed():
    out = wide(["run", "middenhuur-2017", "--months", 1])
    assert not re.search(r"\bnan\b", out, re.IGNORECASE)
    assert "none agreed" in out and "none completed" in out and "nothing conceded" in out


def test_version():
    from sim import __version__
    seen = process(["--version"])
    assert seen.code == 0 and seen.out.strip() == f"tafelsim {__version__}"


@pytest.mark.parametrize("command", [[], ["run"], ["params"], ["validate"], ["scenarios"], ["formats"]])
def test_help_shows_real_metavars(command):
    out = wide([*command, "--help"], columns=100)
    assert "<bool>" not in out and "<list" not in out and "Traceback" not in out
    if command == ["run"]:
        for metavar in ("--seed N", "--months N", "--out DIR", "--format PRESET", "--set NAME=VALUE"):
            assert metavar in out


def test_params_has_a_header_and_aligned_columns():
    lines = wide(["params"]).splitlines()
    header = lines[0].split()
    assert header[:2] == ["parameter", "default"] and "meaning" in header
    value_at, allowed_at, meaning_at = (lines[0].index(h) for h in ("default", "allowed", "meaning"))
    rows = [line for line in lines[1:] if not line.startswith(" ")]   # the rest continue a wrapped meaning
    assert [row.split()[0] for row in rows] == list(PARAMETERS)
    for row, p in zip(rows, PARAMETERS.values()):
        assert row[value_at - 1] == " " and row[value_at] != " "
        assert row[allowed_at:].startswith(p.allowed())
        assert row[meaning_at:].startswith(p.doc[:20])


def test_params_on_a_narrow_terminal_keeps_every_word():
    out = wide(["params", "nederland"], columns=80)
    flat = " ".join(out.split())
    for p in PARAMETERS.values():
        assert " ".join(p.doc.split()) in flat
    assert max(len(line) for line in out.splitlines() if not line.startswith(("table.", "a list"))) <= 160


@pytest.mark.parametrize("columns", [60, 100, 200])
def test_scenarios_and_formats_wrap_instead_of_cutting_words(columns):
    flat = " ".join(wide(["scenarios"], columns).split())
    for name in builtin_names():
        assert " ".join(load(name).description.split()) in flat
    flat = " ".join(wide(["formats"], columns).split())
    for name in formats.preset_names():
        assert " ".join(formats.describe(name).split()) in flat


def test_validate_reports_what_it_checked(tmp_path):
    seen = cli(["validate", "nederland"])
    assert seen.code == 0 and "342 municipalities" in seen.out


GUARDED_SCRIPT = """
from sim.cli import guard
from sim.params import check

@guard()
def main():
    check("trust.gain", "lots", "my-script")

main()
"""


def test_guard_works_in_a_plain_script_too():
    """Other layers' scripts (not registered on the root) get the same exit 2 and message."""
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-c", GUARDED_SCRIPT], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: my-script: trust.gain: got 'lots'")

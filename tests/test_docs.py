"""docs/ODD.md and docs/scenarios.md say what the code does: the rules they state that the code can check.

A person reimplementing the model reads the ODD's output tables, headline metrics, parameters
and step order; a user picks scenarios and presets from docs/scenarios.md. Each test reads the
document as text and compares it with what a short run, the declarations or the files give.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim
from sim import formats, model
from sim.outputs import METRICS
from sim.params import markdown_table
from sim.scenario import builtin_names

DOCS = Path(__file__).resolve().parent.parent / "docs"
ODD = (DOCS / "ODD.md").read_text(encoding="utf-8")
SCENARIOS_MD = (DOCS / "scenarios.md").read_text(encoding="utf-8")
EVERY_ROW = ("run_id", "scenario", "seed")


def _section(text: str, heading: str) -> str:
    """The text under the first heading that starts with ``heading``, up to the next heading of its level or above."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    out = []
    for line in lines[start + 1:]:
        m = re.match(r"^(#+) ", line)
        if m and len(m.group(1)) <= level:
            break
        out.append(line)
    return "\n".join(out)


def _rows(text: str) -> list[list[str]]:
    """Cells of every Markdown table row in ``text`` (header rows included, separator rows not)."""
    out = []
    for line in text.splitlines():
        if line.startswith("|") and not re.match(r"^\|[\s|:-]+\|$", line):
            out.append([c.strip() for c in line.strip().strip("|").split("|")])
    return out


def _table(text: str, first_header: str) -> list[list[str]]:
    """The rows (header first) of the table in ``text`` whose header's first cell is ``first_header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines)
                 if line.startswith("|") and _rows(line) and _rows(line)[0][0] == first_header)
    block = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        block.append(line)
    return _rows("\n".join(block))


def _names(cell: str) -> list[str]:
    return re.findall(r"`([A-Za-z0-9_.\-]+)`", cell)


def _first_column_names(text: str) -> set[str]:
    return {n for row in _rows(text) for n in _names(row[0])}


# --- section 4: every output column --------------------------------------------------------
@pytest.fixture(scope="module")
def columns() -> dict[str, set[str]]:
    """Columns of every output table over a 12-month run of each built-in scenario."""
    out: dict[str, set[str]] = {}
    for name in builtin_names():
        for table, df in sim.run(name, seed=1, months=12).tables.items():
            out.setdefault(table, set()).update(df.columns)
    return out


def _output_sections() -> dict[str, str]:
    outputs = _section(ODD, "## 4. Outputs")
    parts = re.split(r"^### ", outputs, flags=re.M)
    found = {}
    for part in parts[1:]:
        m = re.match(r"4\.\w+ `(\w+)`", part)
        if m:
            found[m.group(1)] = part
    return found


def test_every_output_column_is_named_in_its_odd_section(columns):
    sections = _output_sections()
    preamble = _section(ODD, "## 4. Outputs").split("\n### ")[0]
    assert all(f"`{c}`" in preamble for c in EVERY_ROW), "section 4 must name run_id, scenario and seed"
    assert set(columns) <= set(sections), f"no ODD section 4.x for {set(columns) - set(sections)}"
    for table, cols in columns.items():
        named = _first_column_names(sections[table]) | set(EVERY_ROW)
        missing = sorted(cols - named)
        assert not missing, f"docs/ODD.md 4.x `{table}` does not name columns {missing}"


def test_every_column_the_odd_names_exists(columns):
    for table, text in _output_sections().items():
        assert table in columns, f"docs/ODD.md describes a table `{table}` that runs do not produce"
        extra = sorted(_first_column_names(text) - columns[table])
        assert not extra, f"docs/ODD.md 4.x `{table}` names columns the recorder does not write: {extra}"


# --- 4.8: headline metrics ------------------------------------------------------------------
def test_headline_metrics_table_names_exactly_the_declared_metrics():
    named = _first_column_names(_section(ODD, "### 4.8"))
    assert named == set(METRICS), (f"missing from 4.8: {sorted(set(METRICS) - named)}; "
                                   f"not declared in sim/outputs.py: {sorted(named - set(METRICS))}")


# --- section 5 and the step order -----------------------------------------------------------
def test_parameter_section_is_the_generated_table():
    table = "\n".join(line for line in _section(ODD, "## 5. Parameters").splitlines() if line.startswith("|"))
    assert table == markdown_table(), "regenerate section 5 of docs/ODD.md with `tafelsim params --markdown`"


def test_step_order_quotes_the_model_docstring():
    doc = model.__doc__
    end = "month's data are collected."
    steps = doc[doc.index("1. prices"):doc.index(end) + len(end)]

    def flat(s):
        return " ".join(s.split())

    assert flat(steps) in flat(_section(ODD, "### 1.3")), "docs/ODD.md 1.3 must quote the step order of sim/model.py"


# --- docs/scenarios.md and the tables of ODD 3.3 --------------------------------------------
def _scenario_table_names(text: str, first_header: str) -> set[str]:
    return {n for row in _table(text, first_header)[1:] for n in _names(row[0])}


def _preset_table(text: str) -> dict[str, dict[str, str]]:
    """The table whose header starts with 'switch': preset -> switch -> cell."""
    rows = _table(text, "switch")
    header = [_names(c)[0] for c in rows[0][1:]]
    table: dict[str, dict[str, str]] = {p: {} for p in header}
    for row in rows[1:]:
        if not _names(row[0]):
            continue  # a row that is not a switch (e.g. the presets' sources)
        assert len(row) == len(header) + 1, f"preset table row {row[0]} has {len(row)} cells"
        for preset, cell in zip(header, row[1:]):
            table[preset][_names(row[0])[0]] = cell
    return table


def _as_written(value) -> str | set[str]:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, frozenset):
        return set(value)
    return str(value)


def _check_preset_table(text: str, where: str) -> None:
    table = _preset_table(text)
    assert set(table) == set(formats.preset_names()), f"{where}: presets {sorted(table)} != files"
    for name in formats.preset_names():
        switches = {k[len("table."):]: v for k, v in formats.preset(name).items()}
        assert set(table[name]) == set(switches), f"{where}: `{name}` rows {sorted(table[name])} != {sorted(switches)}"
        for switch, value in switches.items():
            cell = table[name][switch]
            written = {x.strip() for x in cell.split(",")} if isinstance(value, frozenset) else cell
            assert written == _as_written(value), f"{where}: `{name}` {switch} is {value!r} in its file, {cell!r} here"


def test_scenarios_md_names_exactly_the_builtin_scenarios_and_presets():
    names = _scenario_table_names(SCENARIOS_MD, "name")
    assert names == set(builtin_names()), f"docs/scenarios.md scenarios {sorted(names)} != {builtin_names()}"
    _check_preset_table(SCENARIOS_MD, "docs/scenarios.md")
    # every name used anywhere (in backticks or in a command line) is a scenario or a preset
    known = set(builtin_names()) | set(formats.preset_names())
    used = set(re.findall(r"`([a-z0-9]+(?:-[a-z0-9]+)+)`", SCENARIOS_MD))
    used |= set(re.findall(r"tafelsim run ([\w-]+)", SCENARIOS_MD)) | set(re.findall(r"--format ([\w-]+)", SCENARIOS_MD))
    assert used <= known, f"docs/scenarios.md names unknown scenarios or presets: {sorted(used - known)}"


def test_odd_input_data_lists_the_builtin_scenarios_and_presets():
    data = _section(ODD, "### 3.3")
    assert _scenario_table_names(data, "scenario") == set(builtin_names())
    _check_preset_table(data, "docs/ODD.md 3.3")

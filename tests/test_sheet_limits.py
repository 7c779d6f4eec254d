"""Survey size limits: a sheet over a limit is refused, by name, before a reader allocates it.

The hostile files are made by hand (tests/_sheets.py) and stay small: a test that needed the
bomb's inflated bytes in memory would be the attack it guards against. Reading them without
the checks aborts the process, so the reads that would have crashed run in a child process
under a memory cap.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from _sheets import cell, header_rows, sheet_xml, write_xlsx

from safi_map.sheet_limits import SheetLimits, SheetTooLarge, check_spreadsheet
from safi_map.survey import read_survey

ROOT = Path(__file__).resolve().parents[1]
MEMORY_CAP = 3 * 2**30  # far above what a survey needs, far below what the attacks ask for


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def run_capped(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), LANG="C.UTF-8", LC_ALL="")
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, preexec_fn=_cap_memory)


def corner_cells_xlsx(path: Path) -> Path:
    """The attack of the issue: 1.5 KB, one cell at A1 and one at XFD1048576 (openpyxl)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"], ws["B1"], ws["A2"], ws["B2"] = "Nom", "Commune", "Asso des Alpes", "Gap"
    ws["XFD1048576"] = "x"
    wb.save(path)
    return path


# --------------------------------------------------------------------------------------------
# Issue 12, point 3: cells at A1 and XFD1048576
# --------------------------------------------------------------------------------------------


def test_corner_cells_are_refused_by_name_instead_of_aborting(tmp_path):
    path = corner_cells_xlsx(tmp_path / "coins.xlsx")
    assert path.stat().st_size < 8_000
    code = ("from safi_map.survey import read_survey\n"
            "try:\n"
            f"    read_survey({str(path)!r})\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, exc)\n")
    done = run_capped(["-c", code], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("SheetTooLarge coins.xlsx: "), done.stdout
    assert "1 048 576" in done.stdout and "max_rows" in done.stdout


def test_a_lying_dimension_does_not_hide_the_real_extent(tmp_path):
    rows = header_rows() + f'<row r="1048576">{cell("XFD1048576", "x")}</row>'
    path = write_xlsx(tmp_path / "menteur.xlsx", sheet_xml(rows, dimension="A1:B2"))
    # (check_spreadsheet, not read_survey: a regression must fail this test, not abort pytest)
    with pytest.raises(SheetTooLarge, match=r"menteur\.xlsx: .*row 1 048 576"):
        check_spreadsheet(path, SheetLimits())
    # without a dimension at all, and with positions left implicit (no r attributes)
    implicit = ("<row>" + "<c><v>1</v></c>" * 1_200 + "</row>")
    path = write_xlsx(tmp_path / "large.xlsx", sheet_xml(header_rows() + implicit, None))
    with pytest.raises(SheetTooLarge, match=r"large\.xlsx: .*column 1 001"):
        check_spreadsheet(path, SheetLimits())


def test_empty_styled_cells_far_away_are_not_data(tmp_path):
    # Spreadsheet programs write formatted empty cells; the reader skips them, so do the limits.
    rows = header_rows() + '<row r="900000"><c r="XFD900000" s="1"/></row>'
    path = write_xlsx(tmp_path / "mise-en-forme.xlsx", sheet_xml(rows, dimension=None))
    (table,) = read_survey(path)
    assert list(table.frame["name"]) == ["Asso des Alpes"]


def test_the_limits_follow_the_settings(tmp_path):
    rows = header_rows() + f'<row r="30">{cell("A30", "Asso 30")}{cell("B30", "Gap")}</row>'
    path = write_xlsx(tmp_path / "trente.xlsx", sheet_xml(rows, dimension=None))
    assert len(read_survey(path)[0]) == 2
    with pytest.raises(SheetTooLarge, match=r"trente\.xlsx: .*max_rows"):
        read_survey(path, limits=SheetLimits(max_rows=20))
    with pytest.raises(SheetTooLarge, match=r"max_cells"):
        read_survey(path, limits=SheetLimits(max_cells=40))


def test_build_reports_the_refused_file_and_reads_the_others(tmp_path):
    shutil.copytree(ROOT / "data", tmp_path / "data")
    corner_cells_xlsx(tmp_path / "data" / "surveys" / "2015-10-01-coins.xlsx")
    done = run_capped(["-m", "safi_map", "ingest"], tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    out = done.stdout + done.stderr
    assert "2015-10-01-coins.xlsx" in out and "max_rows" in out
    report = json.loads((tmp_path / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    refused = [f for f in report["files"] if f.get("file") == "2015-10-01-coins.xlsx"]
    assert refused and "max_rows" in refused[0]["error"]
    assert sum(1 for f in report["files"] if not f.get("error")) >= 7

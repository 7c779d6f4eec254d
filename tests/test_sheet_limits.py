"""Survey size limits: a sheet over a limit is refused, by name, before a reader allocates it.

The hostile files are made by hand (tests/_sheets.py) and stay small: a test that needed the
bomb's inflated bytes in memory would be the attack it guards against. Reading them without
the checks aborts the process, so the reads that would have crashed run in a child process
under a memory cap.
"""

from __future__ import annotations

import csv
import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from _sheets import (
    cell,
    header_rows,
    lie_about_sizes,
    ods_cell,
    ods_header_rows,
    repeated,
    sheet_xml,
    write_ods,
    write_xlsx,
)

from safi_map.core.errors import ConfigError, SurveyError
from safi_map.core.settings import load_settings
from safi_map.ingestion.readers import read_survey
from safi_map.ingestion.sheet_limits import SheetLimits, SheetTooLarge
from safi_map.ingestion.zip_scan import check_spreadsheet

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
    code = ("from safi_map.ingestion.readers import read_survey\n"
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


@pytest.mark.slow
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


# --------------------------------------------------------------------------------------------
# Issue 12, point 4: decompression bombs (XLSX, ODS) and huge CSV files
# --------------------------------------------------------------------------------------------


def test_a_declared_gigabyte_is_refused_before_inflating(tmp_path):
    # The 973 KB XLSX of the issue holds one 1 GB cell; its zip says so, which is enough.
    path = write_xlsx(tmp_path / "bombe.xlsx", sheet_xml(header_rows()))
    lie_about_sizes(path, "xl/sharedStrings.xml", 1_000_000_000)
    with pytest.raises(SheetTooLarge, match=r"bombe\.xlsx: .*1 000 MB .*max_megabytes"):
        check_spreadsheet(path, SheetLimits())


def test_a_member_larger_than_it_declares_is_counted_as_inflated(tmp_path):
    big = f'<row r="3">{cell("A3", "a" * 3_000_000)}</row>'
    path = write_xlsx(tmp_path / "menteuse.xlsx", sheet_xml(header_rows() + big, None))
    lie_about_sizes(path, "xl/worksheets/sheet1.xml", 1_000)
    # the zip reader stops at the declared size and the CRC check then fails
    with pytest.raises(SurveyError, match=r"menteuse\.xlsx: .*damaged"):
        check_spreadsheet(path, SheetLimits(max_megabytes=1))


def test_inflated_bytes_are_counted_while_streaming(tmp_path):
    row = b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>"
    head = (sheet_xml(header_rows(), None).split("</sheetData>")[0]).encode()
    chunks = [head, *repeated(row, 3_000), b"</sheetData></worksheet>"]
    path = write_xlsx(tmp_path / "gonfle.xlsx", chunks)
    assert path.stat().st_size < 100_000
    with pytest.raises(SheetTooLarge, match=r"gonfle\.xlsx: .*max_megabytes"):
        check_spreadsheet(path, SheetLimits(max_megabytes=2))
    check_spreadsheet(path, SheetLimits(max_megabytes=4))  # 3 MB: under a 4 MB limit


def test_millions_of_rows_are_refused_after_the_limit_not_at_the_end(tmp_path):
    head = (sheet_xml(header_rows(), None).split("</sheetData>")[0]).encode()
    row = b"<row><c><v>1</v></c></row>"
    path = write_xlsx(tmp_path / "lignes.xlsx",
                      [head, *repeated(row, 150_000), b"</sheetData></worksheet>"])
    with pytest.raises(SheetTooLarge, match=r"lignes\.xlsx: .*row 100 001.*max_rows"):
        check_spreadsheet(path, SheetLimits())


def test_a_long_cell_is_refused_with_its_length(tmp_path):
    path = write_xlsx(tmp_path / "long.xlsx",
                      sheet_xml(header_rows() + f'<row r="3">{cell("A3", "é" * 40_000)}</row>'))
    with pytest.raises(SheetTooLarge, match=r"long\.xlsx\[Enquête\]: .*40 000 characters"):
        read_survey(path)
    huge = f'<row r="3">{cell("A3", "a" * 200_000)}</row>'
    path = write_xlsx(tmp_path / "tres-long.xlsx", sheet_xml(header_rows() + huge))
    with pytest.raises(SheetTooLarge, match=r"more than 32 767 characters"):
        check_spreadsheet(path, SheetLimits())


def test_one_shared_string_copied_into_every_cell_is_counted_per_copy(tmp_path):
    shared = "<sst><si><t>" + "s" * 30_000 + "</t></si></sst>"
    refs = "".join(f'<row r="{r}"><c r="C{r}" t="s"><v>0</v></c></row>' for r in range(3, 10_003))
    path = write_xlsx(tmp_path / "partage.xlsx", sheet_xml(header_rows() + refs, None),
                      shared=shared)
    assert path.stat().st_size < 200_000
    with pytest.raises(SheetTooLarge, match=r"partage\.xlsx: .*max_megabytes"):
        check_spreadsheet(path, SheetLimits())


def test_xml_entities_are_refused(tmp_path):
    laughs = ('<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>')
    xml = sheet_xml(header_rows()).replace("<worksheet", laughs + "<worksheet", 1)
    path = write_xlsx(tmp_path / "entites.xlsx", xml)
    with pytest.raises(SurveyError, match=r"entites\.xlsx: .*DTD"):
        read_survey(path)


def test_ods_repeated_rows_and_cells_count_as_what_they_expand_to(tmp_path):
    repeated_rows = (f'<table:table-row table:number-rows-repeated="1000000">'
                     f"{ods_cell('x')}</table:table-row>")
    path = write_ods(tmp_path / "repete.ods", ods_header_rows() + repeated_rows)
    with pytest.raises(SheetTooLarge, match=r"repete\.ods: .*row 1 000 002.*max_rows"):
        check_spreadsheet(path, SheetLimits())
    wide = f"<table:table-row>{ods_cell('x', repeat=16_384)}</table:table-row>"
    path = write_ods(tmp_path / "large.ods", ods_header_rows() + wide)
    with pytest.raises(SheetTooLarge, match=r"large\.ods: .*column 16 384"):
        check_spreadsheet(path, SheetLimits())
    spaces = ('<table:table-row><table:table-cell office:value-type="string"><text:p>a'
              '<text:s text:c="1000000000"/></text:p></table:table-cell></table:table-row>')
    path = write_ods(tmp_path / "espaces.ods", ods_header_rows() + spaces)
    with pytest.raises(SheetTooLarge, match=r"espaces\.ods: .*max_cell_chars"):
        check_spreadsheet(path, SheetLimits())
    copies = (f'<table:table-row table:number-rows-repeated="5000">'
              f"{ods_cell('y' * 20_000, repeat=10)}</table:table-row>")
    path = write_ods(tmp_path / "copies.ods", ods_header_rows() + copies)
    with pytest.raises(SheetTooLarge, match=r"copies\.ods: .*max_megabytes"):
        check_spreadsheet(path, SheetLimits())


def test_ods_trailing_empty_repeats_are_not_data(tmp_path):
    # What LibreOffice writes after every table: a million empty rows of 1,024 empty cells.
    trailing = ('<table:table-row table:number-rows-repeated="1048574">'
                '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    path = write_ods(tmp_path / "libreoffice.ods", ods_header_rows() + trailing)
    (table,) = read_survey(path)
    assert list(table.frame["name"]) == ["Asso des Alpes"]


def test_csv_limits_are_checked_before_and_while_parsing(tmp_path):
    sparse = tmp_path / "enorme.csv"
    with sparse.open("wb") as fh:  # 300 MB on paper, nothing on disk
        fh.truncate(300_000_000)
    with pytest.raises(SheetTooLarge, match=r"enorme\.csv: .*300 MB.*max_megabytes"):
        read_survey(sparse)
    path = tmp_path / "gros.csv"
    path.write_text("Nom;Commune\n" + "Asso;Gap\n" * 200_000, encoding="utf-8")
    with pytest.raises(SheetTooLarge, match=r"gros\.csv: .*max_megabytes"):
        read_survey(path, limits=SheetLimits(max_megabytes=1))
    with pytest.raises(SheetTooLarge, match=r"gros\.csv: .*row 100 001.*max_rows"):
        read_survey(path)
    path = tmp_path / "long.csv"
    path.write_text("Nom;Commune\nAsso;" + "G" * 40_000 + "\n", encoding="utf-8")
    with pytest.raises(SheetTooLarge, match=r"long\.csv: .*more than 32 767 characters"):
        read_survey(path)
    path = tmp_path / "large.csv"
    path.write_text("Nom;Commune" + ";" * 2_000 + "\nAsso;Gap\n", encoding="utf-8")
    with pytest.raises(SheetTooLarge, match=r"large\.csv: .*column 2 002.*max_columns"):
        read_survey(path)
    assert csv.field_size_limit() == 131_072  # the parser's own limit is put back


def test_limits_are_settings(tmp_path):
    cfg = tmp_path / "safi-map.toml"
    cfg.write_text("[limits]\nmax_rows = 20\nmax_megabytes = 0.5\n", encoding="utf-8")
    limits = SheetLimits.from_settings(load_settings(cfg))
    assert limits == SheetLimits(max_rows=20, max_megabytes=0.5)
    for bad in ("max_rows = 0", "max_columns = 1.5", "max_cells = true", "max_cell_chars = 'x'"):
        cfg.write_text(f"[limits]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError, match=r"\[limits\]"):
            load_settings(cfg)


def _bomb_child(path: Path) -> subprocess.CompletedProcess[str]:
    code = ("import time, resource\n"
            "from safi_map.ingestion.readers import read_survey\n"
            "t = time.monotonic()\n"
            "try:\n"
            f"    read_survey({str(path)!r})\n"
            "except Exception as exc:\n"
            "    print(type(exc).__name__, exc)\n"
            "print('seconds', round(time.monotonic() - t, 2))\n"
            "print('peak_mb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)\n")
    return run_capped(["-c", code], path.parent)


@pytest.mark.slow
def test_the_issue_bombs_at_full_size(tmp_path):
    """The two bombs of the issue, at their real size: a 1 GB cell in a ~1 MB XLSX, and a sheet
    of 3 million rows (277 s and 5.7 GB before)."""
    head = (sheet_xml(header_rows(), None).split("</sheetData>")[0]).encode()
    gigabyte = [head, b'<row r="3"><c r="A3" t="inlineStr"><is><t>',
                *repeated(b"a" * 1_000_000, 1_000, batch=1), b"</t></is></c></row>",
                b"</sheetData></worksheet>"]
    path = write_xlsx(tmp_path / "gigaoctet.xlsx", gigabyte)
    assert path.stat().st_size < 2_000_000
    done = _bomb_child(path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("SheetTooLarge gigaoctet.xlsx: "), done.stdout
    seconds = float(done.stdout.split("seconds ")[1].split()[0])
    peak = int(done.stdout.split("peak_mb ")[1].split()[0])
    assert seconds < 20 and peak < 600, done.stdout

    row = b"<row><c><v>1</v></c><c><v>2</v></c></row>"
    path = write_xlsx(tmp_path / "millions.xlsx",
                      [head, *repeated(row, 3_000_000, batch=10_000), b"</sheetData></worksheet>"])
    done = _bomb_child(path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("SheetTooLarge millions.xlsx: "), done.stdout
    seconds = float(done.stdout.split("seconds ")[1].split()[0])
    peak = int(done.stdout.split("peak_mb ")[1].split()[0])
    assert seconds < 20 and peak < 600, done.stdout


def test_a_sheet_not_checked_before_reading_is_checked_before_its_cells_are_copied(tmp_path):
    # XLS files are not zips (check_spreadsheet lets them through): the reader's own extent is
    # checked before to_python copies the cells. The sheet is read here without that check.
    from safi_map.ingestion.spreadsheet_reader import open_workbook, sheet_rows

    rows = header_rows() + f'<row r="30">{cell("A30", "Asso 30")}{cell("B30", "Gap")}</row>'
    path = write_xlsx(tmp_path / "ancien.xlsx", sheet_xml(rows, dimension=None))
    workbook = open_workbook(path)
    with pytest.raises(SheetTooLarge, match=r"ancien\.xlsx\[Enquête\]: .*row 30.*max_rows"):
        sheet_rows(workbook, "Enquête", "ancien.xlsx[Enquête]", SheetLimits(max_rows=20))


def test_an_ods_whose_content_declares_a_gigabyte_is_refused(tmp_path):
    path = write_ods(tmp_path / "bombe.ods", ods_header_rows())
    lie_about_sizes(path, "content.xml", 1_000_000_000)
    with pytest.raises(SheetTooLarge, match=r"bombe\.ods: .*1 000 MB"):
        read_survey(path)

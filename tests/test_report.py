"""The report accounts for every row and names file, row and column."""

from __future__ import annotations

import json

from safi_map.ingestion.report import Report, RowRef


def test_issue_message_names_file_row_column_and_value():
    report = Report()
    issue = report.warning("postcode.leading_zero", "postcode lost its leading zero",
                           RowRef("etape.csv", 7), column="CP", value="6000")
    assert str(issue) == ("etape.csv:7, column 'CP': warning: postcode lost its leading zero "
                          "(value '6000')")
    sheet = report.error("name.missing", "name is required", RowRef("a.xlsx", 3, "Feuil1"), "Nom")
    assert str(sheet).startswith("a.xlsx[Feuil1]:3, column 'Nom': error")


def test_accounting_and_deterministic_dict():
    report = Report(rows_read=3)
    report.published["b.csv:2"] = "x-83137"
    report.merged["a.csv:2"] = "x-83137"
    assert not report.accounted_for()
    report.reject(RowRef("a.csv", 3), "name is required")
    assert report.accounted_for()
    report.warning("w", "second", RowRef("b.csv", 2))
    report.warning("w", "first", RowRef("a.csv", 9))
    d = report.to_dict()
    assert [i["file"] for i in d["issues"]] == ["a.csv", "b.csv"]
    assert d["summary"]["actors"] == 1 and d["summary"]["rejected_rows"] == 1
    assert json.dumps(d, sort_keys=True) == json.dumps(report.to_dict(), sort_keys=True)


def test_double_counted_row_is_not_accounted_for():
    report = Report(rows_read=1)
    report.published["a.csv:2"] = "x"
    report.rejected["a.csv:2"] = "dup"
    assert not report.accounted_for()

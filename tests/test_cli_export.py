"""`safi-map export` from the command line: selection options, formats, usage errors."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("export")
    shutil.copytree(ROOT / "data", root / "data")
    return root


def run(project: Path, *args: str):
    old = os.getcwd()
    os.chdir(project)
    try:
        return CliRunner().invoke(cli, ["export", *args], catch_exceptions=False)
    finally:
        os.chdir(old)


def test_export_ingests_when_needed_then_reads_actors_gpkg(project):
    first = run(project, "--format", "geojson", "--department", "83", "-o", "var.geojson")
    assert first.exit_code == 0, first.output
    assert "lecture des enquêtes d'abord" in first.output
    data = json.loads((project / "var.geojson").read_text(encoding="utf-8"))
    assert data["features"] and {f["properties"]["department"] for f in data["features"]} == {"83"}
    second = run(project, "-o", "var2.geojson", "--department", "83")
    assert "lecture des enquêtes" not in second.output
    assert (project / "var2.geojson").read_bytes() == (project / "var.geojson").read_bytes()


def test_selection_options_combine(project):
    result = run(project, "--format", "csv", "--stop", "toulon", "--theme", "insertion",
                 "-o", "t.csv")
    assert result.exit_code == 0, result.output
    assert "étape de Toulon" in result.output
    n = int(result.output.split(" acteurs exportés")[0].split()[-1])
    everything = run(project, "--format", "csv", "--stop", "toulon", "-o", "all.csv")
    m = int(everything.output.split(" acteurs exportés")[0].split()[-1])
    assert 0 < n < m


def test_excel_csv_and_html(project):
    assert run(project, "--format", "csv", "--excel", "-o", "x.csv").exit_code == 0
    assert (project / "x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert run(project, "--format", "html", "--commune", "Toulon", "-o", "t.html").exit_code == 0
    html = (project / "t.html").read_text(encoding="utf-8")
    assert "<script src=\"http" not in html and "Toulon" in html


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--commune", "Tulon", "-o", "a.csv"], "Vouliez-vous dire 'Toulon'"),
     (["--around", "Toulon", "-o", "a.csv"], "radius"),
     (["-o", "a.unknown"], "format"),
     (["--format", "pdf"], "Option manquante")],
)
def test_usage_errors(project, args, fragment):
    result = run(project, *args)
    assert result.exit_code == 2
    assert fragment in result.output

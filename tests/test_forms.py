"""Real survey exports of form tools (fixtures in tests/data/forms, made by make.py there):
every actor read with exactly the themes, needs and offers chosen and its consent; the tools'
own columns never read; rows that are not actors rejected with their reason; unread columns
named with the safi-map.toml lines that map them."""

from __future__ import annotations

import os
import shutil
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.ingestion.columncheck import check_columns
from safi_map.ingestion.readers import read_survey
from safi_map.ingestion.report import Report
from safi_map.ingestion.validate import validate_table
from safi_map.model.taxonomy import load_taxonomy
from safi_map.model.tour import Tour

DATA = Path(__file__).resolve().parent / "data" / "forms"
TAXONOMY = load_taxonomy()


def ingest(name: str, aliases: dict[str, str] | None = None) -> tuple[list[Any], Any, Report]:
    tables = read_survey(DATA / name, aliases=aliases)
    assert len(tables) == 1
    report = Report()
    rows = validate_table(tables[0], taxonomy=TAXONOMY, tour=Tour(()), report=report)
    return tables, rows, report


def by_name(rows: Any) -> dict[str, tuple[list[str], list[str], list[str], bool]]:
    return {r["name"]: (r["themes"], r["needs"], r["offers"], bool(r["contact_consent"]))
            for r in rows.to_dict("records")}


EXPECTED = {
    "google-forms.csv": ("google-forms", {
        "Les Jardins du Faron": (["alimentation", "citoyennete"], ["locaux", "benevoles"],
                                 ["materiel"], True),
        "Ressourcerie du Var": (["economie-circulaire"], ["financement"],
                                ["materiel", "competences"], False),
        "Toulon Numérique Solidaire": (["numerique", "education"], ["benevoles", "visibilite"],
                                       ["formation"], True),
        "Compagnie Mistral": (["culture"], ["locaux"], ["competences", "visibilite"], True),
        "Épicerie solidaire La Cagette": (["solidarite", "alimentation"], ["benevoles"],
                                          ["locaux"], True),
    }),
    "google-forms-en.csv": ("google-forms", {
        "Green Wheels": (["mobilite", "environnement"], ["financement", "benevoles"],
                         ["materiel"], True),
        "Food For All": (["alimentation", "solidarite"], ["locaux"], ["formation", "competences"],
                         False),
    }),
    "microsoft-forms.xlsx": ("microsoft-forms", {
        "Vélo Solidaire Nice": (["mobilite", "insertion"], ["locaux", "financement"],
                                ["competences"], True),
        "Maison des Solidarités Niçoises": (["solidarite", "sante"], ["benevoles"],
                                            ["locaux", "partenariats"], False),
        "Théâtre de la Cité": (["culture", "education"], ["visibilite"],
                               ["materiel", "formation"], True),
    }),
    "limesurvey.csv": ("limesurvey", {
        "Les Petits Débrouillards Avignon": (["culture", "education"], ["locaux"], ["formation"],
                                             True),
        "Recyclerie d'Apt": (["economie-circulaire"], ["financement", "benevoles"], ["materiel"],
                             False),
        "Radio Grenouille": (["culture"], [], ["competences"], True),  # "Autre": musique
        "Collectif Jardins Carpentras": (["autre"], ["benevoles"], [], False),
    }),
    "kobotoolbox.xlsx": ("kobotoolbox", {
        "Cinéma Le Cigalon": (["culture"], ["benevoles"], ["materiel"], True),
        "Maison de Santé de Gap": (["sante", "citoyennete"], ["locaux"], [], False),
        "Point Info Droits Digne": (["citoyennete"], [], ["competences"], True),
    }),
    "framaforms.csv": ("framaforms", {
        "Foot Solidaire Marseille": (["citoyennete", "sport"], ["locaux"], [], True),
        "Ligue des Droits Arles": (["citoyennete"], ["benevoles", "financement"], [], False),
        "Atelier Théâtre Aubagne": (["culture"], [], [], True),
    }),
    "accord.ods": ("", {
        "Les Amis du Rail": (["mobilite"], ["financement"], ["benevoles"], True),
        "AMAP du Champsaur": (["alimentation", "environnement"], ["locaux"], [], False),
        "Cyber Base Briançon": (["numerique"], [], ["formation"], True),
    }),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_actor_with_what_it_chose(name: str) -> None:
    tool, expected = EXPECTED[name]
    tables, rows, report = ingest(name)
    assert tables[0].tool == tool
    assert by_name(rows) == expected
    assert not report.rejected
    assert not [i for i in report.issues if i.code in ("themes.unknown", "consent.unknown")], \
        [str(i) for i in report.issues]


@pytest.mark.parametrize(
    ("name", "date"),
    [("google-forms.csv", "2026-11-28"), ("google-forms-en.csv", "2026-11-28"),
     ("microsoft-forms.xlsx", "2026-11-28"), ("limesurvey.csv", "2026-11-29"),
     ("kobotoolbox.xlsx", "2026-11-30"), ("framaforms.csv", "2026-12-01")],
)
def test_submission_time_is_the_survey_date(name: str, date: str) -> None:
    _, rows, report = ingest(name)
    assert set(rows["survey_date"]) == {date}
    assert not [i for i in report.issues if i.code.startswith("date.")]


@pytest.mark.parametrize(
    ("name", "private"),
    [("google-forms.csv", ["Adresse e-mail"]), ("google-forms-en.csv", ["Email Address"]),
     ("microsoft-forms.xlsx", ["Adresse de messagerie", "Nom"]),
     ("framaforms.csv", ["Soumis par"]), ("kobotoolbox.xlsx", ["_submitted_by"])],
)
def test_tool_columns_never_read_nor_kept(name: str, private: list[str]) -> None:
    tables, rows, _ = ingest(name)
    table = tables[0]
    assert [h for h, kind in table.metadata.items() if kind == "respondent"] == private
    for header in table.metadata:
        assert header not in table.extras.columns
        assert header not in table.columns.values()
    kept = " ".join(str(v) for r in rows.to_dict("records") for v in r.values())
    for secret in ("marie.dupont@gmail.com", "someone@gmail.com", "anonymous", "Anonyme",
                   "enqueteur1", "192.168.0.1", "uuid-1"):
        assert secret not in kept


def test_microsoft_forms_respondent_name_is_not_the_structure() -> None:
    tables, rows, _ = ingest("microsoft-forms.xlsx")
    assert tables[0].columns["name"] == "Nom de la structure"
    assert len(rows) == 3


def test_kobotoolbox_joined_answer_read_through_its_options() -> None:
    tables, _, _ = ingest("kobotoolbox.xlsx")
    check = check_columns(tables[0], TAXONOMY)
    assert check.covered == ["Domaines d'action", "Besoins", "Ressources à partager"]
    assert {"header": "Domaines d'action/Santé et handicap", "field": "themes",
            "option": "Santé et handicap"} in check.found
    assert check.missing == [] and check.unread == []


def test_framaforms_option_row_under_the_questions() -> None:
    tables, rows, _ = ingest("framaforms.csv")
    table = tables[0]
    assert table.header_row == 2
    assert rows["_row"].tolist() == [4, 5, 6]
    assert list(table.options["needs"].values()) == ["Des locaux", "Des bénévoles",
                                                     "Du financement"]
    check = check_columns(table, TAXONOMY)
    assert check.missing == ["offers"]
    assert check.tool == "framaforms"


def test_totals_repeated_header_and_counts_rejected_with_reasons() -> None:
    _, rows, report = ingest("excel-totals.xlsx")
    assert sorted(rows["name"]) == ["Cinéma Le Lido", "Les Restos du Coeur 04",
                                    "Recyclerie de Forcalquier"]
    codes = {i.row: i.code for i in report.errors}
    assert codes == {4: "row.total", 5: "row.header", 8: "row.total", 9: "row.total",
                     10: "row.count"}
    assert set(report.rejected) == {f"excel-totals.xlsx[Étape Manosque]:{n}"
                                    for n in (4, 5, 8, 9, 10)}
    assert "total" in report.rejected["excel-totals.xlsx[Étape Manosque]:8"]


def test_last_line_cut_inside_quotes_rejected() -> None:
    tables, rows, report = ingest("en-cours.csv")
    assert tables[0].truncated_row == 4
    assert rows["name"].tolist() == ["Asso Une", "Asso Deux"]
    assert report.rejected.keys() == {"en-cours.csv:4"}
    assert [i.code for i in report.errors] == ["row.truncated"]


def test_unread_columns_named_with_their_toml_lines() -> None:
    tables, _, _ = ingest("unread.csv")
    check = check_columns(tables[0], TAXONOMY)
    assert check.missing == ["themes", "needs", "offers", "contact_consent", "commune"]
    assert check.unread == [
        {"header": "Lieu", "looks_like": "commune"},
        {"header": "Vous intervenez plutôt dans", "looks_like": "themes"},
        {"header": "Publication", "looks_like": "contact_consent"},
        {"header": "Remarques", "looks_like": ""},
    ]
    assert check.toml == ['"Lieu" = "commune"', '"Vous intervenez plutôt dans" = "themes"',
                          '"Publication" = "contact_consent"']
    # the suggested lines, pasted into safi-map.toml, read the columns
    aliases = tomllib.loads("[columns]\n" + "\n".join(check.toml))["columns"]
    tables, rows, _ = ingest("unread.csv", aliases)
    assert by_name(rows) == {"Asso Lieu Un": (["culture"], [], [], True),
                             "Asso Lieu Deux": (["sport"], [], [], False)}
    assert check_columns(tables[0], TAXONOMY).missing == ["needs", "offers"]


def _run(args: list[str], cwd: Path) -> Any:
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.mark.slow
def test_cli_tells_what_was_not_read_and_strict_fails(tmp_path: Path) -> None:
    for name in ("unread.csv", "google-forms.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    result = _run(["ingest", "unread.csv", "google-forms.csv"], tmp_path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert '"Lieu" = "commune"' in out
    assert '"Vous intervenez plutôt dans" = "themes"' in out
    assert "« Remarques »" in out and "« Adresse e-mail »" in out
    assert "marie.dupont@gmail.com" not in out
    strict = _run(["ingest", "--strict", "unread.csv"], tmp_path)
    assert strict.exit_code == 1
    assert _run(["ingest", "--strict", "google-forms.csv"], tmp_path).exit_code == 0
    quiet = _run(["-q", "ingest", "--strict", "unread.csv"], tmp_path)  # -q: still says why
    assert quiet.exit_code == 1
    assert "--strict" in quiet.output and "unread.csv" in quiet.output



def test_tabular_geocoder_keeps_the_tool_columns(tmp_path: Path) -> None:
    from safi_map.core.settings import load_settings
    from safi_map.ingestion.pipeline import geocode_file

    settings = load_settings(None).with_(out=tmp_path / "build")
    table, _ = geocode_file(DATA / "google-forms.csv", tmp_path / "out.csv", settings=settings,
                            online=False)
    assert table["Adresse e-mail"].tolist()[0] == "marie.dupont@gmail.com"
    assert table["Nom de votre structure"].tolist()[0] == "Les Jardins du Faron"
    assert set(table["geocode_precision"]) == {"municipality"}

"""validate_table: exact row records and exact report issues (file, row, column, value)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from safi_map.ingestion.report import Report
from safi_map.ingestion.validate import ROW_COLUMNS, validate_table
from safi_map.model.taxonomy import load_taxonomy
from safi_map.model.tour import Stop, Tour

HEADERS = {
    "name": "Nom de la structure", "legal_form": "Statut", "themes": "Thématique(s)",
    "description": "Présentation", "address": "Adresse", "postcode": "Code Postal",
    "commune": "Ville", "latitude": "Lat", "longitude": "Lng", "website": "Site web",
    "email": "Courriel", "phone": "Tél", "needs": "Besoins", "offers": "Ressources",
    "stop": "Étape", "contact_consent": "Accord de publication", "siret": "SIRET",
    "survey_date": "Date", "opening_hours": "Horaires",
}


@dataclass
class Table:
    """Stand-in for survey.SurveyTable with the attributes validate_table relies on."""

    frame: pd.DataFrame
    extras: pd.DataFrame
    columns: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)
    file: str = ""
    sheet: str = ""
    path: Path | None = None


def make_table(rows: list[dict[str, str]], *, file: str = "etape.csv", sheet: str = "",
               extras: list[dict[str, str]] | None = None, path: Path | None = None,
               first_row: int = 2) -> Table:
    fields = [f for f in HEADERS if any(f in r for r in rows)]
    frame = pd.DataFrame([{f: r.get(f, "") for f in fields} for r in rows],
                         columns=fields, dtype=object)
    frame["_file"] = file
    frame["_sheet"] = sheet
    frame["_row"] = list(range(first_row, first_row + len(rows)))
    extras_frame = pd.DataFrame(extras or [{} for _ in rows], index=frame.index, dtype=object)
    return Table(frame, extras_frame.fillna(""), {f: HEADERS[f] for f in fields},
                 list(extras_frame.columns), file, sheet, path)


@pytest.fixture(scope="module")
def taxonomy():
    return load_taxonomy()


@pytest.fixture
def tour() -> Tour:
    return Tour((Stop("toulon", "Toulon", "", dt.date(2015, 9, 28)),
                 Stop("nice", "Nice", "", dt.date(2015, 10, 5))))


def issues_of(report: Report) -> list[tuple]:
    return [(i.level, i.code, i.file, i.sheet, i.row, i.column, i.value) for i in report.issues]


FULL_ROW = {
    "name": "  LES JARDINS DU CŒUR ",
    "legal_form": "Asso loi 1901",
    "themes": "Insertion, Sport et loisirs",
    "description": "Jardins   partagés",
    "address": "12 rue de la Paix",
    "postcode": "6000",
    "commune": "Nice",
    "latitude": "43,70",
    "longitude": "7,26",
    "website": "www.Jardins.FR",
    "email": "Contact@Jardins.FR",
    "phone": "+33 4 94 12 34 56",
    "needs": "un local et des bénévoles",
    "offers": "Matériel",
    "stop": "Nice",
    "contact_consent": "oui",
    "siret": "732 829 320 00074",
    "survey_date": "05/10/2015",
    "opening_hours": "lun-ven 9h-12h et 14h-17h",
}


def test_full_row_exact_record_and_issues(taxonomy, tour):
    table = make_table([FULL_ROW], extras=[{"Remarque": "à rappeler", "Vide": ""}])
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert list(records.columns) == list(ROW_COLUMNS)
    assert records.to_dict("records") == [{
        "name": "Les Jardins du Cœur",
        "legal_form": "association",
        "themes": ["insertion", "sport"],
        "description": "Jardins partagés",
        "address": "12 rue de la Paix",
        "postcode": "06000",
        "commune_input": "Nice",
        "latitude": 43.70,
        "longitude": 7.26,
        "website": "https://www.jardins.fr",
        "email": "Contact@jardins.fr",
        "phone": "04 94 12 34 56",
        "needs": ["locaux", "benevoles", "un local et des bénévoles"],
        "offers": ["materiel"],
        "stops": ["nice"],
        "contact_consent": True,
        "siret": "73282932000074",
        "survey_date": "2015-10-05",
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-17:00",
        "source": "etape.csv:2",
        "_file": "etape.csv",
        "_sheet": "",
        "_row": 2,
        "extras": {"Remarque": "à rappeler"},
    }]
    assert issues_of(report) == [
        ("warning", "postcode.leading_zero", "etape.csv", "", 2, "Code Postal", "6000"),
        ("warning", "url.scheme_added", "etape.csv", "", 2, "Site web", "www.Jardins.FR"),
    ]
    assert report.rejected == {}


def test_unparsable_opening_hours_kept_as_text_with_a_warning_naming_row_and_column(
        taxonomy, tour):
    rows = [{"name": "A", "opening_hours": "le matin, selon la saison"},
            {"name": "B", "opening_hours": "le mardi de 14h à 18h"},
            {"name": "C", "opening_hours": ""}]
    report = Report()
    records = validate_table(make_table(rows), taxonomy=taxonomy, tour=tour, report=report)
    assert list(records["opening_hours"]) == ["le matin, selon la saison", "Tu 14:00-18:00", ""]
    assert [(i.code, i.file, i.row, i.column, i.value) for i in report.issues] == [
        ("opening_hours.unparsed", "etape.csv", 2, "Horaires", "le matin, selon la saison")]
    assert "matin, selon la saison" in report.issues[0].message


HIDDEN = "(hidden: no consent to publish contact details)"


def test_messy_row_issues_name_file_row_column_and_value(taxonomy, tour):
    table = make_table(
        [
            {"name": "Ok", "themes": "Sport"},
            {"name": "Café", "legal_form": "truc", "themes": "blabla; culture",
             "commune": "83000 Toulon", "latitude": "5.93", "longitude": "43.12",
             "website": "javascript:alert(1)", "email": "a@b", "phone": "12",
             "contact_consent": "peut-être", "siret": "123", "survey_date": "hier",
             "stop": "Hyères"},
        ],
        file="enquete.xlsx", sheet="Feuil1", first_row=5,
    )
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    row = records.iloc[1]
    assert row["legal_form"] == "autre"
    assert row["themes"] == ["autre", "culture"]
    assert (row["postcode"], row["commune_input"]) == ("83000", "Toulon")
    assert (row["latitude"], row["longitude"]) == (43.12, 5.93)
    assert (row["website"], row["email"], row["phone"], row["siret"]) == ("", "", "", "")
    assert not row["contact_consent"]
    assert row["survey_date"] == ""
    assert row["stops"] == []
    assert row["source"] == "enquete.xlsx[Feuil1]:6"
    f, s = "enquete.xlsx", "Feuil1"
    assert sorted(issues_of(report)) == sorted([
        ("warning", "legal_form.unknown", f, s, 6, "Statut", "truc"),
        ("warning", "themes.unknown", f, s, 6, "Thématique(s)", "blabla; culture"),
        ("warning", "coordinates.swapped", f, s, 6, "Lat / Lng", "5.93, 43.12"),
        ("warning", "url.unsafe", f, s, 6, "Site web", "javascript:alert(1)"),
        # no consent ("peut-être" is not a yes): the report does not keep the contact values
        ("warning", "email.invalid", f, s, 6, "Courriel", HIDDEN),
        ("warning", "phone.invalid", f, s, 6, "Tél", HIDDEN),
        ("warning", "consent.unknown", f, s, 6, "Accord de publication", "peut-être"),
        ("warning", "siret.invalid", f, s, 6, "SIRET", "123"),
        ("warning", "date.invalid", f, s, 6, "Date", "hier"),
        ("warning", "stop.unknown", f, s, 6, "Étape", "Hyères"),
    ])


def test_missing_name_rejects_the_row_with_an_error(taxonomy, tour):
    table = make_table([{"name": "A", "commune": "Nice"}, {"name": "  ", "commune": "Toulon",
                                                          "phone": "12"}])
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert list(records.index) == [0]
    assert report.rejected == {"etape.csv:3": "name is empty (column 'Nom de la structure')"}
    errors = [(i.code, i.row, i.column) for i in report.errors]
    assert errors == [("name.missing", 3, "Nom de la structure")]
    # A rejected row gets no cell warnings: its one line says why it is not published.
    assert [i for i in report.warnings if i.row == 3] == []


def test_junk_only_row_is_rejected_as_empty(taxonomy, tour):
    table = make_table([{"name": "-", "commune": "?", "phone": "..."}, {"name": "Vrai"}],
                       extras=[{"Note": "--"}, {"Note": ""}])
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert records["name"].tolist() == ["Vrai"]
    assert report.rejected == {
        "etape.csv:2": "row holds no usable data (only blanks or punctuation)"}
    assert [(i.level, i.code, i.row) for i in report.errors] == [("error", "row.empty", 2)]


def test_no_name_column_rejects_every_row(taxonomy, tour):
    table = make_table([{"commune": "Nice"}, {"commune": "Toulon"}])
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert records.empty and list(records.columns) == list(ROW_COLUMNS)
    assert set(report.rejected.values()) == {"no column holds the name of the structure"}
    assert [(i.code, i.row, i.column) for i in report.errors] == [
        ("name.missing", 2, None), ("name.missing", 3, None)]


def test_name_in_another_script_is_kept(taxonomy, tour):
    records = validate_table(make_table([{"name": "جمعية"}]), taxonomy=taxonomy, tour=tour,
                             report=Report())
    assert records["name"].tolist() == ["جمعية"]


def test_empty_themes_become_autre_with_warning(taxonomy, tour):
    report = Report()
    records = validate_table(make_table([{"name": "A", "themes": ""}]), taxonomy=taxonomy,
                             tour=tour, report=report)
    assert records["themes"].tolist() == [["autre"]]
    assert [(i.code, i.column) for i in report.issues] == [("themes.missing", "Thématique(s)")]


def test_columns_absent_from_the_file_give_empty_values(taxonomy, tour):
    records = validate_table(make_table([{"name": "Seul"}]), taxonomy=taxonomy, tour=tour,
                             report=Report())
    rec = records.iloc[0]
    assert rec["legal_form"] == "" and rec["postcode"] == "" and rec["commune_input"] == ""
    assert math.isnan(rec["latitude"]) and math.isnan(rec["longitude"])
    assert rec["needs"] == [] and rec["offers"] == [] and rec["stops"] == []
    assert not rec["contact_consent"]
    assert rec["extras"] == {}
    assert records["latitude"].dtype == float and records["contact_consent"].dtype == bool


def test_postcode_comes_from_commune_cell_then_address(taxonomy, tour):
    table = make_table([
        {"name": "A", "postcode": "", "commune": "Toulon (83000)"},
        {"name": "B", "postcode": "83200", "commune": "83000 Toulon"},
        {"name": "C", "address": "3 place de la Mairie, 84000 Avignon"},
        {"name": "D", "postcode": "abc", "commune": "13008 Marseille"},
    ])
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert records[["postcode", "commune_input"]].values.tolist() == [
        ["83000", "Toulon"], ["83200", "Toulon"], ["84000", "Avignon"], ["13008", "Marseille"]]
    assert [(i.code, i.row, i.column) for i in report.issues] == [
        ("postcode.invalid", 5, "Code Postal")]


def test_coordinates_outside_france_are_dropped_row_kept(taxonomy, tour):
    table = make_table([
        {"name": "A", "latitude": "40.7", "longitude": "-74.0", "commune": "Toulon"},
        {"name": "B", "latitude": "48.85", "longitude": "2.35"},
        {"name": "C", "latitude": "43,1", "longitude": ""},
        {"name": "D", "latitude": "abc", "longitude": "5.9"},
    ])
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert len(records) == 4
    assert math.isnan(records.iloc[0]["latitude"])
    assert (records.iloc[1]["latitude"], records.iloc[1]["longitude"]) == (48.85, 2.35)
    assert math.isnan(records.iloc[2]["latitude"]) and math.isnan(records.iloc[3]["longitude"])
    assert [(i.code, i.row, i.column) for i in report.issues] == [
        ("coordinates.outside_france", 2, "Lat / Lng"),
        ("coordinates.outside_paca", 3, "Lat / Lng"),
        ("coordinates.incomplete", 4, "Lat / Lng"),
        ("coordinates.invalid", 5, "Lat"),
    ]


# --- stops --------------------------------------------------------------------------------------


def test_stop_from_column_then_file_name(taxonomy, tour):
    table = make_table(
        [{"name": "A", "stop": "Nice"}, {"name": "B", "stop": ""},
         {"name": "C", "stop": "Toulon; Nice"}, {"name": "D", "stop": "Ailleurs"},
         {"name": "E", "stop": "Toulon 28/09/2015"}],
        file="2015-09-28-toulon.csv",
    )
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert records["stops"].tolist() == [["nice"], ["toulon"], ["toulon", "nice"], ["toulon"],
                                         ["toulon"]]
    assert [(i.code, i.row, i.column, i.value) for i in report.issues] == [
        ("stop.unknown", 5, "Étape", "Ailleurs")]


def test_config_binding_wins_and_conflicts_are_reported(taxonomy, tmp_path):
    survey = tmp_path / "enquete.csv"
    tour = Tour((Stop("toulon", "Toulon", "", dt.date(2015, 9, 28), surveys=[survey]),
                 Stop("nice", "Nice", "", dt.date(2015, 10, 5))))
    table = make_table([{"name": "A", "stop": "Nice"}, {"name": "B", "stop": ""}],
                       file="enquete.csv", path=survey)
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert records["stops"].tolist() == [["toulon"], ["toulon"]]
    assert [(i.code, i.row, i.column) for i in report.issues] == [("stop.conflict", 2, "Étape")]


def test_no_tour_means_no_stops(taxonomy):
    records = validate_table(make_table([{"name": "A", "stop": "Toulon"}]), taxonomy=taxonomy,
                             tour=Tour(stops=[]), report=Report())
    assert records["stops"].tolist() == [[]]


# --- bookkeeping --------------------------------------------------------------------------------


def test_duplicate_rows_are_kept_for_the_merge(taxonomy, tour):
    table = make_table([{"name": "A", "commune": "Nice"}] * 3)
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=Report())
    assert records["source"].tolist() == ["etape.csv:2", "etape.csv:3", "etape.csv:4"]


def test_index_is_preserved_and_every_row_accounted_for(taxonomy, tour):
    table = make_table([{"name": "A"}, {"name": ""}, {"name": "C"}])
    table.frame.index = [10, 11, 12]
    table.extras.index = [10, 11, 12]
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert list(records.index) == [10, 12]
    assert set(records["source"]) | set(report.rejected) == {
        "etape.csv:2", "etape.csv:3", "etape.csv:4"}


def test_real_reader_output(taxonomy, tour, tmp_path):
    from safi_map.ingestion.readers import read_survey

    path = tmp_path / "etape-nice.csv"
    path.write_text(
        "Nom;Code postal;Ville;Téléphone;Consentement;Divers\n"
        "Asso A;6000;Nice;0494123456;oui;x\n"
        ";;;;;\n"
        ";06300;Nice;;;\n",
        encoding="utf-8",
    )
    table = read_survey(path)[0]
    report = Report()
    records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
    assert records[["name", "postcode", "commune_input", "phone", "contact_consent"]].values.tolist() \
        == [["Asso A", "06000", "Nice", "04 94 12 34 56", True]]
    assert records["stops"].tolist() == [["nice"]]
    assert records["extras"].tolist() == [{"Divers": "x"}]
    assert list(report.rejected) == ["etape-nice.csv:4"]
    assert [(i.code, i.row, i.column) for i in report.issues] == [
        ("name.missing", 4, "Nom"), ("postcode.leading_zero", 2, "Code postal")]


# ------------------------------------------------------------ rows that are not actors (issue 11)


def test_totals_counts_and_repeated_headers_rejected(taxonomy) -> None:
    rows = [
        {"name": "Asso A", "commune": "Gap", "themes": "Culture"},
        {"name": HEADERS["name"], "commune": HEADERS["commune"], "themes": HEADERS["themes"]},
        {"name": "TOTAL : 6 structures"},
        {"name": "Sous-total", "commune": "3"},
        {"name": "Nb de structures : 4"},
        {"name": "", "commune": "12"},
        {"name": "6 structures"},
        # actors whose name starts like a total, or is a number, are kept
        {"name": "Total Énergie Solidaire", "commune": "Gap"},
        {"name": "Nombre d'Or", "commune": "Gap"},
        {"name": "1901", "commune": "Gap", "themes": "Culture"},
    ]
    report = Report()
    out = validate_table(make_table(rows), taxonomy=taxonomy, tour=Tour(()), report=report)
    assert out["name"].tolist() == ["Asso A", "Total Énergie Solidaire", "Nombre d'Or", "1901"]
    assert {i.row: i.code for i in report.errors} == {
        3: "row.header", 4: "row.total", 5: "row.total", 6: "row.total", 7: "row.count",
        8: "row.count"}
    assert len(report.rejected) == 6
    assert all(i.level == "error" for i in report.issues if i.row in range(3, 9))


def test_total_label_in_an_extra_column(taxonomy) -> None:
    rows = [{"name": "Asso A", "commune": "Gap"}, {"name": "", "commune": ""}]
    extras = [{"N°": "1"}, {"N°": "Total"}]
    report = Report()
    out = validate_table(make_table(rows, extras=extras), taxonomy=taxonomy, tour=Tour(()),
                         report=report)
    assert out["name"].tolist() == ["Asso A"]
    assert [i.code for i in report.errors] == ["row.total"]


def test_truncated_last_row_rejected(taxonomy) -> None:
    table = make_table([{"name": "Asso A", "commune": "Gap"}, {"name": "Asso B",
                                                              "commune": "Marseille,13 005,sol"}])
    table.truncated_row = 3  # type: ignore[attr-defined]
    report = Report()
    out = validate_table(table, taxonomy=taxonomy, tour=Tour(()), report=report)
    assert out["name"].tolist() == ["Asso A"]
    assert report.rejected.keys() == {"etape.csv:3"}
    assert [i.code for i in report.errors] == ["row.truncated"]


def test_option_labels_stay_whole_and_are_tags_only(taxonomy) -> None:
    # Options ticked in a form: a label with commas is one choice ("etc" alone is no theme),
    # and a choice that names a resource is that resource, not free text.
    table = make_table([{"name": "Asso A", "themes": "Arts, spectacles, etc.; Sport",
                         "needs": "Un local pour stocker, ranger; Des bénévoles"}])
    table.options = {  # type: ignore[attr-defined]
        "themes": {"Domaines [Arts, spectacles, etc.]": "Arts, spectacles, etc.",
                   "Domaines [Sport]": "Sport"},
        "needs": {"Besoins [Un local pour stocker, ranger]": "Un local pour stocker, ranger",
                  "Besoins [Des bénévoles]": "Des bénévoles"}}
    report = Report()
    out = validate_table(table, taxonomy=taxonomy, tour=Tour(()), report=report)
    rec = out.iloc[0]
    assert rec["themes"] == ["culture", "sport"]
    assert rec["needs"] == ["locaux", "benevoles"]
    assert not report.issues

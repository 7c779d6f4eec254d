"""Tests of the survey readers: encodings, separators, spreadsheets, headers, odd files."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from safi_map.core.errors import ConfigError, SurveyError
from safi_map.core.text import key
from safi_map.ingestion.headers import HEADER_RULES
from safi_map.ingestion.readers import (
    FIELDS,
    HEADER_ALIASES,
    SurveyTable,
    clean_cell,
    iter_survey_files,
    match_header,
    read_survey,
)

ROWS = [
    ["Nom", "Code postal", "Commune", "Description"],
    ["Régie de quartier Œuvre", "83000", "Toulon", "Insertion, entretien; espaces verts"],
    ["L’Épicerie solidaire", "06000", "Nice", 'Épicerie "sociale"'],
]


def write_csv(path: Path, rows: list[list[str]], *, sep: str = ";", encoding: str = "utf-8",
              lineterminator: str = "\r\n") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator=lineterminator).writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def only(tables: list[SurveyTable]) -> SurveyTable:
    assert len(tables) == 1
    return tables[0]


def records(table: SurveyTable, *cols: str) -> list[tuple[str, ...]]:
    return [tuple(r) for r in table.frame[list(cols)].itertuples(index=False)]


# ---------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_csv_each_encoding_and_separator(tmp_path: Path, encoding: str, sep: str) -> None:
    path = write_csv(tmp_path / "etape-toulon.csv", ROWS, sep=sep, encoding=encoding)
    table = only(read_survey(path))
    assert table.separator == sep
    assert table.encoding == encoding
    assert records(table, "name", "postcode", "commune", "description") == [
        tuple(r) for r in ROWS[1:]
    ]
    assert table.frame["_file"].tolist() == ["etape-toulon.csv"] * 2
    assert table.frame["_sheet"].tolist() == ["", ""]
    assert table.frame["_row"].tolist() == [2, 3]
    assert table.columns == {"name": "Nom", "postcode": "Code postal", "commune": "Commune",
                             "description": "Description"}
    assert table.extras.shape == (2, 0)
    assert table.warnings == []


def test_bom_does_not_leak_into_first_header(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["Nom", "Ville"], ["A", "Digne-les-Bains"]],
                     encoding="utf-8-sig")
    table = only(read_survey(path))
    assert table.columns["name"] == "Nom"
    assert table.frame["name"].tolist() == ["A"]


def test_cp1252_accents(tmp_path: Path) -> None:
    rows = [["Nom", "Thématique", "Ville"], ["Cœur d’Œuvre", "Économie", "Saint-Rémy"]]
    path = write_csv(tmp_path / "s.csv", rows, encoding="cp1252")
    assert path.read_bytes().count(b"\x9c") == 1  # œ really is a cp1252 byte
    table = only(read_survey(path))
    assert table.encoding == "cp1252"
    assert records(table, "name", "themes", "commune") == [("Cœur d’Œuvre", "Économie",
                                                            "Saint-Rémy")]


def test_cp1252_undefined_byte_does_not_fail(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(b"Nom;Ville\r\nA\x81b\xe9;Nice\r\n")
    table = only(read_survey(path))
    assert table.frame["name"].tolist() == ["A\x81bé"]


def test_separator_not_fooled_by_commas_in_french_text(tmp_path: Path) -> None:
    # Semicolon file, unquoted cells full of commas: csv.Sniffer tends to pick ",".
    text = ("Nom;Ville;Activités\n"
            "Asso A;Gap;accueil, écoute, orientation, aide\n"
            "Asso B;Nice;repas, épicerie, vêtements\n"
            "Asso C;Apt;jardins, ateliers, vente, cours, sorties\n")
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    table = only(read_survey(path))
    assert table.separator == ";"
    assert table.frame["description"].tolist()[0] == "accueil, écoute, orientation, aide"


def test_separator_not_fooled_by_a_cell_that_looks_like_a_header(tmp_path: Path) -> None:
    rows = [["Nom", "Ville", "Description"],
            ["A", "Gap", "Nom,Ville,Code postal,Site web,Courriel"],
            ["B", "Nice", "x"]]
    table = only(read_survey(write_csv(tmp_path / "s.csv", rows, sep=";")))
    assert table.separator == ";"
    assert table.header_row == 1
    assert records(table, "name", "commune") == [("A", "Gap"), ("B", "Nice")]


def test_decimal_commas_in_semicolon_file(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Nom;Latitude;Longitude\nA;43,12;5,93\nB;44,1;6,2\n", encoding="utf-8")
    table = only(read_survey(path))
    assert table.separator == ";"
    assert records(table, "latitude", "longitude") == [("43,12", "5,93"), ("44,1", "6,2")]


def test_separator_without_known_headers_uses_consistency(tmp_path: Path) -> None:
    text = "Foo\tBar, baz\tQux\n1\t2, 3\t4\n5\t6\t7\n"
    path = tmp_path / "s.tsv"
    path.write_text(text, encoding="utf-8")
    # No recognized header at all: the file is refused, naming what it found.
    with pytest.raises(SurveyError, match=r"s\.tsv.*no recognized column header.*'Bar, baz'"):
        read_survey(path)
    # With a config alias it reads, tab-separated.
    table = only(read_survey(path, aliases={"Foo": "name", "Qux": "commune"}))
    assert table.separator == "\t"
    assert table.frame["name"].tolist() == ["1", "5"]
    assert table.extras["Bar, baz"].tolist() == ["2, 3", "6"]


def test_quoted_multiline_cells_and_row_numbers(tmp_path: Path) -> None:
    rows = [["Nom", "Description", "Ville"],
            ["A", "ligne 1\nligne 2\r\nligne 3", "Gap"],
            ["B", "x", "Nice"]]
    path = write_csv(tmp_path / "s.csv", rows)
    table = only(read_survey(path))
    assert table.frame["description"].tolist() == ["ligne 1\nligne 2\nligne 3", "x"]
    # Row numbers are spreadsheet rows (records), not physical lines.
    assert table.frame["_row"].tolist() == [2, 3]


def test_header_on_row_three_after_title(tmp_path: Path) -> None:
    rows = [["SAFI Tour — étape de Toulon, 28 septembre 2015"], [],
            ["Nom", "CP", "Ville"], ["A", "83000", "Toulon"], ["B", "83200", "Toulon"]]
    path = write_csv(tmp_path / "s.csv", rows, sep=",")
    table = only(read_survey(path))
    assert table.header_row == 3
    assert table.frame["_row"].tolist() == [4, 5]
    assert table.blank_rows == 0
    assert records(table, "name", "postcode") == [("A", "83000"), ("B", "83200")]


def test_header_with_one_known_column_after_title(tmp_path: Path) -> None:
    rows = [["Liste des structures"], ["Nom", "Contact"], ["A", "Mme X"]]
    table = only(read_survey(write_csv(tmp_path / "s.csv", rows)))
    assert table.header_row == 2
    assert table.frame["name"].tolist() == ["A"]
    assert table.unknown_columns == ["Contact"]
    assert table.warnings == [
        "s.csv: the header is on row 2; 1 non-empty row above it (titles, notes) was not "
        "read as data"]


def test_data_cell_like_a_header_does_not_hide_rows(tmp_path: Path) -> None:
    # An unknown header row followed by data where one cell happens to read "Site": the
    # header stays on row 1 and the file is refused (no recognized header), not half-read.
    rows = [["Foo", "Bar"], ["x", "y"], ["z", "Site"], ["w", "v"]]
    with pytest.raises(SurveyError, match="row 1"):
        read_survey(write_csv(tmp_path / "s.csv", rows))


def test_blank_lines_dropped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Nom;Ville\n\nA;Gap\n ; \n;\nB;Nice\n\n\n", encoding="utf-8")
    table = only(read_survey(path))
    assert table.frame["name"].tolist() == ["A", "B"]
    assert table.frame["_row"].tolist() == [3, 6]
    assert table.blank_rows == 3  # the trailing blank lines are not counted


def test_ragged_rows(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Nom;Ville;Téléphone\nA;Gap\nB;Nice;0493;surplus;;\nC;Apt;;\n",
                    encoding="utf-8")
    table = only(read_survey(path))
    assert records(table, "name", "commune", "phone") == [("A", "Gap", ""),
                                                          ("B", "Nice", "0493"),
                                                          ("C", "Apt", "")]
    assert table.extras.columns.tolist() == ["column D"]
    assert table.extras["column D"].tolist() == ["", "surplus", ""]
    assert table.unknown_columns == ["column D"]
    assert len(table.warnings) == 1
    assert "s.csv" in table.warnings[0] and "1 row has more cells than the header (row 3)" in table.warnings[0]


def test_cells_stripped_and_nbsp_normalized(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Nom ;\u00a0Ville\nA\u00a0B  ;\u202fGap\u00a0\n", encoding="utf-8")
    table = only(read_survey(path))
    assert records(table, "name", "commune") == [("A B", "Gap")]
    assert table.columns == {"name": "Nom", "commune": "Ville"}


def test_unterminated_quote_warns(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('Nom;Ville\nA;Gap\n"B;Nice\nC;Apt\n', encoding="utf-8")
    table = only(read_survey(path))
    assert any("never closed" in w for w in table.warnings)


def test_no_nan_anywhere(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Nom;Ville;Autre\nNA;nan;\nnull;None;x\n", encoding="utf-8")
    table = only(read_survey(path))
    assert records(table, "name", "commune") == [("NA", "nan"), ("null", "None")]
    assert table.extras["Autre"].tolist() == ["", "x"]
    assert not table.frame.isna().any().any()
    assert not table.extras.isna().any().any()


# --------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("NOM DE LA STRUCTURE", "name"),
        ("nom  de la structure :", "name"),
        ("Raison sociale", "name"),
        ("Forme juridique", "legal_form"),
        ("thematique(s)", "themes"),
        ("Domaine(s) d'activité", "themes"),
        ("Présentation", "description"),
        ("ADRESSE POSTALE", "address"),
        ("C.P.", "postcode"),
        ("code_postal", "postcode"),
        ("CP / Ville", "commune"),
        ("Code postal et ville", "commune"),
        ("Localité", "commune"),
        ("lat.", "latitude"),
        ("Lng", "longitude"),
        ("Site Internet", "website"),
        ("E-MAIL", "email"),
        ("Adresse e-mail", "email"),
        ("Tél.", "phone"),
        ("Vos besoins", "needs"),
        ("Ce que nous pouvons apporter", "offers"),
        ("ÉTAPE", "stop"),
        ("J'accepte la publication de mes coordonnées", "contact_consent"),
        ("N° SIRET", "siret"),
        ("Horodateur", "survey_date"),
        ("contact_consent", "contact_consent"),
        # long questions of online forms
        ("Quel est le nom de votre structure ?", "name"),
        ("Adresse e-mail de contact (facultatif)", "email"),
        ("Quels sont vos besoins ? (locaux, bénévoles, financements…)", "needs"),
        ("Que pouvez-vous apporter aux autres structures ?", "offers"),
        ("Code postal de la structure", "postcode"),
        ("Dans quelle commune se trouve votre structure ?", "commune"),
        ("Votre numéro de téléphone", "phone"),
        # and what must not match
        ("Nom du contact", None),
        ("Prénom", None),
        ("Date de création", None),
        ("Type de public accueilli", None),
        ("Secteur géographique", None),
        ("Remarques", None),
        ("", None),
        ("???", None),
    ],
)
def test_match_header(header: str, expected: str | None) -> None:
    assert match_header(header) == expected


def test_every_alias_and_prefix_targets_a_field_without_collision() -> None:
    seen: dict[str, str] = {}
    for alias, fld in HEADER_ALIASES.items():
        assert fld in FIELDS
        assert seen.setdefault(key(alias), fld) == fld, alias
        assert match_header(alias) == fld, alias
    for rule in HEADER_RULES:
        assert rule.field in FIELDS
    for fld in FIELDS:
        assert match_header(fld) == fld


def test_config_aliases_add_and_override() -> None:
    aliases = {"Nom de l'asso": "name", "Type": "themes", "Adresse": ""}
    assert match_header("NOM DE L ASSO", aliases) == "name"
    assert match_header("type", aliases) == "themes"
    assert match_header("Adresse", aliases) is None
    assert match_header("Type") == "legal_form"


def test_config_alias_to_unknown_field_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Nom de l'asso.*'nom'"):
        match_header("x", {"Nom de l'asso": "nom"})
    path = write_csv(tmp_path / "s.csv", ROWS)
    with pytest.raises(ConfigError):
        read_survey(path, aliases={"Foo": "bar"})


def test_odd_headers_in_a_file(tmp_path: Path) -> None:
    rows = [["  NOM DE LA STRUCTURE ", "c.p.", "VILLE", "Site-Web", "e_mail", "Nom de l'asso"],
            ["A", "4000", "Digne", "a.org", "a@a.org", "alias"]]
    path = write_csv(tmp_path / "s.csv", rows)
    table = only(read_survey(path, aliases={"Nom de l'asso": "description"}))
    assert table.columns == {"name": "NOM DE LA STRUCTURE", "postcode": "c.p.",
                             "commune": "VILLE", "website": "Site-Web", "email": "e_mail",
                             "description": "Nom de l'asso"}
    assert table.frame.loc[0, "description"] == "alias"


def test_unknown_columns_kept_in_extras(tmp_path: Path) -> None:
    rows = [["Nom", "Remarques", "Ville", "Remarques", "", "Contact"],
            ["A", "r1", "Gap", "r2", "sans titre", "Mme X"],
            ["B", "", "Nice", "", "", ""]]
    path = write_csv(tmp_path / "s.csv", rows)
    table = only(read_survey(path))
    assert list(table.frame.columns) == ["name", "commune", "_file", "_sheet", "_row"]
    assert table.unknown_columns == ["Remarques", "Remarques (2)", "column E", "Contact"]
    assert table.extras.to_dict("records") == [
        {"Remarques": "r1", "Remarques (2)": "r2", "column E": "sans titre", "Contact": "Mme X"},
        {"Remarques": "", "Remarques (2)": "", "column E": "", "Contact": ""},
    ]
    assert (table.extras.index == table.frame.index).all()
    assert any("column E" in w for w in table.warnings)


def test_duplicate_columns_first_wins(tmp_path: Path) -> None:
    rows = [["Nom", "Commune", "Ville", "Structure"], ["A", "Gap", "Gap 05000", "A bis"]]
    path = write_csv(tmp_path / "dup.csv", rows)
    table = only(read_survey(path))
    assert table.columns == {"name": "Nom", "commune": "Commune"}
    assert records(table, "name", "commune") == [("A", "Gap")]
    assert table.extras.to_dict("records") == [{"Ville": "Gap 05000", "Structure": "A bis"}]
    assert table.unknown_columns == []
    assert len(table.warnings) == 2
    assert all("dup.csv" in w for w in table.warnings)
    assert "'Ville'" in table.warnings[0] and "'commune'" in table.warnings[0]


def test_second_column_of_a_list_field_is_read_too(tmp_path: Path) -> None:
    # "Autres besoins (précisez)" beside the ticked needs: both are needs, nothing left aside.
    rows = [["Nom", "Besoins", "Autres besoins (précisez)", "Courriel", "E-mail"],
            ["A", "Des locaux", "un camion", "a@a.fr", "b@b.fr"], ["B", "", "du temps", "", ""]]
    table = only(read_survey(write_csv(tmp_path / "s.csv", rows)))
    assert table.frame["needs"].tolist() == ["Des locaux; un camion", "du temps"]
    assert table.also == {"needs": ["Autres besoins (précisez)"]}
    assert table.duplicates == {"E-mail": "email"}
    assert table.extras.columns.tolist() == ["E-mail"]


def test_header_only_file_gives_empty_table(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "s.csv", [["Nom", "Ville"]])
    table = only(read_survey(path))
    assert len(table) == 0
    assert list(table.frame.columns) == ["name", "commune", "_file", "_sheet", "_row"]


# ------------------------------------------------------------------------ bad files


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n  \n", b"\xef\xbb\xbf", b";;;\n;;\n"])
def test_empty_files(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "vide.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyError, match=r"vide\.csv"):
        read_survey(path)


def test_unknown_extension_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "survey.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(SurveyError, match=r"survey\.pdf.*unsupported"):
        read_survey(path)
    with pytest.raises(SurveyError, match=r"absent\.csv"):
        read_survey(tmp_path / "absent.csv")


@pytest.mark.parametrize("suffix", [".xlsx", ".ods", ".xls"])
def test_corrupt_spreadsheet(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"casse{suffix}"
    path.write_bytes(b"Nom;Ville\nA;Gap\n")
    with pytest.raises(SurveyError, match=rf"casse\{suffix}"):
        read_survey(path)


def test_truncated_xlsx(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["Nom", "Ville"])
    wb.save(good)
    bad = tmp_path / "tronque.xlsx"
    bad.write_bytes(good.read_bytes()[:300])
    with pytest.raises(SurveyError, match=r"tronque\.xlsx"):
        read_survey(bad)
    # A zip that is not a workbook at all.
    notbook = tmp_path / "zip.xlsx"
    with zipfile.ZipFile(notbook, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(SurveyError, match=r"zip\.xlsx"):
        read_survey(notbook)


def test_spreadsheet_with_csv_extension_is_read(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    wb = openpyxl.Workbook()
    wb.active.append(["Nom", "Ville"])
    wb.active.append(["A", "Gap"])
    wb.save(path)
    table = only(read_survey(path))
    assert records(table, "name", "commune") == [("A", "Gap")]


# ----------------------------------------------------------------------- spreadsheets


def make_xlsx(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Toulon"
    ws.append(["Enquête SAFI Tour"])
    ws.append([])
    ws.append(["Nom", "Code postal", "Commune", "Latitude", "Longitude", "Date", "Horodateur",
               "Accord de publication", "SIRET", "Remarque"])
    ws.append(["Asso A", 6000, "Nice", 43.7031, 7.2661, dt.date(2015, 9, 28),
               dt.datetime(2015, 9, 28, 14, 30, 5), True, 12345678901234, None])
    ws.append([None] * 10)
    ws.append(["Asso B", "06000", "Nice", "43,12", -0.5, "28/09/2015",
               dt.datetime(2015, 9, 29), False, "123 456 789 00012", "=x"])
    ws["J6"].data_type = "s"  # a text starting with "=", not a formula
    ws.append(["Asso C", 6000.0, "Nice", 43.12, 1e-7, None, None, None, None, 0.1 + 0.2])
    ws2 = wb.create_sheet("Gap")
    ws2.append(["Structure", "CP", "Ville"])
    ws2.append(["Asso D", 5000, "Gap"])
    wb.create_sheet("Vide")
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Merci de remplir une ligne par structure."
    hidden = wb.create_sheet("Listes")
    hidden.append(["Nom", "Ville"])
    hidden.append(["x", "y"])
    hidden.sheet_state = "hidden"
    wb.save(path)
    return path


def test_xlsx_cells_as_people_see_them(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "tour.xlsx")
    table = read_survey(path, sheet="Toulon")[0]
    assert table.sheet == "Toulon"
    assert table.header_row == 3
    assert table.blank_rows == 1
    assert table.frame["_row"].tolist() == [4, 6, 7]
    assert table.frame["_sheet"].tolist() == ["Toulon"] * 3
    assert table.frame["_file"].tolist() == ["tour.xlsx"] * 3
    assert table.frame.drop(columns=["_file", "_sheet", "_row"]).to_dict("records") == [
        {"name": "Asso A", "postcode": "6000", "commune": "Nice", "latitude": "43.7031",
         "longitude": "7.2661", "survey_date": "2015-09-28", "contact_consent": "TRUE",
         "siret": "12345678901234"},
        {"name": "Asso B", "postcode": "06000", "commune": "Nice", "latitude": "43,12",
         "longitude": "-0.5", "survey_date": "28/09/2015", "contact_consent": "FALSE",
         "siret": "123 456 789 00012"},
        {"name": "Asso C", "postcode": "6000", "commune": "Nice", "latitude": "43.12",
         "longitude": "1e-07", "survey_date": "", "contact_consent": "", "siret": ""},
    ]
    # The second date-like column repeats survey_date: first wins, the other is kept aside.
    assert table.extras["Horodateur"].tolist() == ["2015-09-28 14:30:05", "2015-09-29", ""]
    assert table.extras["Remarque"].tolist() == ["", "=x", "0.3"]
    assert table.encoding is None and table.separator is None


def test_xlsx_every_sheet(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "tour.xlsx")
    tables = read_survey(path)
    assert [t.sheet for t in tables] == ["Toulon", "Gap"]
    gap = tables[1]
    assert records(gap, "name", "postcode", "commune", "_sheet") == [
        ("Asso D", "5000", "Gap", "Gap")]
    assert gap.frame["_row"].tolist() == [2]
    skipped = "\n".join(tables[0].warnings)
    assert "'Notes'" in skipped and "'Listes'" in skipped and "Vide" not in skipped


def test_xlsx_named_sheet_missing_or_hidden(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "tour.xlsx")
    with pytest.raises(SurveyError, match=r"tour\.xlsx.*'Marseille'.*'Toulon', 'Gap'"):
        read_survey(path, sheet="Marseille")
    # Asked for by name, a hidden sheet is read; sheet names match insensitively.
    assert read_survey(path, sheet="Listes")[0].frame["name"].tolist() == ["x"]
    assert read_survey(path, sheet="GAP")[0].sheet == "Gap"
    with pytest.raises(SurveyError, match=r"tour\.xlsx\[Vide\].*empty"):
        read_survey(path, sheet="Vide")


def test_xlsx_without_any_data(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(SurveyError, match=r"blank\.xlsx.*empty"):
        read_survey(path)


def make_ods(path: Path) -> Path:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    def cell(value: object) -> TableCell:
        if value is None:
            return TableCell()
        if isinstance(value, float):
            c = TableCell(valuetype="float", value=repr(value))
            c.addElement(P(text=repr(value)))
        elif isinstance(value, dt.date):
            c = TableCell(valuetype="date", datevalue=value.isoformat())
            c.addElement(P(text=value.strftime("%d/%m/%Y")))
        else:
            c = TableCell(valuetype="string")
            for line in str(value).split("\n"):  # one paragraph per line, as LibreOffice
                c.addElement(P(text=line))
        return c

    doc = OpenDocumentSpreadsheet()
    for name, rows in {
        "Étape Nice": [
            ["Titre de l'enquête"],
            [],
            ["Nom de la structure", "CP", "Ville", "Date de l'enquête", "Thématique(s)"],
            ["Asso É", 6000.0, "Nice", dt.date(2015, 10, 2), "Insertion, culture"],
            ["Asso F", "06300", "Nice", None, "Santé"],
        ],
        "Feuille2": [],
    }.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                tr.addElement(cell(value))
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))
    return path


def test_ods(tmp_path: Path) -> None:
    path = make_ods(tmp_path / "nice.ods")
    table = only(read_survey(path))
    assert table.sheet == "Étape Nice"
    assert table.header_row == 3
    assert table.frame["_row"].tolist() == [4, 5]
    assert records(table, "name", "postcode", "commune", "survey_date", "themes") == [
        ("Asso É", "6000", "Nice", "2015-10-02", "Insertion, culture"),
        ("Asso F", "06300", "Nice", "", "Santé"),
    ]
    assert only(read_survey(path, sheet="étape nice")).sheet == "Étape Nice"


def test_same_survey_same_table_in_every_format(tmp_path: Path) -> None:
    rows = [["Nom", "CP", "Ville", "Description"],
            ["A\u00a0B", "04000", "Digne", "ligne 1\r\nligne 2"],
            ["", "", "", ""],
            ["C", "05000", "Gap", " espace "]]
    csv_table = only(read_survey(write_csv(tmp_path / "s.csv", rows)))
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(tmp_path / "s.xlsx")
    xlsx_table = only(read_survey(tmp_path / "s.xlsx"))
    cols = ["name", "postcode", "commune", "description", "_row"]
    assert csv_table.frame[cols].to_dict("records") == xlsx_table.frame[cols].to_dict("records")
    assert csv_table.frame["description"].tolist() == ["ligne 1\nligne 2", "espace"]
    assert csv_table.blank_rows == xlsx_table.blank_rows == 1


def test_clean_cell() -> None:
    assert clean_cell("\u00a0 a\u202fb\r\nc\rd\u200b\ufeff ") == "a b\nc\nd"
    assert clean_cell("x\x00y") == "x\x00y"


# --------------------------------------------------------------------- file discovery


def test_iter_survey_files(tmp_path: Path) -> None:
    d = tmp_path / "surveys"
    (d / "2016").mkdir(parents=True)
    (d / ".git").mkdir()
    for name in ["b.csv", "a.XLSX", "c.ods", "notes.txt", ".cache.csv", "~$a.xlsx",
                 "2016/z.tsv", "2016/y.xlsm", ".git/x.csv", "readme.md"]:
        (d / name).write_text("x")
    explicit = tmp_path / "extra.txt"
    explicit.write_text("x")
    found = iter_survey_files([d, explicit, d / "b.csv"])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "surveys/2016/y.xlsm", "surveys/2016/z.tsv", "surveys/a.XLSX", "surveys/b.csv",
        "surveys/c.ods", "extra.txt"]
    assert iter_survey_files(d / "c.ods") == [d / "c.ods"]
    with pytest.raises(SurveyError, match="nope"):
        iter_survey_files([tmp_path / "nope"])

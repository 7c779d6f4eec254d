"""Former communes: rows that name a commune as people still write it (merged, delegated,
associated, absorbed, renamed, re-coded) are placed in today's commune, and say so.

Expected codes were checked against ``shared/data/reference/communes_anciennes.csv`` and
``communes_france.csv``: 16393 La Boixe (Vars, 16330), 71263 Louhans-Châteaurenaud (Louhans,
71500), 14408 Saint-Martin-de-May (May-sur-Orne, 14320), 61275 Merlerault-le-Pin (Le Merlerault,
61240), 93066 Saint-Denis (Pierrefitte-sur-Seine, 93380), 19248 Les Trois-Saints (Saint-Ybard,
19140), 05053 Garde-Colombe (Eyguians, Lagrand, 05300), 05164 Savines-le-Lac (Savines, 05160),
05039 Aubessagne (Chauffayer, 05800), 02332 Fresnes-en-Tardenois (02130) and 02333
Fresnes-sous-Coucy (02380), both once "Fresnes"; 84014 Beaumont-de-Pertuis (84120) and 84015
Beaumont-du-Ventoux (84340), both once "Beaumont"; 94034 Fresnes (75034 before 1968), 2A004
Ajaccio (20004 before 1976).
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from safi_map.core import i18n
from safi_map.core.text import fold
from safi_map.geo import gazetteer
from safi_map.geo.offline import geocode_offline


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Reasons are checked in English, the language of the message ids."""
    before = i18n.current_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


def geocode(rows: list[tuple[str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["postcode", "commune_input"])
    return geocode_offline(frame)


def one(postcode: str, commune: str) -> pd.Series:
    return geocode([(postcode, commune)]).iloc[0]


# -- the packaged table -----------------------------------------------------------------------


def test_former_communes_table() -> None:
    frame = gazetteer.former_communes()
    assert len(frame) == 6_915
    assert list(frame.columns) == ["ancien_code", "ancien_nom", "departement", "codes_postaux",
                                   "code_insee", "lien", "depuis"]
    assert set(frame["lien"]) == set(gazetteer.FORMER_LINKS)
    assert frame["code_insee"].isin(gazetteer.communes()["code_insee"]).all()
    paca = frame[frame["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
    assert len(paca) == 162
    vars_ = frame[(frame["ancien_nom"] == "Vars") & (frame["departement"] == "16")].iloc[0]
    assert (vars_["code_insee"], vars_["lien"], vars_["codes_postaux"]) == (
        "16393", "deleguee", "16330")
    louhans = frame[frame["ancien_nom"] == "Louhans"].iloc[0]
    assert (louhans["lien"], louhans["depuis"]) == ("renommee", "2026")


def test_communes_recoded_in_2025_are_in_the_gazetteer() -> None:
    by_code = gazetteer.communes().set_index("code_insee")
    for code, name in (("49126", "Orée d'Anjou"), ("14581", "Aurseulles"),
                       ("12218", "Conques-en-Rouergue"), ("69114", "Porte des Pierres Dorées")):
        assert by_code.at[code, "nom"] == name
    # Their former chief towns' codes lead to them.
    result = geocode([("", "49069"), ("", "14011"), ("", "12076"), ("", "69159")])
    assert result["insee_code"].tolist() == ["49126", "14581", "12218", "69114"]


# -- the examples of the issue ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "commune", "expected", "former", "link"),
    [
        ("71500", "Louhans", "71263", "Louhans", "former name of Louhans-Châteaurenaud"),
        ("16330", "Vars", "16393", "Vars", "delegated commune of La Boixe"),
        ("16330", "VARS", "16393", "Vars", "delegated commune of La Boixe"),
        ("14320", "May-sur-Orne", "14408", "May-sur-Orne", "delegated commune"),
        ("61240", "Le Merlerault", "61275", "Le Merlerault", "delegated commune"),
        ("61240", "MERLERAULT (LE)", "61275", "Le Merlerault", "delegated commune"),
        ("93380", "Pierrefitte-sur-Seine", "93066", "Pierrefitte-sur-Seine", "Saint-Denis"),
        ("19140", "Saint-Ybard", "19248", "Saint-Ybard", "delegated commune"),
        ("19140", "ST YBARD", "19248", "Saint-Ybard", "delegated commune"),
        ("05300", "Eyguians", "05053", "Eyguians", "merged into Garde-Colombe"),
        ("", "EYGUIANS", "05053", "Eyguians", "merged into Garde-Colombe"),
        ("05300", "Lagrand", "05053", "Lagrand", "merged into Garde-Colombe"),
        ("05160", "Savines", "05164", "Savines", "former name of Savines-le-Lac"),
        ("", "Savines", "05164", "Savines", "former name of Savines-le-Lac"),
        ("05800", "Chauffayer", "05039", "Chauffayer", "merged into Aubessagne"),
    ],
)
def test_examples_of_the_issue(postcode: str, commune: str, expected: str, former: str,
                               link: str) -> None:
    row = one(postcode, commune)
    assert row["insee_code"] == expected, row["geocode_reason"]
    assert row["commune_former"] == former
    assert row["commune"] != former
    assert link in row["geocode_reason"] and former in row["geocode_reason"]
    assert row["geocode_precision"] == "municipality"
    assert row["geocode_score"] >= 0.8


# -- each kind of link, in PACA and elsewhere -------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "commune", "expected", "phrase"),
    [
        ("04340", "La Breole", "04033", "delegated commune of Ubaye-Serre-Ponçon"),
        ("04530", "LARCHE", "04120", "delegated commune of Val d'Oronaye"),
        ("01300", "Arbignieu", "01015", "delegated commune of Arboys en Bugey"),
        ("04800", "Albiosc", "04081", "associated commune of Esparron-de-Verdon"),
        ("01120", "Cordieux", "01262", "associated commune of Montluel"),
        ("04230", "AUGES", "04109", "merged into Mallefougasse-Augès"),
        ("01260", "Belmont", "01036", "merged into Valromey-sur-Séran"),
        ("04000", "Ainac", "04167", "absorbed by La Robine-sur-Galabre"),
        ("04380", "Auribeau", "04177", "absorbed by Hautes-Duyes"),
        ("01200", "Arlod", "01033", "absorbed by Valserhône"),
        ("04500", "Allemagne", "04004", "former name of Allemagne-en-Provence"),
        ("04280", "Cereste", "04045", "renamed by the COG 2024"),
        ("01480", "Ars", "01021", "former name of Ars-sur-Formans"),
    ],
)
def test_each_kind_of_link(postcode: str, commune: str, expected: str, phrase: str) -> None:
    row = one(postcode, commune)
    assert row["insee_code"] == expected, row["geocode_reason"]
    assert phrase in row["geocode_reason"]
    assert row["commune_former"]


@pytest.mark.parametrize(
    ("code", "expected", "former"),
    [
        ("75034", "94034", ""),  # Fresnes, re-coded in 1968: same name, no former commune
        ("20004", "2A004", ""),  # Ajaccio, re-coded in 1976
        ("05069", "05053", "Lagrand"),  # merged into Garde-Colombe
        ("05053", "05053", ""),  # today's code typed as a postcode
    ],
)
def test_old_and_current_insee_codes(code: str, expected: str, former: str) -> None:
    for postcode, commune in ((code, ""), ("", code)):
        row = one(postcode, commune)
        assert row["insee_code"] == expected, row["geocode_reason"]
        assert row["commune_former"] == former
        assert "not a postcode but the" in row["geocode_reason"]


def test_old_insee_code_with_an_unrecognised_name_scores_low() -> None:
    row = one("05069", "Zzyzx")
    assert row["insee_code"] == "05053"
    assert row["geocode_score"] < 0.8 and "not recognised" in row["geocode_reason"]


def test_bellegarde_without_postcode_and_article_ignored() -> None:
    result = geocode([("", "Bellegarde sur Valserine"), ("", "Merlerault")])
    assert result["insee_code"].tolist() == ["01033", "61275"]
    assert "article ignored" in result["geocode_reason"].iloc[1]


# -- homonyms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [("02130", "02332"), ("02380", "02333")],
)
def test_former_homonyms_of_one_department_told_apart_by_postcode(postcode: str,
                                                                  expected: str) -> None:
    row = one(postcode, "Fresnes")
    assert row["insee_code"] == expected
    assert "the postcode chose it among 2 communes" in row["geocode_reason"]


@pytest.mark.parametrize(("postcode", "expected"), [("84120", "84014"), ("84340", "84015")])
def test_former_homonyms_in_paca(postcode: str, expected: str) -> None:
    row = one(postcode, "BEAUMONT")
    assert row["insee_code"] == expected
    assert row["commune_former"] == "Beaumont"


def test_former_homonyms_never_guessed() -> None:
    unknown = one("02999", "Fresnes")  # a postcode of the Aisne that tells nothing
    assert unknown["insee_code"] == "" and unknown["geocode_precision"] == "none"
    assert "former name of several communes" in unknown["geocode_reason"]
    assert "Fresnes-en-Tardenois" in unknown["geocode_reason"]
    assert "Fresnes-sous-Coucy" in unknown["geocode_reason"]
    # A postcode of neither: placed by the postcode alone, saying so, with a low score.
    other = one("84000", "Beaumont")
    assert other["insee_code"] == "84007"
    assert "former name of several communes" in other["geocode_reason"]
    assert "postcode 84000 alone" in other["geocode_reason"]
    assert other["geocode_score"] < 0.8 and other["commune_former"] == ""


def test_todays_name_comes_before_a_former_name() -> None:
    # "Vars" is today a commune of the Hautes-Alpes and a former one of the Charente.
    assert one("05560", "Vars")["insee_code"] == "05177"
    assert one("", "Vars")["insee_code"] == "05177"
    assert one("16330", "Vars")["insee_code"] == "16393"
    # Two communes "Fresnes" of the Aisne were renamed; Fresnes (94) is a commune today.
    row = one("", "Fresnes")
    assert row["insee_code"] == "94034" and row["commune_former"] == ""


# -- fuzzy matches give way -------------------------------------------------------------------


def test_fuzzy_never_beats_an_exact_former_name() -> None:
    # Before: "Vars" 16330 -> Ars (16130) and "May-sur-Orne" -> Amayé-sur-Orne, by fuzzy match.
    assert one("16330", "Vars")["insee_code"] == "16393"
    assert one("14320", "May-sur-Orne")["insee_code"] == "14408"
    assert one("71500", "Louhans")["insee_code"] == "71263"  # not Bouhans (71330)


def test_fuzzy_candidate_of_another_postcode_does_not_beat_the_postcode() -> None:
    # "Bouhan" is one letter from Bouhans (71330), in the department of 71500 but not of it.
    row = one("71500", "Bouhan")
    assert row["insee_code"] == "71263"
    assert "not recognised" in row["geocode_reason"]
    # Within the postcode, a typo is still found.
    assert one("71330", "Bouhan")["insee_code"] == "71045"
    # With an unknown postcode (a CEDEX code), the department still helps.
    assert one("71999", "Bouhanss")["insee_code"] == "71045"


# -- coordinates ------------------------------------------------------------------------------


def test_provided_coordinates_keep_a_trusted_former_name() -> None:
    frame = pd.DataFrame({"postcode": ["16330", "16330"], "commune_input": ["Vars", "Vars"],
                          "latitude": [45.83, 43.7], "longitude": [0.14, 7.26]})
    result = geocode_offline(frame)
    assert result["insee_code"].tolist() == ["16393", "16393"]
    assert result["commune_former"].tolist() == ["Vars", "Vars"]
    assert "km from its town hall" in result["geocode_reason"].iloc[1]


# -- every former commune of PACA -------------------------------------------------------------


def _survey_spellings(name: str) -> list[str]:
    """The ways surveys write a name: as it is, upper case without accents, ``St``."""
    upper = fold(name).upper()
    return [name, upper, upper.replace("SAINTE-", "STE ").replace("SAINT-", "ST "),
            name.replace("-", " ")]


def test_every_former_commune_of_paca_is_placed_in_its_commune_of_today() -> None:
    former = gazetteer.former_communes()
    paca = former[former["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
    today = gazetteer.communes().set_index("code_insee")["codes_postaux"]
    rows, expected = [], []
    for old_pcs, name, code in zip(paca["codes_postaux"], paca["ancien_nom"],
                                   paca["code_insee"], strict=True):
        for postcode in sorted(set((old_pcs or today[code]).split("|") + today[code].split("|"))):
            for spelling in _survey_spellings(name):
                rows.append((postcode, spelling))
                expected.append(code)
    result = geocode(rows)
    wrong = [(row, code, got, why) for row, code, got, why in zip(
        rows, expected, result["insee_code"], result["geocode_reason"], strict=True)
        if got != code]
    assert len(paca) == 162 and len(rows) > 162 * 4
    assert wrong == []
    # Said: by the former name, or by today's name without its article ("Croix-Valmer").
    said = (result["commune_former"] != "") | result["geocode_reason"].str.contains(
        "article ignored")
    assert said.all()


# -- said, not hidden: report, actor record, actor page ---------------------------------------


@pytest.mark.slow
def test_a_survey_naming_former_communes_end_to_end(tmp_path) -> None:
    import json
    import os

    from click.testing import CliRunner

    from safi_map.cli.main import cli

    surveys = tmp_path / "data" / "surveys"
    surveys.mkdir(parents=True)
    (surveys / "2015-05-07-gap.csv").write_text(
        "Nom;Forme juridique;Thématique(s);Présentation;Adresse;Code Postal;Ville;"
        "Accord de publication\n"
        "Atelier des Buëch;Association loi 1901;Vie associative;Atelier vélo.;;05300;EYGUIANS;oui\n"
        "Jardin du lac;Association loi 1901;Vie associative;Jardin.;;5160;Savines;oui\n"
        "Café de Gap;Association loi 1901;Vie associative;Café.;;05000;Gap;oui\n",
        encoding="utf-8",
    )
    (tmp_path / "safi-map.toml").write_text('[project]\nsurveys = ["data/surveys"]\n',
                                            encoding="utf-8")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(cli, ["build"], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    build = tmp_path / "build"
    report = json.loads((build / "ingest-report.json").read_text(encoding="utf-8"))
    former = [i for i in report["issues"] if i["code"] == "geocode.former_commune"]
    assert sorted((i["row"], i["value"]) for i in former) == [(2, "EYGUIANS"), (3, "Savines")]
    assert all("Garde-Colombe" in i["message"] or "Savines-le-Lac" in i["message"]
               for i in former)
    actors = pd.read_csv(build / "actors.csv", dtype=str, keep_default_na=False)
    by_name = actors.set_index("name")
    assert by_name.at["Atelier des Buëch", "commune"] == "Garde-Colombe"
    assert by_name.at["Atelier des Buëch", "commune_former"] == "Eyguians"
    assert by_name.at["Atelier des Buëch", "insee_code"] == "05053"
    assert by_name.at["Café de Gap", "commune_former"] == ""
    site = build / "site"
    page = next((site / "acteurs").glob("atelier-des-buech-*.html")).read_text(encoding="utf-8")
    assert ('05300 Eyguians (<a href="../communes/05053-garde-colombe.html">Garde-Colombe</a>)'
            in page)
    # Counted in today's commune: its page, not one for the former commune.
    communes = sorted(p.name for p in (site / "communes").glob("*.html"))
    assert communes == ["05053-garde-colombe.html", "05061-gap.html",
                        "05164-savines-le-lac.html"]
    assert "Atelier des Buëch" in (site / "communes" / "05053-garde-colombe.html").read_text(
        encoding="utf-8")


def test_a_former_name_the_postcode_confirms_beats_todays_name_with_another_postcode() -> None:
    # Courcelles (25138, 25190) merged into a commune of the Doubs whose name is not
    # Courcelles; Courcelles (25171) is a commune of the Doubs today, with another postcode.
    row = one("25190", "Courcelles")
    assert row["insee_code"] == "25138" and row["commune_former"] == "Courcelles"
    assert one("25440", "Courcelles")["insee_code"] == "25171"  # its own postcode


def test_every_former_commune_of_france_with_its_postcode() -> None:
    former = gazetteer.former_communes()
    today = gazetteer.communes().set_index("code_insee")["codes_postaux"]
    postcodes = [(old or today[code]).split("|")[0]
                 for old, code in zip(former["codes_postaux"], former["code_insee"], strict=True)]
    spelled = [fold(name).upper() for name in former["ancien_nom"]]
    result = geocode(list(zip(postcodes, spelled, strict=True)))
    wrong = result.index[result["insee_code"].to_numpy() != former["code_insee"].to_numpy()]
    assert [(postcodes[i], spelled[i]) for i in wrong] == []


def test_old_postcodes() -> None:
    # Urdès (64370) is today part of Lacq, whose postcode is 64170: its old postcode confirms it.
    row = one("64370", "URDES")
    assert row["insee_code"] == "64300" and row["commune_former"] == "Urdès"
    assert row["geocode_score"] >= 0.9
    assert "delegated commune of Lacq" in row["geocode_reason"]

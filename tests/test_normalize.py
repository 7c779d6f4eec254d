"""Each normalization rule, with the exact output expected."""

from __future__ import annotations

import math

import pytest

from safi_map.core.normalize import (
    clean_commune,
    is_placeholder,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_siret,
    normalize_url,
    parse_bool,
    parse_date,
    repair_postcode,
    split_commune_cell,
    split_list,
)
from safi_map.geo.coordinates import parse_coordinate, parse_point, parse_points


def codes(notes):
    return [n.code for n in notes]


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("83000", "83000", []),
        ("06000", "06000", []),
        ("6000", "06000", ["postcode.leading_zero"]),
        ("4000", "04000", ["postcode.leading_zero"]),
        ("6000.0", "06000", ["postcode.leading_zero"]),
        ("83000.0", "83000", []),
        ("83 000", "83000", []),
        ("83.000", "83000", []),
        ("  83000  ", "83000", []),
        ("83000 CEDEX 9", "83000", ["postcode.cedex"]),
        ("83000 Cedex", "83000", ["postcode.cedex"]),
        ("83000 Toulon", "83000", ["postcode.extracted"]),
        ("", "", []),
        ("abc", "", ["postcode.invalid"]),
        ("00123", "", ["postcode.invalid"]),
        ("99000", "", ["postcode.invalid"]),
        ("0600", "", ["postcode.invalid"]),
        ("123456", "", ["postcode.invalid"]),
        ("83000 13001", "", ["postcode.invalid"]),
    ],
)
def test_repair_postcode(text, expected, note_codes):
    value, notes = repair_postcode(text)
    assert value == expected
    assert codes(notes) == note_codes


def test_repair_postcode_message_names_the_repair():
    _, notes = repair_postcode("6000")
    assert notes[0].message == "leading zero restored: '6000' -> '06000'"


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("83000 Toulon", ("83000", "Toulon"), []),
        ("Toulon (83000)", ("83000", "Toulon"), []),
        ("TOULON CEDEX 9", ("", "TOULON"), ["commune.cedex"]),
        ("13008 MARSEILLE", ("13008", "MARSEILLE"), []),
        ("Marseille 13008", ("13008", "Marseille"), []),
        ("Toulon - 83", ("", "Toulon"), []),
        ("Toulon (83)", ("", "Toulon"), []),
        ("6000 Nice", ("06000", "Nice"), ["postcode.leading_zero"]),
        ("Saint-Martin-de-Crau, 13310", ("13310", "Saint-Martin-de-Crau"), []),
        ("  La   Seyne-sur-Mer ", ("", "La Seyne-sur-Mer"), []),
        ("Marseille 8e", ("", "Marseille 8e"), []),
        ("83000", ("83000", ""), []),
        ("", ("", ""), []),
        ("- -", ("", ""), ["commune.invalid"]),
    ],
)
def test_split_commune_cell(text, expected, note_codes):
    value, notes = split_commune_cell(text)
    assert value == expected
    assert codes(notes) == note_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("83000 Toulon", "Toulon"),
        ("TOULON CEDEX 9", "TOULON"),
        ("Hyères   les Palmiers", "Hyères les Palmiers"),
        ("Toulon (83000)", "Toulon"),
    ],
)
def test_clean_commune(text, expected):
    assert clean_commune(text)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("43,1242", 43.1242),
        ("43.1242", 43.1242),
        ("43.1242°", 43.1242),
        (" 43,1242 ° N", 43.1242),
        ("5.93 E", 5.93),
        ("N 43.5", 43.5),
        ("5 O", -5.0),
        ("1.5 W", -1.5),
        ("-5,2", -5.2),
        ("43°07'30\"N", 43.125),
        ("43° 07′ 30″", 43.125),
        ("43°30'", 43.5),
    ],
)
def test_parse_coordinate(text, expected):
    value, notes = parse_coordinate(text)
    assert value == pytest.approx(expected)
    assert notes == []


@pytest.mark.parametrize("text", ["abc", "1.2.3.4.5", "43°75'", "N 43 E", "12-13"])
def test_parse_coordinate_invalid(text):
    value, notes = parse_coordinate(text)
    assert math.isnan(value)
    assert codes(notes) == ["coordinates.invalid"]


def test_parse_coordinate_empty_is_silent():
    value, notes = parse_coordinate("")
    assert math.isnan(value) and notes == []


@pytest.mark.parametrize(
    ("lat", "lon", "expected", "note_codes"),
    [
        ("43,1242", "5,9280", (43.1242, 5.928), []),
        ("5.928", "43.1242", (43.1242, 5.928), ["coordinates.swapped"]),
        ("48.8566", "2.3522", (48.8566, 2.3522), ["coordinates.outside_paca"]),
        ("43.7384", "7.4246", (43.7384, 7.4246), ["coordinates.outside_paca"]),  # Monaco
        ("40.7128", "-74.0060", (math.nan, math.nan), ["coordinates.outside_france"]),
        ("0", "0", (math.nan, math.nan), ["coordinates.outside_france"]),
        ("43.12", "", (math.nan, math.nan), ["coordinates.incomplete"]),
        ("43.12", "abc", (math.nan, math.nan), ["coordinates.invalid"]),
        ("", "", (math.nan, math.nan), []),
    ],
)
def test_parse_point(lat, lon, expected, note_codes):
    (y, x), notes = parse_point(lat, lon)
    assert codes(notes) == note_codes
    if math.isnan(expected[0]):
        assert math.isnan(y) and math.isnan(x)
    else:
        assert (y, x) == pytest.approx(expected)


def test_parse_points_is_vectorized_and_aligned():
    lat, lon, notes = parse_points(["43.1", "", "6.0", "1"], ["5.9", "", "43.5", "1"])
    assert lat[0] == pytest.approx(43.1) and lon[0] == pytest.approx(5.9)
    assert math.isnan(lat[1]) and notes[1] == []
    assert (lat[2], lon[2]) == pytest.approx((43.5, 6.0))
    assert codes(notes[2]) == ["coordinates.swapped"]
    assert math.isnan(lat[3]) and codes(notes[3]) == ["coordinates.outside_france"]


def test_parse_points_length_mismatch():
    with pytest.raises(ValueError, match="differ in length"):
        parse_points(["1"], [])


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("https://www.example.fr/page", "https://www.example.fr/page", []),
        ("http://Example.FR/Path?q=A", "http://example.fr/Path?q=A", []),
        ("www.Example.fr", "https://www.example.fr", ["url.scheme_added"]),
        ("example.fr/", "https://example.fr/", ["url.scheme_added"]),
        ("  https://example.fr.  ", "https://example.fr", []),
        ("HTTPS://EXAMPLE.FR", "https://example.fr", []),
        ("example.fr:8080/x", "https://example.fr:8080/x", ["url.scheme_added"]),
        ("https://a.fr https://b.fr", "https://a.fr", ["url.multiple"]),
        ("www.a.fr ou www.b.fr", "https://www.a.fr", ["url.multiple", "url.scheme_added"]),
        ("https://a.fr et https://b.fr", "https://a.fr", ["url.multiple"]),
        ("https://x.fr/a-et-b/ou?q=et", "https://x.fr/a-et-b/ou?q=et", []),
        ("www.ou.fr", "https://www.ou.fr", ["url.scheme_added"]),
        ("javascript:alert(1)", "", ["url.unsafe"]),
        ("JavaScript:alert(1)", "", ["url.unsafe"]),
        ("data:text/html,<script>", "", ["url.unsafe"]),
        ("mailto:contact@example.fr", "", ["url.unsafe"]),
        ("pas de site", "", []),
        ("non", "", []),
        ("-", "", []),
        ("facebook", "", ["url.invalid"]),
        ("http://<script>.fr", "", ["url.invalid"]),
        ('https://example.fr/"onmouseover=', "", ["url.invalid"]),
        ("https://user:pw@example.fr", "", ["url.invalid"]),
        ("", "", []),
    ],
)
def test_normalize_url(text, expected, note_codes):
    value, notes = normalize_url(text)
    assert value == expected
    assert codes(notes) == note_codes


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("contact@example.fr", "contact@example.fr", []),
        ("Contact@Example.FR", "Contact@example.fr", []),
        ("mailto:a.b@Asso.org", "a.b@asso.org", []),
        ("MAILTO:a@b.fr", "a@b.fr", []),
        ("<a@b.fr>", "a@b.fr", []),
        ("a@b.fr; c@d.fr", "a@b.fr", ["email.multiple"]),
        ("a@b.fr ou c@d.fr", "a@b.fr", ["email.multiple"]),
        ("a@b.fr / c@d.fr", "a@b.fr", ["email.multiple"]),
        ("foo", "", ["email.invalid"]),
        ("a@b", "", ["email.invalid"]),
        ("a@@b.fr", "", ["email.invalid"]),
        ("pas de mail", "", []),
        ("", "", []),
    ],
)
def test_normalize_email(text, expected, note_codes):
    value, notes = normalize_email(text)
    assert value == expected
    assert codes(notes) == note_codes


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("04 94 12 34 56", "04 94 12 34 56", []),
        ("0494123456", "04 94 12 34 56", []),
        ("04.94.12.34.56", "04 94 12 34 56", []),
        ("04-94-12-34-56", "04 94 12 34 56", []),
        ("+33 4 94 12 34 56", "04 94 12 34 56", []),
        ("+33 (0)4 94 12 34 56", "04 94 12 34 56", []),
        ("+330494123456", "04 94 12 34 56", []),
        ("0033494123456", "04 94 12 34 56", []),
        ("33494123456", "04 94 12 34 56", []),
        ("494123456", "04 94 12 34 56", ["phone.leading_zero"]),
        ("Tél : 06 12 34 56 78 (accueil)", "06 12 34 56 78", []),
        ("04 94 12 34 56 / 06 12 34 56 78", "04 94 12 34 56", ["phone.multiple"]),
        ("0494123456 0612345678", "04 94 12 34 56", ["phone.multiple"]),
        ("+32 2 123 45 67", "+3221234567", ["phone.foreign"]),
        ("12", "", ["phone.invalid"]),
        ("0012", "", ["phone.invalid"]),
        ("00 00 00 00 00", "", ["phone.invalid"]),
        ("appeler le matin", "", ["phone.invalid"]),
        ("non communiqué", "", []),
        ("", "", []),
    ],
)
def test_normalize_phone(text, expected, note_codes):
    value, notes = normalize_phone(text)
    assert value == expected
    assert codes(notes) == note_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(t, True) for t in ["oui", "OUI", "Oui ", "yes", "x", "X", "1", "vrai", "true", "o"]],
        *[(t, False) for t in ["non", "Non", "no", "0", "faux", "false", "n"]],
        ("Oui, j'accepte", True),
        ("J'accepte", True),
        ("oui bien sûr", True),
        ("Non merci", False),
        ("Je refuse", False),
        ("", None),
        ("  ", None),
    ],
)
def test_parse_bool(text, expected):
    assert parse_bool(text) == (expected, [])


@pytest.mark.parametrize(
    "text", ["peut-être", "2", "oui mais pas le téléphone", "Oui sauf le téléphone",
             "oui uniquement le mail", "oui pour le site"])
def test_parse_bool_unknown_warns(text):
    value, notes = parse_bool(text)
    assert value is None
    assert codes(notes) == ["consent.unknown"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a; b, c / d | e\nf", ["a", "b", "c", "d", "e", "f"]),
        ("Culture et médias", ["Culture", "médias"]),
        ("Lettres, etudes", ["Lettres", "etudes"]),
        ("Sport & loisirs", ["Sport", "loisirs"]),
        ("  santé ;; Santé ; SANTE ", ["santé"]),
        ("- un local\n- des bénévoles", ["un local", "des bénévoles"]),
        ("Citoyenneté; <b>Culture</b>", ["Citoyenneté", "Culture"]),
        ("a < b; c > d", ["a < b", "c > d"]),
        ("", []),
        (" ; , ", []),
    ],
)
def test_split_list(text, expected):
    assert split_list(text) == (expected, [])


def test_split_list_without_and_keeps_labels_whole():
    assert split_list("Sport et loisirs; Culture", split_and=False)[0] == [
        "Sport et loisirs", "Culture"]


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("73282932000074", "73282932000074", []),
        ("732 829 320 00074", "73282932000074", []),
        ("732.829.320.00074", "73282932000074", []),
        ("73282932000074.0", "73282932000074", []),
        ("73282932000075", "73282932000075", ["siret.checksum"]),
        ("35600000000010", "35600000000010", []),  # La Poste: digit sum multiple of 5
        ("35600000000011", "35600000000011", ["siret.checksum"]),
        ("732829320", "", ["siret.siren"]),
        ("123", "", ["siret.invalid"]),
        ("ABC", "", ["siret.invalid"]),
        ("", "", []),
    ],
)
def test_normalize_siret(text, expected, note_codes):
    value, notes = normalize_siret(text)
    assert value == expected
    assert codes(notes) == note_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  Les   Jardins du Cœur ", "Les Jardins du Cœur"),
        ('"Les Jardins"', "Les Jardins"),
        ("« Les Jardins »", "Les Jardins"),
        ("LES JARDINS DU CŒUR", "Les Jardins du Cœur"),
        ("ASSOCIATION ADMR DE TOULON", "Association ADMR de Toulon"),
        ("L'ECOLE DES PARENTS D'AUBAGNE", "L'Ecole des Parents d'Aubagne"),
        ("ADIE", "ADIE"),
        ("CCAS 83", "CCAS 83"),
        ("SOS AMITIE", "SOS Amitie"),
        ("Ma Maison DE QUARTIER", "Ma Maison DE QUARTIER"),
        ("", ""),
    ],
)
def test_normalize_name(text, expected):
    assert normalize_name(text) == (expected, [])


@pytest.mark.parametrize(
    ("text", "expected", "note_codes"),
    [
        ("28/09/2015", "2015-09-28", []),
        ("2015-09-28", "2015-09-28", []),
        ("2015-09-28 00:00:00", "2015-09-28", []),
        ("28.09.15", "2015-09-28", []),
        ("lundi 28 septembre 2015", "2015-09-28", []),
        ("1er octobre 2015", "2015-10-01", []),
        ("31/02/2015", "", ["date.invalid"]),
        ("demain", "", ["date.invalid"]),
        ("", "", []),
    ],
)
def test_parse_date(text, expected, note_codes):
    value, notes = parse_date(text)
    assert value == expected
    assert codes(notes) == note_codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-", True), ("N/A", True), ("néant", True), ("0", True), ("Aucun", True),
     ("04 94", False), ("a@b.fr", False), ("Toulon", False)],
)
def test_is_placeholder(text, expected):
    assert is_placeholder(text) is expected


# ------------------------------------------------------------------ form-tool answers (issue 11)


@pytest.mark.parametrize(
    ("cell", "known", "items"),
    [
        ("Citoyenneté, droits et égalité, Culture", {"citoyennete droits et egalite"},
         ["Citoyenneté, droits et égalité", "Culture"]),
        ("Culture, Citoyenneté, droits et égalité", {"citoyennete droits et egalite"},
         ["Culture", "Citoyenneté, droits et égalité"]),
        ("Citoyenneté, droits et égalité", set(), ["Citoyenneté", "droits et égalité"]),
        ("Économie circulaire (réemploi, recyclage), Sport", set(),
         ["Économie circulaire (réemploi, recyclage)", "Sport"]),
        ("Culture;Sport et loisirs;Économie circulaire (réemploi, recyclage);", set(),
         ["Culture", "Sport et loisirs", "Économie circulaire (réemploi, recyclage)"]),
        ("Insertion / emploi, Culture", {"insertion emploi"}, ["Insertion / emploi", "Culture"]),
    ],
)
def test_split_list_keeps_known_labels_whole(cell: str, known: set[str],
                                             items: list[str]) -> None:
    assert split_list(cell, split_and=False, known=known)[0] == items


@pytest.mark.parametrize(
    ("text", "iso"),
    [("28/11/2026 10:02:11", "2026-11-28"), ("11/28/2026 10:02:11", "2026-11-28"),
     ("2026/11/28 10:02:11 AM UTC+1", "2026-11-28"), ("01/12/2026 - 10:01", "2026-12-01"),
     ("2026-11-30T09:10:00.000+01:00", "2026-11-30"), ("2026-11-29 14:01:00", "2026-11-29"),
     ("2015-09-28T10:00:00Z", "2015-09-28"), ("13/13/2015", "")],
)
def test_parse_date_form_timestamps(text: str, iso: str) -> None:
    assert parse_date(text)[0] == iso


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Oui, j'accepte que mes coordonnées apparaissent sur la carte", True),
     ("J'accepte que mes coordonnées soient publiées", True), ("I agree", True),
     ("Je n'accepte pas", False), ("I do not agree", False), ("Non merci", False),
     ("Oui pour le mail seulement", None), ("Oui mais sans le téléphone", None),
     ("oui et non", None), ("peut-être", None)],
)
def test_parse_bool_form_sentences(text: str, expected: bool | None) -> None:
    assert parse_bool(text)[0] is expected

"""Tests of the offline geocoder and the tabular helper.

Expected INSEE codes were checked against ``shared/data/reference/communes_france.csv``:
83062 La Garde (83130), 04092 La Garde (04120, 121 inhabitants), 13208 Marseille 8e
Arrondissement, 13055 Marseille, 69383 Lyon 3e, 75115 Paris 15e, 75116 Paris 16e (75016|75116),
83106 Rocbaron and 83064 Garéoult (both 83136, Garéoult more populated), 83137 Toulon
(83000|83100|83200), 83119 Saint-Tropez (83990), 13001 Aix-en-Provence, 06088 Nice,
84054 L'Isle-sur-la-Sorgue, 83143 Le Val (also 25460 Le Val in Doubs), 97411 Saint-Denis
(La Réunion, the most populated of four), 2A004 Ajaccio (20000), 2B033 Bastia (20200|20600),
97105 Basse-Terre (97100), 84007 Avignon.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from safi_map.geo import gazetteer
from safi_map.geo.offline import OUTPUT_COLUMNS, geocode_offline

NAN = float("nan")


def geocode_one(
    postcode: str = "", commune: str = "", lat: float = NAN, lon: float = NAN
) -> pd.Series:
    frame = pd.DataFrame(
        {"postcode": [postcode], "commune_input": [commune], "latitude": [lat], "longitude": [lon]}
    )
    return geocode_offline(frame).iloc[0]


def point_of(code: str) -> tuple[float, float]:
    row = gazetteer.communes().set_index("code_insee").loc[code]
    return float(row["latitude"]), float(row["longitude"])


# -- contract ---------------------------------------------------------------------------------


def test_output_columns_and_index() -> None:
    frame = pd.DataFrame(
        {
            "postcode": ["83130", ""],
            "commune_input": ["La Garde", ""],
            "latitude": [NAN, NAN],
            "longitude": [NAN, NAN],
        },
        index=pd.Index([17, 4], name="row"),
    )
    result = geocode_offline(frame)
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert result.index.equals(frame.index)
    assert result["latitude"].dtype == "float64"
    assert result["geocode_score"].dtype == "float64"


def test_missing_columns_count_as_empty() -> None:
    result = geocode_offline(pd.DataFrame({"commune_input": ["Toulon"]}))
    assert result.loc[0, "insee_code"] == "83137"
    result = geocode_offline(pd.DataFrame({"postcode": ["83990"]}))
    assert result.loc[0, "insee_code"] == "83119"
    result = geocode_offline(pd.DataFrame(index=[3]))
    assert result.loc[3, "geocode_precision"] == "none"


def test_empty_frame() -> None:
    result = geocode_offline(
        pd.DataFrame({"postcode": [], "commune_input": [], "latitude": [], "longitude": []})
    )
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert len(result) == 0


def test_nan_cells_are_empty() -> None:
    frame = pd.DataFrame({"postcode": [None, np.nan], "commune_input": [np.nan, "Toulon"]})
    result = geocode_offline(frame)
    assert result["insee_code"].tolist() == ["", "83137"]


# -- commune level ----------------------------------------------------------------------------


def test_exact_match_attaches_everything() -> None:
    row = geocode_one("83130", "La Garde")
    assert row["insee_code"] == "83062"
    assert row["commune"] == "La Garde"
    assert row["department"] == "83"
    assert row["epci"] == "248300543"
    assert row["epci_name"] == "Métropole Toulon-Provence-Méditerranée"
    assert (row["latitude"], row["longitude"]) == point_of("83062")
    assert row["geocode_precision"] == "municipality"
    assert row["geocode_source"] == "gazetteer"
    assert row["geocode_score"] == 1.0
    assert row["geocode_reason"]


@pytest.mark.parametrize(
    ("postcode", "commune", "expected"),
    [
        ("83130", "LA GARDE", "83062"),
        ("83130", "Garde (La)", "83062"),
        ("83130", "la-garde", "83062"),
        ("04120", "La Garde", "04092"),
        ("04120", "LA GARDE", "04092"),
        ("83990", "ST TROPEZ", "83119"),
        ("83990", "S<sup>t</sup>-Tropez", "83119"),
        ("84800", "L'ISLE SUR LA SORGUE", "84054"),
        ("84800", "Isle-sur-la-Sorgue (L')", "84054"),
        ("84800", "Isle sur la Sorgue", "84054"),  # article left out
        ("06000", "NICE CEDEX 1", "06088"),
        ("13100", "Aix en Provence", "13001"),
        ("20000", "AJACCIO", "2A004"),
        ("20200", "Bastia", "2B033"),
        ("97100", "Basse Terre", "97105"),
    ],
)
def test_postcode_and_name(postcode: str, commune: str, expected: str) -> None:
    row = geocode_one(postcode, commune)
    assert row["insee_code"] == expected, row["geocode_reason"]
    assert row["geocode_precision"] == "municipality"
    assert row["geocode_score"] >= 0.95


def test_homonyms_told_apart() -> None:
    assert geocode_one("83130", "La Garde")["insee_code"] == "83062"
    assert geocode_one("04120", "La Garde")["insee_code"] == "04092"
    alone = geocode_one("", "La Garde")
    assert alone["insee_code"] == "83062"  # PACA first, then the most populated
    assert alone["geocode_score"] < 0.8
    assert "3 communes" in alone["geocode_reason"]


def test_homonym_outside_paca_by_population() -> None:
    row = geocode_one("", "Saint-Denis")
    assert row["insee_code"] == "97411"
    assert row["geocode_score"] < 0.8
    assert "most populated" in row["geocode_reason"]
    assert geocode_one("", "Le Val")["insee_code"] == "83143"  # the PACA one


def test_commune_only_unique_name() -> None:
    row = geocode_one("", "Aix-en-Provence")
    assert row["insee_code"] == "13001"
    assert row["geocode_score"] == 1.0


# -- arrondissements --------------------------------------------------------------------------


def test_marseille_with_arrondissement_postcode() -> None:
    row = geocode_one("13008", "Marseille")
    assert row["insee_code"] == "13208"
    assert row["commune"] == "Marseille 8e Arrondissement"
    assert row["department"] == "13"
    assert row["epci"] == "200054807"
    assert (row["latitude"], row["longitude"]) == point_of("13208")
    assert row["geocode_precision"] == "municipality"
    assert row["geocode_score"] == 1.0


def test_marseille_without_postcode() -> None:
    row = geocode_one("", "MARSEILLE")
    assert row["insee_code"] == "13055"
    assert row["commune"] == "Marseille"
    assert (row["latitude"], row["longitude"]) == point_of("13055")
    assert row["geocode_precision"] == "municipality"
    assert row["geocode_score"] < 1.0
    assert "arrondissement" in row["geocode_reason"]


@pytest.mark.parametrize(
    ("postcode", "commune", "expected"),
    [
        ("", "Marseille 8e", "13208"),
        ("", "Marseille 8ème", "13208"),
        ("", "MARSEILLE 13008", "13208"),
        ("", "Marseille VIII", "13208"),
        ("13001", "MARSEILLE CEDEX 01", "13201"),
        ("13008", "", "13208"),
        ("", "13008", "13208"),
        ("69003", "Lyon", "69383"),
        ("", "Lyon 3e", "69383"),
        ("", "Paris 15e", "75115"),
        ("75015", "PARIS", "75115"),
        ("75116", "Paris", "75116"),
        ("75015", "", "75115"),
    ],
)
def test_arrondissements(postcode: str, commune: str, expected: str) -> None:
    row = geocode_one(postcode, commune)
    assert row["insee_code"] == expected, row["geocode_reason"]
    assert row["geocode_precision"] == "municipality"


def test_marseille_with_non_arrondissement_postcode() -> None:
    row = geocode_one("13400", "Marseille")  # Aubagne's postcode
    assert row["insee_code"] == "13055"
    assert row["geocode_score"] < 1.0
    assert "13400" in row["geocode_reason"]


# -- postcodes --------------------------------------------------------------------------------


def test_shared_postcode_name_decides() -> None:
    assert geocode_one("83136", "Rocbaron")["insee_code"] == "83106"
    assert geocode_one("83136", "GAREOULT")["insee_code"] == "83064"
    assert geocode_one("83136", "Ste Anastasie sur Issole")["insee_code"] == "83111"


def test_shared_postcode_without_name() -> None:
    row = geocode_one("83136", "")
    assert row["insee_code"] == "83064"  # Garéoult, the most populated of 8
    assert row["geocode_score"] <= 0.5
    assert "shared by 8 communes" in row["geocode_reason"]


def test_postcode_only_unique() -> None:
    row = geocode_one("83990", "")
    assert row["insee_code"] == "83119"
    assert 0.5 < row["geocode_score"] < 1.0
    assert "postcode" in row["geocode_reason"]


def test_wrong_postcode_same_department() -> None:
    row = geocode_one("83500", "Toulon")  # La Seyne's postcode
    assert row["insee_code"] == "83137"
    assert row["geocode_score"] < 1.0
    assert "83500" in row["geocode_reason"]


def test_wrong_postcode_other_department() -> None:
    row = geocode_one("13090", "Toulon")
    assert row["insee_code"] == "83137"
    assert row["geocode_score"] <= 0.7


def test_wrong_postcode_in_corsica() -> None:
    assert geocode_one("20000", "Bastia")["insee_code"] == "2B033"


def test_cedex_postcode() -> None:
    row = geocode_one("13616", "Aix en Provence cedex 1")
    assert row["insee_code"] == "13001"
    assert "unknown postcode 13616" in row["geocode_reason"]


def test_invalid_postcode_is_ignored_with_a_note() -> None:
    row = geocode_one("6000", "Nice")
    assert row["insee_code"] == "06088"
    assert "invalid postcode '6000'" in row["geocode_reason"]


def test_unrecognised_name_falls_back_to_postcode() -> None:
    row = geocode_one("83990", "Quartier de la Ponche")
    assert row["insee_code"] == "83119"
    assert row["geocode_score"] < 0.9
    assert "not recognised" in row["geocode_reason"]


# -- fuzzy ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "commune", "expected"),
    [
        ("83990", "Saint-Tropz", "83119"),
        ("83130", "La Grade", "83062"),
        ("06000", "Nicce", "06088"),
        ("84800", "LISLE SUR LA SORGUE", "84054"),
        ("", "Teulon", "83137"),
        ("", "Sainte Maxim", "83115"),
        ("", "Aix en Provance", "13001"),
    ],
)
def test_typos(postcode: str, commune: str, expected: str) -> None:
    row = geocode_one(postcode, commune)
    assert row["insee_code"] == expected, row["geocode_reason"]
    assert 0 < row["geocode_score"] < 1.0
    assert "close to" in row["geocode_reason"] or "not recognised" in row["geocode_reason"]


# -- nothing usable ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "commune", "reason"),
    [
        ("", "", "no postcode or commune given"),
        ("", "Zzyzx Qwerty", "not found"),
        ("13999", "", "unknown postcode 13999"),
        ("", "---", "no commune name"),
    ],
)
def test_nothing_usable(postcode: str, commune: str, reason: str) -> None:
    row = geocode_one(postcode, commune)
    assert row["geocode_precision"] == "none"
    assert row["geocode_source"] == "none"
    assert row["insee_code"] == "" and row["commune"] == "" and row["department"] == ""
    assert math.isnan(row["latitude"]) and math.isnan(row["longitude"])
    assert row["geocode_score"] == 0.0
    assert reason in row["geocode_reason"]


# -- provided coordinates ---------------------------------------------------------------------


def test_provided_coordinates_keep_named_commune() -> None:
    lat, lon = 43.1300, 6.0200
    row = geocode_one("83130", "La Garde", lat, lon)
    assert (row["latitude"], row["longitude"]) == (lat, lon)
    assert row["geocode_precision"] == "provided"
    assert row["geocode_source"] == "survey"
    assert row["geocode_score"] == 1.0
    assert row["insee_code"] == "83062"
    assert "km from" not in row["geocode_reason"]


def test_provided_coordinates_without_commune_use_polygon() -> None:
    lat, lon = point_of("84007")
    row = geocode_one("", "", lat, lon)
    assert row["insee_code"] == "84007"
    assert row["geocode_precision"] == "provided"
    assert "polygon" in row["geocode_reason"]
    lat, lon = point_of("13208")
    assert geocode_one("", "", lat, lon)["insee_code"] == "13208"


def test_provided_coordinates_outside_paca_use_nearest_point() -> None:
    lat, lon = point_of("69383")
    row = geocode_one("", "", lat + 0.0005, lon)
    assert row["insee_code"] == "69383"
    assert "nearest" in row["geocode_reason"]


def test_provided_coordinates_far_from_named_commune() -> None:
    lat, lon = point_of("06088")  # Nice
    row = geocode_one("83130", "La Garde", lat, lon)
    assert row["geocode_precision"] == "provided"
    assert row["insee_code"] == "83062"
    assert "km from" in row["geocode_reason"]


def test_ambiguous_commune_yields_to_coordinates() -> None:
    lat, lon = point_of("83106")  # Rocbaron, sharing 83136 with 7 others
    row = geocode_one("83136", "", lat, lon)
    assert row["insee_code"] == "83106"
    assert row["geocode_precision"] == "provided"


@pytest.mark.parametrize(("lat", "lon"), [(0.0, 0.0), (5.93, 43.12), (51.5, -0.12), (NAN, 5.9)])
def test_unusable_coordinates_fall_back_to_commune(lat: float, lon: float) -> None:
    row = geocode_one("83130", "La Garde", lat, lon)
    assert row["geocode_precision"] == "municipality"
    assert row["insee_code"] == "83062"
    assert (row["latitude"], row["longitude"]) == point_of("83062")
    if not (math.isnan(lat) or math.isnan(lon)):
        assert "outside France" in row["geocode_reason"]


# -- vectorized behaviour ---------------------------------------------------------------------


def test_rows_resolved_independently_of_their_neighbours() -> None:
    cases = [
        ("83130", "La Garde"),
        ("04120", "La Garde"),
        ("13008", "Marseille"),
        ("", ""),
        ("83136", ""),
        ("", "Teulon"),
    ]
    singles = [geocode_one(pc, c)["insee_code"] for pc, c in cases]
    frame = pd.DataFrame(cases * 50, columns=["postcode", "commune_input"])
    frame = frame.sample(frac=1.0, random_state=3)
    result = geocode_offline(frame)
    assert len(result) == len(frame)
    assert result.index.equals(frame.index)
    expected = [singles[i % len(cases)] for i in frame.index]
    assert result["insee_code"].tolist() == expected


def test_deterministic() -> None:
    frame = pd.DataFrame(
        {
            "postcode": ["83136", "", "13008", "06000"],
            "commune_input": ["", "La Garde", "", "Nicce"],
        }
    )
    pd.testing.assert_frame_equal(geocode_offline(frame), geocode_offline(frame))


def test_scores_in_range() -> None:
    frame = pd.DataFrame(
        {
            "postcode": ["83136", "", "13008", "06000", "99999", "13090"],
            "commune_input": ["", "La Garde", "", "Nicce", "x", "Toulon"],
        }
    )
    scores = geocode_offline(frame)["geocode_score"]
    assert ((scores >= 0) & (scores <= 1)).all()

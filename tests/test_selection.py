"""Selection of actors by commune, department, EPCI, theme, stop and distance."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest

from safi_map.analysis.selection import Selection, describe, resolve_commune, select
from safi_map.geo import gazetteer
from safi_map.model.public import ACTOR_COLUMNS

THEMES = [
    {"slug": "insertion", "label": "Insertion et emploi", "colour": "#1b9e77"},
    {"slug": "culture", "label": "Culture", "colour": "#984ea3"},
]


def crafted(rows: list[dict]) -> gpd.GeoDataFrame:
    """Actors at known communes; ``dlat``/``dlon`` offset from the commune point (degrees)."""
    table = gazetteer.communes().set_index("code_insee")
    records = []
    for i, row in enumerate(rows):
        code = row["insee"]
        c = table.loc[code]
        located = row.get("located", True)
        lat = c["latitude"] + row.get("dlat", 0.0) if located else math.nan
        lon = c["longitude"] + row.get("dlon", 0.0) if located else math.nan
        rec = dict.fromkeys(ACTOR_COLUMNS, "")
        rec.update({
            "actor_id": f"a{i:02d}", "name": row.get("name", f"Acteur {i}"),
            "themes": row.get("themes", ["insertion"]), "commune": c["nom"], "insee_code": code,
            "department": c["departement"], "epci": c["epci_code"], "epci_name": c["epci_nom"],
            "postcode": c["codes_postaux"].split("|")[0], "latitude": lat, "longitude": lon,
            "geocode_precision": "municipality" if located else "none",
            "needs": [], "offers": [], "stops": row.get("stops", []), "sources": [f"t.csv:{i}"],
            "last_seen": row.get("last_seen", "2015-09-28"), "first_seen": "2015-09-28",
            "contact_consent": row.get("consent", False), "geocode_score": 0.7,
            "email": row.get("email", ""), "phone": row.get("phone", ""),
            "address": row.get("address", ""), "description": row.get("description", ""),
            "website": row.get("website", ""), "siret": row.get("siret", ""),
        })
        rec["geometry"] = None
        records.append(rec)
    frame = pd.DataFrame(records, columns=list(ACTOR_COLUMNS))
    geoms = [None if math.isnan(la) else g for g, la in zip(
        gpd.points_from_xy(frame["longitude"], frame["latitude"]), frame["latitude"], strict=True)]
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geoms, crs="EPSG:4326")


@pytest.fixture(scope="module")
def actors() -> gpd.GeoDataFrame:
    return crafted([
        {"insee": "83137", "themes": ["insertion"], "stops": ["toulon"]},
        {"insee": "83137", "themes": ["culture", "insertion"], "stops": ["toulon"], "dlat": 0.002},
        {"insee": "83137", "themes": ["culture"], "stops": ["toulon", "nice"], "dlon": 0.003},
        {"insee": "83137", "themes": ["culture"], "located": False},
        {"insee": "83126", "themes": ["insertion"], "stops": ["toulon"]},  # La Seyne-sur-Mer
        {"insee": "83126", "themes": ["culture"]},
        {"insee": "13208", "themes": ["insertion"], "stops": ["marseille"]},  # Marseille 8e
        {"insee": "13208", "themes": ["culture"]},
        {"insee": "13201", "themes": ["culture"]},  # Marseille 1er
        {"insee": "05061", "themes": ["insertion"], "stops": ["gap"]},  # Gap
        {"insee": "05061", "themes": ["culture"], "stops": ["gap"], "dlat": 0.05},  # ~5.6 km N
        {"insee": "06088", "themes": ["insertion"]},  # Nice
    ])


def ids(frame: gpd.GeoDataFrame) -> list[str]:
    return sorted(frame["actor_id"])


def test_empty_selection_keeps_everything(actors):
    assert len(select(actors, None)) == 12
    assert len(select(actors, Selection())) == 12


@pytest.mark.parametrize(("communes", "expected"), [
    (["Toulon"], 4),
    (["TOULON"], 4),
    (["83137"], 4),
    (["la seyne sur mer"], 2),
    (["Marseille"], 3),  # the city selects its arrondissements
    (["Marseille 8e"], 2),
    (["toulon", "05061"], 6),
])
def test_communes(actors, communes, expected):
    assert len(select(actors, Selection(communes=communes))) == expected


def test_departments_by_code_or_name(actors):
    assert len(select(actors, Selection(departments=["Var"]))) == 6
    assert len(select(actors, Selection(departments=["83", "5"]))) == 8
    assert len(select(actors, Selection(departments=["bouches du rhone"]))) == 3


def test_epci_by_name(actors):
    sel = Selection(epcis=["Métropole Toulon-Provence-Méditerranée"])
    assert ids(select(actors, sel)) == ["a00", "a01", "a02", "a03", "a04", "a05"]


def test_criteria_combine_with_and(actors):
    sel = Selection(departments=["83"], themes=["insertion"])
    assert ids(select(actors, sel)) == ["a00", "a01", "a04"]
    sel = Selection(themes=["Culture"], stops=["toulon"])
    assert ids(select(actors, sel, taxonomy=THEMES)) == ["a01", "a02"]


def test_around_radius_uses_great_circle_distance(actors):
    # Toulon and La Seyne-sur-Mer points are ~6 km apart; the unlocated actor never matches.
    assert ids(select(actors, Selection(around="Toulon", radius_km=10))) == [
        "a00", "a01", "a02", "a04", "a05"]
    assert ids(select(actors, Selection(around="Toulon", radius_km=1))) == ["a00", "a01", "a02"]
    # 0.05 degree of latitude = 5.56 km
    assert ids(select(actors, Selection(around="gap", radius_km=5.5))) == ["a09"]
    assert ids(select(actors, Selection(around="gap", radius_km=5.6))) == ["a09", "a10"]


def test_unknown_commune_names_value_and_suggests(actors):
    with pytest.raises(ValueError, match=r"'Toulonn'.*'Toulon'"):
        select(actors, Selection(communes=["Toulonn"]))


def test_unknown_department_theme_stop(actors):
    with pytest.raises(ValueError, match="'Varr'"):
        select(actors, Selection(departments=["Varr"]))
    with pytest.raises(ValueError, match=r"'insertio'.*'insertion'"):
        select(actors, Selection(themes=["insertio"]), taxonomy=THEMES)
    tour = [{"id": "toulon", "town": "Toulon"}, {"id": "gap", "town": "Gap"}]
    with pytest.raises(ValueError, match="'tolon'"):
        select(actors, Selection(stops=["tolon"]), tour=tour)
    assert len(select(actors, Selection(stops=["Gap"]), tour=tour)) == 2


def test_around_and_radius_go_together():
    with pytest.raises(ValueError):
        Selection(around="Toulon")
    with pytest.raises(ValueError):
        Selection(around="Toulon", radius_km=0)


def test_resolve_commune_prefers_paca_and_lists_arrondissements():
    marseille = resolve_commune("marseille")
    assert marseille.code == "13055"
    assert len(marseille.codes) == 17
    assert resolve_commune("St Raphaël".replace("St", "Saint")).code == "83118"


def test_describe_in_french():
    assert describe(None) == ""
    assert describe(Selection(communes=["toulon"], themes=["insertion"]), taxonomy=THEMES) == (
        "Toulon · thème Insertion et emploi")
    sel = Selection(departments=["83", "84"], themes=["insertion", "culture"])
    assert describe(sel, taxonomy=THEMES) == (
        "Var (83) et Vaucluse (84) · thèmes Insertion et emploi et Culture")
    assert describe(Selection(around="gap", radius_km=7.5)) == "à 7,5 km autour de Gap"

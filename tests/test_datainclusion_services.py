"""data·inclusion services (#16.8) and ``horaires_accueil`` (#16.3), validated by schema v1."""

from __future__ import annotations

import csv
import io
import json

import pytest
from test_selection import crafted

from safi_map.export.datainclusion import (
    DataInclusionError,
    load_thematiques,
    to_structures,
    validate_structures,
    write_datainclusion,
)
from safi_map.export.datainclusion_services import (
    SERVICE_FIELDS,
    load_service_schema,
    to_services,
    validate_services,
)

TAXONOMY = [
    {"slug": "insertion", "label": "Insertion et emploi", "colour": "#1b9e77",
     "datainclusion": ["trouver-un-emploi"]},
    {"slug": "alimentation", "label": "Alimentation", "colour": "#7570b3",
     "datainclusion": ["equipement-et-alimentation--alimentation"]},
    {"slug": "culture", "label": "Culture", "colour": "#984ea3"},
]


@pytest.fixture(scope="module")
def actors():
    frame = crafted([
        {"insee": "83137", "name": "Épicerie solidaire", "consent": True,
         "themes": ["alimentation", "insertion", "culture"], "email": "contact@epi.example.org",
         "description": "Une épicerie solidaire et un chantier d'insertion."},
        {"insee": "83137", "name": "Jardin partagé", "consent": False,
         "themes": ["alimentation"], "email": "secret@jardin.example.org",
         "phone": "06 11 22 33 44"},
        {"insee": "83137", "name": "=HYPERLINK(\"http://x\")", "themes": ["culture"]},
    ])
    frame["opening_hours"] = ["Mo-Fr 09:00-12:00,14:00-17:00; PH off",
                              "le matin, selon la saison", ""]
    return frame


def test_the_packaged_schema_is_v1_services():
    schema = load_service_schema()
    assert set(schema["required"]) == {"source", "structure_id", "id", "nom", "description",
                                       "date_maj"}
    assert set(SERVICE_FIELDS) == set(schema["properties"])


def test_structures_carry_osm_hours_only(actors):
    structures = to_structures(actors, taxonomy=TAXONOMY)
    assert validate_structures(structures) == []
    assert [s["horaires_accueil"] for s in structures] == [
        "Mo-Fr 09:00-12:00,14:00-17:00; PH off", None, None]  # text kept as written: not OSM


def test_one_service_per_mapped_theme_validates(actors):
    structures = to_structures(actors, taxonomy=TAXONOMY)
    services = to_services(actors, structures, taxonomy=TAXONOMY)
    assert validate_services(services) == []
    assert [s["id"] for s in services] == ["safi-map--a00--alimentation",
                                           "safi-map--a00--insertion",
                                           "safi-map--a01--alimentation"]
    food, job, garden = services
    assert food["structure_id"] == "safi-map--a00" and food["nom"] == "Alimentation"
    assert food["thematiques"] == ["equipement-et-alimentation--alimentation"]
    assert set(job["thematiques"]) <= set(load_thematiques()) and job["thematiques"]
    assert all(t.startswith("trouver-un-emploi--") for t in job["thematiques"])
    assert food["horaires_accueil"] == "Mo-Fr 09:00-12:00,14:00-17:00; PH off"
    assert food["courriel"] == "contact@epi.example.org"
    assert food["description"] == "Une épicerie solidaire et un chantier d'insertion."
    # no consent: no contact in the service either; no description: one is composed
    assert garden["courriel"] is None and garden["telephone"] is None
    assert garden["description"] == "Alimentation : Jardin partagé, Toulon."
    assert garden["horaires_accueil"] is None


def test_invalid_services_are_named():
    problems = validate_services([{"source": "safi-map", "id": "x", "structure_id": "s",
                                   "nom": "ab", "description": "une description",
                                   "date_maj": "2015-09-28", "thematiques": ["pas-un-theme"]}])
    assert any("'nom'" in p for p in problems)
    assert any("thematiques" in p for p in problems)


def test_written_beside_structures_formula_safe_and_deterministic(actors, tmp_path):
    first = write_datainclusion(actors, tmp_path / "a" / "di.json", taxonomy=TAXONOMY)
    again = write_datainclusion(actors, tmp_path / "b" / "di.json", taxonomy=TAXONOMY)
    assert first.services == 3
    assert [p.read_bytes() for p in first.paths] == [p.read_bytes() for p in again.paths]
    services_json, services_csv = first.paths[2], first.paths[3]
    assert len(json.loads(services_json.read_text("utf-8"))) == 3
    rows = list(csv.reader(io.StringIO(services_csv.read_text("utf-8"))))
    assert rows[0][: len(SERVICE_FIELDS)] == list(SERVICE_FIELDS)
    structures_csv = first.paths[1].read_text("utf-8")
    assert "'=HYPERLINK" in structures_csv and ",=HYPERLINK" not in structures_csv
    assert all(b"secret@jardin" not in p.read_bytes() for p in first.paths)


def test_an_invalid_service_stops_a_strict_export(actors, tmp_path, monkeypatch):
    import safi_map.export.datainclusion_services as services_mod

    monkeypatch.setattr(services_mod, "_name", lambda label: "ab")
    with pytest.raises(DataInclusionError) as info:
        write_datainclusion(actors, tmp_path / "di.json", taxonomy=TAXONOMY)
    assert "safi-map--a00--alimentation" in str(info.value)
    assert not (tmp_path / "di.json").exists()
    result = write_datainclusion(actors, tmp_path / "di.json", taxonomy=TAXONOMY, strict=False)
    assert result.services == 0 and "safi-map--a00--alimentation" in result.skipped

"""data·inclusion export: schema validity, consent, fixes, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_selection import crafted

from safi_map.export.datainclusion import (
    SCHEMA_FIELDS,
    DataInclusionError,
    load_schema,
    load_thematiques,
    to_structures,
    validate_structures,
    write_datainclusion,
)
from safi_map.model.synthetic import synthetic_actors, synthetic_taxonomy

TAXONOMY = [
    {"slug": "insertion", "label": "Insertion et emploi", "colour": "#1b9e77",
     "datainclusion": ["trouver-un-emploi", "se-former--trouver-sa-formation"]},
    {"slug": "culture", "label": "Culture", "colour": "#984ea3"},
]


@pytest.fixture(scope="module")
def actors():
    return crafted([
        {"insee": "83137", "name": "Association Les Amis.", "consent": True,
         "email": "contact@amis.example.org", "phone": "04 94 12 34 56",
         "address": "12 rue Pasteur", "website": "https://amis.example.org",
         "description": "Accompagnement vers l'emploi.", "siret": "12345678901234"},
        {"insee": "83137", "name": "Épicerie « Le Panier »", "consent": False,
         "email": "secret-epicerie@example.org", "phone": "06 11 22 33 44",
         "address": "7 impasse des Secrets", "themes": ["culture"], "last_seen": ""},
        {"insee": "13208", "name": "X" * 200, "located": False, "website": "javascript:alert(1)",
         "description": "ok", "last_seen": "2015-10-12"},
    ])


def test_records_follow_schema_and_mapping(actors):
    structures = to_structures(actors, taxonomy=TAXONOMY, site_url="https://safi.example.org/")
    assert validate_structures(structures) == []
    assert [s["id"] for s in structures] == ["safi-map--a00", "safi-map--a01", "safi-map--a02"]
    first, second, third = structures
    assert first["source"] == "safi-map"
    assert first["nom"] == "Association Les Amis"  # trailing dot removed
    assert first["telephone"] == "+33494123456"
    assert first["courriel"] == "contact@amis.example.org"
    assert first["adresse"] == "12 rue Pasteur"
    assert first["code_insee"] == "83137" and first["code_postal"] == "83000"
    assert first["siret"] == "12345678901234"
    assert first["lien_source"] == "https://safi.example.org/acteurs/a00.html"
    assert first["latitude"] == pytest.approx(43.119695, abs=1e-6)
    # themes -> thematiques from prefixes, all in the v1 vocabulary
    vocabulary = set(load_thematiques())
    assert set(first["thematiques"]) <= vocabulary
    assert "se-former--trouver-sa-formation" in first["thematiques"]
    assert all(t.startswith(("trouver-un-emploi--", "se-former--trouver-sa-formation"))
               for t in first["thematiques"])
    assert "thematiques" not in second  # culture has no data·inclusion mapping
    # no consent: no contact of any kind
    assert second["courriel"] is None and second["telephone"] is None
    assert second["adresse"] is None
    assert second["date_maj"] == "2015-10-12"  # no last_seen: the date of the data
    assert len(third["nom"]) == 150 and third["nom"].endswith("…")
    assert third["latitude"] is None and third["longitude"] is None
    assert third["site_web"] is None and third["description"] is None
    assert set(SCHEMA_FIELDS) <= set(first)


def test_strictly_schema_records_without_thematiques(actors):
    structures = to_structures(actors, taxonomy=TAXONOMY, thematiques=False)
    schema_props = set(load_schema()["properties"])
    assert all(set(s) == schema_props for s in structures)


def test_non_consented_contacts_absent_from_files(actors, tmp_path):
    result = write_datainclusion(actors, tmp_path / "di.json", taxonomy=TAXONOMY)
    assert [p.name for p in result.paths] == ["di.json", "di.csv", "di-services.json",
                                              "di-services.csv"]
    for path in result.paths:
        data = path.read_bytes()
        for secret in (b"secret-epicerie", b"06 11 22 33 44", b"+33611223344", b"Secrets"):
            assert secret not in data, (path.name, secret)
        assert b"contact@amis.example.org" in data
        if "services" not in path.name:  # the épicerie's only theme is no data·inclusion service
            assert "Épicerie « Le Panier »".encode() in data
        assert b"t.csv" not in data  # sources never published


def test_invalid_records_are_named(actors):
    bad = actors.copy()
    bad.loc[0, "name"] = "AB"
    bad.loc[1, "postcode"] = "8300"  # fixed: dropped rather than invalid
    with pytest.raises(DataInclusionError) as info:
        write_datainclusion(bad, "/nonexistent/never-written.json")
    message = str(info.value)
    assert "safi-map--a00" in message and "'nom'" in message and "'AB'" in message
    assert "a01" not in message


def test_lenient_mode_leaves_invalid_records_out(actors, tmp_path):
    bad = actors.copy()
    bad.loc[0, "name"] = "AB"
    result = write_datainclusion(bad, tmp_path / "di.json", strict=False)
    assert result.written == 2 and result.skipped == ("safi-map--a00",)
    written = json.loads((tmp_path / "di.json").read_text(encoding="utf-8"))
    assert [s["id"] for s in written] == ["safi-map--a01", "safi-map--a02"]


def test_schema_catches_a_broken_record():
    record = {"source": "safi-map", "id": "safi-map--x", "nom": "ok", "date_maj": "hier",
              "code_postal": "123"}
    problems = validate_structures([record])
    fields = " ".join(problems)
    assert "'nom'" in fields and "'date_maj'" in fields and "'code_postal'" in fields


def test_synthetic_region_validates_and_is_deterministic(tmp_path):
    actors = synthetic_actors(400, seed=4)
    a = write_datainclusion(actors, tmp_path / "a.json", taxonomy=synthetic_taxonomy())
    shuffled = actors.sample(frac=1.0, random_state=1)
    b = write_datainclusion(shuffled, tmp_path / "b.json", taxonomy=synthetic_taxonomy())
    assert a.written == 400
    for pa, pb in zip(a.paths, b.paths, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    assert "<script>" in text  # kept as data: escaping is the consumer's job, never dropped
    assert validate_structures(json.loads(text)) == []


def test_files_are_written_atomically(actors, tmp_path, monkeypatch):
    """A write that fails half-way (a full disk) leaves the previous files whole."""
    first = write_datainclusion(actors, tmp_path / "di.json", taxonomy=TAXONOMY)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = Path.write_bytes

    def disk_full(self, data):
        real(self, data[: len(data) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", disk_full)
    with pytest.raises(OSError):
        write_datainclusion(actors.head(1), tmp_path / "di.json", taxonomy=TAXONOMY)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert {p.name for p in first.paths} == set(before)

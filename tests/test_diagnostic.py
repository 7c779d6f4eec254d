"""Territorial diagnostic: exact coverage figures, zones blanches, CSV, page structure."""

from __future__ import annotations

import csv
import io

import pytest
from test_synergies import TAXONOMY_TOML, make_actors

from safi_map.analysis.diagnostic import coverage, diagnostic_csv
from safi_map.geo import gazetteer
from safi_map.model.synthetic import synthetic_actors
from safi_map.model.taxonomy import load_taxonomy

ALL = ["insertion", "culture", "sport"]  # themes of the test taxonomy ("autre" never a gap)


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory):
    path = tmp_path_factory.mktemp("tx") / "taxonomy.toml"
    path.write_text(TAXONOMY_TOML, encoding="utf-8")
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def actors():
    return make_actors([
        {"actor_id": "d-1", "name": "Un", "insee_code": "83137", "themes": ["insertion"]},
        {"actor_id": "d-2", "name": "Deux", "insee_code": "83137",
         "themes": ["insertion", "culture", "insertion"]},
        # An arrondissement counts in Marseille (13055) at the commune level.
        {"actor_id": "d-3", "name": "Trois", "insee_code": "13208", "themes": ["culture"]},
        {"actor_id": "d-4", "name": "Quatre", "insee_code": "05061", "themes": ["sport"],
         "contact_consent": False, "email": "cache-d4@example.org", "phone": "04 92 00 00 04"},
        {"actor_id": "d-5", "name": "Cinq", "insee_code": "05061", "themes": ["autre"]},
        # Not placed: no commune; and a Paris actor, outside PACA.
        {"actor_id": "d-6", "name": "Six", "themes": ["sport"]},
        {"actor_id": "d-7", "name": "Sept", "insee_code": "75056", "themes": ["sport"]},
    ])


@pytest.fixture(scope="module")
def gaz():
    c = gazetteer.communes()
    return c[(c["type"] == "COM") & c["departement"].isin(gazetteer.PACA_DEPARTMENTS)]


def test_commune_level_exact(actors, taxonomy, gaz):
    cov = coverage(actors, taxonomy=taxonomy, level="commune")
    assert len(cov) == len(gaz) == 946
    assert list(cov["code"]) == sorted(cov["code"])
    assert cov.attrs["outside"] == 2
    pop = gaz.set_index("code_insee")["population"]
    row = cov.set_index("code").loc["83137"]
    assert row["name"] == "Toulon"
    assert row["population"] == pop["83137"]
    assert row["actors"] == 2
    assert row["per_10k"] == pytest.approx(2 * 10_000 / pop["83137"])
    assert (row["n_insertion"], row["n_culture"], row["n_sport"]) == (2, 1, 0)
    assert row["zones_blanches"] == ["sport"]
    marseille = cov.set_index("code").loc["13055"]
    assert marseille["actors"] == 1 and marseille["population"] == pop["13055"]
    assert marseille["zones_blanches"] == ["insertion", "sport"]
    gap = cov.set_index("code").loc["05061"]
    assert gap["actors"] == 2 and gap["n_sport"] == 1 and gap["n_autre"] == 1
    assert gap["zones_blanches"] == ["insertion", "culture"]
    assert gap["per_10k"] == pytest.approx(2 * 10_000 / pop["05061"])
    empty = cov[cov["actors"] == 0]
    assert len(empty) == 946 - 3
    assert all(z == ALL for z in empty["zones_blanches"])
    assert (empty["per_10k"] == 0).all()
    assert cov["actors"].sum() == 5


def test_epci_level_exact(actors, taxonomy, gaz):
    cov = coverage(actors, taxonomy=taxonomy, level="epci").set_index("code")
    assert len(cov) == gaz["epci_code"].nunique()
    toulon_epci = gaz.set_index("code_insee").loc["83137", "epci_code"]
    expected_pop = gaz.loc[gaz["epci_code"] == toulon_epci, "population"].sum()
    row = cov.loc[toulon_epci]
    assert row["population"] == expected_pop
    assert row["actors"] == 2
    assert row["per_10k"] == pytest.approx(2 * 10_000 / expected_pop)
    assert row["zones_blanches"] == ["sport"]
    gap_epci = gaz.set_index("code_insee").loc["05061", "epci_code"]
    assert cov.loc[gap_epci, "zones_blanches"] == ["insertion", "culture"]
    with_actors = {c for c in cov.index if cov.loc[c, "actors"]}
    marseille_epci = gaz.set_index("code_insee").loc["13055", "epci_code"]
    assert with_actors == {toulon_epci, gap_epci, marseille_epci}


def test_department_level_exact(actors, taxonomy, gaz):
    cov = coverage(actors, taxonomy=taxonomy, level="department").set_index("code")
    assert list(cov.index) == ["04", "05", "06", "13", "83", "84"]
    pops = gaz.groupby("departement")["population"].sum()
    for code in cov.index:
        assert cov.loc[code, "population"] == pops[code]
    assert cov["actors"].to_dict() == {"04": 0, "05": 2, "06": 0, "13": 1, "83": 2, "84": 0}
    assert cov.loc["83", "per_10k"] == pytest.approx(2 * 10_000 / pops["83"])
    zones = cov["zones_blanches"].to_dict()
    assert zones == {"04": ALL, "05": ["insertion", "culture"], "06": ALL,
                     "13": ["insertion", "sport"], "83": ["sport"], "84": ALL}
    assert cov.loc["05", "name"] == "Hautes-Alpes"


def test_department_fallback_without_commune(taxonomy):
    actors = make_actors([{"actor_id": "f-1", "name": "F", "department": "84",
                           "themes": ["sport"]}])
    assert coverage(actors, taxonomy=taxonomy, level="department").set_index(
        "code").loc["84", "actors"] == 1
    assert coverage(actors, taxonomy=taxonomy, level="commune").attrs["outside"] == 1
    with pytest.raises(ValueError, match="level"):
        coverage(actors, taxonomy=taxonomy, level="region")


def test_csv(actors, taxonomy, gaz):
    cov = coverage(actors, taxonomy=taxonomy, level="department")
    text = diagnostic_csv(cov, taxonomy=taxonomy)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0] == ["Code", "Territoire", "Département", "Population", "Structures",
                       "Structures pour 10 000 habitants", "Insertion et emploi",
                       "Culture et médias", "Sport et loisirs", "Autre",
                       "Zones blanches (thématiques sans structure)"]
    var = next(r for r in rows if r[0] == "83")
    pop83 = gaz.loc[gaz["departement"] == "83", "population"].sum()
    assert var[3] == str(pop83)
    assert var[5] == f"{2 * 10_000 / pop83:.2f}".replace(".", ",")
    assert var[6:10] == ["2", "1", "0", "0"]
    assert var[10] == "Sport et loisirs"


def test_synthetic_totals_agree_across_levels():
    actors = synthetic_actors(300, seed=4)
    taxonomy = load_taxonomy()
    totals = {lv: coverage(actors, taxonomy=taxonomy, level=lv) for lv in
              ("commune", "epci", "department")}
    sums = {lv: int(f["actors"].sum()) + f.attrs["outside"] for lv, f in totals.items()}
    assert sums == {"commune": 300, "epci": 300, "department": 300}
    com = totals["commune"]
    assert int(com["n_insertion"].sum()) == sum(
        "insertion" in t for t in actors["themes"] if t is not None)

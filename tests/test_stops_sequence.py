"""Three tour stops in sequence, as a coordinator runs them (issue: regenerate after each stop).

An actor met again at a later stop, one that changes address, one removed from the surveys, a
manual correction: ids stay stable, the change report is exact, the correction survives, and a
rebuild with unchanged inputs geocodes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from safi_map import ingest, load_settings, write_ingest_outputs

TOUR = """
[[stops]]
id = "toulon"
town = "Toulon"
date = 2015-09-28
venue = "TVT Innovation"
surveys = ["surveys/toulon.csv"]

[[stops]]
id = "nice"
town = "Nice"
date = 2015-10-15
venue = "Pôle ESS"
surveys = ["surveys/nice.csv"]

[[stops]]
id = "gap"
town = "Gap"
date = 2015-11-05
venue = "Médiathèque"
surveys = ["surveys/gap.csv"]
"""

HEADER = ("Nom de la structure;Statut;Thématique(s);Adresse;CP;Ville;Accord de publication;"
          "SIRET\n")
TOULON = HEADER + (
    "Les Jardins du Partage;Association;Alimentation;1 rue A;83000;Toulon;oui;\n"
    "Atelier Vélo Solidaire;Association;Mobilité;2 rue B;83000;Toulon;non;\n"
    "Radio Rivage;Association;Culture;3 rue C;83400;Hyères;oui;\n"
)
NICE = HEADER + (
    # met again, with a new description of its themes
    "LES JARDINS DU PARTAGE;Association;Alimentation, Environnement;1 rue A;83000;TOULON;oui;\n"
    "Epicerie Azur;SCIC;Solidarité;4 rue D;6000;NICE;oui;73282932000074\n"
)


@pytest.fixture()
def project(make_project: Any) -> Path:
    return make_project(tour=TOUR).root


def run(project: Path) -> tuple[object, dict]:
    settings = load_settings(base=project)
    result = ingest(settings=settings)
    write_ingest_outputs(result, settings.out)
    changes = json.loads((settings.out / "changes.json").read_text(encoding="utf-8"))
    return result, changes


def survey(project: Path, name: str, text: str) -> None:
    (project / "data" / "surveys" / name).write_bytes(text.encode("cp1252"))


def test_three_stops(project):
    # Stop 1
    survey(project, "toulon.csv", TOULON)
    first, changes = run(project)
    ids1 = set(first.actors["actor_id"])
    assert ids1 == {"les-jardins-du-partage-83137", "atelier-velo-solidaire-83137",
                    "radio-rivage-83069"}
    assert changes["first_build"] is True and changes["new"] == sorted(ids1)

    # A manual correction, then stop 2: one actor met again, one new
    (project / "data" / "corrections.toml").write_text(
        '[[move]]\nactor_id = "radio-rivage-83069"\nlatitude = 43.1\nlongitude = 6.13\n',
        encoding="utf-8")
    survey(project, "nice.csv", NICE)
    second, changes = run(project)
    assert second.files_reused == 1, "only the new file is read and geocoded"
    actors = second.actors.set_index("actor_id")
    assert set(actors.index) == ids1 | {"epicerie-azur-06088"}
    assert actors.loc["les-jardins-du-partage-83137", "stops"] == ["toulon", "nice"]
    assert actors.loc["les-jardins-du-partage-83137", "themes"] == ["alimentation",
                                                                    "environnement"]
    assert (actors.loc["radio-rivage-83069", "latitude"],
            actors.loc["radio-rivage-83069", "geocode_source"]) == (43.1, "correction")
    assert changes["new"] == ["epicerie-azur-06088"]
    assert changes["changed"] == {"les-jardins-du-partage-83137": ["themes", "stops"]}
    assert list(changes["geocoding"]) == ["radio-rivage-83069"]
    assert changes["removed"] == []

    # Unchanged inputs: nothing read or geocoded again, no change reported
    again, changes = run(project)
    assert again.files_reused == 2
    assert changes["summary"] == {k: 0 for k in changes["summary"]}

    # Stop 3: Radio Rivage is removed from the Toulon survey by the coordinator
    survey(project, "toulon.csv", TOULON.replace("Radio Rivage;Association;Culture;3 rue C;83400;"
                                                 "Hyères;oui;\n", ""))
    # Epicerie Azur moves from Nice to Antibes: its SIRET keeps its id
    survey(project, "gap.csv",
           HEADER + "Epicerie Azur;SCIC;Solidarité;9 av. E;06600;Antibes;oui;73282932000074\n")
    third, changes = run(project)
    assert changes["removed"] == ["radio-rivage-83069"]
    assert changes["retained"] == ["radio-rivage-83069"]  # kept by default (keep_removed)
    assert "radio-rivage-83069" in set(third.actors["actor_id"])
    assert changes["changed"] == {
        "epicerie-azur-06088": ["address", "postcode", "commune", "insee_code", "stops"]}
    assert list(changes["geocoding"]) == ["epicerie-azur-06088"]
    assert changes["geocoding"]["epicerie-azur-06088"]["after"]["commune"] == "Antibes"
    assert changes["new"] == []
    report = json.loads((project / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    # the correction for the removed actor is reported, not silently dropped
    assert report["extra"]["corrections"]["unknown"] == [
        {"actor_id": "radio-rivage-83069", "kind": "move",
         "reason": "no actor with this id in the current data"}]

    # Next build: the retained actor is not reported as removed again
    _, changes = run(project)
    assert changes["removed"] == [] and changes["retained"] == ["radio-rivage-83069"]


def test_dropping_removed_actors_by_config(project):
    (project / "safi-map.toml").write_text("[project]\nkeep_removed = false\n", encoding="utf-8")
    survey(project, "toulon.csv", TOULON)
    run(project)
    survey(project, "toulon.csv", HEADER + TOULON.splitlines(keepends=True)[1])
    result, changes = run(project)
    assert set(result.actors["actor_id"]) == {"les-jardins-du-partage-83137"}
    assert changes["removed"] == ["atelier-velo-solidaire-83137", "radio-rivage-83069"]
    assert changes["retained"] == []


def test_hidden_and_merged_actors_are_not_brought_back(project):
    survey(project, "toulon.csv", TOULON)
    first, _ = run(project)
    assert "atelier-velo-solidaire-83137" in set(first.actors["actor_id"])
    (project / "data" / "corrections.toml").write_text(
        '[[hide]]\nactor_id = "atelier-velo-solidaire-83137"\n'
        '[[merge]]\nkeep = "les-jardins-du-partage-83137"\nabsorb = ["radio-rivage-83069"]\n',
        encoding="utf-8")
    second, changes = run(project)
    assert set(second.actors["actor_id"]) == {"les-jardins-du-partage-83137"}
    published = json.loads((project / "build" / "actors.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["actor_id"] for f in published["features"]] == [
        "les-jardins-du-partage-83137"]
    assert changes["removed"] == [] and changes["retained"] == []
    assert "atelier-velo-solidaire-83137" not in changes["names"]
    # the next build does not bring them back either
    _, changes = run(project)
    assert changes["retained"] == [] and changes["summary"]["removed"] == 0


def test_a_hide_for_a_retained_actor_stops_publishing_it(project):
    survey(project, "toulon.csv", TOULON)
    run(project)
    survey(project, "toulon.csv", HEADER + TOULON.splitlines(keepends=True)[1])
    _, changes = run(project)
    assert "radio-rivage-83069" in changes["retained"]
    (project / "data" / "corrections.toml").write_text(
        '[[hide]]\nactor_id = "radio-rivage-83069"\n', encoding="utf-8")
    third, changes = run(project)
    assert "radio-rivage-83069" not in set(third.actors["actor_id"])
    assert changes["retained"] == ["atelier-velo-solidaire-83137"]


def test_an_actor_whose_rows_joined_another_is_not_retained(project):
    # Two actors of the first build become one when a later row links them by SIRET: the
    # absorbed one's rows are still in the surveys, so it is not "no longer in any survey".
    survey(project, "toulon.csv", HEADER + (
        "Epicerie Azur;SCIC;Solidarité;4 rue D;83000;Toulon;oui;73282932000074\n"
        "Azur Solidaire;Association;Solidarité;4 rue D;83000;Toulon;oui;\n"))
    first, _ = run(project)
    assert set(first.actors["actor_id"]) == {"epicerie-azur-83137", "azur-solidaire-83137"}
    survey(project, "nice.csv", HEADER + (
        "Azur Solidaire;Association;Solidarité;4 rue D;83000;Toulon;oui;73282932000074\n"))
    second, changes = run(project)
    assert set(second.actors["actor_id"]) == {"epicerie-azur-83137"}
    assert changes["removed"] == [] and changes["retained"] == []

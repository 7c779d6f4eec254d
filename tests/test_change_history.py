"""The public change page (issue #11 item 7, issue #12 point 11): one section per stop/build that
changed something visible, kept across rebuilds; only public fields, as published; French,
public reasons for rejected rows; linked from the navigation and the calendar."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from safi_map import ingest, load_settings, write_ingest_outputs
from safi_map.ingestion.change_history import history_page, public_rejection_reason
from safi_map.site.build import build_site

TOUR = """
[[stops]]
id = "toulon"
town = "Toulon"
date = 2015-09-28
surveys = ["surveys/toulon.csv"]

[[stops]]
id = "nice"
town = "Nice"
date = 2015-10-15
surveys = ["surveys/nice.csv"]
"""
HEADER = ("Nom de la structure;Thématique(s);Adresse;CP;Ville;Latitude;Longitude;Courriel;"
          "Téléphone;Accord de publication\n")
PRIVATE = "Atelier Vélo Solidaire;Mobilité;2 rue B;83000;Toulon;{lat};5.93;{email};{phone};non\n"
TOULON = HEADER + (
    "Les Jardins du Partage;Alimentation;1 rue A;83000;Toulon;;;jardins@example.org;;oui\n"
    + PRIVATE.format(lat="43.1250", email="velo@example.org", phone="04 94 00 00 01")
)


@pytest.fixture()
def project(make_project: Any) -> Path:
    return make_project(tour=TOUR).root


def build(project: Path) -> tuple[dict, BeautifulSoup]:
    settings = load_settings(base=project)
    result = ingest(settings=settings)
    write_ingest_outputs(result, settings.out)
    out = settings.out / "site"
    build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
               settings=settings.with_(posters=False),
               out_dir=out, changes=result.changes, report=result.report)
    changes = json.loads((settings.out / "changes.json").read_text(encoding="utf-8"))
    page = BeautifulSoup((out / "changes.html").read_text(encoding="utf-8"), "html.parser")
    return changes, page


def survey(project: Path, name: str, text: str) -> None:
    (project / "data" / "surveys" / name).write_text(text, encoding="utf-8")


def sections(page: BeautifulSoup) -> list[str]:
    return [s.select_one("h2").get_text(" ", strip=True) for s in page.select("section.change-entry")]


@pytest.mark.slow
def test_history_across_stops_and_rebuilds(project: Path) -> None:
    survey(project, "toulon.csv", TOULON)
    changes, page = build(project)
    assert [e["number"] for e in changes["history"]] == [1]
    assert sections(page) == ["Étape de Toulon (28 septembre 2015)"]
    assert "2 structures publiées" in page.get_text()

    # Stop 2: a new actor, and the private actor changes only what is not published
    survey(project, "nice.csv", HEADER + "Epicerie Azur;Solidarité;4 rue D;06000;Nice;;;;;oui\n")
    survey(project, "toulon.csv", TOULON.replace(
        PRIVATE.format(lat="43.1250", email="velo@example.org", phone="04 94 00 00 01"),
        PRIVATE.format(lat="43.1260", email="autre@example.org", phone="04 94 00 00 02")))
    changes, page = build(project)
    assert changes["changed"]["atelier-velo-solidaire-83137"] == ["email", "phone"]  # private
    assert "atelier-velo-solidaire-83137" in changes["geocoding"]  # private: the street moved
    entry = changes["history"][-1]
    assert entry["new"] == ["epicerie-azur-06088"] and entry["stops"] == ["nice"]
    assert entry["changed"] == {} and entry["moved"] == {}
    text = page.get_text()
    assert "Atelier Vélo Solidaire" not in text  # nothing public changed for it
    assert "courriel" not in text and "déplacée" not in text
    assert sections(page) == ["Étape de Nice (15 octobre 2015)",
                              "Étape de Toulon (28 septembre 2015)"]
    before = (project / "build" / "site" / "changes.html").read_bytes()

    # Rebuild without any change: the stop's report stays, nothing is added
    changes, page = build(project)
    assert changes["summary"]["new"] == 0 and len(changes["history"]) == 2
    assert (project / "build" / "site" / "changes.html").read_bytes() == before
    assert "Aucun changement" not in page.get_text()

    # A public change of the consenting actor, and a row without name
    survey(project, "toulon.csv", TOULON.replace("jardins@example.org", "potager@example.org")
           + ";Culture;;;;;;;;oui\n")
    changes, page = build(project)
    assert [e["number"] for e in changes["history"]] == [1, 2, 3]
    newest = page.select("section.change-entry")[0]
    assert newest.select_one("h2").get_text() == "Mise à jour n° 3"
    assert "Les Jardins du Partage\u00a0: courriel" in newest.get_text()
    assert "nom de la structure manquant\u00a0: 1 ligne" in newest.get_text()
    assert "name is empty" not in page.get_text() and "toulon.csv" not in page.get_text()
    assert "column" not in page.get_text()


def test_navigation_and_calendar_link_to_the_page(project: Path) -> None:
    survey(project, "toulon.csv", TOULON)
    _, page = build(project)
    assert page.select_one('nav a[aria-current="page"]')["href"] == "changes.html"
    calendar = BeautifulSoup((project / "build" / "site" / "calendrier.html").read_text(
        encoding="utf-8"), "html.parser")
    assert "changes.html" in [a["href"] for a in calendar.select("main a, #contenu a")]
    assert "changes.html" in [a["href"] for a in calendar.select("nav a")]


def test_public_reasons_are_french() -> None:
    assert public_rejection_reason("name.missing") == "nom de la structure manquant"
    assert public_rejection_reason("row.empty") == "ligne vide"
    assert public_rejection_reason("row.total") == "ligne qui ne décrit pas une structure"
    assert public_rejection_reason(None) == "ligne qui ne décrit pas une structure"


def test_history_page_leaves_out_actors_hidden_since() -> None:
    history = [{"number": 1, "first_build": False, "stops": [], "new": ["a", "b"],
                "changed": {"b": ["name"]}, "moved": {}, "removed": ["gone"], "kept": False,
                "rejected": {}, "names": {"a": "A", "b": "B"}},
               {"number": 2, "first_build": False, "stops": [], "new": ["c"], "changed": {},
                "moved": {}, "removed": [], "kept": True, "rejected": {}, "names": {"c": "C"}}]
    page = history_page(history, {"a": ("A now", "acteurs/a.html")}, {})
    assert [e["number"] for e in page] == [1]  # newest first; entry 2 has nothing left
    assert page[0]["new"] == [{"id": "a", "name": "A now", "url": "acteurs/a.html"}]
    assert page[0]["changed"] == []
    assert page[0]["removed"] == [] and page[0]["removed_unnamed"] == 1  # not named


@pytest.mark.slow
def test_a_build_folder_made_before_the_history_starts_it(project: Path) -> None:
    survey(project, "toulon.csv", TOULON)
    build(project)
    path = project / "build" / "changes.json"
    legacy = json.loads(path.read_text(encoding="utf-8"))
    del legacy["history"]
    path.write_text(json.dumps(legacy), encoding="utf-8")
    changes, page = build(project)  # nothing changed
    assert changes["history"] == [{"number": 1, "first_build": True, "actors": 2,
                                   "stops": ["toulon"]}]
    assert sections(page) == ["Étape de Toulon (28 septembre 2015)"]


def test_history_page_orders_an_entry_s_stops_by_date() -> None:
    stops = {"nice": {"id": "nice", "town": "Nice", "date": "2015-10-15"},
             "gap": {"id": "gap", "town": "Gap", "date": "2015-05-07"}}
    history = [{"number": 1, "first_build": True, "actors": 3, "stops": ["gap", "nice", "x"]}]
    page = history_page(history, {}, stops)
    assert [s["town"] for s in page[0]["stops"]] == ["Gap", "Nice"]

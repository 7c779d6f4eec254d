"""The map's "Rendez-vous" layer, Python side (issue #16 item 1): which events reach the map's
data, at which point, and that nothing about events is written when there are none."""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from safi_map.core.i18n import ngettext
from safi_map.core.settings import Settings
from safi_map.geo import gazetteer
from safi_map.ingestion.agenda import AgendaEvent, read_agenda
from safi_map.map import render as maps
from safi_map.map.events import event_rows
from safi_map.model.public import public_actors
from safi_map.site.build import build_site
from safi_map.site.event_index import event_views
from safi_map.site.pages import map as map_page
from tests.test_site_golden import tiny_site_input

ACTORS, TAXONOMY, TOUR = tiny_site_input()
EVIL = "Atelier </script><script>alert(1)</script> & «vélo»"


def _gazetteer_point(code: str) -> tuple[int, int]:
    c = gazetteer.communes()
    row = c[c["code_insee"] == code].iloc[0]
    return round(float(row["latitude"]) * 1e5), round(float(row["longitude"]) * 1e5)


def _event(event_id: str, title: str, **kw: Any) -> AgendaEvent:
    return AgendaEvent(id=event_id, date=dt.date.fromisoformat(event_id[:10]), title=title, **kw)


EVENTS = [
    # the actor's own commune: at the actor's point
    _event("2027-03-12-aaaa", EVIL, start=dt.time(14), end=dt.time(17, 30),
           actor_id="epicerie-83137", organiser="Épicerie solidaire du Port",
           commune_code="83137", commune="Toulon", place="Local", url="https://example.org/x"),
    # an actor's event in another commune: at that commune's point
    _event("2027-03-20-bbbb", "Stand au marché", actor_id="recyclerie-83069",
           organiser="Recyclerie de Hyères", commune_code="83137", commune="Toulon",
           url="javascript:alert(1)"),
    # no actor: at the commune's point, the organiser as written
    _event("2027-04-20-cccc", "Troc", organiser="Asso X", commune_code="83069", commune="Hyères"),
    # no actor, no commune: nowhere to put it
    _event("2027-04-21-dddd", "Nulle part", organiser="Y"),
    # an actor without a location: placed by the event's commune, still linked
    _event("2027-04-22-eeee", "Réunion ouverte", actor_id="collectif-na",
           organiser="Collectif sans adresse", commune_code="83137", commune="Toulon"),
    # an actor id the map does not know: the name as written, no link
    _event("2027-04-23-ffff", "Inconnu", actor_id="ailleurs-00000", organiser="Ailleurs",
           commune_code="83069", commune="Hyères"),
]


def _views(events: list[AgendaEvent]) -> list[dict[str, Any]]:
    return event_views(events, actor_urls={}, commune_urls={})


def _payload(events: list[AgendaEvent]) -> dict[str, Any]:
    return maps.map_payload(ACTORS, taxonomy=TAXONOMY, tour=TOUR, events=_views(events))


def test_events_are_placed_at_their_actor_or_their_commune() -> None:
    payload = _payload(EVENTS)
    ids = payload["actors"]["id"]
    rows = {r["id"]: r for r in payload["events"]["items"]}
    assert payload["events"]["page"] == "agenda.html"
    assert list(rows) == ["2027-03-12-aaaa", "2027-03-20-bbbb", "2027-04-20-cccc",
                          "2027-04-22-eeee", "2027-04-23-ffff"]
    first = rows["2027-03-12-aaaa"]
    assert ids[first["actor"]] == "epicerie-83137" and "organiser" not in first
    assert (first["lat"], first["lon"]) == (4312420, 592800)  # the actor's own point
    assert first["when"] == "vendredi 12 mars 2027, 14\u00a0h\u00a0–\u00a017\u00a0h\u00a030"
    assert (first["title"], first["place"], first["url"]) == (EVIL, "Local",
                                                               "https://example.org/x")
    assert first["ics"] == "agenda/evenements/2027-03-12-aaaa.ics"
    market = rows["2027-03-20-bbbb"]
    assert ids[market["actor"]] == "recyclerie-83069"
    assert (market["lat"], market["lon"]) == _gazetteer_point("83137")
    assert "url" not in market  # only http(s) links
    troc = rows["2027-04-20-cccc"]
    assert (troc["actor"], troc["organiser"]) == (-1, "Asso X")
    assert (troc["lat"], troc["lon"]) == _gazetteer_point("83069")
    meeting = rows["2027-04-22-eeee"]
    assert ids[meeting["actor"]] == "collectif-na"
    assert (meeting["lat"], meeting["lon"]) == _gazetteer_point("83137")
    unknown = rows["2027-04-23-ffff"]
    assert (unknown["actor"], unknown["organiser"]) == (-1, "Ailleurs")


def test_events_without_a_point_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "safi_map.map.render")
    rows, unplaced = event_rows(_views(EVENTS), ids=[], lats=[], lons=[], codes=[],
                                commune_point=lambda code: None)
    assert (rows, unplaced) == ([], 6)
    said = ngettext("%d event has no place on the map (no located actor, no commune of the "
                    "region); the Agenda page lists it", "%d events have no place on the map (no "
                    "located actor, no commune of the region); the Agenda page lists them", 6)
    assert said % 6 in caplog.text


def test_no_event_no_layer_and_no_byte() -> None:
    without = maps.render_map_page(ACTORS, taxonomy=TAXONOMY, tour=TOUR, title="Carte")
    assert "events" not in _payload([])
    assert maps.render_map_page(ACTORS, taxonomy=TAXONOMY, tour=TOUR, title="Carte",
                                events=[]) == without
    for text in ("addEvents", "event_", "Rendez-vous"):
        assert text not in without
    # only unplaceable events: no layer either
    lonely = [EVENTS[3]]
    assert "events" not in _payload(lonely)
    with_events = maps.render_map_page(ACTORS, taxonomy=TAXONOMY, tour=TOUR, title="Carte",
                                       events=_views(EVENTS))
    assert "addEvents" in with_events and "Voir dans l’agenda" in with_events


def test_event_text_is_escaped_in_the_page() -> None:
    page = maps.render_map_page(ACTORS, taxonomy=TAXONOMY, tour=TOUR, title="Carte",
                                events=_views(EVENTS), data_encoding="json")
    assert "<script>alert(1)" not in page and "</script><script>" not in page
    items = maps.embedded_data(page)["events"]["items"]
    assert items[0]["title"] == EVIL


AGENDA = """Date;Début;Titre;Structure;Commune;Public
12/03/2027;14h;Atelier public;Épicerie solidaire du Port;;oui
13/03/2027;;Réunion interne secrète;Épicerie solidaire du Port;;non
14/03/2027;;Portes ouvertes;;Hyères;
"""


def test_only_public_events_reach_the_built_map(tmp_path: Path) -> None:
    path = tmp_path / "agenda.csv"
    path.write_text(AGENDA, encoding="utf-8")
    agenda = read_agenda(path, actors=public_actors(ACTORS).to_dict("records"))
    assert agenda.held_back == 1
    out = tmp_path / "site"
    summary = build_site(ACTORS, taxonomy=TAXONOMY, tour=TOUR,
                         settings=Settings(posters=False, title="Carte"), out_dir=out,
                         page_families=[("map", map_page.write_pages)], agenda=agenda)
    assert Counter(summary.page_counts) == Counter(map=2)
    for name in ("index.html", "carte-integree.html"):
        page = (out / name).read_text("utf-8")
        assert "secrète" not in page and "interne" not in page
        titles = [e["title"] for e in maps.embedded_data(page)["events"]["items"]]
        assert titles == ["Atelier public", "Portes ouvertes"]


def test_the_map_is_the_same_whatever_day_it_is_built(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    pages = []
    for day in (dt.date(2026, 1, 1), dt.date(2030, 1, 1)):
        class Day(dt.date):
            @classmethod
            def today(cls, _day: dt.date = day) -> dt.date:  # type: ignore[override]
                return _day

        monkeypatch.setattr(dt, "date", Day)
        pages.append(maps.render_map_page(ACTORS, taxonomy=TAXONOMY, tour=TOUR, title="Carte",
                                          events=_views(EVENTS)))
        monkeypatch.undo()
    assert pages[0] == pages[1]

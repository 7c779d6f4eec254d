"""The map's "Rendez-vous" layer in headless Chromium at fixed clocks (issue #16 item 1): past
events absent, popups in French with their links, events following the map's filters, no
layer when nothing is upcoming."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from safi_map.core.settings import Settings
from safi_map.ingestion.agenda import Agenda, AgendaEvent
from safi_map.site.build import build_site
from safi_map.site.pages import map as map_page
from tests.test_site_golden import tiny_site_input

pytestmark = pytest.mark.browser

APP = "SafiMap.apps[0]"
EVIL = "Atelier <img src=x onerror=alert(1)> & «vélo»"
SHOP = {"actor_id": "epicerie-83137", "organiser": "Épicerie solidaire du Port",
        "commune_code": "83137", "commune": "Toulon"}
EVENTS = [
    AgendaEvent(id="2027-03-12-aaaa", date=dt.date(2027, 3, 12), title="Déjà passé", **SHOP),
    AgendaEvent(id="2027-03-20-bbbb", date=dt.date(2027, 3, 20), title=EVIL, start=dt.time(14),
                end=dt.time(17, 30), place="Local", url="https://example.org/x", **SHOP),
    AgendaEvent(id="2027-03-27-gggg", date=dt.date(2027, 3, 27), title="Repair café",
                url="javascript:alert(1)", **SHOP),
    AgendaEvent(id="2027-04-20-cccc", date=dt.date(2027, 4, 20), title="Troc",
                organiser="Asso X", commune_code="83069", commune="Hyères"),
    AgendaEvent(id="2027-04-22-ffff", date=dt.date(2027, 4, 22), title="Recyclerie ouverte",
                actor_id="recyclerie-83069", organiser="Recyclerie de Hyères",
                commune_code="83069", commune="Hyères"),
]
UPCOMING = ["2027-03-20-bbbb", "2027-03-27-gggg", "2027-04-20-cccc", "2027-04-22-ffff"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    actors, taxonomy, tour = tiny_site_input()
    recyclerie = actors.index[actors["actor_id"] == "recyclerie-83069"][0]
    actors.at[recyclerie, "stops"] = []  # not surveyed at the Toulon stop
    out = tmp_path_factory.mktemp("events-map")
    build_site(actors, taxonomy=taxonomy, tour=tour,
               settings=Settings(posters=False, title="Carte test"), out_dir=out,
               page_families=[("map", map_page.write_pages)], agenda=Agenda(events=EVENTS))
    return out


def _load(page: Any, site: Path, when: str) -> None:
    page.clock.set_fixed_time(when)
    page.goto((site / "index.html").as_uri())
    page.wait_for_function(f"() => window.SafiMap && {APP} && {APP}.settled()", timeout=30_000)


def _shown(page: Any, **state: Any) -> list[str]:
    return page.evaluate(f"s => {{ {APP}.setState(s); return {APP}.eventLayer.shown; }}", state)


def _overlays(page: Any) -> list[str]:
    return page.locator(".leaflet-control-layers-overlays label").evaluate_all(
        "els => els.map(e => e.textContent.trim())")


def test_upcoming_events_popups_and_filters(site: Path, offline_page: Any) -> None:
    page, watch = offline_page
    _load(page, site, "2027-03-15T10:00:00+01:00")
    assert "Rendez-vous" in _overlays(page)
    assert page.evaluate(f"{APP}.map.hasLayer({APP}.eventLayer.layer)")  # on by default
    assert page.evaluate(f"{APP}.eventLayer.shown") == UPCOMING  # the past one is absent
    assert "Déjà passé" not in page.locator(".safi-map").inner_html()

    # Two events at the grocery's point: one marker, both listed, in date order.
    shop = page.locator('.safi-event-marker[title="2 rendez-vous à cet endroit — Toulon"]')
    assert shop.locator(".safi-event-count").inner_text() == "2"
    # Two points of Hyères 130 m apart: one marker from afar, two close up (below).
    assert page.locator('.safi-event-marker[title="2 rendez-vous dans ce secteur — Hyères"]'
                        ).count() == 1
    shop.click()
    popup = page.locator(".leaflet-popup-content .safi-event-card")
    popup.wait_for()
    assert popup.locator("h3").inner_text() == "2 rendez-vous à cet endroit"
    assert popup.locator("h4").all_inner_texts() == [EVIL, "Repair café"]
    assert page.locator(".leaflet-popup img").count() == 0  # the title stayed text
    first = popup.locator(".safi-event").first
    assert "samedi 20 mars 2027, 14\u00a0h\u00a0–\u00a017\u00a0h\u00a030" in first.inner_text()
    assert "Local, Toulon" in first.inner_text()
    links = {a.inner_text(): a for a in first.locator("a").all()}
    assert links["Épicerie solidaire du Port"].get_attribute("href") == (
        "acteurs/epicerie-83137.html")
    assert links["Voir dans l’agenda"].get_attribute("href") == "agenda.html#evt-2027-03-20-bbbb"
    ics = links["Ajouter à mon agenda"]
    assert ics.get_attribute("href") == "agenda/evenements/2027-03-20-bbbb.ics"
    assert ics.get_attribute("type") == "text/calendar"
    assert links["Plus d’informations"].get_attribute("href") == "https://example.org/x"
    second = popup.locator(".safi-event").nth(1)
    assert "Plus d’informations" not in second.inner_text()  # a javascript: link is dropped
    assert second.locator("a[href^='javascript']").count() == 0

    # Close up on Hyères: the commune's event and the recyclerie's are apart.
    page.evaluate(f"() => {{ {APP}.map.closePopup(); {APP}.map.setView([43.1203, 6.1294], 17, "
                  "{animate: false}); }")
    assert page.locator('.safi-event-marker[title^="Recyclerie ouverte"]').count() == 1
    page.locator('.safi-event-marker[title^="Troc"]').click()
    # the closed popup fades out for 200 ms
    page.wait_for_function("() => document.querySelectorAll('.leaflet-popup').length === 1")
    troc = page.locator(".leaflet-popup-content .safi-event-card")
    assert troc.locator("h3").inner_text() == "Troc"
    text = troc.inner_text()
    assert "mardi 20 avril 2027" in text and "Proposé par Asso X" in text
    assert troc.locator("a[href^='acteurs/']").count() == 0  # no actor page to link to

    # The map's filters.
    assert _shown(page, themes=["environnement"]) == ["2027-04-20-cccc", "2027-04-22-ffff"]
    assert _shown(page, themes=[], commune="83137") == ["2027-03-20-bbbb", "2027-03-27-gggg"]
    assert _shown(page, commune="83069") == ["2027-04-20-cccc", "2027-04-22-ffff"]
    assert _shown(page, commune="", stop="toulon") == [
        "2027-03-20-bbbb", "2027-03-27-gggg", "2027-04-20-cccc"]
    assert _shown(page, stop="", q="troc") == ["2027-04-20-cccc"]
    assert _shown(page, q="") == UPCOMING
    assert watch.real_errors() == [] and watch.dialogs == []


def test_no_layer_when_every_event_is_past(site: Path, offline_page: Any) -> None:
    page, watch = offline_page
    _load(page, site, "2028-01-01T10:00:00+01:00")
    assert "Rendez-vous" not in _overlays(page)
    assert page.locator(".safi-event-marker").count() == 0
    assert page.evaluate(f"{APP}.eventLayer.upcoming") == 0
    assert watch.real_errors() == []

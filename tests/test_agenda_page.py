"""The Agenda page (issue #16 item 1): events by month, calendar files, past events archived
by the visitor's date."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup

from safi_map.core.settings import Settings
from safi_map.ingestion.agenda import Agenda, AgendaEvent
from safi_map.model.synthetic import synthetic_actors, synthetic_taxonomy, synthetic_tour
from safi_map.site.build import build_site
from safi_map.site.pages import events as agenda_page

ACTORS = synthetic_actors(12, seed=3)
ACTOR = ACTORS.iloc[0]  # the organiser of the first event: its page and commune page exist
EVENTS = [
    AgendaEvent(id="2027-03-12-aaaa", date=dt.date(2027, 3, 12), title="Atelier <vélo>",
                start=dt.time(14), end=dt.time(17, 30), actor_id=ACTOR["actor_id"],
                organiser="Recyclerie", commune_code=ACTOR["insee_code"],
                commune=ACTOR["commune"], place="Local", url="https://example.org/x",
                description="Venez"),
    AgendaEvent(id="2027-04-01-bbbb", date=dt.date(2027, 4, 1), title="Portes ouvertes",
                organiser="Inconnue"),
    AgendaEvent(id="2027-04-20-cccc", date=dt.date(2027, 4, 20), title="Troc",
                start=dt.time(9, 30)),
]


def _write(out: Path, events: list[AgendaEvent] | None) -> Counter[str]:
    """A site whose one page family is the Agenda's (the real context, writer and template)."""
    summary = build_site(ACTORS, taxonomy=synthetic_taxonomy(), tour=synthetic_tour(),
                         settings=Settings(posters=False, title="Carte SAFI"), out_dir=out,
                         page_families=[("events", agenda_page.write_pages)],
                         agenda=None if events is None else Agenda(events=events))
    return Counter(summary.page_counts)


def test_page_lists_events_by_month(tmp_path: Path) -> None:
    assert _write(tmp_path, EVENTS) == Counter(agenda=1)
    actor_url = f"acteurs/{ACTOR['actor_id']}.html"
    soup = BeautifulSoup((tmp_path / "agenda.html").read_text("utf-8"), "html.parser")
    months = [h.get_text() for h in soup.select(".agenda-month h2")]
    assert months == ["Mars 2027", "Avril 2027"]
    first = soup.select_one("#evt-2027-03-12-aaaa")
    assert first.select_one("h3").get_text() == "Atelier <vélo>"  # escaped, shown as typed
    assert "vendredi 12 mars 2027, 14\u00a0h\u00a0–\u00a017\u00a0h\u00a030" in first.get_text()
    links = {a.get_text(" ", strip=True): a["href"] for a in first.select("a")}
    assert links["Recyclerie"] == actor_url
    assert links[ACTOR["commune"]].startswith(f"communes/{ACTOR['insee_code']}-")
    assert first.select_one('a[type="text/calendar"]')["href"] == (
        "agenda/evenements/2027-03-12-aaaa.ics")
    # an organiser that is not on the map is text, not a link
    assert not soup.select_one("#evt-2027-04-01-bbbb").select("a[href^='acteurs/']")
    for event in EVENTS:
        assert (tmp_path / "agenda" / "evenements" / f"{event.id}.ics").is_file()
    assert (tmp_path / "agenda" / "evenements.ics").is_file()


def test_page_without_agenda_says_how_to_add_one(tmp_path: Path) -> None:
    _write(tmp_path, None)
    text = (tmp_path / "agenda.html").read_text("utf-8")
    assert "data/agenda.csv" in text and not (tmp_path / "agenda" / "evenements").exists()


def test_page_is_deterministic(tmp_path: Path) -> None:
    _write(tmp_path / "a", EVENTS)
    _write(tmp_path / "b", EVENTS)
    for path in sorted((tmp_path / "a").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (tmp_path / "b" / path.relative_to(tmp_path / "a")
                                         ).read_bytes()


@pytest.mark.browser
def test_past_events_move_to_the_archive_in_the_browser(tmp_path: Path, offline_page: Any
                                                        ) -> None:
    _write(tmp_path, EVENTS)
    page, watch = offline_page
    page.clock.set_fixed_time(dt.datetime(2027, 4, 10, 12, 0))
    page.goto((tmp_path / "agenda.html").as_uri())
    upcoming = page.locator("#agenda-a-venir .agenda-event").evaluate_all(
        "els => els.map(e => e.id)")
    archived = page.locator("#agenda-archives .agenda-event").evaluate_all(
        "els => els.map(e => e.id)")
    assert upcoming == ["evt-2027-04-20-cccc"]
    assert archived == ["evt-2027-03-12-aaaa", "evt-2027-04-01-bbbb"]
    assert page.locator("#agenda-archives summary").inner_text() == "Rendez-vous passés (2)"
    assert page.locator("#agenda-archives").is_visible()
    assert watch.real_errors() == []


SURVEY = """Nom de la structure;Commune;Thématiques;Accord
Recyclerie du Luc;Le Luc;Économie circulaire;oui
Jardin de Toulon;Toulon;Alimentation;oui
"""
AGENDA = """Date;Début;Fin;Titre;Structure;Commune;Public
12/03/2027;14h;17h;Atelier réparation;Recyclerie du Luc;;oui
13/03/2027;;;Visite du jardin;Jardin de Toulon;;oui
14/03/2027;;;Réunion privée;Jardin de Toulon;;non
31/02/2027;;;Date impossible;;Toulon;oui
"""


@pytest.mark.slow
def test_build_publishes_the_agenda_everywhere(make_project: Any) -> None:
    """From data/agenda.csv to the site: the page with links to the actor and commune pages,
    the events in the region's, commune's and theme's calendars, the CLI's line and the
    coordinator's report."""
    from click.testing import CliRunner
    from icalendar import Calendar

    from safi_map.cli.main import cli

    project = make_project(surveys={"etape.csv": SURVEY})
    (project.data / "agenda.csv").write_text(AGENDA, encoding="utf-8")
    result = CliRunner().invoke(cli, ["--lang", "fr", "build", "--config",
                                      str(project.config("[site]\nposters = false\n"))])
    assert result.exit_code == 0, result.output
    assert "Agenda agenda.csv : 2 rendez-vous publiés, 1 lignes refusées, 1 gardées privées" \
        in result.output
    assert "agenda.csv:5 : '31/02/2027' n'est pas une date" in result.output
    site = project.out / "site"
    soup = BeautifulSoup((site / "agenda.html").read_text("utf-8"), "html.parser")
    atelier = next(li for li in soup.select(".agenda-event") if "Atelier" in li.get_text())
    hrefs = {a.get_text(strip=True): a["href"] for a in atelier.select("a")}
    assert hrefs["Recyclerie du Luc"].startswith("acteurs/") and (site / hrefs[
        "Recyclerie du Luc"]).is_file()
    assert (site / hrefs["Le Luc"]).is_file()  # the actor's commune, linked
    assert "Réunion privée" not in soup.get_text()
    region = Calendar.from_ical((site / "agenda" / "safi-tour.ics").read_bytes())
    assert {str(e["summary"]) for e in region.walk("VEVENT")} >= {"Atelier réparation",
                                                                  "Visite du jardin"}
    luc = Calendar.from_ical((site / "agenda" / "communes" / "83073.ics").read_bytes())
    assert [str(e["summary"]) for e in luc.walk("VEVENT")] == ["Atelier réparation"]
    theme_files = list((site / "agenda" / "themes").glob("*.ics"))
    assert any("Visite du jardin" in p.read_text("utf-8") for p in theme_files)
    report = (project.out / "rapport.html").read_text("utf-8")
    assert "agenda.csv" in report and "31/02/2027" in report
    # on the pages of its actor, its commune and its actor's themes, with its calendar file
    actor_page = BeautifulSoup((site / hrefs["Recyclerie du Luc"]).read_text("utf-8"),
                               "html.parser")
    [listed] = actor_page.select(".events-list li")
    assert "Atelier réparation" in listed.get_text() and listed.select_one(
        'a[type="text/calendar"]')["href"].startswith("../agenda/evenements/")
    commune_page = (site / hrefs["Le Luc"]).read_text("utf-8")
    assert "Atelier réparation" in commune_page and "Visite du jardin" not in commune_page
    assert any("Visite du jardin" in p.read_text("utf-8") and "events-list" in
               p.read_text("utf-8") for p in (site / "themes").glob("*.html"))

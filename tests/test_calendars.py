"""iCalendar files of the tour stops (issue #16 item 1, the tour part): the whole tour, per
commune and per theme where stops exist, one per stop for "Ajouter à mon agenda"; parsed back
with icalendar; deterministic."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from icalendar import Calendar

from safi_map import ingest, load_settings, write_ingest_outputs
from safi_map.site.build import build_site
from safi_map.site.calendars import tour_calendars

TOUR = """
[[stops]]
id = "toulon"
town = "Toulon"
date = 2015-09-28
venue = "Salle <b>des fêtes</b>; 1, place \\"Liberté\\""
surveys = ["surveys/toulon.csv"]

[[stops]]
id = "nice"
town = "Nice"
date = 2015-10-15
surveys = ["surveys/nice.csv"]

[[stops]]
id = "gap"
town = "Gap"
date = 2016-01-10
"""
HEADER = "Nom de la structure;Thématique(s);Adresse;CP;Ville;Accord de publication\n"


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    (tmp_path / "data" / "surveys").mkdir(parents=True)
    (tmp_path / "data" / "tour.toml").write_text(TOUR, encoding="utf-8")
    (tmp_path / "data" / "surveys" / "toulon.csv").write_text(
        HEADER + "Les Jardins du Partage;Alimentation;1 rue A;83000;Toulon;oui\n"
        "Atelier Vélo;Mobilité;2 rue B;83000;Toulon;non\n", encoding="utf-8")
    (tmp_path / "data" / "surveys" / "nice.csv").write_text(
        HEADER + "Epicerie Azur;Alimentation;4 rue D;06000;Nice;oui\n", encoding="utf-8")
    return build(tmp_path)


def build(project: Path) -> Path:
    settings = load_settings(base=project)
    result = ingest(settings=settings)
    write_ingest_outputs(result, settings.out)
    out = settings.out / "site"
    build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
               settings=settings.with_(posters=False),
               out_dir=out, changes=result.changes, report=result.report)
    return out


def events(path: Path) -> list:
    cal = Calendar.from_ical(path.read_bytes())
    assert str(cal["version"]) == "2.0" and cal["prodid"]
    return list(cal.walk("VEVENT"))


def page(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_tour_calendars(site: Path) -> None:
    tour = events(site / "agenda" / "safi-tour.ics")
    assert [str(e["summary"]) for e in tour] == ["SAFI Tour : étape de Toulon",
                                                  "SAFI Tour : étape de Nice",
                                                  "SAFI Tour : étape de Gap"]
    toulon = tour[0]
    assert toulon.decoded("dtstart") == dt.date(2015, 9, 28)
    assert toulon.decoded("dtend") == dt.date(2015, 9, 29)
    assert toulon.decoded("dtstamp") == dt.datetime(2015, 9, 28, tzinfo=dt.UTC)
    # Escaping: the venue comes back as written (commas, semicolons, quotes, markup as text)
    assert str(toulon["location"]) == 'Salle <b>des fêtes</b>; 1, place "Liberté", Toulon'
    assert "2 structures recensées" in str(toulon["description"])
    assert "url" not in toulon  # no site_url: no link a calendar could not resolve
    assert len({str(e["uid"]) for e in tour}) == 3

    # One per stop (same UID), per commune and per theme where stops exist
    (single,) = events(site / "agenda" / "etapes" / "toulon.ics")
    assert str(single["uid"]) == str(toulon["uid"])
    assert [str(e["summary"]) for e in events(site / "agenda" / "communes" / "06088.ics")] == [
        "SAFI Tour : étape de Nice"]
    food = events(site / "agenda" / "themes" / "alimentation.ics")
    assert [str(e["summary"]) for e in food] == ["SAFI Tour : étape de Toulon",
                                                  "SAFI Tour : étape de Nice"]
    assert [str(e["summary"]) for e in events(site / "agenda" / "themes" / "mobilite.ics")] == [
        "SAFI Tour : étape de Toulon"]
    assert not (site / "agenda" / "themes" / "solidarite.ics").exists()

    # Linked: "Ajouter à mon agenda" on the stop page, subscriptions on the calendar page,
    # commune and theme pages
    link = page(site / "etapes" / "toulon.html").select_one("p.agenda a")
    assert link["href"] == "../agenda/etapes/toulon.ics" and link.has_attr("download")
    assert "Ajouter à mon agenda" in link.get_text()
    calendar = page(site / "calendrier.html")
    assert calendar.select_one('head link[type="text/calendar"]')["href"] == \
        "agenda/safi-tour.ics"
    listed = [a["href"] for a in calendar.select("section.agendas a")]
    assert listed[0] == "agenda/safi-tour.ics"
    assert {"agenda/communes/06088.ics", "agenda/themes/alimentation.ics"} <= set(listed)
    assert all((site / h).is_file() for h in listed)
    theme = page(site / "themes" / "alimentation.html").select_one("p.agenda a")
    assert theme["href"] == "../agenda/themes/alimentation.ics"
    nice = next((site / "communes").glob("06088-*.html"))
    assert page(nice).select_one("p.agenda a")["href"] == "../agenda/communes/06088.ics"

    # Byte-identical on a rebuild
    before = {p: p.read_bytes() for p in (site / "agenda").rglob("*.ics")}
    build(site.parent.parent)
    assert {p: p.read_bytes() for p in (site / "agenda").rglob("*.ics")} == before


def test_links_with_site_url_and_uids_stable() -> None:
    stops = [{"id": "b", "town": "Gap", "date": "2016-01-10", "venue": "", "insee_code": "05061",
              "url": "etapes/b.html"},
             {"id": "a", "town": "Digne", "date": "", "venue": "", "insee_code": "",
              "url": "etapes/a.html"}]
    actors = [{"theme_slugs": ["culture"]}]
    found = tour_calendars(stops, actors, {"b": [0]}, themes={}, communes={},
                           site_title="Carte", site_url="https://ex.org/")
    assert sorted(found) == ["", "commune:05061", "stop:b", "theme:culture"]  # undated: none
    (ev,) = Calendar.from_ical(found[""][1]).walk("VEVENT")
    assert str(ev["url"]) == "https://ex.org/etapes/b.html"
    again = tour_calendars(stops, actors, {"b": [0]}, themes={}, communes={},
                           site_title="Carte", site_url="https://ex.org/")
    assert again == found
    other = tour_calendars(stops, actors, {"b": [0]}, themes={}, communes={},
                           site_title="Carte", site_url="https://autre.org/")
    (ev2,) = Calendar.from_ical(other[""][1]).walk("VEVENT")
    assert str(ev2["uid"]) != str(ev["uid"])  # two sites' calendars do not collide


def test_calendars_written_from_serialized_events_are_icalendars_own_bytes():
    import datetime as dt

    from icalendar import Calendar, Event

    from safi_map.site.agenda_ics import _PRODID, _timezone, event_calendar

    events = []
    for i, start in enumerate((dt.date(2026, 3, 2), dt.datetime(2026, 3, 3, 9, 30))):
        ev = Event()
        ev.add("uid", f"evt-{i}@safi-map")
        ev.add("dtstart", start)
        ev.add("summary", "Atelier « réparation » " * 6)  # folded lines
        events.append(ev)
    cache: dict[int, bytes] = {}
    for timed in (False, True):
        cal = Calendar()  # what icalendar writes for the whole calendar
        for prop, value in (("prodid", _PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"),
                            ("method", "PUBLISH"), ("x-wr-calname", "Agenda"),
                            ("x-wr-timezone", "Europe/Paris")):
            cal.add(prop, value)
        for component in ([_timezone()] if timed else []) + events:
            cal.add_component(component)
        plain = bytes(cal.to_ical())
        assert event_calendar("Agenda", events, timed=timed) == plain
        assert event_calendar("Agenda", events, timed=timed, serialized=cache) == plain
    assert len(cache) == 2

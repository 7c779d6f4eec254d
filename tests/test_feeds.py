"""News feeds (issue #16 item 2): Atom feeds of the actors added or changed at each stop/build,
for the region and per department, linked from the changes page; public fields only;
deterministic."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from safi_map import ingest, load_settings, write_ingest_outputs
from safi_map.site.build import build_site
from safi_map.site.feeds import news_feeds

A = "{http://www.w3.org/2005/Atom}"
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
HEADER = ("Nom de la structure;Thématique(s);Adresse;CP;Ville;Courriel;Téléphone;"
          "Accord de publication\n")
HOSTILE = '<script>alert(1)</script> & "Cie" ]]>'
TOULON = HEADER + (
    "Les Jardins du Partage;Alimentation;1 rue A;83000;Toulon;jardins@example.org;;oui\n"
    "Atelier Vélo Solidaire;Mobilité;2 rue B;83000;Toulon;velo@example.org;04 94 00 00 01;non\n"
)
NICE = HEADER + f"'{HOSTILE}';Solidarité;4 rue D;06000;Nice;prive@example.org;;non\n"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "data" / "surveys").mkdir(parents=True)
    (tmp_path / "data" / "tour.toml").write_text(TOUR, encoding="utf-8")
    return tmp_path


def build(project: Path) -> Path:
    settings = load_settings(base=project)
    result = ingest(settings=settings)
    write_ingest_outputs(result, settings.out)
    out = settings.out / "site"
    build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
               settings=settings.with_(posters=False),
               out_dir=out, changes=result.changes, report=result.report)
    return out


def survey(project: Path, name: str, text: str) -> None:
    (project / "data" / "surveys" / name).write_text(text, encoding="utf-8")


def entries(feed: Path) -> list[ET.Element]:
    root = ET.parse(feed).getroot()
    assert root.tag == f"{A}feed"
    return root.findall(f"{A}entry")


@pytest.mark.slow
def test_feeds_follow_the_history(project: Path) -> None:
    survey(project, "toulon.csv", TOULON)
    build(project)
    survey(project, "nice.csv", NICE)
    survey(project, "toulon.csv", TOULON.replace("jardins@", "potager@"))
    site = build(project)
    region = site / "flux" / "actualites.xml"
    found = entries(region)
    assert [e.findtext(f"{A}title") for e in found] == ["Étape de Nice",
                                                         "Première publication de la carte"]
    assert [e.findtext(f"{A}updated") for e in found] == ["2015-10-15T00:00:00+00:00",
                                                           "2015-09-28T00:00:00+00:00"]
    root = ET.parse(region).getroot()
    assert root.findtext(f"{A}updated") == "2015-10-15T00:00:00+00:00"
    assert found[0].find(f"{A}link").get("href") == "../changes.html#maj-2"
    content = found[0].findtext(f"{A}content")
    assert found[0].find(f"{A}content").get("type") == "html"
    # The hostile name is escaped HTML once parsed back: no markup of its own
    fragment = BeautifulSoup(content, "html.parser")
    assert fragment.find("script") is None
    assert HOSTILE in fragment.get_text()
    assert "Les Jardins du Partage" in fragment.get_text()  # changed: its e-mail (consent)
    assert "courriel" in fragment.get_text()
    hrefs = [a["href"] for a in fragment.select("a")]
    assert all(h.startswith("../acteurs/") for h in hrefs) and len(hrefs) == 2
    for feed in (site / "flux").iterdir():
        text = feed.read_text(encoding="utf-8")
        assert "prive@example.org" not in text and "velo@example.org" not in text
        assert "potager@example.org" not in text  # contacts never go into a feed
        assert "<script>" not in text

    # One feed per department: each lists only its own actors
    var, alpes = entries(site / "flux" / "actualites-83.xml"), entries(
        site / "flux" / "actualites-06.xml")
    assert HOSTILE not in "".join(e.findtext(f"{A}content") for e in var)
    assert "Jardins" not in "".join(e.findtext(f"{A}content") for e in alpes)
    assert [e.findtext(f"{A}title") for e in alpes] == ["Étape de Nice",
                                                         "Première publication de la carte"]

    # Linked from the changes page (head and visible), and byte-identical on a rebuild
    page = BeautifulSoup((site / "changes.html").read_text(encoding="utf-8"), "html.parser")
    alternates = [link["href"] for link in page.select(
        'head link[rel="alternate"][type="application/atom+xml"]')]
    assert alternates == ["flux/actualites.xml", "flux/actualites-06.xml",
                          "flux/actualites-83.xml"]
    assert [a["href"] for a in page.select("p.feeds a")] == alternates
    assert "Toute la région" in page.select_one("p.feeds").get_text()
    before = {p.name: p.read_bytes() for p in (site / "flux").iterdir()}
    build(project)
    assert {p.name: p.read_bytes() for p in (site / "flux").iterdir()} == before


def test_absolute_links_and_dates_without_stops() -> None:
    history = [{"number": 3, "first_build": False, "stops": [], "actors": 0,
                "new": [], "moved": [], "removed": [], "rejected": {},
                "changed": [({"id": "a", "name": "A & B", "url": "acteurs/a.html"}, ["name"])]},
               {"number": 2, "first_build": False, "stops": [], "actors": 0, "moved": [],
                "new": [{"id": "b", "name": "B", "url": "acteurs/b.html"}], "changed": [],
                "removed": [], "rejected": {}}]
    actors = [{"id": "a", "url": "acteurs/a.html", "name": "A & B", "commune": "Gap",
               "department": "05", "last_seen": ""},
              {"id": "b", "url": "acteurs/b.html", "name": "B", "commune": "Gap",
               "department": "05", "last_seen": "2024-03-02"}]
    feeds = news_feeds(history, actors, site_title="Carte", site_url="https://ex.org/carte/",
                       field_labels={"name": "nom"}, department_names={"05": "Hautes-Alpes"})
    assert [info["url"] for info, _ in feeds] == ["flux/actualites.xml", "flux/actualites-05.xml"]
    root = ET.fromstring(feeds[1][1])
    assert "Hautes-Alpes" in root.findtext(f"{A}title")
    assert [link.get("href") for link in root.findall(f"{A}link")] == [
        "https://ex.org/carte/changes.html", "https://ex.org/carte/flux/actualites-05.xml"]
    found = root.findall(f"{A}entry")
    # entry 3 has no stop nor survey date: it takes the date of the entry before it
    assert [e.findtext(f"{A}updated")[:10] for e in found] == ["2024-03-02", "2024-03-02"]
    assert found[0].find(f"{A}link").get("href") == "https://ex.org/carte/changes.html#maj-3"
    assert "A &amp; B" in found[0].findtext(f"{A}content")
    assert len({e.findtext(f"{A}id") for e in found}) == 2
    assert feeds == news_feeds(history, actors, site_title="Carte",
                               site_url="https://ex.org/carte/", field_labels={"name": "nom"},
                               department_names={"05": "Hautes-Alpes"})


def test_no_feed_without_history() -> None:
    actors = [{"id": "a", "url": "acteurs/a.html", "name": "A", "commune": "Gap",
               "department": "05", "last_seen": "2024-03-02"}]
    kwargs = {"site_title": "Carte", "site_url": "", "field_labels": {},
              "department_names": {}}
    assert news_feeds(None, actors, **kwargs) == []  # built without comparison
    (_info, data), _dep = news_feeds([], actors, **kwargs)
    root = ET.fromstring(data)
    assert root.findall(f"{A}entry") == [] and root.findtext(f"{A}updated")[:10] == "2024-03-02"


def test_entry_titles_name_the_stops() -> None:
    entry = {"number": 4, "first_build": False, "moved": [], "changed": [],
             "stops": [{"town": "Gap", "date": "2016-01-10"}, {"town": "Nice", "date": ""},
                       {"town": "Digne", "date": "2016-01-12"}],
             "new": [{"id": "b", "name": "B", "url": "acteurs/b.html"}]}
    actors = [{"id": "b", "url": "acteurs/b.html", "name": "B", "commune": "Gap",
               "department": "05", "last_seen": ""}]
    (_info, data), _dep = news_feeds([entry], actors, site_title="Carte", site_url="",
                                     field_labels={}, department_names={})
    (found,) = ET.fromstring(data).findall(f"{A}entry")
    assert found.findtext(f"{A}title") == "Étapes de Gap, Nice et Digne"
    assert found.findtext(f"{A}updated")[:10] == "2016-01-12"

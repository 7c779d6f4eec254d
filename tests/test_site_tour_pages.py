"""The calendar and the change report pages, and the synergies on actor pages."""

from __future__ import annotations

from collections import Counter

import pytest
from bs4 import BeautifulSoup
from test_site import make_actors, make_taxonomy, make_tour

from safi_map.core.settings import Settings
from safi_map.ingestion.changes import Changes
from safi_map.site.build import build_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    actors = make_actors(40)
    first, second = actors["actor_id"].iloc[0], actors["actor_id"].iloc[1]
    entry = {"number": 2, "first_build": False, "stops": ["toulon"], "new": [first],
             "changed": {second: ["themes", "website"]}, "moved": {},
             "removed": ["parti-83137"], "kept": True, "rejected": {"ligne vide": 1},
             "names": {first: actors["name"].iloc[0], "parti-83137": "Structure partie"}}
    changes = Changes(new=[first], changed={second: ["themes", "website"]},
                      removed=["parti-83137"], retained=["parti-83137"],
                      newly_rejected={"etape.csv:7": "name is empty (column 'Nom')"},
                      names={first: actors["name"].iloc[0], "parti-83137": "Structure partie"},
                      history=[{"number": 1, "first_build": True, "stops": [], "actors": 39},
                               entry])
    out = tmp_path_factory.mktemp("s") / "site"
    build_site(actors, taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
               out_dir=out, changes=changes)
    return out, actors, first, second


def page(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_calendar_lists_every_stop_with_its_count(site):
    out, actors, *_ = site
    doc = page(out / "calendrier.html")
    rows = doc.select("table.calendar tbody tr")
    tour = make_tour()
    assert len(rows) == len(tour.stops)
    counts = Counter(s for stops in actors["stops"] for s in stops)
    for row, stop in zip(rows, tour.stops, strict=True):
        assert row.select_one("th a")["href"] == f"etapes/{stop.id}.html"
        assert row.select("td")[2].get_text() == str(counts.get(stop.id, 0))
        assert row.select("td")[3].get_text() == ("réalisée" if counts.get(stop.id) else "à venir")
    assert doc.select_one('nav a[aria-current="page"]').get_text() == "Calendrier"


def test_change_report_page(site):
    out, _, first, _ = site
    doc = page(out / "changes.html")
    newest, oldest = doc.select("section.change-entry")
    assert newest.select_one("h2").get_text() == "Étape de Toulon (28 septembre 2015)"
    assert newest.select_one("li a")["href"] == f"acteurs/{first}.html"
    text = newest.get_text()
    assert "thématiques, site web" in text
    # not on the site (dropped or hidden): counted, never named
    assert "Structure partie" not in text
    assert "1 structure absente des enquêtes n'est plus publiée" in text
    assert "ligne vide\u00a0: 1 ligne" in text
    assert "etape.csv" not in doc.get_text() and "name is empty" not in doc.get_text()
    assert oldest.select_one("h2").get_text() == "Première publication"


@pytest.mark.slow
def test_first_build_and_no_comparison(tmp_path):
    actors = make_actors(10)
    out = tmp_path / "site"
    build_site(actors, taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
               out_dir=out)
    assert "sans comparaison" in page(out / "changes.html").get_text()
    build_site(actors, taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
               out_dir=out, changes=Changes(first_build=True, new=list(actors["actor_id"]),
                                            history=[{"number": 1, "first_build": True,
                                                      "stops": [], "actors": 10}]))
    assert "Première publication de la carte\u00a0: 10 structures publiées" in page(
        out / "changes.html").get_text()


def test_actor_pages_show_synergies_from_the_pairs(site):
    out, actors, *_ = site
    from safi_map.analysis import synergies
    from safi_map.model.public import public_actors

    pairs = synergies.suggest_pairs(public_actors(actors), taxonomy=make_taxonomy())
    assert len(pairs), "the synthetic actors have matching needs and offers"
    needer = pairs.iloc[0]
    doc = page(out / "acteurs" / f"{needer['needer_id']}.html")
    helpers = [a["href"] for a in doc.select("ul.synergies-helpers a")]
    assert f"../acteurs/{needer['helper_id']}.html" in helpers


@pytest.mark.slow
def test_posters_are_linked_from_their_pages_and_reused(tmp_path):
    actors = make_actors(24)
    out = tmp_path / "build" / "site"
    settings = Settings(posters=True, posters_min_actors=2)
    kw = dict(taxonomy=make_taxonomy(), tour=make_tour(), settings=settings, out_dir=out)
    build_site(actors, **kw)
    pdfs = sorted(p.relative_to(out).as_posix() for p in (out / "affiches").rglob("*.pdf"))
    assert pdfs and all(p.read_bytes()[:5] == b"%PDF-" for p in (out / "affiches").rglob("*.pdf"))
    stats = page(out / "statistiques.html")
    listed = sorted(a["href"] for a in stats.select("#st-posters ~ ul.poster-list a, "
                                                     ".poster-list a"))
    theme_posters = [p for p in pdfs if p.startswith("affiches/themes/")]
    assert theme_posters and set(theme_posters) <= set(listed)
    # every commune page with enough actors links its own poster, and the link resolves
    counts = Counter(actors["insee_code"])
    for code, n in counts.items():
        pages_ = list((out / "communes").glob(f"{code}-*.html"))
        if not pages_:
            continue
        link = page(pages_[0]).select_one(".poster-link a")
        if n >= 2:
            assert link is not None and (pages_[0].parent / link["href"]).resolve().is_file()
    cache = tmp_path / "build" / "cache" / "posters"
    before = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    build_site(actors, **kw)
    after = {p.name: p.stat().st_mtime_ns for p in cache.iterdir()}
    assert before == after, "an unchanged build renders no poster again"


def test_map_marks_actors_new_since_the_previous_build(site):
    from safi_map.map.render import embedded_data

    out, _, first, _ = site
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "Nouveaux depuis la dernière étape" in html
    ids = embedded_data(html)["actors"]["id"]
    assert [ids[i] for i in embedded_data(html)["actors"]["new"]] == [first]


def test_auto_posters_are_skipped_for_large_data_with_a_warning(tmp_path, caplog):
    from safi_map.core.writer import Writer
    from safi_map.model.public import public_actors
    from safi_map.site.posters import write_posters
    from safi_map.site.records import build_records

    actors, taxonomy, tour = public_actors(make_actors(12)), make_taxonomy(), make_tour()
    out = tmp_path / "build" / "site"
    with Writer(out) as writer, caplog.at_level("WARNING", logger="safi_map.site.posters"):
        posters = write_posters(writer, actors, taxonomy=taxonomy, tour=tour,
                                settings=Settings(), model=build_records(actors, taxonomy, tour),
                                cache_dir=tmp_path / "cache", auto_max_actors=5)
    assert posters is None
    assert not (out / "affiches").exists()
    assert "posters skipped: 12 actors" in caplog.text

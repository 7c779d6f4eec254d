"""The diagnostic page (safi_map/site/pages/diagnostic.py): structure, names, wrapping labels."""

from __future__ import annotations

import re
import types
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from test_diagnostic import ALL
from test_diagnostic import actors as _actors_fixture
from test_diagnostic import taxonomy as _taxonomy_fixture
from test_synergies import make_actors

from safi_map.model.public import public_actors
from safi_map.site.pages import diagnostic as page

actors = _actors_fixture  # the fixtures of test_diagnostic.py, shared
taxonomy = _taxonomy_fixture


@pytest.fixture(scope="module")
def out(actors, taxonomy):
    return page.render_pages(public_actors(actors), taxonomy=taxonomy,
                             base={"site_title": "Essai"})


def test_write_pages_writes_the_page_and_three_tables(actors, taxonomy):
    written: dict[str, str] = {}
    writer = types.SimpleNamespace(write_text=written.__setitem__)
    from safi_map.site.build import make_environment

    ctx = types.SimpleNamespace(public=public_actors(actors), taxonomy=taxonomy, tour=None,
                                settings=None, env=make_environment(), base={}, pairs=None)
    assert page.write_pages(ctx, writer) == Counter(diagnostic=1)
    assert set(written) == {"diagnostic.html", "diagnostic/couverture-communes.csv",
                            "diagnostic/couverture-epci.csv",
                            "diagnostic/couverture-departements.csv"}


def test_page(out, actors, taxonomy):
    assert out == page.render_pages(public_actors(actors), taxonomy=taxonomy,
                                    base={"site_title": "Essai"})
    for content in out.values():
        for secret in ("cache-d4@example.org", "04 92 00 00 04"):
            assert secret not in content
    soup = BeautifulSoup(out["diagnostic.html"], "html.parser")
    assert soup.html["lang"] == "fr"
    # One small multiple per theme (not "autre"), each an accessible image with a title.
    maps = soup.select(".dg-multiples figure svg")
    assert len(maps) == len(ALL)
    for svg in maps:
        assert svg["role"] == "img"
        title = soup.find(id=svg["aria-labelledby"])
        assert title is not None and title.name == "title"
        assert len(svg.select("use[href^='#dg-e-']")) == 52
    ids = {p["id"] for p in soup.select(".dg-defs path")}
    for use in soup.select("use"):
        assert use["href"][1:] in ids
    # Zones blanches per theme: sport is absent from Toulon's EPCI, present in Gap's.
    sport = soup.find(id="dg-zone-sport")
    assert "Alpes-de-Haute-Provence" in sport.get_text() and "Var" in sport.get_text()
    assert "Hautes-Alpes" not in sport.find("p").get_text()
    dep_rows = soup.select("#dg-table-departements tbody tr")
    assert [r.find("th").get_text() for r in dep_rows] == [
        "Alpes-de-Haute-Provence", "Hautes-Alpes", "Alpes-Maritimes", "Bouches-du-Rhône",
        "Var", "Vaucluse"]
    assert len(soup.select("#dg-table-communes tbody tr")) == 946
    assert not soup.find_all("script", src=False)
    assert not re.search(r'\sstyle="', out["diagnostic.html"])  # CSP: no inline styles


def test_departments_by_name_never_by_code(out):
    soup = BeautifulSoup(out["diagnostic.html"], "html.parser")
    toulon = next(r for r in soup.select("#dg-table-communes tbody tr")
                  if r.th.get_text() == "Toulon")
    assert toulon.select_one("td[data-label='Département']").get_text() == "Var"
    deps = {td.get_text() for td in soup.select("#dg-table-epci td[data-label='Département']")}
    assert deps == {"Alpes-de-Haute-Provence", "Hautes-Alpes", "Alpes-Maritimes",
                    "Bouches-du-Rhône", "Var", "Vaucluse"}
    chart = [dt.get_text() for dt in soup.select("#dg-chart-dep dt")]
    assert chart == ["Alpes-de-Haute-Provence", "Hautes-Alpes", "Alpes-Maritimes",
                     "Bouches-du-Rhône", "Var", "Vaucluse"]


def test_chart_labels_are_whole_page_text(out, taxonomy):
    """Bar labels are page text (they wrap, never cut), not SVG text scaled with the chart;
    every cell of a table says what it is (the phone shows rows as cards)."""
    soup = BeautifulSoup(out["diagnostic.html"], "html.parser")
    charts = soup.select(".dg-bars")
    assert len(charts) == 2 and all(c.get("aria-label") for c in charts)
    labels = [dt.get_text() for dt in charts[1].select("dt")]
    assert labels == [t.label for t in taxonomy.themes if t.slug != "autre"]
    assert not soup.select(".dg-bars svg text")
    for td in soup.select(".dg-table td"):
        assert td.get("data-label"), td


def test_long_theme_label_kept_whole():
    """A long label reaches the page whole (the browser test checks that it wraps)."""
    from safi_map.model.taxonomy import Taxonomy, Theme

    long = "Environnement et transition écologique des territoires ruraux et de montagne"
    tx = Taxonomy(themes=(Theme("env", long, "#2e7d32"), Theme("autre", "Autre", "#777777")))
    html = page.render_pages(public_actors(make_actors([{"actor_id": "a", "name": "A",
                                                         "insee_code": "83137",
                                                         "themes": ["env"]}])),
                             taxonomy=tx)["diagnostic.html"]
    soup = BeautifulSoup(html, "html.parser")
    assert [dt.get_text() for dt in soup.select("#dg-chart-zones dt")] == [long]

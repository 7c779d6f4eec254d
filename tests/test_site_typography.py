"""French typography where pages assemble text, and department names instead of codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from safi_map.core.french import a_commune, de_commune
from safi_map.core.settings import Settings
from safi_map.geo.places import department_name
from safi_map.model.synthetic import synthetic_actors
from safi_map.model.taxonomy import load_taxonomy
from safi_map.model.tour import Stop, Tour
from safi_map.site.build import build_site


@pytest.mark.parametrize(("name", "de", "a"), [
    ("Arles", "d'Arles", "à Arles"),
    ("Avignon", "d'Avignon", "à Avignon"),
    ("Hyères", "d'Hyères", "à Hyères"),
    ("Énergues", "d'Énergues", "à Énergues"),
    ("La Seyne-sur-Mer", "de La Seyne-sur-Mer", "à La Seyne-sur-Mer"),
    ("Le Luc", "du Luc", "au Luc"),
    ("Le Castellet", "du Castellet", "au Castellet"),
    ("Les Mées", "des Mées", "aux Mées"),
    ("L'Escarène", "de L'Escarène", "à L'Escarène"),
    ("Gap", "de Gap", "à Gap"),
    ("Lens", "de Lens", "à Lens"),
    ("Lescure", "de Lescure", "à Lescure"),
])
def test_elision_and_contraction(name, de, a):
    assert de_commune(name) == de
    assert a_commune(name) == a


def test_department_names_cover_france():
    assert department_name("69") == "Rhône"
    assert department_name("13") == "Bouches-du-Rhône"
    assert department_name("2A") == "Corse-du-Sud"
    assert department_name("971") == "Guadeloupe"
    assert department_name("6") == "Alpes-Maritimes"
    assert department_name("zz") == "zz"


TOWNS = [("arles", "Arles", "13004"), ("le-luc", "Le Luc", "83073"), ("gap", "Gap", "05061")]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    import datetime as dt

    tour = Tour(stops=tuple(Stop(id=i, town=t, insee_code=c, date=dt.date(2015, 3 + k, 1),
                                 venue="Salle des fêtes")
                            for k, (i, t, c) in enumerate(TOWNS)))
    actors = synthetic_actors(40, seed=5)
    actors["stops"] = [[TOWNS[k % 3][0]] for k in range(len(actors))]
    actors.loc[0, ["department", "commune", "insee_code"]] = ["69", "Lyon", "69123"]
    out = tmp_path_factory.mktemp("typo") / "site"
    build_site(actors, taxonomy=load_taxonomy(), tour=tour, settings=Settings(posters=False),
               out_dir=out)
    return out


def _soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.slow
def test_stop_pages_elide(site):
    titles = {p.name: _soup(p).h1.get_text() for p in (site / "etapes").glob("*.html")}
    assert sorted(titles.values()) == ["Étape d'Arles", "Étape de Gap", "Étape du Luc"]
    text = (site / "changes.html").read_text(encoding="utf-8")
    assert "Étape de Arles" not in text and "Étape de Le Luc" not in text


def test_statistics_name_departments(site):
    doc = _soup(site / "statistiques.html")
    deps = [r.th.get_text(strip=True)
            for r in doc.select_one("#st-deps").find_parent("section").select("tbody tr")]
    assert "Rhône" in deps and "69" not in deps


@pytest.mark.parametrize("page", ["synergies.html", "diagnostic.html", "statistiques.html",
                                  "calendrier.html", "a-propos.html", "annuaire.html",
                                  "index.html", "integrer.html", "agenda.html"])
def test_no_breaking_space_before_high_punctuation(site, page):
    """The page's own text puts a non-breaking space before : ; ? ! (never a plain space)."""
    doc = _soup(site / page)
    for tag in doc(["script", "style"]):
        tag.decompose()
    bad = re.findall(r".{0,20}\w[ \t\n][:;?!](?:\s|$).{0,10}", doc.get_text())
    assert bad == []

"""Sharing (issue #16 item 6): Open Graph and Twitter card tags on every page; canonical URLs,
sitemap.xml, robots.txt and the share pictures (og:image) when site_url is set, none of them
when it is not."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from safi_map import ingest, load_settings
from safi_map.site.build import build_site
from safi_map.site.sharing import sitemap_pages, tags

HOSTILE = '"><script>alert(1)</script>'
ROWS = [["Nom de la structure", "Thématique(s)", "Description", "Adresse", "CP", "Ville",
         "Accord de publication"],
        [f"{HOSTILE} & Cie", "Alimentation", 'Épicerie "solidaire" <b>bio</b>', "1 rue A",
         "83000", "Toulon", "oui"],
        ["Atelier Vélo", "Mobilité", "", "2 rue B", "06000", "Nice", "non"]]
TOUR = """
[[stops]]
id = "toulon"
town = "Toulon"
date = 2015-09-28
surveys = ["surveys/toulon.csv"]
"""
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def build(tmp_path: Path, site_url: str) -> Path:
    (tmp_path / "data" / "surveys").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "tour.toml").write_text(TOUR, encoding="utf-8")
    with open(tmp_path / "data" / "surveys" / "toulon.csv", "w", encoding="utf-8",
              newline="") as fh:
        csv.writer(fh, delimiter=";").writerows(ROWS)
    settings = load_settings(base=tmp_path)
    result = ingest(settings=settings)
    out = tmp_path / "build" / "site"
    build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour,
               settings=settings.with_(posters=False, site_url=site_url), out_dir=out,
               changes=None, report=result.report)
    return out


def pages(site: Path) -> dict[str, BeautifulSoup]:
    return {p.relative_to(site).as_posix(): BeautifulSoup(p.read_text(encoding="utf-8"),
                                                          "html.parser")
            for p in sorted(site.rglob("*.html")) if "assets" not in p.parts}


def meta(page: BeautifulSoup, key: str) -> str | None:
    tag = page.select_one(f'meta[property="{key}"], meta[name="{key}"]')
    return tag["content"] if tag else None


@pytest.fixture(scope="module")
def with_url(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("with"), "https://exemple.org/carte/")


def test_every_page_has_sharing_tags_and_canonical(with_url: Path) -> None:
    found = pages(with_url)
    assert {"index.html", "carte-integree.html", "synergies.html", "diagnostic.html",
            "calendrier.html", "etapes/toulon.html"} <= set(found)
    assert sum(p.startswith("acteurs/") for p in found) == 2
    for rel, page in found.items():
        assert meta(page, "og:title"), rel
        assert meta(page, "og:description"), rel
        assert meta(page, "description") == meta(page, "og:description"), rel
        assert meta(page, "og:site_name"), rel
        assert meta(page, "twitter:card") == "summary_large_image", rel
        image = meta(page, "og:image")  # a share picture: absolute, and in the site
        assert image and image.startswith("https://exemple.org/carte/partage/"), rel
        assert meta(page, "twitter:image") == image, rel
        assert (with_url / image.removeprefix("https://exemple.org/carte/")).is_file(), rel
        assert meta(page, "twitter:title") == meta(page, "og:title"), rel
        assert "<script>alert" not in str(page), rel
        canonical = page.select('head link[rel="canonical"]')
        if rel == "404.html":
            assert not canonical and meta(page, "og:url") is None
            continue
        expected = "https://exemple.org/carte/" + ("" if rel == "index.html" else rel)
        assert [c["href"] for c in canonical] == [expected], rel
        assert meta(page, "og:url") == expected, rel
    actor = next(p for r, p in found.items() if r.startswith("acteurs/") and "Cie" in
                 p.select_one("h1").get_text())
    # The hostile name and description come back as text: no markup of their own
    assert meta(actor, "og:title") == actor.select_one("h1").get_text()
    assert "<script>alert(1)</script> & Cie" in meta(actor, "og:title")
    assert meta(actor, "og:description") == 'Épicerie "solidaire" <b>bio</b>'  # as text
    other = next(p for r, p in found.items() if r.startswith("acteurs/") and "Vélo" in
                 p.select_one("h1").get_text())
    assert meta(other, "og:description") == "Atelier Vélo à Nice."
    assert meta(found["annuaire.html"], "og:description").startswith("Annuaire. Carte et ")
    assert "2 structures recensées" in meta(found["etapes/toulon.html"], "og:description")
    # each commune, theme and stop its own picture; the other pages the region's
    region = "https://exemple.org/carte/partage/region.png"
    for rel in ("index.html", "annuaire.html", "a-propos.html", "carte-integree.html"):
        assert meta(found[rel], "og:image") == region, rel
    assert meta(found["etapes/toulon.html"], "og:image").endswith("/partage/etapes/toulon.png")
    commune = next(r for r in found if r.startswith("communes/83137-"))
    assert meta(found[commune], "og:image").endswith("/partage/communes/83137.png")
    theme = next(r for r in found if r.startswith("themes/"))
    assert meta(found[theme], "og:image").endswith(f"/partage/{theme[:-5]}.png")


def test_sitemap_and_robots(with_url: Path) -> None:
    root = ET.parse(with_url / "sitemap.xml").getroot()
    locs = [u.findtext(f"{SM}loc") for u in root.findall(f"{SM}url")]
    assert locs[0] == "https://exemple.org/carte/a-propos.html"
    assert "https://exemple.org/carte/" in locs
    expected = {p for p in pages(with_url) if p not in {"404.html", "carte-integree.html"}}
    assert len(locs) == len(expected) == len(set(locs))
    robots = (with_url / "robots.txt").read_text(encoding="utf-8")
    assert "Sitemap: https://exemple.org/carte/sitemap.xml" in robots


@pytest.mark.slow
def test_nothing_about_the_address_without_site_url(tmp_path: Path) -> None:
    site = build(tmp_path, "")
    for rel, page in pages(site).items():
        assert meta(page, "og:title"), rel
        assert not page.select('link[rel="canonical"]') and meta(page, "og:url") is None, rel
        assert meta(page, "og:image") is None and meta(page, "twitter:card") == "summary", rel
    assert not (site / "sitemap.xml").exists() and not (site / "robots.txt").exists()
    assert not (site / "partage").exists()  # no tag would name the share pictures


def test_image_only_when_the_page_has_a_picture() -> None:
    kwargs = {"title": "T", "description": "D", "site_title": "S",
              "site_url": "https://ex.org/", "page_path": "communes/x.html"}
    page = BeautifulSoup(tags(**kwargs, image="affiches/x.png"), "html.parser")
    assert meta(page, "og:image") == "https://ex.org/affiches/x.png"
    assert meta(page, "twitter:card") == "summary_large_image"
    for image in ("affiches/x.pdf", ""):
        page = BeautifulSoup(tags(**kwargs, image=image), "html.parser")
        assert meta(page, "og:image") is None and meta(page, "twitter:card") == "summary"
    page = BeautifulSoup(tags(**kwargs | {"site_url": ""}, image="x.png"), "html.parser")
    assert meta(page, "og:image") is None  # a preview needs an absolute URL
    long = BeautifulSoup(tags(**kwargs | {"description": "mot " * 100}), "html.parser")
    assert len(meta(long, "og:description")) <= 200 and meta(long, "og:description")[-1] == "…"


def test_sitemap_pages() -> None:
    assert sitemap_pages(["b.html", "404.html", "assets/x.js", "carte-integree.html",
                          "a/c.html", "b.html"]) == ["a/c.html", "b.html"]

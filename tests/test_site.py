"""The static site: pages, links, safety (escaping, consent), determinism and the writer."""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup

from safi_map.core.settings import Settings
from safi_map.core.writer import DuplicatePathError, Writer
from safi_map.model.synthetic import (
    SYNTHETIC_STOPS,
    SYNTHETIC_THEMES,
    synthetic_actors,
    synthetic_taxonomy,
    synthetic_tour,
)
from safi_map.model.taxonomy import Resource, Taxonomy, Theme
from safi_map.model.tour import Tour
from safi_map.site.build import build_site
from safi_map.site.env import CSP, json_for_script
from safi_map.site.neighbours import nearest_with_ties
from safi_map.site.pages import families

HOSTILE_NAME = '"><img src=x onerror=alert(1)>'
HOSTILE_SCRIPT = "<script>alert(1)</script>"


def make_taxonomy() -> Taxonomy:
    themes = (*synthetic_taxonomy().themes, Theme("autre", "Autre", "#777777"))
    return Taxonomy(themes=themes, resources=(Resource("locaux", "Locaux"),
                                              Resource("benevoles", "Bénévoles")))


def make_tour() -> Tour:
    return synthetic_tour()


def make_actors(n: int = 80):
    actors = synthetic_actors(n, seed=7)
    # Extra hostile text on top of the synthetic one (which already has hostile names).
    actors.loc[5, "name"] = HOSTILE_NAME
    actors.loc[6, "description"] = f"{HOSTILE_SCRIPT} et javascript:alert(1)"
    actors.loc[6, "website"] = "javascript:alert(1)"
    actors.loc[7, "needs"] = ["<b>locaux</b>"]
    actors.at[8, "themes"] = ["<i>inconnue</i>", "culture"]
    # Unique private addresses, so that finding one in a file can only be a leak.
    private = ~actors["contact_consent"]
    actors.loc[private, "address"] = "Domicile privé " + actors.loc[private, "actor_id"]
    return actors


@pytest.fixture(scope="module")
def actors():
    return make_actors()


@pytest.fixture(scope="module")
def built(tmp_path_factory, actors):
    out = tmp_path_factory.mktemp("site") / "site"
    summary = build_site(actors, taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
                         out_dir=out)
    return out, summary


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def own_pages(out: Path) -> list[Path]:
    """Pages rendered by site.py (index and the embedded map come from maps.py)."""
    return [p for p in html_files(out) if p.name not in ("index.html", "carte-integree.html")
            or p.parent != out]


# -- every kind of page ----------------------------------------------------------------------
@pytest.mark.slow
def test_every_kind_of_page_exists(built, actors):
    out, summary = built
    for rel in ("index.html", "carte-integree.html", "statistiques.html", "annuaire.html",
                "a-propos.html", "integrer.html", "404.html", "donnees/acteurs.geojson",
                "donnees/acteurs.csv", "donnees/acteurs.gpkg", "assets/site/site.css"):
        assert (out / rel).is_file(), rel
    assert len(list((out / "acteurs").glob("*.html"))) == len(actors)
    codes = {c for c in actors["insee_code"] if c}
    assert len(list((out / "communes").glob("*.html"))) == len(codes)
    assert len(list((out / "etapes").glob("*.html"))) == len(SYNTHETIC_STOPS)
    used = {t for ts in actors["themes"] for t in ts}
    assert len(list((out / "themes").glob("*.html"))) == len(used)
    assert summary.actors == len(actors) and summary.communes == len(codes)
    assert summary.pages == len(html_files(out))
    assert str(summary).startswith(f"Built {summary.pages} pages ({len(actors)} actors")


@pytest.mark.slow
def test_common_structure_of_every_page(built):
    out, _ = built
    for page in html_files(out):
        doc = soup(page)
        assert doc.html.get("lang") == "fr", page
        csp = doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert csp is not None and "script-src 'self'" in csp["content"], page
        assert "unsafe-inline" not in csp["content"].split("script-src")[1].split(";")[0]
        assert doc.find("meta", attrs={"name": "viewport"}) is not None, page
        skip = doc.select_one("a.skip-link")
        if page.name == "carte-integree.html":
            continue  # the embed has no site navigation
        assert skip is not None, page
        target = skip["href"].lstrip("#")
        assert doc.find(id=target) is not None, f"{page}: skip link target {target!r} missing"
        assert doc.find("main") is not None and doc.select_one("nav.site-nav") is not None
        assert doc.find("footer") is not None, page
    for page in own_pages(out):
        doc = soup(page)
        assert len(doc.find_all("h1")) == 1, page
        # Page JS lives in files: any script element is either external or a JSON data block.
        for script in doc.find_all("script"):
            assert script.get("src") or script.get("type") == "application/json", page


def test_actor_page(built, actors):
    out, _ = built
    row = actors.iloc[20]
    doc = soup(out / "acteurs" / f"{row['actor_id']}.html")
    assert doc.h1.get_text() == row["name"]
    assert doc.select_one(".breadcrumb [aria-current]").get_text() == row["name"]
    nearby = doc.select("#voisins + ul li a")
    assert len(nearby) == 5
    similar = doc.select("#similaires + ul li")
    assert 1 <= len(similar) <= 5
    data = json.loads(doc.find("script", id="minimap-data").string)
    current = [p for p in data["points"] if p.get("current")]
    assert len(current) == 1 and current[0]["lat"] == pytest.approx(row["latitude"])
    assert len(data["points"]) == 6
    badges = [a.get_text(strip=True) for a in doc.select("ul.badges a")]
    labels = {t["slug"]: t["label"] for t in SYNTHETIC_THEMES}
    assert badges == [labels[t] for t in row["themes"]]
    if row["contact_consent"]:
        assert doc.find("a", href=f"mailto:{row['email']}") is not None
    else:
        assert row["email"] not in str(doc)


def test_nearby_are_the_nearest(built, actors):
    """The 5 listed neighbours are the 5 nearest located actors (brute force check)."""
    import numpy as np

    from safi_map.model.public import public_actors

    out, _ = built
    public = public_actors(actors)  # points of actors without consent may have moved
    located = public[public["latitude"].notna()].reset_index(drop=True)
    i = 30
    row = located.iloc[i]
    kx = 111.32 * np.cos(np.radians(located["latitude"].mean()))
    d = np.hypot((located["longitude"] - row["longitude"]) * kx,
                 (located["latitude"] - row["latitude"]) * 110.57)
    expected = set(located.iloc[np.argsort(d.to_numpy(), kind="stable")[1:6]]["actor_id"])
    doc = soup(out / "acteurs" / f"{row['actor_id']}.html")
    got = {a["href"].rsplit("/", 1)[-1].removesuffix(".html")
           for a in doc.select("#voisins + ul li a")}
    assert got == expected


@pytest.mark.parametrize("seed", range(4))
def test_nearest_with_ties_is_every_member_up_to_the_kth(seed):
    """Brute force on points shared by several members (commune centres) and scattered ones:
    each member gets every member (itself too) at most as far as its k-th nearest."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for _ in range(60):
        n = int(rng.integers(1, 50))
        centres = rng.normal(size=(int(rng.integers(1, 10)), 2)) * 10
        xy = centres[rng.integers(0, len(centres), size=n)]
        xy = xy + rng.normal(size=xy.shape) * (rng.random(n) < 0.3)[:, None]
        members = np.sort(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False))
        k = int(rng.integers(1, 13))
        rows, cols, dist = nearest_with_ties(xy, members, k)
        got = list(zip(rows.tolist(), cols.tolist(), strict=True))
        assert len(set(got)) == len(got)
        expected = set()
        for a in members:
            d = np.hypot(*(xy[members] - xy[a]).T)
            kth = np.sort(d)[min(k, len(members)) - 1]
            expected |= {(int(a), int(b)) for b in members[d <= kth * (1 + 1e-9) + 1e-9]}
        assert set(got) == expected
        assert np.allclose(dist, np.hypot(*(xy[rows] - xy[cols]).T))


def test_similar_share_a_theme(built, actors):
    out, _ = built
    themes = dict(zip(actors["actor_id"], actors["themes"], strict=True))
    for aid in actors["actor_id"][10:30]:
        doc = soup(out / "acteurs" / f"{aid}.html")
        for a in doc.select("#similaires + ul li a"):
            other = a["href"].rsplit("/", 1)[-1].removesuffix(".html")
            assert other != aid and set(themes[aid]) & set(themes[other])


def test_commune_page_lists_its_actors(built, actors):
    out, _ = built
    code, count = Counter(c for c in actors["insee_code"] if c).most_common(1)[0]
    [page] = (out / "communes").glob(f"{code}-*.html")
    doc = soup(page)
    links = doc.select("ul.actor-list li a")
    expected = set(actors.loc[actors["insee_code"] == code, "actor_id"])
    assert {a["href"].rsplit("/", 1)[-1][:-5] for a in links} == expected
    assert len(links) == count
    theme_counts = Counter(t for ts in actors.loc[actors["insee_code"] == code, "themes"]
                           for t in ts)
    rows = doc.select("table.bars tbody tr")
    assert sum(int(r.select_one("td.num").get_text()) for r in rows) == sum(theme_counts.values())


def test_stop_page(built, actors):
    out, _ = built
    doc = soup(out / "etapes" / "toulon.html")
    assert "Toulon" in doc.h1.get_text()
    assert "28 septembre 2015" in doc.get_text()
    assert "TVT Innovation" in doc.get_text()
    expected = sum("toulon" in s for s in actors["stops"])
    assert len(doc.select("#liste-etape + ul li")) == expected


def test_theme_page(built, actors):
    out, _ = built
    doc = soup(out / "themes" / "culture.html")
    expected = sum("culture" in t for t in actors["themes"])
    assert len(doc.select("#liste-theme + ul li")) == expected
    # An unknown theme still gets a page, with a safe file name and escaped label.
    unknown = [p.name for p in (out / "themes").glob("*inconnue*")]
    assert unknown == ["i-inconnue-i.html"]


def test_statistics_counts(built, actors):
    out, _ = built
    doc = soup(out / "statistiques.html")
    table = doc.select_one("#st-themes").find_parent("section").select_one("table.bars")
    got = {r.th.get_text(strip=True): int(r.select_one("td.num").get_text().replace("\u202f", ""))
           for r in table.select("tbody tr")}
    labels = {t["slug"]: t["label"] for t in SYNTHETIC_THEMES}
    expected = Counter(labels.get(t, t) for ts in actors["themes"] for t in ts)
    assert got == dict(expected)
    deps = doc.select_one("#st-deps").find_parent("section").select("tbody tr")
    assert sum(int(r.select_one("td.num").get_text().replace("\u202f", "")) for r in deps) \
        == len(actors)
    figures = doc.select(".key-figures strong")
    assert figures[1].get_text() == str(len({c for c in actors["insee_code"] if c}))


def test_annuaire_links_every_commune_theme_and_stop(built, actors):
    out, _ = built
    doc = soup(out / "annuaire.html")
    hrefs = {a["href"] for a in doc.select("main a")}
    assert sum(h.startswith("communes/") for h in hrefs) == len(set(actors["insee_code"]) - {""})
    assert sum(h.startswith("etapes/") for h in hrefs) == len(SYNTHETIC_STOPS)


# -- links and assets ------------------------------------------------------------------------
@pytest.mark.slow
def test_relative_links_resolve(built):
    out, _ = built
    checked = 0
    for page in html_files(out):
        doc = soup(page)
        for tag, attr in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
                          ("iframe", "src")):
            for el in doc.find_all(tag):
                url = el.get(attr)
                if not url:
                    continue
                parts = urlsplit(url)
                if parts.scheme in ("http", "https", "mailto", "tel"):
                    continue
                assert not parts.scheme and not parts.netloc, f"{page}: {url}"
                if not parts.path:  # same-page fragment
                    assert doc.find(id=parts.fragment) is not None, f"{page}: {url}"
                    continue
                target = (page.parent / unquote(parts.path)).resolve()
                assert target.is_file(), f"{page}: broken link {url}"
                assert out.resolve() in target.parents, f"{page}: {url} leaves the site"
                checked += 1
    assert checked > 1000


@pytest.mark.slow
def test_no_external_scripts_or_styles(built):
    out, _ = built
    for page in html_files(out):
        doc = soup(page)
        for el in doc.find_all("script", src=True):
            assert not urlsplit(el["src"]).scheme and not el["src"].startswith("//"), page
        for el in doc.find_all("link", href=True):
            assert not urlsplit(el["href"]).scheme and not el["href"].startswith("//"), page


# -- safety ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_hostile_text_is_escaped_everywhere(built, actors):
    out, _ = built
    for page in html_files(out):
        text = page.read_text(encoding="utf-8")
        assert "<script>alert" not in text, page
        assert "<img src=x" not in text, page
        assert "<b>Cie</b>" not in text and "<b>locaux</b>" not in text, page
        assert "<i>inconnue</i>" not in text, page
        doc = BeautifulSoup(text, "html.parser")
        for el in doc.find_all(True):
            for attr, value in el.attrs.items():
                assert not attr.startswith("on"), f"{page}: event handler {attr}"
                if attr in ("href", "src"):
                    assert not str(value).strip().lower().startswith("javascript:"), page
        for script in doc.find_all("script", type="application/json"):
            assert "</" not in script.string, page
            json.loads(script.string)
    # The hostile names are shown as text.
    row = actors.iloc[5]
    doc = soup(out / "acteurs" / f"{row['actor_id']}.html")
    assert doc.h1.get_text() == HOSTILE_NAME
    doc = soup(out / "acteurs" / f"{actors.iloc[6]['actor_id']}.html")
    assert HOSTILE_SCRIPT in doc.select_one(".description").get_text()
    assert doc.find("a", href=re.compile("javascript", re.I)) is None


def test_no_contact_without_consent_in_any_file(built, actors):
    out, _ = built
    hidden = actors[~actors["contact_consent"]]
    shown = actors[actors["contact_consent"]]
    assert len(hidden) > 10 and len(shown) > 10
    secrets = [*hidden["email"], *hidden["phone"], *hidden["address"]]
    secrets = [s.encode() for s in secrets if s]
    sources = [s.encode() for ss in actors["sources"] for s in ss]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.suffix == ".gpkg" for p in files)
    for path in files:
        data = path.read_bytes()
        for secret in secrets:
            assert secret not in data, f"{path} leaks {secret!r}"
        for src in sources:
            assert src not in data, f"{path} leaks source {src!r}"
    # ...while consented contacts are published.
    csv = (out / "donnees" / "acteurs.csv").read_text(encoding="utf-8")
    assert shown.iloc[0]["email"] in csv


def test_downloads(built, actors):
    out, _ = built
    gj = json.loads((out / "donnees" / "acteurs.geojson").read_text(encoding="utf-8"))
    assert len(gj["features"]) == len(actors)
    props = gj["features"][0]["properties"]
    assert isinstance(props["themes"], list) and "sources" not in props
    import pandas as pd

    csv = pd.read_csv(out / "donnees" / "acteurs.csv", dtype=str, keep_default_na=False)
    assert len(csv) == len(actors) and "sources" not in csv.columns
    assert csv.loc[0, "themes"] == ";".join(actors.loc[0, "themes"])
    import geopandas as gpd

    gpkg = gpd.read_file(out / "donnees" / "acteurs.gpkg")
    assert len(gpkg) == len(actors) and "sources" not in gpkg.columns


def test_json_for_script_escapes_markup():
    text = str(json_for_script({"name": "</script><!-- & \u2028"}))
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": "</script><!-- & \u2028"}


# -- determinism and templates -----------------------------------------------------------------
@pytest.mark.slow
def test_two_builds_are_byte_identical(tmp_path, built, actors):
    first, _ = built
    second = tmp_path / "again"
    build_site(actors, taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
               out_dir=second)
    a = sorted(p.relative_to(first).as_posix() for p in first.rglob("*") if p.is_file())
    b = sorted(p.relative_to(second).as_posix() for p in second.rglob("*") if p.is_file())
    assert a == b
    different = [rel for rel in a if (first / rel).read_bytes() != (second / rel).read_bytes()]
    assert different == []


def test_user_templates_override_package_ones(tmp_path, actors):
    project = tmp_path / "projet"
    (project / "templates").mkdir(parents=True)
    (project / "safi-map.toml").write_text("", encoding="utf-8")
    (project / "templates" / "_footer.html").write_text(
        '<footer class="site-footer">Pied de page du réseau {{ site_title }}</footer>\n',
        encoding="utf-8")
    settings = replace(Settings(title="Réseau <ESS>", posters=False), config_path=project / "safi-map.toml")
    out = tmp_path / "site"
    build_site(actors.head(10), taxonomy=make_taxonomy(), tour=make_tour(), settings=settings,
               out_dir=out)
    text = (out / "a-propos.html").read_text(encoding="utf-8")
    assert "Pied de page du réseau Réseau &lt;ESS&gt;" in text


# -- the writer ------------------------------------------------------------------------------
def test_writer_refuses_duplicates_and_escapes(tmp_path):
    with pytest.raises(DuplicatePathError), Writer(tmp_path / "out") as w:
        w.write_text("a/b.html", "1")
        w.write_text("a/B.html", "2")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError), Writer(tmp_path / "out") as w:
        w.write_text("../evil.html", "x")
    assert sorted(p.name for p in tmp_path.iterdir()) == []




def test_writer_swaps_atomically(tmp_path):
    out = tmp_path / "site"
    with Writer(out) as w:
        w.write_text("index.html", "v1")
        w.write_text("old.html", "old")
    with Writer(out) as w:
        w.write_text("index.html", "v2")
    assert (out / "index.html").read_text() == "v2"
    assert not (out / "old.html").exists()
    assert [p.name for p in tmp_path.iterdir()
            if p.name not in ("cache", ".safi-map-manifest.json")] == ["site"]


def _failing_family(error: type[BaseException], after: int):
    """A page family that writes ``after`` pages, then fails with ``error``."""
    def write_pages(ctx, writer):
        for n in range(after):
            writer.write_text(f"echec/{n}.html", "<p>page</p>")
        raise error("disque plein")
    return write_pages


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
@pytest.mark.parametrize("position", [0, 5, None])
@pytest.mark.slow
def test_failed_build_keeps_previous_site(tmp_path, actors, error, position):
    """A page family failing (first, among the others, last): the error reaches the caller as
    itself, the previous site stays as it was and no temporary folder is left."""
    kw = dict(taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False))
    out = tmp_path / "site"
    build_site(actors.head(12), out_dir=out, **kw)
    before = _tree(out)
    runs = families()
    runs.insert(len(runs) if position is None else position,
                ("echec", _failing_family(error, 3)))
    with pytest.raises(error, match="disque plein"):
        build_site(actors.head(30), out_dir=out, page_families=runs, **kw)
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name != ".safi-map-manifest.json"] == ["site"]


def test_bad_actor_id_is_refused(tmp_path, actors):
    bad = actors.head(3).copy()
    bad.loc[0, "actor_id"] = "../../etc"
    with pytest.raises(ValueError, match="actor_id"):
        build_site(bad, taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
                   out_dir=tmp_path / "site")
    assert not (tmp_path / "site").exists()


@pytest.mark.slow
def test_progress_is_reported(tmp_path, actors):
    seen: list[tuple[int, int]] = []
    build_site(actors.head(10), taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False),
               out_dir=tmp_path / "site", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert all(b >= a for (a, _), (b, _) in itertools.pairwise(seen))


def test_french_formatting():
    from safi_map.core.french import a_commune, de_commune, french_date, french_number, plural

    assert french_date("2015-10-01") == "1er octobre 2015"
    assert french_number(12345) == "12\u202f345" and french_number(3.14159, 1) == "3,1"
    assert plural(2, "commune") == "2 communes" and plural(1, "commune") == "1 commune"
    assert plural(3, "lieu", "lieux") == "3 lieux"
    assert [de_commune(n) for n in ("Arles", "Hyères", "Toulon", "La Seyne-sur-Mer", "Le Luc",
                                    "Les Mées", "Hauteville")] == [
        "d'Arles", "d'Hyères", "de Toulon", "de La Seyne-sur-Mer", "du Luc", "des Mées",
        "de Hauteville"]
    assert [a_commune(n) for n in ("Arles", "Le Castellet", "Les Mées")] == [
        "à Arles", "au Castellet", "aux Mées"]


def _tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


# -- page families -----------------------------------------------------------------------------
def test_page_families_are_found_in_name_order():
    names = [name for name, _write in families()]
    assert names == sorted(names)
    assert {"about", "actors", "agenda", "changes", "communes", "directory", "embed", "map",
            "notfound", "statistics", "stops", "themes"} <= set(names)


def test_a_new_page_family_is_one_module_and_one_template(tmp_path, actors):
    """What a newcomer writes: ``write_pages(ctx, writer)`` rendering a template from the
    context (here a user template); the build writes, counts and lists its pages."""
    project = tmp_path / "projet"
    (project / "templates").mkdir(parents=True)
    (project / "safi-map.toml").write_text("", encoding="utf-8")
    (project / "templates" / "departements.html").write_text(
        "{% extends 'base.html' %}{% block title %}Départements{% endblock %}"
        "{% block content %}<h1>Départements</h1><ul>{% for d in departments %}"
        "<li>{{ d }}</li>{% endfor %}</ul>{% endblock %}\n", encoding="utf-8")

    def write_pages(ctx, writer):
        departments = sorted({a["department_name"] for a in ctx.actors if a["department"]})
        ctx.write(writer, "departements.html", "departements.html", departments=departments)
        return Counter(departments=1)

    settings = replace(Settings(posters=False, site_url="https://ex.org/"),
                       config_path=project / "safi-map.toml")
    out = tmp_path / "site"
    summary = build_site(actors.head(20), taxonomy=make_taxonomy(), tour=make_tour(),
                         settings=settings, out_dir=out,
                         page_families=[*families(), ("departements", write_pages)])
    assert summary.page_counts["departments"] == 1
    doc = soup(out / "departements.html")
    assert doc.h1.get_text() == "Départements" and doc.select("main li")
    csp = doc.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert csp["content"] == CSP
    assert "https://ex.org/departements.html" in (out / "sitemap.xml").read_text()


def test_the_context_is_what_the_families_share(tmp_path, actors):
    """The contract of the page families: the context's shared attributes."""
    import geopandas as gpd
    import jinja2
    import pandas as pd

    seen = {}

    def write_pages(ctx, writer):
        seen["ctx"] = ctx
        return Counter()

    taxonomy, tour = make_taxonomy(), make_tour()
    build_site(actors, taxonomy=taxonomy, tour=tour, settings=Settings(posters=False),
               out_dir=tmp_path / "site", page_families=[("seul", write_pages)])
    ctx = seen["ctx"]
    assert isinstance(ctx.public, gpd.GeoDataFrame) and len(ctx.public) == len(actors)
    assert "sources" not in ctx.public.columns  # through the consent gate
    assert ctx.taxonomy is taxonomy and ctx.tour is tour
    assert isinstance(ctx.env, jinja2.Environment) and isinstance(ctx.pairs, pd.DataFrame)
    assert ctx.base["site_title"] == Settings().title and "leaflet_js" in ctx.base
    assert ctx.settings.posters is False


def test_csp_is_an_option_every_page_declares(tmp_path, actors):
    stricter = CSP + "; upgrade-insecure-requests"
    out = tmp_path / "site"
    build_site(actors.head(20), taxonomy=make_taxonomy(), tour=make_tour(),
               settings=Settings(posters=False), out_dir=out, csp=stricter)
    # (the map pages declare their own CSP, with the hashes of their inline scripts)
    stale = [p.name for p in out.rglob("*.html")
             if "upgrade-insecure-requests" not in p.read_text()]
    assert sorted(stale) == ["carte-integree.html", "index.html"]


def test_legal_forms_read_as_the_labels_table(built, actors):
    from safi_map.model.labels import LEGAL_FORMS

    out, _ = built
    row = actors[actors["legal_form"] == "cooperative"].iloc[0]
    text = soup(out / "acteurs" / f"{row['actor_id']}.html").get_text()
    assert LEGAL_FORMS["cooperative"] == "Coopérative (SCOP, SCIC…)"
    assert LEGAL_FORMS["cooperative"] in text


@pytest.mark.slow
def test_actor_pages_from_worker_processes_match_serial(tmp_path, built, actors):
    """``workers=2``: the actor pages rendered by the pool are byte-identical, every file."""
    first, _ = built
    out = tmp_path / "parallel"
    summary = build_site(actors, taxonomy=make_taxonomy(), tour=make_tour(),
                         settings=Settings(posters=False), out_dir=out, workers=2)
    assert summary.page_counts["actor"] == len(actors)
    assert _tree(out) == _tree(first)


@pytest.mark.slow
def test_an_error_in_a_worker_fails_the_build_and_keeps_the_site(tmp_path, actors):
    kw = dict(taxonomy=make_taxonomy(), tour=make_tour(), settings=Settings(posters=False))
    out = tmp_path / "site"
    build_site(actors, out_dir=out, **kw)
    before = _tree(out)
    broken = actors.copy()
    # A theme label the template cannot render is not possible from data; an actor whose
    # page fails is: a template override that raises for one actor only.
    project = tmp_path / "projet"
    (project / "templates").mkdir(parents=True)
    (project / "safi-map.toml").write_text("", encoding="utf-8")
    acteur = (Path(__file__).parents[1] / "safi_map" / "resources" / "templates" / "acteur.html")
    (project / "templates" / "acteur.html").write_text(
        "{% if actor.id == '" + actors.iloc[-1]["actor_id"] + "' %}{{ missing.value }}"
        "{% endif %}" + acteur.read_text(encoding="utf-8"), encoding="utf-8")
    settings = replace(Settings(posters=False), config_path=project / "safi-map.toml")
    import jinja2

    with pytest.raises(jinja2.UndefinedError, match="missing"):
        build_site(broken, taxonomy=make_taxonomy(), tour=make_tour(), settings=settings,
                   out_dir=out, workers=2)
    assert _tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")
            and p.name != ".safi-map-manifest.json"] == []

"""The map page as HTML: structure, local assets, CSP, escaping, consent, determinism."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from safi_map.map import render as maps
from safi_map.map.assets import MAP_SOURCES
from safi_map.model.public import public_actors
from safi_map.model.synthetic import (
    HOSTILE_NAMES,
    SYNTHETIC_STOPS,
    synthetic_actors,
    synthetic_taxonomy,
)


@pytest.fixture(scope="module")
def actors():
    return synthetic_actors(120, seed=3)


@pytest.fixture(scope="module")
def page(actors) -> str:
    return maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="Carte <test>",
        header_html='<nav><a href="index.html">Accueil</a></nav>', data_encoding="json",
    )


@pytest.fixture(scope="module")
def soup(page) -> BeautifulSoup:
    return BeautifulSoup(page, "html.parser")


def _csp(soup: BeautifulSoup) -> dict[str, list[str]]:
    meta = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})
    assert meta is not None, "the page must carry a CSP meta tag"
    out = {}
    for part in meta["content"].split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _inline_scripts(soup: BeautifulSoup) -> list[str]:
    return [
        s.string or ""
        for s in soup.find_all("script")
        if not s.get("src") and s.get("type", "text/javascript") in ("text/javascript", "module")
    ]


def test_document_structure(soup):
    assert soup.html["lang"] == "fr"
    viewport = soup.find("meta", attrs={"name": "viewport"})
    assert viewport and "width=device-width" in viewport["content"]
    assert "user-scalable=no" not in str(soup), "zooming must not be disabled"
    assert soup.title.string == "Carte <test>"
    assert soup.select_one("header.safi-header nav a")["href"] == "index.html"
    assert soup.select_one("#safi-panel") is not None
    directory = soup.select_one("#safi-directory")
    assert directory is not None and directory.find("h2").get_text() == "Annuaire des acteurs"
    assert soup.select_one(".folium-map") is not None
    skips = [a["href"] for a in soup.select(".safi-skip a")]
    assert skips == ["#safi-panel", "#safi-directory"]
    toggle = soup.select_one("button.safi-toggle")
    assert toggle["aria-controls"] == "safi-panel" and toggle["aria-expanded"] == "false"


def test_embed_page_has_no_directory_nor_header(actors):
    html = maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="Carte",
        header_html="<nav>x</nav>", embed=True,
    )
    s = BeautifulSoup(html, "html.parser")
    assert s.select_one("#safi-directory") is None
    assert s.select_one("header") is None
    assert "safi-embed" in s.body["class"]
    assert '"link_target":"_top"' in html


def test_only_local_assets(soup, tmp_path):
    srcs = [s["src"] for s in soup.find_all("script", src=True)]
    hrefs = [link["href"] for link in soup.find_all("link", href=True)]
    assert srcs and hrefs
    for url in srcs + hrefs:
        assert not re.match(r"^(https?:)?//", url), url
        assert url.startswith("assets/")
    written = maps.copy_assets(tmp_path / "assets")
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    for url in srcs + hrefs:
        assert (tmp_path / url).is_file(), f"{url} referenced but not copied"
    names = {p.relative_to(tmp_path / "assets").as_posix() for p in written}
    assert {"leaflet/leaflet.js", "leaflet/images/layers.png", "map/safi-map.js",
            "map/map.css"} <= names
    # Our own clusterer replaced Leaflet.markercluster: the plugin is neither copied nor linked.
    assert not any("markercluster" in n for n in names)
    # The map's scripts arrive as one file: every part, in load order, core before controls.
    assert srcs == ["assets/leaflet/leaflet.js", "assets/map/safi-map.js"]
    bundle = (tmp_path / "assets" / "map" / "safi-map.js").read_text(encoding="utf-8")
    heads = re.findall(r"^/\* ---- (\S+) ---- \*/$", bundle, re.MULTILINE)
    assert heads == list(MAP_SOURCES)
    assert heads.index("cluster.js") < heads.index("core.js") < heads.index("popup.js")


def test_map_scripts_are_classic_scripts_on_one_namespace():
    """No ES modules (Chrome refuses them from file://): each control file registers itself on
    window.SafiMap, which core.js makes."""
    from importlib import resources

    folder = resources.files("safi_map") / "resources" / "static" / "map"
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".js")) == sorted(MAP_SOURCES)
    for name in MAP_SOURCES:
        text = (folder / name).read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|export)\s", text, re.MULTILINE), name
        assert "eval(" not in text and "new Function" not in text, name
        if name not in ("icons.js", "cluster.js", "hours.js", "core.js"):
            assert "})(window, window.SafiMap);" in text, name


def test_folium_cdn_defaults_are_gone(page):
    for cdn in ("cdn.jsdelivr.net", "code.jquery.com", "cdnjs.cloudflare.com", "bootstrapcdn"):
        assert cdn not in page


def test_csp_hashes_match_inline_scripts(soup):
    csp = _csp(soup)
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    declared = {h for h in csp["script-src"] if h.startswith("'sha256-")}
    inline = _inline_scripts(soup)
    assert inline, "folium emits inline scripts; they must be there and hashed"
    computed = {
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
        for body in inline
    }
    assert declared == computed
    assert "https://*.tile.openstreetmap.fr" in csp["img-src"]
    assert csp["object-src"] == ["'none'"]


def test_csp_is_the_first_thing_in_head(soup):
    head_tags = [t for t in soup.head.children if getattr(t, "name", None)]
    assert head_tags[0].name == "meta" and head_tags[0].get("charset") == "utf-8"
    assert head_tags[1].get("http-equiv") == "Content-Security-Policy"


def test_hostile_names_stay_inside_the_data_block(page, soup, actors):
    # No survey string can open or close an element: every <script> is ours.
    scripts = soup.find_all("script")
    kinds = [("src" if s.get("src") else s.get("type", "inline")) for s in scripts]
    assert kinds.count("application/json") == 3  # actors, their details, boundaries
    assert all(k in ("src", "inline", "application/json") for k in kinds)
    assert "alert(" not in " ".join(_inline_scripts(soup))
    assert "<script>alert" not in page and "</script><script>alert" not in page
    assert "<img src=x" not in page
    data = json.loads(soup.find("script", id="safi-data").string)
    names = set(data["actors"]["name"])
    for hostile in HOSTILE_NAMES[:3]:  # the first actors carry them (n >= 5)
        assert hostile in names, "hostile names round-trip as plain text"
    for block in ("safi-data", "safi-data-details"):
        raw = soup.find("script", id=block).string
        assert "\u2028" not in raw and "<" not in raw and ">" not in raw
    assert "desc" in json.loads(soup.find("script", id="safi-data-details").string)


def test_gzip_block_round_trip(actors):
    html = maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="t",
        data_encoding="gzip",
    )
    s = BeautifulSoup(html, "html.parser")
    block = s.find("script", id="safi-data")
    assert block["type"] == "application/gzip"
    assert re.fullmatch(r"[A-Za-z0-9+/=]+", block.string)
    data = maps.embedded_data(html)
    assert data["actors"]["n"] == len(actors)
    assert HOSTILE_NAMES[0] in data["actors"]["name"]


def test_contacts_only_with_consent(page, actors):
    data = maps.embedded_data(page)
    emails, phones = set(data["actors"]["email"]), set(data["actors"]["phone"])
    consenting = actors[actors["contact_consent"]]
    refusing = actors[~actors["contact_consent"]]
    assert len(consenting) and len(refusing)
    for _, row in refusing.iterrows():
        assert row["email"] not in page and row["email"] not in emails
        assert row["phone"] not in phones
        assert row["address"] not in page
    for _, row in consenting.iterrows():
        assert row["email"] in emails
    # The javascript: website of the second hostile actor never reaches the page.
    assert "javascript:" not in page


def test_payload_shape(actors):
    pub = public_actors(actors)
    p = maps.map_payload(actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS))
    a = p["actors"]
    assert a["n"] == len(actors)
    assert all(len(a[k]) == len(actors) for k in ("id", "name", "lat", "lon", "themes", "legal", "commune", "stops", "desc"))
    assert sorted(a["id"]) == sorted(actors["actor_id"])
    located = int(pub["latitude"].notna().sum())
    assert sum(x is not None for x in a["lat"]) == located < len(actors)
    slugs = [t["slug"] for t in p["themes"]]
    for i, aid in enumerate(a["id"]):
        row = actors.set_index("actor_id").loc[aid]
        assert [slugs[k] for k in a["themes"][i]] == list(row["themes"])
        assert p["communes"][a["commune"][i]]["code"] == row["insee_code"]
    stop_counts = {s["id"]: s["count"] for s in p["stops"]}
    for stop in SYNTHETIC_STOPS:
        assert stop_counts[stop["id"]] == sum(stop["id"] in s for s in actors["stops"])
    assert all(s["lat"] is not None for s in p["stops"])


def test_unknown_theme_falls_under_autre(actors):
    few = actors.head(3).copy()
    few["themes"] = [["pas-un-theme"], [], ["sante"]]
    p = maps.map_payload(few, taxonomy=synthetic_taxonomy(), tour=[])
    slugs = [t["slug"] for t in p["themes"]]
    by_id = dict(zip(p["actors"]["id"], p["actors"]["themes"], strict=True))
    ids = list(few["actor_id"])
    assert by_id[ids[0]] == [slugs.index("autre")] and by_id[ids[1]] == [slugs.index("autre")]
    assert by_id[ids[2]] == [slugs.index("sante")]


def test_real_taxonomy_and_tour_objects(actors):
    from safi_map.model.taxonomy import load_taxonomy
    from safi_map.model.tour import load_tour

    root = Path(__file__).resolve().parents[1] / "data"
    tax, tour = load_taxonomy(root / "taxonomy.toml"), load_tour(root / "tour.toml")
    p = maps.map_payload(actors, taxonomy=tax, tour=tour)
    assert [t["slug"] for t in p["themes"]][: len(tax.themes)] == [t.slug for t in tax.themes]
    assert [s["id"] for s in p["stops"]] == [s.id for s in sorted(tour, key=lambda s: (s.date, s.id))]
    labels = {f["slug"]: f["label"] for f in p["legal_forms"]}
    assert labels["association"] == tax.legal_forms["association"]


def test_output_is_deterministic(actors):
    kw = dict(taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="t")
    a = maps.render_map_page(actors, **kw)
    b = maps.render_map_page(actors.sample(frac=1.0, random_state=1), **kw)
    assert a == b
    assert maps.render_map_page(actors, data_encoding="gzip", **kw) == maps.render_map_page(
        actors, data_encoding="gzip", **kw
    )


def test_inline_assets_single_file(actors):
    html = maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="t",
        inline_assets=True,
    )
    s = BeautifulSoup(html, "html.parser")
    assert not s.find_all("script", src=True)
    assert not s.find_all("link", rel="stylesheet")
    assert "url(images/" not in html and "data:image/png;base64," in html
    inline = _inline_scripts(s)
    assert any("window.SafiCluster = " in b for b in inline)
    assert not any("markerClusterGroup" in b for b in inline)
    declared = {h for h in _csp(s)["script-src"] if h.startswith("'sha256-")}
    assert len(declared) == len(set(inline))


def test_english_labels(actors):
    html = maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="t",
        labels="en", lang="en",
    )
    assert '<html lang="en">' in html and "Directory of actors" in html


# -- new since the last stop -----------------------------------------------------------------

def test_new_ids_mark_public_actors_only(actors):
    kw = dict(taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS))
    pub_ids = list(public_actors(actors)["actor_id"])
    hidden = sorted(set(actors["actor_id"]) - set(pub_ids))
    chosen = pub_ids[5:12]
    p = maps.map_payload(actors, new_ids=[*chosen, "no-such-actor", *hidden[:2]], **kw)
    a = p["actors"]
    assert [a["id"][i] for i in a["new"]] == sorted(chosen, key=a["id"].index)
    assert a["new"] == sorted(a["new"]) and len(a["new"]) == len(chosen)
    assert not set(hidden) & set(a["id"])  # the consent gate still applies


@pytest.mark.parametrize("new_ids", [None, [], ["no-such-actor"]])
def test_no_new_filter_without_new_public_actors(actors, new_ids):
    kw = dict(taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS))
    assert "new" not in maps.map_payload(actors, new_ids=new_ids, **kw)["actors"]


def test_new_ids_reach_the_page_deterministically(actors):
    kw = dict(taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS), title="t")
    ids = list(public_actors(actors)["actor_id"])[:4]
    a = maps.render_map_page(actors, new_ids=ids, **kw)
    b = maps.render_map_page(actors, new_ids=set(reversed(ids)), **kw)
    assert a == b
    data = maps.embedded_data(a)
    assert sorted(data["actors"]["id"][i] for i in data["actors"]["new"]) == sorted(ids)
    assert "new" not in maps.embedded_data(maps.render_map_page(actors, **kw))["actors"]

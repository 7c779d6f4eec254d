"""Posters: every format and paper size, directory text, overflow, privacy, determinism."""

from __future__ import annotations

import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image
from test_selection import crafted

from safi_map.export.poster import (
    PAPER_SIZES_MM,
    data_date,
    french_date,
    place_markers,
    poster_entries,
    render_poster,
)
from safi_map.model.synthetic import HOSTILE_NAMES, synthetic_actors, synthetic_taxonomy

TAXONOMY = synthetic_taxonomy()
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None and not os.environ.get("CI"),
                                   reason="poppler-utils (installed by .ci/run; required in CI)")


@pytest.fixture(scope="module")
def small():
    """Eight actors around Toulon, several at the very same commune point."""
    rows = [
        {"insee": "83137", "name": "Épicerie « Le Panier » d'Ève", "themes": ["alimentation"],
         "email": "secret-panier@example.org", "phone": "06 11 22 33 44",
         "address": "7 impasse des Secrets", "last_seen": "2015-09-28"},
        {"insee": "83137", "name": "Coopérative Œuvre & Çà", "themes": ["insertion", "culture"],
         "consent": True, "email": "ok@example.org"},
        {"insee": "83137", "name": "Association Sans Thème", "themes": []},
        {"insee": "83137", "name": "Recyclerie du Mourillon", "themes": ["economie-circulaire"]},
        {"insee": "83126", "name": "Chantier naval solidaire", "themes": ["insertion"]},
        {"insee": "83126", "name": "Jardin des Sablettes", "themes": ["environnement"],
         "dlat": 0.004},
        {"insee": "83069", "name": "Café associatif d'Hyères", "themes": ["culture"],
         "last_seen": "2015-10-26"},
        {"insee": "83137", "name": "Acteur non localisé", "themes": ["sante"], "located": False},
    ]
    return crafted(rows)


def pdf_pages(path, tmp_path):
    out = tmp_path / "page"
    subprocess.run(["pdftoppm", "-r", "12", "-png", str(path), str(out)], check=True)
    return sorted(tmp_path.glob("page*.png"))


def ink(png_path) -> float:
    """Share of pixels that are not (almost) white."""
    pixels = np.asarray(Image.open(png_path).convert("L"))
    return float((pixels < 235).mean())


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")


@pytest.mark.parametrize(("fmt", "size", "orientation"), [
    pytest.param("pdf", "A4", "portrait", marks=needs_poppler),
    ("png", "A3", "landscape"),
    ("svg", "A2", "portrait"),
    pytest.param("pdf", "A1", "landscape", marks=needs_poppler),
    ("png", "A0", "portrait"),
])
@pytest.mark.slow
def test_every_format_and_size(small, tmp_path, fmt, size, orientation):
    path = tmp_path / f"poster.{fmt}"
    result = render_poster(small, path=path, size=size, orientation=orientation,
                           title="Les acteurs de Toulon", subtitle="Étape du 28 septembre",
                           taxonomy=TAXONOMY, qr_url="https://safi.example.org/", dpi=12)
    assert result.actors == 8 and result.listed == 8 and result.omitted == 0
    short, long_ = PAPER_SIZES_MM[size]
    width_mm, height_mm = (long_, short) if orientation == "landscape" else (short, long_)
    if fmt == "pdf":
        pages = pdf_pages(path, tmp_path)
        assert len(pages) == result.pages == 1
        assert ink(pages[0]) > 0.015
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True).stdout
        page_size = info.decode().split("Page size:")[1].split("pts")[0].split("x")
        assert float(page_size[0]) == pytest.approx(width_mm / 25.4 * 72, abs=1)
        assert float(page_size[1]) == pytest.approx(height_mm / 25.4 * 72, abs=1)
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout
        assert b"TrueType" in fonts and b"Type 3" not in fonts  # fonttype 42, embedded
    elif fmt == "png":
        image = Image.open(path)
        assert image.size[0] == pytest.approx(width_mm / 25.4 * 12, abs=1)
        assert image.size[1] == pytest.approx(height_mm / 25.4 * 12, abs=1)
        assert ink(path) > 0.015
    else:
        root = ET.parse(path).getroot()
        assert float(root.get("width").removesuffix("pt")) == pytest.approx(width_mm / 25.4 * 72, abs=1)
        text = path.read_text(encoding="utf-8")
        assert "Épicerie « Le Panier » d&#39;Ève" in text or "Épicerie « Le Panier » d'Ève" in text


@needs_poppler
def test_pdf_directory_text_and_footer(small, tmp_path):
    path = tmp_path / "poster.pdf"
    render_poster(small, path=path, size="A3", title="Les acteurs de Toulon",
                  taxonomy=TAXONOMY, qr_url="https://safi.example.org/")
    text = pdf_text(path)
    for name in ("Épicerie « Le Panier » d’Ève".replace("’", "'"), "Coopérative Œuvre & Çà",
                 "Café associatif d'Hyères", "Acteur non localisé", "Jardin des Sablettes"):
        assert name in text, name
    assert "La Seyne-sur-Mer" in text and "Hyères" in text
    assert "Insertion et emploi, Culture" in text  # all theme labels in the directory
    assert "données au 26 octobre 2015" in text  # latest last_seen, not today
    assert "Licence Ouverte 2.0" in text and "8 acteurs" in text
    assert "La carte en ligne" in text and "https://safi.example.org/" in text
    # contacts never reach a poster, consented or not
    for secret in ("secret-panier", "06 11 22 33 44", "Secrets", "ok@example.org", "t.csv"):
        assert secret not in text


def test_numbering_by_commune_then_name_unlocated_last(small):
    entries = poster_entries(small, TAXONOMY)
    assert [e.number for e in entries] == [1, 2, 3, 4, 5, 6, 7, None]
    assert [e.commune for e in entries[:3]] == ["Hyères", "La Seyne-sur-Mer", "La Seyne-sur-Mer"]
    assert entries[-1].name == "Acteur non localisé"
    by_name = {e.name: e for e in entries}
    assert by_name["Coopérative Œuvre & Çà"].colour == "#1b9e77"  # first theme's colour
    assert by_name["Coopérative Œuvre & Çà"].themes == ("Insertion et emploi", "Culture")
    assert by_name["Association Sans Thème"].colour == "#8a8a8a"


@needs_poppler
@pytest.mark.slow
def test_long_directory_continues_on_pdf_pages(tmp_path):
    actors = synthetic_actors(420, seed=7)
    path = tmp_path / "region.pdf"
    result = render_poster(actors, path=path, size="A4", orientation="portrait",
                           title="Région", taxonomy=TAXONOMY)
    assert result.pages >= 2 and result.listed == 420 and result.omitted == 0
    pages = pdf_pages(path, tmp_path)
    assert len(pages) == result.pages
    assert all(ink(p) > 0.02 for p in pages)
    text = pdf_text(path)
    assert "Annuaire des acteurs (suite)" in text
    assert f"page {result.pages}/{result.pages}" in text
    entries = poster_entries(actors, TAXONOMY)
    last = entries[-1]
    assert last.name[:20] in text.replace("\n", " ")


def test_png_and_svg_say_how_many_are_left_out(tmp_path):
    actors = synthetic_actors(420, seed=7)
    path = tmp_path / "region.svg"
    result = render_poster(actors, path=path, size="A4", orientation="portrait",
                           title="Région", taxonomy=TAXONOMY)
    assert result.pages == 1 and 0 < result.listed < 420
    assert result.omitted == 420 - result.listed
    text = path.read_text(encoding="utf-8")
    assert f"suite : {result.omitted} acteurs de plus — voir la carte en ligne" in text


def test_svg_keeps_hostile_names_as_text(tmp_path):
    actors = synthetic_actors(12, seed=0)
    path = tmp_path / "hostile.svg"
    render_poster(actors, path=path, size="A4", title="<script>alert('t')</script> $x^2$",
                  taxonomy=TAXONOMY)
    root = ET.parse(path).getroot()  # well-formed XML
    assert not [el for el in root.iter() if el.tag.endswith("script")]
    texts = " ".join("".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))
    assert "<script>alert('t')</script> $x^2$" in texts  # no mathtext, no markup
    assert HOSTILE_NAMES[0] in texts


def test_deterministic_bytes(small, tmp_path):
    for fmt in ("pdf", "svg", "png"):
        a = render_poster(small, path=tmp_path / f"a.{fmt}", size="A4", taxonomy=TAXONOMY,
                          qr_url="https://safi.example.org/", dpi=30).path.read_bytes()
        b = render_poster(small.iloc[::-1], path=tmp_path / f"b.{fmt}", size="A4",
                          taxonomy=TAXONOMY, qr_url="https://safi.example.org/",
                          dpi=30).path.read_bytes()
        assert a == b, fmt


def test_markers_at_one_point_are_spread_without_overlap():
    n, d = 40, 10.0
    px = np.full(n, 200.0)
    py = np.full(n, 150.0)
    x, y = place_markers(np.append(px, 20.0), np.append(py, 280.0), d, 400.0, 300.0)
    assert (x[-1], y[-1]) == (20.0, 280.0)  # a lone marker stays on its point
    dist = np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :])
    np.fill_diagonal(dist, np.inf)
    assert dist.min() >= d
    assert np.hypot(x[:n] - 200, y[:n] - 150).max() < 6 * d  # still around the point
    assert ((x >= d / 2) & (x <= 400 - d / 2) & (y >= d / 2) & (y <= 300 - d / 2)).all()


def test_dates_and_errors(small, tmp_path):
    assert french_date("2015-09-01") == "1er septembre 2015"
    assert french_date("2015-12-07") == "7 décembre 2015"
    assert data_date(small) == "2015-10-26"
    with pytest.raises(ValueError, match="'B5'"):
        render_poster(small, path=tmp_path / "x.pdf", size="B5")
    with pytest.raises(ValueError, match="'tiff'"):
        render_poster(small, path=tmp_path / "x.tiff")


# --------------------------------------------------------------------------------------------
# Posters an organiser prints as they are (issue 15) and drawn fast (issue 13)


def test_extent_holds_every_actor_with_margins():
    from safi_map.export.poster._basemap import extent

    rng = np.random.default_rng(3)
    for aspect in (0.7, 1.0, 1.6):
        xs = rng.uniform(850_000, 1_050_000, 30)
        ys = rng.uniform(6_250_000, 6_400_000, 30)
        x0, x1, y0, y1 = extent(xs, ys, aspect)
        assert (x1 - x0) / (y1 - y0) == pytest.approx(aspect)
        w, h = x1 - x0, y1 - y0
        assert ((xs - x0) >= 0.05 * w).all() and ((x1 - xs) >= 0.05 * w).all()
        assert ((ys - y0) >= 0.05 * h).all() and ((y1 - ys) >= 0.05 * h).all()


def test_commune_poster_shows_its_commune_whole_and_its_neighbours(small):
    from safi_map.export.poster._basemap import base, draw_base, extent, focus_bounds

    toulon = small[small["insee_code"] == "83137"]
    entries = [e for e in poster_entries(toulon, TAXONOMY) if e.number is not None]
    xs, ys = np.array([e.x for e in entries]), np.array([e.y for e in entries])
    bx0, by0, bx1, by1 = focus_bounds(["83137"])
    x0, x1, y0, y1 = extent(xs, ys, 1.4, (bx0, by0, bx1, by1))
    assert x0 < bx0 and x1 > bx1 and y0 < by0 and y1 > by1  # the whole commune, with margins
    assert bx0 - x0 >= 0.2 * (bx1 - bx0)
    from matplotlib.figure import Figure

    ax = Figure().add_axes([0, 0, 1, 1])
    drawn = draw_base(ax, (x0, x1, y0, y1), 1.0, ["83137"])
    names = set(base().names[drawn])
    assert {"Toulon", "La Seyne-sur-Mer", "La Garde", "La Valette-du-Var"} <= names


@needs_poppler
@pytest.mark.slow
def test_commune_poster_through_export_names_neighbours_and_has_a_locator(small, tmp_path):
    from safi_map.analysis.selection import Selection
    from safi_map.export.api import export

    result = export(small, fmt="pdf", out=tmp_path / "toulon.pdf",
                    selection=Selection(communes=["Toulon"]), taxonomy=TAXONOMY, size="A4",
                    orientation="portrait")
    text = pdf_text(result.path)
    assert "Toulon" in text and "La Valette-du-Var" in text  # a neighbour, named
    assert "5 acteurs" in text
    # a commune fills the map: the region locator is drawn (a small map, no text)
    svg = export(small, fmt="svg", out=tmp_path / "toulon.svg",
                 selection=Selection(communes=["Toulon"]), taxonomy=TAXONOMY, size="A4")
    region = export(synthetic_actors(40, seed=2), fmt="svg", out=tmp_path / "all.svg",
                    taxonomy=TAXONOMY, size="A4")  # the whole region: no locator
    assert 'id="locator"' in svg.path.read_text(encoding="utf-8")
    assert 'id="locator"' not in region.path.read_text(encoding="utf-8")


def test_theme_poster_colours_every_marker_by_its_theme_other_themes_as_tags(small):
    from safi_map.export.poster._entries import theme_index

    theme = "insertion"
    chosen = small[small["themes"].map(lambda t: theme in t)]
    entries = poster_entries(chosen, TAXONOMY, theme=theme)
    colours = {slug: c for slug, (_label, c) in theme_index(TAXONOMY).items()}
    colour = colours[theme]
    assert len(entries) == 2 and {e.colour for e in entries} == {colour}
    coop = next(e for e in entries if e.name.startswith("Coopérative"))
    assert coop.themes == ("Culture",) and coop.theme_colours == (colours["culture"],)
    # without a theme, the first theme colours the marker (the region and stop posters)
    assert {e.colour for e in poster_entries(small, TAXONOMY)} != {colour}


@pytest.mark.slow
def test_empty_selection_writes_nothing_and_exits_1(small, tmp_path):
    from click.testing import CliRunner

    from safi_map.analysis.selection import Selection
    from safi_map.cli.main import cli
    from safi_map.core.errors import EmptySelectionError
    from safi_map.export.api import export

    with pytest.raises(EmptySelectionError, match="Gap"):
        export(small, fmt="pdf", out=tmp_path / "gap.pdf", selection=Selection(communes=["Gap"]))
    with pytest.raises(EmptySelectionError):
        render_poster(small.iloc[:0], path=tmp_path / "none.pdf")
    assert not list(tmp_path.iterdir())
    project = tmp_path / "p"
    shutil.copytree(os.path.join(os.path.dirname(__file__), "..", "data"), project / "data")
    old = os.getcwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(cli, ["export", "--commune", "Briançon", "--theme", "sante",
                                          "-o", "vide.pdf"])
    finally:
        os.chdir(old)
    assert result.exit_code == 1, result.output
    assert "Briançon" in result.output and not (project / "vide.pdf").exists()


def test_french_elision_and_contraction():
    from safi_map.analysis.selection import Selection, describe
    from safi_map.core.french import a_commune, de_commune

    assert [de_commune(n) for n in ("Arles", "Avignon", "Hyères", "Toulon", "La Seyne-sur-Mer",
                                    "Le Luc", "Les Mées", "Hauteville", "Eygalières")] == [
        "d'Arles", "d'Avignon", "d'Hyères", "de Toulon", "de La Seyne-sur-Mer", "du Luc",
        "des Mées", "de Hauteville", "d'Eygalières"]
    assert [a_commune(n) for n in ("Arles", "Le Castellet", "Les Mées", "La Garde")] == [
        "à Arles", "au Castellet", "aux Mées", "à La Garde"]
    tour = [{"id": "arles", "town": "Arles"}, {"id": "toulon", "town": "Toulon"}]
    assert describe(Selection(stops=["arles"]), tour=tour) == "étape d'Arles"
    assert describe(Selection(stops=["arles", "toulon"]), tour=tour) == (
        "étapes d'Arles et de Toulon")


def test_directory_type_fills_its_column():
    from safi_map.export.poster._directory import plan
    from safi_map.export.poster._layout import TYPOGRAPHY, Box, layout

    lay = layout("A3", "landscape", 40)
    box = Box(0, 0, 160, 150)
    few, some, many = plan(lay, box, 3), plan(lay, box, 40), plan(lay, box, 400)
    assert few.size == TYPOGRAPHY["A3"].body_max and few.two_lines
    assert few.size > some.size > many.size == TYPOGRAPHY["A3"].body_min
    assert some.capacity >= 40 and many.capacity < 400  # the rest continues on a next page
    bigger = plan(lay, Box(0, 0, 160, 150 * (some.size * 1.07 / some.size) ** 2), 40)
    assert bigger.size >= some.size  # more room, never smaller type


def test_big_paper_type_is_read_from_its_distance():
    """x-height of the smallest text at least 1/450 of the reading distance; an A0 is not an
    A3 scaled up: its type is larger relative to the sheet than the old 2.3 x A4."""
    from fontTools.ttLib import TTFont

    from safi_map.export.poster._layout import TYPOGRAPHY

    font = TTFont(matplotlib_font())
    x_height = font["glyf"]["x"].yMax / font["head"].unitsPerEm
    for size, t in TYPOGRAPHY.items():
        x_mm = t.body_min * x_height * 25.4 / 72
        assert x_mm >= t.distance_m * 1000 / 450, size
        assert t.title >= 3 * t.body_min
    scale = PAPER_SIZES_MM["A0"][0] / PAPER_SIZES_MM["A3"][0]
    assert TYPOGRAPHY["A0"].title >= TYPOGRAPHY["A3"].title * scale


def matplotlib_font() -> str:
    from importlib import resources

    return str(resources.files("safi_map") / "resources" / "fonts" / "SAFIPosterSans.ttf")


@needs_poppler
def test_pdf_embeds_the_cut_font_and_falls_back_for_other_scripts(tmp_path):
    actors = crafted([{"insee": "83137", "name": "Ассоциация Ελπίδα"},
                      {"insee": "83137", "name": "Épicerie d'Ève"}])
    path = render_poster(actors, path=tmp_path / "p.pdf", size="A4", taxonomy=TAXONOMY).path
    text = pdf_text(path)
    assert "Ассоциация Ελπίδα" in text and "Épicerie d'Ève" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout
    assert b"SAFIPosterSans" in fonts and b"DejaVuSans" in fonts

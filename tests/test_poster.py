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

from safi_map._synthetic import HOSTILE_NAMES, synthetic_actors, synthetic_taxonomy
from safi_map.poster import (
    PAPER_SIZES_MM,
    _place_markers,
    data_date,
    french_date,
    poster_entries,
    render_poster,
)

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
    x, y = _place_markers(np.append(px, 20.0), np.append(py, 280.0), d, 400.0, 300.0)
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

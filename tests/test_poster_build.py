"""`safi-map build` does not wait for posters (issue #13): the site is written first, linking
the posters already drawn; the missing ones are drawn after it and the site links them then."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli

SURVEY = (
    "Nom de la structure;Adresse;CP;Ville;Thématique(s)\n"
    "Atelier du Port;8 Boulevard de Strasbourg;83000;Toulon;Insertion\n"
    "Épicerie du Mourillon;;83000;Toulon;Alimentation\n"
    "Ressourcerie des Arènes;;13200;Arles;Insertion\n"
)


def _build(root: Path, *args: str):
    old = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["build", *args], catch_exceptions=False)
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    return result.output


def _linked(site: Path) -> set[str]:
    """Poster files named by the pages of the site."""
    found = set()
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        for kind in ("communes", "themes", "stops"):
            start = 0
            while (i := text.find(f"affiches/{kind}/", start)) >= 0:
                end = text.find(".pdf", i)
                found.add(text[i:end + 4])
                start = end
    return found


@pytest.mark.slow  # two builds with posters (the fast lane has poster_set(draw=False))
def test_site_first_then_posters_drawn_and_linked(tmp_path):
    root = tmp_path / "projet"
    (root / "data" / "surveys").mkdir(parents=True)
    (root / "data" / "surveys" / "etape.csv").write_text(SURVEY, encoding="utf-8")
    (root / "safi-map.toml").write_text("[site]\nposters = true\nposters_min_actors = 2\n",
                                        encoding="utf-8")
    out = _build(root)
    ready = out.index("index.html")
    # (English until the French catalogue has the new message)
    drawing = re.search(r"\b2 (affiches|posters)\b", out)  # Toulon and the theme Insertion
    assert drawing is not None, out
    assert ready < drawing.start(), out  # the site is said ready before any poster is drawn
    site = root / "build" / "site"
    linked = _linked(site)
    assert linked == {"affiches/communes/83137-toulon.pdf", "affiches/themes/insertion.pdf"}
    for rel in linked:
        assert (site / rel).read_bytes().startswith(b"%PDF")
    # nothing changed: the posters come from the cache, linked at once, nothing left to draw
    again = _build(root)
    assert not re.search(r"affiches|posters", again.split("index.html")[-1]), again
    assert _linked(site) == linked

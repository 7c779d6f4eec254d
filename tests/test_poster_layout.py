"""Poster layout details: text placement, the directory's choice of lines, commune names."""

from __future__ import annotations

import numpy as np
import pytest
from test_selection import crafted

from safi_map.export.poster import poster_entries
from safi_map.export.poster._directory import one_line_em, plan
from safi_map.export.poster._entries import short_commune
from safi_map.export.poster._fonts import FAMILY, Label, put, register_fonts
from safi_map.export.poster._layout import Box, layout
from safi_map.model.synthetic import synthetic_taxonomy


def _ink_box(artist_maker) -> tuple[int, int, int, int]:
    """Pixel box (left, top, right, bottom) of what one text draws on a white Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 1), dpi=200, facecolor="white")
    FigureCanvasAgg(fig)
    artist_maker(fig)
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[:, :, 0]
    rows, cols = np.nonzero(pixels < 128)
    return int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())


@pytest.mark.parametrize("ha", ["left", "center", "right"])
@pytest.mark.parametrize("va", ["baseline", "bottom", "center", "center_baseline", "top"])
def test_label_sits_where_matplotlib_puts_the_same_text(ha, va):
    """A poster's texts are Labels (no measuring pass): same place as a matplotlib Text."""
    register_fonts()
    text = "Saint-Raphaël 12"
    kw = {"fontsize": 14, "fontweight": "bold", "color": "black", "ha": ha, "va": va}

    def label(fig):
        assert isinstance(put(fig, 0.5, 0.5, text, **kw), Label)

    def reference(fig):
        fig.text(0.5, 0.5, text, family=[FAMILY], **kw)

    got, want = _ink_box(label), _ink_box(reference)
    assert np.abs(np.subtract(got, want)).max() <= 2, (got, want)


def test_put_falls_back_to_a_text_for_characters_the_font_lacks():
    from matplotlib.figure import Figure

    assert not isinstance(put(Figure(), 0.1, 0.1, "Ελληνικά", fontsize=9), Label)


def test_directory_prefers_two_lines_to_cut_names_and_communes():
    """20 entries in an A3 side column: one line each at the largest type would cut the names
    and communes, so two lines per entry at a somewhat smaller type; short entries stay on one
    line; the type never falls below the floor share of the one-line type."""
    lay = layout("A3", "landscape", 20)
    box = Box(0, 0, 170, 150)
    blind = plan(lay, box, 20)
    assert not blind.two_lines
    assert plan(lay, box, 20, one_line_em=8.0) == blind  # everything fits on one line
    long_ = plan(lay, box, 20, one_line_em=40.0)
    assert long_.two_lines and long_.capacity >= 20
    assert 0.72 * blind.size <= long_.size < blind.size
    assert long_.rows * long_.entry_h <= box.h + 1e-6


def test_marseille_arrondissements_are_short_and_in_number_order():
    assert short_commune("Marseille 10e Arrondissement") == "Marseille 10e"
    assert short_commune("Lyon 1er Arrondissement") == "Lyon 1er"
    assert short_commune("Arles") == "Arles"
    actors = crafted([{"insee": "13210", "name": "Dix"}, {"insee": "13202", "name": "Deux"},
                      {"insee": "13201", "name": "Un"}])
    entries = poster_entries(actors, synthetic_taxonomy())
    assert [e.commune for e in entries] == ["Marseille 1er", "Marseille 2e", "Marseille 10e"]
    assert one_line_em(entries) > 0


_RENDER = """
import sys
from test_selection import crafted
from safi_map.model.synthetic import synthetic_taxonomy
from safi_map.export.poster import render_poster
actors = crafted([{"insee": "83137", "name": "Épicerie d'Ève", "themes": ["alimentation"]},
                  {"insee": "83137", "name": "Atelier", "themes": ["insertion", "culture"]},
                  {"insee": "13004", "name": "Ressourcerie", "themes": ["insertion"]}])
for fmt in ("pdf", "svg", "png"):
    render_poster(actors, path=sys.argv[1] + "." + fmt, size="A4", taxonomy=synthetic_taxonomy(),
                  qr_url="https://safi.example.org/", dpi=40)
"""


@pytest.mark.slow
def test_posters_are_byte_identical_across_processes(tmp_path):
    """Font subset names, SVG ids and PNG metadata do not depend on the process (hash seed)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    tests = Path(__file__).parent
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed,
               "PYTHONPATH": os.pathsep.join([str(tests.parent), str(tests)])}
        subprocess.run([sys.executable, "-c", _RENDER, str(tmp_path / seed)], env=env,
                       check=True)
    for fmt in ("pdf", "svg", "png"):
        assert (tmp_path / f"1.{fmt}").read_bytes() == (tmp_path / f"2.{fmt}").read_bytes(), fmt

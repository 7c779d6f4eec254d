"""The diagnostic page family: ``diagnostic.html`` and its three CSV tables.

The figures come from :mod:`safi_map.analysis.diagnostic` (coverage per territory, zones
blanches); this module only turns them into the page. The choropleth maps are hand-written inline
SVG rather than matplotlib figures: a few hundred paths render in milliseconds, the output is
byte-identical from one build to the next, every territory carries a ``<title>`` (its figures,
read by screen readers and shown on hover), and the EPCI shapes are written once and reused by
every small multiple (``<use>``). Bar-chart labels are page text, not SVG text, so they keep the
page's size on a phone and wrap instead of being cut.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from safi_map.analysis.diagnostic import LEVELS, PER, _shapes, coverage, diagnostic_csv
from safi_map.core.french import french_number
from safi_map.geo.places import department_name
from safi_map.model.cells import records
from safi_map.model.taxonomy import OTHER, Taxonomy, Theme

__all__ = ["CSV_FILES", "render_pages", "write_pages"]

CSV_FILES = {"commune": "diagnostic/couverture-communes.csv",
             "epci": "diagnostic/couverture-epci.csv",
             "department": "diagnostic/couverture-departements.csv"}
"""Where each level's coverage table is written, relative to the site root."""

ZERO_COLOUR = "#e3e3e3"
RAMP = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
"""Sequential blues for positive densities (ColorBrewer Blues); zero is grey."""


def write_pages(ctx: Any, writer: Any) -> Counter[str]:
    """Write ``diagnostic.html`` and its CSV tables; the pages written, by kind.

    ``ctx`` gives ``public`` (actors through the consent gate), ``taxonomy``, ``env`` (the site's
    Jinja environment) and ``base`` (variables every page template gets).
    """
    for rel, text in render_pages(ctx.public, taxonomy=ctx.taxonomy, env=ctx.env,
                                  base=ctx.base).items():
        writer.write_text(rel, text)
    return Counter(diagnostic=1)


# ---------------------------------------------------------------------------------------------
# Colour classes and legends
# ---------------------------------------------------------------------------------------------
def _nice(value: float) -> float:
    """Round a class break to two significant digits."""
    if value <= 0:
        return 0.0
    digits = 1 - math.floor(math.log10(value))
    return round(value, digits)


def _breaks(values: Sequence[float]) -> list[float]:
    """Upper bounds of the positive classes: quartiles of the positive values, rounded."""
    positive = np.array([v for v in values if v > 0 and math.isfinite(v)], dtype=float)
    if not len(positive):
        return []
    qs = [_nice(float(q)) for q in np.quantile(positive, [0.25, 0.5, 0.75])]
    return sorted({q for q in qs if q > 0})


def _colour(value: float, breaks: Sequence[float]) -> str:
    if not (value > 0):
        return ZERO_COLOUR
    for i, b in enumerate(breaks):
        if value <= b:
            return RAMP[i]
    return RAMP[len(breaks)]


def _short(value: float) -> str:
    """``7.5`` -> ``"7,5"``, ``17.0`` -> ``"17"``: class bounds without trailing zeros."""
    return french_number(value, 2).rstrip("0").rstrip(",")


def _legend(breaks: Sequence[float]) -> list[dict[str, str]]:
    """Legend entries matching :func:`_colour`: zero, then one entry per positive class."""
    items = [{"colour": ZERO_COLOUR, "label": "aucune structure (zone blanche)"}]
    low: float | None = None
    for i, b in enumerate(breaks):
        text = f"jusqu'à {_short(b)}" if low is None else (
            f"plus de {_short(low)} à {_short(b)}")
        items.append({"colour": RAMP[i], "label": text})
        low = b
    if low is not None:
        items.append({"colour": RAMP[len(breaks)], "label": f"plus de {_short(low)}"})
    return items


def _density_text(count: int, density: float) -> str:
    word = "structure" if count <= 1 else "structures"
    if not math.isfinite(density):
        return f"{count} {word}"
    return f"{count} {word}, {french_number(density, 2)} pour 10\u00a0000 habitants"


# ---------------------------------------------------------------------------------------------
# Page parts
# ---------------------------------------------------------------------------------------------
def _bar_rows(labels: Sequence[str], values: Sequence[float], texts: Sequence[str],
              colour: str = "#2f5d8a") -> dict[str, Any]:
    """A horizontal bar chart: label (page text), bar width out of 300, value text."""
    peak = max([v for v in values if math.isfinite(v)], default=0) or 1
    rows = []
    for label, value, text in zip(labels, values, texts, strict=True):
        width = 0.0 if not math.isfinite(value) else round(300 * value / peak, 1)
        rows.append({"label": label, "width": width, "text": text, "colour": colour})
    return {"rows": rows}


def _table_rows(frame: pd.DataFrame, labels: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of a coverage table; departments by name ("Var"), never by code."""
    return [{
        "code": r["code"], "name": r["name"], "department": department_name(r["department"]),
        "population": int(r["population"]), "actors": int(r["actors"]),
        "per_10k": french_number(r["per_10k"], 2),
        "zones": [labels.get(s, s) for s in r["zones_blanches"]],
        "n_zones": int(r["n_zones_blanches"]),
    } for r in records(frame)]


def _zones(themes: list[Theme], epci: pd.DataFrame, dep: pd.DataFrame) -> list[dict[str, Any]]:
    """Per theme: the EPCIs and departments without any actor of it."""
    zones = []
    for t in themes:
        col = f"n_{t.slug}"
        zones.append({
            "slug": t.slug, "label": t.label, "colour": t.colour,
            "epci": epci.loc[epci[col] == 0, "name"].tolist(),
            "departments": dep.loc[dep[col] == 0, "name"].tolist(),
            "epci_actors": int(epci[col].sum()),
        })
    return zones


def _theme_maps(themes: list[Theme], epci: pd.DataFrame) -> tuple[list[dict[str, Any]],
                                                                    list[dict[str, str]]]:
    """One small multiple per theme (EPCI densities, classes shared by all) and its legend."""
    pop = epci["population"].to_numpy(dtype=float)
    per_theme: dict[str, np.ndarray] = {}
    for t in themes:
        counts = epci[f"n_{t.slug}"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            per_theme[t.slug] = np.where(pop > 0, counts * PER / pop, np.nan)
    breaks = _breaks([float(x) for d in per_theme.values() for x in d if math.isfinite(x)])
    maps = []
    for t in themes:
        d = per_theme[t.slug]
        counts = epci[f"n_{t.slug}"].to_numpy()
        maps.append({
            "slug": t.slug, "label": t.label,
            "zones": int((counts == 0).sum()),
            "shapes": [{"ref": f"dg-e-{code}", "fill": _colour(float(d[i]), breaks),
                        "title": f"{name}\u00a0: {_density_text(int(counts[i]), float(d[i]))}"}
                       for i, (code, name) in enumerate(zip(epci["code"], epci["name"],
                                                            strict=True))],
        })
    return maps, _legend(breaks)


def _commune_map(com: pd.DataFrame, shapes: dict[str, Any]) -> tuple[list[dict[str, Any]],
                                                                       list[dict[str, str]]]:
    """Every commune coloured by its density (all themes), and the legend."""
    breaks = _breaks([float(x) for x in com["per_10k"] if math.isfinite(x)])
    paths = [{"d": shapes["communes"][r["code"]],
              "fill": _colour(float(r["per_10k"]), breaks),
              "title": f"{r['name']}\u00a0: {_density_text(int(r['actors']), r['per_10k'])}"}
             for r in records(com) if shapes["communes"].get(r["code"])]
    return paths, _legend(breaks)


def render_pages(public: pd.DataFrame, *, taxonomy: Taxonomy, env: Any = None,
                 base: dict[str, Any] | None = None) -> dict[str, str]:
    """``{relative path: text}``: ``diagnostic.html`` and the three coverage CSV tables.

    ``public`` must already be through the consent gate
    (:func:`~safi_map.model.public.public_actors`); ``env`` is the site's Jinja environment (made
    when ``None``); ``base`` the variables every page template gets (``site_title``...).
    """
    if env is None:
        from safi_map.site.env import make_environment

        env = make_environment()
    frames = {level: coverage(public, taxonomy=taxonomy, level=level) for level in LEVELS}
    dep, epci, com = frames["department"], frames["epci"], frames["commune"]
    themes = [t for t in taxonomy.themes if t.slug != OTHER]
    labels = {t.slug: t.label for t in taxonomy.themes}
    shapes = _shapes()
    zones = _zones(themes, epci, dep)
    small_multiples, theme_legend = _theme_maps(themes, epci)
    commune_map, commune_legend = _commune_map(com, shapes)
    total_pop = int(com["population"].sum())
    total = int(dep["actors"].sum())
    html = env.get_template("diagnostic.html").render(
        **{"site_title": "Les acteurs du SAFI Tour", "site_url": "", **(base or {})},
        root="", page_path="diagnostic.html", nav="diagnostic",
        total=total, outside=int(com.attrs.get("outside", 0)), population=total_pop,
        per_10k=french_number(total * PER / total_pop if total_pop else math.nan, 2),
        communes_without=int((com["actors"] == 0).sum()), communes_total=len(com),
        epci_without=int((epci["actors"] == 0).sum()), epci_total=len(epci),
        departments=_table_rows(dep, labels), epcis=_table_rows(epci, labels),
        communes=_table_rows(com, labels), zones=zones,
        dep_chart=_bar_rows(dep["name"].tolist(),
                            [float(v) if math.isfinite(v) else 0.0 for v in dep["per_10k"]],
                            [french_number(v, 2) for v in dep["per_10k"]]),
        zone_chart=_bar_rows([z["label"] for z in zones], [float(len(z["epci"])) for z in zones],
                             [f"{len(z['epci'])} sur {len(epci)}" for z in zones], "#8d4e2a"),
        shapes=shapes, small_multiples=small_multiples, theme_legend=theme_legend,
        commune_map=commune_map, commune_legend=commune_legend, csv_urls=CSV_FILES,
    )
    out = {"diagnostic.html": html}
    for level in ("commune", "epci", "department"):
        out[CSV_FILES[level]] = diagnostic_csv(frames[level], taxonomy=taxonomy)
    return out

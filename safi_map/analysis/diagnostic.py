"""The territorial diagnostic: where the actors are, and where they are not.

The SAFI Tour workshop asked for "un diagnostic / état des lieux" of the territory. For each
PACA commune, intercommunality (EPCI) or department this module counts the actors, per theme and
per 10,000 inhabitants, and lists the "zones blanches": themes with no actor at all. Territories
with no actor are kept (they are the gaps the diagnostic is for).

Territories come from the packaged gazetteer, not from the actors' own ``epci``/``department``
columns, so every actor of one commune lands in the same EPCI whatever the survey said. Actors
located in a municipal arrondissement (Marseille) count in their city at the commune level.

The choropleth maps are hand-written inline SVG rather than matplotlib figures: a few hundred
paths render in milliseconds, the output is byte-identical from one build to the next, every
territory carries a ``<title>`` (its figures, read by screen readers and shown on hover), and
the EPCI shapes are written once and reused by every small multiple (``<use>``).
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from safi_map.analysis.synergies import _records, as_taxonomy
from safi_map.core.csvsafe import safe_row
from safi_map.core.i18n import _
from safi_map.model.public import public_actors
from safi_map.model.taxonomy import OTHER, Taxonomy

__all__ = [
    "LEVELS",
    "coverage",
    "diagnostic_csv",
    "render_diagnostic_pages",
    "territories",
]

log = logging.getLogger(__name__)

Level = Literal["commune", "epci", "department"]
LEVELS: tuple[Level, ...] = ("commune", "epci", "department")
PER = 10_000
"""Densities are given per 10,000 inhabitants."""

_LEVEL_LABELS = {"commune": "Communes", "epci": "Intercommunalités (EPCI)",
                 "department": "Départements"}


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, float) and math.isnan(value):
        return []
    return [str(v) for v in value if v is not None and str(v).strip()]


# ---------------------------------------------------------------------------------------------
# Territories
# ---------------------------------------------------------------------------------------------
@cache
def _gazetteer_paca() -> tuple[pd.DataFrame, dict[str, tuple[str, str, str]]]:
    """PACA communes (type COM) and a lookup insee -> (commune, epci, department).

    The lookup includes municipal arrondissements, mapped to their city.
    """
    from safi_map.geo import gazetteer

    raw = gazetteer.communes()
    paca = raw[raw["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
    com = paca[paca["type"] == "COM"].sort_values("code_insee").reset_index(drop=True)
    lookup = {c: (c, e, d) for c, e, d in zip(com["code_insee"], com["epci_code"],
                                              com["departement"], strict=True)}
    arm = paca[paca["type"] == "ARM"]
    for code, parent in zip(arm["code_insee"], arm["commune_parent"], strict=True):
        if parent in lookup:
            lookup[code] = lookup[parent]
    return com, lookup


def territories(level: Level) -> pd.DataFrame:
    """The PACA territories of one level: ``code, name, department, population``.

    ``population`` is the gazetteer's (INSEE) population; for an EPCI, the sum of its PACA
    communes; ``department`` of an EPCI is the one holding most of its population.
    """
    from safi_map.geo import gazetteer

    com, _unused = _gazetteer_paca()
    if level == "commune":
        out = pd.DataFrame({"code": com["code_insee"], "name": com["nom"],
                            "department": com["departement"], "epci": com["epci_code"],
                            "population": com["population"].astype("int64")})
    elif level == "epci":
        grouped = com.groupby("epci_code", sort=True)
        main_dep = (com.groupby(["epci_code", "departement"])["population"].sum()
                    .reset_index().sort_values(["epci_code", "population", "departement"],
                                               ascending=[True, False, True])
                    .drop_duplicates("epci_code").set_index("epci_code")["departement"])
        out = pd.DataFrame({
            "code": list(grouped.groups),
            "name": grouped["epci_nom"].first().to_numpy(),
            "department": main_dep.reindex(list(grouped.groups)).to_numpy(),
            "population": grouped["population"].sum().astype("int64").to_numpy(),
        })
    elif level == "department":
        names = gazetteer.department_boundaries().set_index("departement")["nom"]
        pops = com.groupby("departement")["population"].sum()
        codes = sorted(gazetteer.PACA_DEPARTMENTS)
        out = pd.DataFrame({"code": codes, "name": [str(names.get(c, c)) for c in codes],
                            "department": codes,
                            "population": [int(pops.get(c, 0)) for c in codes]})
    else:
        raise ValueError(_("level must be one of {x1}, not {level!r}").format(
                             x1=', '.join(map(repr, LEVELS)), level=level))
    return out.reset_index(drop=True)


def _actor_territories(actors: pd.DataFrame, level: Level) -> pd.Series:
    """The territory code of each actor at ``level`` ("" when unknown or outside PACA)."""
    _unused, lookup = _gazetteer_paca()
    position = {"commune": 0, "epci": 1, "department": 2}[level]
    insee = actors["insee_code"].map(_str) if "insee_code" in actors else pd.Series(
        [""] * len(actors), index=actors.index)
    codes = insee.map(lambda c: lookup[c][position] if c in lookup else "")
    if level != "commune":  # no commune known: the actor's own EPCI/department, if PACA
        column = "epci" if level == "epci" else "department"
        if column in actors:
            valid = set(territories(level)["code"])
            own = actors[column].map(_str)
            codes = codes.where(codes != "", own.where(own.isin(valid), ""))
    return codes


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------
def _theme_slugs(taxonomy: Taxonomy) -> list[str]:
    return list(taxonomy.theme_slugs)


def coverage(actors: pd.DataFrame, *, taxonomy: Taxonomy | Any = None,
             level: Level = "commune") -> pd.DataFrame:
    """Actors per territory, per theme and per 10,000 inhabitants, with the zones blanches.

    Parameters
    ----------
    actors
        The actors frame (canonical columns; ``insee_code`` places an actor, else its ``epci``
        or ``department`` for those levels).
    taxonomy
        Gives the themes (``None``: the packaged default).
    level
        ``"commune"`` (946 PACA communes, Marseille whole), ``"epci"`` or ``"department"``.

    Returns
    -------
    DataFrame
        One row per PACA territory, sorted by code, zero-actor territories included: ``code,
        name, department, population, actors, per_10k`` (actors per 10,000 inhabitants; NaN for
        a population of 0), one count column ``n_<theme slug>`` per taxonomy theme (an actor
        counts once in each of its themes), ``zones_blanches`` (list of theme slugs, taxonomy
        order, ``autre`` excluded, with no actor) and ``n_zones_blanches``. ``attrs["outside"]``
        counts actors not placed in any territory (not located, or outside PACA).
    """
    taxonomy = as_taxonomy(taxonomy)
    out = territories(level)
    slugs = _theme_slugs(taxonomy)
    codes = _actor_territories(actors, level) if len(actors) else pd.Series(dtype=str)
    placed = codes != ""
    outside = int((~placed).sum())
    index = {c: i for i, c in enumerate(out["code"])}
    totals = np.zeros(len(out), dtype=np.int64)
    per_theme = np.zeros((len(out), len(slugs)), dtype=np.int64)
    theme_pos = {s: j for j, s in enumerate(slugs)}
    themes_col = actors["themes"] if "themes" in actors else pd.Series([[]] * len(actors))
    for code, value in zip(codes, themes_col, strict=True):
        i = index.get(code)
        if i is None:
            continue
        totals[i] += 1
        for slug in dict.fromkeys(_as_list(value)):
            j = theme_pos.get(slug)
            if j is not None:
                per_theme[i, j] += 1
    out["actors"] = totals
    population = out["population"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["per_10k"] = np.where(population > 0, totals * PER / population, np.nan)
    for j, slug in enumerate(slugs):
        out[f"n_{slug}"] = per_theme[:, j]
    checked = [j for j, s in enumerate(slugs) if s != OTHER]
    out["zones_blanches"] = [[slugs[j] for j in checked if per_theme[i, j] == 0]
                             for i in range(len(out))]
    out["n_zones_blanches"] = out["zones_blanches"].map(len).astype("int64")
    out.attrs["outside"] = outside
    out.attrs["level"] = level
    if outside:
        log.info("coverage(%s): %d actors not placed in a PACA territory", level, outside)
    return out


def _french(value: float, digits: int) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{digits}f}".replace(".", ",")


def diagnostic_csv(frame: pd.DataFrame, *, taxonomy: Taxonomy | Any = None) -> str:
    """A coverage table as CSV for spreadsheets: ``;``, decimal comma, UTF-8 with BOM.

    Same dialect as :func:`safi_map.analysis.synergies.synergies_csv` (French Excel opens it by
    double-click). Headers are French; theme columns are headed by their labels. Text cells
    that a spreadsheet would run as formulas are neutralised (:mod:`safi_map.core.csvsafe`).
    """
    taxonomy = as_taxonomy(taxonomy)
    labels = {t.slug: t.label for t in taxonomy.themes}
    slugs = [c[2:] for c in frame.columns if c.startswith("n_") and c != "n_zones_blanches"]
    headers = ["Code", "Territoire", "Département", "Population", "Structures",
               "Structures pour 10 000 habitants",
               *[labels.get(s, s) for s in slugs], "Zones blanches (thématiques sans structure)"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(safe_row(headers))  # theme labels come from the taxonomy file
    numeric = range(3, 6 + len(slugs))  # population ... theme counts: numbers
    for rec in _records(frame):
        writer.writerow(safe_row([
            rec["code"], rec["name"], rec["department"], int(rec["population"]),
            int(rec["actors"]), _french(rec["per_10k"], 2),
            *[int(rec[f"n_{s}"]) for s in slugs],
            ", ".join(labels.get(s, s) for s in rec["zones_blanches"]),
        ], numeric))
    return "\ufeff" + buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Maps (inline SVG)
# ---------------------------------------------------------------------------------------------
_MAP_WIDTH = 1000.0
_SIMPLIFY = 0.005  # degrees (~500 m): plenty for a map a few hundred pixels wide
ZERO_COLOUR = "#e3e3e3"
RAMP = ("#c6dbef", "#6baed6", "#2171b5", "#08306b")
"""Sequential blues for positive densities (ColorBrewer Blues); zero is grey."""


@cache
def _shapes() -> dict[str, Any]:
    """Projected, simplified PACA shapes as SVG path data: communes, EPCIs, departments, as
    shipped with the package (:mod:`safi_map.geo.derived`)."""
    from safi_map.geo import derived as _derived

    return _derived.load("diagnostic-shapes")


def _compute_shapes() -> dict[str, Any]:
    """What :func:`_shapes` gives, computed from the reference data.

    ``coverage_simplify`` simplifies the commune tiling without opening gaps between
    neighbours; EPCIs are those communes dissolved by ``epci_code``.
    """
    import shapely

    from safi_map.geo import gazetteer

    com, _unused = _gazetteer_paca()
    bounds = gazetteer.commune_boundaries(marseille="city")
    bounds = bounds.set_index("code_insee").loc[com["code_insee"]].reset_index()
    geoms = shapely.coverage_simplify(bounds.geometry.to_numpy(), _SIMPLIFY)
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    k = math.cos(math.radians((miny + maxy) / 2))
    scale = _MAP_WIDTH / ((maxx - minx) * k)
    height = (maxy - miny) * scale

    def path(geom: Any) -> str:
        parts: list[str] = []
        for poly in getattr(geom, "geoms", [geom]):
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                px = np.round((xy[:, 0] - minx) * k * scale).astype(int)
                py = np.round((maxy - xy[:, 1]) * scale).astype(int)
                keep = np.ones(len(px), dtype=bool)
                keep[1:] = (px[1:] != px[:-1]) | (py[1:] != py[:-1])
                px, py = px[keep], py[keep]
                if len(px) < 3:
                    continue
                pts = " ".join(f"{x} {y}" for x, y in zip(px.tolist(), py.tolist(), strict=True))
                parts.append(f"M{pts}Z")
        return "".join(parts)

    epci_codes = com["epci_code"].to_numpy()
    dep_codes = com["departement"].to_numpy()
    epcis = {}
    for code in sorted(set(epci_codes)):
        epcis[code] = path(shapely.union_all(geoms[epci_codes == code]))
    deps = {}
    for code in sorted(set(dep_codes)):
        deps[code] = path(shapely.union_all(geoms[dep_codes == code]))
    communes = {c: path(g) for c, g in zip(com["code_insee"], geoms, strict=True)}
    return {"communes": communes, "epcis": epcis, "departments": deps,
            "width": int(_MAP_WIDTH), "height": math.ceil(height)}


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
    out = sorted({q for q in qs if q > 0})
    return out


def _colour(value: float, breaks: Sequence[float]) -> str:
    if not (value > 0):
        return ZERO_COLOUR
    for i, b in enumerate(breaks):
        if value <= b:
            return RAMP[i]
    return RAMP[len(breaks)]


def _short(value: float) -> str:
    """``7.5`` -> ``"7,5"``, ``17.0`` -> ``"17"``: class bounds without trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


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
    return f"{count} {word}, {_french(density, 2)} pour 10 000 habitants"


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------
def _bar_rows(labels: Sequence[str], values: Sequence[float], texts: Sequence[str],
              colour: str = "#2f5d8a") -> dict[str, Any]:
    """Geometry of a horizontal SVG bar chart (label column, bar, value text)."""
    peak = max([v for v in values if math.isfinite(v)], default=0) or 1
    rows = []
    for i, (label, value, text) in enumerate(zip(labels, values, texts, strict=True)):
        width = 0.0 if not math.isfinite(value) else round(300 * value / peak, 1)
        rows.append({"y": 8 + i * 26, "label": label, "width": width, "text": text,
                     "colour": colour})
    return {"rows": rows, "height": 16 + 26 * len(rows)}


def render_diagnostic_pages(
    actors: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    env: Any = None,
    context: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The diagnostic page and its CSV tables: ``{relative path: text}`` for the site's writer.

    Parameters
    ----------
    actors
        The actors frame; it goes through :func:`~safi_map.model.public.public_actors` here.
    taxonomy
        The project taxonomy (``None``: packaged default).
    env
        The site's Jinja2 environment (``site.make_environment``); made when ``None``.
    context
        Variables every page template gets (``site_title``, ``site_url``; ``header_html`` and
        ``footer_html`` if pre-rendered for ``root=""``).

    Returns
    -------
    dict
        ``diagnostic.html`` and ``diagnostic/couverture-{communes,epci,departements}.csv``.
    """
    taxonomy = as_taxonomy(taxonomy)
    public = public_actors(actors)
    if env is None:
        from safi_map.site.build import make_environment

        env = make_environment()
    ctx = {"site_title": "Les acteurs du SAFI Tour", "site_url": "", **(context or {})}
    frames = {level: coverage(public, taxonomy=taxonomy, level=level) for level in LEVELS}
    themes = [t for t in taxonomy.themes if t.slug != OTHER]
    labels = {t.slug: t.label for t in taxonomy.themes}
    shapes = _shapes()

    # Tables ---------------------------------------------------------------------------------
    def table_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        return [{
            "code": r["code"], "name": r["name"], "department": r["department"],
            "population": int(r["population"]), "actors": int(r["actors"]),
            "per_10k": _french(r["per_10k"], 2),
            "zones": [labels.get(s, s) for s in r["zones_blanches"]],
            "n_zones": int(r["n_zones_blanches"]),
        } for r in _records(frame)]

    dep, epci, com = frames["department"], frames["epci"], frames["commune"]

    # Zones blanches per theme -----------------------------------------------------------------
    zones = []
    for t in themes:
        col = f"n_{t.slug}"
        zones.append({
            "slug": t.slug, "label": t.label, "colour": t.colour,
            "epci": epci.loc[epci[col] == 0, "name"].tolist(),
            "departments": dep.loc[dep[col] == 0, "name"].tolist(),
            "epci_actors": int(epci[col].sum()),
        })

    # Charts -----------------------------------------------------------------------------------
    dep_chart = _bar_rows(
        [f"{r['name']} ({r['code']})" for r in _records(dep)],
        [float(v) if math.isfinite(v) else 0.0 for v in dep["per_10k"]],
        [_french(v, 2) for v in dep["per_10k"]])
    zone_chart = _bar_rows([z["label"] for z in zones],
                           [float(len(z["epci"])) for z in zones],
                           [f"{len(z['epci'])} sur {len(epci)}" for z in zones], "#8d4e2a")

    # Maps -------------------------------------------------------------------------------------
    densities: list[float] = []
    pop = epci["population"].to_numpy(dtype=float)
    per_theme_density = {}
    for t in themes:
        counts = epci[f"n_{t.slug}"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(pop > 0, counts * PER / pop, np.nan)
        per_theme_density[t.slug] = d
        densities.extend(float(x) for x in d if math.isfinite(x))
    theme_breaks = _breaks(densities)
    small_multiples = []
    for t in themes:
        d = per_theme_density[t.slug]
        counts = epci[f"n_{t.slug}"].to_numpy()
        small_multiples.append({
            "slug": t.slug, "label": t.label,
            "zones": int((counts == 0).sum()),
            "shapes": [{"ref": f"dg-e-{code}", "fill": _colour(float(d[i]), theme_breaks),
                        "title": f"{name}\u00a0: {_density_text(int(counts[i]), float(d[i]))}"}
                       for i, (code, name) in enumerate(zip(epci["code"], epci["name"],
                                                            strict=True))],
        })
    com_breaks = _breaks([float(x) for x in com["per_10k"] if math.isfinite(x)])
    commune_map = [{"d": shapes["communes"][r["code"]],
                    "fill": _colour(float(r["per_10k"]), com_breaks),
                    "title": f"{r['name']}\u00a0: {_density_text(int(r['actors']), r['per_10k'])}"}
                   for r in _records(com) if shapes["communes"].get(r["code"])]

    total_pop = int(com["population"].sum())
    html = env.get_template("diagnostic.html").render(
        **ctx,
        root="",
        page_path="diagnostic.html",
        nav="diagnostic",
        total=int(dep["actors"].sum()),
        outside=int(frames["commune"].attrs.get("outside", 0)),
        population=total_pop,
        per_10k=_french(int(dep["actors"].sum()) * PER / total_pop if total_pop else math.nan, 2),
        communes_without=int((com["actors"] == 0).sum()),
        communes_total=len(com),
        epci_without=int((epci["actors"] == 0).sum()),
        epci_total=len(epci),
        departments=table_rows(dep),
        epcis=table_rows(epci),
        communes=table_rows(com),
        zones=zones,
        dep_chart=dep_chart,
        zone_chart=zone_chart,
        shapes=shapes,
        small_multiples=small_multiples,
        theme_legend=_legend(theme_breaks),
        commune_map=commune_map,
        commune_legend=_legend(com_breaks),
        csv_urls={"commune": "diagnostic/couverture-communes.csv",
                  "epci": "diagnostic/couverture-epci.csv",
                  "department": "diagnostic/couverture-departements.csv"},
    )
    return {
        "diagnostic.html": html,
        "diagnostic/couverture-communes.csv": diagnostic_csv(com, taxonomy=taxonomy),
        "diagnostic/couverture-epci.csv": diagnostic_csv(epci, taxonomy=taxonomy),
        "diagnostic/couverture-departements.csv": diagnostic_csv(dep, taxonomy=taxonomy),
    }

"""The territorial diagnostic: where the actors are, and where they are not.

The SAFI Tour workshop asked for "un diagnostic / état des lieux" of the territory. For each
PACA commune, intercommunality (EPCI) or department this module counts the actors, per theme and
per 10,000 inhabitants, and lists the "zones blanches": themes with no actor at all. Territories
with no actor are kept (they are the gaps the diagnostic is for).

Territories come from the packaged gazetteer, not from the actors' own ``epci``/``department``
columns, so every actor of one commune lands in the same EPCI whatever the survey said. Actors
located in a municipal arrondissement (Marseille) count in their city at the commune level.

The territory outlines are given as projected, simplified SVG path data (:func:`_shapes`), which
the diagnostic page (:mod:`safi_map.site.pages.diagnostic`) draws as inline SVG maps: figures
only here, no HTML.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from functools import cache
from typing import Any, Literal

import numpy as np
import pandas as pd

from safi_map.core.csvsafe import safe_row
from safi_map.core.french import french_number
from safi_map.core.i18n import _
from safi_map.model.cells import cell_list, cell_text, records
from safi_map.model.taxonomy import OTHER, Taxonomy, load_taxonomy

__all__ = [
    "LEVELS",
    "coverage",
    "diagnostic_csv",
    "territories",
]

log = logging.getLogger(__name__)

Level = Literal["commune", "epci", "department"]
LEVELS: tuple[Level, ...] = ("commune", "epci", "department")
PER = 10_000
"""Densities are given per 10,000 inhabitants."""

_LEVEL_LABELS = {"commune": "Communes", "epci": "Intercommunalités (EPCI)",
                 "department": "Départements"}


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
    insee = actors["insee_code"].map(cell_text) if "insee_code" in actors else pd.Series(
        [""] * len(actors), index=actors.index)
    codes = insee.map(lambda c: lookup[c][position] if c in lookup else "")
    if level != "commune":  # no commune known: the actor's own EPCI/department, if PACA
        column = "epci" if level == "epci" else "department"
        if column in actors:
            valid = set(territories(level)["code"])
            own = actors[column].map(cell_text)
            codes = codes.where(codes != "", own.where(own.isin(valid), ""))
    return codes


# ---------------------------------------------------------------------------------------------
# Coverage
# ---------------------------------------------------------------------------------------------
def _theme_slugs(taxonomy: Taxonomy) -> list[str]:
    return list(taxonomy.theme_slugs)


def coverage(actors: pd.DataFrame, *, taxonomy: Taxonomy | None = None,
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
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
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
        for slug in dict.fromkeys(cell_list(value)):
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
    missing = (per_theme[:, checked] == 0).tolist()
    out["zones_blanches"] = [[slugs[j] for j, none in zip(checked, row, strict=True) if none]
                             for row in missing]
    out["n_zones_blanches"] = out["zones_blanches"].map(len).astype("int64")
    out.attrs["outside"] = outside
    out.attrs["level"] = level
    if outside:
        log.info("coverage(%s): %d actors not placed in a PACA territory", level, outside)
    return out


def diagnostic_csv(frame: pd.DataFrame, *, taxonomy: Taxonomy | None = None) -> str:
    """A coverage table as CSV for spreadsheets: ``;``, decimal comma, UTF-8 with BOM.

    Same dialect as :func:`safi_map.analysis.synergies.synergies_csv` (French Excel opens it by
    double-click). Headers are French; theme columns are headed by their labels. Text cells
    that a spreadsheet would run as formulas are neutralised (:mod:`safi_map.core.csvsafe`).
    """
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    labels = {t.slug: t.label for t in taxonomy.themes}
    slugs = [c[2:] for c in frame.columns if c.startswith("n_") and c != "n_zones_blanches"]
    headers = ["Code", "Territoire", "Département", "Population", "Structures",
               "Structures pour 10 000 habitants",
               *[labels.get(s, s) for s in slugs], "Zones blanches (thématiques sans structure)"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(safe_row(headers))  # theme labels come from the taxonomy file
    numeric = range(3, 6 + len(slugs))  # population ... theme counts: numbers
    for rec in records(frame):
        writer.writerow(safe_row([
            rec["code"], rec["name"], rec["department"], int(rec["population"]),
            int(rec["actors"]), french_number(rec["per_10k"], 2, grouped=False),
            *[int(rec[f"n_{s}"]) for s in slugs],
            ", ".join(labels.get(s, s) for s in rec["zones_blanches"]),
        ], numeric))
    return "\ufeff" + buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Maps (inline SVG)
# ---------------------------------------------------------------------------------------------
_MAP_WIDTH = 1000.0
_SIMPLIFY = 0.005  # degrees (~500 m): plenty for a map a few hundred pixels wide


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

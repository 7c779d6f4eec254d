"""The synergies page family: ``synergies.html`` (who can help whom, by structure) and its CSV.

The pairs come from :func:`safi_map.analysis.synergies.suggest_pairs`; this module only lays them
out. The page lists the structures, one collapsed ``<details>`` each ("Peut être aidée par",
"Peut aider"), a page of :data:`PAGE_GROUPS` at a time, with filters (text, need, department,
theme) run by ``assets/site/synergies.js`` from a JSON copy of the data (no inline script: the
site's CSP holds, and it works offline from ``file://``). The first page is also rendered here,
so a reader without JavaScript sees it; the CSV has every pair.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import pandas as pd

from safi_map.analysis.synergies import SynergyIndex, suggest_pairs, synergies_csv_chunks
from safi_map.core.french import french_distance
from safi_map.core.text import key
from safi_map.geo.places import department_name
from safi_map.model.cells import cell_list, cell_text, records
from safi_map.model.taxonomy import OTHER, Taxonomy

__all__ = ["CSV_PATH", "HELPED_LIMIT", "PAGE_GROUPS", "page_data", "render_page", "write_pages"]

CSV_PATH = "synergies/mises-en-relation.csv"
NBSP = "\u00a0"
PAGE_GROUPS = 20
"""Structures shown at once (and rendered server-side for readers without JavaScript)."""
HELPED_LIMIT = 10
"""Structures listed under "Peut aider" in one group (best first); the CSV has them all."""


def write_pages(ctx: Any, writer: Any) -> Counter[str]:
    """Write ``synergies.html`` and the CSV of every pair; the pages written, by kind.

    ``ctx`` gives ``public`` (actors through the consent gate), ``taxonomy``, ``env``, ``base``
    and ``pairs`` (computed here from ``public`` when ``None``). The CSV (tens of MB at the scale
    of the region) is streamed to its file.
    """
    pairs = ctx.pairs
    if pairs is None:
        pairs = suggest_pairs(ctx.public, taxonomy=ctx.taxonomy)
    writer.write_text("synergies.html", render_page(ctx.public, pairs, taxonomy=ctx.taxonomy,
                                                    env=ctx.env, base=ctx.base))
    writer.write_chunks(CSV_PATH, synergies_csv_chunks(pairs, taxonomy=ctx.taxonomy))
    return Counter(synergies=1)


# ---------------------------------------------------------------------------------------------
# Data for the page script
# ---------------------------------------------------------------------------------------------
def _distance(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def _actor_rows(public: pd.DataFrame, involved: list[str],
                theme_pos: dict[str, int]) -> list[list[Any]]:
    """``[id, name, commune, department code, [theme positions]]`` of each involved actor."""
    cols = [c for c in ("actor_id", "name", "commune", "department", "themes") if c in public]
    info = {rec["actor_id"]: rec for rec in records(public[cols])}
    rows = []
    for a in involved:
        rec = info.get(a, {})
        rows.append([a, cell_text(rec.get("name", "")), cell_text(rec.get("commune", "")),
                     cell_text(rec.get("department", "")),
                     [theme_pos[s] for s in cell_list(rec.get("themes")) if s in theme_pos]])
    return rows


def _pair_rows(pairs: pd.DataFrame, pos: dict[str, int], theme_pos: dict[str, int],
               res_pos: dict[str, int]) -> list[list[Any]]:
    """``[needer, helper, resource, distance km or null, [shared theme positions]]``."""
    rows = []
    shared_pos: dict[tuple[str, ...], list[int]] = {}
    for needer, helper, resource, d, shared in zip(
            pairs["needer_id"].tolist(), pairs["helper_id"].tolist(),
            pairs["resource"].tolist(), pairs["distance_km"].tolist(),
            pairs["shared_themes"].tolist(), strict=True):
        found = shared_pos.get(tuple(shared))
        if found is None:
            found = shared_pos[tuple(shared)] = [theme_pos[s] for s in shared if s in theme_pos]
        rows.append([pos[needer], pos[helper], res_pos[resource], _distance(d), found])
    return rows


def page_data(pairs: pd.DataFrame, public: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, Any]:
    """Compact JSON for the page script: actors and labels once, pairs as index arrays.

    ``groups`` lists the structures in the order shown (by name): ``[actor, first, end, helped,
    helped_total, offers]`` where ``pairs[first:end]`` are the pairs where it is the one looking
    (by need, then rank), ``helped`` the pairs where it can help, best first, at most
    :data:`HELPED_LIMIT`, and ``offers`` the resources (positions) it can bring.
    """
    theme_order = [t.slug for t in taxonomy.themes if t.slug != OTHER]
    theme_pos = {s: i for i, s in enumerate(theme_order)}
    res_pos = {s: i for i, s in enumerate(taxonomy.resource_slugs)}
    index = SynergyIndex(pairs, limit=HELPED_LIMIT)
    resource = pairs["resource"].tolist()
    involved = index.actor_ids
    pos = {a: i for i, a in enumerate(involved)}
    actors = _actor_rows(public, involved, theme_pos)
    groups = []
    for a in sorted(involved, key=lambda a: (key(actors[pos[a]][1]), a)):
        first, end = index.as_needer.get(a, (0, 0))
        start, stop = index.as_helper.get(a, (0, 0))
        order = index.helped_order[start:stop].tolist()
        offers = sorted({res_pos[resource[i]] for i in order})
        groups.append([pos[a], first, end, order[:HELPED_LIMIT], stop - start, offers])
    departments = sorted({row[3] for row in actors if row[3]})
    return {
        "actors": actors,
        "themes": [[t.slug, t.label] for t in taxonomy.themes if t.slug in theme_pos],
        "resources": [[r.slug, r.label] for r in taxonomy.resources],
        "departments": [[d, department_name(d)] for d in departments],
        "pairs": _pair_rows(pairs, pos, theme_pos, res_pos),
        "groups": groups,
        "page": PAGE_GROUPS,
    }


# ---------------------------------------------------------------------------------------------
# The first page, server-side (what the script draws, for readers without JavaScript)
# ---------------------------------------------------------------------------------------------
def _entry(data: dict[str, Any], pair: list[Any], other: int) -> dict[str, Any]:
    actor = data["actors"][pair[other]]
    distance = pair[3]
    return {"name": actor[1], "commune": actor[2], "url": f"acteurs/{actor[0]}.html",
            "resource": data["resources"][pair[2]][1],
            "distance": "distance inconnue" if distance is None
            else f"à {french_distance(distance, NBSP)}"}


def group_view(data: dict[str, Any], group: list[Any]) -> dict[str, Any]:
    """One structure's block as the template (and the script) show it."""
    a, first, end, helped, total, offer_pos = group
    actor = data["actors"][a]
    pairs = data["pairs"]
    helpers = [_entry(data, pairs[i], 1) for i in range(first, end)]
    helps = [_entry(data, pairs[i], 0) for i in helped]
    needs = [data["resources"][r][1]
             for r in sorted({pairs[i][2] for i in range(first, end)})]
    offers = [data["resources"][r][1] for r in offer_pos]
    return {"id": actor[0], "name": actor[1], "commune": actor[2],
            "url": f"acteurs/{actor[0]}.html", "needs": needs, "offers": offers,
            "helpers": helpers, "helps": helps, "more": total - len(helped)}


def render_page(public: pd.DataFrame, pairs: pd.DataFrame, *, taxonomy: Taxonomy,
                env: Any = None, base: dict[str, Any] | None = None) -> str:
    """``synergies.html`` (``public`` already through the consent gate)."""
    if env is None:
        from safi_map.site.env import make_environment

        env = make_environment()
    data = page_data(pairs, public, taxonomy)
    return env.get_template("synergies.html").render(
        **{"site_title": "Les acteurs du SAFI Tour", "site_url": "", **(base or {})},
        root="", page_path="synergies.html", nav="synergies",
        data=data,
        first_groups=[group_view(data, g) for g in data["groups"][:PAGE_GROUPS]],
        total=len(pairs),
        structures=len(data["groups"]),
        needers=pairs["needer_id"].nunique() if len(pairs) else 0,
        resources=data["resources"], themes=data["themes"], departments=data["departments"],
        csv_url=CSV_PATH,
    )

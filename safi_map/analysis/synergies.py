"""Who can help whom: pairing the needs of one actor with the offers of another.

The SAFI Tour exists "to create synergies between local actors" and its workshop asked for "une
base de ressources/besoins". Each actor's ``needs`` and ``offers`` (resource tags and/or free
text) are mapped through the taxonomy's ``[[resources]]`` vocabulary; then, for every resource
tag, each actor needing it is paired with the actors offering it, ranked by a documented score.

Why vectorized per resource tag: a region holds tens of thousands of actors, and the pairs of
one tag are a dense needers x offerers block (about 1,500 x 1,500 for 10,000 actors), which numpy
scores in milliseconds (haversine distance, same-commune test, shared themes as a matrix
product). Blocks are cut in row chunks so memory stays bounded whatever the size.

Score (higher is better), rounded to 4 decimals::

    score = SAME_COMMUNE_BONUS * same_commune            # 1.0 when both are in one commune
          + 1 / (1 + distance_km / PROXIMITY_SCALE_KM)   # 1 at 0 km, 0.5 at 10 km; 0 if unknown
          + THEME_WEIGHT * number_of_shared_themes       # 0.05 per theme both actors work on

so an actor of the same commune always comes first, then closer actors; a shared theme is
worth a few kilometres nearby (a helper at 5.5 km sharing one theme passes one at 4.5 km sharing
none) but does not bring a distant helper ahead of a near one (190 km and two themes score 0.15,
37 km and none 0.21): for locaux or matériel, distance is what matters. The theme
``autre`` is not a shared theme. Ties are broken by ``helper_id`` (then ``needer_id``): the order
is total and deterministic.

Only public fields are used (names, communes, themes, needs, offers): the pairs, the CSV and the
pages never carry contact details.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
import pandas as pd

from safi_map.analysis.pair_scoring import (
    EARTH_RADIUS_KM,
    PROXIMITY_SCALE_KM,
    SAME_COMMUNE_BONUS,
    THEME_WEIGHT,
    _prepare,
    _score_block,
    _tree_block,
)
from safi_map.analysis.synergy_csv import synergies_csv, synergies_csv_chunks
from safi_map.analysis.synergy_index import SynergyIndex, actor_synergies, synergies_by_actor
from safi_map.core.french import french_distance
from safi_map.core.i18n import _
from safi_map.model.taxonomy import Taxonomy, load_taxonomy

__all__ = [
    "EARTH_RADIUS_KM",
    "PAIR_COLUMNS",
    "PROXIMITY_SCALE_KM",
    "SAME_COMMUNE_BONUS",
    "THEME_WEIGHT",
    "SynergyIndex",
    "actor_synergies",
    "resource_phrase",
    "suggest_pairs",
    "synergies_by_actor",
    "synergies_csv",
    "synergies_csv_chunks",
]

log = logging.getLogger(__name__)

PAIR_COLUMNS: tuple[str, ...] = (
    "needer_id", "needer_name", "helper_id", "helper_name", "resource", "distance_km",
    "shared_themes", "score", "reason", "rank", "resource_label", "needer_commune",
    "needer_department", "helper_commune", "helper_department",
)
"""Columns of :func:`suggest_pairs`; ``rank`` is 1 for the best helper of a (needer, resource)."""

# How a need is said in French ("X cherche des locaux ; Y en propose"). A small helper of this
# module: the taxonomy holds labels ("Locaux"), not the article a sentence needs.
_PHRASES: dict[str, str] = {
    "locaux": "des locaux",
    "benevoles": "des bénévoles",
    "materiel": "du matériel",
    "competences": "des compétences",
    "financement": "des financements",
    "formation": "des formations",
    "transport": "du transport",
    "communication": "de l'aide en communication",
    "mutualisation-emploi": "des emplois à mutualiser",
    "partenariats": "des partenariats",
    "visibilite": "de la visibilité",
}


def resource_phrase(slug: str, label: str) -> str:
    """The need as said in a French sentence: ``"des locaux"``; ``« Label »`` if unknown."""
    return _PHRASES.get(slug, f"« {label} »")


def _lower_first(label: str) -> str:
    """``"Insertion et emploi"`` -> ``"insertion et emploi"``; acronyms (``"IAE"``) kept."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def suggest_pairs(
    actors: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    max_km: float | None = None,
    limit_per_actor: int = 5,
) -> pd.DataFrame:
    """Pair each actor's needs with the actors that offer them.

    Parameters
    ----------
    actors
        The actors frame (canonical columns; ``needs``/``offers`` are lists of resource tags or
        free text, mapped through ``taxonomy``'s resource vocabulary and its synonyms).
    taxonomy
        The project taxonomy; ``None`` loads the packaged default.
    max_km
        Keep only helpers within this distance (actors without a location are then left out);
        ``None``: no limit, unknown distances rank after every known one.
    limit_per_actor
        How many helpers to keep for each (needer, resource tag), best first.

    Returns
    -------
    DataFrame
        Columns :data:`PAIR_COLUMNS`, sorted by ``needer_id``, resource (vocabulary order),
        ``rank``. ``distance_km`` is rounded to 0.1 km (NaN when unknown), ``shared_themes`` a
        list of theme slugs in taxonomy order, ``reason`` a French sentence. An actor is never
        paired with itself.
    """
    return _suggest_pairs(actors, taxonomy=taxonomy, max_km=max_km,
                          limit_per_actor=limit_per_actor, block=_tree_block)


def _exhaustive_pairs(actors: pd.DataFrame, *, taxonomy: Taxonomy | None = None,
                      max_km: float | None = None, limit_per_actor: int = 5) -> pd.DataFrame:
    """:func:`suggest_pairs` scoring every needer against every offerer: the reference."""
    return _suggest_pairs(actors, taxonomy=taxonomy, max_km=max_km,
                          limit_per_actor=limit_per_actor, block=_score_block)


def _suggest_pairs(actors: pd.DataFrame, *, taxonomy: Taxonomy | None, max_km: float | None,
                   limit_per_actor: int, block: Any) -> pd.DataFrame:
    if limit_per_actor < 1:
        raise ValueError(_("limit_per_actor must be at least 1, got {limit_per_actor!r}").format(
                             limit_per_actor=limit_per_actor))
    if max_km is not None and not max_km >= 0:
        raise ValueError(_("max_km must be a positive number or None, got {max_km!r}").format(
                             max_km=max_km))
    taxonomy = taxonomy if taxonomy is not None else load_taxonomy()
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS})
    if len(actors) == 0:
        return empty
    data = _prepare(actors, taxonomy)
    n_actors = len(data["ids"])
    parts: list[pd.DataFrame] = []
    need_rows: dict[str, list[int]] = {}
    offer_rows: dict[str, list[int]] = {}
    for i in range(n_actors):
        for slug in data["needs"][i]:
            need_rows.setdefault(slug, []).append(i)
        for slug in data["offers"][i]:
            offer_rows.setdefault(slug, []).append(i)
    for r_index, slug in enumerate(taxonomy.resource_slugs):
        needers = np.array(need_rows.get(slug, []), dtype=np.int64)
        offerers = np.array(offer_rows.get(slug, []), dtype=np.int64)
        if not len(needers) or not len(offerers):
            continue
        n, h, dist, shared, score = block(data, needers, offerers, max_km, limit_per_actor)
        if not len(n):
            continue
        parts.append(pd.DataFrame({"_n": n, "_h": h, "_r": r_index, "distance_km": dist,
                                   "_shared": shared, "score": score}))
    if not parts:
        return empty
    found = pd.concat(parts, ignore_index=True)
    # Total order: needer, resource, best score, then ids (positions follow actor_id order).
    found["_neg"] = -found["score"]
    found = found.sort_values(["_n", "_r", "_neg", "_h"], kind="stable")
    found["rank"] = found.groupby(["_n", "_r"], sort=False).cumcount() + 1
    found = found[found["rank"] <= limit_per_actor].reset_index(drop=True)

    slugs = taxonomy.resource_slugs
    res_labels = {r.slug: r.label for r in taxonomy.resources}
    theme_labels = {t.slug: t.label for t in taxonomy.themes}
    order = data["theme_order"]
    ids, names = data["ids"], data["names"]
    communes, departments, commune = data["communes"], data["departments"], data["commune"]
    bits = data["theme_bits"]
    bit_slugs: dict[int, list[str]] = {}
    # The reason is "<needer> cherche <phrase> ; <helper> en propose, <where><themes>": the
    # parts after each name repeat a lot, so they are made once per distinct value.
    tails: dict[tuple[int, str, int], tuple[str, str]] = {}
    n_col = found["_n"].to_numpy()
    h_col = found["_h"].to_numpy()
    r_col = found["_r"].to_numpy()
    d_col = found["distance_km"].to_numpy(dtype=float)
    same_col = (commune[n_col] >= 0) & (commune[n_col] == commune[h_col])
    columns: dict[str, list[Any]] = {c: [] for c in PAIR_COLUMNS}
    for n, h, r, distance, same in zip(n_col.tolist(), h_col.tolist(), r_col.tolist(),
                                       d_col.tolist(), same_col.tolist(), strict=True):
        common = bits[n] & bits[h]
        shared_slugs = bit_slugs.get(common)
        if shared_slugs is None:
            shared_slugs = bit_slugs[common] = [s for j, s in enumerate(order) if common >> j & 1]
        unknown = math.isnan(distance)
        where = ("dans la même commune" if same else "distance inconnue" if unknown
                 else f"à {french_distance(distance)}")
        tail = tails.get((r, where, common))
        if tail is None:
            slug = slugs[r]
            label = res_labels.get(slug, slug)
            tail = tails[(r, where, common)] = _reason_parts(
                slug, label, where, [theme_labels.get(s, s) for s in shared_slugs])
        columns["needer_id"].append(ids[n])
        columns["needer_name"].append(names[n])
        columns["helper_id"].append(ids[h])
        columns["helper_name"].append(names[h])
        columns["distance_km"].append(math.nan if unknown else round(distance, 1))
        columns["shared_themes"].append(list(shared_slugs))
        columns["reason"].append(names[n] + tail[0] + names[h] + tail[1])
        columns["needer_commune"].append(communes[n])
        columns["needer_department"].append(departments[n])
        columns["helper_commune"].append(communes[h])
        columns["helper_department"].append(departments[h])
    resource_col = [slugs[r] for r in range(len(slugs))]
    columns["resource"] = [resource_col[r] for r in r_col.tolist()]
    columns["resource_label"] = [res_labels.get(x, x) for x in columns["resource"]]
    columns["score"] = found["score"].astype(float).tolist()
    columns["rank"] = found["rank"].astype(np.int64).tolist()
    out = pd.DataFrame(columns, columns=list(PAIR_COLUMNS))
    log.info("%d suggested pairs for %d actors", len(out), n_actors)
    return out


def _reason_parts(slug: str, label: str, where: str, shared: list[str]) -> tuple[str, str]:
    """What follows each name in ``"X cherche des locaux ; Y en propose, à 12 km, thèmes
    communs : insertion"``: ``(" cherche des locaux ; ", " en propose, à 12 km, ...")``.

    ``where`` is ``"dans la même commune"``, ``"distance inconnue"`` or ``"à 12 km"``. Split
    around the names because the parts repeat over thousands of pairs and the names do not.
    """
    text = f" en propose, {where}"
    if shared:
        word = "thème commun" if len(shared) == 1 else "thèmes communs"
        text += f", {word} : " + ", ".join(_lower_first(s) for s in shared)
    return f" cherche {resource_phrase(slug, label)} ; ", text

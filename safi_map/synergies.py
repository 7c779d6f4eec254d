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
          + THEME_WEIGHT * number_of_shared_themes       # 0.1 per theme both actors work on

so an actor of the same commune always comes first, then closer actors; a shared theme is
worth a few kilometres nearby (a helper at 6 km sharing one theme passes one at 4.3 km sharing
none) but never brings a distant helper ahead of a near one (40 km and two themes score 0.40,
5 km and none 0.67): for locaux or matériel, distance is what matters. The theme
``autre`` is not a shared theme. Ties are broken by ``helper_id`` (then ``needer_id``): the order
is total and deterministic.

Only public fields are used (names, communes, themes, needs, offers): the pairs, the CSV and the
pages never carry contact details.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from .public import public_actors
from .taxonomy import OTHER, Taxonomy, Theme, load_taxonomy

__all__ = [
    "PAIR_COLUMNS",
    "PROXIMITY_SCALE_KM",
    "SAME_COMMUNE_BONUS",
    "THEME_WEIGHT",
    "actor_synergies",
    "as_taxonomy",
    "render_synergies_pages",
    "resource_phrase",
    "suggest_pairs",
    "synergies_by_actor",
    "synergies_csv",
]

log = logging.getLogger(__name__)

SAME_COMMUNE_BONUS = 1.0
"""Added to the score when both actors are in the same commune (same INSEE code)."""
PROXIMITY_SCALE_KM = 10.0
"""Distance at which the proximity term falls to one half."""
THEME_WEIGHT = 0.1
"""Added to the score for each theme both actors work on (``autre`` excluded)."""
EARTH_RADIUS_KM = 6371.0088
_SCORE_DIGITS = 4
_SCORE_STEP = 10.0 ** -_SCORE_DIGITS
_CHUNK_CELLS = 2_000_000  # needers x offerers cells scored at once (about 16 MB per array)

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


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------
def resource_phrase(slug: str, label: str) -> str:
    """The need as said in a French sentence: ``"des locaux"``; ``« Label »`` if unknown."""
    return _PHRASES.get(slug, f"« {label} »")


def _lower_first(label: str) -> str:
    """``"Insertion et emploi"`` -> ``"insertion et emploi"``; acronyms (``"IAE"``) kept."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


def _km_text(distance: float) -> str:
    """French distance: ``"12 km"``, ``"3,4 km"``, ``"moins de 100 m"``."""
    if distance < 0.1:
        return "moins de 100 m"
    if distance < 10:
        return f"{distance:.1f} km".replace(".", ",")
    return f"{round(distance):d} km"


def _as_list(value: Any) -> list[str]:
    """A list column cell as a list of str (lists, ``;``-joined strings from files, NaN)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if isinstance(value, float) and math.isnan(value):
        return []
    if isinstance(value, Iterable):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return []


def _str(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def as_taxonomy(taxonomy: Any) -> Taxonomy:
    """A :class:`~safi_map.taxonomy.Taxonomy` from what ``build_site`` accepts.

    ``None`` loads the packaged default; a Taxonomy is returned as is; a list of theme dicts
    (or objects with ``slug``/``label``, as ``_synthetic.synthetic_taxonomy()`` gives) becomes a
    Taxonomy with those themes and the packaged needs/offers vocabulary.
    """
    if taxonomy is None:
        return load_taxonomy()
    if isinstance(taxonomy, Taxonomy):
        return taxonomy
    default = load_taxonomy()
    themes = []
    for entry in taxonomy:
        get = entry.get if isinstance(entry, Mapping) else (lambda k, e=entry: getattr(e, k, ""))
        themes.append(Theme(str(get("slug")), str(get("label") or get("slug")),
                            str(get("colour") or "#6b6b6b")))
    return Taxonomy(tuple(themes), default.resources)


def _theme_labels(taxonomy: Taxonomy) -> dict[str, str]:
    return {t.slug: t.label for t in taxonomy.themes}


def _resource_labels(taxonomy: Taxonomy) -> dict[str, str]:
    return {r.slug: r.label for r in taxonomy.resources}


class _TagCache:
    """Maps need/offer values to resource tags through the taxonomy, once per distinct value.

    Survey answers repeat a lot ("locaux", "bénévoles"); the taxonomy's fuzzy matching is the
    expensive part, so each distinct value is mapped once.
    """

    def __init__(self, taxonomy: Taxonomy) -> None:
        self.taxonomy = taxonomy
        self.known = set(taxonomy.resource_slugs)
        self.cache: dict[str, tuple[str, ...]] = {}

    def tags(self, values: Iterable[str]) -> list[str]:
        out: list[str] = []
        for value in values:
            found = self.cache.get(value)
            if found is None:
                if value in self.known:  # already a tag (the normal case after validate)
                    found = (value,)
                else:
                    found = tuple(self.taxonomy.map_resources([value])[0])
                self.cache[value] = found
            out.extend(found)
        return list(dict.fromkeys(out))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points as 3D unit vectors (NaN rows for unknown points)."""
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


def _distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Straight-line (chord) distances in km between rows of unit vectors ``a`` and ``b``.

    One matrix product (``|a-b|^2 = 2 - 2 a.b``), which BLAS computes far faster than an
    element-wise haversine. Across PACA (at most ~350 km) the chord is within 50 m of the
    great-circle distance, and the cancellation near ``a.b = 1`` costs under a metre: invisible
    at the 0.1 km we publish.
    """
    out = a @ b.T
    out *= -2.0
    out += 2.0
    np.clip(out, 0.0, 4.0, out=out)
    np.sqrt(out, out=out)
    out *= EARTH_RADIUS_KM
    return out


# ---------------------------------------------------------------------------------------------
# Pairs
# ---------------------------------------------------------------------------------------------
def _prepare(actors: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, Any]:
    """Arrays of the actors (sorted by actor_id) that the scoring needs."""
    frame = actors.sort_values("actor_id", kind="stable").reset_index(drop=True)
    ids = frame["actor_id"].map(_str).tolist()
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise ValueError(f"actor_id values must be unique; repeated: {dup!r}")
    cache = _TagCache(taxonomy)
    needs = [cache.tags(_as_list(v)) for v in frame["needs"]]
    offers = [cache.tags(_as_list(v)) for v in frame["offers"]]
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    insee = frame["insee_code"].map(_str) if "insee_code" in frame else pd.Series([""] * len(ids))
    codes, _ = pd.factorize(insee.where(insee != "", None), use_na_sentinel=True)
    theme_order = [s for s in taxonomy.theme_slugs if s != OTHER]
    theme_index = {s: i for i, s in enumerate(theme_order)}
    themes = np.zeros((len(ids), max(len(theme_order), 1)), dtype=np.float32)
    for row, value in enumerate(frame["themes"]):
        for slug in _as_list(value):
            j = theme_index.get(slug)
            if j is not None:
                themes[row, j] = 1.0
    return {
        "frame": frame, "ids": ids, "needs": needs, "offers": offers, "lat": lat, "lon": lon,
        "commune": codes, "themes": themes, "theme_order": theme_order,
        "xyz": _unit_vectors(lat, lon),
        "theme_bits": [int(sum(1 << j for j in np.flatnonzero(row))) for row in themes],
        "names": frame["name"].map(_str).tolist(),
        "communes": frame["commune"].map(_str).tolist() if "commune" in frame else [""] * len(ids),
        "departments": (frame["department"].map(_str).tolist() if "department" in frame
                        else [""] * len(ids)),
    }


def _score_block(data: dict[str, Any], needers: np.ndarray, offerers: np.ndarray,
                 max_km: float | None, limit: int) -> list[np.ndarray]:
    """Candidate (needer, helper, distance, shared, score) rows of one resource tag.

    Keeps, for each needer, every helper scoring at least its ``limit``-th best score minus the
    rounding step (ties after rounding included, so the final cut by id is exact).
    """
    xyz, commune, themes = data["xyz"], data["commune"], data["themes"]
    o_xyz, o_com = xyz[offerers], commune[offerers]
    o_themes_t = np.ascontiguousarray(themes[offerers].T)
    k = min(limit, len(offerers))
    step = max(1, _CHUNK_CELLS // max(len(offerers), 1))
    out: list[list[np.ndarray]] = [[], [], [], [], []]
    for start in range(0, len(needers), step):
        n = needers[start:start + step]
        dist = _distances(xyz[n], o_xyz)
        score = dist * (1.0 / PROXIMITY_SCALE_KM)
        score += 1.0
        np.reciprocal(score, out=score)
        np.nan_to_num(score, copy=False, nan=0.0)  # unknown distance: no proximity
        shared = themes[n] @ o_themes_t
        score += THEME_WEIGHT * shared
        n_com = commune[n]
        if (n_com >= 0).any():
            score += SAME_COMMUNE_BONUS * ((n_com[:, None] == o_com[None, :])
                                           & (n_com[:, None] >= 0))
        # An actor offering what it needs is not its own helper.
        rows_self, cols_self = np.nonzero(n[:, None] == offerers[None, :])
        score[rows_self, cols_self] = -np.inf
        if max_km is not None:
            score[~(dist <= max_km)] = -np.inf  # unknown distances are out of any radius
        kth = -np.partition(-score, k - 1, axis=1)[:, k - 1]
        rows, cols = np.nonzero((score >= (kth - _SCORE_STEP)[:, None]) & np.isfinite(score))
        out[0].append(n[rows])
        out[1].append(offerers[cols])
        out[2].append(dist[rows, cols])
        out[3].append(shared[rows, cols].astype(np.int64))
        out[4].append(np.round(score[rows, cols], _SCORE_DIGITS))
    return [np.concatenate(parts) for parts in out]


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
    if limit_per_actor < 1:
        raise ValueError(f"limit_per_actor must be at least 1, got {limit_per_actor!r}")
    if max_km is not None and not max_km >= 0:
        raise ValueError(f"max_km must be a positive number or None, got {max_km!r}")
    taxonomy = as_taxonomy(taxonomy)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PAIR_COLUMNS})
    if len(actors) == 0:
        return empty
    data = _prepare(actors, taxonomy)
    n_actors = len(data["ids"])
    parts: list[pd.DataFrame] = []
    for r_index, slug in enumerate(taxonomy.resource_slugs):
        needers = np.array([i for i in range(n_actors) if slug in data["needs"][i]], dtype=np.int64)
        offerers = np.array([i for i in range(n_actors) if slug in data["offers"][i]],
                            dtype=np.int64)
        if not len(needers) or not len(offerers):
            continue
        n, h, dist, shared, score = _score_block(data, needers, offerers, max_km, limit_per_actor)
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
    res_labels = _resource_labels(taxonomy)
    theme_labels = _theme_labels(taxonomy)
    order = data["theme_order"]
    ids, names = data["ids"], data["names"]
    bits = data["theme_bits"]
    bit_slugs: dict[int, list[str]] = {}
    rows: list[dict[str, Any]] = []
    for n, h, r, d, score, rank in zip(found["_n"], found["_h"], found["_r"],
                                       found["distance_km"], found["score"], found["rank"],
                                       strict=True):
        common = bits[n] & bits[h]
        shared_slugs = bit_slugs.get(common)
        if shared_slugs is None:
            shared_slugs = bit_slugs[common] = [s for j, s in enumerate(order) if common >> j & 1]
        slug = slugs[r]
        label = res_labels.get(slug, slug)
        same = data["commune"][n] >= 0 and data["commune"][n] == data["commune"][h]
        distance = float(d) if not math.isnan(d) else math.nan
        rows.append({
            "needer_id": ids[n],
            "needer_name": names[n],
            "helper_id": ids[h],
            "helper_name": names[h],
            "resource": slug,
            "distance_km": round(distance, 1) if not math.isnan(distance) else math.nan,
            "shared_themes": list(shared_slugs),
            "score": float(score),
            "reason": _reason(names[n], names[h], slug, label, distance, bool(same),
                              [theme_labels.get(s, s) for s in shared_slugs]),
            "rank": int(rank),
            "resource_label": label,
            "needer_commune": data["communes"][n],
            "needer_department": data["departments"][n],
            "helper_commune": data["communes"][h],
            "helper_department": data["departments"][h],
        })
    out = pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
    log.info("%d suggested pairs for %d actors", len(out), n_actors)
    return out


def _reason(needer: str, helper: str, slug: str, label: str, distance: float, same: bool,
            shared: list[str]) -> str:
    """``"X cherche des locaux ; Y en propose, à 12 km, thèmes communs : insertion"``."""
    if same:
        where = "dans la même commune"
    elif math.isnan(distance):
        where = "distance inconnue"
    else:
        where = f"à {_km_text(distance)}"
    text = f"{needer} cherche {resource_phrase(slug, label)} ; {helper} en propose, {where}"
    if shared:
        word = "thème commun" if len(shared) == 1 else "thèmes communs"
        text += f", {word} : " + ", ".join(_lower_first(s) for s in shared)
    return text


# ---------------------------------------------------------------------------------------------
# CSV for facilitators
# ---------------------------------------------------------------------------------------------
_CSV_HEADERS: tuple[tuple[str, str], ...] = (
    ("needer_name", "Structure qui cherche"),
    ("needer_commune", "Commune (qui cherche)"),
    ("needer_id", "Identifiant (qui cherche)"),
    ("resource_label", "Besoin"),
    ("helper_name", "Structure qui propose"),
    ("helper_commune", "Commune (qui propose)"),
    ("helper_id", "Identifiant (qui propose)"),
    ("distance_km", "Distance (km)"),
    ("shared_themes", "Thématiques communes"),
    ("rank", "Rang"),
    ("score", "Score"),
    ("reason", "Pourquoi"),
)


def _french_decimal(value: Any, digits: int) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return ""
    if math.isnan(number):
        return ""
    return f"{number:.{digits}f}".replace(".", ",")


def synergies_csv(pairs: pd.DataFrame, *, taxonomy: Taxonomy | None = None) -> str:
    """The pairs as a CSV for facilitators, opened by double-click in a French spreadsheet.

    Why this dialect: French Excel and LibreOffice read ``;``-separated files with a decimal
    comma and recognise UTF-8 only with a byte-order mark. So: ``;`` separator, ``\\r\\n`` line
    ends, a leading U+FEFF (write the string as UTF-8), French headers, decimal commas, shared
    themes as their labels joined with ``", "`` when ``taxonomy`` is given (slugs otherwise).
    """
    labels = _theme_labels(as_taxonomy(taxonomy)) if taxonomy is not None else {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([h for _, h in _CSV_HEADERS])
    for rec in pairs.to_dict("records"):
        row = []
        for col, _ in _CSV_HEADERS:
            value = rec.get(col, "")
            if col == "distance_km":
                row.append(_french_decimal(value, 1))
            elif col == "score":
                row.append(_french_decimal(value, 4))
            elif col == "shared_themes":
                row.append(", ".join(labels.get(s, s) for s in _as_list(value)))
            else:
                row.append(_str(value))
        writer.writerow(row)
    return "\ufeff" + buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Per actor: "Peut vous aider" / "Vous pouvez aider"
# ---------------------------------------------------------------------------------------------
def _item(rec: Mapping[str, Any], side: str, theme_labels: Mapping[str, str]) -> dict[str, Any]:
    distance = rec["distance_km"]
    known = isinstance(distance, int | float) and not math.isnan(distance)
    return {
        "actor_id": rec[f"{side}_id"],
        "name": rec[f"{side}_name"],
        "commune": rec.get(f"{side}_commune", ""),
        "url": f"acteurs/{rec[f'{side}_id']}.html",
        "resource": rec["resource"],
        "resource_label": rec.get("resource_label") or rec["resource"],
        "distance_km": float(distance) if known else None,
        "distance_text": _km_text(float(distance)) if known else "",
        "shared_themes": list(rec["shared_themes"]),
        "shared_labels": [theme_labels.get(s, s) for s in rec["shared_themes"]],
        "score": float(rec["score"]),
        "reason": rec["reason"],
    }


def synergies_by_actor(
    pairs: pd.DataFrame, *, limit: int = 10, taxonomy: Taxonomy | None = None
) -> dict[str, dict[str, Any]]:
    """For every actor in ``pairs``: what :func:`actor_synergies` returns, in one pass.

    The site builds thousands of actor pages; filtering the pairs once per page would be
    quadratic. Actors with no suggestion are absent (use ``.get(actor_id)``).
    """
    labels = _theme_labels(as_taxonomy(taxonomy)) if taxonomy is not None else {}
    out: dict[str, dict[str, Any]] = {}

    def entry(actor_id: str) -> dict[str, Any]:
        found = out.get(actor_id)
        if found is None:
            found = out[actor_id] = {"helpers": [], "helped": [], "helped_total": 0}
        return found

    records = pairs.to_dict("records")
    for rec in records:  # already in (needer, resource, rank) order
        entry(rec["needer_id"])["helpers"].append(_item(rec, "helper", labels))
    by_helper = sorted(records, key=lambda r: (r["helper_id"], -r["score"], r["needer_id"],
                                               r["resource"]))
    for rec in by_helper:
        e = entry(rec["helper_id"])
        e["helped_total"] += 1
        if len(e["helped"]) < limit:
            e["helped"].append(_item(rec, "needer", labels))
    return dict(sorted(out.items()))


def actor_synergies(
    pairs: pd.DataFrame, actor_id: str, *, limit: int = 10, taxonomy: Taxonomy | None = None
) -> dict[str, Any]:
    """The two lists of one actor's page.

    Returns
    -------
    dict
        ``helpers`` ("Peut vous aider": actors offering what it needs, by resource then rank),
        ``helped`` ("Vous pouvez aider": actors needing what it offers, best score first, at
        most ``limit``) and ``helped_total`` (how many such pairs exist). Each item has
        ``actor_id, name, commune, url`` (``acteurs/<id>.html``, relative to the site root),
        ``resource, resource_label, distance_km`` (None if unknown), ``distance_text``,
        ``shared_themes, shared_labels, score, reason``.
    """
    subset = pairs[(pairs["needer_id"] == actor_id) | (pairs["helper_id"] == actor_id)]
    found = synergies_by_actor(subset, limit=limit, taxonomy=taxonomy).get(actor_id)
    return found or {"helpers": [], "helped": [], "helped_total": 0}


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------
PAGE_ROWS = 200
"""Rows shown at once on the synergies page (and rendered server-side for readers without JS)."""


def _page_data(pairs: pd.DataFrame, public: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, Any]:
    """Compact JSON for the page script: actors and labels once, pairs as index arrays."""
    theme_order = [t.slug for t in taxonomy.themes if t.slug != OTHER]
    theme_pos = {s: i for i, s in enumerate(theme_order)}
    res_order = taxonomy.resource_slugs
    res_pos = {s: i for i, s in enumerate(res_order)}
    involved = sorted(set(pairs["needer_id"]) | set(pairs["helper_id"]))
    pos = {a: i for i, a in enumerate(involved)}
    cols = [c for c in ("actor_id", "name", "commune", "department", "themes") if c in public]
    info = {rec["actor_id"]: rec for rec in public[cols].to_dict("records")}
    actors = []
    for a in involved:
        rec = info[a]
        actors.append([a, _str(rec["name"]), _str(rec.get("commune", "")),
                       _str(rec.get("department", "")),
                       [theme_pos[s] for s in _as_list(rec.get("themes")) if s in theme_pos]])
    rows = []
    for rec in pairs.to_dict("records"):
        d = rec["distance_km"]
        rows.append([pos[rec["needer_id"]], pos[rec["helper_id"]], res_pos[rec["resource"]],
                     None if d is None or (isinstance(d, float) and math.isnan(d)) else d,
                     [theme_pos[s] for s in rec["shared_themes"] if s in theme_pos]])
    labels = _theme_labels(taxonomy)
    r_labels = _resource_labels(taxonomy)
    return {
        "actors": actors,
        "themes": [[s, labels[s]] for s in theme_order],
        "resources": [[s, r_labels[s]] for s in res_order],
        "pairs": rows,
        "page": PAGE_ROWS,
    }


def render_synergies_pages(
    actors: pd.DataFrame,
    *,
    taxonomy: Taxonomy | None = None,
    pairs: pd.DataFrame | None = None,
    env: Any = None,
    context: Mapping[str, Any] | None = None,
    max_km: float | None = None,
    limit_per_actor: int = 5,
) -> dict[str, str]:
    """The synergies page and its CSV: ``{relative path: text}`` for the site's writer.

    Parameters
    ----------
    actors
        The actors frame; it goes through :func:`~safi_map.public.public_actors` here.
    taxonomy
        The project taxonomy (``None``: packaged default).
    pairs
        Pairs already computed by :func:`suggest_pairs` (the site computes them once for the
        actor pages too); computed here when ``None``.
    env
        The site's Jinja2 environment (``site.make_environment``); made when ``None``.
    context
        Variables every page template gets (``site_title``, ``site_url``; ``header_html`` and
        ``footer_html`` if the caller pre-renders them for ``root=""``).

    Returns
    -------
    dict
        ``synergies.html`` and ``synergies/mises-en-relation.csv`` (UTF-8 with BOM, ``;``).
    """
    taxonomy = as_taxonomy(taxonomy)
    public = public_actors(actors)
    if pairs is None:
        pairs = suggest_pairs(public, taxonomy=taxonomy, max_km=max_km,
                              limit_per_actor=limit_per_actor)
    if env is None:
        from .site import make_environment

        env = make_environment()
    ctx = {"site_title": "Les acteurs du SAFI Tour", "site_url": "", **(context or {})}
    data = _page_data(pairs, public, taxonomy)
    departments = sorted({d for d in public["department"].map(_str) if d}) if len(public) else []
    from .gazetteer import department_boundaries

    dep_names = dict(zip(department_boundaries()["departement"],
                         department_boundaries()["nom"], strict=True))

    first = [_item(r, "helper", {}) | {"needer": _item(r, "needer", {})}
             for r in pairs.head(PAGE_ROWS).to_dict("records")]
    theme_labels = _theme_labels(taxonomy)
    for row, rec in zip(first, pairs.head(PAGE_ROWS).to_dict("records"), strict=True):
        row["shared_labels"] = [theme_labels.get(s, s) for s in rec["shared_themes"]]
    html = env.get_template("synergies.html").render(
        **ctx,
        root="",
        page_path="synergies.html",
        nav="synergies",
        data=data,
        first_rows=first,
        total=len(pairs),
        needers=pairs["needer_id"].nunique() if len(pairs) else 0,
        resources=[(r.slug, r.label) for r in taxonomy.resources],
        themes=[(t.slug, t.label) for t in taxonomy.themes if t.slug != OTHER],
        departments=[(d, dep_names.get(d, d)) for d in departments],
        csv_url="synergies/mises-en-relation.csv",
        max_km=max_km,
    )
    return {
        "synergies.html": html,
        "synergies/mises-en-relation.csv": synergies_csv(pairs, taxonomy=taxonomy),
    }


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

import csv
import io
import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from safi_map.core.csvsafe import neutralise_values
from safi_map.core.i18n import _
from safi_map.model.public import public_actors
from safi_map.model.taxonomy import OTHER, Taxonomy, Theme, load_taxonomy

__all__ = [
    "PAIR_COLUMNS",
    "PROXIMITY_SCALE_KM",
    "SAME_COMMUNE_BONUS",
    "THEME_WEIGHT",
    "SynergyIndex",
    "actor_synergies",
    "as_taxonomy",
    "render_synergies_pages",
    "resource_phrase",
    "suggest_pairs",
    "synergies_by_actor",
    "synergies_csv",
    "synergies_csv_chunks",
]

log = logging.getLogger(__name__)

SAME_COMMUNE_BONUS = 1.0
"""Added to the score when both actors are in the same commune (same INSEE code)."""
PROXIMITY_SCALE_KM = 10.0
"""Distance at which the proximity term falls to one half."""
THEME_WEIGHT = 0.05
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


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """``frame.to_dict("records")``, about twenty times faster on pandas' string columns.

    ``to_dict`` boxes every cell through the column's array one at a time; ``tolist`` converts
    each column in one call (same native Python values: str, float, int, list objects).
    """
    cols = [str(c) for c in frame.columns]
    values = [frame[c].tolist() for c in frame.columns]
    return [dict(zip(cols, row, strict=True)) for row in zip(*values, strict=True)]


def as_taxonomy(taxonomy: Any) -> Taxonomy:
    """A :class:`~safi_map.model.taxonomy.Taxonomy` from what ``build_site`` accepts.

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

    Across PACA (at most ~350 km) the chord is within 50 m of the great-circle distance:
    invisible at the 0.1 km we publish. Computed as ``|a - b|`` coordinate by coordinate (no
    cancellation for near points, unlike ``2 - 2 a.b``), with exactly the operations of
    :func:`_pair_scores`, so the exhaustive and the KD-tree paths agree to the last bit.
    """
    out = np.zeros((len(a), len(b)))
    for axis in range(3):
        diff = a[:, axis, None] - b[None, :, axis]
        diff *= diff
        out += diff
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
        raise ValueError(_("actor_id values must be unique; repeated: {dup!r}").format(dup=dup))
    cache = _TagCache(taxonomy)
    needs = [cache.tags(_as_list(v)) for v in frame["needs"]]
    offers = [cache.tags(_as_list(v)) for v in frame["offers"]]
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    insee = frame["insee_code"].map(_str) if "insee_code" in frame else pd.Series([""] * len(ids))
    codes, _unused = pd.factorize(insee.where(insee != "", None), use_na_sentinel=True)
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
        "located": np.isfinite(lat) & np.isfinite(lon),
        "theme_count": themes.sum(axis=1).astype(np.float64),
        "theme_bits": [int(sum(1 << j for j in np.flatnonzero(row))) for row in themes],
        "names": frame["name"].map(_str).tolist(),
        "communes": frame["commune"].map(_str).tolist() if "commune" in frame else [""] * len(ids),
        "departments": (frame["department"].map(_str).tolist() if "department" in frame
                        else [""] * len(ids)),
    }


def _score_block(data: dict[str, Any], needers: np.ndarray, offerers: np.ndarray,
                 max_km: float | None, limit: int) -> list[np.ndarray]:
    """Exhaustive candidates of one resource tag: every needer scored against every offerer.

    The reference the spatial-index path (:func:`_tree_block`) is checked against (tests), and
    what it would cost without one: O(needers x offerers) per tag. Keeps, for each needer,
    every helper scoring at least its ``limit``-th best score minus the rounding step (ties
    after rounding included, so the final cut by id is exact).
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


# Spatial index ---------------------------------------------------------------------------------
_KNN_ROUNDS = (32, 512)
"""Nearest offerers asked of the KD-tree per needer, round by round; a needer whose result the
bound cannot prove exact goes to the next round, and after the last one is scored against every
offerer. With ``limit_per_actor`` above a few, the first round grows to ``4 * limit``."""
_PAIR_BUDGET = 1_000_000
"""Candidate pairs scored at once (a dozen arrays of this length: bounded memory)."""


def _pair_scores(data: dict[str, Any], n: np.ndarray, h: np.ndarray,
                 max_km: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(distance km, shared theme count, unrounded score) of the pairs ``(n[i], h[i])``.

    The same arithmetic as :func:`_score_block`, one pair at a time instead of a matrix (the
    float32 theme weight included), so both paths give the same figures.
    """
    xyz, commune, themes = data["xyz"], data["commune"], data["themes"]
    a, b = xyz[n], xyz[h]
    dist = np.zeros(len(n))
    for axis in range(3):
        diff = a[:, axis] - b[:, axis]
        diff *= diff
        dist += diff
    np.sqrt(dist, out=dist)
    dist *= EARTH_RADIUS_KM
    score = dist * (1.0 / PROXIMITY_SCALE_KM)
    score += 1.0
    np.reciprocal(score, out=score)
    np.nan_to_num(score, copy=False, nan=0.0)
    shared = np.einsum("ij,ij->i", themes[n], themes[h])
    score += THEME_WEIGHT * shared
    n_com = commune[n]
    score += SAME_COMMUNE_BONUS * ((n_com == commune[h]) & (n_com >= 0))
    score[n == h] = -np.inf
    if max_km is not None:
        score[~(dist <= max_km)] = -np.inf
    return dist, shared, score


def _top(n: np.ndarray, h: np.ndarray, rounded: np.ndarray, limit: int) -> np.ndarray:
    """Indices of the ``limit`` best pairs of each needer (rounded score, then helper id).

    A pair listed twice (nearest and of the same commune) is counted once.
    """
    finite = np.flatnonzero(np.isfinite(rounded))
    n, h, rounded = n[finite], h[finite], rounded[finite]
    steps = np.rint(rounded / _SCORE_STEP).astype(np.int64)  # exact: already rounded
    low, high = int(steps.min(initial=0)), int(steps.max(initial=0))
    h_bits, s_bits = int(h.max(initial=0)).bit_length(), (high - low).bit_length()
    if int(n.max(initial=0)).bit_length() + h_bits + s_bits <= 62:
        # One int64 key sorts faster than a three-key lexsort.
        order = np.argsort((n << (h_bits + s_bits)) | ((high - steps) << h_bits) | h)
    else:  # pragma: no cover - more actors than the key holds
        order = np.lexsort((h, -rounded, n))
    n_sorted, h_sorted = n[order], h[order]
    repeated = np.r_[False, (n_sorted[1:] == n_sorted[:-1]) & (h_sorted[1:] == h_sorted[:-1])]
    if repeated.any():
        order = order[~repeated]
        n_sorted = n_sorted[~repeated]
    starts = np.r_[True, n_sorted[1:] != n_sorted[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(len(n_sorted)), 0))
    rank = np.arange(len(n_sorted)) - group_start
    return finite[order[rank < limit]]


def _tree_block(data: dict[str, Any], needers: np.ndarray, offerers: np.ndarray,
                max_km: float | None, limit: int) -> list[np.ndarray]:
    """The best ``limit`` helpers of each needer of one tag, through a KD-tree: exact.

    Candidates of a located needer: its k nearest located offerers (KD-tree on 3-D unit
    vectors, whose straight-line distance is the chord the score uses) and every offerer of its
    commune. An offerer left out is then no nearer than the k-th neighbour, not of the same
    commune, and shares at most as many themes as the needer has, so its score is at most
    ``proximity(k-th distance) + THEME_WEIGHT * themes`` (``THEME_WEIGHT * themes`` for an
    offerer without a location). When that bound is a rounding step below the needer's
    ``limit``-th candidate, no left-out offerer can enter its list, ties by id included; when it
    is not (dense places where themes decide), the needer is asked again with a larger k, then
    scored against every offerer. Needers without a location are scored against every offerer.
    """
    from scipy.spatial import cKDTree

    xyz, commune = data["xyz"], data["commune"]
    located = data["located"]
    tcount = data["theme_count"]
    loc_off = offerers[located[offerers]]
    has_unlocated_offerer = len(loc_off) < len(offerers)
    tree = cKDTree(xyz[loc_off]) if len(loc_off) else None
    # Offerers by commune, to add every same-commune offerer to the candidates.
    off_com = commune[offerers]
    with_com = off_com >= 0
    by_com = np.argsort(off_com[with_com], kind="stable")
    com_sorted = off_com[with_com][by_com]
    off_by_com = offerers[with_com][by_com]
    max_t_loc = float(tcount[loc_off].max()) if len(loc_off) else 0.0
    max_t_unloc = float(tcount[offerers[~located[offerers]]].max()) if has_unlocated_offerer else 0.0

    out: list[list[np.ndarray]] = [[], [], [], [], []]

    def keep(n: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score candidate pairs, store the best ``limit`` of each needer; return them."""
        dist, shared, score = _pair_scores(data, n, h, max_km)
        rounded = np.round(score, _SCORE_DIGITS)
        best = _top(n, h, rounded, limit)
        for part, values in zip(out, (n[best], h[best], dist[best],
                                      shared[best].astype(np.int64), rounded[best]),
                                strict=True):
            part.append(values)
        return n[best], rounded[best]

    rounds = [max(_KNN_ROUNDS[0], 4 * limit), *(k for k in _KNN_ROUNDS[1:]
                                                 if k > max(_KNN_ROUNDS[0], 4 * limit))]
    active = needers[located[needers]]
    everyone = list(needers[~located[needers]])  # scored against every offerer
    for k_round in rounds:
        if not len(active) or tree is None:
            everyone.extend(active)
            active = active[:0]
            break
        k = min(k_round, len(loc_off))
        lo = np.searchsorted(com_sorted, commune[active], side="left")
        hi = np.searchsorted(com_sorted, commune[active], side="right")
        same_count = np.where(commune[active] >= 0, hi - lo, 0)
        cost = np.cumsum(same_count + k)
        failed: list[np.ndarray] = []
        start = 0
        while start < len(active):
            stop = int(np.searchsorted(cost, (cost[start - 1] if start else 0) + _PAIR_BUDGET,
                                       side="right"))
            stop = max(stop, start + 1)
            chunk = active[start:stop]
            far, nn = tree.query(xyz[chunk], k=k)
            far = np.asarray(far).reshape(len(chunk), -1)
            nn = np.asarray(nn).reshape(len(chunk), -1)
            cnt = same_count[start:stop]
            total = int(cnt.sum())
            first = np.repeat(lo[start:stop], cnt)
            offs = np.arange(total) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            n = np.concatenate([np.repeat(chunk, k), np.repeat(chunk, cnt)])
            h = np.concatenate([loc_off[nn.ravel()], off_by_com[first + offs]])
            n_kept, s_kept = keep(n, h)
            # The limit-th score of each needer (-inf when it has fewer candidates).
            pos = np.searchsorted(n_kept, chunk)
            cnt_kept = np.searchsorted(n_kept, chunk, side="right") - pos
            s_lim = np.full(len(chunk), -np.inf)
            full = cnt_kept >= limit
            s_lim[full] = s_kept[pos[full] + limit - 1]
            # Best score any left-out offerer could reach.
            t = tcount[chunk]
            bound = np.full(len(chunk), -np.inf)
            if k < len(loc_off):
                reach = 1.0 / (1.0 + far[:, -1] * EARTH_RADIUS_KM / PROXIMITY_SCALE_KM)
                loc_bound = reach + THEME_WEIGHT * np.minimum(t, max_t_loc)
                if max_km is not None:
                    loc_bound[far[:, -1] * EARTH_RADIUS_KM > max_km + 1e-6] = -np.inf
                bound = np.maximum(bound, loc_bound)
            if has_unlocated_offerer and max_km is None:
                bound = np.maximum(bound, THEME_WEIGHT * np.minimum(t, max_t_unloc))
            bad = bound + 2 * _SCORE_STEP >= s_lim
            if bad.any():
                failed.append(chunk[bad])
                # Drop what was stored for them: they are scored again in the next round.
                drop = np.isin(out[0][-1], chunk[bad])
                for part in out:
                    part[-1] = part[-1][~drop]
            start = stop
        active = np.concatenate(failed) if failed else active[:0]
        log.debug("k=%d: %d needers left for the next round", k, len(active))
    everyone.extend(active)
    if everyone:  # a few: a matrix against every offerer (ties kept, cut by the caller)
        rest = _score_block(data, np.sort(np.asarray(everyone, dtype=np.int64)), offerers,
                            max_km, limit)
        for part, values in zip(out, rest, strict=True):
            part.append(values)
    if not out[0]:
        empty = np.zeros(0, dtype=np.int64)
        return [empty, empty, np.zeros(0), empty, np.zeros(0)]
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
    taxonomy = as_taxonomy(taxonomy)
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
    res_labels = _resource_labels(taxonomy)
    theme_labels = _theme_labels(taxonomy)
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
                 else f"à {_km_text(distance)}")
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
_CSV_NUMERIC = frozenset({"distance_km", "rank", "score"})
"""Columns of numbers in the CSV: written as numbers, never neutralised."""


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
    Text cells that a spreadsheet would run as formulas are neutralised
    (:mod:`safi_map.core.csvsafe`).
    """
    return "".join(synergies_csv_chunks(pairs, taxonomy=taxonomy))


def synergies_csv_chunks(pairs: pd.DataFrame, *, taxonomy: Taxonomy | None = None,
                         rows: int = 20_000) -> Iterator[str]:
    """:func:`synergies_csv` in pieces of ``rows`` rows (the first starts with the BOM).

    At the scale of the region the CSV is tens of megabytes: the site writes the pieces to
    the file as they come instead of holding the whole text (and its UTF-8 copy) in memory.
    Built column by column, a piece at a time.
    """
    labels = _theme_labels(as_taxonomy(taxonomy)) if taxonomy is not None else {}
    joined: dict[tuple[str, ...], str] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([h for _, h in _CSV_HEADERS])
    n = len(pairs)
    for start in range(0, max(n, 1), rows):
        part = pairs.iloc[start:start + rows]
        columns: list[list[str]] = []
        for col, _unused in _CSV_HEADERS:
            values = part[col].tolist() if col in part else [""] * len(part)
            if col == "distance_km":
                columns.append([_french_decimal(v, 1) for v in values])
            elif col == "score":
                columns.append([_french_decimal(v, 4) for v in values])
            elif col == "shared_themes":
                out = []
                for v in values:
                    slugs = tuple(_as_list(v))
                    text = joined.get(slugs)
                    if text is None:
                        text = joined[slugs] = ", ".join(labels.get(s, s) for s in slugs)
                    out.append(text)
                columns.append(out)
            elif col in part and part[col].dtype == "str" and not part[col].isna().any():
                columns.append(values)  # already str, nothing missing
            else:
                columns.append([_str(v) for v in values])
            if col not in _CSV_NUMERIC:  # text: no formula (see safi_map.core.csvsafe)
                columns[-1] = neutralise_values(columns[-1])
        writer.writerows(zip(*columns, strict=True))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


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


class SynergyIndex:
    """Each actor's two lists, built on demand from the pairs: what the actor pages need.

    The site builds tens of thousands of actor pages in worker processes; materialising every
    item of every actor up front (hundreds of thousands of dicts) cost seconds and hundreds of
    megabytes in the parent. This keeps the pairs as plain column lists plus, per actor, the
    rows where it is the needer and the rows where it is the helper (best score first), and
    builds an actor's entry when its page asks for it (:meth:`get`, like ``dict.get``).
    """

    _COLUMNS = ("needer_id", "needer_name", "needer_commune", "helper_id", "helper_name",
                "helper_commune", "resource", "resource_label", "distance_km",
                "shared_themes", "score", "reason")

    def __init__(self, pairs: pd.DataFrame, *, limit: int = 10,
                 taxonomy: Taxonomy | None = None) -> None:
        self.limit = limit
        self._hashes: np.ndarray | None = None
        self.labels = _theme_labels(as_taxonomy(taxonomy)) if taxonomy is not None else {}
        n = len(pairs)
        self.cols = {c: pairs[c].tolist() if c in pairs else [""] * n for c in self._COLUMNS}
        # Rows are in (needer, resource, rank) order: each needer's rows are one run.
        self.as_needer: dict[str, tuple[int, int]] = {}
        needer = self.cols["needer_id"]
        start = 0
        for i in range(1, n + 1):
            if i == n or needer[i] != needer[start]:
                self.as_needer[needer[start]] = (start, i)
                start = i
        # Helper side: (helper, best score, needer, resource), as the lists are shown.
        self.helped_order = np.zeros(0, dtype=np.int64)
        self.as_helper: dict[str, tuple[int, int]] = {}
        if n:
            codes = [pd.factorize(pd.Series(self.cols[c], dtype=object), sort=True)[0]
                     for c in ("helper_id", "needer_id", "resource")]
            score = np.asarray(self.cols["score"], dtype=float)
            order = np.lexsort((codes[2], codes[1], -score, codes[0]))
            self.helped_order = order
            helper = self.cols["helper_id"]
            start = 0
            for i in range(1, n + 1):
                if i == n or helper[order[i]] != helper[order[start]]:
                    self.as_helper[helper[order[start]]] = (start, i)
                    start = i

    def _record(self, row: int) -> dict[str, Any]:
        return {c: values[row] for c, values in self.cols.items()}

    @property
    def actor_ids(self) -> list[str]:
        """Actors with at least one suggestion, sorted."""
        return sorted(set(self.as_needer) | set(self.as_helper))

    def fingerprint(self, actor_id: str) -> bytes:
        """What :meth:`get` builds its entry from, for the digest of a cached page, without
        building the entry: a 128-bit hash of each of its rows (every column), in order, and
        the number of actors it can help. Theme labels are not in it: they are the same for
        every actor (a page digest covers them once). ``b""`` for an actor with none."""
        needed = self.as_needer.get(actor_id)
        helping = self.as_helper.get(actor_id)
        if needed is None and helping is None:
            return b""
        hashes = self._row_hashes()
        rows = list(range(*needed)) if needed else []
        total = 0
        if helping:
            total = helping[1] - helping[0]
            stop = min(helping[1], helping[0] + self.limit)
            rows += self.helped_order[helping[0]:stop].tolist()
        return hashes[rows].tobytes() + b"/%d/%d" % (len(rows), total)

    def prepare(self) -> None:
        """Compute what :meth:`fingerprint` needs now (before forking workers that use it)."""
        self._row_hashes()

    def _row_hashes(self) -> np.ndarray:
        """Two 64-bit hashes per row (pandas' hashing, vectorised), made on first use."""
        if self._hashes is None:
            frame = pd.DataFrame({c: ["\x1f".join(map(str, v)) if isinstance(v, list | tuple)
                                      else v for v in values] if c == "shared_themes" else values
                                  for c, values in self.cols.items()})
            self._hashes = np.stack([
                pd.util.hash_pandas_object(frame, index=False, hash_key=key).to_numpy()
                for key in ("0123456789123456", "safi-map-pages-2")], axis=1)
        return self._hashes

    def get(self, actor_id: str, default: Any = None) -> dict[str, Any] | Any:
        """``{"helpers", "helped", "helped_total"}`` of one actor; ``default`` if it has none."""
        needed = self.as_needer.get(actor_id)
        helping = self.as_helper.get(actor_id)
        if needed is None and helping is None:
            return default
        helpers = ([_item(self._record(i), "helper", self.labels) for i in range(*needed)]
                   if needed else [])
        helped: list[dict[str, Any]] = []
        total = 0
        if helping:
            total = helping[1] - helping[0]
            stop = min(helping[1], helping[0] + self.limit)
            helped = [_item(self._record(int(self.helped_order[j])), "needer", self.labels)
                      for j in range(helping[0], stop)]
        return {"helpers": helpers, "helped": helped, "helped_total": total}


def synergies_by_actor(
    pairs: pd.DataFrame, *, limit: int = 10, taxonomy: Taxonomy | None = None
) -> dict[str, dict[str, Any]]:
    """For every actor in ``pairs``: what :func:`actor_synergies` returns, in one pass.

    The site builds thousands of actor pages; filtering the pairs once per page would be
    quadratic. Actors with no suggestion are absent (use ``.get(actor_id)``). The site itself
    uses :class:`SynergyIndex`, which builds the same entries one page at a time.
    """
    index = SynergyIndex(pairs, limit=limit, taxonomy=taxonomy)
    return {a: index.get(a) for a in index.actor_ids}


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
    info = {rec["actor_id"]: rec for rec in _records(public[cols])}
    actors = []
    for a in involved:
        rec = info[a]
        actors.append([a, _str(rec["name"]), _str(rec.get("commune", "")),
                       _str(rec.get("department", "")),
                       [theme_pos[s] for s in _as_list(rec.get("themes")) if s in theme_pos]])
    rows = []
    shared_pos: dict[tuple[str, ...], list[int]] = {}
    for needer, helper, resource, d, shared in zip(
            pairs["needer_id"].tolist(), pairs["helper_id"].tolist(),
            pairs["resource"].tolist(), pairs["distance_km"].tolist(),
            pairs["shared_themes"].tolist(), strict=True):
        key = tuple(shared)
        found = shared_pos.get(key)
        if found is None:
            found = shared_pos[key] = [theme_pos[s] for s in shared if s in theme_pos]
        rows.append([pos[needer], pos[helper], res_pos[resource],
                     None if d is None or (isinstance(d, float) and math.isnan(d)) else d,
                     found])
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
        The actors frame; it goes through :func:`~safi_map.model.public.public_actors` here.
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
    return {
        "synergies.html": _synergies_html(public, pairs, taxonomy=taxonomy, env=env,
                                          context=context, max_km=max_km),
        "synergies/mises-en-relation.csv": synergies_csv(pairs, taxonomy=taxonomy),
    }


def _synergies_html(public: pd.DataFrame, pairs: pd.DataFrame, *, taxonomy: Taxonomy, env: Any,
                    context: Mapping[str, Any] | None, max_km: float | None) -> str:
    """``synergies.html`` alone (``public`` already through the consent gate)."""
    if env is None:
        from safi_map.site.build import make_environment

        env = make_environment()
    ctx = {"site_title": "Les acteurs du SAFI Tour", "site_url": "", **(context or {})}
    data = _page_data(pairs, public, taxonomy)
    departments = sorted({d for d in public["department"].map(_str) if d}) if len(public) else []
    from safi_map.geo.gazetteer import department_boundaries

    dep_names = dict(zip(department_boundaries()["departement"],
                         department_boundaries()["nom"], strict=True))

    theme_labels = _theme_labels(taxonomy)
    first = [_item(r, "helper", theme_labels) | {"needer": _item(r, "needer", {})}
             for r in _records(pairs.head(PAGE_ROWS))]
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
    return html


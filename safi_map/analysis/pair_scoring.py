"""Scoring the pairs of one resource tag: the arrays, the exhaustive block, the KD-tree path.

The arithmetic behind :func:`safi_map.analysis.synergies.suggest_pairs` (its docstring gives the
score). Both paths (every needer against every offerer, and the spatial index) use exactly the
same operations, so they agree to the last bit; the tests check it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from safi_map.core.i18n import _
from safi_map.model.cells import cell_list, cell_text
from safi_map.model.taxonomy import OTHER, Taxonomy

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

def _prepare(actors: pd.DataFrame, taxonomy: Taxonomy) -> dict[str, Any]:
    """Arrays of the actors (sorted by actor_id) that the scoring needs."""
    frame = actors.sort_values("actor_id", kind="stable").reset_index(drop=True)
    ids = frame["actor_id"].map(cell_text).tolist()
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})[:3]
        raise ValueError(_("actor_id values must be unique; repeated: {dup!r}").format(dup=dup))
    cache = _TagCache(taxonomy)
    needs = [cache.tags(cell_list(v)) for v in frame["needs"]]
    offers = [cache.tags(cell_list(v)) for v in frame["offers"]]
    lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=float)
    insee = frame["insee_code"].map(cell_text) if "insee_code" in frame else pd.Series([""] * len(ids))
    codes, _unused = pd.factorize(insee.where(insee != "", None), use_na_sentinel=True)
    theme_order = [s for s in taxonomy.theme_slugs if s != OTHER]
    theme_index = {s: i for i, s in enumerate(theme_order)}
    themes = np.zeros((len(ids), max(len(theme_order), 1)), dtype=np.float32)
    for row, value in enumerate(frame["themes"]):
        for slug in cell_list(value):
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
        "names": frame["name"].map(cell_text).tolist(),
        "communes": frame["commune"].map(cell_text).tolist() if "commune" in frame else [""] * len(ids),
        "departments": (frame["department"].map(cell_text).tolist() if "department" in frame
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
EXHAUSTIVE_MAX_PAIRS = 250_000
"""Up to this many (needer, offerer) pairs of a tag, :func:`_tree_block` scores them all
(:func:`_score_block`, the same result): cheaper than importing scipy for a small tour."""


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


def _limit_scores(n_kept: np.ndarray, s_kept: np.ndarray, chunk: np.ndarray,
                  limit: int) -> np.ndarray:
    """The ``limit``-th kept score of each needer of ``chunk`` (-inf when it has fewer)."""
    pos = np.searchsorted(n_kept, chunk)
    cnt_kept = np.searchsorted(n_kept, chunk, side="right") - pos
    s_lim = np.full(len(chunk), -np.inf)
    full = cnt_kept >= limit
    s_lim[full] = s_kept[pos[full] + limit - 1]
    return s_lim


def _left_out_bound(themes: np.ndarray, kth_chord: np.ndarray | None, max_km: float | None,
                    max_t_loc: float, max_t_unloc: float | None) -> np.ndarray:
    """Best score any offerer left out of a needer's candidates could reach.

    ``themes`` is each needer's theme count; ``kth_chord`` the chord (unit sphere) to its k-th
    nearest located offerer, ``None`` when every located offerer was a candidate;
    ``max_t_unloc`` the most themes of an offerer without a location (``None``: there is none).
    """
    bound = np.full(len(themes), -np.inf)
    if kth_chord is not None:
        reach = 1.0 / (1.0 + kth_chord * EARTH_RADIUS_KM / PROXIMITY_SCALE_KM)
        loc_bound = reach + THEME_WEIGHT * np.minimum(themes, max_t_loc)
        if max_km is not None:
            loc_bound[kth_chord * EARTH_RADIUS_KM > max_km + 1e-6] = -np.inf
        bound = np.maximum(bound, loc_bound)
    if max_t_unloc is not None and max_km is None:
        bound = np.maximum(bound, THEME_WEIGHT * np.minimum(themes, max_t_unloc))
    return bound


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
    scored against every offerer. Needers without a location are scored against every offerer
    (all are when there are few pairs: :data:`EXHAUSTIVE_MAX_PAIRS`)."""
    if len(needers) * len(offerers) <= EXHAUSTIVE_MAX_PAIRS:
        return _score_block(data, needers, offerers, max_km, limit)
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
            bound = _left_out_bound(tcount[chunk], far[:, -1] if k < len(loc_off) else None,
                                    max_km, max_t_loc,
                                    max_t_unloc if has_unlocated_offerer else None)
            bad = bound + 2 * _SCORE_STEP >= _limit_scores(n_kept, s_kept, chunk, limit)
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

"""Each actor's nearby and similar actors, for its page.

Both lists use KD-trees (scipy) on a local equirectangular projection (km), so 50,000 actors
cost a second, not n² (up to :data:`BRUTE_FORCE_MAX` points, the matrix of distances does). Ties are broken by actor id, whatever the order of the rows, so a list
does not change when an unrelated actor is added.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from safi_map.core.i18n import _
from safi_map.site.records import Rec

__all__ = ["BRUTE_FORCE_MAX", "NEARBY", "SIMILAR", "add_neighbours", "nearest_with_ties"]

NEARBY = 5
"""Nearby actors listed on an actor's page."""
SIMILAR = 5
"""Similar actors (sharing most themes, nearest first) listed on an actor's page."""
BRUTE_FORCE_MAX = 2000
"""Up to this many points, the nearest are found from the matrix of distances (32 MB at
most), without scipy's KD-tree (whose import costs a third of a second)."""


def nearest_with_ties(xy: np.ndarray, members: np.ndarray, k: int, *,
                      matrix_max: int = BRUTE_FORCE_MAX
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` nearest of ``members`` to each member, plus every point tied with the k-th.

    Returns flat arrays (row member, candidate member, distance). Why the ties: actors located
    at a commune's centre share one point, and which of them a KD-tree returns at equal
    distance depends on the order of the rows; taking them all lets the caller break ties by
    id, so the lists do not change when an unrelated actor is added or the rows are reordered
    (the output is deterministic). Up to ``matrix_max`` points, from the matrix of distances
    instead of a KD-tree.
    """
    pts = xy[members]
    n = len(members)
    k = min(k, n)
    if n <= matrix_max:
        return _nearest_by_matrix(pts, members, k)
    from scipy.spatial import cKDTree

    tree = cKDTree(pts)
    extra = min(k + 1, n)  # one more than asked: is the k-th tied with the next?
    dist, nn = tree.query(pts, k=extra)
    dist, nn = dist.reshape(n, -1), nn.reshape(n, -1)
    spill = (dist[:, k] <= dist[:, k - 1]) if extra > k else np.zeros(n, dtype=bool)
    rows = [np.repeat(np.flatnonzero(~spill), k)]
    cols = [nn[~spill, :k].ravel()]
    if spill.any():
        where = np.flatnonzero(spill)
        # A hair wider than the k-th distance: the tree's own rounding must not drop a tie
        # (anything further ranks after the ties anyway).
        found = tree.query_ball_point(pts[where], r=dist[where, k - 1] * (1 + 1e-9) + 1e-9)
        rows.append(np.repeat(where, [len(f) for f in found]))
        cols.append(np.fromiter((j for f in found for j in f), dtype=np.int64))
    r, c = np.concatenate(rows), np.concatenate(cols).astype(np.int64)
    diff = pts[r] - pts[c]
    d = np.sqrt(diff[:, 0] * diff[:, 0] + diff[:, 1] * diff[:, 1])
    return members[r], members[c], d


def _nearest_by_matrix(pts: np.ndarray, members: np.ndarray, k: int
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`nearest_with_ties` from the matrix of every distance: for a few thousand points
    it costs less than importing scipy. It keeps, for each point, everything within a hair of
    its k-th distance: the tree's k nearest and its ties, and at most a few points further by
    a rounding error, which rank after them (callers keep the first k by distance)."""
    diff_x = pts[:, 0][:, None] - pts[:, 0][None, :]
    diff_y = pts[:, 1][:, None] - pts[:, 1][None, :]
    dist = np.sqrt(diff_x * diff_x + diff_y * diff_y)
    kth = np.partition(dist, k - 1, axis=1)[:, k - 1]
    r, c = np.nonzero(dist <= (kth * (1 + 1e-9) + 1e-9)[:, None])
    return members[r], members[c], dist[r, c]


def _first_per_row(rows: np.ndarray, keys: list[np.ndarray], limit: int) -> np.ndarray:
    """Indices of the first ``limit`` entries of each row, ordered by ``keys`` (most
    significant first) within the row."""
    order = np.lexsort((*reversed(keys), rows))
    sorted_rows = rows[order]
    start = np.r_[True, sorted_rows[1:] != sorted_rows[:-1]]
    group_start = np.maximum.accumulate(np.where(start, np.arange(len(order)), 0))
    return order[(np.arange(len(order)) - group_start) < limit]


def add_neighbours(actors: list[Rec]) -> None:
    """Fill ``nearby`` (5 nearest actors) and ``similar`` (5 sharing most themes, nearest first).

    Both use KD-trees on a local equirectangular projection (km), so 50,000 actors cost a
    second, not n². "Similar" looks among the nearest actors of each of the actor's themes and
    ranks them by number of shared themes, then distance. Equal distances (actors placed at
    one commune centre) are broken by actor id, whatever the order of the rows.
    """
    for a in actors:
        a["nearby"] = []
        a["similar"] = []
    located = [i for i, a in enumerate(actors) if a["lat"] is not None]
    if len(located) < 2:
        return
    lat = np.array([actors[i]["lat"] for i in located])
    lon = np.array([actors[i]["lon"] for i in located])
    kx = 111.32 * math.cos(math.radians(float(np.mean(lat))))
    xy = np.column_stack([lon * kx, lat * 110.57])
    idx = np.array(located)
    id_rank = np.empty(len(located), dtype=np.int64)
    id_rank[sorted(range(len(located)), key=lambda p: actors[located[p]]["id"])] = np.arange(
        len(located))

    everyone = np.arange(len(located))
    P, Q, D = nearest_with_ties(xy, everyone, NEARBY + 1)
    other = P != Q
    P, Q, D = P[other], Q[other], D[other]
    pick = _first_per_row(P, [D, id_rank[Q]], NEARBY)
    nearby: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for p, q, d in zip(P[pick].tolist(), idx[Q[pick]].tolist(), D[pick].tolist(), strict=True):
        nearby[p].append((q, d))
    for p, pairs in nearby.items():
        actors[int(idx[p])]["nearby"] = pairs

    # Similar: candidates are the nearest actors of each of the actor's themes; ranked by
    # shared themes (bit masks), then distance, then id.
    slugs = sorted({s for i in located for s in actors[i]["theme_slugs"]})
    if len(slugs) > 62:  # pragma: no cover - more themes than a 64-bit mask
        raise ValueError(_("more than 62 themes"))
    bit = {s: 1 << b for b, s in enumerate(slugs)}
    masks = np.array([sum(bit[s] for s in set(actors[i]["theme_slugs"])) for i in located],
                     dtype=np.int64)
    members: dict[str, list[int]] = defaultdict(list)
    for p, i in enumerate(located):
        for slug in actors[i]["theme_slugs"]:
            members[slug].append(p)
    parts = [nearest_with_ties(xy, np.array(ps), SIMILAR * 2 + 1)
             for ps in members.values() if len(ps) >= 2]
    if not parts:
        return
    P = np.concatenate([x[0] for x in parts])
    Q = np.concatenate([x[1] for x in parts])
    D = np.concatenate([x[2] for x in parts])
    other = P != Q
    P, Q, D = P[other], Q[other], D[other]
    # One entry per (p, q): the same pair found through two themes has the same distance.
    order = np.lexsort((Q, P))
    first = np.r_[True, (P[order][1:] != P[order][:-1]) | (Q[order][1:] != Q[order][:-1])]
    P, Q, D = P[order[first]], Q[order[first]], D[order[first]]
    shared = np.bitwise_count(masks[P] & masks[Q]).astype(np.int64)
    pick = _first_per_row(P, [-shared, D, id_rank[Q]], SIMILAR)
    similar: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for p, q, d in zip(P[pick].tolist(), idx[Q[pick]].tolist(), D[pick].tolist(), strict=True):
        similar[p].append((q, d))
    for p, pairs in similar.items():
        actors[int(idx[p])]["similar"] = pairs

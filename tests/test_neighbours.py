"""Nearby and similar actors: the matrix of distances (small sites, no scipy import) and the
KD-tree (large ones) give the same lists, ties at a commune's centre included."""

from __future__ import annotations

import numpy as np
import pytest

from safi_map.site.neighbours import NEARBY, _first_per_row, nearest_with_ties


def picks(xy: np.ndarray, members: np.ndarray, k: int, ranks: np.ndarray,
          matrix_max: int) -> set[tuple[int, int]]:
    p, q, d = nearest_with_ties(xy, members, k, matrix_max=matrix_max)
    chosen = _first_per_row(p, [d, ranks[q]], k)
    return set(zip(p[chosen].tolist(), q[chosen].tolist(), strict=True))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matrix_and_tree_agree(seed):
    rng = np.random.default_rng(seed)
    # a third of the points share a few commune centres (ties), the rest are scattered
    centres = rng.uniform(0, 50, size=(6, 2))
    tied = centres[rng.integers(0, 6, size=120)]
    xy = np.vstack([tied, rng.uniform(0, 50, size=(240, 2))])
    members = np.arange(len(xy))
    ranks = rng.permutation(len(xy))  # the order of the actor ids
    for k in (1, NEARBY + 1, 11):
        by_matrix = picks(xy, members, k, ranks, matrix_max=10_000)
        by_tree = picks(xy, members, k, ranks, matrix_max=0)
        assert by_matrix == by_tree
        assert len(by_matrix) == len(xy) * k


def test_subset_of_members():
    xy = np.array([[0.0, 0.0], [1.0, 0.0], [5.0, 0.0], [1.0, 0.0], [9.0, 9.0]])
    members = np.array([0, 2, 3])
    p, q, _ = nearest_with_ties(xy, members, 2)
    assert set(p.tolist()) <= {0, 2, 3} and set(q.tolist()) <= {0, 2, 3}
    assert {(a, b) for a, b in zip(p.tolist(), q.tolist(), strict=True) if a != b} == {
        (0, 3), (3, 0), (2, 3)}

"""Each actor's two lists of suggestions ("Peut vous aider", "Vous pouvez aider"), from the pairs.

What an actor page shows, built from :func:`safi_map.analysis.synergies.suggest_pairs`'s frame.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from safi_map.core.french import french_distance
from safi_map.model.taxonomy import Taxonomy

__all__ = ["SynergyIndex", "actor_synergies", "synergies_by_actor"]


def _item(rec: Mapping[str, Any], side: str, theme_labels: Mapping[str, str]) -> dict[str, Any]:
    distance = rec["distance_km"]
    known = isinstance(distance, int | float) and not math.isnan(distance)
    return {
        "actor_id": rec[f"{side}_id"],
        "name": rec[f"{side}_name"],
        "commune": rec.get(f"{side}_commune", ""),
        "resource": rec["resource"],
        "resource_label": rec.get("resource_label") or rec["resource"],
        "distance_km": float(distance) if known else None,
        "distance_text": french_distance(float(distance)) if known else "",
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
        self.labels = ({t.slug: t.label for t in taxonomy.themes} if taxonomy is not None
                       else {})
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
        ``actor_id, name, commune, resource, resource_label, distance_km`` (None if unknown),
        ``distance_text`` ("3,4 km"), ``shared_themes, shared_labels, score, reason``: figures
        and text, no link (the page makes it from ``actor_id``).
    """
    subset = pairs[(pairs["needer_id"] == actor_id) | (pairs["helper_id"] == actor_id)]
    found = synergies_by_actor(subset, limit=limit, taxonomy=taxonomy).get(actor_id)
    return found or {"helpers": [], "helped": [], "helped_total": 0}

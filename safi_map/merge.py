"""Merge located survey rows into actors, with stable identifiers.

One actor met at several stops (or twice in one file) becomes one record. Rows belong to the same
actor when they share a SIRET, or the same normalized name in the same commune; the relation is
transitive (union-find), so a row carrying both a SIRET and a name links the two.

``actor_id`` is derived from the group's smallest (name, commune) key, so it does not depend on
row order, nor on which other actors exist: adding a stop, reordering a file or removing another
actor leaves it unchanged. It changes only when the actor's own name or commune changes in every
row — which manual corrections (``corrections.toml``) can pin.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

from .public import ACTOR_COLUMNS
from .report import Report, RowRef
from .text import key, slugify

__all__ = ["MergeResult", "actor_id_for", "merge_rows", "name_key"]

# Words that do not tell two structures apart: "Association Les Jardins" is "Les Jardins",
# "La Treille SCIC" is "Treille".
_FORMS = r"(?:association|asso|assoc|ass|scic|scop|sarl|sas|eurl|sa|coop|cooperative)"
_NOISE = re.compile(rf"^(?:l )?{_FORMS}\s+")
_TRAILING_FORM = re.compile(rf"\s+{_FORMS}(?:\s+(?:sas|sarl|sa))?$")
_ARTICLE = re.compile(r"^(?:le|la|les|l)\s+")
SIMILAR_NAME_SCORE = 92
"""Names of the same commune at least this similar (rapidfuzz ratio, 0-100) are one actor."""
_LOCATION_COLUMNS = (
    "address", "postcode", "commune", "insee_code", "department", "epci", "epci_name",
    "latitude", "longitude", "geocode_precision", "geocode_source", "geocode_score",
)
_LATEST_COLUMNS = (
    "name", "legal_form", "themes", "description", "website", "email", "phone", "needs",
    "offers", "siret",
)


def name_key(name: str) -> str:
    """Comparison key of a structure name: folded, punctuation-free, legal-form prefix removed."""
    k = key(name)
    stripped = _TRAILING_FORM.sub("", _NOISE.sub("", k))
    stripped = _ARTICLE.sub("", stripped)
    return stripped or k


def actor_id_for(nkey: str, place: str) -> str:
    """A readable, URL-safe id: ``<name-slug>-<insee code>``; long names get a hash suffix."""
    slug = slugify(nkey, max_length=200)
    if len(slug) > 48:
        digest = hashlib.sha1(f"{nkey}|{place}".encode()).hexdigest()[:6]
        slug = f"{slug[:41].rstrip('-')}-{digest}"
    return f"{slug}-{slugify(place or 'na', max_length=12)}"


def _ref_of(row: Any) -> RowRef:
    return RowRef(str(row.get("_file", "")), int(row.get("_row", 0) or 0),
                  str(row.get("_sheet", "") or ""))


def _similar_names(rows: pd.DataFrame, split_id: pd.Series) -> list[tuple[int, int]]:
    """Pairs of row positions whose names are near-identical in the same place (typos:
    "Ressourceri de la Treille" / "Ressourcerie de la Treille")."""
    from rapidfuzz import fuzz, process

    pairs: list[tuple[int, int]] = []
    eligible = (split_id == "").to_numpy() & (rows["_place"] != "").to_numpy()
    frame = pd.DataFrame({"place": rows["_place"].to_numpy(), "nkey": rows["_nkey"].to_numpy(),
                          "pos": np.arange(len(rows))})[eligible]
    for _, group in frame.groupby("place", sort=False):
        keys = sorted({k for k in group["nkey"] if len(k) >= 8})
        if len(keys) < 2:
            continue
        scores = process.cdist(keys, keys, scorer=fuzz.ratio, dtype=np.uint8,
                               score_cutoff=SIMILAR_NAME_SCORE, workers=1)
        first_pos = dict(zip(group["nkey"], group["pos"], strict=False))
        ii, jj = np.nonzero(np.triu(scores, k=1))
        pairs.extend((int(first_pos[keys[i]]), int(first_pos[keys[j]])) for i, j in
                     zip(ii, jj, strict=True))
    return pairs


def _row_ids(rows: pd.DataFrame) -> list[str]:
    return [actor_id_for(k, p) for k, p in zip(rows["_idkey"], rows["_place"], strict=True)]


def _keep_previous_ids(ids: dict[int, str], rows: pd.DataFrame,
                       previous_ids: dict[str, str]) -> None:
    """Give a group the id its SIRET had in the previous build (see ``merge_rows``)."""
    taken = set(ids.values())
    sirets: dict[int, set[str]] = defaultdict(set)
    for g, siret in zip(rows["_group"], rows["siret"].fillna("").astype(str), strict=True):
        if siret:
            sirets[g].add(siret)
    for g in sorted(sirets, key=lambda g: ids[g]):
        olds = sorted({previous_ids[s] for s in sirets[g] if s in previous_ids})
        if len(olds) == 1 and olds[0] != ids[g] and olds[0] not in taken:
            taken.discard(ids[g])
            ids[g] = olds[0]
            taken.add(olds[0])


def _group_ids(rows: pd.DataFrame, groups: list[int], split_id: pd.Series,
               links: Iterable[tuple[str, str]] = ()) -> dict[int, str]:
    """Id of every group, from the name and place of its earliest-seen row (ties: the smallest
    name key), so later stops and reordered rows never change it; a split's rows take the new id
    given; a group that absorbed others by a manual link keeps the id named first in the link."""
    earliest: dict[int, tuple[str, str, int]] = {}
    forced: dict[int, set[str]] = defaultdict(set)
    splits = list(split_id)
    for pos, (g, date, idkey) in enumerate(zip(groups, rows["_date"], rows["_idkey"],
                                               strict=True)):
        if splits[pos]:
            forced[g].add(splits[pos])
            continue
        candidate = (date or "9999", idkey, pos)
        if g not in earliest or candidate < earliest[g]:
            earliest[g] = candidate
    ids: dict[int, str] = {}
    for g in set(groups):
        if g in earliest:
            pos = earliest[g][2]
            ids[g] = actor_id_for(rows["_idkey"].iat[pos], rows["_place"].iat[pos])
        else:
            ids[g] = sorted(forced[g])[0]
    kept_ids = {kept for kept, _ in links}
    if kept_ids:
        all_ids: dict[int, set[str]] = defaultdict(set)
        for pos, (g, rid) in enumerate(zip(groups, _row_ids(rows), strict=True)):
            all_ids[g].add(splits[pos] or rid)
        for g, names in all_ids.items():
            chosen = sorted(names & kept_ids)
            if chosen and ids[g] not in kept_ids:
                ids[g] = chosen[0]
    return ids


@dataclass
class MergeResult:
    actors: gpd.GeoDataFrame
    row_actor: pd.Series  # actor_id of every input row (same index as the rows)
    ids_before_links: set[str] = field(default_factory=set)  # to report links to unknown ids


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return bool(pd.isna(value)) if np.isscalar(value) else False


def _union_lists(values: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, list | tuple):
            for item in value:
                seen.setdefault(str(item), None)
    return list(seen)


def merge_rows(
    rows: pd.DataFrame,
    *,
    report: Report | None = None,
    stop_dates: dict[str, str] | None = None,
    links: Iterable[tuple[str, str]] = (),
    splits: dict[str, str] | None = None,
    previous_ids: dict[str, str] | None = None,
) -> MergeResult:
    """Group located row records into actors.

    Parameters
    ----------
    rows
        Row records (see docs/ARCHITECTURE.md) joined with the geocoder's columns. Needs at least
        ``name``, ``source`` and ``insee_code``; other canonical columns are optional.
    report
        Receives, for every row, whether it was published (the row whose values are most recent)
        or merged into another record.
    stop_dates
        Stop id -> ISO date; a row's date is the date of its first stop, else its ``survey_date``.
        Dates decide which row is "most recent"; ties go to the later file, then the later row.
    links
        Manual merges ``(kept_id, absorbed_id)``: the rows of both actors form one actor, which
        keeps ``kept_id``. Ids that match no actor are ignored here (the caller reports them).
    splits
        Manual splits: source row (``"file:row"``) -> new actor id. Those rows leave the actor the
        automatic merge put them in and form the actor ``new id`` (rows sharing a new id go
        together).
    previous_ids
        SIRET -> actor id in the previous build. An actor whose name or commune changed (it
        moved to another town) would get a new id; when it shares a SIRET with an actor of the
        previous build, it keeps that actor's id instead, unless another actor now has that id.
    """
    stop_dates = stop_dates or {}
    rows = rows.copy()
    n = len(rows)
    for col in ("siret", "insee_code", "postcode", "commune_input", "survey_date"):
        if col not in rows.columns:
            rows[col] = ""
    rows["_nkey"] = rows["name"].map(name_key)
    rows["_idkey"] = rows["name"].map(key)
    splits = splits or {}
    split_id = rows["source"].astype(str).map(lambda src: splits.get(src, ""))
    place = rows["insee_code"].fillna("").astype(str)
    fallback_place = rows["postcode"].fillna("").astype(str)
    fallback_place = fallback_place.where(fallback_place != "", rows["commune_input"].map(key))
    rows["_place"] = place.where(place != "", fallback_place)

    def row_date(stops: object, survey_date: object) -> str:
        for stop in stops if isinstance(stops, list | tuple) else []:
            if stop in stop_dates:
                return stop_dates[stop]
        return str(survey_date or "")

    stops_col = rows["stops"] if "stops" in rows.columns else pd.Series([[]] * n, index=rows.index)
    rows["_date"] = [row_date(a, b) for a, b in zip(stops_col, rows["survey_date"], strict=True)]
    rows["_file"] = rows["_file"] if "_file" in rows.columns else ""
    rows["_row"] = rows["_row"] if "_row" in rows.columns else 0
    rows["_pos"] = np.arange(n)

    uf = _UnionFind(n)
    # A split row only joins rows split to the same new id: its keys are namespaced by it.
    siret_keys = rows["siret"].fillna("").astype(str)
    siret_keys = siret_keys.where((split_id == "") | (siret_keys == ""), split_id + "#" + siret_keys)
    name_keys = (rows["_nkey"] + "|" + rows["_place"]).where(split_id == "", "#split|" + split_id)
    for keys in (siret_keys, name_keys):
        first: dict[str, int] = {}
        for pos, k in enumerate(keys):
            if not k or k.startswith("|"):
                continue
            if k in first:
                uf.union(first[k], pos)
            else:
                first[k] = pos
    similar = _similar_names(rows, split_id)
    for a, b in similar:
        uf.union(a, b)
    links = list(links)
    ids_before_links: set[str] = set()
    if links:
        # ids of every group, computed as below, so links can name them
        group_ids = _group_ids(rows, [uf.find(i) for i in range(n)], split_id)
        by_id = {aid: g for g, aid in group_ids.items()}
        ids_before_links = set(by_id)
        for kept, absorbed in links:
            if kept in by_id and absorbed in by_id:
                uf.union(by_id[kept], by_id[absorbed])
    rows["_group"] = [uf.find(i) for i in range(n)]
    final_ids = _group_ids(rows, list(rows["_group"]), split_id, links)
    if previous_ids:
        _keep_previous_ids(final_ids, rows, previous_ids)

    # Most recent last: date, then file name, then row number. Plain records from here on:
    # per-group pandas indexing costs seconds per thousand actors.
    ordered = rows.sort_values(["_date", "_file", "_row", "_pos"], kind="stable")
    recs = ordered.to_dict("records")
    index_of = list(ordered.index)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(recs):
        groups[row["_group"]].append(i)
    has_precision = "geocode_precision" in rows.columns
    records = []
    row_actor: dict[object, str] = {}
    for g, members in groups.items():
        aid = final_ids[g]
        group = [recs[i] for i in members]
        latest = group[-1]
        rec: dict[str, object] = {"actor_id": aid}
        for col in _LATEST_COLUMNS:
            if col not in rows.columns:
                continue
            values = [r[col] for r in group if not _is_empty(r[col])]
            rec[col] = values[-1] if values else ([] if col in ("themes", "needs", "offers") else "")
        located = [r for r in group if has_precision and (r["geocode_precision"] or "none") != "none"
                   and not _is_empty(r["geocode_precision"])]
        block = located[-1] if located else latest
        for col in _LOCATION_COLUMNS:
            rec[col] = block.get(col, "")
        consents = [r.get("contact_consent") for r in group]
        consents = [v for v in consents if v is not None and not (isinstance(v, float) and np.isnan(v))]
        rec["contact_consent"] = bool(consents[-1]) if consents else False
        rec["sources"] = sorted({str(r["source"]) for r in group})
        if "stops" in rows.columns:
            rec["stops"] = sorted(_union_lists(r["stops"] for r in group),
                                  key=lambda stop: (stop_dates.get(stop, ""), stop))
        dates = sorted(r["_date"] for r in group if r["_date"])
        rec["first_seen"] = dates[0] if dates else ""
        rec["last_seen"] = dates[-1] if dates else ""
        records.append(rec)
        for i in members:
            row_actor[index_of[i]] = aid
        if report is None:
            continue
        if len({r["_nkey"] for r in group}) > 1:
            names = sorted({str(r["name"]) for r in group})
            first = group[0]
            report.warning(
                "merge.similar_names",
                f"merged as one actor ({aid}): {' / '.join(map(repr, names))}; add a [[split]] "
                "correction if they are different structures",
                _ref_of(first), "name", first["name"],
            )
        published_source = str(latest["source"])
        for r in group:
            src = str(r["source"])
            if src == published_source:
                report.published[src] = aid
            else:
                report.merged[src] = aid

    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=[c for c in ACTOR_COLUMNS if c != "geometry"])
    for col in ACTOR_COLUMNS:
        if col not in frame.columns and col != "geometry":
            frame[col] = [[] for _ in range(len(frame))] if col in (
                "themes", "needs", "offers", "stops", "sources") else ""
    frame = frame.sort_values("actor_id", kind="stable").reset_index(drop=True)
    lat = pd.to_numeric(frame["latitude"], errors="coerce").astype(float)
    lon = pd.to_numeric(frame["longitude"], errors="coerce").astype(float)
    frame["latitude"], frame["longitude"] = lat, lon
    frame["geocode_score"] = pd.to_numeric(frame["geocode_score"], errors="coerce").astype(float)
    missing = (lat.isna() | lon.isna()).to_numpy()
    geom = points(lon.fillna(0).to_numpy(), lat.fillna(0).to_numpy())
    geom = np.where(missing, None, geom)
    actors = gpd.GeoDataFrame(
        frame[[c for c in ACTOR_COLUMNS if c != "geometry"]],
        geometry=gpd.GeoSeries(list(geom), index=frame.index, crs="EPSG:4326"),
        crs="EPSG:4326",
    )
    return MergeResult(actors=actors, row_actor=pd.Series(row_actor).reindex(rows.index),
                       ids_before_links=ids_before_links or set(actors["actor_id"]))

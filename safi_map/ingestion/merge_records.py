"""One record per actor from its rows (oldest first): the values each field keeps, the report's
account of every row (published or merged), and the actors' GeoDataFrame.

The grouping of rows into actors is :mod:`safi_map.ingestion.merge`; which value of a field
wins, consent included, is :mod:`safi_map.ingestion.merge_values`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely import points

from safi_map.core.i18n import _
from safi_map.ingestion.merge_values import actor_record, consent_answer
from safi_map.ingestion.report import Report, RowRef
from safi_map.model.public import ACTOR_COLUMNS, back_to_commune

__all__ = ["LATEST_COLUMNS", "LOCATION_COLUMNS", "ActorRecords", "actors_frame", "report_group"]

LOCATION_COLUMNS = (
    "address", "postcode", "commune", "commune_former", "insee_code", "department", "epci",
    "epci_name",
    "latitude", "longitude", "geocode_precision", "geocode_source", "geocode_score",
)
"""Taken together from the most recent placed row."""
LATEST_COLUMNS = (
    "name", "legal_form", "themes", "description", "website", "email", "phone", "needs",
    "offers", "siret", "opening_hours",
)
"""Each from the most recent row where it is not empty."""


def _is_empty(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    if isinstance(value, str | list | tuple | dict):
        return len(value) == 0
    return bool(pd.isna(value)) if np.isscalar(value) else False


def _filled(values: list[object]) -> list[bool]:
    """``not _is_empty(v)`` for every value, with strings and lists (most values) tested
    inline."""
    return [v != "" if v.__class__ is str else len(v) > 0 if v.__class__ is list
            else not _is_empty(v) for v in values]


def _union_lists(values: Iterable[object]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if isinstance(value, list | tuple):
            for item in value:
                seen.setdefault(str(item), None)
    return list(seen)


class ActorRecords:
    """Makes the record of each actor from the merge's column values (plain lists indexed by
    row position) and each row's date."""

    def __init__(self, values: dict[str, list[Any]], dates: list[str],
                 stop_dates: dict[str, str]) -> None:
        n = len(dates)
        self.values = values
        self.dates = dates
        self.stop_dates = stop_dates
        self.filled = {c: _filled(values[c]) for c in LATEST_COLUMNS if c in values}
        precision = values.get("geocode_precision")
        self.located_rows = ([(p or "none") != "none" and f
                              for p, f in zip(precision, _filled(precision), strict=True)]
                             if precision is not None else [False] * n)
        self.consents = [consent_answer(v) for v in values.get("contact_consent", [None] * n)]

    def record(self, members: list[int], aid: str) -> tuple[dict[str, Any], list[Any]]:
        """The record of the actor ``aid`` made of rows ``members`` (oldest first), and the
        contact values withheld for lack of consent."""
        rec, withheld = actor_record(members, aid=aid, values=self.values, filled=self.filled,
                                     located_rows=self.located_rows, consents=self.consents,
                                     location_columns=LOCATION_COLUMNS)
        rec["sources"] = sorted({str(self.values["source"][i]) for i in members})
        if "stops" in self.values:
            stops = self.values["stops"]
            rec["stops"] = sorted(_union_lists(stops[i] for i in members),
                                  key=lambda stop: (self.stop_dates.get(stop, ""), stop))
        dates = sorted(self.dates[i] for i in members if self.dates[i])
        rec["first_seen"] = dates[0] if dates else ""
        rec["last_seen"] = dates[-1] if dates else ""
        return rec, withheld


def report_group(report: Report, values: dict[str, list[Any]], members: Sequence[int],
                 aid: str, *, renamed: str | None, similar: bool, withheld: list[Any]) -> None:
    """Account for the rows of one actor in ``report``: the row published (the most recent)
    and the rows merged into it; warn about a renamed id, names merged because they are
    similar, and contacts withheld for lack of consent."""
    n = len(values["source"])
    files = values.get("_file", [""] * n)
    row_numbers = values.get("_row", [0] * n)
    sheets = values.get("_sheet", [""] * n)
    names, sources = values["name"], values["source"]

    def ref(pos: int) -> RowRef:
        return RowRef(str(files[pos]), int(row_numbers[pos] or 0), str(sheets[pos] or ""))

    head = members[0]
    if renamed is not None:
        report.warning(
            "merge.id_clash",
            _("another actor has the id {x1!r}: this one is published as {aid!r} (check "
              "the [[split]] corrections: a new id must not be an existing one)").format(
                x1=renamed, aid=aid),
            ref(head), "name", names[head],
        )
    if similar:
        merged_names = sorted({str(names[i]) for i in members})
        report.warning(
            "merge.similar_names",
            _("merged as one actor ({aid}): {x1}; add a [[split]] correction if they are "
              "different structures").format(aid=aid, x1=' / '.join(map(repr, merged_names))),
            ref(head), "name", names[head],
        )
    for w in withheld:  # the value itself stays out of the report: it is not public
        report.warning(
            "merge.contact_without_consent",
            _("not published: given in this row without consent to publish contacts, and "
              "no later row of this actor ({actor_id}) that consents gives it again (ask "
              "the actor, then confirm it with a [[set]] in corrections.toml)")
            .format(actor_id=aid),
            ref(w.position), w.column,
        )
    published_source = str(sources[members[-1]])
    for i in members:
        src = str(sources[i])
        if src == published_source:
            report.published[src] = aid
        else:
            report.merged[src] = aid


def actors_frame(records: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """The actors' GeoDataFrame (:data:`ACTOR_COLUMNS`, sorted by id) from their records; a
    point withheld for lack of consent moves to its commune's."""
    frame = pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=[c for c in ACTOR_COLUMNS if c != "geometry"])
    for col in ACTOR_COLUMNS:
        if col not in frame.columns and col != "geometry":
            frame[col] = [[] for _ in range(len(frame))] if col in (
                "themes", "needs", "offers", "stops", "sources") else ""
    frame = frame.sort_values("actor_id", kind="stable").reset_index(drop=True)
    to_commune = (frame.pop("_to_commune").eq(True) if "_to_commune" in frame.columns
                  else pd.Series(False, index=frame.index))
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
    if to_commune.any():
        back_to_commune(actors, to_commune)
    return actors

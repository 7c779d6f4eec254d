"""What changed since the previous build: new actors, changed fields, removed actors, geocoding
changes and newly rejected rows.

The previous build's ``actors.geojson``, ``ingest-report.json`` and ``changes.json`` (in the output
folder) are the reference, so the comparison needs no state besides the build folder itself.
Actors that are no longer in any survey are kept (with their last known record) or dropped, as
``keep_removed`` says; kept ones are listed as ``retained`` so that the next build does not report
them as removed again. An actor whose id is gone but whose rows are still read (hidden or merged
by a correction, or joined to another actor by the merge) is not "no longer in any survey": it is
neither reported as removed nor retained.

``changes.json`` also keeps the public history of changes shown on ``changes.html``: one entry per
build that changed something visible (see :mod:`safi_map.ingestion.change_history`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from safi_map.core.i18n import _, ngettext
from safi_map.ingestion.compare import GEOCODE_FIELDS, moved, records, same

__all__ = ["Changes", "compare_builds", "load_previous", "rejection_codes"]

COMPARED_FIELDS = (
    "name", "legal_form", "themes", "description", "address", "postcode", "commune",
    "insee_code", "website", "email", "phone", "needs", "offers", "stops", "contact_consent",
    "siret",
)


@dataclass
class Changes:
    """Differences between two builds (all lists sorted, so the JSON is deterministic)."""

    first_build: bool = False
    new: list[str] = field(default_factory=list)
    changed: dict[str, list[str]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    retained: list[str] = field(default_factory=list)
    geocoding: dict[str, dict[str, Any]] = field(default_factory=dict)
    newly_rejected: dict[str, str] = field(default_factory=dict)
    no_longer_rejected: list[str] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    entry: dict[str, Any] | None = None
    """This build's entry of the public history (None: nothing visible changed)."""
    history: list[dict[str, Any]] = field(default_factory=list)
    """The public history, oldest first, this build's entry included."""

    @property
    def empty(self) -> bool:
        return not (self.new or self.changed or self.removed or self.geocoding
                    or self.newly_rejected or self.no_longer_rejected)

    def summary(self) -> str:
        if self.first_build:
            return ngettext("First build: {n} actor.", "First build: {n} actors.",
                            len(self.new)).format(n=len(self.new))
        if self.empty:
            return _("No change since the previous build.")
        parts = [ngettext("{n} new", "{n} new", len(self.new)).format(n=len(self.new)),
                 ngettext("{n} changed", "{n} changed", len(self.changed)).format(
                     n=len(self.changed)),
                 _("{n} no longer in any survey").format(n=len(self.removed)),
                 _("{n} moved on the map").format(n=len(self.geocoding)),
                 ngettext("{n} row newly rejected", "{n} rows newly rejected",
                          len(self.newly_rejected)).format(n=len(self.newly_rejected))]
        return _("Changes since the previous build: {parts}.").format(parts=", ".join(parts))

    def to_dict(self) -> dict[str, Any]:
        return {
            "first_build": self.first_build,
            "summary": {
                "new": len(self.new), "changed": len(self.changed),
                "removed": len(self.removed), "retained": len(self.retained),
                "geocoding": len(self.geocoding), "newly_rejected": len(self.newly_rejected),
                "no_longer_rejected": len(self.no_longer_rejected),
            },
            "new": self.new,
            "changed": self.changed,
            "removed": self.removed,
            "retained": self.retained,
            "geocoding": self.geocoding,
            "newly_rejected": self.newly_rejected,
            "no_longer_rejected": self.no_longer_rejected,
            "names": self.names,
            "history": self.history,
        }


@dataclass
class Previous:
    actors: gpd.GeoDataFrame | None
    rejected: dict[str, str]
    retained: list[str]
    history: list[dict[str, Any]] = field(default_factory=list)


def load_previous(out_dir: str | Path, *, features: list[dict[str, Any]] | None = None
                  ) -> Previous:
    """The previous build's data, from ``out_dir`` (nothing if there was no build yet).

    ``features``: the features of ``out_dir/actors.geojson`` when the caller has parsed it
    already (the pipeline does, for the SIRET ids), so it is not read twice.
    """
    from safi_map.ingestion.io import actors_from_features, read_actors

    out = Path(out_dir)
    if features is not None:
        actors = actors_from_features(features)
    elif (out / "actors.geojson").is_file():
        actors = read_actors(out / "actors.geojson")
    else:
        actors = None
    rejected: dict[str, str] = {}
    if (out / "ingest-report.json").is_file():
        rejected = json.loads((out / "ingest-report.json").read_text(encoding="utf-8")).get(
            "rejected", {})
    retained: list[str] = []
    history: list[dict[str, Any]] = []
    if (out / "changes.json").is_file():
        previous_changes = json.loads((out / "changes.json").read_text(encoding="utf-8"))
        retained = previous_changes.get("retained", [])
        history = [e for e in previous_changes.get("history", []) if isinstance(e, dict)]
    return Previous(actors, rejected, retained, history)


def rejection_codes(report: Any) -> dict[str, str]:
    """The issue code that rejected each rejected row of ``report`` (``str(RowRef)`` → code),
    for the public reasons of :mod:`safi_map.ingestion.change_history`."""
    codes: dict[str, str] = {}
    for issue in report.issues:
        if issue.level == "error":
            codes.setdefault(str(issue.ref), issue.code)
    return codes


def still_read(previous: gpd.GeoDataFrame, ids: Iterable[str], rows: pd.DataFrame | None
               ) -> set[str]:
    """Those of ``ids`` (actors of the ``previous`` build) one of whose source rows is still read
    in ``rows`` (the kept rows of this build, with ``source`` and ``name``) under the same name:
    their rows went to another actor (or a hidden one), they are not out of the surveys.

    The name must match too, so a row number taken by another actor after a row was deleted
    above it does not count.
    """
    from safi_map.ingestion.merge import name_key

    ids = set(ids)
    if (rows is None or not len(rows) or not ids or "sources" not in previous.columns
            or not {"source", "name"} <= set(rows.columns)):
        return set()
    row_names: dict[str, str] = {}
    for src, name in zip(_text_list(rows["source"]), _text_list(rows["name"]), strict=True):
        row_names[src] = name_key(name)
    found: set[str] = set()
    sub = previous[previous["actor_id"].isin(ids)]
    for aid, name, sources in zip(sub["actor_id"].tolist(), _text_list(sub["name"]),
                                  sub["sources"].tolist(), strict=True):
        nkey = name_key(name)
        for src in sources if isinstance(sources, list | tuple) else []:
            if row_names.get(str(src)) == nkey:
                found.add(str(aid))
                break
    return found


def _text_list(series: pd.Series) -> list[str]:
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
            for v in series.tolist()]


def compare_builds(previous: Previous, actors: gpd.GeoDataFrame, rejected: dict[str, str], *,
                   keep_removed: bool = True, withdrawn: Iterable[str] = (),
                   rows: pd.DataFrame | None = None, codes: Mapping[str, str] | None = None
                   ) -> tuple[Changes, gpd.GeoDataFrame]:
    """Compare the new ``actors`` with the previous build.

    Returns the changes and the actors to publish: ``actors`` plus, when ``keep_removed``, the
    previous records of actors that are no longer in any survey.

    ``withdrawn``: ids that corrections hid or merged into another actor; ``rows``: the kept
    rows of this build (``source``, ``name``), see :func:`still_read`. Previous actors in either
    are not "no longer in any survey": they are neither reported as removed nor retained (a
    hidden actor must not come back, an absorbed one must not be published twice).

    Fields are compared column by column over plain lists: a rebuild compares every actor, and
    record by record pandas access cost most of the time of a rebuild that changed little.

    ``codes``: the issue code of each rejected row (:func:`rejection_codes`), for the public
    reasons of the history entry. The entry (``changes.entry``) is added to the previous
    history (``changes.history``) when this build changed something visible.
    """
    changes, publish = _compare(previous, actors, rejected, keep_removed=keep_removed,
                                withdrawn=withdrawn, rows=rows)
    from safi_map.ingestion.change_history import first_entry, public_entry

    history = list(previous.history)
    if previous.actors is not None and not history:  # a build made before the history
        history = [first_entry(previous.actors)]
    changes.entry = public_entry(changes, previous.actors, actors, codes=codes or {},
                                 keep_removed=keep_removed, number=len(history) + 1)
    changes.history = [*history, *([changes.entry] if changes.entry else [])]
    return changes, publish


def _compare(previous: Previous, actors: gpd.GeoDataFrame, rejected: dict[str, str], *,
             keep_removed: bool, withdrawn: Iterable[str], rows: pd.DataFrame | None
             ) -> tuple[Changes, gpd.GeoDataFrame]:
    """:func:`compare_builds` without the public history."""
    changes = Changes()
    current_list = actors["actor_id"].tolist()
    current_ids = set(current_list)
    if previous.actors is None:
        changes.first_build = True
        changes.new = sorted(current_ids)
        changes.names = {aid: str(n) for aid, n in zip(current_list, actors["name"].tolist(),
                                                       strict=True)}
        return changes, actors
    prev = previous.actors
    fields_compared = [f for f in (*COMPARED_FIELDS, *GEOCODE_FIELDS)
                       if f in prev.columns and f in actors.columns]
    prev_list = prev["actor_id"].tolist()
    prev_ids = set(prev_list)
    changes.new = sorted(current_ids - prev_ids)
    gone = sorted(prev_ids - current_ids - set(withdrawn))
    if gone:
        not_gone = still_read(prev, gone, rows)
        gone = [aid for aid in gone if aid not in not_gone]
    already_retained = set(previous.retained)
    changes.removed = [aid for aid in gone if aid not in already_retained]
    common = sorted(current_ids & prev_ids)
    old = records(prev, common, fields_compared)
    new = records(actors, common, fields_compared)
    changed: dict[int, list[str]] = {}
    for f in COMPARED_FIELDS:
        if f not in old:
            continue
        for i, (a, b) in enumerate(zip(old[f], new[f], strict=True)):
            if (a.__class__ is not str or b.__class__ is not str or a != b) and not same(a, b):
                changed.setdefault(i, []).append(f)  # (equal strings, most cells, skip the call)
    places = moved(old, new)
    for i, aid in enumerate(common):
        if i in changed:
            changes.changed[aid] = changed[i]
        if i in places:
            changes.geocoding[aid] = places[i]
    changes.newly_rejected = {k: v for k, v in sorted(rejected.items())
                              if k not in previous.rejected}
    changes.no_longer_rejected = sorted(set(previous.rejected) - set(rejected))
    publish = actors
    if keep_removed and gone:
        kept = previous.actors[previous.actors["actor_id"].isin(gone)]
        kept = kept[[c for c in actors.columns if c in kept.columns]]
        publish = pd.concat([actors, kept], ignore_index=True)
        publish = gpd.GeoDataFrame(publish, geometry=actors.geometry.name, crs=actors.crs)
        publish = publish.sort_values("actor_id", kind="stable").reset_index(drop=True)
        changes.retained = gone
    involved = set(changes.new) | set(changes.changed) | set(changes.geocoding) | set(gone)
    names = {**dict(zip(prev_list, prev["name"].tolist(), strict=True)),
             **dict(zip(current_list, actors["name"].tolist(), strict=True))}
    changes.names = {aid: str(names[aid]) for aid in sorted(involved)}
    return changes, publish


def changes_json(changes: Changes) -> str:
    """The text of ``changes.json``."""
    return json.dumps(changes.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_changes(changes: Changes, out_dir: str | Path) -> Path:
    from safi_map.core.writer import write_file_atomic

    return write_file_atomic(Path(out_dir) / "changes.json", changes_json(changes))

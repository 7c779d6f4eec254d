"""The previous build in the output folder, as the next build reads it: its actors (for the
SIRET ids and the change report), its rejected rows and retained actors.

A previous output that cannot be read (cut short by a run killed while writing it, or edited by
hand) counts as no previous build, with a warning naming the file: never a crash, and never a
build that stops working until someone deletes the file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safi_map.core.i18n import _

__all__ = ["PreviousBuild", "load_previous_outputs", "previous_siret_ids", "read_previous_build"]

log = logging.getLogger(__name__)


@dataclass
class PreviousBuild:
    """The features of ``<out>/actors.geojson`` of the previous build.

    :func:`ingest` parses them for the SIRET ids (see :func:`previous_siret_ids`) and
    :func:`write_ingest_outputs` compares the new build with them: on a rebuild after one new
    stop, parsing that file twice was a good part of the ingest side.
    """

    out: Path  # resolved: write_ingest_outputs uses the features only for the same folder
    features: list[dict[str, Any]]
    unreadable: bool = False
    """The file is there but cannot be read (a run killed while writing it, by a version that
    did not write atomically): the build is compared as a first one."""


def read_previous_build(out_dir: Path) -> PreviousBuild | None:
    """The previous build's ``actors.geojson`` features: None when there is none; one that
    cannot be read is logged and marked ``unreadable``."""
    path = Path(out_dir) / "actors.geojson"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        features = data.get("features") if isinstance(data, dict) else None
        if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
            raise ValueError(_("not a GeoJSON FeatureCollection"))
    except (OSError, ValueError) as exc:
        _warn_unreadable(path, exc)
        return PreviousBuild(out=Path(out_dir).resolve(), features=[], unreadable=True)
    return PreviousBuild(out=Path(out_dir).resolve(), features=features)


def _warn_unreadable(path: Path, exc: BaseException) -> None:
    log.warning(_("{file} (previous build) is unreadable ({error}): this build is compared as "
                  "a first build, and actors kept from earlier builds are not kept this "
                  "time").format(file=path, error=exc))


def load_previous_outputs(out: Path, previous: PreviousBuild | None) -> Any:
    """The previous build in ``out`` for the change report; an unreadable one is no
    previous build (with a warning), never a crash."""
    from safi_map.ingestion.changes import Previous, load_previous

    none = Previous(None, {}, [])
    if previous is not None and previous.out == out.resolve():
        if previous.unreadable:
            return none
        features: list[dict[str, Any]] | None = previous.features
    else:
        again = read_previous_build(out)
        if again is not None and again.unreadable:
            return none
        features = again.features if again is not None else None
    for name, key, kind in (("ingest-report.json", "rejected", dict),
                            ("changes.json", "retained", list)):
        path = out / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not isinstance(data.get(key, kind()), kind):
                raise ValueError(_("not a file written by safi-map"))
        except (OSError, ValueError) as exc:
            _warn_unreadable(path, exc)
            return none
    try:
        return load_previous(out, features=features)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        _warn_unreadable(out / "actors.geojson", exc)
        return none


def previous_siret_ids(previous: PreviousBuild | None) -> dict[str, str]:
    """SIRET -> actor id in the previous build's ``actors.geojson`` (none: empty)."""
    found: dict[str, str] = {}
    for feature in previous.features if previous else []:
        props = feature.get("properties") or {}
        siret, aid = props.get("siret") or "", props.get("actor_id") or ""
        if siret and aid:
            found[str(siret)] = str(aid)
    return found

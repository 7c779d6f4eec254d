"""Project housekeeping a coordinator does between stops: registering a stop and its survey.

``add_stop`` appends a ``[[stops]]`` table to ``data/tour.toml`` (the file's comments and layout
are kept: it is appended as text, then the whole file is validated, and restored if invalid) and
copies the survey into ``data/surveys/`` under a name that binds it to the stop.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .settings import Settings

__all__ = ["AddedStop", "add_stop"]

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")


@dataclass(frozen=True)
class AddedStop:
    stop_id: str
    created: bool  # False when the stop existed and only a survey was added
    survey: Path | None


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def _path_from(tour_path: Path, file: Path) -> str:
    """How ``tour_path`` names ``file`` in a stop's ``surveys``: relative to the tour file's
    folder (``../data2/x.csv`` for a sibling folder), absolute when no relative path exists
    (another drive)."""
    base, target = tour_path.resolve().parent, file.resolve()
    if target.is_relative_to(base):
        return target.relative_to(base).as_posix()
    try:
        return Path(os.path.relpath(target, base)).as_posix()
    except ValueError:
        return target.as_posix()


def add_stop(
    settings: Settings,
    stop_id: str,
    *,
    town: str | None = None,
    date: _dt.date | None = None,
    venue: str = "",
    insee_code: str = "",
    survey: str | Path | None = None,
) -> AddedStop:
    """Register stop ``stop_id`` in the tour and/or add a survey file to it.

    A new stop needs ``town`` and ``date``. With ``survey``, the file is copied to the surveys
    folder (the first of ``settings.surveys`` that is a folder) as ``<date>-<stop id><ext>`` and
    listed in the stop's ``surveys``; for an existing stop, the copy is bound by its file name.
    """
    from .tour import load_tour

    if not _ID.match(stop_id):
        raise ConfigError(f"stop id must be made of a-z, 0-9 and dashes, got {stop_id!r}")
    tour_path = settings.tour
    tour = load_tour(tour_path) if tour_path.is_file() else None
    existing = tour.get(stop_id) if tour is not None else None
    if existing is None and (not town or date is None):
        raise ConfigError(f"stop {stop_id!r} is new: give its --town and --date")
    if existing is not None and survey is None:
        raise ConfigError(f"stop {stop_id!r} already exists in {tour_path}; give a SURVEY to add")

    folder = next((p for p in settings.surveys if p.suffix == ""), tour_path.parent / "surveys")
    copied: Path | None = None
    if survey is not None:
        source = Path(survey)
        if not source.is_file():
            raise ConfigError(f"survey file not found: {str(source)!r}")
        when = (existing.date if existing is not None else date)
        assert when is not None
        target = folder / f"{when.isoformat()}-{stop_id}{source.suffix.lower()}"
        n = 2
        while target.exists() and target.resolve() != source.resolve():
            target = folder / f"{when.isoformat()}-{stop_id}-{n}{source.suffix.lower()}"
            n += 1
        folder.mkdir(parents=True, exist_ok=True)
        if target.resolve() != source.resolve():
            shutil.copy2(source, target)
        copied = target

    if existing is not None:
        return AddedStop(stop_id, False, copied)

    assert date is not None and town is not None
    lines = ["", "[[stops]]", f"id = {_toml_string(stop_id)}", f"town = {_toml_string(town)}"]
    if insee_code:
        lines.append(f"insee_code = {_toml_string(insee_code)}")
    lines.append(f"date = {date.isoformat()}")
    if venue:
        lines.append(f"venue = {_toml_string(venue)}")
    if copied is not None:
        lines.append(f"surveys = [{_toml_string(_path_from(tour_path, copied))}]")
    before = tour_path.read_text(encoding="utf-8") if tour_path.is_file() else ""
    tour_path.parent.mkdir(parents=True, exist_ok=True)
    sep = "" if before.endswith("\n") or not before else "\n"
    tour_path.write_text(before + sep + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_tour(tour_path)
    except ConfigError:
        tour_path.write_text(before, encoding="utf-8")
        if copied is not None and copied.exists() and survey is not None and \
                copied.resolve() != Path(survey).resolve():
            copied.unlink()
        raise
    return AddedStop(stop_id, True, copied)

"""Project housekeeping a coordinator does between stops: registering a stop and its survey.

``add_stop`` appends a ``[[stops]]`` table to ``data/tour.toml`` (the file's comments and layout
are kept: it is appended as text) and copies the survey into ``data/surveys/`` under a name that
binds it to the stop. Every input is checked before anything is written; the new tour is
validated in a temporary file beside the real one, and each file is replaced atomically
(``os.replace``), so a failure at any point leaves ``tour.toml`` and the surveys as they were.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import tempfile
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


def _check_text(name: str, value: str) -> None:
    """Refuse text that cannot be written to a UTF-8 TOML file as a one-line string."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(f"--{name} {value!r} is not valid text (UTF-8): retype it") from None
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(f"--{name} {value!r} holds a line break or a control character")


def _temp_beside(path: Path) -> Path:
    """A new empty file in ``path``'s folder (so ``os.replace`` onto ``path`` is atomic)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    return Path(name)


def _copy_atomic(source: Path, target: Path) -> None:
    tmp = _temp_beside(target)
    try:
        shutil.copy2(source, tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


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

    if not _ID.fullmatch(stop_id):
        raise ConfigError(f"stop id must be made of a-z, 0-9 and dashes, got {stop_id!r}")
    for name, value in (("town", town or ""), ("venue", venue), ("insee", insee_code)):
        _check_text(name, value)
    tour_path = settings.tour
    tour = load_tour(tour_path) if tour_path.is_file() else None
    existing = tour.get(stop_id) if tour is not None else None
    if existing is None and (not town or not town.strip() or date is None):
        raise ConfigError(f"stop {stop_id!r} is new: give its --town and --date")
    if existing is not None and survey is None:
        raise ConfigError(f"stop {stop_id!r} already exists in {tour_path}; give a SURVEY to add")

    folder = next((p for p in settings.surveys if p.suffix == ""), tour_path.parent / "surveys")
    source: Path | None = None
    target: Path | None = None
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

    new_text: str | None = None
    if existing is None:
        assert date is not None and town is not None
        lines = ["", "[[stops]]", f"id = {_toml_string(stop_id)}",
                 f"town = {_toml_string(town)}"]
        if insee_code:
            lines.append(f"insee_code = {_toml_string(insee_code)}")
        lines.append(f"date = {date.isoformat()}")
        if venue:
            lines.append(f"venue = {_toml_string(venue)}")
        if target is not None:
            lines.append(f"surveys = [{_toml_string(_path_from(tour_path, target))}]")
        before = tour_path.read_text(encoding="utf-8") if tour_path.is_file() else ""
        sep = "" if before.endswith("\n") or not before else "\n"
        new_text = before + sep + "\n".join(lines) + "\n"

    # Nothing was written so far. Validate the new tour beside the real one, then write.
    tour_path.parent.mkdir(parents=True, exist_ok=True)
    staged: Path | None = None
    try:
        if new_text is not None:
            staged = _temp_beside(tour_path)
            staged.write_bytes(new_text.encode("utf-8"))
            try:
                load_tour(staged)
            except ConfigError as exc:  # name the real file, not the staged copy
                raise ConfigError(str(exc).replace(str(staged), str(tour_path))) from None
        if source is not None and target is not None:
            folder.mkdir(parents=True, exist_ok=True)
            if target.resolve() != source.resolve():
                _copy_atomic(source, target)
        if staged is not None:
            os.replace(staged, tour_path)
    except BaseException:
        if staged is not None and source is not None and target is not None \
                and target.exists() and target.resolve() != source.resolve():
            target.unlink()  # the copy this call made: the stop it belonged to was not added
        raise
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    return AddedStop(stop_id, existing is None, target)

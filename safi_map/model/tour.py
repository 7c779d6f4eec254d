"""The stops of the SAFI Tour and how survey files and rows are bound to them.

A survey file is bound to a stop by (1) a ``surveys`` entry of ``data/tour.toml``, else (2) the
row's ``stop`` column (stop id, town, or town and date), else (3) a stop id appearing in the file
name. :meth:`Tour.stop_for_file` does (1) then (3) for a whole file; ``validate`` applies (2) per
row in between.
"""

from __future__ import annotations

import datetime as _dt
import logging
import re
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import _
from safi_map.core.text import key, slugify

__all__ = ["Stop", "Tour", "load_tour"]

log = logging.getLogger(__name__)

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})\Z")
_KEYS = {"id": True, "town": True, "date": True, "insee_code": False, "venue": False,
         "surveys": False}
_DATE_IN_TEXT = re.compile(
    r"(?<!\d)(?:(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2}))(?!\d)"
)


@dataclass(frozen=True)
class Stop:
    """One stop of the tour: a town, a day, a venue, and the survey files collected there."""

    id: str
    town: str
    insee_code: str  # "" when unknown: the geocoder finds the commune from ``town``
    date: _dt.date
    venue: str = ""
    surveys: list[Path] = field(default_factory=list)


def _dates_in(text: str) -> list[_dt.date]:
    dates = []
    for m in _DATE_IN_TEXT.finditer(text):
        try:
            if m.group(1):
                dates.append(_dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
            else:
                year = int(m.group(6))
                year = 2000 + year if year < 100 else year
                dates.append(_dt.date(year, int(m.group(5)), int(m.group(4))))
        except ValueError:
            continue
    return dates


@dataclass(frozen=True)
class Tour:
    """All stops, sorted by date (then id). An empty tour is valid: surveys need no stop.

    ``stops`` may be given as any sequence; it is stored as a tuple sorted by date.
    """

    stops: Sequence[Stop] = ()
    source: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stops", tuple(sorted(self.stops, key=lambda s: (s.date, s.id))))

    def __iter__(self) -> Iterator[Stop]:
        return iter(self.stops)

    def __len__(self) -> int:
        return len(self.stops)

    def get(self, stop_id: str) -> Stop | None:
        """The stop with id ``stop_id``, or None."""
        for stop in self.stops:
            if stop.id == stop_id:
                return stop
        return None

    def configured_stop(self, path: str | Path) -> Stop | None:
        """The stop whose ``surveys`` list names ``path`` (compared as resolved paths)."""
        target = Path(path).resolve()
        for stop in self.stops:
            if any(p.resolve() == target for p in stop.surveys):
                return stop
        # A relative path given by a reader that only knows the file name.
        if not Path(path).is_absolute() and len(Path(path).parts) == 1:
            named = [s for s in self.stops if any(p.name == Path(path).name for p in s.surveys)]
            if len(named) == 1:
                return named[0]
        return None

    def stop_from_file_name(self, path: str | Path) -> Stop | None:
        """The stop whose id appears in the file name as whole dash-separated words.

        An id nested in a longer one that also matches loses (``la-seyne-sur-mer`` over
        ``la-seyne``); two unrelated ids are ambiguous (None). Failing any id, a date in the name
        (``2015-09-28``) that only one stop has.
        """
        stem = slugify(Path(path).stem, max_length=1000)
        padded = f"-{stem}-"
        hits = [s for s in self.stops if f"-{s.id}-" in padded]
        if hits:
            # Drop ids nested in a longer hit ("la-seyne" inside "la-seyne-sur-mer-2").
            best = [s for s in hits
                    if not any(o.id != s.id and f"-{s.id}-" in f"-{o.id}-" for o in hits)]
            return best[0] if len(best) == 1 else None
        dates = set(_dates_in(Path(path).stem))
        on_date = [s for s in self.stops if s.date in dates]
        return on_date[0] if len(on_date) == 1 else None

    def stop_for_file(self, path: str | Path) -> Stop | None:
        """The stop a whole survey file belongs to: config binding, then file-name binding."""
        return self.configured_stop(path) or self.stop_from_file_name(path)

    def match_stop(self, text: str) -> Stop | None:
        """The stop named by a cell: a stop id, a town, or a town with a date.

        ``"toulon"``, ``"Toulon"``, ``"TOULON"``, ``"Toulon 28/09/2015"``, ``"28/09/2015"`` all
        name the Toulon stop. A town visited twice needs the date; ambiguous values give None.
        """
        raw = str(text).strip()
        k = key(raw)
        if not k:
            return None
        by_id = self.get(raw.lower()) or self.get(slugify(raw))
        if by_id is not None:
            return by_id
        dates = set(_dates_in(raw))
        rest = key(_DATE_IN_TEXT.sub(" ", raw))
        candidates = list(self.stops)
        if rest:
            exact = [s for s in candidates if key(s.town) == rest or s.id == slugify(rest)]
            if not exact:
                padded = f" {rest} "
                exact = [s for s in candidates if f" {key(s.town)} " in padded]
            candidates = exact
        if dates:
            candidates = [s for s in candidates if s.date in dates]
        elif not rest:
            return None
        if len(candidates) == 1:
            return candidates[0]
        return None


def _parse_date(where: str, value: Any) -> _dt.date:
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
        dates = _dates_in(value)
        if len(dates) == 1 and _DATE_IN_TEXT.fullmatch(value.strip()):
            return dates[0]
    raise ConfigError(_("{where}: key 'date' must be a date like 2015-09-28, got {value!r}").format(
                          where=where, value=value))


def _parse_stop(path: Path, index: int, entry: Any) -> Stop:
    if not isinstance(entry, dict):
        raise ConfigError(_("{path}: [[stops]] entry {index} is not a table").format(
                              path=path, index=index + 1))
    sid = entry.get("id")
    where = (_("{path}: [[stops]] entry {number} (id {id!r})") if isinstance(sid, str)
             else _("{path}: [[stops]] entry {number}")).format(path=path, number=index + 1, id=sid)
    for name in entry:
        if name not in _KEYS:
            raise ConfigError(
                _("{where}: unknown key {name!r}; expected one of {keys}").format(
                    where=where, name=name, keys=', '.join(sorted(_KEYS)))
            )
    for name, required in _KEYS.items():
        if required and name not in entry:
            raise ConfigError(_("{where}: missing key {name!r}").format(where=where, name=name))
    for name in ("id", "town", "insee_code", "venue"):
        if name in entry and not isinstance(entry[name], str):
            raise ConfigError(_("{where}: key {name!r} must be a string, got {x1!r}").format(
                                  where=where, name=name, x1=entry[name]))
    if not _ID.match(entry["id"]):
        raise ConfigError(_("{where}: key 'id' must be made of [a-z0-9-], got {id!r}").format(
                              where=where, id=entry['id']))
    if not entry["town"].strip():
        raise ConfigError(_("{where}: key 'town' is empty").format(where=where))
    insee = entry.get("insee_code", "").strip().upper()
    if insee and not _INSEE.match(insee):
        raise ConfigError(_("{where}: key 'insee_code' must be an INSEE code like '83137', "
                            "got {insee_code!r}").format(
                              where=where, insee_code=entry['insee_code']))
    surveys = entry.get("surveys", [])
    if isinstance(surveys, str):
        surveys = [surveys]
    if (not isinstance(surveys, list) or not all(isinstance(s, str) for s in surveys)
            or any("\0" in s for s in surveys)):
        raise ConfigError(_("{where}: key 'surveys' must be a list of paths, got {surveys!r}").format(
            where=where, surveys=surveys))
    base = path.resolve().parent
    return Stop(
        id=entry["id"],
        town=entry["town"].strip(),
        date=_parse_date(where, entry["date"]),
        insee_code=insee,
        venue=entry.get("venue", "").strip(),
        surveys=[(base / s).resolve() for s in surveys],
    )


def load_tour(path: str | Path) -> Tour:
    """Read ``data/tour.toml``.

    Raises ConfigError naming the file, the stop and the key for a missing or duplicate id, a
    bad date, an unknown key, or a survey file bound to two stops.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(_("tour file not found: {path!r}").format(path=str(path))) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("{path}: cannot read the tour: {exc}").format(path=path, exc=exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{path}: invalid TOML: {exc}").format(path=path, exc=exc)) from None
    for name in data:
        if name != "stops":
            raise ConfigError(_("{path}: unknown key {name!r}; expected [[stops]] tables").format(
                                  path=path, name=name))
    raw = data.get("stops", [])
    if not isinstance(raw, list):
        raise ConfigError(_("{path}: 'stops' must be an array of tables ([[stops]])").format(
                              path=path))
    stops = [_parse_stop(path, i, entry) for i, entry in enumerate(raw)]
    seen: dict[str, int] = {}
    bound: dict[Path, str] = {}
    for i, stop in enumerate(stops):
        if stop.id in seen:
            raise ConfigError(
                _("{path}: [[stops]] entry {i}: id {id!r} is already used by entry {x1}").format(
                    path=path, i=i + 1, id=stop.id, x1=seen[stop.id] + 1)
            )
        seen[stop.id] = i
        for survey in stop.surveys:
            if survey in bound and bound[survey] != stop.id:
                raise ConfigError(
                    _("{path}: survey {survey!r} is bound to both {x1!r} and {id!r}").format(
                        path=path, survey=str(survey), x1=bound[survey], id=stop.id)
                )
            bound[survey] = stop.id
    log.debug("loaded %d stops from %s", len(stops), path)
    return Tour(tuple(stops), path)

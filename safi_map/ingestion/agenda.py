"""The actors' shared calendar ("calendrier commun d'actions", issue #16 item 1).

An agenda file lies next to the surveys: ``data/agenda.csv`` (or ``.xlsx``, ``.ods``), one event
per row, with columns a coordinator writes in French: Date, Début, Fin, Titre, Structure (an
actor's name or id), Commune, Lieu, Lien, Description, Public (oui/non). It is read with the
same size limits as the surveys and validated like them: every row ends up published, held back
(``Public`` says no) or rejected with its reason, and each problem names the file, the row and
the column.

The agenda says nothing about "today": whether an event is past is decided by the page in the
visitor's browser, so the files written are the same whatever day the site is built. Only the
terminal summary counts the events already past on the day of the build.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.core.normalize import normalize_url, parse_bool, parse_date
from safi_map.core.text import key
from safi_map.ingestion.agenda_read import read_rows, region_communes
from safi_map.ingestion.report import Report, RowRef
from safi_map.ingestion.sheet_limits import SheetLimits
from safi_map.model.public import public_actors

__all__ = ["AGENDA_NAMES", "Agenda", "AgendaEvent", "find_agenda", "read_agenda"]

AGENDA_NAMES = ("agenda.csv", "agenda.xlsx", "agenda.ods", "agenda.xls")
"""The agenda files looked for in the data folder, in this order."""

# Header (folded with text.key) -> field. Several spellings per field, as people write them.
_HEADERS: dict[str, tuple[str, ...]] = {
    "date": ("date", "jour", "date de l evenement", "date evenement", "le"),
    "start": ("debut", "heure", "heure de debut", "heure debut", "horaire", "de", "a partir de",
              "start"),
    "end": ("fin", "heure de fin", "heure fin", "jusqu a", "end"),
    "title": ("titre", "intitule", "evenement", "nom de l evenement", "action", "title"),
    "actor": ("structure", "acteur", "organisateur", "organisatrice", "porteur",
              "structure organisatrice", "id", "actor id", "actor"),
    "commune": ("commune", "ville", "localite"),
    "place": ("lieu", "adresse", "salle", "place"),
    "url": ("lien", "url", "site", "inscription", "lien d inscription", "site web"),
    "description": ("description", "details", "detail", "resume", "presentation"),
    "public": ("public", "publier", "publication", "visible", "diffusion publique"),
}
_BY_HEADER = {spelling: name for name, spellings in _HEADERS.items() for spelling in spellings}
FIELD_LABELS = {
    "date": "Date", "start": "Début", "end": "Fin", "title": "Titre", "actor": "Structure",
    "commune": "Commune", "place": "Lieu", "url": "Lien", "description": "Description",
    "public": "Public",
}
_TIME = re.compile(r"^(\d{1,2})(?:h|:|heures?)(\d{2})?(?:min)?\Z")
_NAMED_TIMES = {"midi": "12h", "minuit": "0h"}
_RANGE = re.compile(r"^(.+?)\s*(?:-|–|—|à|a|jusqu'à)\s*(\d.*)\Z")
_MAX_TITLE = 200
_MAX_TEXT = 2000


@dataclass(frozen=True)
class AgendaEvent:
    """One public event of the agenda. Times are local (Europe/Paris) wall-clock times."""

    id: str
    date: dt.date
    title: str
    start: dt.time | None = None
    end: dt.time | None = None
    actor_id: str = ""
    organiser: str = ""
    commune_code: str = ""
    commune: str = ""
    place: str = ""
    url: str = ""
    description: str = ""
    source: RowRef | None = None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.date, self.start or dt.time(0), self.title, self.id)


@dataclass
class Agenda:
    """The events read from an agenda file, sorted by date, and what happened to each row."""

    events: list[AgendaEvent] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    path: Path | None = None
    held_back: int = 0

    def past(self, today: dt.date) -> int:
        """How many events happened before ``today`` (for the terminal summary only)."""
        return sum(1 for e in self.events if e.date < today)


def find_agenda(data_dir: Path) -> Path | None:
    """The agenda file of a data folder, or None."""
    for name in AGENDA_NAMES:
        path = Path(data_dir) / name
        if path.is_file():
            return path
    return None


def parse_time(text: str) -> dt.time | None:
    """``14h``, ``14 h 30``, ``14:30``, ``9h00`` → a time; None when it is not one."""
    raw = " ".join(str(text).lower().split())
    raw = _NAMED_TIMES.get(key(raw), raw)
    if re.fullmatch(r"\d{1,2}:\d{2}:\d{2}", raw):  # a spreadsheet time
        raw = raw[:-3]
    match = _TIME.match(raw.replace(" ", ""))
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


@dataclass(frozen=True)
class _Actors:
    """How agenda rows find their actor: by id, else by name (in the event's commune first)."""

    by_id: Mapping[str, tuple[str, str, str, str]]  # id -> (id, name, commune code, commune)
    by_name: Mapping[str, list[tuple[str, str, str, str]]]

    @classmethod
    def of(cls, actors: Iterable[Mapping[str, Any]]) -> _Actors:
        by_id: dict[str, tuple[str, str, str, str]] = {}
        by_name: dict[str, list[tuple[str, str, str, str]]] = {}
        for a in actors:
            entry = (str(a.get("actor_id", "")), str(a.get("name", "")),
                     str(a.get("insee_code", "") or ""), str(a.get("commune", "") or ""))
            by_id[entry[0]] = entry
            by_name.setdefault(key(entry[1]), []).append(entry)
        return cls(by_id, by_name)

    def find(self, text: str, commune: str) -> tuple[str, str, str, str] | None:
        if text.strip() in self.by_id:
            return self.by_id[text.strip()]
        found = self.by_name.get(key(text), [])
        if len(found) > 1 and commune:
            here = [f for f in found if key(f[3]) == key(commune) or f[2] == commune]
            found = here or found
        return found[0] if len(found) == 1 else None


def _header_row(rows: Sequence[Sequence[str]]) -> int:
    """The header is the first of the first ten rows naming two agenda columns (a title line
    may sit above it), else the first row holding something."""
    for index, row in enumerate(rows[:10]):
        if len({_BY_HEADER[k] for k in map(key, row) if k in _BY_HEADER}) >= 2:
            return index
    return next((i for i, row in enumerate(rows) if any(c.strip() for c in row)), 0)


def _columns(header: Sequence[str], report: Report, where: str, row: int) -> dict[str, int]:
    """Field -> column index; unknown columns are said (never silently dropped)."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        folded = key(name)
        field_name = _BY_HEADER.get(folded)
        if field_name and field_name not in columns:
            columns[field_name] = index
        elif folded:
            report.add("warning", "agenda.column_unread",
                       _("column {column!r} is not an agenda column; it is not published").format(
                           column=name), RowRef(where, row), column=name)
    return columns


def _event_id(date: dt.date, title: str, commune: str, start: dt.time | None) -> str:
    digest = hashlib.blake2b(f"{date}|{key(title)}|{key(commune)}|{start}".encode(),
                             digest_size=5).hexdigest()
    return f"{date.isoformat()}-{digest}"


def _text(value: str, limit: int) -> str:
    return " ".join(value.split())[:limit]


def _read_row(cells: Mapping[str, str], ref: RowRef, report: Report, actors: _Actors,
              communes: Mapping[str, tuple[str, str]]) -> AgendaEvent | None:
    """One row → an event, or None when it is rejected (the reason is in the report)."""
    label = FIELD_LABELS
    title = _text(cells.get("title", ""), _MAX_TITLE)
    if not title:
        report.error("agenda.no_title", _("the event has no title; row not published"), ref,
                     column=label["title"])
        return None
    iso, _notes = parse_date(cells.get("date", ""))
    if not iso:
        raw = cells.get("date", "")
        message = (_("{raw!r} is not a date; row not published").format(raw=raw) if raw
                   else _("the event has no date; row not published"))
        report.error("agenda.date_invalid", message, ref, column=label["date"], value=raw or None)
        return None
    date = dt.date.fromisoformat(iso)
    cells = _split_range(cells)
    start, end = (_time_cell(cells, name, ref, report) for name in ("start", "end"))
    if start and end and end <= start:
        report.warning("agenda.end_before_start", _("the end time is not after the start time; "
                                                    "only the start is published"), ref,
                       column=label["end"], value=cells.get("end"))
        end = None
    commune_text = cells.get("commune", "").strip()
    actor = None
    if cells.get("actor", "").strip():
        actor = actors.find(cells["actor"], commune_text)
        if actor is None:
            report.warning("agenda.actor_unknown",
                           _("no actor on the map is called {name!r}; the event is published "
                             "without a link to an actor page").format(name=cells["actor"]),
                           ref, column=label["actor"], value=cells["actor"])
    commune_code, commune = communes.get(key(commune_text), ("", ""))
    if commune_text and not commune_code:
        report.warning("agenda.commune_unknown",
                       _("{commune!r} is not a commune of the region; the event is published "
                         "without a commune").format(commune=commune_text), ref,
                       column=label["commune"], value=commune_text)
    if not commune_code and actor is not None:
        commune_code, commune = actor[2], actor[3]
    url, url_notes = normalize_url(cells.get("url", ""))
    for note in url_notes:
        report.warning(note.code, note.message, ref, column=label["url"], value=cells.get("url"))
    return AgendaEvent(
        id=_event_id(date, title, commune_code or commune_text, start), date=date, title=title,
        start=start, end=end, actor_id=actor[0] if actor else "",
        organiser=actor[1] if actor else _text(cells.get("actor", ""), _MAX_TITLE),
        commune_code=commune_code, commune=commune, place=_text(cells.get("place", ""), _MAX_TITLE),
        url=url, description=_text(cells.get("description", ""), _MAX_TEXT), source=ref)


def _split_range(cells: Mapping[str, str]) -> Mapping[str, str]:
    """"14h-17h" in the start column and nothing in the end column: a start and an end."""
    match = _RANGE.match(cells.get("start", "").strip())
    if match and not cells.get("end", "").strip() and parse_time(match.group(1)) \
            and parse_time(match.group(2)):
        return {**cells, "start": match.group(1), "end": match.group(2)}
    return cells


def _time_cell(cells: Mapping[str, str], name: str, ref: RowRef, report: Report
               ) -> dt.time | None:
    raw = cells.get(name, "").strip()
    if not raw:
        return None
    value = parse_time(raw)
    if value is None:
        report.warning("agenda.time_invalid",
                       _("{raw!r} is not a time (write 14h or 14h30); the event is published "
                         "without it").format(raw=raw), ref, column=FIELD_LABELS[name], value=raw)
    return value


def read_agenda(path: Path, *, actors: Iterable[Mapping[str, Any]] = (),
                communes: Mapping[str, tuple[str, str]] | None = None,
                limits: SheetLimits | None = None) -> Agenda:
    """Read and validate an agenda file.

    Parameters
    ----------
    path
        ``agenda.csv``, ``.xlsx``, ``.ods`` or ``.xls``.
    actors
        The public actors (records with ``actor_id``, ``name``, ``insee_code``, ``commune``):
        an event's "Structure" is looked up among them by id, then by name.
    communes
        Folded commune name -> (INSEE code, official name); default: the communes of the region.
    limits
        The survey size limits (``[limits]``).
    """
    path = Path(path)
    agenda = Agenda(path=path)
    report = agenda.report
    if communes is None:
        communes = region_communes()
    rows = read_rows(path, limits or SheetLimits())
    if not rows:
        return agenda
    top = _header_row(rows)
    header, body = rows[top], rows[top + 1:]
    first = top + 2  # the spreadsheet's row number of the first event
    columns = _columns(header, report, path.name, top + 1)
    missing = [FIELD_LABELS[name] for name in ("date", "title") if name not in columns]
    if missing:
        report.error("agenda.columns_missing",
                     _("the agenda has no column {columns}; no event can be read").format(
                         columns=" / ".join(missing)), RowRef(path.name, top + 1))
        for number, row in enumerate(body, start=first):
            if any(c.strip() for c in row):
                report.rejected[str(RowRef(path.name, number))] = "agenda.columns_missing"
        return agenda
    index = _Actors.of(actors)
    seen: dict[str, RowRef] = {}
    for number, row in enumerate(body, start=first):
        if not any(c.strip() for c in row):
            continue
        report.rows_read += 1
        ref = RowRef(path.name, number)
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in columns.items()}
        event = _read_row(cells, ref, report, index, communes)
        if event is None:
            report.rejected[str(ref)] = report.issues[-1].code
            continue
        public, _notes = parse_bool(cells.get("public", ""))
        if public is False:
            agenda.held_back += 1
            report.rejected[str(ref)] = "agenda.not_public"
            continue
        if event.id in seen:
            report.warning("agenda.duplicate",
                           _("the same event as row {row} (date, title, commune); published "
                             "once").format(row=seen[event.id].row), ref)
            report.merged[str(ref)] = event.id
            continue
        seen[event.id] = ref
        report.published[str(ref)] = event.id
        agenda.events.append(event)
    agenda.events.sort(key=lambda e: e.sort_key)
    return agenda


def project_agenda(settings: Any, actors: Any, report: Report) -> Agenda | None:
    """The agenda of a project (``agenda.*`` beside ``tour.toml``), read against its public
    actors, or None when there is none.

    Its problems join the ingest ``report`` (they name ``agenda.csv``, the row and the column,
    so the coordinator's report lists them with the surveys'); its counts go to
    ``report.extra["agenda"]``. A file that cannot be read is an input error of the run.
    """
    path = find_agenda(Path(settings.tour).parent)
    if path is None:
        return None
    records = public_actors(actors).drop(columns="geometry", errors="ignore").to_dict("records")
    try:
        agenda = read_agenda(path, actors=records, limits=SheetLimits.from_settings(settings))
    except SurveyError as exc:
        report.files.append({"file": path.name, "error": str(exc)})
        return None
    report.issues.extend(agenda.report.issues)
    report.extra["agenda"] = {
        "file": path.name, "rows": agenda.report.rows_read, "events": len(agenda.events),
        "rejected": len(agenda.report.rejected) - agenda.held_back,
        "held_back": agenda.held_back, "merged": len(agenda.report.merged)}
    return agenda

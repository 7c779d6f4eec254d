"""Opening hours: French free text or OSM syntax in, OpenStreetMap ``opening_hours`` out.

Surveys carry a "Horaires" column typed by people, not machines: "lun-ven 9h-12h et 14h-17h",
"le mardi de 14h à 18h", "du lundi au vendredi de 9h à 17h, fermé le mercredi", "sur
rendez-vous". :func:`parse_hours` turns such a text into the OpenStreetMap ``opening_hours``
syntax (the one data·inclusion's ``horaires_accueil`` asks for), or accepts a text already written
in that syntax. It is deliberately strict: a word it does not know ("le matin", "l'après-midi",
"selon la saison") makes the whole text unparsable rather than half-read, because wrong hours
on a public page are worse than hours shown as the actor wrote them. Unparsable text is kept as
written (a row warning says so) and shown as-is.

The OSM expression is checked and evaluated by the ``opening-hours-py`` library (the Rust
``opening-hours`` crate). :func:`weekly_intervals` turns it into the compact list of open minutes
of a week that the static site ships to the browser, where ``map/hours.js`` decides "Ouvert
maintenant" from the visitor's clock (the time of France). Expressions whose week changes along
the year (months, dates) or that only carry a comment ("sur rendez-vous") get no weekly list:
the site then shows the hours, but no badge.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from safi_map.core.i18n import _
from safi_map.core.normalize import Note

__all__ = [
    "WEEK_MINUTES",
    "HoursParseError",
    "is_open_at",
    "is_osm",
    "normalize_hours",
    "parse_hours",
    "weekly_intervals",
    "weekly_payload",
]

WEEK_MINUTES = 7 * 24 * 60
"""Minutes in a week: weekly intervals count from Monday 00:00."""

DAYS: tuple[str, ...] = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
APPOINTMENT = "sur rendez-vous"

_DAY_WORDS: dict[str, int] = {}
for _i, _names in enumerate((
    ("lundi", "lun", "lu"), ("mardi", "mar", "ma"), ("mercredi", "mer", "me"),
    ("jeudi", "jeu", "je"), ("vendredi", "ven", "ve", "vend"), ("samedi", "sam", "sa"),
    ("dimanche", "dim", "di"),
)):
    for _name in _names:
        _DAY_WORDS[_name] = _i
_DAY = r"(?:" + "|".join(sorted(_DAY_WORDS, key=len, reverse=True)) + r")s?\.?"
_TIME = r"(?:\d{1,2}\s*(?:h|:|heures?)\s*(?:\d{2})?|midi|minuit)"
_BARE = r"(?:\d{1,2})"

_TOKENS: tuple[tuple[str, str], ...] = (
    ("ALWAYS", r"24\s*h?\s*(?:/|sur)\s*24(?:\s*h)?(?:\s*,?\s*(?:et\s+)?7\s*j?(?:ours)?\s*(?:/|sur)"
               r"\s*7(?:\s*j(?:ours)?)?)?"),
    ("ALLDAYS", r"tous\s+les\s+jours|7\s*j(?:ours)?\s*(?:/|sur)\s*7(?:\s*j(?:ours)?)?|"
                r"chaque\s+jour|toute\s+la\s+semaine"),
    ("WEEKDAYS", r"en\s+semaine|jours\s+ouvres|la\s+semaine"),
    ("WORKDAYS", r"jours\s+ouvrables"),
    ("WEEKEND", r"(?:le\s+)?week[\s-]?ends?"),
    ("HOLIDAYS", r"(?:les\s+)?jours\s+feries|(?:les\s+)?feries"),
    ("APPOINTMENT", r"(?:uniquement\s+|seulement\s+)?sur\s+(?:rendez[\s-]?vous|r\.?d\.?v\.?)|"
                    r"(?:uniquement\s+|seulement\s+)?(?:en\s+)?rendez[\s-]?vous"),
    ("TIMES", rf"(?:de\s+|entre\s+)?(?P<a>{_TIME}|{_BARE})\s*(?:-|a|et|jusqu'?\s*a)\s*(?P<b>{_TIME})"),
    ("DAYRANGE", rf"(?:du\s+|de\s+)?(?P<d1>{_DAY})\s*(?:-|au|a)\s*(?P<d2>{_DAY})(?![a-z])"),
    ("DAY", rf"(?P<d>{_DAY})(?![a-z])"),
    ("CLOSED", r"fermee?s?|fermeture"),
    ("EXCEPT", r"sauf|excepte|hors"),
    ("FILLER", r"(?:le|les|la|l'|de|du|des|d'|au|aux|et|ou|puis|ouvert|ouverte|ouverts|ouvertes|"
               r"ouverture|horaires?|d'ouverture|accueil|du\s+public|public|non[\s-]?stop|"
               r"en\s+continu|aussi|egalement|[,;:/.|+&()\n-])(?![a-z0-9])"),
)
_SCANNER = re.compile("|".join(f"(?P<{name}>{rx})" for name, rx in _TOKENS))
_SPACE = re.compile(r"\s+")


class HoursParseError(ValueError):
    """The text is not opening hours this parser can read with certainty."""


@dataclass
class _Group:
    days: set[int] | None = None
    times: list[tuple[int, int]] = field(default_factory=list)
    comment: str = ""
    last: str = ""  # kind of the last token that filled this group: "days" or "times"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    for dash in "\u2010\u2011\u2012\u2013\u2014\u2212":
        text = text.replace(dash, "-")
    return _SPACE.sub(" ", text.replace("\u2019", "'").replace("`", "'")).strip()


def _minutes(token: str, *, end: bool) -> int:
    token = token.strip()
    if token == "midi":
        return 12 * 60
    if token == "minuit":
        return 24 * 60 if end else 0
    m = re.fullmatch(r"(\d{1,2})\s*(?:h|:|heures?)?\s*(\d{2})?", token)
    if not m:
        raise HoursParseError(token)
    hours, minutes = int(m.group(1)), int(m.group(2) or 0)
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise HoursParseError(token)
    return hours * 60 + minutes


def _day(word: str) -> int:
    return _DAY_WORDS[word.rstrip(".").removesuffix("s") if word.rstrip(".") not in _DAY_WORDS
                      else word.rstrip(".")]


def _tokens(text: str) -> list[tuple[str, Any]]:
    """``(kind, value)`` pairs; any character that no token reads makes the text unparsable."""
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        if text[pos] == " ":
            pos += 1
            continue
        m = _SCANNER.match(text, pos)
        if not m or m.end() == pos:
            raise HoursParseError(text[pos:])
        kind = m.lastgroup or ""
        if kind == "TIMES":
            a, b = m.group("a"), m.group("b")
            start, stop = _minutes(a, end=False), _minutes(b, end=True)
            if start == stop or start >= 24 * 60:
                raise HoursParseError(m.group(0))
            out.append(("times", (start, stop)))
        elif kind == "DAYRANGE":
            d1, d2 = _day(m.group("d1")), _day(m.group("d2"))
            span = range(d1, d2 + 1) if d1 <= d2 else [*range(d1, 7), *range(0, d2 + 1)]
            out.append(("days", set(span)))
        elif kind == "DAY":
            out.append(("days", {_day(m.group("d"))}))
        elif kind == "ALLDAYS":
            out.append(("days", set(range(7))))
        elif kind == "WEEKDAYS":
            out.append(("days", set(range(5))))
        elif kind == "WORKDAYS":
            out.append(("days", set(range(6))))
        elif kind == "WEEKEND":
            out.append(("days", {5, 6}))
        elif kind == "ALWAYS":
            out.append(("always", None))
        elif kind in ("HOLIDAYS", "APPOINTMENT", "CLOSED", "EXCEPT"):
            out.append((kind.lower(), None))
        pos = m.end()
    return out


def _day_selector(days: Iterable[int]) -> str:
    """``Mo-Fr``, ``Mo,We,Fr``, ``Mo-We,Sa``: runs of three days or more as ranges."""
    wanted = sorted(set(days))
    runs: list[list[int]] = []
    for d in wanted:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAYS[run[0]]}-{DAYS[run[-1]]}")
        else:
            parts.extend(DAYS[d] for d in run)
    return ",".join(parts)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _groups(tokens: Sequence[tuple[str, Any]]) -> tuple[list[_Group], set[int], bool, bool]:
    """Read tokens into rule groups; returns (groups, closed days, holidays off, appointment)."""
    significant = [k for k, _v in tokens if k in ("days", "times", "always")]
    times_first = bool(significant) and significant[0] in ("times", "always")
    groups: list[_Group] = []
    closed: set[int] = set()
    holidays_off = appointment = False
    mode = ""  # "closed" or "except" while the following days belong to them
    for kind, value in tokens:
        current = groups[-1] if groups else None
        if kind == "closed":
            mode = "closed"
        elif kind == "except":
            mode = "except"
        elif kind == "holidays":
            if mode not in ("closed", "except"):
                raise HoursParseError("feries")
            holidays_off = True
        elif kind == "appointment":
            appointment = True
            if current is not None:
                current.comment = APPOINTMENT
        elif kind == "days" and mode == "closed":
            closed |= value
        elif kind == "days" and mode == "except":
            if current is None:
                raise HoursParseError("sauf")
            current.days = (set(range(7)) if current.days is None else current.days) - value
        elif kind == "days":
            if current is None or (current.times and not times_first):
                groups.append(_Group(days=set(value), last="days"))
            else:
                current.days = (current.days or set()) | value
                current.last = "days"
        elif kind in ("times", "always"):
            mode = ""
            span = (0, 24 * 60) if kind == "always" else value
            if current is None or (times_first and current.last == "days"):
                groups.append(_Group(times=[span], last="times"))
            else:
                current.times.append(span)
                current.last = "times"
    return groups, closed, holidays_off, appointment


def _from_french(text: str) -> str:
    tokens = _tokens(_fold(text))
    if not tokens:
        raise HoursParseError(text)
    groups, closed, holidays_off, appointment = _groups(tokens)
    kinds = {k for k, _v in tokens}
    if not groups:
        if appointment and kinds <= {"appointment"}:
            return f'"{APPOINTMENT}"'
        if kinds == {"closed"}:
            return "off"
        raise HoursParseError(text)
    rules: list[str] = []
    for g in groups:
        if not g.times or (g.days is not None and not g.days):
            raise HoursParseError(text)
        if g.days is None and len(groups) > 1:
            raise HoursParseError(text)  # "9h-12h, lundi 14h-17h": which days get 9h-12h?
        times = ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in sorted(set(g.times)))
        selector = "" if g.days is None or len(g.days) == 7 else _day_selector(g.days) + " "
        rule = "24/7" if times == "00:00-24:00" and not selector else selector + times
        if appointment and (g.comment or len(groups) == 1):
            rule += f' "{APPOINTMENT}"'
        rules.append(rule)
    if closed:
        rules.append(_day_selector(closed) + " off")
    if holidays_off:
        rules.append("PH off")
    return "; ".join(rules)


def is_osm(text: str) -> bool:
    """True when ``text`` is a valid OSM ``opening_hours`` expression."""
    import opening_hours

    return bool(text) and bool(opening_hours.validate(text))


def parse_hours(text: str) -> str:
    """The OSM ``opening_hours`` expression of a French text or of an OSM expression.

    Raises
    ------
    HoursParseError
        The text cannot be read with certainty (it is then kept and shown as written).
    """
    raw = " ".join(str(text).split())
    if not raw:
        raise HoursParseError(text)
    if re.search(r"\b(?:Mo|Tu|We|Th|Fr|Sa|Su|PH)\b|\d\d:\d\d|24/7", raw) and is_osm(raw):
        return raw
    osm = _from_french(raw)
    if not is_osm(osm):  # pragma: no cover - the builder writes valid syntax; guarded by tests
        raise HoursParseError(text)
    return osm


def normalize_hours(text: str) -> tuple[str, list[Note]]:
    """The survey cell as stored: its OSM expression, or the text as written with a note.

    The note (a :class:`safi_map.core.normalize.Note`) becomes a row warning naming the file, the
    row and the column; the text stays, and the actor page shows it as written.
    """
    raw = " ".join(str(text or "").split())
    if not raw:
        return "", []
    try:
        return parse_hours(raw), []
    except HoursParseError as err:
        return raw, [Note("opening_hours.unparsed", _(
            "opening hours not understood ({part!r}); shown as written, without the \"open "
            "now\" badge (write them like \"lun-ven 9h-12h et 14h-17h\" or in the "
            "OpenStreetMap syntax \"Mo-Fr 09:00-12:00,14:00-17:00\")").format(part=str(err)))]


# --------------------------------------------------------------------------------------------
# Evaluation


_REFERENCE_MONDAYS = tuple(datetime(2025, month, 1) + timedelta(days=(7 - datetime(2025, month, 1)
                                                                      .weekday()) % 7)
                           for month in range(1, 13))
"""One Monday per month of a year: an expression whose week differs between them has none."""


def _week(osm: str, monday: datetime) -> tuple[tuple[int, int, str], ...]:
    from opening_hours import OpeningHours, State

    rule = OpeningHours(osm, auto_country=False, auto_timezone=False)
    out: list[tuple[int, int, str]] = []
    for start, end, state, comment in rule.intervals(monday, monday + timedelta(days=8)):
        if state != State.OPEN:
            continue
        s = int((start - monday).total_seconds() // 60)
        e = int((end - monday).total_seconds() // 60)
        if s >= WEEK_MINUTES:
            continue
        if out and out[-1][1] == s and out[-1][2] == comment:  # one interval across midnight
            out[-1] = (out[-1][0], e, comment)
        else:
            out.append((s, e, comment))
    if len(out) > 1 and out[0][0] == 0 and out[-1][1] - WEEK_MINUTES >= out[0][1]:
        out.pop(0)  # the tail of Sunday night's interval, which the last one already holds
    return tuple((s, min(e, s + WEEK_MINUTES), c) for s, e, c in out)


@lru_cache(maxsize=4096)
def weekly_intervals(osm: str) -> tuple[tuple[int, int, str], ...] | None:
    """Open intervals of a week, ``(start, end, comment)`` in minutes from Monday 00:00.

    ``end`` may pass the end of the week (Sunday 22:00 to Monday 02:00). None when the
    expression is not valid, when the week is not the same all year long, or when it carries
    only a comment ("sur rendez-vous": open or closed is not known).
    """
    if not is_osm(osm):
        return None
    weeks = {_week(osm, monday) for monday in _REFERENCE_MONDAYS}
    if len(weeks) != 1:
        return None
    week = weeks.pop()
    if len(week) == 1 and week[0][1] - week[0][0] >= WEEK_MINUTES and week[0][2]:
        return None
    return week


def is_open_at(osm: str, when: datetime) -> bool:
    """Whether the place is open at ``when`` (naive local time), by the library itself."""
    from opening_hours import OpeningHours

    return bool(OpeningHours(osm, auto_country=False, auto_timezone=False).is_open(when))


def weekly_payload(values: Iterable[Any]) -> list[list[Any]]:
    """The browser's data: ``[[index, [start, end, start, end...]], ...]`` for each value
    that has a weekly schedule (indexes follow ``values``); the others are left out."""
    out: list[list[Any]] = []
    for i, value in enumerate(values):
        text = value if isinstance(value, str) else ""
        week = weekly_intervals(text) if text else None
        if week:
            out.append([i, [m for s, e, _c in week for m in (s, e)]])
    return out

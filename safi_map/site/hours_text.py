"""Opening hours in French for the public pages: "Lundi–vendredi : 9 h–12 h, 14 h–17 h".

The text is made from the weekly intervals of :func:`safi_map.core.hours.weekly_intervals`, so what a
visitor reads and what the "Ouvert maintenant" badge decides come from the same evaluation.
An expression without a weekly schedule is shown as its comment ("Sur rendez-vous") or as
written; a survey text the parser did not read is shown as the actor wrote it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from safi_map.core.french import WEEKDAYS, french_clock
from safi_map.core.hours import WEEK_MINUTES, is_osm, weekly_intervals

__all__ = ["HoursView", "describe_hours", "hours_view"]

_DAY_NAMES = WEEKDAYS
_NBSP = "\u00a0"
_DAY = 24 * 60




def _days_label(days: list[int]) -> str:
    """``lundi–vendredi``, ``samedi et dimanche``, ``lundi, mercredi et vendredi``."""
    if len(days) == 7:
        return "Tous les jours"
    runs: list[list[int]] = []
    for d in days:
        if runs and runs[-1][-1] == d - 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{_DAY_NAMES[run[0]]}–{_DAY_NAMES[run[-1]]}")
        else:
            parts.extend(_DAY_NAMES[d] for d in run)
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " et " + parts[-1]
    return text[:1].upper() + text[1:]


def _lines(week: tuple[tuple[int, int, str], ...]) -> list[str]:
    if len(week) == 1 and week[0][1] - week[0][0] >= WEEK_MINUTES:
        return [f"Ouvert 24{_NBSP}h/24, 7{_NBSP}j/7"]
    by_day: dict[int, list[tuple[int, int, str]]] = {}
    for start, end, comment in week:
        day = start // _DAY
        by_day.setdefault(day, []).append((start - day * _DAY, end - day * _DAY, comment))
    schedules: dict[tuple[tuple[int, int, str], ...], list[int]] = {}
    for day in sorted(by_day):
        schedules.setdefault(tuple(by_day[day]), []).append(day)
    lines = []
    for schedule, days in sorted(schedules.items(), key=lambda item: item[1][0]):
        spans = ", ".join(
            f"{french_clock(s)}–{french_clock(e if e <= _DAY else e - _DAY)}" for s, e, _c in schedule)
        comments = {c for _s, _e, c in schedule}
        note = f" ({comments.pop()})" if len(comments) == 1 and "" not in comments else ""
        lines.append(f"{_days_label(days)}{_NBSP}: {spans}{note}")
    return lines


def describe_hours(value: str) -> list[str]:
    """The lines shown on an actor page for the stored hours (OSM or text kept as written)."""
    text = " ".join(str(value or "").split())
    if not text:
        return []
    if not is_osm(text):
        return [text]
    week = weekly_intervals(text)
    if week is None:
        comments = re.fullmatch(r'(?:off\s+|closed\s+)?"([^"]+)"', text)
        if comments:
            comment = comments.group(1)
            return [comment[:1].upper() + comment[1:]]
        return [text]
    lines = _lines(week) if week else ["Fermé"]
    if re.search(r"(?:^|;)\s*PH\s+(?:off|closed)\b", text):
        lines.append("Fermé les jours fériés")
    return lines


class HoursView(dict[str, Any]):
    """What a template needs: ``lines`` (French), ``week`` (flat minutes for the badge, or an
    empty list), ``osm`` (the expression, or "" when the text was kept as written)."""


def hours_view(value: Any) -> HoursView:
    """:func:`describe_hours` plus the data of the "Ouvert maintenant" badge."""
    text = " ".join(str(value).split()) if isinstance(value, str) else ""
    lines, osm, week = _hours_parts(text)
    return HoursView(lines=list(lines), osm=osm, week=list(week))


@lru_cache(maxsize=8192)
def _hours_parts(text: str) -> tuple[tuple[str, ...], str, tuple[int, ...]]:
    """(lines, OSM expression, flat weekly minutes) of one hours text: the same few phrasings
    recur across thousands of actors ("lun-ven 9h-17h"), each parsed once."""
    osm = text if text and is_osm(text) else ""
    week = weekly_intervals(osm) if osm else None
    return (tuple(describe_hours(text)), osm,
            tuple(m for s, e, _c in week for m in (s, e)) if week else ())

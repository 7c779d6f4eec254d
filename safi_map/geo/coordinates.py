"""Coordinates as people write them (``43,29``, ``43°17'N``, swapped pairs), checked against
the reference boundaries: a point outside France is dropped, one outside PACA kept with a note.

In :mod:`safi_map.geo` because the checks read the gazetteer's boundaries."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np

from safi_map.core.cells import Normalized, Note, squash
from safi_map.core.i18n import _

__all__ = ["parse_coordinate", "parse_point", "parse_points"]

_HEMISPHERE = re.compile(r"^(?P<pre>[NSEOW])?\s*(?P<body>.*?)\s*(?P<post>[NSEOW])?\Z", re.IGNORECASE)
_DMS = re.compile(
    r"^(?P<sign>[-+])?(?P<d>\d{1,3}(?:[.,]\d+)?)\s*[°º˚d]?\s*"
    r"(?:(?P<m>\d{1,2}(?:[.,]\d+)?)\s*['′’m]\s*"
    r"(?:(?P<s>\d{1,2}(?:[.,]\d+)?)\s*(?:[\"″”]|''|s)?)?)?$",
    re.IGNORECASE,
)


def parse_coordinate(text: str) -> Normalized[float]:
    """Read one latitude or longitude written the way people write them.

    Accepts decimal commas (``43,1242``), degree signs, spaces, hemisphere letters
    (``43.12 N``, ``5.9 E``, ``O``/``W`` for west) and degrees-minutes-seconds
    (``43°07'27"N``). Returns NaN, with a note, for anything else. Range checks happen in
    :func:`parse_points`, which knows whether the value is a latitude or a longitude.
    """
    raw = squash(str(text))
    if not raw:
        return math.nan, []
    value = raw.replace("\u2212", "-").replace(" ", "")
    match = _HEMISPHERE.match(value)
    assert match is not None  # the pattern matches any string
    pre, body, post = match.group("pre"), match.group("body"), match.group("post")
    if pre and post:
        return math.nan, [Note("coordinates.invalid", _("{raw!r} is not a coordinate").format(
                                                          raw=raw))]
    hemisphere = (pre or post or "").upper()
    dms = _DMS.match(body)
    if not dms or (body.count(",") + body.count(".")) > 3:
        return math.nan, [Note("coordinates.invalid", _("{raw!r} is not a coordinate").format(
                                                          raw=raw))]
    degrees = float(dms.group("d").replace(",", "."))
    minutes = float((dms.group("m") or "0").replace(",", "."))
    seconds = float((dms.group("s") or "0").replace(",", "."))
    if minutes >= 60 or seconds >= 60:
        return math.nan, [Note("coordinates.invalid", _("{raw!r} is not a coordinate").format(
                                                          raw=raw))]
    number = degrees + minutes / 60 + seconds / 3600
    if dms.group("sign") == "-":
        number = -number
    if hemisphere in {"S", "W", "O"}:
        number = -abs(number)
    return number, []


def _default_in_france(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from safi_map.geo import gazetteer  # imported lazily: it loads reference data

    return np.asarray(gazetteer.in_france(lat, lon), dtype=bool)


def _default_in_paca(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    from safi_map.geo import gazetteer

    return np.asarray(gazetteer.in_paca(lat, lon), dtype=bool)


def parse_points(
    lat_texts: Sequence[str], lon_texts: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, list[list[Note]]]:
    """Vectorized :func:`parse_point`: parse many coordinate pairs at once.

    Returns latitude and longitude arrays (NaN where no usable point) and one note list per pair.
    Rules, in order:

    - a pair with only one half, or an unreadable half, is dropped (``coordinates.incomplete`` /
      ``coordinates.invalid``);
    - a pair outside France whose swap is in France is swapped back (``coordinates.swapped``);
    - a pair outside France either way is dropped (``coordinates.outside_france``): the point is
      rejected, not the actor, whose row is then geocoded from its address or commune;
    - a pair in France but outside PACA is kept with a warning (``coordinates.outside_paca``):
      some actors of the network sit just across the border.
    """
    if len(lat_texts) != len(lon_texts):
        raise ValueError(_("latitude and longitude sequences differ in length"))
    n = len(lat_texts)
    lat = np.full(n, np.nan)
    lon = np.full(n, np.nan)
    notes: list[list[Note]] = [[] for _ in range(n)]
    cache: dict[str, Normalized[float]] = {}

    def parse(text: str) -> Normalized[float]:
        if text not in cache:
            cache[text] = parse_coordinate(text)
        return cache[text]

    for i, (lat_text, lon_text) in enumerate(zip(lat_texts, lon_texts, strict=True)):
        lat_text, lon_text = str(lat_text).strip(), str(lon_text).strip()
        if not lat_text and not lon_text:
            continue
        (y, y_notes), (x, x_notes) = parse(lat_text), parse(lon_text)
        if y_notes or x_notes:
            notes[i].extend([*y_notes, *x_notes])
            continue
        if not lat_text or not lon_text:
            notes[i].append(
                Note("coordinates.incomplete", _("only one of latitude and longitude is given"))
            )
            continue
        lat[i], lon[i] = y, x
    todo = np.flatnonzero(~np.isnan(lat))
    if todo.size == 0:
        return lat, lon, notes
    ys, xs = lat[todo], lon[todo]
    ok = _default_in_france(ys, xs)
    swappable = ~ok & _default_in_france(xs, ys)
    for j in np.flatnonzero(swappable):
        i = int(todo[j])
        notes[i].append(
            Note("coordinates.swapped", _("latitude and longitude were swapped; swapped them back"))
        )
        lat[i], lon[i] = lon[i], lat[i]
    for j in np.flatnonzero(~ok & ~swappable):
        i = int(todo[j])
        notes[i].append(
            Note(
                "coordinates.outside_france",
                _("point ({x1:g}, {x2:g}) is outside France; coordinates ignored").format(
                    x1=lat[i], x2=lon[i]),
            )
        )
        lat[i] = lon[i] = np.nan
    kept = todo[ok | swappable]
    if kept.size:
        in_paca = _default_in_paca(lat[kept], lon[kept])
        for i in kept[~in_paca]:
            notes[i].append(
                Note(
                    "coordinates.outside_paca",
                    _("point ({x1:g}, {x2:g}) is in France but outside PACA").format(
                        x1=lat[i], x2=lon[i]),
                )
            )
    return lat, lon, notes


def parse_point(lat_text: str, lon_text: str) -> Normalized[tuple[float, float]]:
    """Parse one latitude/longitude pair; see :func:`parse_points` for the rules."""
    lat, lon, notes = parse_points([lat_text], [lon_text])
    return (float(lat[0]), float(lon[0])), notes[0]

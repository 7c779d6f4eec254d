"""What a poster lists: the directory entries, the legend and the date of the data."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safi_map.core.text import key

CRS = "EPSG:2154"
"""Lambert-93, the official projection of metropolitan France: shapes and distances look right."""
NO_THEME_COLOUR = "#8a8a8a"
_ARRONDISSEMENT = re.compile(r"^(.*\b\d+(?:e|er)) arrondissement$", re.IGNORECASE)


def short_commune(name: str) -> str:
    """A commune's name as a poster prints it: "Marseille 10e Arrondissement" is "Marseille
    10e" (the word took a third of a directory line and was cut)."""
    m = _ARRONDISSEMENT.match(name)
    return m.group(1) if m else name


@dataclass(frozen=True)
class PosterEntry:
    """One line of the directory: the number drawn on the map (``None`` when not located).

    ``themes`` are the theme labels printed with the entry (on a theme poster, the *other*
    themes of the actor) and ``theme_colours`` their colours; ``colour`` is the marker's.
    """

    number: int | None
    actor_id: str
    name: str
    commune: str
    insee_code: str
    themes: tuple[str, ...]  # labels
    colour: str
    x: float  # Lambert-93 metres, NaN when not located
    y: float
    theme_colours: tuple[str, ...] = ()


def data_date(actors: pd.DataFrame) -> str:
    """The date of the data: the latest ``last_seen`` (ISO), ``""`` when there is none.

    Posters print this rather than today's date so the same data gives the same file.
    """
    if "last_seen" not in actors.columns or actors.empty:
        return ""
    dates = [str(d)[:10] for d in actors["last_seen"] if isinstance(d, str) and d.strip()]
    return max(dates) if dates else ""


def theme_index(taxonomy: Any) -> dict[str, tuple[str, str]]:
    """slug -> (label, colour), from a Taxonomy, a list of theme objects or dicts, or None."""
    themes = getattr(taxonomy, "themes", taxonomy) if taxonomy is not None else []
    out: dict[str, tuple[str, str]] = {}
    for item in themes or []:
        get = item.get if isinstance(item, dict) else lambda n, d="", i=item: getattr(i, n, d)
        slug = str(get("slug", ""))
        if slug:
            out[slug] = (str(get("label", "") or slug), str(get("colour", "") or NO_THEME_COLOUR))
    return out


def clean(text: Any) -> str:
    """One line of plain text: survey strings may hold newlines, tabs, U+2028..."""
    if not isinstance(text, str):
        return ""
    return " ".join(text.split())


def themes_of(value: Any) -> list[str]:
    if isinstance(value, list | tuple | np.ndarray):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return value.split(";")
    return []


def poster_entries(actors: gpd.GeoDataFrame, taxonomy: Any = None, *,
                   theme: str | None = None) -> list[PosterEntry]:
    """The directory of a poster, in print order.

    Located actors are numbered 1..n by commune then name (so the directory reads by town and
    the numbers of one town are close together); actors without a location follow, unnumbered.
    Markers take the colour of the actor's first theme, or on a theme poster (``theme`` is a
    slug) the colour of that theme, the actor's other themes becoming the entry's tags.
    """
    themes = theme_index(taxonomy)
    if actors.empty:
        return []
    frame = (actors.to_crs(CRS) if actors.crs is not None
             else actors.set_crs("EPSG:4326").to_crs(CRS))
    rows = []
    for rec, geom in zip(frame.drop(columns=frame.geometry.name).to_dict("records"),
                         frame.geometry.values, strict=True):
        located = geom is not None and not geom.is_empty
        slugs = themes_of(rec.get("themes"))
        if theme is not None:
            colour = themes.get(theme, ("", NO_THEME_COLOUR))[1]
            slugs = [s for s in slugs if s != theme]
        else:
            colour = themes.get(slugs[0], ("", NO_THEME_COLOUR))[1] if slugs else NO_THEME_COLOUR
        name = clean(rec.get("name")) or "(sans nom)"
        commune = short_commune(clean(rec.get("commune")))
        # "Marseille 2e" before "Marseille 10e": numbers in a name sort by their value
        order = re.sub(r"\d+", lambda m: m.group().zfill(4), key(commune))
        rows.append(((not located, order, key(name), str(rec.get("actor_id", ""))),
                     rec, located, slugs, colour, name, commune, geom))
    rows.sort(key=lambda r: r[0])
    out = []
    number = 0
    for _sort, rec, located, slugs, colour, name, commune, geom in rows:
        if located:
            number += 1
        out.append(PosterEntry(
            number=number if located else None, actor_id=str(rec.get("actor_id", "")),
            name=name, commune=commune, insee_code=clean(rec.get("insee_code")),
            themes=tuple(themes.get(s, (s, ""))[0] for s in slugs), colour=colour,
            x=float(geom.x) if located else math.nan, y=float(geom.y) if located else math.nan,
            theme_colours=tuple(themes.get(s, ("", NO_THEME_COLOUR))[1] for s in slugs),
        ))
    return out


def legend_items(actors: gpd.GeoDataFrame, taxonomy: Any,
                 theme: str | None = None) -> list[tuple[str, str, int]]:
    """(label, colour, count): the themes colouring the markers, in taxonomy order.

    Markers take an actor's first theme, so each count is of actors whose first theme it is;
    a theme poster has one colour, its theme's, for every actor.
    """
    index = theme_index(taxonomy)
    if theme is not None:
        label, colour = index.get(theme, (theme, NO_THEME_COLOUR))
        return [(label, colour, len(actors))]
    firsts: dict[str, int] = {}
    for value in actors.get("themes", pd.Series(dtype=object)):
        slugs = themes_of(value)
        slug = slugs[0] if slugs else ""
        firsts[slug] = firsts.get(slug, 0) + 1
    order = list(index) + sorted(s for s in firsts if s not in index and s)
    items = [(index.get(slug, (slug, NO_THEME_COLOUR))[0],
              index.get(slug, ("", NO_THEME_COLOUR))[1], firsts[slug])
             for slug in order if slug in firsts]
    if "" in firsts:
        items.append(("Sans thème", NO_THEME_COLOUR, firsts[""]))
    return items


def located(entries: Sequence[PosterEntry]) -> list[PosterEntry]:
    return [e for e in entries if e.number is not None]

"""Exports for events and partners: posters, the single-file offline map, data files.

One entry point, :func:`export`, selects the actors (:mod:`safi_map.analysis.selection`), passes them
through the publication gate (:func:`safi_map.model.public.public_actors`: contacts only with consent,
never the internal ``sources``) and writes one format. :func:`safi_map.export.poster_set.poster_set` writes the ready-made
posters (per commune, per theme, per stop) that the site links to from its pages.

The CLI (``safi-map export``) is a thin layer over :func:`export`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from safi_map.analysis.selection import Selection, describe, select
from safi_map.core.errors import EmptySelectionError
from safi_map.core.i18n import _
from safi_map.core.text import key
from safi_map.model.public import public_actors

__all__ = [
    "DATA_FORMATS",
    "FORMATS",
    "POSTER_FORMATS",
    "ExportResult",
    "export",

]

log = logging.getLogger(__name__)

DATA_FORMATS = ("geojson", "csv", "gpkg")
POSTER_FORMATS = ("pdf", "png", "svg")
FORMATS = (*POSTER_FORMATS, "html", *DATA_FORMATS, "datainclusion")
"""Every value ``fmt`` accepts (``safi-map export --format``)."""

_DEFAULT_TITLE = "Les acteurs du SAFI Tour"


@dataclass(frozen=True)
class ExportResult:
    """What :func:`export` wrote.

    ``paths``: the files (the data·inclusion export writes JSON and CSV); ``actors``: how many
    actors the selection kept; ``subtitle``: the French description of the selection;
    ``detail``: the :class:`~safi_map.export.poster.PosterResult` or
    :class:`~safi_map.export.datainclusion.DataInclusionResult` when there is one.
    """

    fmt: str
    paths: tuple[Path, ...]
    actors: int
    subtitle: str = ""
    detail: Any = None

    @property
    def path(self) -> Path:
        """The main file written."""
        return self.paths[0]


def setting(settings: Any, name: str, default: Any) -> Any:
    """``settings.name``, or ``default`` when there are no settings or it is empty."""
    value = getattr(settings, name, None) if settings is not None else None
    return value if value else default


def _infer_format(out: Path) -> str:
    suffix = out.suffix.lower().lstrip(".")
    aliases = {"json": "geojson", "htm": "html"}
    fmt = aliases.get(suffix, suffix)
    if fmt not in FORMATS:
        raise ValueError(_("cannot tell the export format from {name!r}; give one of {formats}").format(
                             name=out.name, formats=', '.join(FORMATS)))
    return fmt


def export(
    actors: gpd.GeoDataFrame,
    *,
    fmt: str | None,
    out: str | Path,
    selection: Selection | None = None,
    taxonomy: Any = None,
    tour: Any = None,
    settings: Any = None,
    excel: bool = False,
    size: str = "A3",
    orientation: str = "landscape",
    title: str | None = None,
    subtitle: str | None = None,
    qr_url: str | None = None,
    dpi: int = 150,
) -> ExportResult:
    """Select actors and write them in one format.

    Parameters
    ----------
    actors
        The actors GeoDataFrame (docs/ARCHITECTURE.md, "Actors").
    fmt
        ``pdf``, ``png``, ``svg`` (posters), ``html`` (single-file offline map),
        ``geojson``, ``csv``, ``gpkg`` (data files), ``datainclusion`` (JSON + CSV of the
        national schema). ``None``: from the suffix of ``out``.
    out
        The file to write (``datainclusion``: the JSON file; the CSV goes beside it). Data
        files list the actors in ``actor_id`` order, whatever the order of ``actors``.
    selection
        Which actors (see :class:`~safi_map.analysis.selection.Selection`); ``None`` = all.
    taxonomy, tour
        Theme labels and colours, stop names; also let a selection name themes by label and
        stops by town.
    settings
        :class:`~safi_map.core.settings.Settings`: ``title`` and ``site_url`` (QR code, links).
    excel
        CSV for French Excel (UTF-8 with BOM, ``;``).
    size, orientation, dpi
        Posters: paper ``A4``..``A0``, ``portrait``/``landscape``, PNG resolution.
    title, subtitle
        Posters and HTML; defaults: the project title and the description of the selection.
    qr_url
        URL printed as a QR code on posters; default ``settings.site_url``.

    Raises
    ------
    ValueError
        Unknown format, or a selection naming something that does not exist.
    """
    out = Path(out)
    fmt = (fmt or _infer_format(out)).lower()
    if fmt == "json":
        fmt = "geojson"
    if fmt not in FORMATS:
        raise ValueError(_("unknown export format {fmt!r}; expected one of {formats}").format(
                             fmt=fmt, formats=', '.join(FORMATS)))
    # Rows in actor_id order whatever the input order (as the site's downloads): the same
    # actors give the same file.
    chosen = (select(actors, selection, taxonomy=taxonomy, tour=tour)
              .sort_values("actor_id", kind="stable").reset_index(drop=True))
    if subtitle is None:
        subtitle = describe(selection, taxonomy=taxonomy, tour=tour)
    title = title or setting(settings, "title", _DEFAULT_TITLE)
    site_url = str(setting(settings, "site_url", ""))
    log.info("export %s: %d of %d actors selected (%s)", fmt, len(chosen), len(actors),
             subtitle or "tous")
    _check_not_empty(chosen, subtitle)
    out.parent.mkdir(parents=True, exist_ok=True)
    return _write(fmt, chosen, out, selection=selection, taxonomy=taxonomy, tour=tour,
                  excel=excel, size=size, orientation=orientation, title=title,
                  subtitle=subtitle, qr_url=qr_url or site_url or None, site_url=site_url,
                  dpi=dpi)


def _write(fmt: str, chosen: gpd.GeoDataFrame, out: Path, *, selection: Selection | None,
           taxonomy: Any, tour: Any, excel: bool, size: str, orientation: str, title: str,
           subtitle: str, qr_url: str | None, site_url: str, dpi: int) -> ExportResult:
    """Write the chosen actors in one format (see :func:`export`)."""
    if fmt in DATA_FORMATS:
        from safi_map.ingestion.io import write_actors

        path = write_actors(public_actors(chosen), out, fmt, excel=excel)
        return ExportResult(fmt, (path,), len(chosen), subtitle)

    if fmt == "datainclusion":
        from safi_map.export.datainclusion import write_datainclusion

        written = write_datainclusion(chosen, out, taxonomy=taxonomy, site_url=site_url)
        return ExportResult(fmt, written.paths, len(chosen), subtitle, written)

    if fmt in POSTER_FORMATS:
        from safi_map.export.poster import render_poster

        result = render_poster(
            chosen, path=out, fmt=fmt, size=size, orientation=orientation, title=title,
            subtitle=subtitle[:1].upper() + subtitle[1:], taxonomy=taxonomy,
            qr_url=qr_url, dpi=dpi, theme=_poster_theme(selection, taxonomy),
            communes=sorted(set(chosen["insee_code"].astype(str)) - {""})
            if selection is not None and selection.communes else (),
        )
        return ExportResult(fmt, (result.path,), len(chosen), subtitle, result)

    # html: the single-file offline map belongs to maps.py
    from safi_map.map.render import render_map_page

    page_title = f"{title} — {subtitle}" if subtitle else title
    actor_url = f"{site_url.rstrip('/')}/acteurs/{{actor_id}}.html" if site_url else ""
    page = render_map_page(public_actors(chosen), taxonomy=taxonomy, tour=tour, title=page_title,
                  actor_url=actor_url, inline_assets=True)
    from safi_map.core.writer import write_file_atomic

    write_file_atomic(out, page)
    return ExportResult(fmt, (out,), len(chosen), subtitle)


def _check_not_empty(chosen: gpd.GeoDataFrame, subtitle: str) -> None:
    """An empty poster or file helps nobody and hides a typo in the selection: refuse it."""
    if not chosen.empty:
        return
    if subtitle:
        raise EmptySelectionError(
            _("No actor matches the selection ({selection}): nothing was written.")
            .format(selection=subtitle))
    raise EmptySelectionError(_("There is no actor to export: nothing was written."))


def _poster_theme(selection: Selection | None, taxonomy: Any) -> str | None:
    """The theme a poster is coloured by: the selection's theme when it names one (by slug or
    label), else None (markers take each actor's first theme)."""
    if selection is None or len(selection.themes) != 1:
        return None
    from safi_map.export.poster._entries import theme_index

    wanted = key(selection.themes[0])
    for slug, (label, _colour) in theme_index(taxonomy).items():
        if wanted in (key(slug), key(label)):
            return slug
    return selection.themes[0]

"""Ready-made posters for the site: one per commune, per theme and per tour stop
(:func:`poster_set`), drawn only when their content changed (a cache keyed by what a poster
shows), and never holding up the site (:data:`POSTERS_LEFT`)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from safi_map.analysis.selection import Selection, resolve_commune, selection_mask
from safi_map.core.parallel import default_workers, forked_map
from safi_map.core.text import slugify
from safi_map.core.version import __version__
from safi_map.export.api import export, setting
from safi_map.ingestion.io import actors_to_geojson
from safi_map.model.public import public_actors

__all__ = ["POSTERS_LEFT", "POSTER_PROGRESS", "PosterSet", "poster_set"]

log = logging.getLogger(__name__)

Planned = tuple[dict[str, Path], str, Path, Selection, np.ndarray]
"""(where a poster is listed, its key there, its path, its selection, the rows it shows)."""


@dataclass(frozen=True)
class PosterSet:
    """Posters written by :func:`poster_set`, by kind then key, as paths relative to the folder.

    ``communes`` is keyed by INSEE code, ``themes`` by theme slug, ``stops`` by stop id.
    """

    root: Path
    communes: dict[str, Path] = field(default_factory=dict)
    themes: dict[str, Path] = field(default_factory=dict)
    stops: dict[str, Path] = field(default_factory=dict)
    reused: int = 0
    """Posters taken from the cache instead of being rendered again."""
    pending: tuple[Path, ...] = ()
    """With ``draw=False``: the posters not drawn (not in the cache), as paths relative to the
    folder; they are listed in neither ``communes``, ``themes`` nor ``stops``."""

    @property
    def paths(self) -> list[Path]:
        """Every poster file written (absolute or as given by ``root``)."""
        return [self.root / p for d in (self.communes, self.themes, self.stops)
                for p in d.values()]


def _plan(actors: gpd.GeoDataFrame, found: PosterSet, *, taxonomy: Any, tour: Any, fmt: str,
          fits: Callable[[int], bool], communes: Iterable[str] | None,
          themes: Iterable[str] | None, stops: Iterable[str] | None) -> list[Planned]:
    """The posters to have: every commune, theme and stop asked for whose selection fits."""
    planned: list[Planned] = []
    codes = actors["insee_code"].astype(str)
    if communes is None:
        counts = codes[codes != ""].value_counts()
        wanted = sorted(c for c, n in counts.items() if fits(int(n)))
    else:
        wanted = sorted({resolve_commune(c).code for c in communes})
    for code in wanted:
        commune = resolve_commune(code)
        sel = Selection(communes=(code,))
        chosen = selection_mask(actors, sel)
        if fits(int(chosen.sum())):
            planned.append((found.communes, code,
                            Path("communes") / f"{code}-{slugify(commune.name)}.{fmt}", sel,
                            chosen))

    slugs = _theme_slugs(taxonomy, actors) if themes is None else list(themes)
    for slug in slugs:
        sel = Selection(themes=(slug,))
        chosen = selection_mask(actors, sel, taxonomy=taxonomy)
        if fits(int(chosen.sum())):
            planned.append((found.themes, slug, Path("themes") / f"{slugify(slug)}.{fmt}", sel,
                            chosen))

    if stops is None:
        stop_ids = [str(getattr(s, "id", s.get("id") if isinstance(s, dict) else s))
                    for s in (getattr(tour, "stops", None) or [])]
    else:
        stop_ids = list(stops)
    for sid in stop_ids:
        sel = Selection(stops=(sid,))
        chosen = selection_mask(actors, sel, tour=tour)
        if fits(int(chosen.sum())):
            planned.append((found.stops, sid, Path("stops") / f"{slugify(sid)}.{fmt}", sel,
                            chosen))
    return planned


def _theme_slugs(taxonomy: Any, actors: gpd.GeoDataFrame) -> list[str]:
    themes = getattr(taxonomy, "themes", taxonomy) if taxonomy is not None else None
    if themes:
        return [str(t["slug"] if isinstance(t, dict) else t.slug) for t in themes]
    return sorted({str(s) for ts in actors["themes"] if isinstance(ts, list | tuple)
                   for s in ts})


def poster_set(
    actors: gpd.GeoDataFrame,
    out_dir: str | Path,
    *,
    taxonomy: Any = None,
    tour: Any = None,
    settings: Any = None,
    fmt: str = "pdf",
    size: str = "A3",
    orientation: str = "landscape",
    communes: Iterable[str] | None = None,
    themes: Iterable[str] | None = None,
    stops: Iterable[str] | None = None,
    min_actors: int = 1,
    dpi: int = 150,
    cache_dir: str | Path | None = None,
    max_actors: int | None = None,
    refresh: bool = False,
    draw: bool | None = None,
) -> PosterSet:
    """Write one poster per commune, per theme and per tour stop into ``out_dir``.

    Files: ``communes/<insee>-<slug>.<fmt>``, ``themes/<slug>.<fmt>``, ``stops/<id>.<fmt>``.

    Parameters
    ----------
    communes, themes, stops
        Which ones (INSEE codes or names; slugs; stop ids). ``None``: every commune, theme and
        stop with at least ``min_actors`` actors. Pass an empty list to skip a kind.
    min_actors
        Skip a poster that would show fewer actors (an empty poster helps nobody).
    max_actors
        Skip a poster that would show more actors (not legible on one sheet).
    cache_dir
        Keep rendered posters there, keyed by a digest of everything a poster shows (its
        public actors, taxonomy, title, format, size): a rebuild re-renders only the posters
        whose content changed. Entries not used by this call are removed.
    refresh
        Draw every poster again, even those in the cache (and keep them there).
    draw
        False: draw nothing; write and list only the posters the cache already has, and say
        which are missing in :attr:`PosterSet.pending` (the same call with ``draw=True`` later
        draws them, and only them). This is how a build links posters without making anyone
        wait for them: the site is written at once with the posters already drawn, the missing
        ones are drawn after it (see :data:`POSTERS_LEFT`). None: draw, unless
        :data:`POSTERS_LEFT` holds a list (then the pending posters are added to it).

    Returns
    -------
    PosterSet
        Paths relative to ``out_dir``, keyed by INSEE code, theme slug and stop id, for the
        site's commune, theme and stop pages to link to.
    """
    root = Path(out_dir)
    found = PosterSet(root=root)
    kwargs = {"fmt": fmt, "taxonomy": taxonomy, "tour": tour, "settings": settings,
              "size": size, "orientation": orientation, "dpi": dpi}
    cache = (_PosterCache(Path(cache_dir), kwargs, actors, reuse=not refresh)
             if cache_dir is not None else None)

    def fits(count: int) -> bool:
        return count >= min_actors and (max_actors is None or count <= max_actors)
    planned = _plan(actors, found, taxonomy=taxonomy, tour=tour, fmt=fmt, fits=fits,
                    communes=communes, themes=themes, stops=stops)    # Draw what the cache does not have (everything, without a cache).
    left = POSTERS_LEFT.get()
    drawing = left is None if draw is None else draw
    todo: list[tuple[Path, Selection]] = []
    finish: list[tuple[Path, Path]] = []  # (cache file, where the poster goes)
    pending: list[Path] = []
    for listing, name, rel, sel, chosen in planned:
        out = root / rel
        if cache is None:
            missing, target = True, out
        else:
            cached, missing = cache.entry(sel, chosen)
            target = cache.pending(cached)
        if missing and not drawing:
            pending.append(rel)
            continue
        out.parent.mkdir(parents=True, exist_ok=True)
        if missing:
            todo.append((target, sel))
        if cache is not None:
            finish.append((cached, out))
        listing[name] = rel
    _draw_posters(actors, todo, kwargs)
    result = replace(found, pending=tuple(pending))
    if left is not None and not drawing:
        left.extend(root / p for p in pending)
    if cache is not None:
        for cached, out in finish:
            cache.complete(cached)
            shutil.copyfile(cached, out)
        cache.prune()
        result = replace(result, reused=cache.hits)
    log.info("poster set: %d commune, %d theme and %d stop posters in %s (%d drawn, %d left "
             "to draw)", len(result.communes), len(result.themes), len(result.stops), root,
             len(todo), len(pending))
    return result


POSTERS_LEFT: ContextVar[list[Path] | None] = ContextVar("POSTERS_LEFT", default=None)
"""A list here: :func:`poster_set` (``draw=None``) draws nothing and adds to it the posters its
cache lacks; it writes and lists the others.

The posters of the example data take about 15 s of CPU to draw, three times the budget of a
whole build, and a new stop of 30 rows changes 21 of the 48 (``bench/bench_posters.py``).
So the build does not wait for them: it writes the site with this set (the site links the
posters already drawn), says the site is ready, then, if the list is not empty, builds the site
again without it: that draws the missing posters (only them) and links them.
"""

POSTER_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "POSTER_PROGRESS", default=None)
"""Who hears ``(done, total)`` while posters are drawn (the CLI's progress bar), if anyone."""


def _draw_posters(actors: gpd.GeoDataFrame, todo: list[tuple[Path, Selection]],
                  kwargs: dict[str, Any]) -> None:
    """Draw each ``(path, selection)`` poster; :data:`POSTER_PROGRESS`, when set, hears
    ``(done, total)`` as they are drawn.

    A site poster (A3 PDF) takes 0.15 to 0.45 s of CPU (``bench/bench_posters.py``), most of
    it matplotlib writing text and fonts into the PDF. From :data:`PARALLEL_MIN_POSTERS`
    posters they are drawn in two forked processes (:func:`~safi_map.core.parallel.forked_map`,
    the build's one parallel map): the 48 posters of the example data are drawn and linked
    in 6.5 s instead of 13.5 s.
    """
    tell = POSTER_PROGRESS.get()
    if tell is not None and todo:
        tell(0, len(todo))
    workers = default_workers() if len(todo) >= PARALLEL_MIN_POSTERS else 1
    for done, _path in enumerate(forked_map(_draw_one, (actors, kwargs), todo,
                                            workers=workers), start=1):
        if tell is not None:
            tell(done, len(todo))


PARALLEL_MIN_POSTERS = 4
"""Fewer posters are drawn in this process (starting the workers costs more)."""


def _draw_one(state: tuple[gpd.GeoDataFrame, dict[str, Any]],
              poster: tuple[Path, Selection]) -> Path:
    actors, kwargs = state
    path, sel = poster
    export(actors, out=path, selection=sel, **kwargs)
    return path


class _PosterCache:
    """Rendered posters keyed by the digest of what they show (see :func:`poster_set`).

    :meth:`entry` gives a poster's cache file and whether it must be drawn; it is then drawn
    under :meth:`pending` (a temporary name) and :meth:`complete` moves it into place, so an
    interrupted build never leaves a partial file under a digest.
    """

    def __init__(self, folder: Path, kwargs: dict[str, Any], actors: gpd.GeoDataFrame, *,
                 reuse: bool = True) -> None:
        self.folder = folder
        self.actors = actors
        self.reuse = reuse
        self.hits = 0
        self.used: set[str] = set()
        settings = kwargs.get("settings")
        self.fmt = kwargs["fmt"]
        self.tour = kwargs.get("tour")
        self.context = repr((
            __version__, kwargs["fmt"], kwargs["size"], kwargs["orientation"], kwargs["dpi"],
            repr(kwargs.get("taxonomy")),
            setting(settings, "title", ""), setting(settings, "site_url", ""),
        ))
        self._rows: tuple[list[bytes], np.ndarray] | None = None

    def _row_digests(self) -> tuple[list[bytes], np.ndarray]:
        """Each actor's public record (its GeoJSON feature) as a digest, by row, and the rows
        in ``actor_id`` order: made once, for all the posters."""
        if self._rows is None:
            features = json.loads(actors_to_geojson(public_actors(self.actors)))["features"]
            digests = [hashlib.sha256(json.dumps(feature, sort_keys=True, ensure_ascii=False)
                                      .encode()).digest() for feature in features]
            order = np.argsort(self.actors["actor_id"].astype(str).to_numpy(), kind="stable")
            self._rows = (digests, order)
        return self._rows

    def entry(self, selection: Selection, chosen: np.ndarray) -> tuple[Path, bool]:
        """(the cache file of the poster of ``selection``, whether it must be drawn).

        ``chosen``: which actors the selection keeps. The digest covers every public field of
        each of them (in ``actor_id`` order)."""
        digest = hashlib.sha256()
        digest.update(self.context.encode())
        digest.update(repr(selection).encode())
        if selection.stops:  # only a stop's poster shows the tour (its town, date, venue):
            digest.update(repr(self.tour).encode())  # a new stop leaves the others alone
        rows, order = self._row_digests()
        for i in order[chosen[order]].tolist():
            digest.update(rows[i])
        key = digest.hexdigest()[:32]
        self.used.add(key)
        cached = self.folder / f"{key}.{self.fmt}"
        if self.reuse and cached.is_file():
            self.hits += 1
            return cached, False
        self.folder.mkdir(parents=True, exist_ok=True)
        return cached, True

    def pending(self, cached: Path) -> Path:
        """Where a poster is drawn before :meth:`complete` moves it to ``cached``."""
        return cached.with_name(f"{cached.stem}.tmp{cached.suffix}")

    def complete(self, cached: Path) -> None:
        """Move a freshly drawn poster into place (nothing to do for a cache hit)."""
        tmp = self.pending(cached)
        if tmp.is_file():
            tmp.replace(cached)

    def prune(self) -> None:
        """Remove the entries this run did not use: only entries (a digest, then the format or
        ``.tmp.`` and the format), never another file that someone put in the folder."""
        for entry in self.folder.glob("*"):
            if (entry.is_file() and _POSTER_ENTRY.match(entry.name)
                    and entry.name.split(".")[0] not in self.used):
                entry.unlink(missing_ok=True)


_POSTER_ENTRY = re.compile(r"^[0-9a-f]{32}(\.tmp)?\.(pdf|png|svg)\Z")

"""The site's share pictures (issue #16 item 6): what a link preview shows.

:func:`write_share_images` draws (:mod:`safi_map.export.share_image`) one 1200×630 PNG for the
region and one per commune, theme and stop page into ``partage/``, and makes them the pages'
``share_image`` (:func:`share_image`; the region's is the picture of every other page, see
:func:`safi_map.site.sharing.share_tags`). Only with ``site_url``: an ``og:image`` needs an
absolute URL, so without it no tag would name them.

Each picture is kept in a content cache (``build/cache/share`` for ``build/site``), under the
digest of what it shows: a rebuild draws only the pictures whose content changed (a new stop:
its picture, the region's and those of the communes and themes of its actors) and copies the
others. Only the public actors are drawn (the context's records come from
:func:`~safi_map.model.public.public_actors`), and of them only positions and theme colours.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safi_map.core.atomic import write_file_atomic
from safi_map.core.french import de_commune, french_date, plural
from safi_map.core.text import slugify
from safi_map.core.writer import Writer
from safi_map.export.poster_set import POSTERS_LEFT
from safi_map.export.share_picture import SharePicture
from safi_map.site.records import Rec

if TYPE_CHECKING:
    from safi_map.site.context import SiteContext

__all__ = ["FOLDER", "REGION", "ShareImages", "share_image", "write_share_images"]

logger = logging.getLogger(__name__)

FOLDER = "partage"
REGION = "Provence-Alpes-Côte d'Azur"
BASE_KEY = "share_images"
"""Key of :class:`ShareImages` in the context's ``base`` (the variables of every page)."""
ENCODERS = 2 if (os.cpu_count() or 1) >= 2 else 1
"""Threads encoding the pictures while the next is drawn (Pillow encodes without the GIL)."""
_ENTRY = re.compile(r"^[0-9a-f]{32}\.png\Z")


@dataclass
class ShareImages:
    """Site paths of the share pictures (``""``: none), and what making them cost."""

    region: str = ""
    communes: dict[str, str] = field(default_factory=dict)
    themes: dict[str, str] = field(default_factory=dict)
    stops: dict[str, str] = field(default_factory=dict)
    drawn: int = 0
    reused: int = 0
    seconds: float = 0.0


def share_image(ctx: SiteContext, kind: str, ident: str) -> str:
    """The share picture of a commune, theme or stop (``kind``: ``"communes"``, ``"themes"``,
    ``"stops"``) or, ``kind == "region"``, of the region; ``""`` when there is none."""
    images = ctx.base.get(BASE_KEY)
    if not isinstance(images, ShareImages):
        return ""
    if kind == "region":
        return images.region
    found: dict[str, str] = getattr(images, kind)
    return found.get(ident, "")


def _line(*parts: str) -> str:
    """Parts joined by " · ", each unbreakable: "12 structures · Var" breaks only at a dot."""
    return " · ".join(p.replace(" ", "\u00a0") for p in parts if p)


def _dots(actors: list[Rec], ids: list[int], colour: str = "") -> tuple[Any, ...]:
    return tuple((a["lon"], a["lat"], colour or a["colour"]) for a in (actors[i] for i in ids)
                 if a["lat"] is not None and a["lon"] is not None)


def _legend(actors: list[Rec], ids: list[int]) -> tuple[tuple[str, str, int], ...]:
    """The dots' colours, most frequent first: each actor counts for its first theme."""
    counts: Counter[tuple[str, str]] = Counter(
        (a["themes"][0]["label"], a["themes"][0]["colour"]) for a in (actors[i] for i in ids)
        if a["themes"])
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple((label, colour, n) for (label, colour), n in ranked)


def _pictures(ctx: SiteContext) -> Iterator[tuple[str, str, str, SharePicture]]:
    """``(kind, key, path in the site, picture)`` of every share picture, in a stable order."""
    acts, records = ctx.actors, ctx.records
    title = ctx.settings.title
    footer = re.sub(r"^[a-z]+://", "", ctx.site_url).rstrip("/")
    every = list(range(len(acts)))
    detail = _line(plural(len(acts), "structure"), plural(len(records.by_commune), "commune"))
    yield "region", "", f"{FOLDER}/region.png", SharePicture(
        title, REGION, detail, _dots(acts, every), legend=_legend(acts, every), footer=footer)
    for c in ctx.communes_sorted:
        ids = records.by_commune[c["insee_code"]]
        detail = _line(plural(len(ids), "structure"), c["department_name"])
        yield "communes", c["insee_code"], f"{FOLDER}/communes/{c['insee_code']}.png", \
            SharePicture(title, c["name"], detail, _dots(acts, ids), focus=c["insee_code"],
                         legend=_legend(acts, ids), footer=footer)
    for t in ctx.themes_listed:
        ids = records.by_theme[t["slug"]]
        n_communes = len({acts[i]["insee_code"] for i in ids if acts[i]["insee_code"]})
        detail = _line(plural(len(ids), "structure"), plural(n_communes, "commune"))
        yield "themes", t["slug"], f"{FOLDER}/themes/{slugify(t['slug'])}.png", SharePicture(
            title, t["label"], detail, _dots(acts, ids, t["colour"]), footer=footer)
    for s in ctx.stops_sorted:
        ids = records.by_stop.get(s["id"], [])
        detail = _line(french_date(s["date"]), plural(len(ids), "structure"))
        yield "stops", s["id"], f"{FOLDER}/etapes/{slugify(s['id'])}.png", SharePicture(
            title, f"Étape {de_commune(s['town'])}", detail, _dots(acts, ids),
            mark=s["insee_code"], mark_label=s["town"], legend=_legend(acts, ids),
            footer=footer)


def write_share_images(writer: Writer, ctx: SiteContext, *, cache_dir: Path,
                       force: bool = False) -> ShareImages | None:
    """Draw (or take from ``cache_dir``) the share pictures of the site into ``partage/``
    and make them the pages' pictures; nothing without ``site_url`` (returns None).
    ``force``: draw every picture again. While :data:`~safi_map.export.poster_set.POSTERS_LEFT`
    holds a list (the build's first pass, see :func:`safi_map.build`), only the pictures of
    the cache are written and the missing ones are added to it: they are drawn, like the
    posters, once the site is usable."""
    if not ctx.site_url:
        return None
    started = time.perf_counter()
    images = ShareImages()
    todo: list[tuple[Path, Path, SharePicture]] = []
    used: set[str] = set()
    left = POSTERS_LEFT.get()  # a list: the site is written at once, missing pictures after
    for kind, key_, rel, picture in _pictures(ctx):
        digest = picture.digest()
        used.add(digest)
        cached = cache_dir / f"{digest}.png"
        if not force and cached.is_file():
            writer.copy_file(rel, cached)
            images.reused += 1
        elif left is not None:
            left.append(writer.staging_dir / rel)  # drawn after the site (pages fall back on
            continue                                # the region's picture, when it has one)
        else:
            todo.append((writer.claim(rel), cached, picture))
        if kind == "region":
            images.region = rel
        else:
            getattr(images, kind)[key_] = rel
    _draw(writer, todo)
    images.drawn = len(todo)
    _prune(cache_dir, used)
    images.seconds = time.perf_counter() - started
    ctx.base[BASE_KEY] = images
    logger.info("share pictures: %d drawn, %d reused (%.2f s)", images.drawn, images.reused,
                images.seconds)
    return images


def _draw(writer: Writer, todo: list[tuple[Path, Path, SharePicture]]) -> None:
    """Draw the pictures ``todo`` (``(path in the staging folder, cache file, picture)``)
    into the site and the cache: drawn here, one at a time (the fonts are not shared between
    threads), encoded by :data:`ENCODERS` threads meanwhile. (A forked process drawing half
    of them was no faster on a busy two-core machine, and is not used.)"""
    if not todo:
        return
    from safi_map.export.share_image import ShareCanvas, encode  # Pillow: only to draw

    canvas = ShareCanvas()

    def finish(future: Future[bytes], target: Path, cached: Path) -> None:
        data = future.result()
        target.write_bytes(data)
        writer.bytes_written += len(data)
        write_file_atomic(cached, data)

    with ThreadPoolExecutor(max_workers=ENCODERS) as pool:
        pending: deque[tuple[Future[bytes], Path, Path]] = deque()
        for target, cached, picture in todo:
            pending.append((pool.submit(encode, canvas.image(picture), picture), target,
                            cached))
            while len(pending) > 2 * ENCODERS:  # a few pictures in memory at a time
                finish(*pending.popleft())
        while pending:
            finish(*pending.popleft())


def _prune(cache_dir: Path, used: set[str]) -> None:
    """Remove the cache's pictures this build did not use (only its own entries)."""
    if not cache_dir.is_dir():
        return
    for entry in cache_dir.iterdir():
        if _ENTRY.match(entry.name) and entry.name[:-4] not in used and entry.is_file():
            entry.unlink(missing_ok=True)

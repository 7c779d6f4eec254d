"""One page per actor (``acteurs/<id>.html``): its card, small map, nearby and similar actors,
and who it can help or be helped by (synergies).

The one family that grows with the data (50,000 actors = 50,000 pages, most of the build):
with ``ctx.workers`` > 1 the pages are rendered and written by forked processes
(:func:`~safi_map.core.parallel.forked_map` over ranges of actors), to the paths this process
claimed in the writer.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from safi_map.core.french import french_number
from safi_map.core.parallel import forked_map
from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext
from safi_map.site.records import Rec
from safi_map.site.widgets import map_data, points

CHUNK = 250
"""Most actors per task of the pool (fewer when there are few: four tasks per worker)."""

def render_range(ctx: SiteContext, start: int, stop: int) -> list[str]:
    """The HTML of the pages of actors ``start:stop``."""
    tpl = ctx.env.get_template("acteur.html")
    acts, themes, root = ctx.actors, ctx.records.themes, "../"
    out = []
    for i in range(start, stop):
        a = acts[i]
        nearby = [Rec(actor=acts[j], km=french_number(d, 1)) for j, d in a["nearby"]]
        similar = [Rec(actor=acts[j], km=french_number(d, 1),
                       shared=[themes[s] for s in acts[j]["theme_slugs"]
                               if s in a["theme_slugs"]]) for j, d in a["similar"]]
        small_map = None
        if a["lat"] is not None:
            small_map = map_data(points(acts, [i, *(j for j, _ in a["nearby"])], root,
                                        highlight=a["id"]))
        out.append(ctx.render(tpl, a["url"], root=root, actor=a, nearby=nearby,
                              similar=similar, map_data=small_map, nav="annuaire",
                              synergies=ctx.synergies.get(a["id"]),
                              events=ctx.events.by_actor.get(a["id"], [])))
    return out


def _render_and_write(state: tuple[SiteContext, list[Path]], bounds: tuple[int, int]) -> int:
    """Render actors ``start:stop`` and write each page to its claimed path; bytes written."""
    ctx, targets = state
    start, stop = bounds
    written = 0
    for target, html in zip(targets[start:stop], render_range(ctx, start, stop), strict=True):
        data = html.encode("utf-8")
        with open(target, "wb") as fh:
            fh.write(data)
        written += len(data)
    return written


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    acts = ctx.actors
    size = max(1, min(CHUNK, -(-len(acts) // (4 * ctx.workers))))
    ranges = [(i, min(i + size, len(acts))) for i in range(0, len(acts), size)]
    if ctx.workers <= 1 or len(ranges) < 2:
        for start, stop in ranges:
            for a, html in zip(acts[start:stop], render_range(ctx, start, stop), strict=True):
                writer.write_text(a["url"], html)
        return Counter(actor=len(acts))
    # Each page's path is claimed here (the writer knows every file of the site), then the
    # workers render and write the pages themselves: 50,000 pages never travel back through a
    # pipe, and opening 50,000 files is shared too.
    targets = [writer.claim(a["url"]) for a in acts]
    writer.bytes_written += sum(forked_map(_render_and_write, (ctx, targets), ranges,
                                           workers=ctx.workers))
    return Counter(actor=len(acts))

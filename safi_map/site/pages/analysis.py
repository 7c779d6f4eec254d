"""``synergies.html`` (who can help whom, and its CSV) and ``diagnostic.html`` (coverage and
gaps, and its CSV tables), rendered by :mod:`safi_map.analysis`.

Temporary: the pages move to ``site/pages/synergies.py`` and ``site/pages/diagnostic.py``
(issue #13); this module goes when they come.
"""

from __future__ import annotations

from collections import Counter

from safi_map.core.writer import Writer
from safi_map.site.context import SiteContext


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    from safi_map.analysis import diagnostic, synergies

    pages: Counter[str] = Counter()
    if ctx.pairs is not None:
        # What synergies.render_synergies_pages returns, with the CSV (tens of MB at the
        # scale of the region) streamed to its file instead of held in memory as one string.
        tx = synergies.as_taxonomy(ctx.taxonomy)
        writer.write_text("synergies.html", synergies._synergies_html(
            ctx.public, ctx.pairs, taxonomy=tx, env=ctx.env, context=ctx.base, max_km=None))
        writer.write_chunks("synergies/mises-en-relation.csv",
                            synergies.synergies_csv_chunks(ctx.pairs, taxonomy=tx))
        pages["synergies"] += 1
    for rel, text in diagnostic.render_diagnostic_pages(ctx.public, taxonomy=ctx.taxonomy,
                                                        env=ctx.env, context=ctx.base).items():
        writer.write_text(rel, text)
        if rel.endswith(".html"):
            pages["diagnostic"] += 1
    return pages

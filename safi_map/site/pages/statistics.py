"""``statistiques.html``: the actors counted by theme, department, legal form, stop, commune
and geocoding precision, the ingest report's summary and the list of posters."""

from __future__ import annotations

from collections import Counter
from typing import Any

from safi_map.core.french import french_date
from safi_map.core.writer import Writer
from safi_map.model.labels import PRECISION_LABELS
from safi_map.site.context import SiteContext
from safi_map.site.records import DEPARTMENTS
from safi_map.site.widgets import bars, theme_bars


def statistics(ctx: SiteContext) -> dict[str, Any]:
    """The figures and bar charts of the page."""
    acts, records = ctx.actors, ctx.records
    by_dep = Counter(a["department"] for a in acts)
    by_legal = Counter(a["legal_form"] for a in acts)
    by_precision = Counter(a["precision"] for a in acts)
    stops = records.stops
    return {
        "themes": theme_bars({s: len(v) for s, v in records.by_theme.items()}, records.themes),
        "departments": bars(by_dep, {d: DEPARTMENTS.get(d, d) for d in by_dep}, None,
                            order=sorted(by_dep)),
        "legal_forms": bars(by_legal, {a["legal_form"]: a["legal_form_label"] for a in acts}),
        "stops": bars(ctx.stop_counts,
                      {s: f"{v['town']} ({french_date(v['date'])})" for s, v in stops.items()},
                      {s: v["url"] for s, v in stops.items()},
                      order=[s["id"] for s in ctx.stops_sorted]),
        "communes": bars({c: len(v) for c, v in records.by_commune.items()},
                         {c: v["name"] for c, v in records.communes.items()},
                         {c: v["url"] for c, v in records.communes.items()})[:20],
        "precision": bars(by_precision, PRECISION_LABELS, order=[
            p for p in PRECISION_LABELS if p in by_precision
        ] + sorted(set(by_precision) - set(PRECISION_LABELS))),
        "communes_covered": len(records.by_commune),
        "departments_covered": len([d for d in by_dep if d]),
        "located": sum(1 for a in acts if a["lat"] is not None),
        "with_contact": sum(1 for a in acts if a["email"] or a["phone"]),
    }


def write_pages(ctx: SiteContext, writer: Writer) -> Counter[str]:
    ctx.write(writer, "statistiques.html", "statistiques.html", stats=statistics(ctx),
              total=len(ctx.actors),
              report=ctx.report.summary() if ctx.report is not None else None, nav="stats",
              posters=ctx.posters.listing if ctx.posters else None)
    return Counter(stats=1)

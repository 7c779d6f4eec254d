"""The one Jinja environment and the one Content-Security-Policy of the site.

Every page of the site (and the synergies and diagnostic pages) is rendered through
:func:`make_environment`:

* **Templates are package files** (``resources/templates``, Jinja2, autoescape on) that a
  ``templates/`` folder next to ``safi-map.toml`` can override one by one (datasette's
  ChoiceLoader pattern). Undefined variables raise, so a typo in an override fails the build
  instead of publishing an empty field.
* **One CSP** (:data:`CSP`, the Jinja global ``csp``): nothing from a CDN and no inline script;
  Leaflet is copied into ``assets/`` and page scripts are files. Data that a script needs
  travels as JSON in ``<script type="application/json">`` (the ``json_script`` filter).
* **French filters**: ``number``, ``french_date``, ``de_commune``, ``a_commune``, the labels of
  fields and geocoding precisions; the global ``plural``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from safi_map.core.french import a_commune, de_commune, french_date, french_number, plural
from safi_map.map.assets import BASE_MAPS, CSP_IMG_SOURCES
from safi_map.model.labels import FIELD_LABELS, PRECISION_LABELS
from safi_map.site.compiled_templates import package_loader
from safi_map.site.records import Rec
from safi_map.site.report_change import report_link
from safi_map.site.sharing import share_tags

__all__ = ["BASE_MAP", "CSP", "json_for_script", "make_environment"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; "
    f"img-src {' '.join(CSP_IMG_SOURCES)}; connect-src 'self'; font-src 'self'; "
    "frame-src 'self'; base-uri 'none'; form-action 'none'"
)
"""The Content-Security-Policy every page declares: scripts and styles from the site only."""

BASE_MAP: dict[str, Any] = dict(BASE_MAPS[0])
"""The tile layer of the small maps: the map's own first base map."""


def json_for_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes so survey text cannot close the
    element (``</script>``) or open a comment; U+2028/2029 are escaped for old JS parsers.
    """
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
    return Markup(text)


class _SiteEnvironment(jinja2.Environment):
    """Jinja2 environment that reads ``a.name`` on the site's records straight from the dict.

    Jinja resolves ``a.name`` through ``Environment.getattr`` (``getattr`` first, then
    ``a["name"]``): about a million calls for 5,000 actor pages. For :class:`Rec` (whose keys
    never shadow dict methods) the key is looked up first; anything else goes the usual way,
    so the output is the same.
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is Rec:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


def make_environment(user_templates: Path | None = None, *, csp: str = CSP,
                     compiled: bool = True) -> jinja2.Environment:
    """The Jinja2 environment: package templates, overridable from ``user_templates``.

    The package's templates come compiled with the package when they are up to date
    (:mod:`safi_map.site.compiled_templates`; ``compiled=False``: from their source). Not from
    Jinja2's bytecode cache: it loads code from the build's cache folder, and whoever can write
    there must not get code run by the next build. ``csp`` is the policy the pages declare
    (:data:`CSP` unless a test asks).
    """
    loaders: list[jinja2.BaseLoader] = []
    if user_templates is not None and Path(user_templates).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(package_loader() if compiled
                   else jinja2.PackageLoader("safi_map", "resources/templates"))
    env = _SiteEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["french_date"] = french_date
    env.filters["de_commune"] = de_commune
    env.filters["a_commune"] = a_commune
    env.filters["number"] = french_number
    env.filters["json_script"] = json_for_script
    env.filters["field_label"] = lambda f: FIELD_LABELS.get(f, f)
    env.filters["precision_label"] = lambda p: PRECISION_LABELS.get(p, p)
    env.globals["plural"] = plural
    env.globals["csp"] = csp
    env.globals["share_tags"] = share_tags
    env.globals["report_link"] = report_link
    return env

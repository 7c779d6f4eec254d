"""The map page: a complete HTML document around the map, with its Content-Security-Policy.

The CSP's ``script-src`` lists the SHA-256 of every inline script actually emitted (computed
after rendering), so injected markup could not run even if escaping failed somewhere. With
``inline_assets`` every script, style and image is inlined: one file that works offline.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import geopandas as gpd

from safi_map.core.i18n import _
from safi_map.map.assets import CSP_IMG_SOURCES, _assets
from safi_map.map.elements import actor_map
from safi_map.map.labels import labels_for
from safi_map.map.payload import DEFAULT_ACTOR_URL

__all__ = ["content_security_policy", "inline_script_hashes", "render_map_page"]


# --------------------------------------------------------------------------------------------
# Inlined assets (the offline single file)
# --------------------------------------------------------------------------------------------

def _asset_bytes(rel: str) -> bytes:
    for a in _assets():
        if a.rel == rel:
            return a.data()
    raise KeyError(rel)


def _css_inlined(rel: str) -> str:
    """A stylesheet with its relative ``url(...)`` images turned into data URIs."""
    text = _asset_bytes(rel).decode("utf-8")
    base = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""

    def repl(m: re.Match[str]) -> str:
        url = m.group(2)
        if url.startswith(("data:", "http:", "https:", "#")):
            return m.group(0)
        try:
            data = _asset_bytes(base + url)
        except KeyError:
            return m.group(0)
        mime = "image/png" if url.endswith(".png") else "image/svg+xml"
        return f"url({m.group(1)}data:{mime};base64,{base64.b64encode(data).decode()}{m.group(1)})"

    text = re.sub(r"url\((['\"]?)([^'\")]+)\1\)", repl, text)
    # Inline <style> must never contain a closing tag.
    return text.replace("</", "<\\/")


def _js_inlined(rel: str) -> str:
    text = _asset_bytes(rel).decode("utf-8")
    # Drop source-map comments (the map file is not there) and protect the <script> element.
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    return text.replace("</script", "<\\/script")


# --------------------------------------------------------------------------------------------
# Pages and CSP
# --------------------------------------------------------------------------------------------

_INLINE_SCRIPT = re.compile(r"<script(?P<attrs>(?:\s[^>]*)?)>(?P<body>.*?)</script>", re.DOTALL)


def inline_script_hashes(page: str) -> list[str]:
    """CSP source expressions (``'sha256-…'``) of every inline, executable script of ``page``.

    Scripts with ``src`` or with a non-JavaScript ``type`` (our JSON data blocks) are skipped:
    the browser does not execute them, so CSP does not apply to them.
    """
    hashes = []
    for m in _INLINE_SCRIPT.finditer(page):
        attrs = m.group("attrs")
        if re.search(r"\bsrc\s*=", attrs):
            continue
        t = re.search(r"\btype\s*=\s*[\"']?([^\"'\s>]+)", attrs)
        if t and t.group(1).lower() not in {"text/javascript", "module", "application/javascript"}:
            continue
        digest = hashlib.sha256(m.group("body").encode("utf-8")).digest()
        h = f"'sha256-{base64.b64encode(digest).decode()}'"
        if h not in hashes:
            hashes.append(h)
    return hashes


def content_security_policy(script_hashes: Sequence[str] = (), *, img_sources: Sequence[str] = CSP_IMG_SOURCES) -> str:
    """The Content-Security-Policy of our pages (for a ``<meta http-equiv>``).

    ``'self'`` serves the copied assets; inline scripts are allowed only by hash; inline
    styles are allowed because Leaflet positions tiles and markers with ``style`` attributes.
    """
    script = " ".join(["'self'", *script_hashes])
    return (
        "default-src 'self'; "
        f"script-src {script}; "
        "style-src 'self' 'unsafe-inline'; "
        f"img-src {' '.join(img_sources)}; "
        "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'"
    )


_CSP_PLACEHOLDER = "<!--safi-csp-->"


def _with_csp(page: str) -> str:
    policy = content_security_policy(inline_script_hashes(page))
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy)}">'
    return page.replace(_CSP_PLACEHOLDER, meta, 1)


_FOLIUM_VIEWPORT = re.compile(r"<meta name=\"viewport\"[^>]*>", re.DOTALL)
_LINK_TAG = re.compile(r"\s*<link rel=\"stylesheet\" href=\"([^\"]+)\"\s*/?>")
_SCRIPT_SRC_TAG = re.compile(r"\s*<script src=\"([^\"]+)\"></script>")


def _dedent_blank(text: str) -> str:
    lines = [ln.rstrip() for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip())


def render_map_page(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any,
    tour: Any,
    title: str,
    header_html: str = "",
    footer_html: str = "",
    asset_prefix: str = "assets/",
    actor_url: str = DEFAULT_ACTOR_URL,
    inline_assets: bool = False,
    embed: bool = False,
    labels: str | Mapping[str, str] = "fr",
    lang: str = "fr",
    description_chars: int = 160,
    data_encoding: str = "auto",
    new_ids: Collection[str] | None = None,
    payload: dict[str, Any] | None = None,
    events: Sequence[Mapping[str, Any]] = (),
) -> str:
    """A complete HTML document: map, filter panel and directory, with its CSP.

    Parameters
    ----------
    header_html, footer_html
        Trusted HTML of the site navigation (inserted as is; never survey text).
    asset_prefix
        URL prefix of the copied assets (``copy_assets(out / "assets")``), e.g. ``"../assets/"``.
    inline_assets
        Inline every script, style and image: one file that works with no network at all.
    embed
        The page for an ``<iframe>``: map and filters only, links open in the parent page.
    new_ids
        Ids of the actors new since the last stop (``changes.new``): a "Nouveaux depuis la
        dernière étape (N)" filter, combinable with the others, "Nouveau" badges on cards and
        popups, ``n=1`` in the URL. ``None`` or empty: no such filter.
    events
        The agenda's public events (``safi_map.site.event_index``): the "Rendez-vous" layer.
    """
    lab = labels_for(labels)
    m = actor_map(
        actors, taxonomy=taxonomy, tour=tour, asset_prefix=asset_prefix, actor_url=actor_url,
        inline_assets=inline_assets, labels=labels, panel_id="safi-panel",
        directory_id=None if embed else "safi-directory",
        link_target="_top" if embed else "", description_chars=description_chars,
        data_encoding=data_encoding, new_ids=new_ids, payload=payload, events=events,
    )
    fig: Any = m.get_root()
    fig.render()
    head, styles, scripts = _page_assets(fig.header.render(), asset_prefix, inline_assets)
    body = fig.html.render()
    script = fig.script.render()

    e = html.escape
    page_class = "safi-page safi-embed" if embed else "safi-page"
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{e(lang)}">',
        "<head>",
        '<meta charset="utf-8">',
        _CSP_PLACEHOLDER,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{e(title)}</title>",
        styles,
        _dedent_blank(head),
        "</head>",
        f'<body class="{page_class}">',
        '<div class="safi-skip">',
        f'<a href="#safi-panel">{e(lab["skip_to_filters"])}</a>',
        "" if embed else f'<a href="#safi-directory">{e(lab["skip_to_directory"])}</a>',
        "</div>",
        "" if embed or not header_html else f'<header class="safi-header">{header_html}</header>',
        '<main class="safi-layout" id="safi-main">',
        '<div class="safi-side">',
        f'<button type="button" class="safi-toggle" aria-expanded="false" aria-controls="safi-panel">{e(lab["toggle_filters"])}</button>',
        f'<section id="safi-panel" class="safi-panel" tabindex="-1" aria-label="{e(lab["filters"])}"></section>',
        "" if embed else (
            '<section id="safi-directory" class="safi-directory" tabindex="-1" '
            f'aria-labelledby="safi-directory-title"><h2 id="safi-directory-title">{e(lab["directory"])}</h2></section>'
        ),
        "</div>",
        f'<div class="safi-map" role="region" aria-label="{e(lab["map_label"])}">',
        _dedent_blank(body),
        "</div>",
        "</main>",
        "" if embed or not footer_html else f'<footer class="safi-footer">{footer_html}</footer>',
        scripts,
        f"<script>\n{_dedent_blank(script)}\n</script>",
        "</body>",
        "</html>",
        "",
    ]
    page = "\n".join(p for p in parts if p)
    return _with_csp(page)


def _page_assets(head: str, asset_prefix: str, inline: bool) -> tuple[str, str, str]:
    """folium's ``<head>`` without its asset tags, and our styles and scripts: linked to the
    copied assets, or inlined (one file that works with no network)."""
    head = _FOLIUM_VIEWPORT.sub("", head)
    css_links = _LINK_TAG.findall(head)
    js_links = _SCRIPT_SRC_TAG.findall(head)
    head = _SCRIPT_SRC_TAG.sub("", _LINK_TAG.sub("", head))
    head = head.replace('<meta http-equiv="content-type" content="text/html; charset=UTF-8" />', "")
    for url in css_links + js_links:
        if not url.startswith(asset_prefix) or "://" in url[len(asset_prefix):]:
            raise ValueError(_("unexpected non-local asset {url!r}").format(url=url))

    def rel(url: str) -> str:
        return url[len(asset_prefix):]

    if inline:
        styles = "\n".join(f"<style>\n{_css_inlined(rel(u))}\n</style>" for u in css_links)
        scripts = "\n".join(f"<script>\n{_js_inlined(rel(u))}\n</script>" for u in js_links)
    else:
        styles = "\n".join(f'<link rel="stylesheet" href="{html.escape(u)}">' for u in css_links)
        scripts = "\n".join(f'<script src="{html.escape(u)}"></script>' for u in js_links)
    return head, styles, scripts

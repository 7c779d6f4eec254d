"""What a shared link and a search engine see (issue #16 item 6): Open Graph and Twitter card
tags on every page, and, when ``site_url`` is set, canonical URLs, ``sitemap.xml`` and
``robots.txt``.

The tags use what each page already has: its title, a description (the ``description`` block
of its template), and its picture: ``share_image`` (a commune's, theme's or stop's share
picture, :mod:`safi_map.site.share_images`), a ``poster`` that is a picture rather than a PDF,
else the region's share picture. An ``og:image``, ``og:url`` and
the canonical link need absolute URLs, so they exist only with ``site_url``; without it the
site makes no claim about where it lives, and writes neither ``sitemap.xml`` nor
``robots.txt``. Crawlers read ``robots.txt`` only at the root of a host: when the site lives
in a sub-folder (``https://exemple.org/carte/``) the file is still written, for the host's
owner to merge into theirs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from safi_map.core.writer import Writer

__all__ = ["DESCRIPTION_CHARS", "SITEMAP_MAX_URLS", "map_page_with_share_tags", "share_tags",
           "sitemap_pages", "tags", "write_crawler_files"]

DESCRIPTION_CHARS = 200
"""Longest description shown in a preview (previews cut around 200 characters)."""
SITEMAP_MAX_URLS = 50_000
"""The sitemaps protocol's limit per file; more pages go into several files and an index."""
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif")
_NOT_LISTED = {"404.html", "carte-integree.html"}  # an error page, the map for iframes
_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
DEFAULT_DESCRIPTION = ("Carte et annuaire des structures de l'action sociale et de l'économie "
                       "sociale et solidaire recensées lors du SAFI Tour en "
                       "Provence-Alpes-Côte d'Azur.")


def _plain(text: Any) -> str:
    """Text without markup, whitespace folded (a block's rendering is escaped HTML)."""
    return Markup(str(text)).striptags() if isinstance(text, Markup) else " ".join(
        str(text).split())


def _cut(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:.")
    return f"{cut}…"


def page_url(site_url: str, page_path: str) -> str:
    """The absolute URL of a page of the site (``index.html`` is the site's address)."""
    return site_url if page_path == "index.html" else f"{site_url}{quote(page_path, safe='/')}"


def tags(*, title: str, description: str, site_title: str, site_url: str, page_path: str,
         image: str = "") -> Markup:
    """The ``<meta>`` and ``<link>`` tags of one page, escaped.

    ``description``: empty for the site's general one. ``image``: path of a picture in the
    site (``""``: none). ``page_path``: the page's path in
    the site (``""``: unknown, no canonical URL)."""
    title = _plain(title)
    description = _cut(_plain(description) or (f"{title}. {DEFAULT_DESCRIPTION}" if title
                                                 else DEFAULT_DESCRIPTION))
    lines = [("name", "description", description), ("property", "og:type", "website"),
             ("property", "og:site_name", site_title), ("property", "og:locale", "fr_FR"),
             ("property", "og:title", title), ("property", "og:description", description)]
    links: list[str] = []
    if site_url and page_path and page_path not in {"404.html"}:
        url = page_url(site_url, page_path)
        lines.append(("property", "og:url", url))
        links.append(f'<link rel="canonical" href="{escape(url)}">')
    picture = (f"{site_url}{quote(image, safe='/')}" if site_url and image
               and image.lower().endswith(_IMAGE_SUFFIXES) else "")
    if picture:
        lines.append(("property", "og:image", picture))
    lines += [("name", "twitter:card", "summary_large_image" if picture else "summary"),
              ("name", "twitter:title", title), ("name", "twitter:description", description)]
    if picture:
        lines.append(("name", "twitter:image", picture))
    out = [f'<meta {kind}="{name}" content="{escape(value)}">' for kind, name, value in lines]
    return Markup("\n".join(out + links))


@jinja2.pass_context
def share_tags(ctx: jinja2.runtime.Context, title: Any, description: Any) -> Markup:
    """:func:`tags` for a page rendered from ``base.html`` (a Jinja global): the site's title
    and URL, the page's path and its picture come from the page's context."""
    def get(name: str) -> Any:
        value = ctx.get(name, "")
        return "" if isinstance(value, jinja2.Undefined) or value is None else value

    image = get("share_image") or _picture(get("poster")) or _region_picture(ctx)
    return tags(title=title, description=description, site_title=str(get("site_title")),
                site_url=str(get("site_url")), page_path=str(get("page_path")),
                image=image if isinstance(image, str) else "")


def _picture(value: Any) -> str:
    """``value`` if it is the path of a picture (a poster may be a PDF)."""
    return value if isinstance(value, str) and value.lower().endswith(_IMAGE_SUFFIXES) else ""


def _region_picture(ctx: Mapping[str, Any] | jinja2.runtime.Context) -> str:
    """The region's share picture (:mod:`safi_map.site.share_images`), ``""`` when none: the
    picture of the pages that have none of their own."""
    images = ctx.get("share_images")
    region = getattr(images, "region", "") if images is not None else ""
    return region if isinstance(region, str) else ""


def map_page_with_share_tags(html: str, ctx: Mapping[str, Any], page_path: str) -> str:
    """A map page (written by :mod:`safi_map.map.render`, not from ``base.html``) with the
    tags; its picture is ``ctx["share_image"]``, else the region's."""
    head = tags(title=ctx.get("site_title", ""), description=DEFAULT_DESCRIPTION,
                site_title=ctx.get("site_title", ""), site_url=ctx.get("site_url", ""),
                page_path=page_path,
                image=_picture(ctx.get("share_image")) or _region_picture(ctx))
    before, found, after = html.partition("</head>")
    if not found:
        raise ValueError(f"{page_path}: no </head> to put the sharing tags in")
    return f"{before}{head}\n{found}{after}"


def sitemap_pages(paths: Iterable[str]) -> list[str]:
    """The pages a sitemap lists: every HTML page but the error page and the iframe map."""
    return sorted(p for p in set(paths) if p.endswith(".html") and p not in _NOT_LISTED)


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def write_crawler_files(writer: Writer, site_url: str) -> list[str]:
    """Write ``sitemap.xml`` (split past :data:`SITEMAP_MAX_URLS` pages) and ``robots.txt``
    for the pages the writer holds; nothing without ``site_url``. Returns the paths written."""
    if not site_url:
        return []
    pages = sitemap_pages(writer.paths)
    chunks = [pages[i:i + SITEMAP_MAX_URLS] for i in range(0, len(pages), SITEMAP_MAX_URLS)]
    files: list[tuple[str, bytes]] = []
    for n, chunk in enumerate(chunks or [[]], start=1):
        urlset = ET.Element("urlset", xmlns=_SITEMAP_NS)
        for p in chunk:
            ET.SubElement(ET.SubElement(urlset, "url"), "loc").text = page_url(site_url, p)
        files.append(("sitemap.xml" if len(chunks) <= 1 else f"sitemap-{n}.xml", _xml(urlset)))
    if len(files) > 1:
        index = ET.Element("sitemapindex", xmlns=_SITEMAP_NS)
        for name, _data in files:
            ET.SubElement(ET.SubElement(index, "sitemap"), "loc").text = f"{site_url}{name}"
        files.append(("sitemap.xml", _xml(index)))
    files.append(("robots.txt", (f"User-agent: *\nAllow: /\n\n"
                                 f"Sitemap: {site_url}sitemap.xml\n").encode()))
    for name, data in files:
        writer.write_bytes(name, data)
    return [name for name, _data in files]

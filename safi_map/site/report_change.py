""""Signaler une modification" on every actor page (issue #16 item 7).

With ``[site] report_url`` set in ``safi-map.toml`` each actor page links to the coordinator's
address (``mailto:``) or form (``https://``), prefilled with the actor's id and the public
fields the page shows, so a visitor only writes what should change. The coordinator turns the
suggestion into a ``data/corrections.toml`` entry (see the README). Without the setting there
is no link.

A form gets the text in its query string: the placeholders ``{id}``, ``{name}`` and
``{message}`` of the address are replaced (a Google or Framaforms prefill link), or, when the
address has none, ``acteur`` and ``message`` parameters are added. Every value is URL-encoded;
only what the page publishes goes in (contacts are blank without consent in the public view).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import jinja2

from safi_map.core.urls import PLACEHOLDERS, check_report_url

__all__ = ["PLACEHOLDERS", "check_report_url", "report_href", "report_link", "report_message"]

_DESCRIPTION_CHARS = 300  # a whole description would make a link too long for some mailers


def _line(label: str, value: Any) -> str | None:
    if isinstance(value, list | tuple):
        value = ", ".join(str(x.get("label", x)) if isinstance(x, Mapping) else str(x)
                          for x in value)
    text = " ".join(str(value or "").split())
    return f"{label} : {text}" if text else None


def report_message(actor: Mapping[str, Any], *, site_title: str, page: str) -> str:
    """The prefilled text: the actor's id, page and public fields, then room for the change."""
    description = " ".join(str(actor.get("description", "")).split())
    if len(description) > _DESCRIPTION_CHARS:
        description = description[:_DESCRIPTION_CHARS - 1].rstrip() + "…"
    lines = [
        "Bonjour,", "",
        f"Je signale une modification pour cette structure publiée sur « {site_title} ».", "",
        _line("Identifiant", actor.get("id")), _line("Page", page),
        _line("Nom", actor.get("name")), _line("Forme juridique", actor.get("legal_form_label")),
        _line("Thématiques", actor.get("themes", [])), _line("Description", description),
        _line("Adresse", actor.get("address")), _line("Code postal", actor.get("postcode")),
        _line("Commune", actor.get("commune")), _line("Site web", actor.get("website")),
        _line("Courriel", actor.get("email")), _line("Téléphone", actor.get("phone")),
        _line("SIRET", actor.get("siret")), _line("Besoins", actor.get("needs", [])),
        _line("Offres", actor.get("offers", [])), "",
        "Ce qui doit changer :", "",
    ]
    return "\n".join(line for line in lines if line is not None)


def report_href(report_url: str, actor: Mapping[str, Any], *, site_title: str,
                site_url: str) -> str:
    """The link of one actor's "Signaler une modification" (``""`` without ``report_url``)."""
    if not report_url:
        return ""
    page = f"{site_url}{actor['url']}" if site_url else str(actor.get("url", ""))
    message = report_message(actor, site_title=site_title, page=page)
    aid, name = str(actor.get("id", "")), str(actor.get("name", ""))
    if report_url.lower().startswith("mailto:"):
        subject = f"Signaler une modification : {name} ({aid})"
        return (f"{report_url}?subject={quote(subject, safe='')}"
                f"&body={quote(message.replace(chr(10), chr(13) + chr(10)), safe='')}")
    if any(p in report_url for p in PLACEHOLDERS):
        return (report_url.replace("{id}", quote(aid, safe="")).replace(
            "{name}", quote(name, safe="")).replace("{message}", quote(message, safe="")))
    joiner = "&" if "?" in report_url else "?"
    return f"{report_url}{joiner}acteur={quote(aid, safe='')}&message={quote(message, safe='')}"


@jinja2.pass_context
def report_link(ctx: jinja2.runtime.Context, actor: Mapping[str, Any]) -> str:
    """:func:`report_href` for an actor page (a Jinja global; the settings come from the
    page's context)."""
    def get(name: str) -> str:
        value = ctx.get(name, "")
        return "" if isinstance(value, jinja2.Undefined) or value is None else str(value)

    return report_href(get("report_url"), actor, site_title=get("site_title"),
                       site_url=get("site_url"))

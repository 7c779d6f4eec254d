"""Addresses from ``safi-map.toml`` that go into pages: the site's address and the "report a
change" link (``[site] report_url``). Checked when the settings are read, so a page never holds
a ``javascript:`` link, a quote or a space from a setting."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from safi_map.core.i18n import _

__all__ = ["PLACEHOLDERS", "URL_FORBIDDEN", "check_report_url", "check_site_url"]

PLACEHOLDERS = ("{id}", "{name}", "{message}")
"""What a form address in ``report_url`` may hold, replaced by the actor's id, name and text."""
_MAILTO = re.compile(r"mailto:[A-Za-z0-9.!#$%&'*+/=^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+",
                     re.ASCII)
URL_FORBIDDEN = frozenset('"<>\\`{}|^') | {chr(c) for c in range(33)} | {chr(127)}
"""Characters no address from the settings may hold (quotes, spaces, controls…)."""


def check_site_url(value: str) -> str:
    """An absolute http(s) address, or "" (not set): it goes into links, QR codes and the
    embed snippet, so no other scheme (``javascript:``) and no quote, space or control
    character."""
    value = value.strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        parts, port_ok = None, False
    if (parts is None or not port_ok or parts.scheme.lower() not in ("http", "https")
            or not parts.hostname or any(c in URL_FORBIDDEN for c in value)):
        raise TypeError(_("expected the site's address starting with https:// or http:// "
                          "(such as https://www.example.org/carte/), without spaces or "
                          "quotes, got {value!r}").format(value=value))
    return value


def check_report_url(v: Any) -> str:
    """The setting's validator: ``""``, ``mailto:`` one address, or an http(s) address (with
    the placeholders :data:`PLACEHOLDERS` at most)."""
    if not isinstance(v, str):
        raise TypeError(_("expected a text, got {v!r}").format(v=v))
    value = v.strip()
    if not value:
        return ""
    if value.lower().startswith("mailto:"):
        if _MAILTO.fullmatch(value):
            return value
    else:
        bare = value
        for p in PLACEHOLDERS:
            bare = bare.replace(p, "x")
        try:
            parts = urlsplit(bare)
            ok = (parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
                  and (parts.port is None or parts.port > 0))
        except ValueError:
            ok = False
        if ok and not any(c in URL_FORBIDDEN for c in bare):
            return value
    raise TypeError(_("expected mailto: and one e-mail address (mailto:coordination@example.org) "
                      "or a form's address starting with https:// or http://, without spaces "
                      "or quotes ({{id}}, {{name}} and {{message}} are replaced), got "
                      "{value!r}").format(value=value))

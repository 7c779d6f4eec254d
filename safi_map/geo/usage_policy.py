"""What the online geocoding services' usage policies ask of us: say who we are, and how fast.

The public Nominatim server (https://operations.osmfoundation.org/policies/nominatim/) asks
for a User-Agent that identifies the application and how to reach whoever runs it, and for at
most one request per second. The User-Agent is ``<name>/<version> (+<contact>)``, the contact
coming from ``[geocode] contact`` in ``safi-map.toml``; without it the public server is not
asked at all. Whether a URL names the public server is decided on its normalised host name, so
``https://Nominatim.OpenStreetMap.org.:443/search/`` is the public server too.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urlsplit

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import _
from safi_map.core.settings import Settings

__all__ = ["PUBLIC_NOMINATIM_HOSTS", "PUBLIC_NOMINATIM_RATE", "check_online_settings",
           "is_public_nominatim", "user_agent"]

PUBLIC_NOMINATIM_HOSTS: frozenset[str] = frozenset({"nominatim.openstreetmap.org"})
"""Host names of the public Nominatim server (the OpenStreetMap Foundation's)."""

PUBLIC_NOMINATIM_RATE = 1.0
"""Requests per second the public Nominatim server allows."""

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalized_host(url: str) -> str:
    """The host of ``url`` as a resolver sees it: lower case, IDNA dots (``。``) as ``.``,
    without trailing dots, user info or port; ``""`` when there is none."""
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:  # an invalid port or IPv6 literal: no host we could compare
        return ""
    with contextlib.suppress(UnicodeError):  # not a valid IDNA name: compare it as written
        host = host.encode("idna").decode("ascii")
    return host.lower().rstrip(".")


def is_public_nominatim(url: str) -> bool:
    """Does ``url`` point at the public Nominatim server, however it is spelled (case, port,
    trailing dot, path, user info)?

    >>> is_public_nominatim("https://Nominatim.OpenStreetMap.org.:443/search/")
    True
    >>> is_public_nominatim("http://127.0.0.1:8080/nominatim")
    False
    """
    return normalized_host(url) in PUBLIC_NOMINATIM_HOSTS


def user_agent(settings: Settings, version: str) -> str:
    """``safi-map/<version> (+<contact>)``: the name from ``user_agent`` (a name without a
    version gets ours), then the contact when one is set.

    Raises
    ------
    ConfigError
        A name or contact holding control characters (they would end the HTTP header), or no
        contact while the public Nominatim server is the provider.
    """
    name = settings.user_agent.strip() or "safi-map"
    contact = settings.contact.strip()
    for setting, value in (("user_agent", name), ("contact", contact)):
        if _CONTROL.search(value):
            raise ConfigError(_("[geocode] {setting}: control characters (a line break?) are "
                                "not allowed in {value!r}").format(setting=setting, value=value))
    if settings.provider == "nominatim" and is_public_nominatim(settings.nominatim_url) \
            and not contact:
        raise ConfigError(_(
            "the public Nominatim server asks every application to say how to reach whoever "
            "runs it: add a contact (an email address or the URL of your site) to "
            "safi-map.toml, for example:\n\n[geocode]\ncontact = \"carte@example.org\"\n\n"
            "(or choose provider = \"ban\", the national address base)"))
    if "/" not in name:
        name = f"{name}/{version}"
    return f"{name} (+{contact})" if contact else name


def check_online_settings(settings: Settings) -> None:
    """Raise :class:`ConfigError` now, before any file is read, when going online with these
    settings would break the service's usage policy (see :func:`user_agent`)."""
    from safi_map.core.version import __version__

    user_agent(settings, __version__)

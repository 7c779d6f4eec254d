"""What may be published: the single gate between the actor data and every file we write.

The site, its downloads and every export go through :func:`public_actors`, so the rule
"contact details only with consent" lives in one place.
"""

from __future__ import annotations

import re
from typing import Any

import geopandas as gpd
import pandas as pd

__all__ = [
    "ACTOR_COLUMNS",
    "CONTACT_FIELDS",
    "PUBLIC_COLUMNS",
    "back_to_commune",
    "precise_points",
    "public_actors",
    "safe_url",
]

ACTOR_COLUMNS: tuple[str, ...] = (
    "actor_id", "name", "legal_form", "themes", "description", "address", "postcode", "commune",
    "commune_former", "insee_code", "department", "epci", "epci_name", "latitude", "longitude", "geocode_precision",
    "geocode_source", "geocode_score", "website", "email", "phone", "needs", "offers", "stops",
    "first_seen", "last_seen", "contact_consent", "siret", "opening_hours", "sources", "geometry",
)
"""Columns of the actors GeoDataFrame, in order (see docs/ARCHITECTURE.md)."""

CONTACT_FIELDS: tuple[str, ...] = ("email", "phone", "address")
"""Published only when the actor consented (the street address may be a person's home).

A point placed at the street (see :func:`precise_points`) gives the address away as well, so it
counts as a contact too. Consent is decided per value across a merge (see
:mod:`safi_map.ingestion.merge_values`): the merged record only holds values this gate may publish.
"""

PRECISE_PRECISIONS: tuple[str, ...] = ("housenumber", "street", "locality")
"""Online precisions finer than the commune: the point shows where the address is."""

PUBLIC_COLUMNS: tuple[str, ...] = tuple(c for c in ACTOR_COLUMNS if c != "sources")
"""``sources`` names survey files and rows: internal, never published."""

_PUBLIC_MARK = "safi_map.model.public"
_SAFE_SCHEMES = ("http://", "https://", "mailto:", "tel:")
_UNSAFE_CHARS = re.compile("[\x00\r\n\t<>\"'` ]")


def safe_url(url: Any) -> str:
    """Return ``url`` if it uses an allowed scheme (http, https, mailto, tel), else ``""``.

    A second line of defence: normalization already rejects other schemes, but anything that
    reaches an ``href`` goes through here.
    """
    if not isinstance(url, str) or not url:
        return ""
    candidate = url.strip()
    if candidate[:8].lower().startswith(_SAFE_SCHEMES) and not _UNSAFE_CHARS.search(candidate):
        return candidate
    return ""


def precise_points(frame: pd.DataFrame) -> pd.Series:
    """Rows whose point gives their street address away: placed online finer than the commune
    (:data:`PRECISE_PRECISIONS`), or at coordinates typed in the survey. A point a coordinator
    moved by a correction (source ``correction``) is not one: the coordinator chose it."""
    if not len(frame) or "geocode_precision" not in frame.columns:
        return pd.Series(False, index=frame.index, dtype=bool)
    precision = frame["geocode_precision"]
    source = frame["geocode_source"] if "geocode_source" in frame.columns else ""
    return precision.isin(PRECISE_PRECISIONS) | ((precision == "provided") & (source == "survey"))


def back_to_commune(out: gpd.GeoDataFrame, mask: pd.Series) -> None:
    """Move the points of ``out`` where ``mask`` holds to their commune's point, in place:
    precision ``municipality``, source ``gazetteer``; without a known commune, no point."""
    from shapely import points

    from safi_map.geo.gazetteer import communes

    ref = communes().set_index("code_insee")
    codes = out.loc[mask, "insee_code"].astype(str)
    known = codes[codes.isin(ref.index)]
    lat = ref.loc[known, "latitude"].to_numpy(dtype=float)
    lon = ref.loc[known, "longitude"].to_numpy(dtype=float)
    out.loc[known.index, "latitude"] = lat
    out.loc[known.index, "longitude"] = lon
    out.loc[known.index, "geocode_precision"] = "municipality"
    out.loc[known.index, "geocode_source"] = "gazetteer"
    out.loc[known.index, out.geometry.name] = points(lon, lat)
    unknown = codes.index.difference(known.index)
    if len(unknown):  # no commune to fall back to: do not publish the point at all
        out.loc[unknown, ["latitude", "longitude"]] = float("nan")
        out.loc[unknown, "geocode_precision"] = "none"
        out.loc[unknown, out.geometry.name] = None


def public_actors(actors: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy of ``actors`` holding only what may be published.

    Email, phone and street address are blanked where ``contact_consent`` is not true, and the
    internal ``sources`` column is dropped. A point placed at the street address (online
    geocoding: ``housenumber``, ``street``, ``locality``, or coordinates typed in the survey) of an
    actor without consent would give the address away: it goes back to its commune's point, with
    precision ``municipality``. Points moved by a coordinator's correction stay where they are.

    Every writer calls this gate itself (the site, then the map, synergies and diagnostic pages,
    each poster...), so the result is marked in ``attrs`` and a marked frame (or a selection of
    one: pandas carries ``attrs`` along) is only copied, not filtered again.
    """
    if actors.attrs.get(_PUBLIC_MARK):
        return actors.copy()
    out = actors.copy()
    consent = out["contact_consent"].fillna(False).astype(bool) if len(out) else pd.Series(
        [], dtype=bool
    )
    for col in CONTACT_FIELDS:
        if col in out.columns:
            out[col] = out[col].where(consent, "")
    if "website" in out.columns:
        out["website"] = out["website"].map(safe_url)
    precise = precise_points(out) & ~consent
    if precise.any():
        back_to_commune(out, precise)
    out = out.drop(columns=[c for c in ("sources",) if c in out.columns])
    out.attrs[_PUBLIC_MARK] = True
    return out

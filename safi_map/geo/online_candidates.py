"""What the online services answer: the query sent for a row, and the candidates read from a
BAN (addok GeoJSON) or Nominatim (JSON list) answer, with a precision and a score.

Nominatim has no match score and no INSEE code, so they are derived here (see
:func:`nominatim_candidates`): precision from ``place_rank``/``class``/``type``/``addresstype``,
score from the text similarity between the query and the address Nominatim returns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from safi_map.core.text import fold

__all__ = ["PRECISIONS", "Candidate", "Malformed", "ban_candidates", "build_commune_query",
           "build_query", "nominatim_candidates", "nominatim_precision", "words"]

#: Precisions an online result can have, finest first (BAN result types).
PRECISIONS: tuple[str, ...] = ("housenumber", "street", "locality", "municipality")

_POSTCODE = re.compile(r"\b\d{5}\b")


def build_query(address: str, postcode: str = "", commune: str = "") -> str:
    """The free-text query sent for a row: the address, then the postcode and commune unless
    the address already holds them (survey cells often repeat them), spaces collapsed.

    >>> build_query("8 bd de Strasbourg", "83000", "Toulon")
    '8 bd de Strasbourg 83000 Toulon'
    >>> build_query("8 bd de Strasbourg, 83000 TOULON", "83000", "Toulon")
    '8 bd de Strasbourg, 83000 TOULON'
    """
    address = " ".join(address.split())
    if not address:
        return ""
    parts = [address]
    folded = f" {words(address)} "
    if postcode and postcode not in _POSTCODE.findall(address):
        parts.append(postcode)
    commune_words = words(commune)
    if commune_words and f" {commune_words} " not in folded:
        parts.append(commune)
    return " ".join(" ".join(parts).split())


def build_commune_query(postcode: str = "", commune: str = "") -> str:
    """The query sent for a row whose address may not be sent (no consent): postcode and
    commune only.

    >>> build_commune_query("05000", "Gap")
    '05000 Gap'
    """
    return " ".join(" ".join((postcode, commune)).split())


def words(text: str) -> str:
    """Lower-case ASCII words of ``text`` (accents and punctuation dropped), space-separated."""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


class Malformed(ValueError):
    """The service answered 200 with a body that is not the documented format."""


@dataclass(frozen=True)
class Candidate:
    latitude: float
    longitude: float
    precision: str | None  # None: coarser than a commune (Nominatim county, postcode area...)
    score: float
    label: str
    citycode: str = ""  # INSEE code (BAN only)
    cities: tuple[str, ...] = ()  # commune names the provider gives
    postcode: str = ""


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool):
        raise Malformed(f"{what} is not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise Malformed(f"{what} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise Malformed(f"{what} is not finite: {value!r}")
    return number


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def ban_candidates(payload: Any, query: str) -> list[Candidate]:
    """Candidates of a BAN (addok) GeoJSON answer, in the service's order (best first).

    ``properties.type`` is the precision, ``properties.score`` the score and
    ``properties.citycode`` the INSEE code; an unknown type is skipped.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
        raise Malformed("BAN answer is not a GeoJSON FeatureCollection")
    found = []
    for feature in payload["features"]:
        try:
            lon, lat = feature["geometry"]["coordinates"][:2]
            props = feature["properties"]
            kind = props.get("type")
            score = props["score"]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise Malformed("BAN feature without coordinates, properties or score") from None
        if kind not in PRECISIONS:
            continue
        found.append(
            Candidate(
                latitude=_float(lat, "latitude"),
                longitude=_float(lon, "longitude"),
                precision=kind,
                score=_float(score, "score"),
                label=_text(props.get("label")),
                citycode=_text(props.get("citycode")),
                cities=tuple(c for c in (_text(props.get("city")),) if c),
                postcode=_text(props.get("postcode")),
            )
        )
    return found


# Nominatim address keys naming the commune. In France "municipality" often holds the
# arrondissement départemental ("Toulon" for an address in Hyères), so it only counts when none
# of city/town/village is given.
_NOMINATIM_CITY_KEYS = ("city", "town", "village")
_NOMINATIM_STREET_KEYS = ("road", "pedestrian", "footway", "square", "place", "hamlet")
_COMMUNE_TYPES = frozenset({"city", "town", "village", "municipality"})


def nominatim_precision(item: dict[str, Any]) -> str | None:
    """BAN-like precision of a Nominatim result.

    ============================================  ================
    Nominatim result                              precision
    ============================================  ================
    ``place_rank`` >= 28 (house, building, POI)   ``housenumber``
    ``place_rank`` 26-27 (streets)                ``street``
    a commune: ``addresstype`` or ``type`` in     ``municipality``
    city/town/village/municipality
    ``type`` postcode (an area of communes)       ``None`` (coarse)
    ``place_rank`` 17-25 (suburb, hamlet,         ``locality``
    neighbourhood, square...)
    anything else (county, state, country)        ``None`` (coarse)
    ============================================  ================

    Without ``place_rank`` (old Nominatim), ``addresstype`` road means street.
    """
    try:
        rank = int(item.get("place_rank") or 0)
    except (TypeError, ValueError):
        rank = 0
    kind = _text(item.get("type"))
    addresstype = _text(item.get("addresstype"))
    if rank >= 28:
        return "housenumber"
    if 26 <= rank <= 27 or (rank == 0 and addresstype == "road"):
        return "street"
    if addresstype in _COMMUNE_TYPES or kind in _COMMUNE_TYPES:
        return "municipality"
    if kind == "postcode":
        return None
    if 17 <= rank <= 25:
        return "locality"
    return None


def nominatim_candidates(payload: Any, query: str) -> list[Candidate]:
    """Candidates of a Nominatim ``format=json&addressdetails=1`` answer.

    Nominatim has no match score (``importance`` ranks famous places, ~0 for any address), so
    the score is the token-sorted similarity (rapidfuzz ``token_sort_ratio`` / 100) between the
    folded query and the address Nominatim returns, rebuilt as "house_number street postcode
    commune" (postcode only when the query has one). A result at the street asked scores ~0.9+,
    a commune-only answer to a street query ~0.3-0.5, like BAN's own scores.
    """
    if not isinstance(payload, list):
        raise Malformed("Nominatim answer is not a JSON list")
    query_words = words(query)
    query_has_postcode = bool(_POSTCODE.search(query))
    found = []
    for item in payload:
        if not isinstance(item, dict) or "lat" not in item or "lon" not in item:
            raise Malformed("Nominatim result without lat/lon")
        details = item.get("address")
        address: dict[str, Any] = details if isinstance(details, dict) else {}
        cities = tuple(_text(address.get(k)) for k in _NOMINATIM_CITY_KEYS if address.get(k))
        if not cities and address.get("municipality"):
            cities = (_text(address["municipality"]),)
        postcode = _text(address.get("postcode"))
        street = next((_text(address[k]) for k in _NOMINATIM_STREET_KEYS if address.get(k)), "")
        precision = nominatim_precision(item)
        if not street and precision in ("housenumber", "locality"):
            street = _text(item.get("name"))
        parts = [_text(address.get("house_number")), street]
        if query_has_postcode:
            parts.append(postcode)
        parts.append(cities[0] if cities else "")
        matched = " ".join(p for p in parts if p)
        score = fuzz.token_sort_ratio(query_words, words(matched)) / 100 if matched else 0.0
        city = cities[0] if cities else ""
        label = " ".join(p for p in (*parts[:2], postcode, city) if p)
        found.append(
            Candidate(
                latitude=_float(item["lat"], "lat"),
                longitude=_float(item["lon"], "lon"),
                precision=precision,
                score=round(score, 4),
                label=label or _text(item.get("display_name")),
                cities=cities,
                postcode=postcode,
            )
        )
    return found

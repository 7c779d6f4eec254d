"""Online address geocoding through geopy (BAN or Nominatim), cached and safe to fail.

The offline gazetteer places a row at its commune; a street address deserves better, and the
national address base (BAN, an addok service) or Nominatim can give the house or the street.
This module asks one of them for every row that has an address, and is built so that asking can
never hurt the build:

- A result is only *accepted* when it scores at least ``settings.min_score`` and lies in the
  commune the survey names (the offline result's INSEE code); otherwise the row gets NaN
  coordinates, precision ``none`` and a reason, and the caller keeps the offline result.
- Network faults (timeouts, refused connections, HTTP 429/5xx, malformed bodies, DNS failures)
  are retried when transient, then recorded per row; they never lose a row nor abort the run.
  After ``RetryPolicy.unreachable_after`` rows in a row fail, the service is declared
  unreachable and no further request is sent, so ``--online`` without network costs seconds,
  not ``rows x timeout``.
- Answers, including "no result", are kept in a persistent SQLite cache
  (:mod:`safi_map.geo.cache`); transient failures are not.

``geocode_source`` is the provider (``ban`` or ``nominatim``) whether the answer came from the
network or from the cache: the coordinates come from that provider either way, and an output
must not change between a first and a second run. Cache hits are counted in :class:`OnlineStats`.

Nominatim has no match score and no INSEE code, so this module derives them (see
:func:`_nominatim_candidates`): precision from ``place_rank``/``class``/``type``/``addresstype``,
score from the text similarity between the query and the address Nominatim returns, commune
check from the commune polygons of the gazetteer (PACA) or the commune names.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

import pandas as pd
from geopy.adapters import AdapterHTTPError, RequestsAdapter, URLLibAdapter
from geopy.exc import (
    GeocoderParseError,
    GeocoderRateLimited,
    GeocoderServiceError,
    GeocoderTimedOut,
    GeocoderUnavailable,
    GeopyError,
)
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BANFrance, Nominatim
from rapidfuzz import fuzz

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import N_, _, ngettext
from safi_map.core.settings import Settings
from safi_map.core.text import fold
from safi_map.geo.cache import GeoCache, normalize_query
from safi_map.geo.former import sep
from safi_map.geo.usage_policy import PUBLIC_NOMINATIM_RATE, is_public_nominatim, user_agent

__all__ = [
    "FAILURE_KINDS",
    "OUTPUT_COLUMNS",
    "PRECISIONS",
    "OnlineStats",
    "RetryPolicy",
    "build_commune_query",
    "build_query",
    "geocode_online",
]

log = logging.getLogger(__name__)

#: Precisions an online result can have, finest first (BAN result types).
PRECISIONS: tuple[str, ...] = ("housenumber", "street", "locality", "municipality")

#: Kinds of failure counted in :attr:`OnlineStats.failed`.
FAILURE_KINDS: tuple[str, ...] = (
    "timeout",
    "connection",
    "http_429",
    "http_5xx",
    "http_4xx",
    "malformed",
)

#: Columns of the frame returned by :func:`geocode_online`, in order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "latitude",
    "longitude",
    "geocode_precision",
    "geocode_source",
    "geocode_score",
    "insee_code",
    "geocode_reason",
)

# Transient faults: asking again after a pause may succeed.
_RETRIED = frozenset({"timeout", "http_429", "http_5xx"})
_CANDIDATES = 5  # results asked per query: the best one may lie in another commune
_BAN_MAX_QUERY = 200  # addok refuses longer queries with HTTP 400
# Municipal arrondissements -> their city: BAN answers Marseille addresses with 132xx codes.
_ARRONDISSEMENTS = (
    ("13201", "13216", "13055"),
    ("69381", "69389", "69123"),
    ("75101", "75120", "75056"),
)
# Degrees (~200 m) around a simplified commune polygon still counted as inside: addresses on
# the border, and the polygons are rounded to 1e-4 degree.
_POLYGON_TOLERANCE = 0.002
_POSTCODE = re.compile(r"\b\d{5}\b")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on a row, and on the service.

    Attributes
    ----------
    tries
        Requests per row at most, for transient faults (timeout, HTTP 429, HTTP 5xx). A refused
        connection or a DNS failure is not retried within the row: the next row is the retry.
        After a failed row, the following rows get one request each until one succeeds, so a
        dead service costs about ``(tries + unreachable_after - 1) x timeout`` at worst.
    backoff
        Seconds before the second try, doubled for each further try (exponential backoff);
        an HTTP 429 ``Retry-After`` longer than that is honoured.
    max_wait
        Cap of any single pause, in seconds.
    unreachable_after
        Consecutive rows that end in failure after which the service is declared unreachable
        and not asked again during the run.
    """

    tries: int = 3
    backoff: float = 1.0
    max_wait: float = 30.0
    unreachable_after: int = 3

    def __post_init__(self) -> None:
        if self.tries < 1 or self.unreachable_after < 1:
            raise ValueError(_("tries and unreachable_after must be >= 1, got {self!r}").format(
                                 self=self))
        if self.backoff < 0 or self.max_wait < 0:
            raise ValueError(_("backoff and max_wait must be >= 0, got {self!r}").format(self=self))


@dataclass
class OnlineStats:
    """What happened during one :func:`geocode_online` run (for the ingest report and the CLI).

    ``rows`` counts rows with an address (the others are not looked up, ``skipped``). Each of
    them ends in exactly one of ``accepted``, ``refused_low_score``, ``refused_outside``,
    ``refused_coarse``, ``no_result``, a ``failed`` kind, or ``not_asked`` (the service was
    already found unreachable and the cache had no answer). ``queried`` rows needed the network,
    ``cache_hits`` did not; ``requests`` counts HTTP requests, retries included.
    """

    provider: str = ""
    rows: int = 0
    skipped: int = 0
    queried: int = 0
    requests: int = 0
    cache_hits: int = 0
    accepted: int = 0
    refused_low_score: int = 0
    refused_outside: int = 0
    refused_coarse: int = 0
    no_result: int = 0
    failed: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAILURE_KINDS, 0))
    not_asked: int = 0
    unreachable: bool = False

    @property
    def failed_total(self) -> int:
        """Rows that failed, all kinds together."""
        return sum(self.failed.values())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (sorted ``failed`` kinds) for the ingest report."""
        data = asdict(self)
        data["failed"] = {k: self.failed[k] for k in sorted(self.failed)}
        data["failed_total"] = self.failed_total
        return data


# --------------------------------------------------------------------------------------------
# Queries and candidates


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
    folded = f" {_words(address)} "
    if postcode and postcode not in _POSTCODE.findall(address):
        parts.append(postcode)
    commune_words = _words(commune)
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


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


class _Malformed(ValueError):
    """The service answered 200 with a body that is not the documented format."""


@dataclass(frozen=True)
class _Candidate:
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
        raise _Malformed(f"{what} is not a number: {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Malformed(f"{what} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise _Malformed(f"{what} is not finite: {value!r}")
    return number


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _ban_candidates(payload: Any, query: str) -> list[_Candidate]:
    """Candidates of a BAN (addok) GeoJSON answer, in the service's order (best first).

    ``properties.type`` is the precision, ``properties.score`` the score and
    ``properties.citycode`` the INSEE code; an unknown type is skipped.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("features"), list):
        raise _Malformed("BAN answer is not a GeoJSON FeatureCollection")
    found = []
    for feature in payload["features"]:
        try:
            lon, lat = feature["geometry"]["coordinates"][:2]
            props = feature["properties"]
            kind = props.get("type")
            score = props["score"]
        except (KeyError, TypeError, ValueError, AttributeError):
            raise _Malformed("BAN feature without coordinates, properties or score") from None
        if kind not in PRECISIONS:
            continue
        found.append(
            _Candidate(
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


def _nominatim_precision(item: dict[str, Any]) -> str | None:
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


def _nominatim_candidates(payload: Any, query: str) -> list[_Candidate]:
    """Candidates of a Nominatim ``format=json&addressdetails=1`` answer.

    Nominatim has no match score (``importance`` ranks famous places, ~0 for any address), so
    the score is the token-sorted similarity (rapidfuzz ``token_sort_ratio`` / 100) between the
    folded query and the address Nominatim returns, rebuilt as "house_number street postcode
    commune" (postcode only when the query has one). A result at the street asked scores ~0.9+,
    a commune-only answer to a street query ~0.3-0.5, like BAN's own scores.
    """
    if not isinstance(payload, list):
        raise _Malformed("Nominatim answer is not a JSON list")
    query_words = _words(query)
    query_has_postcode = bool(_POSTCODE.search(query))
    found = []
    for item in payload:
        if not isinstance(item, dict) or "lat" not in item or "lon" not in item:
            raise _Malformed("Nominatim result without lat/lon")
        details = item.get("address")
        address: dict[str, Any] = details if isinstance(details, dict) else {}
        cities = tuple(_text(address.get(k)) for k in _NOMINATIM_CITY_KEYS if address.get(k))
        if not cities and address.get("municipality"):
            cities = (_text(address["municipality"]),)
        postcode = _text(address.get("postcode"))
        street = next((_text(address[k]) for k in _NOMINATIM_STREET_KEYS if address.get(k)), "")
        precision = _nominatim_precision(item)
        if not street and precision in ("housenumber", "locality"):
            street = _text(item.get("name"))
        parts = [_text(address.get("house_number")), street]
        if query_has_postcode:
            parts.append(postcode)
        parts.append(cities[0] if cities else "")
        matched = " ".join(p for p in parts if p)
        score = fuzz.token_sort_ratio(query_words, _words(matched)) / 100 if matched else 0.0
        city = cities[0] if cities else ""
        label = " ".join(p for p in (*parts[:2], postcode, city) if p)
        found.append(
            _Candidate(
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


# --------------------------------------------------------------------------------------------
# The commune check


def _city_of(code: str) -> str:
    """The city of a municipal arrondissement code, else the code itself."""
    for first, last, city in _ARRONDISSEMENTS:
        if first <= code <= last and len(code) == len(first):
            return city
    return code


class _CommuneCheck:
    """Does a candidate lie in the commune the survey names?

    BAN gives the INSEE code: compare it (an arrondissement counts as its city, the survey and
    BAN often disagree on which arrondissement a street is in). Nominatim does not: use the
    gazetteer's commune polygon (PACA), else commune names (the gazetteer's official name and the
    survey's text), else the postcode's department. The gazetteer is imported lazily; without it
    the names from the survey are used and the log says so once.
    """

    def __init__(self) -> None:
        self._names_loaded = False
        self._polygons_loaded = False
        self._names: dict[str, str] = {}
        self._parents: dict[str, str] = {}
        self._polygons: dict[str, Any] = {}
        self._key: Callable[[str], str] = _words

    def _load_names(self) -> None:
        """Official names and arrondissement parents (cheap: one CSV)."""
        if self._names_loaded:
            return
        self._names_loaded = True
        try:
            from safi_map.geo import gazetteer

            communes = gazetteer.communes()
            self._key = gazetteer.commune_key
            self._names = dict(zip(communes["code_insee"], communes["nom"], strict=True))
            self._parents = {
                code: parent
                for code, parent in zip(
                    communes["code_insee"], communes["commune_parent"], strict=True
                )
                if parent
            }
        except Exception as exc:  # optional reference data: degrade and say so, never fail
            log.warning(
                _("gazetteer not available (%s): online results are checked against the survey's "
                "commune name only"),
                exc,
            )

    def _polygon(self, insee: str) -> Any | None:
        """The commune's polygon (PACA only; a city with arrondissements: their union)."""
        self._load_names()
        if not self._polygons_loaded:
            self._polygons_loaded = True
            try:
                import shapely

                from safi_map.geo import gazetteer

                boundaries = gazetteer.commune_boundaries()
                polygons = dict(zip(boundaries["code_insee"], boundaries.geometry, strict=True))
                parts: defaultdict[str, list[Any]] = defaultdict(list)
                for code, geometry in polygons.items():
                    if code in self._parents:
                        parts[self._parents[code]].append(geometry)
                for parent, geometries in parts.items():
                    polygons.setdefault(parent, shapely.union_all(geometries))
                for geometry in polygons.values():
                    shapely.prepare(geometry)
                self._polygons = polygons
            except Exception as exc:  # optional reference data: degrade and say so
                log.warning(
                    _("commune boundaries not available (%s): the commune of Nominatim results "
                    "is checked by name only"),
                    exc,
                )
        # An arrondissement counts as its city, as for BAN.
        return self._polygons.get(self._parents.get(insee, insee))

    def outside(
        self, cand: _Candidate, expected_insee: str, commune: str, postcode: str
    ) -> tuple[bool, str]:
        """``(True, why)`` if ``cand`` lies outside the expected commune, else ``(False, note)``
        where ``note`` is empty when the commune was checked and says how little was checked
        otherwise (the note ends up in the row's reason)."""
        if cand.citycode and expected_insee:
            if _city_of(cand.citycode) == _city_of(expected_insee):
                return False, ""
            return True, _("result in {code} not in {expected} named by the survey").format(
                code=cand.citycode, expected=expected_insee)
        self._load_names()
        if expected_insee and not cand.citycode:
            polygon = self._polygon(expected_insee)
            if polygon is not None:
                import shapely

                point = shapely.Point(cand.longitude, cand.latitude)
                if shapely.dwithin(polygon, point, _POLYGON_TOLERANCE):
                    return False, ""
                return True, _("result at ({lat:.5f}, {lon:.5f}) lies outside {expected} named "
                               "by the survey").format(lat=cand.latitude, lon=cand.longitude,
                                                       expected=expected_insee)
        expected = [n for n in (self._names.get(expected_insee, ""), commune) if n]
        if cand.cities and expected:
            if any(self._same_name(a, b) for a in expected for b in cand.cities):
                return False, ""
            return True, _("result in {found!r} not in {expected!r} named by the survey").format(
                found=cand.cities[0], expected=expected[0])
        result_postcode = cand.postcode or (cand.citycode[:2] + "000" if cand.citycode else "")
        if postcode and result_postcode:
            if postcode[:2] != result_postcode[:2]:
                return True, _("result in department {found} not in {expected}").format(
                    found=result_postcode[:2], expected=postcode[:2])
            return False, _("commune checked by department only")
        return False, _("commune not checked: the survey names none")

    def _same_name(self, a: str, b: str) -> bool:
        ka, kb = self._key(a), self._key(b)
        if not ka or not kb:
            return False
        if ka == kb:
            return True
        short, long = sorted((ka, kb), key=len)
        # "marseille" vs "marseille arrondissement"; "la seyne" vs "la seyne sur mer"
        return long.startswith(short + " ") or fuzz.ratio(ka, kb) >= 90


# --------------------------------------------------------------------------------------------
# Providers


def _split_url(url: str, setting: str) -> tuple[str, str]:
    """``(scheme, domain)`` as geopy wants them; ``domain`` may carry a path prefix, so a
    self-hosted addok at ``http://host:7878/addok`` is queried at ``.../addok/search``."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(_("{setting}: expected an http(s) URL, got {url!r}").format(
                              setting=setting, url=url))
    return parts.scheme, parts.netloc + parts.path.rstrip("/")


def _adapter_factory() -> Callable[..., Any]:
    # geopy's RequestsAdapter retries twice by default, behind our back; this module owns retries.
    if RequestsAdapter.is_available:
        return partial(RequestsAdapter, max_retries=0)
    return URLLibAdapter


class _RawBAN(BANFrance):
    """BANFrance returning the raw JSON answer: we need ``score``, ``type`` and ``citycode``,
    and a body without ``features`` must read as malformed, not as "no result"."""

    def _parse_json(self, response: Any, exactly_one: bool) -> Any:
        return response


class _RawNominatim(Nominatim):
    """Nominatim returning the raw JSON answer, with the ``email`` its usage policy asks for."""

    def __init__(self, *, email: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._email = email

    def _construct_url(self, base_api: str, params: dict[str, Any]) -> str:
        if self._email:
            params = {**params, "email": self._email}
        return "?".join((base_api, urlencode(params)))

    def _parse_json(self, places: Any, exactly_one: bool) -> Any:
        return places


@dataclass
class _Provider:
    name: str
    url: str
    fetch: Callable[[str], Any]
    candidates: Callable[[Any, str], list[_Candidate]]
    max_query: int | None = None


def _make_provider(settings: Settings) -> _Provider:
    from safi_map.core.version import __version__

    rate = settings.rate
    agent = user_agent(settings, __version__)
    if settings.provider == "ban":
        scheme, domain = _split_url(settings.ban_url, "ban_url")
        ban = _RawBAN(
            domain=domain,
            scheme=scheme,
            timeout=settings.timeout,
            user_agent=agent,
            adapter_factory=_adapter_factory(),
        )
        call: Callable[[str], Any] = partial(ban.geocode, limit=_CANDIDATES, exactly_one=False)
        candidates = _ban_candidates
        max_query: int | None = _BAN_MAX_QUERY
        url = settings.ban_url
    elif settings.provider == "nominatim":
        scheme, domain = _split_url(settings.nominatim_url, "nominatim_url")
        if is_public_nominatim(settings.nominatim_url) and rate > PUBLIC_NOMINATIM_RATE:
            log.info("public Nominatim allows 1 request per second: rate %.3g lowered to 1", rate)
            rate = PUBLIC_NOMINATIM_RATE
        nominatim = _RawNominatim(
            domain=domain,
            scheme=scheme,
            timeout=settings.timeout,
            user_agent=agent,
            email=settings.email,
            adapter_factory=_adapter_factory(),
        )
        call = partial(
            nominatim.geocode,
            exactly_one=False,
            limit=_CANDIDATES,
            addressdetails=True,
            country_codes="fr",
            language="fr",
        )
        candidates = _nominatim_candidates
        max_query = None
        url = settings.nominatim_url
    else:
        raise ConfigError(_("provider: expected 'ban' or 'nominatim', got {provider!r}").format(
                              provider=settings.provider))
    limited = RateLimiter(
        call, min_delay_seconds=1.0 / rate, max_retries=0, swallow_exceptions=False
    )
    return _Provider(settings.provider, url, limited, candidates, max_query)


def _failure_kind(exc: BaseException) -> str:
    """Sort a failed request into one of :data:`FAILURE_KINDS`.

    geopy turns HTTP 503/504 into ``GeocoderTimedOut``; the HTTP status it chains from tells
    them apart from a real timeout.
    """
    cause = exc.__cause__
    if isinstance(cause, AdapterHTTPError):
        if cause.status_code == 429:
            return "http_429"
        if cause.status_code >= 500:
            return "http_5xx"
        return "http_4xx"
    if isinstance(exc, GeocoderRateLimited):
        return "http_429"
    if isinstance(exc, GeocoderTimedOut):
        return "timeout"
    if isinstance(exc, GeocoderUnavailable):
        return "connection"
    if isinstance(exc, GeocoderParseError | _Malformed):
        return "malformed"
    if isinstance(exc, GeocoderServiceError) and "timed out" in str(exc).lower():
        return "timeout"
    return "connection" if isinstance(exc, GeocoderServiceError) else "malformed"


_FAILURE_TEXT = {
    "timeout": N_("timeout"),
    "connection": N_("connection failed"),
    "http_429": N_("HTTP 429 (rate limited)"),
    "http_5xx": N_("server error (HTTP 5xx)"),
    "http_4xx": N_("request refused (HTTP 4xx)"),
    "malformed": N_("malformed answer"),
}


def _online(detail: str, *, commune_only: bool = False) -> str:
    """The ``geocode_reason`` of an online result: ``online: {detail}``."""
    if commune_only:
        return _("online (commune only: no consent to publish the address): {detail}").format(
            detail=detail)
    return _("online: {detail}").format(detail=detail)


class _Asker:
    """Sends one query with retries and backoff; counts requests."""

    def __init__(self, provider: _Provider, policy: RetryPolicy, stats: OnlineStats) -> None:
        self.provider = provider
        self.policy = policy
        self.stats = stats
        self.last_error = ""

    def ask(self, query: str, tries: int) -> tuple[Any, str, int]:
        """``(payload, "", tries used)`` on an answer, ``(None, failure kind, tries used)``
        otherwise; transient faults are retried up to ``tries`` requests in all."""
        kind = "malformed"
        for attempt in range(tries):
            self.stats.requests += 1
            try:
                payload = self.provider.fetch(query)
                self.provider.candidates(payload, query)  # validate before anyone caches it
                return payload, "", attempt + 1
            except (GeopyError, _Malformed) as exc:
                kind = _failure_kind(exc)
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.debug(
                    "%s: %r try %d failed: %s",
                    self.provider.name,
                    query,
                    attempt + 1,
                    self.last_error,
                )
                if kind not in _RETRIED or attempt + 1 == tries:
                    return None, kind, attempt + 1
                wait = self.policy.backoff * 2**attempt
                retry_after = getattr(exc, "retry_after", None)
                if kind == "http_429" and retry_after:
                    wait = max(wait, float(retry_after))
                time.sleep(min(wait, self.policy.max_wait))
        return None, kind, tries  # pragma: no cover - the loop always returns


# --------------------------------------------------------------------------------------------
# The public entry point


@dataclass(frozen=True)
class _Verdict:
    status: str  # accepted | refused_low_score | refused_outside | refused_coarse | no_result
    reason: str  # without the "online: " prefix (see :func:`_online`)
    candidate: _Candidate | None = None


def _judge(
    provider: str,
    found: list[_Candidate],
    *,
    min_score: float,
    check: _CommuneCheck,
    expected_insee: str,
    commune: str,
    postcode: str,
    commune_only: bool = False,
) -> _Verdict:
    """Pick the first candidate (provider order) that scores enough, is not coarser than a
    commune and lies in the expected commune; else say why the best one was refused. For a
    commune-only query, only a commune counts (a street that happens to share its name would
    put the actor in a street it never gave)."""
    if not found:
        return _Verdict("no_result", _("{provider} found no result").format(provider=provider))
    refusals: list[_Verdict] = []
    for cand in found:
        if commune_only and cand.precision not in ("municipality", None):
            continue
        if cand.score < min_score:
            refusals.append(
                _Verdict(
                    "refused_low_score",
                    _("score {score:.2f} < {min_score:g} for {label!r}").format(
                        score=cand.score, min_score=min_score, label=cand.label),
                )
            )
            continue
        if cand.precision is None:
            refusals.append(
                _Verdict(
                    "refused_coarse",
                    _("result {label!r} is coarser than a commune").format(label=cand.label),
                )
            )
            continue
        outside, note = check.outside(cand, expected_insee, commune, postcode)
        if outside:
            refusals.append(_Verdict("refused_outside", f"{note} ({cand.label!r})"))
            continue
        return _Verdict(
            "accepted",
            _("{provider} {precision} {label!r} (score {score:.2f})").format(
                provider=provider, precision=cand.precision, label=cand.label, score=cand.score)
            + (sep() + note if note else ""),
            cand,
        )
    # Report the most telling refusal: a good match in the wrong place beats a poor match.
    for status in ("refused_outside", "refused_coarse", "refused_low_score"):
        for verdict in refusals:
            if verdict.status == status:
                return verdict
    return _Verdict("no_result",  # pragma: no cover
                    _("{provider} found no usable result").format(provider=provider))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[name].map(lambda v: v.strip() if isinstance(v, str) else "")


def _without_consent(frame: pd.DataFrame) -> list[bool]:
    """Rows whose address may not be sent: ``contact_consent`` present and not true."""
    if "contact_consent" not in frame.columns:
        return [False] * len(frame)
    from safi_map.core.normalize import parse_bool

    def consented(value: object) -> bool:
        if isinstance(value, str):  # a raw cell (``safi-map geocode`` on a survey)
            return parse_bool(value)[0] is True
        if value is None or (isinstance(value, float) and value != value):
            return False
        return bool(value)

    return [not consented(value) for value in frame["contact_consent"].tolist()]


def geocode_online(
    frame: pd.DataFrame,
    *,
    settings: Settings,
    expected_insee: pd.Series | None = None,
    refresh: bool = False,
    progress: Callable[[int, int], None] | None = None,
    policy: RetryPolicy | None = None,
) -> tuple[pd.DataFrame, OnlineStats]:
    """Geocode the rows of ``frame`` that have an address with ``settings.provider``.

    ``settings.online`` is not consulted: the caller decides whether to go online.

    Online geocoding never sends what the actor did not allow to be published: for a row whose
    ``contact_consent`` is not true, the query is the postcode and the commune only
    (:func:`build_commune_query`), never the street address, and only a commune is accepted
    from the answer. A frame without a ``contact_consent`` column (``safi-map geocode`` on a
    plain address list) sends every address.

    Parameters
    ----------
    frame
        Rows with columns ``address``, ``postcode``, ``commune_input`` and optionally
        ``contact_consent`` (a missing column reads as empty). Rows without an address are not
        looked up.
    settings
        ``provider``, ``ban_url``/``nominatim_url``, ``user_agent`` and ``contact`` (the
        User-Agent, see :mod:`safi_map.geo.usage_policy`), ``email``, ``min_score``,
        ``timeout``, ``rate`` (requests per second) and ``cache`` are used.
    expected_insee
        The INSEE code of the commune the survey names, per row (the offline result), aligned on
        ``frame.index``; results in another commune are refused. Empty or missing: the check
        falls back to the survey's commune name, then to its postcode's department.
    refresh
        Ask the service again even for queries in the cache (and update the cache). The cache
        is keyed by provider name, not URL: after pointing ``ban_url`` at another addok, refresh.
    progress
        Called as ``progress(done, total)`` after each row with an address.
    policy
        Retries and the "unreachable" threshold; the defaults suit the public services.

    Returns
    -------
    (DataFrame, OnlineStats)
        A frame on ``frame.index`` with :data:`OUTPUT_COLUMNS`: accepted rows have
        coordinates, a precision in :data:`PRECISIONS`, the provider as ``geocode_source``,
        its score and (BAN) the INSEE code of the result; every other row has NaN coordinates,
        precision and source ``none``, NaN score, empty INSEE code and a ``geocode_reason``
        starting with ``online:``, and should keep its offline result.
    """
    policy = policy or RetryPolicy()
    provider = _make_provider(settings)
    stats = OnlineStats(provider=provider.name)
    index = frame.index
    commune_only = _without_consent(frame)
    queries = [
        (build_commune_query(p, c) if a.strip() else "") if private else build_query(a, p, c)
        for a, p, c, private in zip(
            _column(frame, "address"),
            _column(frame, "postcode"),
            _column(frame, "commune_input"),
            commune_only,
            strict=True,
        )
    ]
    postcodes = list(_column(frame, "postcode"))
    communes = list(_column(frame, "commune_input"))
    if expected_insee is None:
        expected = [""] * len(index)
    else:
        aligned = expected_insee.reindex(index)
        expected = [v.strip() if isinstance(v, str) else "" for v in aligned]

    n = len(index)
    latitude = [math.nan] * n
    longitude = [math.nan] * n
    precision = ["none"] * n
    source = ["none"] * n
    score = [math.nan] * n
    insee = [""] * n
    reason = [_online(_("not asked, no consent to send the address and no commune"))
              if private and not q and a.strip() else _online(_("no address"))
              for private, q, a in zip(commune_only, queries, _column(frame, "address"),
                                       strict=True)]

    todo = [i for i, q in enumerate(queries) if q]
    stats.rows = len(todo)
    stats.skipped = n - len(todo)
    asker = _Asker(provider, policy, stats)
    check = _CommuneCheck()
    answered: dict[str, Any] = {}  # this run's answers, so refresh asks each query once
    failures_in_a_row = 0
    log.info(
        "online geocoding: %d rows with an address, provider %s at %s",
        len(todo),
        provider.name,
        provider.url,
    )

    with GeoCache(settings.cache) as cache:
        for done, i in enumerate(todo, start=1):
            query = queries[i]
            key = normalize_query(query)
            payload = answered.get(key)
            if payload is None and not refresh:
                payload = cache.get(provider.name, query)
                if payload is not None:
                    try:
                        provider.candidates(payload, query)
                    except _Malformed:
                        log.debug("cache entry for %r unreadable: asking again", query)
                        payload = None
            if payload is not None:
                stats.cache_hits += 1
            elif provider.max_query and len(query) > provider.max_query:
                stats.failed["http_4xx"] += 1
                reason[i] = _online(_("address too long for {provider} (> {n} characters), not "
                                      "asked").format(provider=provider.name,
                                                      n=provider.max_query))
            elif stats.unreachable:
                stats.not_asked += 1
                reason[i] = _online(_("not asked, {provider} unreachable").format(
                    provider=provider.name))
            else:
                stats.queried += 1
                # Retries are for blips: while rows keep failing, one request per row is
                # enough to tell whether the service is back.
                payload, kind, tries = asker.ask(
                    query, policy.tries if failures_in_a_row == 0 else 1
                )
                if payload is None:
                    stats.failed[kind] += 1
                    failures_in_a_row += 1
                    reason[i] = _online(ngettext("{failure} after {n} try",
                                                 "{failure} after {n} tries", tries).format(
                        failure=_(_FAILURE_TEXT[kind]), n=tries))
                    if failures_in_a_row >= policy.unreachable_after:
                        stats.unreachable = True
                        log.warning(
                            _("online geocoding: %s at %s failed for %d rows in a row (last: %s); "
                            "not asking it again in this run: the %d remaining rows keep their "
                            "offline result unless cached"),
                            provider.name,
                            provider.url,
                            failures_in_a_row,
                            asker.last_error,
                            len(todo) - done,
                        )
                else:
                    failures_in_a_row = 0
                    cache.put(provider.name, query, payload)
            if payload is not None:
                answered[key] = payload
                verdict = _judge(
                    provider.name,
                    provider.candidates(payload, query),
                    min_score=settings.min_score,
                    check=check,
                    expected_insee=expected[i],
                    commune=communes[i],
                    postcode=postcodes[i],
                    commune_only=commune_only[i],
                )
                setattr(stats, verdict.status, getattr(stats, verdict.status) + 1)
                reason[i] = _online(verdict.reason, commune_only=commune_only[i])
                cand = verdict.candidate
                if cand is not None:
                    latitude[i], longitude[i] = cand.latitude, cand.longitude
                    precision[i] = cand.precision or "none"
                    source[i] = provider.name
                    score[i] = cand.score
                    insee[i] = cand.citycode
            if progress is not None:
                progress(done, len(todo))

    log.info(
        "online geocoding: %d accepted, %d cache hits, %d refused, %d no result, %d failed%s",
        stats.accepted,
        stats.cache_hits,
        stats.refused_low_score + stats.refused_outside + stats.refused_coarse,
        stats.no_result,
        stats.failed_total,
        ", service unreachable" if stats.unreachable else "",
    )
    result = pd.DataFrame(
        {
            "latitude": pd.Series(latitude, index=index, dtype="float64"),
            "longitude": pd.Series(longitude, index=index, dtype="float64"),
            "geocode_precision": pd.Series(precision, index=index),
            "geocode_source": pd.Series(source, index=index),
            "geocode_score": pd.Series(score, index=index, dtype="float64"),
            "insee_code": pd.Series(insee, index=index),
            "geocode_reason": pd.Series(reason, index=index),
        },
        index=index,
    )
    return result, stats

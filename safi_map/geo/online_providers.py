"""Asking the online services: the provider made from the settings (BAN or Nominatim through
geopy, rate-limited, with the User-Agent their usage policies ask for), retries with backoff for
transient faults, and the counts of what happened (:class:`OnlineStats`)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlencode, urlsplit

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

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import N_, _
from safi_map.core.settings import Settings
from safi_map.geo.online_candidates import (
    Candidate,
    Malformed,
    ban_candidates,
    nominatim_candidates,
)
from safi_map.geo.usage_policy import PUBLIC_NOMINATIM_RATE, is_public_nominatim, user_agent

__all__ = ["FAILURE_KINDS", "FAILURE_TEXT", "Asker", "OnlineStats", "Provider", "RetryPolicy",
           "make_provider", "online_reason"]

log = logging.getLogger(__name__)

#: Kinds of failure counted in :attr:`OnlineStats.failed`.
FAILURE_KINDS: tuple[str, ...] = (
    "timeout",
    "connection",
    "http_429",
    "http_5xx",
    "http_4xx",
    "malformed",
)
# Transient faults: asking again after a pause may succeed.
_RETRIED = frozenset({"timeout", "http_429", "http_5xx"})
_CANDIDATES = 5  # results asked per query: the best one may lie in another commune
_BAN_MAX_QUERY = 200  # addok refuses longer queries with HTTP 400


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
class Provider:
    name: str
    url: str
    fetch: Callable[[str], Any]
    candidates: Callable[[Any, str], list[Candidate]]
    max_query: int | None = None


def make_provider(settings: Settings) -> Provider:
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
        candidates = ban_candidates
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
        candidates = nominatim_candidates
        max_query = None
        url = settings.nominatim_url
    else:
        raise ConfigError(_("provider: expected 'ban' or 'nominatim', got {provider!r}").format(
                              provider=settings.provider))
    limited = RateLimiter(
        call, min_delay_seconds=1.0 / rate, max_retries=0, swallow_exceptions=False
    )
    return Provider(settings.provider, url, limited, candidates, max_query)


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
    if isinstance(exc, GeocoderParseError | Malformed):
        return "malformed"
    if isinstance(exc, GeocoderServiceError) and "timed out" in str(exc).lower():
        return "timeout"
    return "connection" if isinstance(exc, GeocoderServiceError) else "malformed"


FAILURE_TEXT = {
    "timeout": N_("timeout"),
    "connection": N_("connection failed"),
    "http_429": N_("HTTP 429 (rate limited)"),
    "http_5xx": N_("server error (HTTP 5xx)"),
    "http_4xx": N_("request refused (HTTP 4xx)"),
    "malformed": N_("malformed answer"),
}


def online_reason(detail: str, *, commune_only: bool = False) -> str:
    """The ``geocode_reason`` of an online result: ``online: {detail}``."""
    if commune_only:
        return _("online (commune only: no consent to publish the address): {detail}").format(
            detail=detail)
    return _("online: {detail}").format(detail=detail)


class Asker:
    """Sends one query with retries and backoff; counts requests."""

    def __init__(self, provider: Provider, policy: RetryPolicy, stats: OnlineStats) -> None:
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
            except (GeopyError, Malformed) as exc:
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

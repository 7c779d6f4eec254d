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

Nominatim has no match score and no INSEE code, so they are derived (see
:func:`~safi_map.geo.online_candidates.nominatim_candidates`): precision from
``place_rank``/``class``/``type``/``addresstype``, score from the text similarity between the
query and the address Nominatim returns, commune check from the commune polygons of the
gazetteer (PACA) or the commune names.

The parts: :mod:`~safi_map.geo.online_candidates` (queries, answers),
:mod:`~safi_map.geo.online_check` (the commune check, which candidate is accepted),
:mod:`~safi_map.geo.online_providers` (the services, retries, counts).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import pandas as pd

from safi_map.core.i18n import _, ngettext
from safi_map.core.settings import Settings
from safi_map.geo.cache import GeoCache, normalize_query
from safi_map.geo.online_candidates import (
    PRECISIONS,
    Malformed,
    build_commune_query,
    build_query,
)
from safi_map.geo.online_check import CommuneCheck, judge
from safi_map.geo.online_providers import (
    FAILURE_KINDS,
    FAILURE_TEXT,
    Asker,
    OnlineStats,
    Provider,
    RetryPolicy,
    make_provider,
    online_reason,
)

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
    commune_check: CommuneCheck | None = None,
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
    commune_check
        How a result is checked to lie in the expected commune (default: with the gazetteer's
        names and PACA commune polygons).

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
    provider = make_provider(settings)
    stats = OnlineStats(provider=provider.name)
    rows = _Rows(frame, expected_insee)
    out = _Results(rows)
    todo = [i for i, q in enumerate(rows.queries) if q]
    stats.rows = len(todo)
    stats.skipped = len(rows.queries) - len(todo)
    log.info("online geocoding: %d rows with an address, provider %s at %s", len(todo),
             provider.name, provider.url)
    session = _Session(provider, policy, stats, refresh=refresh)
    check = commune_check or CommuneCheck()
    with GeoCache(settings.cache) as cache:
        for done, i in enumerate(todo, start=1):
            payload, failure = session.answer(rows.queries[i], cache, remaining=len(todo) - done)
            if payload is None:
                out.reason[i] = online_reason(failure)
            else:
                verdict = judge(provider.name, provider.candidates(payload, rows.queries[i]),
                                min_score=settings.min_score, check=check,
                                expected_insee=rows.expected[i], commune=rows.communes[i],
                                postcode=rows.postcodes[i], commune_only=rows.commune_only[i])
                setattr(stats, verdict.status, getattr(stats, verdict.status) + 1)
                out.take(i, verdict, provider.name, commune_only=rows.commune_only[i])
            if progress is not None:
                progress(done, len(todo))
    log.info(
        "online geocoding: %d accepted, %d cache hits, %d refused, %d no result, %d failed%s",
        stats.accepted, stats.cache_hits,
        stats.refused_low_score + stats.refused_outside + stats.refused_coarse,
        stats.no_result, stats.failed_total, ", service unreachable" if stats.unreachable else "",
    )
    return out.frame(frame.index), stats


class _Rows:
    """What is asked for each row: the query (the commune only without consent), and what the
    answer is checked against."""

    def __init__(self, frame: pd.DataFrame, expected_insee: pd.Series | None) -> None:
        self.commune_only = _without_consent(frame)
        self.addresses = list(_column(frame, "address"))
        self.postcodes = list(_column(frame, "postcode"))
        self.communes = list(_column(frame, "commune_input"))
        self.queries = [
            (build_commune_query(p, c) if a.strip() else "") if private
            else build_query(a, p, c)
            for a, p, c, private in zip(self.addresses, self.postcodes, self.communes,
                                        self.commune_only, strict=True)
        ]
        if expected_insee is None:
            self.expected = [""] * len(frame)
        else:
            aligned = expected_insee.reindex(frame.index)
            self.expected = [v.strip() if isinstance(v, str) else "" for v in aligned]


class _Results:
    """The output columns, row by row: "not asked" until an answer is accepted."""

    def __init__(self, rows: _Rows) -> None:
        n = len(rows.queries)
        self.latitude = [math.nan] * n
        self.longitude = [math.nan] * n
        self.precision = ["none"] * n
        self.source = ["none"] * n
        self.score = [math.nan] * n
        self.insee = [""] * n
        self.reason = [
            online_reason(_("not asked, no consent to send the address and no commune"))
            if private and not q and a.strip() else online_reason(_("no address"))
            for private, q, a in zip(rows.commune_only, rows.queries, rows.addresses, strict=True)
        ]

    def take(self, i: int, verdict: Any, provider: str, *, commune_only: bool) -> None:
        self.reason[i] = online_reason(verdict.reason, commune_only=commune_only)
        cand = verdict.candidate
        if cand is not None:
            self.latitude[i], self.longitude[i] = cand.latitude, cand.longitude
            self.precision[i] = cand.precision or "none"
            self.source[i] = provider
            self.score[i] = cand.score
            self.insee[i] = cand.citycode

    def frame(self, index: pd.Index) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "latitude": pd.Series(self.latitude, index=index, dtype="float64"),
                "longitude": pd.Series(self.longitude, index=index, dtype="float64"),
                "geocode_precision": pd.Series(self.precision, index=index),
                "geocode_source": pd.Series(self.source, index=index),
                "geocode_score": pd.Series(self.score, index=index, dtype="float64"),
                "insee_code": pd.Series(self.insee, index=index),
                "geocode_reason": pd.Series(self.reason, index=index),
            },
            index=index,
        )


class _Session:
    """One run's answers: from this run, then the cache, then the service (with retries),
    until the service is found unreachable."""

    def __init__(self, provider: Provider, policy: RetryPolicy, stats: OnlineStats, *,
                 refresh: bool) -> None:
        self.provider = provider
        self.policy = policy
        self.stats = stats
        self.refresh = refresh
        self.asker = Asker(provider, policy, stats)
        self.answered: dict[str, Any] = {}  # this run's answers, so refresh asks each once
        self.failures_in_a_row = 0

    def answer(self, query: str, cache: GeoCache, *, remaining: int) -> tuple[Any, str]:
        """``(payload, "")``, or ``(None, why not)`` when there is no answer to judge."""
        key = normalize_query(query)
        payload = self.answered.get(key)
        if payload is None and not self.refresh:
            payload = self._cached(query, cache)
        stats, provider = self.stats, self.provider
        if payload is not None:
            stats.cache_hits += 1
        elif provider.max_query and len(query) > provider.max_query:
            stats.failed["http_4xx"] += 1
            return None, _("address too long for {provider} (> {n} characters), not "
                           "asked").format(provider=provider.name, n=provider.max_query)
        elif stats.unreachable:
            stats.not_asked += 1
            return None, _("not asked, {provider} unreachable").format(provider=provider.name)
        else:
            payload, failure = self._ask(query, cache, remaining=remaining)
            if payload is None:
                return None, failure
        self.answered[key] = payload
        return payload, ""

    def _cached(self, query: str, cache: GeoCache) -> Any:
        payload = cache.get(self.provider.name, query)
        if payload is not None:
            try:
                self.provider.candidates(payload, query)
            except Malformed:
                log.debug("cache entry for %r unreadable: asking again", query)
                return None
        return payload

    def _ask(self, query: str, cache: GeoCache, *, remaining: int) -> tuple[Any, str]:
        self.stats.queried += 1
        # Retries are for blips: while rows keep failing, one request per row is enough to
        # tell whether the service is back.
        payload, kind, tries = self.asker.ask(
            query, self.policy.tries if self.failures_in_a_row == 0 else 1)
        if payload is not None:
            self.failures_in_a_row = 0
            cache.put(self.provider.name, query, payload)
            return payload, ""
        self.stats.failed[kind] += 1
        self.failures_in_a_row += 1
        if self.failures_in_a_row >= self.policy.unreachable_after:
            self.stats.unreachable = True
            log.warning(
                _("online geocoding: %s at %s failed for %d rows in a row (last: %s); "
                  "not asking it again in this run: the %d remaining rows keep their "
                  "offline result unless cached"),
                self.provider.name, self.provider.url, self.failures_in_a_row,
                self.asker.last_error, remaining,
            )
        return None, ngettext("{failure} after {n} try", "{failure} after {n} tries",
                              tries).format(failure=_(FAILURE_TEXT[kind]), n=tries)

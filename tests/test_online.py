"""Online geocoding against a local BAN/Nominatim stand-in (tests/_geoserver.py): no network.

Timeouts are 0.2 s and backoffs 0.01 s so that every fault case stays short.
"""

from __future__ import annotations

import itertools
import json
import math
import socket
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from _geoserver import DATA, GeoServer, Reply, closed_port
from hypothesis import given
from hypothesis import strategies as st

from safi_map import __version__
from safi_map.core.errors import ConfigError
from safi_map.core.settings import Settings
from safi_map.geo.cache import GeoCache, normalize_query
from safi_map.geo.online import (
    OUTPUT_COLUMNS,
    OnlineStats,
    RetryPolicy,
    build_query,
    geocode_online,
)
from safi_map.geo.online_candidates import nominatim_precision

FAST = RetryPolicy(tries=3, backoff=0.01, max_wait=0.05, unreachable_after=3)

# (address, postcode, commune_input, INSEE code the offline geocoder would give)
TOULON = ("8 Boulevard de Strasbourg", "83000", "Toulon", "83137")
MARSEILLE = ("285 Avenue du Prado", "13008", "Marseille", "13055")
DIGNE = ("2 Boulevard Gassendi", "04000", "Digne-les-Bains", "04070")
HYERES_STREET = ("Avenue Ambroise Thomas", "83000", "Toulon", "83137")
LOW_SCORE = ("Rue des Mimosas", "04000", "Digne-les-Bains", "04070")
SECOND = ("Place du Général de Gaulle", "04000", "Digne-les-Bains", "04070")
UNKNOWN = ("Impasse Introuvable", "83000", "Toulon", "83137")


def recorded(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def rows(*specs: tuple[str, str, str, str]) -> tuple[pd.DataFrame, pd.Series]:
    index = [f"r{i}" for i in range(len(specs))]
    frame = pd.DataFrame(
        {
            "address": [s[0] for s in specs],
            "postcode": [s[1] for s in specs],
            "commune_input": [s[2] for s in specs],
        },
        index=index,
    )
    return frame, pd.Series([s[3] for s in specs], index=index)


@pytest.fixture
def server():
    with GeoServer() as srv:
        yield srv


def settings_for(server: GeoServer, tmp_path: Path, **changes) -> Settings:
    base = Settings(
        provider="ban",
        ban_url=server.url("ban"),
        nominatim_url=server.url("nominatim"),
        user_agent="safi-map-tests",
        timeout=0.2,
        rate=200.0,
        min_score=0.5,
        cache=tmp_path / "cache" / "geocode.sqlite",
    )
    return base.with_(**changes)


def run(server, tmp_path, specs, *, policy=FAST, expected=True, refresh=False,
        commune_check=None, **changes):
    frame, insee = rows(*specs)
    return geocode_online(
        frame,
        settings=settings_for(server, tmp_path, **changes),
        expected_insee=insee if expected else None,
        refresh=refresh,
        policy=policy,
        commune_check=commune_check,
    )


# --------------------------------------------------------------------------------------------
# BAN


def test_ban_accepts_addresses_with_their_type_score_and_citycode(server, tmp_path):
    out, stats = run(server, tmp_path, [TOULON, MARSEILLE, DIGNE])
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert list(out.index) == ["r0", "r1", "r2"]
    for row, name in zip(
        out.itertuples(),
        [
            "ban-toulon-housenumber.json",
            "ban-marseille-8e-housenumber.json",
            "ban-digne-housenumber.json",
        ],
        strict=True,
    ):
        best = recorded(name)["response"]["features"][0]
        lon, lat = best["geometry"]["coordinates"]
        assert (row.latitude, row.longitude) == (lat, lon)
        assert row.geocode_precision == best["properties"]["type"] == "housenumber"
        assert row.geocode_score == best["properties"]["score"]
        assert row.insee_code == best["properties"]["citycode"]
        assert row.geocode_source == "ban"
        assert row.geocode_reason.startswith("online: ban housenumber")
    # Marseille: BAN answers with the arrondissement (13208), the survey named the city (13055).
    assert out.loc["r1", "insee_code"] == "13208"
    assert stats.accepted == 3 and stats.queried == 3 and stats.requests == 3
    assert stats.failed_total == 0 and not stats.unreachable


def test_ban_request_uses_the_configured_base_url_and_asks_several_candidates(server, tmp_path):
    run(server, tmp_path, [TOULON])
    (request,) = server.requests
    assert request.path == "/ban/search"  # the path prefix of ban_url is kept (self-hosted addok)
    assert request.params == {"q": "8 Boulevard de Strasbourg 83000 Toulon", "limit": "5"}
    assert request.headers["User-Agent"] == f"safi-map-tests/{__version__}"


def test_low_score_and_other_commune_are_refused_with_a_reason(server, tmp_path):
    out, stats = run(server, tmp_path, [LOW_SCORE, HYERES_STREET])
    assert out["latitude"].isna().all() and out["longitude"].isna().all()
    assert (out["geocode_precision"] == "none").all()
    assert (out["geocode_source"] == "none").all()
    assert out["geocode_score"].isna().all()
    assert "score 0.32 < 0.5" in out.loc["r0", "geocode_reason"]
    assert "result in 83069 not in 83137 named by the survey" in out.loc["r1", "geocode_reason"]
    assert stats.refused_low_score == 1 and stats.refused_outside == 1 and stats.accepted == 0


def test_min_score_is_the_threshold(server, tmp_path):
    out, stats = run(server, tmp_path, [LOW_SCORE], min_score=0.3)
    assert out.loc["r0", "geocode_precision"] == "municipality"
    assert stats.accepted == 1


def test_first_candidate_in_the_named_commune_is_taken(server, tmp_path):
    out, _ = run(server, tmp_path, [SECOND])
    second = recorded("ban-digne-second-candidate.json")["response"]["features"][1]
    assert out.loc["r0", "insee_code"] == second["properties"]["citycode"] == "04070"
    assert out.loc["r0", "geocode_score"] == second["properties"]["score"]
    assert out.loc["r0", "geocode_precision"] == "street"


def test_without_expected_insee_the_commune_name_is_checked(server, tmp_path):
    out, stats = run(server, tmp_path, [TOULON, HYERES_STREET], expected=False)
    assert out.loc["r0", "geocode_precision"] == "housenumber"
    assert "'Hyères' not in 'Toulon'" in out.loc["r1", "geocode_reason"]
    assert stats.refused_outside == 1


def test_rows_without_address_are_not_queried(server, tmp_path):
    calls = []
    frame = pd.DataFrame(
        {
            "address": ["", "8 Boulevard de Strasbourg", "   "],
            "postcode": ["83000"] * 3,
            "commune_input": ["Toulon"] * 3,
        },
        index=[10, 20, 30],
    )
    out, stats = geocode_online(
        frame,
        settings=settings_for(server, tmp_path),
        policy=FAST,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert len(server.requests) == 1
    assert out.loc[10, "geocode_reason"] == out.loc[30, "geocode_reason"] == "online: no address"
    assert math.isnan(out.loc[10, "latitude"])
    assert out.loc[20, "geocode_precision"] == "housenumber"
    assert (stats.rows, stats.skipped) == (1, 2)
    assert calls == [(1, 1)]


def test_no_result(server, tmp_path):
    out, stats = run(server, tmp_path, [UNKNOWN])
    assert out.loc["r0", "geocode_reason"] == "online: ban found no result"
    assert stats.no_result == 1


def test_progress_is_called_after_each_row(server, tmp_path):
    frame, insee = rows(TOULON, DIGNE, UNKNOWN)
    calls = []
    geocode_online(
        frame,
        settings=settings_for(server, tmp_path),
        expected_insee=insee,
        policy=FAST,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(1, 3), (2, 3), (3, 3)]


# --------------------------------------------------------------------------------------------
# Cache


def test_second_run_is_served_from_cache_without_requests(server, tmp_path):
    specs = [TOULON, LOW_SCORE, UNKNOWN]
    first, stats1 = run(server, tmp_path, specs)
    assert len(server.requests) == 3 and stats1.cache_hits == 0
    second, stats2 = run(server, tmp_path, specs)
    assert len(server.requests) == 3  # "no result" answers are cached too
    assert stats2.cache_hits == 3 and stats2.queried == 0
    # Same output whether the answer came from the network or the cache.
    pd.testing.assert_frame_equal(first, second)


def test_same_query_twice_in_one_run_is_asked_once(server, tmp_path):
    out, stats = run(server, tmp_path, [TOULON, TOULON], refresh=True)
    assert len(server.requests) == 1
    assert stats.cache_hits == 1
    assert out.loc["r0", "latitude"] == out.loc["r1", "latitude"]


def test_refresh_asks_again_and_updates_the_cache(server, tmp_path):
    run(server, tmp_path, [TOULON])
    frame, insee = rows(TOULON)
    moved = recorded("ban-toulon-housenumber.json")["response"]
    moved["features"][0]["geometry"]["coordinates"] = [5.93, 43.12]
    server.script("ban", "8 Boulevard de Strasbourg 83000 Toulon", Reply(body=moved))
    settings = settings_for(server, tmp_path)
    out, stats = geocode_online(
        frame, settings=settings, expected_insee=insee, refresh=True, policy=FAST
    )
    assert len(server.requests) == 2 and stats.cache_hits == 0
    assert out.loc["r0", "latitude"] == 43.12
    out, _ = geocode_online(frame, settings=settings, expected_insee=insee, policy=FAST)
    assert len(server.requests) == 2 and out.loc["r0", "latitude"] == 43.12


def test_min_score_applies_to_cached_answers(server, tmp_path):
    run(server, tmp_path, [LOW_SCORE])
    out, stats = run(server, tmp_path, [LOW_SCORE], min_score=0.3)
    assert len(server.requests) == 1 and stats.cache_hits == 1
    assert out.loc["r0", "geocode_precision"] == "municipality"


def test_cache_is_keyed_by_provider(server, tmp_path):
    run(server, tmp_path, [TOULON])
    out, stats = run(server, tmp_path, [TOULON], provider="nominatim")
    assert stats.cache_hits == 0
    assert len(server.requests_for("nominatim")) == 1
    assert out.loc["r0", "geocode_source"] == "nominatim"


def test_geocache_open_twice_parent_created_and_deterministic(tmp_path):
    path = tmp_path / "deep" / "er" / "cache.sqlite"
    with GeoCache(path) as one, GeoCache(path) as two:
        assert one.get("ban", "x") is None
        one.put("ban", "  8 Bd  de Strasbourg ", {"b": 1, "a": [1, 2]})
        assert two.get("ban", "8 bd de strasbourg") == {"a": [1, 2], "b": 1}
        two.put("ban", "8 BD DE STRASBOURG", {"a": 3})  # same key, replaced
        assert one.get("ban", "8 bd de strasbourg") == {"a": 3}
        assert one.get("nominatim", "8 bd de strasbourg") is None
        assert len(one) == 1
        with pytest.raises(ValueError):
            one.put("ban", "y", None)
    other = tmp_path / "other.sqlite"
    with GeoCache(other) as cache:
        cache.put("ban", "8 BD DE STRASBOURG", {"a": 3})

    def dump(p):
        with sqlite3.connect(p) as conn:
            return conn.execute("SELECT * FROM answers ORDER BY provider, query").fetchall()

    assert dump(path) == dump(other) == [("ban", "8 bd de strasbourg", '{"a":3}')]
    assert normalize_query(" A\tb\n c ") == "a b c"


def test_unreadable_cache_entry_is_asked_again(server, tmp_path):
    settings = settings_for(server, tmp_path)
    with GeoCache(settings.cache) as cache:
        cache.put("ban", "8 Boulevard de Strasbourg 83000 Toulon", {"not": "a FeatureCollection"})
    out, stats = run(server, tmp_path, [TOULON])
    assert len(server.requests) == 1 and stats.cache_hits == 0
    assert out.loc["r0", "geocode_precision"] == "housenumber"


# --------------------------------------------------------------------------------------------
# Faults


def test_http_429_then_success_is_retried(server, tmp_path):
    query = "8 Boulevard de Strasbourg 83000 Toulon"
    server.script("ban", query, Reply(status=429, body={"code": 429}), Reply())
    out, stats = run(server, tmp_path, [TOULON])
    assert len(server.requests_for("ban", query)) == 2
    assert out.loc["r0", "geocode_precision"] == "housenumber"
    assert stats.accepted == 1 and stats.failed_total == 0 and stats.requests == 2


def test_http_500_is_retried_then_recorded_and_not_cached(server, tmp_path):
    query = "8 Boulevard de Strasbourg 83000 Toulon"
    server.script("ban", query, Reply(status=500, body={"code": 500, "message": "boom"}))
    out, stats = run(server, tmp_path, [TOULON, DIGNE])
    assert len(server.requests_for("ban", query)) == FAST.tries
    assert out.loc["r0", "geocode_reason"] == "online: server error (HTTP 5xx) after 3 tries"
    assert math.isnan(out.loc["r0", "latitude"]) and out.loc["r0", "geocode_precision"] == "none"
    assert out.loc["r1", "geocode_precision"] == "housenumber"  # the run went on
    assert stats.failed["http_5xx"] == 1 and stats.accepted == 1
    server.script("ban", query, Reply())
    out, stats = run(server, tmp_path, [TOULON])
    assert stats.cache_hits == 0 and out.loc["r0", "geocode_precision"] == "housenumber"


def test_timeout_is_retried_then_recorded(server, tmp_path):
    query = "8 Boulevard de Strasbourg 83000 Toulon"
    server.script("ban", query, Reply(delay=0.6))
    out, stats = run(server, tmp_path, [TOULON, DIGNE])
    assert len(server.requests_for("ban", query)) == FAST.tries
    assert out.loc["r0", "geocode_reason"] == "online: timeout after 3 tries"
    assert stats.failed["timeout"] == 1
    assert out.loc["r1", "geocode_precision"] == "housenumber"


@pytest.mark.parametrize(
    "body",
    [b"<html><body>502 Bad Gateway</body></html>", {"type": "FeatureCollection"}, [1, 2]],
    ids=["html", "no-features", "list"],
)
def test_malformed_body_is_recorded_not_retried_not_cached(server, tmp_path, body):
    query = "8 Boulevard de Strasbourg 83000 Toulon"
    server.script("ban", query, Reply(body=body))
    out, stats = run(server, tmp_path, [TOULON])
    assert len(server.requests) == 1
    assert out.loc["r0", "geocode_reason"] == "online: malformed answer after 1 try"
    assert stats.failed["malformed"] == 1
    server.script("ban", query, Reply())
    _, stats = run(server, tmp_path, [TOULON])
    assert stats.cache_hits == 0 and stats.accepted == 1


def test_refused_connection_stops_early_and_keeps_every_row(server, tmp_path):
    port = closed_port()
    specs = [TOULON, DIGNE, MARSEILLE, LOW_SCORE, HYERES_STREET, SECOND, UNKNOWN]
    # One answer already cached: it is still used once the service is declared unreachable.
    settings = settings_for(server, tmp_path, ban_url=f"http://127.0.0.1:{port}")
    with GeoCache(settings.cache) as cache:
        cache.put(
            "ban", build_query(*SECOND[:3]), recorded("ban-digne-second-candidate.json")["response"]
        )
    frame, insee = rows(*specs)
    calls = []
    out, stats = geocode_online(
        frame,
        settings=settings,
        expected_insee=insee,
        policy=FAST,
        progress=lambda d, t: calls.append(d),
    )
    assert list(out.index) == list(frame.index)
    assert stats.unreachable
    assert stats.failed["connection"] == FAST.unreachable_after == 3
    assert stats.requests == 3  # a refused connection is not retried within the row
    assert stats.cache_hits == 1 and stats.accepted == 1
    assert stats.not_asked == 3
    assert out["geocode_reason"].tolist()[:3] == ["online: connection failed after 1 try"] * 3
    assert out.loc["r3", "geocode_reason"] == "online: not asked, ban unreachable"
    assert out.loc["r5", "geocode_precision"] == "street"
    assert calls == list(range(1, len(specs) + 1))


def test_repeated_server_errors_also_stop_the_run(server, tmp_path):
    for spec in (TOULON, DIGNE, MARSEILLE):
        server.script("ban", build_query(*spec[:3]), Reply(status=503))
    out, stats = run(server, tmp_path, [TOULON, DIGNE, MARSEILLE, LOW_SCORE, SECOND])
    assert stats.unreachable and stats.failed["http_5xx"] == 3 and stats.not_asked == 2
    # The first row is retried; while the failures go on, one request per row.
    assert len(server.requests) == FAST.tries + 2
    assert out["latitude"].isna().all()


def test_a_success_resets_the_failure_count(server, tmp_path):
    for spec in (TOULON, MARSEILLE, LOW_SCORE, SECOND):
        server.script("ban", build_query(*spec[:3]), Reply(status=500))
    _, stats = run(server, tmp_path, [TOULON, MARSEILLE, DIGNE, LOW_SCORE, SECOND])
    assert not stats.unreachable and stats.failed["http_5xx"] == 4 and stats.accepted == 1
    # Toulon retried (3), Marseille and Digne in a failure streak (1 + 1), Digne's answer ends
    # the streak so the next failure is retried again (3), then one request (1).
    assert stats.requests == len(server.requests) == 9


def test_dns_failure_counts_as_connection_failure(server, tmp_path, monkeypatch):
    real = socket.getaddrinfo

    def fake(host, *args, **kwargs):
        if host == "ban.example.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    out, stats = run(server, tmp_path, [TOULON], ban_url="https://ban.example.invalid")
    assert stats.failed["connection"] == 1
    assert out.loc["r0", "geocode_reason"] == "online: connection failed after 1 try"


def test_rate_limiter_spaces_requests(server, tmp_path):
    rate = 4.0  # at most one request every 0.25 s
    # a generous timeout: on a loaded machine a slow answer must not be retried (a 5th request)
    run(server, tmp_path, [TOULON, DIGNE, MARSEILLE, LOW_SCORE], rate=rate, timeout=5.0)
    times = [r.time for r in server.requests]
    assert len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # Lower bounds, not timing targets: the limiter spaces the *starts* of requests on the
    # client; the server sees them shifted by each request's latency, which varies with the
    # machine's load (a slow first request shortens the next gap). Over the three gaps the
    # shifts cancel out but for the first and last latencies, hence the allowance. Without the
    # limiter the whole run takes ~10 ms and every gap ~3 ms.
    assert times[-1] - times[0] >= (len(times) - 1) / rate - 0.15, gaps
    assert min(gaps) >= 0.05, gaps


def test_bad_url_is_a_config_error(tmp_path):
    settings = Settings(ban_url="api-adresse.data.gouv.fr", cache=tmp_path / "c.sqlite")
    with pytest.raises(ConfigError, match="ban_url"):
        geocode_online(pd.DataFrame({"address": ["x"]}), settings=settings)


# --------------------------------------------------------------------------------------------
# Nominatim


def test_nominatim_accepts_with_mapped_precision_and_derived_score(server, tmp_path):
    out, stats = run(
        server, tmp_path, [TOULON, MARSEILLE, DIGNE], provider="nominatim", email="a@example.org"
    )
    assert (out["geocode_source"] == "nominatim").all()
    assert out["geocode_precision"].tolist() == ["housenumber", "street", "housenumber"]
    first = recorded("nominatim-toulon-house.json")["response"][0]
    assert out.loc["r0", "latitude"] == float(first["lat"])
    assert out.loc["r0", "geocode_score"] == 1.0  # the address asked, word for word
    assert 0.5 <= out.loc["r1", "geocode_score"] < 1.0  # street without the house number
    assert (out["insee_code"] == "").all()  # Nominatim gives no INSEE code
    assert stats.accepted == 3
    request = server.requests_for("nominatim")[0]
    assert request.path == "/nominatim/search"
    assert request.params["format"] == "json"
    assert request.params["addressdetails"] == "1"
    assert request.params["countrycodes"] == "fr"
    assert request.params["email"] == "a@example.org"
    assert request.headers["User-Agent"] == f"safi-map-tests/{__version__}"


def test_nominatim_outside_commune_by_polygon(server, tmp_path):
    out, stats = run(server, tmp_path, [HYERES_STREET], provider="nominatim")
    assert "lies outside 83137 named by the survey" in out.loc["r0", "geocode_reason"]
    assert stats.refused_outside == 1


def test_nominatim_outside_commune_by_name_ignores_the_arrondissement(server, tmp_path):
    # The Hyères answer carries "municipality": "Toulon" (the arrondissement départemental):
    # it must not pass for the commune of Toulon.
    out, stats = run(server, tmp_path, [HYERES_STREET], provider="nominatim", expected=False)
    assert "'Hyères' not in 'Toulon'" in out.loc["r0", "geocode_reason"]
    assert stats.refused_outside == 1


def test_nominatim_without_commune_boundaries_falls_back_to_names(server, tmp_path, caplog):
    from safi_map.core.errors import ReferenceDataError
    from safi_map.geo.online_check import CommuneCheck

    def missing():
        raise ReferenceDataError("reference file 'communes_paca.geojson.gz' is missing")

    with caplog.at_level("WARNING", logger="safi_map.geo"):
        out, stats = run(server, tmp_path, [HYERES_STREET, TOULON], provider="nominatim",
                         commune_check=CommuneCheck(boundaries=missing))
    assert "commune boundaries not available" in caplog.text
    # The gazetteer's official name of 83137 still catches the Hyères answer.
    assert "'Hyères' not in 'Toulon'" in out.loc["r0", "geocode_reason"]
    assert out.loc["r1", "geocode_precision"] == "housenumber"
    assert stats.refused_outside == 1 and stats.accepted == 1


def test_unchecked_commune_is_said_in_the_reason(server, tmp_path):
    frame = pd.DataFrame({"address": ["8 Boulevard de Strasbourg 83000 Toulon"]})
    out, stats = geocode_online(frame, settings=settings_for(server, tmp_path), policy=FAST)
    # Nothing but the address: the survey names no commune to check against.
    assert out.loc[0, "geocode_reason"].endswith("; commune not checked: the survey names none")
    assert stats.accepted == 1


def test_nominatim_commune_answer_is_municipality_and_county_is_coarse(server, tmp_path):
    query = build_query(*UNKNOWN[:3])
    toulon = {
        "place_id": 1,
        "lat": "43.1257311",
        "lon": "5.9304919",
        "class": "boundary",
        "type": "administrative",
        "place_rank": 16,
        "importance": 0.62,
        "addresstype": "city",
        "name": "Toulon",
        "display_name": "Toulon, Var, Provence-Alpes-Côte d'Azur, France métropolitaine, France",
        "address": {"city": "Toulon", "county": "Var", "postcode": "83000", "country": "France"},
    }
    var = {**toulon, "place_rank": 12, "addresstype": "county", "name": "Var", "address": {}}
    server.script("nominatim", query, Reply(body=[toulon]))
    out, _ = run(server, tmp_path, [UNKNOWN], provider="nominatim", min_score=0.3)
    assert out.loc["r0", "geocode_precision"] == "municipality"
    server.script("nominatim", query, Reply(body=[{**var, "address": {"county": "Var"}}]))
    out, stats = run(server, tmp_path, [UNKNOWN], provider="nominatim", min_score=0.0, refresh=True)
    assert "coarser than a commune" in out.loc["r0", "geocode_reason"]
    assert stats.refused_coarse == 1


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        (
            {"class": "place", "type": "house", "place_rank": 30, "addresstype": "place"},
            "housenumber",
        ),
        (
            {"class": "building", "type": "yes", "place_rank": 30, "addresstype": "building"},
            "housenumber",
        ),
        (
            {"class": "highway", "type": "residential", "place_rank": 26, "addresstype": "road"},
            "street",
        ),
        ({"class": "highway", "type": "residential", "addresstype": "road"}, "street"),
        (
            {"class": "place", "type": "hamlet", "place_rank": 20, "addresstype": "hamlet"},
            "locality",
        ),
        (
            {"class": "place", "type": "suburb", "place_rank": 19, "addresstype": "suburb"},
            "locality",
        ),
        (
            {"class": "place", "type": "village", "place_rank": 19, "addresstype": "village"},
            "municipality",
        ),
        (
            {
                "class": "boundary",
                "type": "administrative",
                "place_rank": 16,
                "addresstype": "town",
            },
            "municipality",
        ),
        ({"class": "place", "type": "postcode", "place_rank": 21, "addresstype": "postcode"}, None),
        (
            {
                "class": "boundary",
                "type": "administrative",
                "place_rank": 12,
                "addresstype": "county",
            },
            None,
        ),
    ],
)
def test_nominatim_precision_mapping(item, expected):
    assert nominatim_precision(item) == expected


# --------------------------------------------------------------------------------------------
# Queries and stats


@pytest.mark.parametrize(
    ("address", "postcode", "commune", "query"),
    [
        ("8 bd de Strasbourg", "83000", "Toulon", "8 bd de Strasbourg 83000 Toulon"),
        ("8 bd de Strasbourg, 83000 TOULON", "83000", "Toulon", "8 bd de Strasbourg, 83000 TOULON"),
        ("  2  bd   Gassendi ", "", "Digne-les-Bains", "2 bd Gassendi Digne-les-Bains"),
        (
            "Route de Toulon",
            "83200",
            "Le Revest-les-Eaux",
            "Route de Toulon 83200 Le Revest-les-Eaux",
        ),
        ("", "83000", "Toulon", ""),
    ],
)
def test_build_query(address, postcode, commune, query):
    assert build_query(address, postcode, commune) == query


_cells = st.text(alphabet=st.sampled_from("abcéÉ -,'0123456789\t"), max_size=25)


@given(address=_cells, postcode=st.sampled_from(["", "83000", "04000"]), commune=_cells)
def test_build_query_keeps_the_address_and_is_idempotent(address, postcode, commune):
    query = build_query(address, postcode, commune)
    assert query.startswith(" ".join(address.split()))
    assert "  " not in query and query == query.strip()
    assert build_query(query, postcode, commune) == query
    assert (query == "") == (address.strip() == "")


def test_stats_as_dict_is_json_safe():
    stats = OnlineStats(provider="ban", accepted=2)
    stats.failed["timeout"] = 1
    data = json.loads(json.dumps(stats.to_dict()))
    assert data["failed_total"] == 1 and data["accepted"] == 2
    assert list(data["failed"]) == sorted(data["failed"])

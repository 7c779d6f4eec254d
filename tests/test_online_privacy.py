"""Online geocoding sends nothing the actor did not allow to be published (issue #12, point 8).

A row without consent has only its commune (postcode + commune) geocoded online, never its street
address; the local BAN stand-in (tests/_geoserver.py) records every query.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from _geoserver import GeoServer, Reply, online_project
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.core.settings import Settings
from safi_map.geo.online import RetryPolicy, geocode_online

FAST = RetryPolicy(tries=1, backoff=0.01, max_wait=0.05, unreachable_after=3)


@pytest.fixture
def server():
    with GeoServer() as srv:
        yield srv


def settings_for(server: GeoServer, tmp_path: Path) -> Settings:
    return Settings(provider="ban", ban_url=server.url("ban"), timeout=0.5, rate=200.0,
                    cache=tmp_path / "geocode.sqlite")


def municipality(city: str, citycode: str, postcode: str, kind: str = "municipality") -> dict:
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [5.93, 43.12]},
        "properties": {"label": f"{postcode} {city}", "score": 0.9, "type": kind,
                       "name": city, "postcode": postcode, "citycode": citycode, "city": city}}]}


def test_rows_without_consent_send_only_their_commune(server, tmp_path):
    frame = pd.DataFrame({
        "address": ["8 Boulevard de Strasbourg", "12 rue des Lilas", "3 rue Cachée", "",
                    "9 allée Perdue"],
        "postcode": ["83000", "83000", "", "83000", ""],
        "commune_input": ["Toulon", "Toulon", "Toulon", "Toulon", ""],
        "contact_consent": [True, False, float("nan"), False, False],
    }, index=["a", "b", "c", "d", "e"])
    server.script("ban", "83000 Toulon", Reply(body=municipality("Toulon", "83137", "83000")))
    result, stats = geocode_online(frame, settings=settings_for(server, tmp_path), policy=FAST,
                                   expected_insee=pd.Series("83137", index=frame.index))
    sent = sorted(r.query for r in server.requests)
    assert sent == ["8 Boulevard de Strasbourg 83000 Toulon", "83000 Toulon", "Toulon"]
    assert not any("Lilas" in q or "Cachée" in q for q in sent)
    assert result.loc["a", "geocode_precision"] == "housenumber"
    assert result.loc["b", "geocode_precision"] == "municipality"
    assert "commune only" in result.loc["b", "geocode_reason"]
    assert result.loc["d", "geocode_reason"] == "online: no address"  # not asked, as before
    assert "no consent" in result.loc["e", "geocode_reason"]  # no commune to ask instead
    assert stats.rows == 3
    # nothing but the commune in the persistent cache either
    cached = (tmp_path / "geocode.sqlite").read_bytes()
    assert b"Lilas" not in cached and "Cachée".encode() not in cached


def test_a_commune_only_query_accepts_only_a_commune(server, tmp_path):
    frame = pd.DataFrame({"address": ["12 rue des Lilas"], "postcode": ["83000"],
                          "commune_input": ["Toulon"], "contact_consent": [False]})
    server.script("ban", "83000 Toulon",
                  Reply(body=municipality("Toulon", "83137", "83000", kind="street")))
    result, _ = geocode_online(frame, settings=settings_for(server, tmp_path), policy=FAST)
    assert [r.query for r in server.requests] == ["83000 Toulon"]
    assert result.loc[0, "geocode_precision"] == "none"


SURVEY = (
    "Nom de la structure;Adresse;CP;Ville;Accord de publication\n"
    "Atelier du Port;8 Boulevard de Strasbourg;83000;Toulon;oui\n"
    "Maison Privée;12 rue des Lilas;83000;Toulon;non\n"
    "Sans Réponse;3 rue Cachée;83000;Toulon;\n"
    "Hameau Perdu;5 chemin Secret;;Vilage Inconnu;non\n"
)


def test_ingest_online_never_sends_the_address_of_an_actor_without_consent(tmp_path):
    with GeoServer() as server:
        root = online_project(tmp_path, server.url("ban"), SURVEY)
        result = CliRunner().invoke(
            cli, ["ingest", "--online", "--config", str(root / "safi-map.toml")],
            catch_exceptions=False)
        assert result.exit_code == 0, result.output
        sent = sorted(r.query for r in server.requests)
    # the gazetteer already places Toulon: the rows without consent are not asked at all; the
    # commune the gazetteer does not know is asked, without its address
    assert sent == ["8 Boulevard de Strasbourg 83000 Toulon", "Vilage Inconnu"]
    actors = pd.read_csv(root / "build" / "actors.csv", dtype=str).set_index("name")
    assert actors.loc["Atelier du Port", "geocode_precision"] == "housenumber"
    assert actors.loc["Maison Privée", "geocode_precision"] == "municipality"
    report = json.loads((root / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    assert report["extra"]["online"]["rows"] == 2


def test_geocode_command_honours_a_consent_column(tmp_path):
    with GeoServer() as server:
        root = online_project(tmp_path, server.url("ban"), SURVEY.replace(";83000;Toulon;non",
                                                                          ";;Toulonn;non"))
        out = root / "out.csv"
        result = CliRunner().invoke(
            cli, ["geocode", str(root / "data" / "surveys" / "etape.csv"), "-o", str(out),
                  "--online", "--config", str(root / "safi-map.toml")], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        sent = [r.query for r in server.requests]
    assert "8 Boulevard de Strasbourg 83000 Toulon" in sent
    assert not any(word in q for q in sent for word in ("Lilas", "Cachée", "Secret"))

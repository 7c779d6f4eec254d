"""`safi-map ingest/geocode --online` end to end against a local BAN stand-in (never the network)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pandas as pd
from _geoserver import GeoServer, online_project
from click.testing import CliRunner

from safi_map.cli.main import cli

SURVEY = (
    "Nom de la structure;Adresse;CP;Ville;Accord de publication\n"
    "Atelier du Port;8 Boulevard de Strasbourg;83000;Toulon;oui\n"
    "Prado Solidaire;285 Avenue du Prado;13008;Marseille;oui\n"
    "Sans Adresse;;04000;Digne-les-Bains;oui\n"
)


def project(tmp_path: Path, ban_url: str) -> Path:
    return online_project(tmp_path, ban_url, SURVEY)


def ingest(tmp_path: Path, *args: str) -> tuple[object, dict, pd.DataFrame]:
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", "--config", str(tmp_path / "safi-map.toml"), *args],
                           catch_exceptions=False)
    report = json.loads((tmp_path / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    actors = pd.read_csv(tmp_path / "build" / "actors.csv", dtype=str).set_index("name")
    return result, report, actors


def test_online_places_addresses_and_reuses_the_cache(tmp_path):
    with GeoServer() as server:
        root = project(tmp_path, server.url("ban"))
        result, report, actors = ingest(root, "--online")
        assert result.exit_code == 0, result.output
        assert actors.loc["Atelier du Port", "geocode_precision"] == "housenumber"
        assert actors.loc["Atelier du Port", "geocode_source"] == "ban"
        # BAN narrowed Marseille 13008 to the 8th arrondissement: commune follows
        assert actors.loc["Prado Solidaire", "insee_code"] == "13208"
        assert actors.loc["Sans Adresse", "geocode_precision"] == "municipality"
        assert report["extra"]["online"]["accepted"] == 2
        asked = len(server.requests)
        assert asked == 2
        # --force redoes the file, but the geocoding cache answers: no new request
        result, report2, actors2 = ingest(root, "--online", "--force")
        assert len(server.requests) == asked
        assert report2 == report
        assert actors2.equals(actors)


def test_online_without_network_degrades_to_offline_with_a_warning(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on: connection refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = project(tmp_path, f"http://127.0.0.1:{port}")
    result, report, actors = ingest(root, "--online")
    assert result.exit_code == 0
    assert set(actors["geocode_precision"]) == {"municipality"}
    assert report["extra"]["online"]["failed"]["connection"] == 2
    assert "n'ont pas pu être demandées" in result.output
    assert "placées hors ligne" in result.output


def test_offline_is_the_default_and_never_asks(tmp_path):
    with GeoServer() as server:
        root = project(tmp_path, server.url("ban"))
        result, report, _ = ingest(root)
        assert result.exit_code == 0
        assert server.requests == []
        assert "online" not in report.get("extra", {})


def test_unreachable_service_is_not_asked_again_for_later_files_nor_cached(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    root = project(tmp_path, f"http://127.0.0.1:{port}")
    rows = "".join(f"Structure {i};{i} rue A;83000;Toulon;oui\n" for i in range(1, 5))
    header = SURVEY.splitlines(keepends=True)[0]
    (root / "data" / "surveys" / "etape.csv").write_bytes((header + rows).encode("cp1252"))
    (root / "data" / "surveys" / "zz-etape.csv").write_bytes(
        (header + "Autre;9 rue B;83000;Toulon;oui\n").encode("cp1252"))
    result, report, actors = ingest(root, "--online")
    assert result.exit_code == 0
    assert report["extra"]["online"]["unreachable"] is True
    assert report["extra"]["online"]["rows"] == 4  # the second file was not sent online
    assert "fichiers d'enquête restants sont placés hors ligne" in result.output
    assert set(actors["geocode_precision"]) == {"municipality"}
    assert not list((root / "build" / "cache").glob("*.json")), "faulty results are not cached"

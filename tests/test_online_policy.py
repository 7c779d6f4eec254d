"""Nominatim's usage policy (issue #12, point 9): a User-Agent with our version and a contact
(required for the public server), and 1 request per second for any spelling of its host.

Nothing here reaches the network: the public host is only ever configured, never asked (the
provider is built, its rate limiter inspected); requests go to the local stand-in.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from _geoserver import GeoServer, online_project
from click.testing import CliRunner

from safi_map import __version__
from safi_map.cli.main import cli
from safi_map.core.errors import ConfigError
from safi_map.core.settings import Settings, load_settings
from safi_map.geo.online import geocode_online
from safi_map.geo.online_providers import make_provider
from safi_map.geo.usage_policy import is_public_nominatim, user_agent

PUBLIC_SPELLINGS = [
    "https://nominatim.openstreetmap.org",
    "https://Nominatim.OpenStreetMap.org",
    "https://nominatim.openstreetmap.org:443",
    "https://NOMINATIM.OPENSTREETMAP.ORG.:443/",
    "https://nominatim.openstreetmap.org./",
    "https://nominatim.openstreetmap.org/search",
    "https://nominatim.openstreetmap.org//search/?",
    "http://nominatim.openstreetmap.org:80",
    "https://someone@nominatim.openstreetmap.org",
    "  https://nominatim.openstreetmap.org  ",
    "https://nominatim\u3002openstreetmap\u3002org",  # ideographic full stops: IDNA dots
]
OTHER_HOSTS = [
    "http://127.0.0.1:8080/nominatim",
    "https://nominatim.openstreetmap.org.example.net",
    "https://my-nominatim.openstreetmap.org.evil",
    "https://nominatim.example.org/nominatim.openstreetmap.org",
]


@pytest.mark.parametrize("url", PUBLIC_SPELLINGS)
def test_every_spelling_of_the_public_host_gets_one_request_per_second(url, tmp_path):
    assert is_public_nominatim(url)
    settings = Settings(provider="nominatim", nominatim_url=url, rate=10.0,
                        contact="carte@example.org", cache=tmp_path / "c.sqlite")
    provider = make_provider(settings)
    assert provider.fetch.min_delay_seconds == 1.0


@pytest.mark.parametrize("url", OTHER_HOSTS)
def test_other_hosts_keep_the_configured_rate(url, tmp_path):
    assert not is_public_nominatim(url)
    settings = Settings(provider="nominatim", nominatim_url=url, rate=10.0,
                        cache=tmp_path / "c.sqlite")
    assert make_provider(settings).fetch.min_delay_seconds == pytest.approx(0.1)


@pytest.mark.parametrize("url", ["https://Nominatim.OpenStreetMap.org.:443",
                                 "https://nominatim.openstreetmap.org"])
def test_the_public_server_needs_a_contact(url, tmp_path):
    settings = Settings(provider="nominatim", nominatim_url=url, cache=tmp_path / "c.sqlite")
    with pytest.raises(ConfigError, match="contact"):
        geocode_online(pd.DataFrame({"address": ["8 rue X"]}), settings=settings)


def test_user_agent_names_the_version_and_the_contact():
    settings = Settings(contact="https://carte.example.org")
    assert user_agent(settings, "1.2.3") == "safi-map/1.2.3 (+https://carte.example.org)"
    assert user_agent(Settings(), "1.2.3") == "safi-map/1.2.3"
    assert user_agent(Settings(user_agent="reseau/2.0", contact="a@b.fr"), "1") == \
        "reseau/2.0 (+a@b.fr)"
    with pytest.raises(ConfigError, match="contact"):
        user_agent(Settings(contact="a@b.fr\r\nX-Evil: 1"), "1")


def test_requests_carry_the_user_agent(tmp_path):
    with GeoServer() as server:
        settings = Settings(provider="nominatim", nominatim_url=server.url("nominatim"),
                            contact="carte@example.org", timeout=0.5, rate=200.0,
                            cache=tmp_path / "c.sqlite")
        geocode_online(pd.DataFrame({"address": ["8 Boulevard de Strasbourg"],
                                     "postcode": ["83000"], "commune_input": ["Toulon"]}),
                       settings=settings)
        agents = {r.headers["User-Agent"] for r in server.requests}
    assert agents == {f"safi-map/{__version__} (+carte@example.org)"}


def test_contact_is_a_setting(tmp_path):
    (tmp_path / "safi-map.toml").write_text('[geocode]\ncontact = "carte@example.org"\n',
                                            encoding="utf-8")
    assert load_settings(tmp_path / "safi-map.toml").contact == "carte@example.org"


def test_cli_without_contact_for_the_public_server_is_a_usage_error(tmp_path: Path):
    # checked before any file is read: even a survey with nothing to ask online is refused
    root = online_project(tmp_path, "http://127.0.0.1:9", "Nom;Ville\nAsso;Toulon\n")
    (root / "safi-map.toml").write_text(
        '[geocode]\nprovider = "nominatim"\n'
        'nominatim_url = "https://Nominatim.OpenStreetMap.org."\n', encoding="utf-8")
    old = os.getcwd()
    os.chdir(root)
    try:
        result = CliRunner().invoke(cli, ["ingest", "--online"])
    finally:
        os.chdir(old)
    assert result.exit_code == 2, result.output
    assert "contact" in result.output and "Traceback" not in result.output

"""The embed snippet of integrer.html and the ``site_url`` setting (issue #12, point 10)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from safi_map.core.errors import ConfigError
from safi_map.core.settings import Settings, load_settings
from safi_map.model.synthetic import synthetic_actors
from safi_map.site.build import build_site

TITLE = 'Le "Tour" & <les> acteurs d\'Azur'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.test_site import make_taxonomy, make_tour

    out = tmp_path_factory.mktemp("embed") / "site"
    settings = Settings(posters=False, title=TITLE, site_url="https://www.example.org/carte")
    build_site(synthetic_actors(12, seed=3), taxonomy=make_taxonomy(), tour=make_tour(),
               settings=settings, out_dir=out)
    return out


def test_copied_snippet_is_valid_html_with_the_title(site: Path) -> None:
    page = BeautifulSoup((site / "integrer.html").read_text(encoding="utf-8"), "html.parser")
    code = page.select_one("#code-integration").get_text()  # what the button copies
    frames = BeautifulSoup(code, "html.parser").find_all("iframe")
    assert len(frames) == 1
    frame = frames[0]
    assert frame["title"] == TITLE
    assert frame["src"] == "https://www.example.org/carte/carte-integree.html"
    assert set(frame.attrs) == {"src", "title", "width", "height", "loading", "style"}
    assert '"Tour"' not in code  # the quotes of the title are escaped in the copied code
    assert "acteurs d'Azur" in code  # and only what must be (readable code)


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)//https://x.org", "ftp://example.org/",
    "data:text/html,<b>", "//example.org/", "example.org", "https://", "https:///x",
    'https://example.org/"onmouseover="alert(1)', "https://example.org/a b",
    "https://example.org/<script>", "https://example.org:99999/", "https://exa\nmple.org/",
])
def test_site_url_refuses_what_is_not_an_http_address(tmp_path: Path, url: str) -> None:
    config = tmp_path / "safi-map.toml"
    config.write_text(f"[project]\nsite_url = {_toml(url)}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="site_url") as info:
        load_settings(config)
    assert "https://" in str(info.value)  # the message says what is expected
    with pytest.raises(ConfigError):
        Settings(site_url=url)


@pytest.mark.parametrize("url", ["", "https://www.example.org/carte/", "http://localhost:8000",
                                 "  https://example.org/a?b=1&c=2  ", "HTTPS://EXAMPLE.ORG/"])
def test_site_url_accepts_http_addresses(tmp_path: Path, url: str) -> None:
    config = tmp_path / "safi-map.toml"
    config.write_text(f"[project]\nsite_url = {_toml(url)}\n", encoding="utf-8")
    assert load_settings(config).site_url == url.strip()


def _toml(text: str) -> str:
    import json

    return json.dumps(text)  # a JSON string is a TOML basic string

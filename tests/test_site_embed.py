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


@pytest.mark.browser
def test_the_form_builds_the_code_and_the_preview_follows(site: Path, browser: object) -> None:
    """Choosing a theme, a commune and a height changes the copied code (its filters in the
    hash the map reads, the title still escaped) and the preview map's own filters."""
    page = browser.new_page(viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
        ("file://", "data:", "blob:")) else r.abort())
    try:
        page.goto((site / "integrer.html").as_uri())
        soup = BeautifulSoup((site / "integrer.html").read_text("utf-8"), "html.parser")
        theme = soup.select_one("#embed-builder input[name=t]")["value"]
        commune = soup.select("#embed-commune option")[1]["value"]
        page.check(f"#embed-builder input[name=t][value='{theme}']")
        page.select_option("#embed-commune", commune)
        page.fill("#embed-height", "450")
        page.dispatch_event("#embed-height", "input")
        frame = BeautifulSoup(page.inner_text("#code-integration"), "html.parser").iframe
        assert frame["src"] == (f"https://www.example.org/carte/carte-integree.html"
                                f"#t={theme}&c={commune}")
        assert (frame["title"], frame["height"]) == (TITLE, "450")
        preview = page.frame_locator("#embed-preview")
        preview.locator("#safi-main").wait_for()
        state = page.frames[1].evaluate(
            "() => new Promise(done => { const wait = () => (window.SafiMap && SafiMap.apps[0]"
            " && SafiMap.apps[0].state.commune) ? done(SafiMap.apps[0].state) : "
            "setTimeout(wait, 50); wait(); })")
        assert (state["themes"], state["commune"]) == ([theme], commune)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.close()

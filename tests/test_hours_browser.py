"""The "Ouvert maintenant" badge, decided by map/hours.js in Chromium at fixed clocks."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from safi_map.core.settings import Settings
from safi_map.site.build import build_site
from tests.test_site_golden import tiny_site_input

pytestmark = pytest.mark.browser

HOURS = {
    "epicerie-83137": "Mo-Fr 09:00-12:00,14:00-17:00; We off",
    "jardin-83137": "le matin, selon la saison",  # kept as written: no badge
    "recyclerie-83069": "Su 22:00-02:00",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    actors, taxonomy, tour = tiny_site_input()
    actors["opening_hours"] = actors["actor_id"].map(HOURS).fillna("")
    out = tmp_path_factory.mktemp("hours") / "site"
    build_site(actors, taxonomy=taxonomy, tour=tour,
               settings=Settings(title="Carte test", posters=False), out_dir=out)
    return out


def test_actor_page_shows_hours_in_french_and_text_as_written(site):
    page = BeautifulSoup((site / "acteurs" / "epicerie-83137.html").read_text("utf-8"),
                         "html.parser")
    lines = [li.get_text() for li in page.select("ul.hours li")]
    assert lines == ["Lundi, mardi, jeudi et vendredi\u00a0: 9\u00a0h–12\u00a0h, 14\u00a0h–17\u00a0h"]
    badge = page.select_one("[data-safi-hours]")
    assert badge["data-safi-hours"] == "540,720,840,1020,1980,2160,2280,2460,4860,5040,5160," \
                                       "5340,6300,6480,6600,6780"
    assert badge.has_attr("hidden")  # shown by the script only: no JavaScript, no claim
    kept = BeautifulSoup((site / "acteurs" / "jardin-83137.html").read_text("utf-8"),
                         "html.parser")
    assert [li.get_text() for li in kept.select("ul.hours li")] == ["le matin, selon la saison"]
    assert kept.select_one("[data-safi-hours]") is None
    assert not any("map/hours.js" in (s.get("src") or "") for s in kept.select("script"))


@pytest.mark.parametrize(("actor", "when", "expected"), [
    ("epicerie-83137", "2026-11-30T10:00:00+01:00", "Ouvert maintenant"),  # Monday morning
    ("epicerie-83137", "2026-11-30T12:30:00+01:00", "Fermé actuellement"),  # lunch break
    ("epicerie-83137", "2026-12-02T10:00:00+01:00", "Fermé actuellement"),  # Wednesday off
    ("epicerie-83137", "2026-07-03T14:30:00+02:00", "Ouvert maintenant"),  # Friday, summer time
    # 08:30 in New York is 14:30 in France: the badge follows the time of France
    ("epicerie-83137", "2026-12-01T08:30:00-05:00", "Ouvert maintenant"),
    ("recyclerie-83069", "2026-11-30T01:00:00+01:00", "Ouvert maintenant"),  # Sunday night
    ("recyclerie-83069", "2026-11-29T21:00:00+01:00", "Fermé actuellement"),
])
def test_badge_at_fixed_clock(browser, site, actor, when, expected):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR",
                                  timezone_id="America/New_York")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.clock.set_fixed_time(when)
        page.goto((site / "acteurs" / f"{actor}.html").as_uri())
        badge = page.locator("[data-safi-hours]")
        badge.wait_for(state="visible")
        assert badge.inner_text() == expected
        assert errors == []
    finally:
        context.close()


def test_open_indexes_for_the_map(browser, site):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        page.clock.set_fixed_time("2026-11-30T10:00:00+01:00")
        page.goto((site / "acteurs" / "epicerie-83137.html").as_uri())
        sparse = [[0, [540, 720]], [3, [2280, 2520]], [7, [9960, 10200]], [9, [0, 10080]]]
        got = page.evaluate("s => SafiHours.openIndexes(s, new Date())", sparse)
        assert got == [0, 9]
        monday_1am = page.evaluate(
            "s => SafiHours.openIndexes(s, new Date('2026-11-30T01:00:00+01:00'))", sparse)
        assert monday_1am == [7, 9]
    finally:
        context.close()

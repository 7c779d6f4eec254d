"""The synergies and diagnostic pages in headless Chromium, opened from file://.

Uses the shared ``offline_page`` fixture (tests/conftest.py): a browser that cannot start fails
these tests. Checks: no console or page errors, no dialog (hostile names stay text), the
filters change the visible count to the exact expected figure, the maps' shapes resolve.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import pytest

from safi_map._synthetic import synthetic_actors
from safi_map.diagnostic import render_diagnostic_pages
from safi_map.public import public_actors
from safi_map.synergies import PAGE_ROWS, render_synergies_pages, suggest_pairs
from safi_map.taxonomy import load_taxonomy

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A folder with both pages, their CSVs and the site's static files."""
    root = tmp_path_factory.mktemp("site")
    taxonomy = load_taxonomy()
    actors = synthetic_actors(400, seed=2)
    pairs = suggest_pairs(public_actors(actors), taxonomy=taxonomy)
    files = {**render_synergies_pages(actors, taxonomy=taxonomy, pairs=pairs),
             **render_diagnostic_pages(actors, taxonomy=taxonomy)}
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    static = resources.files("safi_map") / "resources" / "static" / "site"
    (root / "assets" / "site").mkdir(parents=True)
    for entry in static.iterdir():
        if entry.is_file():
            (root / "assets" / "site" / entry.name).write_bytes(entry.read_bytes())
    deps = dict(zip(actors["actor_id"], actors["department"], strict=True))
    themes = dict(zip(actors["actor_id"], actors["themes"], strict=True))
    return root, pairs, deps, themes


def _count(page) -> int:
    text = page.locator("#syn-count").inner_text()
    digits = re.sub(r"\D", "", text)
    return int(digits) if digits else 0


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


def test_synergies_filters_change_the_count(offline_page, built):
    page, watch = offline_page
    root, pairs, deps, themes = built
    assert len(pairs) > PAGE_ROWS  # so the "more" button has work to do
    _open(page, root / "synergies.html")
    assert _count(page) == len(pairs)
    assert page.locator("#syn-rows tr").count() == PAGE_ROWS
    assert page.locator("#syn-more").is_visible()
    assert not page.locator("#syn-nojs").is_visible()

    page.select_option("#syn-resource", "materiel")
    expected = int((pairs["resource"] == "materiel").sum())
    assert 0 < expected < len(pairs)
    assert _count(page) == expected
    assert page.locator("#syn-rows tr").count() == min(expected, PAGE_ROWS)
    first = page.locator("#syn-rows tr").first.locator("td").first.inner_text()
    assert first == "Matériel"

    page.select_option("#syn-department", "05")
    in_05 = pairs[(pairs["resource"] == "materiel")
                  & ((pairs["needer_id"].map(deps) == "05") | (pairs["helper_id"].map(deps) == "05"))]
    assert _count(page) == len(in_05) > 0

    page.select_option("#syn-theme", "culture")
    both = in_05[in_05["needer_id"].map(lambda a: "culture" in themes[a])
                 | in_05["helper_id"].map(lambda a: "culture" in themes[a])]
    assert _count(page) == len(both)
    assert page.locator("#syn-rows tr").count() == min(len(both), PAGE_ROWS)

    page.select_option("#syn-resource", "mutualisation-emploi")  # nobody offers it
    assert _count(page) == 0
    assert page.locator("#syn-count").inner_text() == "Aucune mise en relation pour ces critères"
    assert page.locator("#syn-rows tr").count() == 0

    page.select_option("#syn-resource", "")
    page.select_option("#syn-department", "")
    page.select_option("#syn-theme", "")
    assert _count(page) == len(pairs)
    page.click("#syn-more")
    assert page.locator("#syn-rows tr").count() == min(len(pairs), 2 * PAGE_ROWS)
    # Hostile names are text: shown literally (rebuilt by the script), never run.
    hostile = pairs["needer_name"].iloc[0]
    assert "<b>" in hostile  # synthetic actor 2: "Café l'Entraide ... & <b>Cie</b>"
    shown = page.locator("#syn-rows tr").first.locator("td").nth(1).locator("a").inner_text()
    assert shown.split() == hostile.split()
    assert page.locator("#syn-rows b").count() == 0
    assert watch.dialogs == []
    assert watch.real_errors() == []


def test_synergies_name_filter_and_phone_cards(browser, built):
    """A structure's name (either side) filters the suggestions; a phone shows 25 cards at a time."""
    from safi_map.text import fold

    root, pairs, _, _ = built
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        _open(page, root / "synergies.html")
        assert page.locator("#syn-rows tr").count() == 25
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        name = pairs["helper_name"].iloc[5]
        word = max(name.split(), key=len)
        page.fill("#syn-name", word.upper())
        hit = pairs["needer_name"].map(fold).str.contains(fold(word), regex=False) \
            | pairs["helper_name"].map(fold).str.contains(fold(word), regex=False)
        communes = pairs["needer_commune"].fillna("") if "needer_commune" in pairs else None
        if communes is None:
            assert _count(page) >= int(hit.sum()) > 0
        assert 0 < _count(page) < len(pairs)
    finally:
        context.close()


def test_diagnostic_page_renders(offline_page, built):
    page, watch = offline_page
    root, *_ = built
    _open(page, root / "diagnostic.html")
    n_maps = page.locator(".dg-multiples figure svg").count()
    assert n_maps == len([t for t in load_taxonomy().themes if t.slug != "autre"])
    # <use> references resolve to drawn shapes (a broken href has an empty box).
    width = page.evaluate(
        "() => document.querySelector('.dg-multiples svg use').getBBox().width")
    assert width > 0
    box = page.locator(".dg-multiples figure svg").first.bounding_box()
    assert box is not None and box["width"] > 100 and box["height"] > 50
    assert page.locator("#dg-table-departements tbody tr").count() == 6
    assert watch.dialogs == []
    assert watch.real_errors() == []

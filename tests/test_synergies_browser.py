"""The synergies and diagnostic pages in headless Chromium, opened from file://.

Uses the shared ``browser``/``offline_page`` fixtures (tests/conftest.py): a browser that cannot
start fails these tests. Checks: no console or page errors, no dialog (hostile names stay text),
the filters change the visible count to the exact expected figure, and on a phone (390×844)
neither page scrolls sideways, no text is under 12 px and the bar labels wrap instead of being
cut. Screenshots go to ``$SAFI_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import os
import re
import types
from importlib import resources
from pathlib import Path

import pytest
from test_site_visual import _CHECK

from safi_map.analysis.synergies import suggest_pairs
from safi_map.core.text import fold
from safi_map.model.public import public_actors
from safi_map.model.synthetic import synthetic_actors
from safi_map.model.taxonomy import load_taxonomy
from safi_map.site.build import make_environment
from safi_map.site.pages import diagnostic, synergies

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root

    def write_text(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def write_chunks(self, rel: str, chunks) -> None:
        self.write_text(rel, "".join(chunks))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A folder with both pages, their CSVs and the site's static files."""
    root = tmp_path_factory.mktemp("site")
    taxonomy = load_taxonomy()
    actors = synthetic_actors(400, seed=2)
    public = public_actors(actors)
    pairs = suggest_pairs(public, taxonomy=taxonomy)
    ctx = types.SimpleNamespace(public=public, taxonomy=taxonomy, tour=None, settings=None,
                                env=make_environment(), base={}, pairs=pairs)
    writer = _Writer(root)
    synergies.write_pages(ctx, writer)
    diagnostic.write_pages(ctx, writer)
    static = resources.files("safi_map") / "resources" / "static" / "site"
    (root / "assets" / "site").mkdir(parents=True)
    for entry in static.iterdir():
        if entry.is_file():
            (root / "assets" / "site" / entry.name).write_bytes(entry.read_bytes())
    info = public.set_index("actor_id")
    return root, pairs, info


def _count(page) -> int:
    digits = re.sub(r"\D", "", page.locator("#syn-count").inner_text())
    return int(digits) if digits else 0


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


def _involved(pairs, resource: str | None = None) -> set[str]:
    """Structures with a pair (of ``resource``, when given), on either side."""
    sub = pairs if resource is None else pairs[pairs["resource"] == resource]
    return set(sub["needer_id"]) | set(sub["helper_id"])


def test_synergies_filters_change_the_count(offline_page, built):
    page, watch = offline_page
    root, pairs, info = built
    everyone = _involved(pairs)
    assert len(everyone) > synergies.PAGE_GROUPS  # so the "more" button has work to do
    _open(page, root / "synergies.html")
    assert _count(page) == len(everyone)
    assert page.locator("#syn-groups details").count() == synergies.PAGE_GROUPS
    assert page.locator("#syn-more").is_visible()
    assert not page.locator("#syn-nojs").is_visible()

    page.select_option("#syn-resource", "materiel")
    materiel = _involved(pairs, "materiel")
    assert 0 < len(materiel) < len(everyone)
    assert _count(page) == len(materiel)
    # Inside a block, only that resource's suggestions.
    page.locator("#syn-groups summary").first.click()
    texts = page.locator("#syn-groups details[open] .syn-list li").all_inner_texts()
    assert texts and all(": Matériel," in t for t in texts)

    page.select_option("#syn-department", "05")
    in_05 = {a for a in materiel if info.loc[a, "department"] == "05"}
    assert _count(page) == len(in_05) > 0

    page.select_option("#syn-theme", "culture")
    both = {a for a in in_05 if "culture" in info.loc[a, "themes"]}
    assert _count(page) == len(both)
    assert page.locator("#syn-groups details").count() == min(len(both), synergies.PAGE_GROUPS)

    page.select_option("#syn-resource", "mutualisation-emploi")  # nobody offers it
    assert _count(page) == 0
    assert page.locator("#syn-count").inner_text() == "Aucune structure pour ces critères"
    assert page.locator("#syn-groups details").count() == 0

    for sel in ("#syn-resource", "#syn-department", "#syn-theme"):
        page.select_option(sel, "")
    assert _count(page) == len(everyone)
    page.click("#syn-more")
    assert page.locator("#syn-groups details").count() == min(len(everyone),
                                                              2 * synergies.PAGE_GROUPS)
    # Hostile names are text: shown literally (built by the script), never run.
    hostile = [a for a in sorted(everyone) if "<" in info.loc[a, "name"]]
    assert hostile, "the synthetic data gives hostile names to structures with pairs"
    name = info.loc[hostile[0], "name"]
    page.fill("#syn-name", max(re.findall(r"\w+", name), key=len))
    shown = page.locator("#syn-groups .syn-name").all_inner_texts()
    assert any(s.split() == name.split() for s in shown), (name, shown)
    assert page.locator("#syn-groups b").count() == 0
    assert watch.dialogs == []
    assert watch.real_errors() == []


def test_synergies_text_filter_finds_communes_and_themes(offline_page, built):
    page, _ = offline_page
    root, pairs, info = built
    _open(page, root / "synergies.html")
    everyone = _involved(pairs)
    commune = info.loc[sorted(everyone)[3], "commune"]
    page.fill("#syn-name", commune.upper())
    expected = {a for a in everyone if fold(commune) in fold(
        f"{info.loc[a, 'name']} {info.loc[a, 'commune']}")}
    assert _count(page) >= len(expected) > 0
    page.fill("#syn-name", "numerique inclusion")  # a theme label, accents left out
    taxonomy = load_taxonomy()
    label = fold(taxonomy.theme("numerique").label)
    assert "numerique" in label and "inclusion" in label
    themed = {a for a in everyone if "numerique" in info.loc[a, "themes"]}
    assert _count(page) >= len(themed) > 0


def _phone(browser, path: Path, name: str):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True,
                                  locale="fr-FR")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _open(page, path)
    page.wait_for_timeout(100)
    assert errors == []
    folder = os.environ.get("SAFI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}-phone.png"))
    return context, page


def _no_overflow_no_small_text(page) -> None:
    overflow, covered, small = page.evaluate(_CHECK, PHONE["width"])
    assert overflow == [] and covered == [] and small == [], (overflow, covered, small)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_synergies_on_a_phone(browser, built):
    """Grouped by structure: a page of collapsed blocks, short, no sideways scroll, ≥ 12 px."""
    root, *_ = built
    context, page = _phone(browser, root / "synergies.html", "synergies")
    try:
        _no_overflow_no_small_text(page)
        height = page.evaluate("() => document.documentElement.scrollHeight")
        assert height < 6000, height  # was 20,633 px as a table of every pair
        for i in range(3):
            page.locator("#syn-groups summary").nth(i).click()
        assert page.locator("#syn-groups details[open]").count() == 3
        _no_overflow_no_small_text(page)
    finally:
        context.close()


def test_diagnostic_on_a_phone(browser, built):
    """No sideways scroll, text ≥ 12 px, bar labels whole and wrapped, tables as cards."""
    root, *_ = built
    context, page = _phone(browser, root / "diagnostic.html", "diagnostic")
    try:
        _no_overflow_no_small_text(page)
        labels = page.evaluate("""() => [...document.querySelectorAll('.dg-bars dt')].map(e => ({
            text: e.textContent, scroll: e.scrollWidth, width: e.clientWidth,
            size: parseFloat(getComputedStyle(e).fontSize)}))""")
        assert labels
        assert all(x["scroll"] <= x["width"] and x["size"] >= 12 for x in labels), labels
        long = next(x for x in labels if x["text"].startswith("Environnement et transition"))
        assert long["text"] == "Environnement et transition écologique"
        # A label longer than the line wraps onto more lines, whole (never cut, never wider).
        wrapped = page.evaluate("""() => {
            const e = document.querySelector('#dg-chart-zones dt');
            const before = e.getBoundingClientRect().height;
            e.textContent = 'Environnement et transition écologique '.repeat(3).trim();
            return {before, after: e.getBoundingClientRect().height,
                    scroll: e.scrollWidth, width: e.clientWidth};
        }""")
        assert wrapped["after"] >= 2.5 * wrapped["before"], wrapped
        assert wrapped["scroll"] <= wrapped["width"], wrapped
        # Tables become cards: each row as wide as the page, its cells labelled.
        page.click("#dg-epci summary")
        row = page.locator("#dg-table-epci tbody tr").first.bounding_box()
        assert row is not None and row["width"] <= PHONE["width"]
        _no_overflow_no_small_text(page)
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

"""Take the README screenshot of the map: ``docs/screenshots/map.png``.

Builds the map page on synthetic actors (``safi_map.model.synthetic``; the hostile test names are
left out) with the project's taxonomy, opens it in headless Chromium with the network blocked
(so the base map is the commune and department outlines, as offline users see it) and saves a
1280x800 capture.

Usage: ``python scripts/screenshot.py [--actors 3000] [--out docs/screenshots/map.png]``
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from safi_map.map import render as maps
from safi_map.model.synthetic import (
    HOSTILE_NAMES,
    SYNTHETIC_STOPS,
    synthetic_actors,
    synthetic_taxonomy,
)

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description="Screenshot of the actor map for the README.")
    parser.add_argument("--actors", type=int, default=3000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots" / "map.png")
    parser.add_argument("--hash", default="t=alimentation,economie-circulaire,environnement&b=none")
    args = parser.parse_args()

    actors = synthetic_actors(args.actors, seed=2)
    actors = actors[~actors["name"].isin(HOSTILE_NAMES)].reset_index(drop=True)
    page = maps.render_map_page(
        actors, taxonomy=synthetic_taxonomy(), tour=list(SYNTHETIC_STOPS),
        title="Les acteurs du SAFI Tour (données fictives)",
    )
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        maps.copy_assets(Path(tmp) / "assets")
        index = Path(tmp) / "index.html"
        index.write_text(page, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
            context.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file://") else r.abort())
            tab = context.new_page()
            tab.goto(index.as_uri() + "#" + args.hash)
            tab.wait_for_function("() => window.SafiMap && SafiMap.apps[0] && SafiMap.apps[0].settled()")
            tab.wait_for_timeout(800)  # cluster icons fade in
            args.out.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(args.out))
            browser.close()


if __name__ == "__main__":
    main()

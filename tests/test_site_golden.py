"""A tiny site diffed against ``tests/golden/site``: catches unintended changes to any page.

Regenerate after an intended change with ``SAFI_UPDATE_GOLDEN=1 python -m pytest
tests/test_site_golden.py`` and review the diff in git. Vendored assets, the GeoPackage (binary,
GDAL-version dependent) and the two map pages (rendered by ``maps.py``, tested there) are left
out of the comparison.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from safi_map.core.settings import Settings
from safi_map.model.public import ACTOR_COLUMNS
from safi_map.model.taxonomy import Resource, Taxonomy, Theme
from safi_map.model.tour import Stop, Tour
from safi_map.site.build import build_site

GOLDEN = Path(__file__).parent / "golden" / "site"
SKIPPED = ("assets/", "index.html", "carte-integree.html", "donnees/acteurs.gpkg",
           "partage/")  # PNG bytes follow Pillow's zlib: tests/test_share_images.py checks them


def _actor(actor_id: str, name: str, themes: list[str], commune: str, insee: str, dep: str,
           lat: float | None, lon: float | None, consent: bool, **extra: object) -> dict:
    rec = {c: "" for c in ACTOR_COLUMNS if c != "geometry"}
    rec.update(
        actor_id=actor_id, name=name, legal_form="association", themes=themes,
        description=f"Présentation de {name}.", address="1 place de la Mairie",
        postcode="", commune=commune, insee_code=insee, department=dep, epci="", epci_name="",
        latitude=lat if lat is not None else float("nan"),
        longitude=lon if lon is not None else float("nan"),
        geocode_precision="housenumber" if lat is not None else "none",
        geocode_source="ban" if lat is not None else "none", geocode_score=0.9,
        website="https://exemple.org", email=f"contact@{actor_id}.example.org",
        phone="04 94 00 00 00", needs=["locaux"], offers=[], stops=["toulon"],
        first_seen="2015-09-28", last_seen="2015-09-28", contact_consent=consent, siret="",
        sources=[f"toulon.csv:{len(actor_id)}"],
    )
    rec.update(extra)
    return rec


def tiny_site_input() -> tuple[gpd.GeoDataFrame, Taxonomy, Tour]:
    rows = [
        _actor("epicerie-83137", "Épicerie solidaire du Port", ["alimentation"], "Toulon",
               "83137", "83", 43.1242, 5.9280, True, postcode="83000"),
        _actor("jardin-83137", "Jardin <partagé> & Cie", ["alimentation", "environnement"],
               "Toulon", "83137", "83", 43.1300, 5.9400, False, postcode="83000"),
        _actor("recyclerie-83069", "Recyclerie de Hyères", ["environnement"], "Hyères", "83069",
               "83", 43.1204, 6.1286, True, offers=["locaux"], website="javascript:alert(1)"),
        _actor("collectif-na", "Collectif sans adresse", ["autre"], "", "", "", None, None,
               False),
    ]
    frame = pd.DataFrame(rows)
    geometry = [Point(r["longitude"], r["latitude"]) if pd.notna(r["latitude"]) else None
                for r in rows]
    actors = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")[list(ACTOR_COLUMNS)]
    taxonomy = Taxonomy(
        themes=(Theme("alimentation", "Alimentation", "#7570b3"),
                Theme("environnement", "Environnement", "#66a61e"),
                Theme("autre", "Autre", "#777777")),
        resources=(Resource("locaux", "Locaux"),),
    )
    tour = Tour(stops=(Stop(id="toulon", town="Toulon", insee_code="83137",
                            date=dt.date(2015, 9, 28), venue="TVT Innovation"),))
    return actors, taxonomy, tour


def _compared(root: Path) -> dict[str, Path]:
    return {
        rel: p for p in sorted(root.rglob("*")) if p.is_file()
        and not (rel := p.relative_to(root).as_posix()).startswith(SKIPPED)
    }


def test_tiny_site_matches_golden(tmp_path):
    actors, taxonomy, tour = tiny_site_input()
    out = tmp_path / "site"
    build_site(actors, taxonomy=taxonomy, tour=tour,
               settings=Settings(title="Carte test", site_url="https://exemple.org/carte/",
                                 posters=False),
               out_dir=out)
    built = _compared(out)
    if os.environ.get("SAFI_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, path in built.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, GOLDEN / rel)
    golden = _compared(GOLDEN)
    assert sorted(built) == sorted(golden), "files added or removed"
    diffs = []
    for rel in sorted(built):
        new, old = built[rel].read_bytes(), golden[rel].read_bytes()
        if new != old:
            diffs.append("".join(difflib.unified_diff(
                old.decode("utf-8", "replace").splitlines(True),
                new.decode("utf-8", "replace").splitlines(True), f"golden/{rel}", f"built/{rel}",
                n=1))[:2000])
    assert not diffs, "\n".join(diffs)

"""Needs and offers -> pairs: exact pairs, order, reasons, limits, consent, escaping, CSV."""

from __future__ import annotations

import csv
import io
import math

import geopandas as gpd
import pandas as pd
import pytest
from bs4 import BeautifulSoup

from safi_map.analysis.synergies import (
    EARTH_RADIUS_KM,
    SynergyIndex,
    actor_synergies,
    suggest_pairs,
    synergies_by_actor,
    synergies_csv,
)
from safi_map.model.public import ACTOR_COLUMNS
from safi_map.model.synthetic import synthetic_actors
from safi_map.model.taxonomy import load_taxonomy

# A small taxonomy of our own, so labels and synonyms in the expected sentences are ours.
TAXONOMY_TOML = """
[[themes]]
slug = "insertion"
label = "Insertion et emploi"
colour = "#1f6fb2"
[[themes]]
slug = "culture"
label = "Culture et médias"
colour = "#9c27b0"
[[themes]]
slug = "sport"
label = "Sport et loisirs"
colour = "#c75000"

[[resources]]
slug = "locaux"
label = "Locaux"
synonyms = ["local", "salle", "salle de réunion", "bureau"]
[[resources]]
slug = "materiel"
label = "Matériel"
synonyms = ["camion", "véhicule", "outils"]
[[resources]]
slug = "transport"
label = "Transport"
synonyms = ["livraison", "covoiturage"]
"""

LAT0, LON0 = 43.10, 5.93  # near Toulon; every actor sits on this meridian


def north(km: float) -> float:
    """Latitude ``km`` north of LAT0 along the meridian: distances are exact by construction."""
    return LAT0 + math.degrees(km / EARTH_RADIUS_KM)


def make_actors(rows: list[dict]) -> gpd.GeoDataFrame:
    """Actors in the canonical format from a few fields (the rest blank)."""
    full = []
    for r in rows:
        rec = {c: "" for c in ACTOR_COLUMNS if c != "geometry"}
        rec.update({"themes": [], "needs": [], "offers": [], "stops": [], "sources": [],
                    "contact_consent": True, "latitude": math.nan, "longitude": math.nan,
                    "geocode_score": 0.0})
        rec.update(r)
        full.append(rec)
    frame = pd.DataFrame(full, columns=[c for c in ACTOR_COLUMNS if c != "geometry"])
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"])
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    return out[list(ACTOR_COLUMNS)]


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory):
    path = tmp_path_factory.mktemp("tx") / "taxonomy.toml"
    path.write_text(TAXONOMY_TOML, encoding="utf-8")
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def actors():
    return example_actors()


def example_actors() -> gpd.GeoDataFrame:
    """Eight actors near Toulon whose pairs, order and reasons are known exactly."""
    return make_actors([
        {"actor_id": "t-01", "name": "Atelier A", "insee_code": "83137", "commune": "Toulon",
         "department": "83", "latitude": LAT0, "longitude": LON0,
         "themes": ["insertion", "culture"], "needs": ["locaux", "Un camion pour livrer"]},
        {"actor_id": "t-02", "name": "Bureau B", "insee_code": "83137", "commune": "Toulon",
         "department": "83", "latitude": north(2), "longitude": LON0, "themes": ["sport"],
         "offers": ["Salle de réunion"]},
        {"actor_id": "t-03", "name": "Collectif C", "insee_code": "83126",
         "commune": "La Seyne-sur-Mer", "department": "83", "latitude": north(12),
         "longitude": LON0, "themes": ["culture", "insertion"], "offers": ["locaux; matériel"]},
        {"actor_id": "t-04", "name": "Dons D", "insee_code": "83069", "commune": "Hyères",
         "department": "83", "latitude": north(30), "longitude": LON0, "themes": ["insertion"],
         "offers": ["véhicule"]},
        # Needs and offers locaux: never its own helper. Theme "autre" is not a shared theme.
        {"actor_id": "t-05", "name": "Espace E", "insee_code": "83069", "commune": "Hyères",
         "department": "83", "latitude": north(5), "longitude": LON0, "themes": ["autre"],
         "needs": ["locaux"], "offers": ["local"]},
        # No consent: its contact details must appear nowhere.
        {"actor_id": "t-06", "name": "Fondation F", "insee_code": "13055",
         "commune": "Marseille", "department": "13", "latitude": north(50), "longitude": LON0,
         "themes": ["sport"], "offers": ["bureau"], "contact_consent": False,
         "email": "secret-f@example.org", "phone": "04 94 00 00 01",
         "address": "3 rue Privée"},
        # Same place and score as Bureau B: the tie is broken by id (t-02 before t-07).
        {"actor_id": "t-07", "name": "Garage G", "insee_code": "83137", "commune": "Toulon",
         "department": "83", "latitude": north(2), "longitude": LON0, "themes": ["sport"],
         "offers": ["locaux"], "email": "ok-g@example.org"},
        # Not located: ranks after every located helper, "distance inconnue".
        {"actor_id": "t-08", "name": "Halle H", "themes": [], "offers": ["locaux"]},
    ])


def _pairs_of(pairs: pd.DataFrame, needer: str, resource: str) -> list[str]:
    sub = pairs[(pairs["needer_id"] == needer) & (pairs["resource"] == resource)]
    return sub["helper_id"].tolist()


def test_exact_pairs_order_scores_and_reasons(actors, taxonomy):
    pairs = suggest_pairs(actors, taxonomy=taxonomy)
    a = pairs[pairs["needer_id"] == "t-01"]
    assert list(zip(a["resource"], a["helper_id"], a["rank"], strict=True)) == [
        ("locaux", "t-02", 1), ("locaux", "t-07", 2), ("locaux", "t-05", 3),
        ("locaux", "t-03", 4), ("locaux", "t-06", 5),  # limit 5: t-08 cut
        ("materiel", "t-03", 1), ("materiel", "t-04", 2),
    ]
    # score = 1.0 same commune + 1 / (1 + km / 10) + 0.05 per shared theme, 4 decimals.
    assert a["score"].tolist() == [
        round(1 + 1 / 1.2, 4), round(1 + 1 / 1.2, 4), round(1 / 1.5, 4),
        round(1 / 2.2 + 0.1, 4), round(1 / 6, 4), round(1 / 2.2 + 0.1, 4), round(1 / 4 + 0.05, 4),
    ]
    assert a["distance_km"].tolist() == [2.0, 2.0, 5.0, 12.0, 50.0, 12.0, 30.0]
    assert a["shared_themes"].tolist() == [[], [], [], ["insertion", "culture"], [],
                                           ["insertion", "culture"], ["insertion"]]
    assert a["reason"].tolist() == [
        "Atelier A cherche des locaux ; Bureau B en propose, dans la même commune",
        "Atelier A cherche des locaux ; Garage G en propose, dans la même commune",
        "Atelier A cherche des locaux ; Espace E en propose, à 5,0 km",
        "Atelier A cherche des locaux ; Collectif C en propose, à 12 km, "
        "thèmes communs : insertion et emploi, culture et médias",
        "Atelier A cherche des locaux ; Fondation F en propose, à 50 km",
        "Atelier A cherche du matériel ; Collectif C en propose, à 12 km, "
        "thèmes communs : insertion et emploi, culture et médias",
        "Atelier A cherche du matériel ; Dons D en propose, à 30 km, "
        "thème commun : insertion et emploi",
    ]
    # Espace E needs locaux and offers locaux: never paired with itself.
    assert _pairs_of(pairs, "t-05", "locaux") == ["t-02", "t-07", "t-03", "t-06", "t-08"]
    assert not (pairs["needer_id"] == pairs["helper_id"]).any()
    assert set(pairs["needer_id"]) == {"t-01", "t-05"}
    # Sorted by needer, resource (vocabulary order), rank.
    assert list(pairs["needer_id"]) == sorted(pairs["needer_id"])


def test_unknown_distance_ranks_last(actors, taxonomy):
    pairs = suggest_pairs(actors, taxonomy=taxonomy, limit_per_actor=10)
    assert _pairs_of(pairs, "t-01", "locaux") == ["t-02", "t-07", "t-05", "t-03", "t-06", "t-08"]
    last = pairs[(pairs["needer_id"] == "t-01") & (pairs["helper_id"] == "t-08")].iloc[0]
    assert math.isnan(last["distance_km"])
    assert last["score"] == 0.0
    assert last["reason"] == "Atelier A cherche des locaux ; Halle H en propose, distance inconnue"


def test_limit_and_radius(actors, taxonomy):
    pairs = suggest_pairs(actors, taxonomy=taxonomy, limit_per_actor=2)
    assert _pairs_of(pairs, "t-01", "locaux") == ["t-02", "t-07"]
    near = suggest_pairs(actors, taxonomy=taxonomy, max_km=10)
    assert _pairs_of(near, "t-01", "locaux") == ["t-02", "t-07", "t-05"]
    assert _pairs_of(near, "t-01", "materiel") == []  # Collectif C is 12 km away
    assert _pairs_of(near, "t-05", "locaux") == ["t-02", "t-07", "t-03"]  # 3 and 7 km
    assert near["distance_km"].max() <= 10


def test_free_text_mapped_with_synonyms_of_the_packaged_taxonomy():
    actors = make_actors([
        {"actor_id": "p-1", "name": "Un", "insee_code": "05061", "latitude": 44.56,
         "longitude": 6.08, "needs": ["Nous cherchons une salle pour nos ateliers"]},
        {"actor_id": "p-2", "name": "Deux", "insee_code": "05061", "latitude": 44.56,
         "longitude": 6.08, "offers": ["Bureaux"]},
        {"actor_id": "p-3", "name": "Trois", "insee_code": "05061", "latitude": 44.56,
         "longitude": 6.08, "offers": ["des bénévoles"]},
    ])
    pairs = suggest_pairs(actors, taxonomy=load_taxonomy())
    assert list(zip(pairs["needer_id"], pairs["resource"], pairs["helper_id"], strict=True)) == [
        ("p-1", "locaux", "p-2")]


def test_empty_and_invalid_input(actors, taxonomy):
    empty = suggest_pairs(actors.iloc[0:0], taxonomy=taxonomy)
    assert len(empty) == 0 and "reason" in empty.columns
    with pytest.raises(ValueError, match="limit_per_actor"):
        suggest_pairs(actors, taxonomy=taxonomy, limit_per_actor=0)
    with pytest.raises(ValueError, match="unique"):
        suggest_pairs(pd.concat([actors, actors.iloc[:1]]), taxonomy=taxonomy)


def test_actor_synergies_both_lists(actors, taxonomy):
    pairs = suggest_pairs(actors, taxonomy=taxonomy)
    a = actor_synergies(pairs, "t-01", taxonomy=taxonomy)
    assert [(x["actor_id"], x["resource"]) for x in a["helpers"]] == [
        ("t-02", "locaux"), ("t-07", "locaux"), ("t-05", "locaux"), ("t-03", "locaux"),
        ("t-06", "locaux"), ("t-03", "materiel"), ("t-04", "materiel")]
    assert a["helped"] == [] and a["helped_total"] == 0
    assert a["helpers"][0]["actor_id"] == "t-02" and "url" not in a["helpers"][0]  # no link
    assert a["helpers"][2]["distance_text"] == "5,0 km"
    assert a["helpers"][3]["shared_labels"] == ["Insertion et emploi", "Culture et médias"]
    b = actor_synergies(pairs, "t-02", taxonomy=taxonomy)
    # Bureau B can help Atelier A (same commune, 1.8333) before Espace E (3 km, 0.7692).
    assert [x["actor_id"] for x in b["helped"]] == ["t-01", "t-05"]
    assert b["helpers"] == []
    c = actor_synergies(pairs, "t-03", limit=1)
    # Espace E (7 km, 0.5882) before Atelier A (12 km, two shared themes, 0.5545)
    assert [x["actor_id"] for x in c["helped"]] == ["t-05"] and c["helped_total"] == 3
    assert actor_synergies(pairs, "nobody") == {"helpers": [], "helped": [], "helped_total": 0}
    every = synergies_by_actor(pairs, taxonomy=taxonomy)
    assert every["t-01"] == a and every["t-02"] == b
    assert "t-99" not in every


def test_fingerprint_follows_the_entry(actors, taxonomy):
    """A cached actor page is keyed by ``fingerprint``: it must change whenever ``get`` does."""
    pairs = suggest_pairs(actors, taxonomy=taxonomy)
    index = SynergyIndex(pairs, taxonomy=taxonomy, limit=1)
    assert index.fingerprint("nobody") == b""
    prints = {a: index.fingerprint(a) for a in index.actor_ids}
    assert all(prints.values()) and len(set(prints.values())) == len(prints)
    for column, value in (("reason", "Autre raison"), ("score", 0.01), ("helper_name", "X"),
                          ("distance_km", 99.0), ("shared_themes", ["autre"])):
        changed = pairs.copy()
        changed.loc[0, column] = value
        other = SynergyIndex(changed, taxonomy=taxonomy, limit=1)
        differ = [a for a in index.actor_ids if other.get(a) != index.get(a)]
        assert differ, column
        for actor in differ:
            assert other.fingerprint(actor) != prints[actor], (column, actor)
    assert SynergyIndex(pairs, taxonomy=taxonomy, limit=2).fingerprint("t-03") != prints["t-03"]


def test_csv_dialect_and_content(actors, taxonomy):
    pairs = suggest_pairs(actors, taxonomy=taxonomy)
    text = synergies_csv(pairs, taxonomy=taxonomy)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:4] == ["Structure qui cherche", "Commune (qui cherche)",
                           "Identifiant (qui cherche)", "Besoin"]
    assert len(rows) == len(pairs) + 1
    fourth = dict(zip(rows[0], rows[4], strict=True))
    assert fourth["Structure qui propose"] == "Collectif C"
    assert fourth["Distance (km)"] == "12,0"
    assert fourth["Thématiques communes"] == "Insertion et emploi, Culture et médias"
    assert fourth["Score"] == "0,5545"
    assert synergies_csv(pairs, taxonomy=taxonomy) == text


def test_partial_renders_both_lists(actors, taxonomy):
    from safi_map.site.build import make_environment

    pairs = suggest_pairs(actors, taxonomy=taxonomy)
    env = make_environment()
    tpl = env.from_string('{% from "synergies_partial.html" import synergies_section %}'
                          "{{ synergies_section(syn, root) }}")
    html = tpl.render(syn=actor_synergies(pairs, "t-03", taxonomy=taxonomy), root="../")
    soup = BeautifulSoup(html, "html.parser")
    titles = [h.get_text() for h in soup.find_all("h3")]
    assert titles == ["Vous pouvez aider"]  # Collectif C needs nothing
    links = [a["href"] for a in soup.select(".synergies-helped a")]
    assert links == ["../acteurs/t-05.html", "../acteurs/t-01.html", "../acteurs/t-01.html"]
    assert tpl.render(syn=actor_synergies(pairs, "nobody"), root="../").strip() == ""


def test_synthetic_scale_invariants():
    actors = synthetic_actors(400, seed=5)
    taxonomy = load_taxonomy()
    pairs = suggest_pairs(actors, taxonomy=taxonomy)
    assert len(pairs) > 0
    assert not (pairs["needer_id"] == pairs["helper_id"]).any()
    assert pairs.groupby(["needer_id", "resource"]).size().max() <= 5
    # Within one (needer, resource), scores never increase and ties go by helper id.
    for _, group in pairs.groupby(["needer_id", "resource"]):
        keys = list(zip((-group["score"]).tolist(), group["helper_id"].tolist(), strict=True))
        assert keys == sorted(keys)
    again = suggest_pairs(actors.sample(frac=1, random_state=1), taxonomy=taxonomy)
    pd.testing.assert_frame_equal(pairs, again)


# --- The spatial index gives exactly what scoring every pair gives -----------------------------
def _random_actors(n: int, seed: int) -> gpd.GeoDataFrame:
    """Hard cases for the KD-tree path: dense clusters sharing one commune, many themes (so
    themes reorder near helpers), exact duplicates of places, actors without a location."""
    import numpy as np

    rng = np.random.default_rng(seed)
    themes = ["insertion", "culture", "sport", "autre"]
    resources = ["locaux", "materiel", "transport"]
    centres = rng.uniform([43.0, 4.8], [44.8, 7.5], size=(12, 2))
    rows = []
    for i in range(n):
        c = int(rng.integers(0, len(centres)))
        spread = 0.002 if c < 3 else 0.05  # three very dense places
        lat, lon = centres[c] + rng.normal(0, spread, 2)
        if i % 17 == 0:
            lat, lon = centres[c]  # several actors at one point: ties of distance
        located = rng.random() > 0.08
        rows.append({
            "actor_id": f"r-{i:05d}", "name": f"Acteur {i}",
            "insee_code": f"83{c:03d}" if rng.random() > 0.05 else "",
            "commune": f"Commune {c}", "department": "83",
            "latitude": float(lat) if located else math.nan,
            "longitude": float(lon) if located else math.nan,
            "themes": sorted(set(rng.choice(themes, size=int(rng.integers(0, 4))).tolist())),
            "needs": sorted(set(rng.choice(resources, size=int(rng.integers(0, 3))).tolist())),
            "offers": sorted(set(rng.choice(resources, size=int(rng.integers(0, 3))).tolist())),
        })
    return make_actors(rows)


@pytest.mark.parametrize("rounds", [None, (2, 6)])
@pytest.mark.parametrize("options", [{}, {"max_km": 8.0}, {"limit_per_actor": 12},
                                     {"limit_per_actor": 1}])
@pytest.mark.slow
def test_spatial_index_matches_exhaustive_scoring(taxonomy, monkeypatch, rounds, options):
    from safi_map.analysis import pair_scoring, synergies

    monkeypatch.setattr(pair_scoring, "EXHAUSTIVE_MAX_PAIRS", 0)  # the KD-tree for every tag
    if rounds is not None:  # tiny k: most needers go through every round and the fallback
        monkeypatch.setattr(pair_scoring, "_KNN_ROUNDS", rounds)
    actors = _random_actors(2000, seed=len(options) + (rounds is None))
    fast = suggest_pairs(actors, taxonomy=taxonomy, **options)
    exact = synergies._exhaustive_pairs(actors, taxonomy=taxonomy, **options)
    assert len(exact) > 1000
    pd.testing.assert_frame_equal(fast, exact)


def test_spatial_index_matches_exhaustive_on_synthetic_region(monkeypatch):
    from safi_map.analysis import pair_scoring, synergies

    monkeypatch.setattr(pair_scoring, "EXHAUSTIVE_MAX_PAIRS", 0)  # the KD-tree for every tag

    actors = synthetic_actors(2000, seed=7)
    taxonomy = load_taxonomy()
    pd.testing.assert_frame_equal(suggest_pairs(actors, taxonomy=taxonomy),
                                  synergies._exhaustive_pairs(actors, taxonomy=taxonomy))


# --- analysis/ computes figures only ------------------------------------------------------------
_PAGE_LAYERS = ("safi_map.site.build", "safi_map.map", "safi_map.export.api", "jinja2", "markupsafe")


def _imported_names(path, package: str) -> list[str]:
    """Every module ``path`` imports, at the top or inside a function (relative ones resolved)."""
    import ast

    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level \
                else []
            names.append(".".join([*base, node.module or ""]).strip("."))
    return names


def test_analysis_imports_nothing_from_the_site_or_jinja():
    """No module of safi_map/analysis imports the site, the map, the exports, Jinja or MarkupSafe
    (the former cycle diagnostic <-> site <-> synergies): figures only, no HTML."""
    from pathlib import Path

    import safi_map.analysis

    folder = Path(safi_map.analysis.__file__).parent
    found = {p.name: [n for n in _imported_names(p, "safi_map.analysis")
                      if n == "jinja2" or n.startswith(_PAGE_LAYERS)]
             for p in sorted(folder.glob("*.py"))}
    assert len(found) >= 5
    assert {name: bad for name, bad in found.items() if bad} == {}


def test_imported_names_sees_lazy_and_relative_imports(tmp_path):
    """The check above would see an import hidden in a function, or a relative one."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from ..site.build import make_environment\n"
                      "    import jinja2\n", encoding="utf-8")
    assert sorted(_imported_names(module, "safi_map.analysis")) == [
        "jinja2", "safi_map.site.build"]


def test_figures_run_without_loading_the_site_builder():
    """Computing pairs, their CSV and the coverage loads neither the site builder nor a page."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from safi_map.model.synthetic import synthetic_actors\n"
        "from safi_map.model.taxonomy import load_taxonomy\n"
        "from safi_map.analysis import synergies, diagnostic, selection\n"
        "a = synthetic_actors(60, seed=1); t = load_taxonomy()\n"
        "p = synergies.suggest_pairs(a, taxonomy=t); synergies.synergies_csv(p, taxonomy=t)\n"
        "synergies.SynergyIndex(p).get(p['needer_id'].iloc[0])\n"
        "diagnostic.diagnostic_csv(diagnostic.coverage(a, taxonomy=t), taxonomy=t)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('safi_map.site.build',"
        " 'safi_map.site.pages', 'safi_map.map'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"

"""The synergies page (safi_map/site/pages/synergies.py): grouped by structure, consent, escaping."""

from __future__ import annotations

import json
import types
from collections import Counter

import pandas as pd
import pytest
from bs4 import BeautifulSoup
from test_synergies import LAT0, LON0, TAXONOMY_TOML, example_actors, make_actors, north

from safi_map.analysis.synergies import suggest_pairs
from safi_map.model.public import public_actors
from safi_map.model.taxonomy import load_taxonomy
from safi_map.site.pages import synergies as page


@pytest.fixture(scope="module")
def taxonomy(tmp_path_factory):
    path = tmp_path_factory.mktemp("tx") / "taxonomy.toml"
    path.write_text(TAXONOMY_TOML, encoding="utf-8")
    return load_taxonomy(path)


@pytest.fixture(scope="module")
def actors():
    return example_actors()


class _Writer:
    def __init__(self) -> None:
        self.files: dict[str, str] = {}

    def write_text(self, rel: str, text: str) -> None:
        self.files[rel] = text

    def write_chunks(self, rel: str, chunks) -> None:
        self.files[rel] = "".join(chunks)


def _write(actors, taxonomy, pairs=None) -> tuple[dict[str, str], Counter]:
    ctx = types.SimpleNamespace(public=public_actors(actors), taxonomy=taxonomy, tour=None,
                                settings=None, env=None, base={"site_title": "Essai"},
                                pairs=pairs)
    from safi_map.site.build import make_environment

    ctx.env = make_environment()
    writer = _Writer()
    counts = page.write_pages(ctx, writer)
    return writer.files, counts


def _groups(html: str) -> list:
    return BeautifulSoup(html, "html.parser").select("#syn-groups details.syn-group")


def _items(group, cls: str) -> list[str]:
    return [li.get_text(" ", strip=True) for li in group.select(f"ul.{cls} li")]


def test_one_collapsed_block_per_structure_with_both_lists(actors, taxonomy):
    files, counts = _write(actors, taxonomy)
    assert counts == Counter(synergies=1)
    assert set(files) == {"synergies.html", "synergies/mises-en-relation.csv"}
    groups = _groups(files["synergies.html"])
    names = [g.select_one(".syn-name").get_text() for g in groups]
    # Every structure with a suggestion, by name; none of them open (a page stays short).
    assert names == ["Atelier A", "Bureau B", "Collectif C", "Dons D", "Espace E",
                     "Fondation F", "Garage G", "Halle H"]
    assert not any(g.has_attr("open") for g in groups)
    atelier = groups[0]
    summary = atelier.summary.get_text(" ", strip=True)
    assert summary == "Atelier A Toulon Cherche\u00a0: Locaux, Matériel"
    assert [h.get_text() for h in atelier.select("h3")] == ["Peut être aidée par"]
    assert _items(atelier, "syn-helpers") == [
        "Bureau B — propose\u00a0: Locaux, Toulon, à 2,0\u00a0km",
        "Garage G — propose\u00a0: Locaux, Toulon, à 2,0\u00a0km",
        "Espace E — propose\u00a0: Locaux, Hyères, à 5,0\u00a0km",
        "Collectif C — propose\u00a0: Locaux, La Seyne-sur-Mer, à 12\u00a0km",
        "Fondation F — propose\u00a0: Locaux, Marseille, à 50\u00a0km",
        "Collectif C — propose\u00a0: Matériel, La Seyne-sur-Mer, à 12\u00a0km",
        "Dons D — propose\u00a0: Matériel, Hyères, à 30\u00a0km",
    ]
    assert atelier.select_one("ul.syn-helpers a")["href"] == "acteurs/t-02.html"
    bureau = groups[1]
    assert bureau.summary.get_text(" ", strip=True) == "Bureau B Toulon Peut apporter\u00a0: Locaux"
    # Best score first: Atelier A (same commune) before Espace E (3 km).
    assert _items(bureau, "syn-helps") == [
        "Atelier A — cherche\u00a0: Locaux, Toulon, à 2,0\u00a0km",
        "Espace E — cherche\u00a0: Locaux, Hyères, à 3,0\u00a0km",
    ]
    halle = groups[-1]  # not located: "distance inconnue"
    assert _items(halle, "syn-helps") == ["Espace E — cherche\u00a0: Locaux, Hyères, distance inconnue"]
    assert halle.select_one(".syn-card-link a")["href"] == "acteurs/t-08.html"


def test_data_for_the_script_matches_the_rendered_groups(actors, taxonomy):
    files, _ = _write(actors, taxonomy)
    soup = BeautifulSoup(files["synergies.html"], "html.parser")
    data = json.loads(soup.find("script", id="synergies-data").string)
    assert data["page"] == page.PAGE_GROUPS
    shown = [d["data-actor"] for d in _groups(files["synergies.html"])]
    assert [data["actors"][g[0]][0] for g in data["groups"]] == shown
    pairs = suggest_pairs(public_actors(actors), taxonomy=taxonomy)
    assert len(data["pairs"]) == len(pairs)
    for a, first, end, helped, total, offers in data["groups"]:
        actor_id = data["actors"][a][0]
        assert all(data["actors"][data["pairs"][i][0]][0] == actor_id
                   for i in range(first, end))
        assert all(data["actors"][data["pairs"][i][1]][0] == actor_id for i in helped)
        assert total == int((pairs["helper_id"] == actor_id).sum())
        assert offers == sorted(offers)
    assert data["departments"] == [["13", "Bouches-du-Rhône"], ["83", "Var"]]
    # Departments by name in the filter, never a bare code.
    options = [o.get_text() for o in soup.select("#syn-department option")]
    assert options == ["Tous les départements", "Bouches-du-Rhône", "Var"]
    assert soup.find("p", id="syn-count").get_text() == "8 structures"
    assert soup.find("p", id="syn-count")["aria-live"] == "polite"
    for sel in ("syn-name", "syn-resource", "syn-department", "syn-theme"):
        assert soup.find("label", attrs={"for": sel}) is not None


def test_a_page_of_structures_at_a_time_and_the_rest_counted(taxonomy):
    """Twenty blocks server-side; a structure that can help many lists the best ten and
    counts the others."""
    rows = [{"actor_id": "h-00", "name": "Aidant", "insee_code": "83137", "commune": "Toulon",
             "department": "83", "latitude": LAT0, "longitude": LON0, "offers": ["locaux"]}]
    rows += [{"actor_id": f"n-{i:02d}", "name": f"Cherche {i:02d}", "insee_code": "83137",
              "commune": "Toulon", "department": "83", "latitude": north(i / 10),
              "longitude": LON0, "needs": ["locaux"]} for i in range(30)]
    files, _ = _write(make_actors(rows), taxonomy)
    groups = _groups(files["synergies.html"])
    assert len(groups) == page.PAGE_GROUPS
    aidant = groups[0]
    assert len(aidant.select("ul.syn-helps li")) == page.HELPED_LIMIT
    assert aidant.select_one(".syn-body > p.muted").get_text() == \
        "Et 20 autres structures\u00a0: voir le fichier CSV."
    soup = BeautifulSoup(files["synergies.html"], "html.parser")
    assert "20 premières structures" in soup.find(id="syn-nojs").get_text()
    assert soup.find(id="syn-count").get_text() == "31 structures"


def test_consent_escaping_determinism_and_no_inline_script(actors, taxonomy):
    hostile = make_actors([
        {"actor_id": "x-1", "name": "<script>alert(1)</script>", "insee_code": "83137",
         "latitude": LAT0, "longitude": LON0, "needs": ["locaux"], "department": "83"},
    ])
    both = pd.concat([actors, hostile], ignore_index=True)
    out, _ = _write(both, taxonomy)
    assert out == _write(both, taxonomy)[0]
    for content in out.values():
        for secret in ("secret-f@example.org", "04 94 00 00 01", "3 rue Privée"):
            assert secret not in content
    html = out["synergies.html"]
    assert "<script>alert" not in html
    soup = BeautifulSoup(html, "html.parser")
    data = json.loads(soup.find("script", id="synergies-data").string)
    assert "<script>alert(1)</script>" in {a[1] for a in data["actors"]}
    assert soup.find("script", src="assets/site/synergies.js") is not None
    assert not soup.find_all("script", src=False, type=lambda t: t != "application/json")
    assert "style=" not in html


def test_no_pair_no_list(taxonomy):
    lonely = make_actors([{"actor_id": "l-1", "name": "Seule", "needs": ["locaux"]}])
    files, _ = _write(lonely, taxonomy)
    soup = BeautifulSoup(files["synergies.html"], "html.parser")
    assert soup.find(id="syn-groups") is None and soup.find("script", src=True) is None
    assert "Aucun besoin exprimé ne correspond" in soup.get_text()

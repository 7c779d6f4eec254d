"""export(): selection + publication gate + one format; poster_set()."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from test_selection import crafted

from safi_map.analysis.selection import Selection
from safi_map.core.settings import Settings
from safi_map.export.api import FORMATS, export
from safi_map.export.poster_set import POSTERS_LEFT, poster_set
from safi_map.model.synthetic import synthetic_taxonomy

TAXONOMY = synthetic_taxonomy()
needs_pdftotext = pytest.mark.skipif(shutil.which("pdftotext") is None and not os.environ.get("CI"),
                                     reason="poppler-utils (installed by .ci/run; required in CI)")
SECRETS = (b"secret-mail@example.org", b"06 99 88 77 66", b"+33699887766", b"impasse Secrete")


@pytest.fixture(scope="module")
def actors():
    secret = {"email": "secret-mail@example.org", "phone": "06 99 88 77 66",
              "address": "3 impasse Secrete", "consent": False}
    public = {"email": "public@example.org", "phone": "04 94 00 00 01",
              "address": "1 place Publique", "consent": True}
    return crafted([
        {"insee": "83137", "name": "Toulon Un", "themes": ["insertion"], **secret},
        {"insee": "83137", "name": "Toulon Deux", "themes": ["culture"], **public},
        {"insee": "83137", "name": "Toulon Trois", "themes": ["insertion", "culture"],
         **secret, "dlat": 0.003},
        {"insee": "83126", "name": "La Seyne Un", "themes": ["insertion"], **secret},
        {"insee": "05061", "name": "Gap Un", "themes": ["sante"], **public,
         "description": "Prévention santé à Gap."},
    ])


# Text searchable exports only: a PNG poster is pixels (the SVG poster, drawn by the same
# renderer, stands for it); a PDF's text is read with pdftotext (its streams are compressed).
@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg", "datainclusion", "svg",
                                 pytest.param("pdf", marks=needs_pdftotext), "html"])
@pytest.mark.slow
def test_no_private_contact_in_any_export(actors, tmp_path, fmt):
    suffix = {"datainclusion": "json", "html": "html"}.get(fmt, fmt)
    result = export(actors, fmt=fmt, out=tmp_path / f"out.{suffix}", taxonomy=TAXONOMY, dpi=20)
    assert result.actors == 5
    files = list(result.paths)
    if fmt == "pdf":
        text = subprocess.run(["pdftotext", str(result.path), "-"], capture_output=True,
                              check=True).stdout
        files_bytes = [result.path.read_bytes(), text]
        assert b"Toulon Trois" in text  # the text is there to search
    else:
        files_bytes = [p.read_bytes() for p in files]
        assert b"Toulon Trois" in b"".join(files_bytes)  # the names are there to search
    for data in files_bytes:
        for secret in SECRETS:
            assert secret not in data, (fmt, secret)
        assert b"t.csv" not in data  # internal sources column never exported
    if fmt in ("geojson", "csv", "datainclusion", "html"):
        joined = b"".join(files_bytes)
        assert b"public@example.org" in joined  # consented contacts are exported


def test_data_exports_follow_the_selection(actors, tmp_path):
    sel = Selection(communes=["Toulon"], themes=["insertion"])
    result = export(actors, fmt=None, out=tmp_path / "toulon.geojson", selection=sel,
                    taxonomy=TAXONOMY)
    assert result.fmt == "geojson" and result.actors == 2
    assert result.subtitle == "Toulon · thème Insertion et emploi"
    data = json.loads(result.path.read_text(encoding="utf-8"))
    assert sorted(f["properties"]["name"] for f in data["features"]) == ["Toulon Trois",
                                                                           "Toulon Un"]
    assert "sources" not in data["features"][0]["properties"]
    csv = export(actors, fmt="csv", out=tmp_path / "gap.csv", excel=True,
                 selection=Selection(departments=["05"]))
    raw = csv.path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b";" in raw.splitlines()[0]
    assert len(raw.decode("utf-8-sig").strip().splitlines()) == 2


def test_datainclusion_through_export_writes_json_and_csv(actors, tmp_path):
    settings = Settings(site_url="https://safi.example.org")
    result = export(actors, fmt="datainclusion", out=tmp_path / "di.json", settings=settings,
                    selection=Selection(around="Toulon", radius_km=10))
    assert [p.name for p in result.paths] == ["di.json", "di.csv", "di-services.json",
                                              "di-services.csv"]
    structures = json.loads(result.path.read_text(encoding="utf-8"))
    assert len(structures) == result.actors == 4
    assert structures[0]["lien_source"].startswith("https://safi.example.org/acteurs/")


@needs_pdftotext
def test_poster_defaults_from_settings_and_selection(actors, tmp_path):
    settings = Settings(title="Le SAFI Tour à Toulon", site_url="https://safi.example.org/carte")
    result = export(actors, fmt="pdf", out=tmp_path / "p.pdf", settings=settings,
                    selection=Selection(communes=["83137"]), taxonomy=TAXONOMY, size="A4",
                    orientation="portrait")
    text = subprocess.run(["pdftotext", str(result.path), "-"], capture_output=True,
                          check=True).stdout.decode()
    assert "Le SAFI Tour à Toulon" in text and "Toulon" in text
    assert "https://safi.example.org/carte" in text  # the QR code's caption
    assert "Gap Un" not in text and result.actors == 3
    assert result.detail.listed == 3


def test_html_is_one_offline_file(actors, tmp_path):
    result = export(actors, fmt="html", out=tmp_path / "carte.html", taxonomy=TAXONOMY,
                    selection=Selection(departments=["83"]))
    page = result.path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'lang="fr"' in page
    assert "Toulon Un" in page and "Gap Un" not in page
    assert 'src="assets/' not in page and 'href="assets/' not in page


def test_unknown_format_and_selection_errors(actors, tmp_path):
    with pytest.raises(ValueError, match="'docx'"):
        export(actors, fmt="docx", out=tmp_path / "x.docx")
    with pytest.raises(ValueError, match=r"x\.txt"):
        export(actors, fmt=None, out=tmp_path / "x.txt")
    with pytest.raises(ValueError, match="'Toulonn'"):
        export(actors, fmt="csv", out=tmp_path / "x.csv", selection=Selection(communes=["Toulonn"]))
    assert "datainclusion" in FORMATS and "pdf" in FORMATS


@pytest.mark.parametrize("fmt", ["csv", "geojson", "datainclusion", "gpkg", "html", "svg"])
def test_exports_do_not_depend_on_row_order(actors, tmp_path, fmt):
    suffix = {"datainclusion": "json"}.get(fmt, fmt)
    reordered = actors.iloc[::-1].reset_index(drop=True)  # reversed rows, fresh index
    assert list(reordered["actor_id"]) == list(actors["actor_id"])[::-1]
    a = export(actors, fmt=fmt, out=tmp_path / f"a.{suffix}", taxonomy=TAXONOMY)
    b = export(reordered, fmt=fmt, out=tmp_path / f"b.{suffix}", taxonomy=TAXONOMY)
    for pa, pb in zip(a.paths, b.paths, strict=True):
        assert pa.read_bytes() == pb.read_bytes(), fmt
    if fmt == "csv":
        import csv

        with a.path.open(encoding="utf-8", newline="") as f:
            ids = [row["actor_id"] for row in csv.DictReader(f)]
        assert ids == sorted(actors["actor_id"])  # rows in actor_id order
    elif fmt == "geojson":
        features = json.loads(a.path.read_text(encoding="utf-8"))["features"]
        assert [f["properties"]["actor_id"] for f in features] == sorted(actors["actor_id"])


def test_poster_set(actors, tmp_path):
    tour = [{"id": "toulon", "town": "Toulon"}]
    result = poster_set(actors, tmp_path, taxonomy=TAXONOMY, tour=tour, fmt="svg", size="A4",
                        min_actors=2, themes=["insertion", "sante"])
    assert result.communes == {"83137": tmp_path.joinpath("communes/83137-toulon.svg")
                               .relative_to(tmp_path)}
    assert list(result.themes) == ["insertion"]  # santé has one actor only
    assert result.stops == {}  # no actor carries the stop
    for path in result.paths:
        assert path.is_file() and path.stat().st_size > 1000
    assert "Toulon Un" in (tmp_path / result.communes["83137"]).read_text(encoding="utf-8")


@pytest.mark.slow
def test_poster_set_cache_renders_only_changed_posters(tmp_path):
    taxonomy = synthetic_taxonomy()
    rows = [{"insee": "83137", "themes": ["insertion"]}, {"insee": "83137", "themes": ["sante"]},
            {"insee": "83069", "themes": ["sante"]}]
    actors = crafted(rows)
    kw = {"taxonomy": taxonomy, "settings": Settings(), "fmt": "svg", "cache_dir": tmp_path / "c",
          "stops": []}
    first = poster_set(actors, tmp_path / "a", **kw)
    assert first.reused == 0 and len(first.paths) == 4  # 2 communes, 2 themes
    again = poster_set(actors, tmp_path / "b", **kw)
    assert again.reused == 4
    for p, q in zip(first.paths, again.paths, strict=True):
        assert p.read_bytes() == q.read_bytes()
    actors.loc[2, "name"] = "Nouveau nom à Hyères"  # touches Hyères and the sante theme
    notes = tmp_path / "c" / "notes.svg"  # not an entry: never deleted
    notes.write_text("à garder", encoding="utf-8")
    changed = poster_set(actors, tmp_path / "c2", **kw)
    assert changed.reused == 2
    assert notes.read_text(encoding="utf-8") == "à garder"
    notes.unlink()
    assert len(list((tmp_path / "c").iterdir())) == 4  # stale entries pruned


def test_poster_set_draws_the_same_files_again_and_refresh_redraws(tmp_path):
    taxonomy = synthetic_taxonomy()
    rows = [{"insee": "83137", "themes": ["insertion"]}, {"insee": "83137", "themes": ["sante"]},
            {"insee": "83069", "themes": ["sante"]}, {"insee": "83069", "themes": ["insertion"]}]
    actors = crafted(rows)
    kw = {"taxonomy": taxonomy, "settings": Settings(), "fmt": "svg", "stops": []}
    plain = poster_set(actors, tmp_path / "plain", **kw)
    cached = poster_set(actors, tmp_path / "cached", cache_dir=tmp_path / "c", **kw)
    assert cached.reused == 0
    assert [p.relative_to(tmp_path / "cached") for p in cached.paths] == [
        p.relative_to(tmp_path / "plain") for p in plain.paths]
    for p, q in zip(plain.paths, cached.paths, strict=True):
        assert p.read_bytes() == q.read_bytes(), p.name
    assert poster_set(actors, tmp_path / "again", cache_dir=tmp_path / "c", **kw).reused == 4
    redrawn = poster_set(actors, tmp_path / "forced", cache_dir=tmp_path / "c", refresh=True,
                         **kw)
    assert redrawn.reused == 0
    assert not list((tmp_path / "c").glob("*.tmp.*"))
    assert len(list((tmp_path / "c").iterdir())) == 4


def test_poster_set_without_drawing_links_only_what_the_cache_has(tmp_path):
    """draw=False (a build that does not wait for posters): nothing is drawn; the posters the
    cache has are written and listed, the others are pending until a drawing call."""
    taxonomy = synthetic_taxonomy()
    rows = [{"insee": "83137", "themes": ["insertion"]}, {"insee": "83137", "themes": ["sante"]},
            {"insee": "83069", "themes": ["sante"]}]
    actors = crafted(rows)
    kw = {"taxonomy": taxonomy, "settings": Settings(), "fmt": "svg", "cache_dir": tmp_path / "c",
          "stops": []}
    cold = poster_set(actors, tmp_path / "cold", draw=False, **kw)
    assert cold.paths == [] and not (tmp_path / "cold").exists()
    assert sorted(map(str, cold.pending)) == ["communes/83069-hyeres.svg",
                                               "communes/83137-toulon.svg",
                                               "themes/insertion.svg", "themes/sante.svg"]
    drawn = poster_set(actors, tmp_path / "drawn", draw=True, **kw)
    assert drawn.pending == () and drawn.reused == 0 and len(drawn.paths) == 4
    actors.loc[2, "name"] = "Nouveau nom à Hyères"  # Hyères and the sante theme change
    warm = poster_set(actors, tmp_path / "warm", draw=False, **kw)
    assert sorted(map(str, warm.pending)) == ["communes/83069-hyeres.svg", "themes/sante.svg"]
    assert warm.communes == {"83137": Path("communes/83137-toulon.svg")}
    assert list(warm.themes) == ["insertion"] and warm.reused == 2
    assert sorted(p.name for p in (tmp_path / "warm").rglob("*.svg")) == [
        "83137-toulon.svg", "insertion.svg"]
    left: list[Path] = []
    token = POSTERS_LEFT.set(left)  # the build's switch, for the site's call
    try:
        assert len(poster_set(actors, tmp_path / "ctx", **kw).pending) == 2
    finally:
        POSTERS_LEFT.reset(token)
    assert sorted(p.relative_to(tmp_path / "ctx").as_posix() for p in left) == [
        "communes/83069-hyeres.svg", "themes/sante.svg"]
    assert poster_set(actors, tmp_path / "later", **kw).pending == ()
    assert poster_set(actors, tmp_path / "again", draw=False, **kw).pending == ()


def test_a_new_stop_redraws_only_the_stop_posters(tmp_path):
    """The tour is on a stop's poster only: a new stop leaves the commune and theme posters in
    the cache (a rebuild after a stop does not redraw the region's posters)."""
    import datetime as dt

    from safi_map.model.tour import Stop, Tour

    taxonomy = synthetic_taxonomy()
    actors = crafted([{"insee": "83137", "themes": ["insertion"], "stops": ["toulon"]},
                      {"insee": "83137", "themes": ["sante"], "stops": ["toulon"]}])
    toulon = Stop(id="toulon", town="Toulon", insee_code="83137", date=dt.date(2015, 9, 28))
    kw = {"taxonomy": taxonomy, "settings": Settings(), "fmt": "svg", "cache_dir": tmp_path / "c"}
    first = poster_set(actors, tmp_path / "a", tour=Tour([toulon]), **kw)
    assert first.reused == 0 and len(first.stops) == 1 and len(first.paths) == 4
    frejus = Stop(id="frejus", town="Fréjus", insee_code="83061", date=dt.date(2015, 12, 12))
    again = poster_set(actors, tmp_path / "b", tour=Tour([toulon, frejus]), **kw)
    assert again.reused == 3  # the commune and the two themes; the Toulon stop poster is redrawn

"""Outputs written atomically, killed runs and corrupt previous outputs (issue #12 point 7), and
caches that cannot run code nor be changed through the site (point 13)."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point
from test_build_folder import SURVEY, make_project, run

import safi_map.ingestion.io as io_module
from safi_map.ingestion.io import read_actors, write_actors
from safi_map.ingestion.partcache import PartCache
from safi_map.model.tour import Tour

ROOT = Path(__file__).resolve().parents[1]
TMP_MARK = ".safi-tmp-"
OUTPUTS = ("actors.gpkg", "actors.geojson", "actors.csv", "ingest-report.json", "changes.json")
NEW_ACTOR = "Ressourcerie du Var;;83000;Toulon;oui\n"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in OUTPUTS}


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if TMP_MARK in p.name)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("built") / "projet")
    result = run(["build"], root)
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def project(built, tmp_path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "p", symlinks=True))


# -- the writer ------------------------------------------------------------------------------
def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path):
    from safi_map.core.writer import atomic_path, copy_file_atomic, write_file_atomic

    target = tmp_path / "tour.toml"
    target.write_text("ancien\n", encoding="utf-8")
    target.chmod(0o640)
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("nouveau, à moitié", encoding="utf-8")
        raise KeyboardInterrupt
    assert target.read_text(encoding="utf-8") == "ancien\n"
    assert list(tmp_path.iterdir()) == [target]
    write_file_atomic(target, "nouveau\n")
    assert target.read_text(encoding="utf-8") == "nouveau\n"
    assert target.stat().st_mode & 0o777 == 0o640  # the mode of the replaced file
    copy = copy_file_atomic(target, tmp_path / "surveys" / "copie.toml")
    assert copy.read_bytes() == b"nouveau\n" and list(tmp_path.glob(f"**/*{TMP_MARK}*")) == []


def test_atomic_write_goes_through_a_symlink(tmp_path):
    from safi_map.core.writer import write_file_atomic

    real = tmp_path / "real.toml"
    real.write_text("a", encoding="utf-8")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    write_file_atomic(link, "b")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "b"


def test_staged_files_are_put_in_place_together(tmp_path):
    from safi_map.core.writer import StagedFiles

    staged = StagedFiles()
    for name in ("a.json", "b.json"):
        (tmp_path / name).write_text("old", encoding="utf-8")
        staged.path(tmp_path / name).write_text("new", encoding="utf-8")
    finals = [tmp_path / "a.json", tmp_path / "b.json"]
    assert [p.read_text(encoding="utf-8") for p in finals] == ["old", "old"]
    staged.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]
    assert {p.read_text(encoding="utf-8") for p in tmp_path.iterdir()} == {"new"}


def _actors() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"actor_id": ["a-1"], "name": ["Atelier"], "themes": [["culture"]],
                             "contact_consent": [True]},
                            geometry=[Point(5.93, 43.12)], crs="EPSG:4326")


def test_a_geopackage_interrupted_while_written_leaves_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "actors.gpkg"
    write_actors(_actors(), path)
    before = path.read_bytes()

    def dies_half_way(self, filename, *args, **kwargs):
        Path(filename).write_bytes(b"SQLite format 3\x00 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", dies_half_way)
    with pytest.raises(KeyboardInterrupt):
        write_actors(_actors(), path)
    assert path.read_bytes() == before
    assert read_actors(path)["name"].tolist() == ["Atelier"]
    assert [p.name for p in tmp_path.iterdir()] == ["actors.gpkg"]


def test_ingest_outputs_interrupted_half_way_leave_the_previous_ones(project, monkeypatch):
    from safi_map import ingest, load_settings, write_ingest_outputs

    out = project / "build"
    before = snapshot(out)
    (project / "data" / "surveys" / "etape.csv").write_text(SURVEY + NEW_ACTOR, encoding="utf-8")
    real = io_module._write_csv

    def disk_full(frame, path, **kwargs):
        real(frame, path, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(io_module, "_write_csv", disk_full)
    settings = load_settings(base=project)
    with pytest.raises(OSError):
        write_ingest_outputs(ingest(settings=settings), settings.out)
    assert snapshot(out) == before
    assert temporaries(out) == []


# -- a build killed for real ---------------------------------------------------------------------
KILLED = textwrap.dedent("""
    import os, signal, sys
    import safi_map.ingestion.io as io
    real = io._write_csv
    def killed(frame, path, **kwargs):
        real(frame, path, **kwargs)
        with open(path, "r+b") as fh:
            fh.truncate(10)
        os.kill(os.getpid(), signal.SIGKILL)
    io._write_csv = killed
    from safi_map.cli.main import main
    sys.argv = ["safi-map", "build"]
    main()
""")


@pytest.mark.slow
def test_a_build_killed_while_writing_loses_nothing_and_the_next_one_cleans_up(project):
    out = project / "build"
    before = snapshot(out)
    (project / "data" / "surveys" / "etape.csv").write_text(SURVEY + NEW_ACTOR, encoding="utf-8")
    killed = subprocess.run([sys.executable, "-c", KILLED], cwd=project,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()
    assert snapshot(out) == before  # every previous output whole
    assert temporaries(out)  # what the killed run left…
    assert read_actors(out / "actors.gpkg")["name"].tolist()  # export can still read it
    result = run(["build"], project)
    assert result.exit_code == 0, result.output
    assert temporaries(out) == []  # …is removed by the next run
    changes = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    assert changes["summary"]["new"] == 1


def test_a_build_interrupted_after_ingest_does_not_use_up_the_change_report(project,
                                                                          monkeypatch):
    import safi_map.site.build as site

    out = project / "build"
    before = snapshot(out)
    (project / "data" / "surveys" / "etape.csv").write_text(SURVEY + NEW_ACTOR, encoding="utf-8")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as m:
        m.setattr(site, "build_site", interrupted)
        result = run(["build"], project)  # click turns Ctrl-C into "Aborted!", exit code 1
        assert result.exit_code == 1, result.output
    assert snapshot(out) == before
    result = run(["build"], project)
    assert result.exit_code == 0, result.output
    changes = json.loads((out / "changes.json").read_text(encoding="utf-8"))
    assert changes["summary"]["new"] == 1, changes
    assert "Ressourcerie du Var" in (out / "site" / "changes.html").read_text(encoding="utf-8")


def test_a_build_whose_site_fails_leaves_no_temporary_ingest_outputs(project, monkeypatch):
    """Disk full while the site is written: the staged ingest outputs are removed with the
    site's, not left beside the previous files until the next run."""
    import errno

    import safi_map.site.build as site

    out = project / "build"
    before = snapshot(out)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "site" / "x.html"))

    with monkeypatch.context() as m:
        m.setattr(site, "build_site", disk_full)
        result = run(["build"], project)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert temporaries(out) == []
    assert snapshot(out) == before


# -- corrupt previous outputs ---------------------------------------------------------------
@pytest.mark.parametrize("name", ["actors.geojson", "ingest-report.json", "changes.json"])
def test_a_truncated_previous_output_is_no_previous_build(project, name):
    out = project / "build"
    data = (out / name).read_bytes()
    (out / name).write_bytes(data[: len(data) // 2])
    result = run(["build"], project)
    assert result.exit_code == 0, result.output
    assert name in result.output  # the warning names the file
    assert json.loads((out / "changes.json").read_text(encoding="utf-8"))["first_build"]
    json.loads((out / name).read_text(encoding="utf-8"))  # written whole again


# -- caches ----------------------------------------------------------------------------------
class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "pwned"))


@pytest.mark.slow
def test_no_cache_file_is_unpickled(project, tmp_path):
    """Whoever can write in build/cache must not get code run by the next build: a pickle
    where the ingest cache and the geocoder's tables were kept is never loaded (the build runs
    in a new process: nothing is in memory yet)."""
    from safi_map import load_settings

    cache_dir = project / "build" / "cache"
    marker = tmp_path / "executed"
    evil = pickle.dumps(_Payload(marker))
    settings = load_settings(base=project)
    key = PartCache(settings, False, tour=Tour())._key(project / "data" / "surveys" / "etape.csv")
    (cache_dir / f"{key}.pkl").write_bytes(evil)
    (cache_dir / "geocode-index").mkdir(exist_ok=True)
    (cache_dir / "geocode-index" / f"index-{'0' * 32}.pkl").write_bytes(evil)
    # a new file: its rows are not cached, so the geocoder is made ready
    (project / "data" / "surveys" / "autre.csv").write_text(
        "Nom de la structure;CP;Ville\nCafé Associatif;05000;Gap\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "safi_map", "build"], cwd=project,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not marker.exists()


@pytest.mark.slow
def test_a_published_page_edited_in_place_does_not_change_the_next_build(tmp_path):
    project = make_project(tmp_path / "p")  # built here: a copied folder has no hard links
    assert run(["build"], project).exit_code == 0
    out = project / "build"
    pages = sorted((out / "site" / "acteurs").glob("*.html"))
    page = pages[0]
    original = page.read_bytes()
    with open(page, "r+b") as fh:  # in place: same file, as an editor or a host's tool may do
        fh.write(b"<!-- defaced -->")
    result = run(["build"], project)
    assert result.exit_code == 0, result.output
    assert page.read_bytes() == original


def test_nothing_in_the_cache_is_code(built):
    """No cache file in a format that runs code when loaded: pickles, Jinja2 bytecode."""
    cache = built / "build" / "cache"
    kinds = sorted({p.suffix or p.name for p in cache.rglob("*") if p.is_file()})
    assert not [p for p in cache.rglob("*") if p.suffix in (".pkl", ".pickle", ".cache")], kinds
    assert not (cache / "templates").exists()

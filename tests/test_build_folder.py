"""The build folder (``--out``): never a file deleted that the tool did not write, no output
inside the data, one run at a time, and the leftovers of killed runs cleaned (issue #12 point 6,
#11 item 7)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _project import make
from click.testing import CliRunner

from safi_map.cli.base import user_error
from safi_map.cli.main import cli
from safi_map.core.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_NAME = ".safi-map-manifest.json"

SURVEY = (
    "Nom de la structure;Adresse;CP;Ville;Accord de publication\n"
    "Atelier du Port;8 Boulevard de Strasbourg;83000;Toulon;oui\n"
    "Jardin Partagé;;04000;Digne-les-Bains;oui\n"
)


def make_project(root: Path, survey: str = SURVEY) -> Path:
    """A small project: one survey, no posters (a build takes seconds)."""
    return make(root, surveys={"etape.csv": survey}, config="[site]\nposters = false\n").root


def run(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "projet")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A project built once (its build folder is copied by the tests that change it)."""
    root = make_project(tmp_path_factory.mktemp("built") / "projet")
    result = run(["build"], root)
    assert result.exit_code == 0, result.output
    return root


def copy_built(built: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(built, dest, symlinks=True)
    return dest


# -- refusals: nothing of somebody else's is touched -----------------------------------------
def test_an_existing_site_folder_with_other_files_is_refused(project, tmp_path):
    out = tmp_path / "www"
    (out / "site").mkdir(parents=True)
    (out / "site" / "index.html").write_text("my own page", encoding="utf-8")
    (out / "site" / "photo.jpg").write_bytes(b"\xff\xd8")
    result = run(["build", "--out", str(out)], project)
    assert result.exit_code == 2, result.output
    assert "site" in result.output
    assert (out / "site" / "index.html").read_text(encoding="utf-8") == "my own page"
    assert (out / "site" / "photo.jpg").read_bytes() == b"\xff\xd8"
    assert not (out / "actors.gpkg").exists() and not (out / MANIFEST_NAME).exists()


def test_unknown_files_in_a_cache_folder_are_never_deleted(project, tmp_path):
    out = tmp_path / "dossier"
    (out / "cache").mkdir(parents=True)
    (out / "cache" / "notes.pkl").write_bytes(b"mine")
    result = run(["build", "--out", str(out)], project)
    assert result.exit_code == 2, result.output
    assert "'cache'" in result.output
    assert (out / "cache" / "notes.pkl").read_bytes() == b"mine"


def test_a_folder_holding_other_things_is_refused_a_readme_is_not(project, tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "rapport-2025.odt").write_bytes(b"x")
    result = run(["ingest", "--out", str(out)], project)
    assert result.exit_code == 2, result.output
    assert "rapport-2025.odt" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["rapport-2025.odt"]
    # the repository's build/README.md describes the folder: tolerated and kept
    (out / "rapport-2025.odt").unlink()
    (out / "README.md").write_text("# build\n", encoding="utf-8")
    result = run(["ingest", "--out", str(out)], project)
    assert result.exit_code == 0, result.output
    assert (out / "README.md").read_text(encoding="utf-8") == "# build\n"


def test_a_symlinked_site_folder_is_refused_and_its_target_kept(project, tmp_path):
    target = tmp_path / "var-www"
    target.mkdir()
    (target / "autre-site.html").write_text("autre", encoding="utf-8")
    out = project / "build"
    out.mkdir()
    (out / "site").symlink_to(target, target_is_directory=True)
    result = run(["build"], project)
    assert result.exit_code == 2, result.output
    assert "symbolic link" in result.output or "lien symbolique" in result.output
    assert (target / "autre-site.html").read_text(encoding="utf-8") == "autre"
    assert (out / "site").is_symlink()


@pytest.mark.parametrize("where", ["data/surveys", "data", "data/surveys/sortie"])
def test_an_output_folder_inside_the_data_is_refused(project, where):
    before = sorted(p.relative_to(project) for p in (project / "data").rglob("*"))
    result = run(["build", "--out", where], project)
    assert result.exit_code == 2, result.output
    assert sorted(p.relative_to(project) for p in (project / "data").rglob("*")) == before


def test_the_check_is_in_the_library_too(project, tmp_path):
    from safi_map.core.outdir import OutputFolderError, check_build_folder

    settings = load_settings(base=project).with_(out=project / "data" / "surveys")
    with pytest.raises(OutputFolderError):
        check_build_folder(settings)
    # and the site writer refuses on its own a site folder it did not write
    from safi_map.core.writer import Writer

    site = tmp_path / "ailleurs" / "site"
    site.mkdir(parents=True)
    (site / "page.html").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError), Writer(site) as writer:
        writer.write_text("index.html", "y")
    assert (site / "page.html").read_text(encoding="utf-8") == "x"
    assert [p.name for p in site.parent.iterdir()] == ["site"]


@pytest.mark.slow
def test_files_added_by_hand_to_the_site_are_not_lost(built, tmp_path):
    root = copy_built(built, tmp_path / "p")
    added = root / "build" / "site" / "acteurs" / "ajout-a-la-main.html"
    added.write_text("à garder", encoding="utf-8")
    result = run(["build"], root)
    assert result.exit_code == 2, result.output
    assert "ajout-a-la-main.html" in result.output
    assert added.read_text(encoding="utf-8") == "à garder"


# -- the tool's own things: rebuilt, and its leftovers cleaned ----------------------------------
def test_leftovers_of_killed_runs_are_cleaned_and_nothing_else(built, tmp_path):
    from safi_map.core.writer import TMP_MARK

    root = copy_built(built, tmp_path / "p")
    out = root / "build"
    manifest = json.loads((out / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert {"actors.gpkg", "actors.geojson", "actors.csv", "ingest-report.json",
            "changes.json", "site", "cache"} <= set(manifest["outputs"])
    assert "index.html" in manifest["folders"]["site"]
    leftovers = [out / ".site.tmp-k3j9x2a1", out / ".site.safi-tmp-abcd_123",
                 out / ".site.old-zz9x8w7v", out / ".actors.gpkg.safi-tmp-q1w2e3r4.gpkg",
                 out / "cache" / ".0123abcd.safi-tmp-77"]
    for path in leftovers:
        if "gpkg" in path.name or "cache" in path.parts:
            path.write_bytes(b"partial")
        else:
            path.mkdir()
            (path / "index.html").write_text("half", encoding="utf-8")
    readme = out / "README.md"
    readme.write_text("notes\n", encoding="utf-8")
    # caches of earlier versions that loaded code: removed, unless something else is there
    retired = out / "cache" / "geocode-index" / f"index-{'a' * 32}.pkl"
    retired.parent.mkdir()
    retired.write_bytes(b"pickle")
    (out / "cache" / "templates").mkdir()
    (out / "cache" / "templates" / f"__jinja2_{'b' * 40}.cache").write_bytes(b"code")
    kept = out / "cache" / "templates" / "notes.txt"
    kept.write_text("à moi", encoding="utf-8")
    result = run(["build"], root)
    assert result.exit_code == 0, result.output
    assert [p for p in leftovers if os.path.lexists(p)] == []
    assert not retired.parent.exists() and kept.read_text(encoding="utf-8") == "à moi"
    assert readme.read_text(encoding="utf-8") == "notes\n"
    assert not any(TMP_MARK in p.name or ".tmp-" in p.name for p in out.iterdir())


# -- one run at a time ----------------------------------------------------------------------------
HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from safi_map.core.outdir import build_folder
    from safi_map.core.settings import load_settings
    settings = load_settings(base=Path(sys.argv[1]))
    with build_folder(settings, command="build"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_a_second_build_on_the_same_folder_waits_then_stops_naming_the_other(project):
    from safi_map import build
    from safi_map.core.outdir import BuildFolderBusyError

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(project), "60"], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        started = time.monotonic()
        with pytest.raises(BuildFolderBusyError) as busy:
            build(project_dir=project, lock_wait=0.5)
        assert time.monotonic() - started >= 0.5
        assert f"{holder.pid}" in str(busy.value)
        assert not (project / "build" / "actors.gpkg").exists()
        assert user_error(busy.value).exit_code == 1  # the command's message and exit code
    finally:
        holder.kill()
        holder.wait()
    # the lock dies with its process: the next build runs
    result = run(["ingest"], project)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_a_second_build_waits_for_a_short_one(project):
    from safi_map.core.outdir import LOCK_WAIT

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(project), "1"], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert LOCK_WAIT > 1  # the command waits longer than the other run takes
        result = run(["ingest"], project)
        assert result.exit_code == 0, result.output
    finally:
        holder.kill()
        holder.wait()


def test_a_build_folder_that_cannot_be_written_is_a_message(project, tmp_path):
    if os.geteuid() == 0:  # root writes anywhere: make the folder's place a file instead
        (tmp_path / "fichier").write_text("x", encoding="utf-8")
        out = tmp_path / "fichier" / "build"
    else:
        locked = tmp_path / "ro"
        locked.mkdir(mode=0o555)
        out = locked / "build"
    result = run(["build", "--out", str(out)], project)
    assert result.exit_code == 2, result.output
    assert str(out) in result.output and "Traceback" not in result.output

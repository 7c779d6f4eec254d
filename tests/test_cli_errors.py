"""Every failure a person can cause or meet ends with one French message and exit 1 or 2, never
a traceback (``safi-map --debug`` shows it). The tests run as root, where chmod does not stop a
write: file-system failures are simulated by making ``os.replace`` (every output is written to a
temporary file, then renamed) fail with the errno the system would give."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from safi_map.cli.base import Group
from safi_map.cli.main import cli

SURVEY = "Nom de la structure;Commune;Code postal\nLes Amis;Toulon;83000\nLa Ruche;Gap;05000\n"


@pytest.fixture
def project(make_project, monkeypatch):
    project = make_project(surveys={"etape.csv": SURVEY})
    monkeypatch.chdir(project.root)
    return project.root


def run(*args: str):
    return CliRunner().invoke(cli, list(args), env={"LANG": "fr_FR.UTF-8", "LC_ALL": ""})


def failing_replace(monkeypatch, code: int, when=lambda dst: True):
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if when(Path(dst)):
            raise OSError(code, os.strerror(code), str(src), None, str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def assert_one_message(result, *fragments: str, code: int = 1) -> None:
    assert result.exit_code == code, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.output.count("Erreur :") == 1, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


@pytest.mark.parametrize(("code", "fragment"), [
    (errno.ENOSPC, "Le disque est plein"),
    (errno.EROFS, "lecture seule"),
    (errno.EACCES, "Accès refusé"),
    (errno.EPERM, "Accès refusé"),
    (errno.EBUSY, "point de montage"),
    (errno.EIO, "Impossible de lire ou d’écrire"),
])
def test_file_system_failures_while_writing_outputs(project, monkeypatch, code, fragment):
    failing_replace(monkeypatch, code, when=lambda dst: dst.name == "actors.gpkg")
    result = run("ingest")
    assert_one_message(result, fragment, str(Path("build") / "actors.gpkg"))
    assert "--out" in result.output or code == errno.EIO


def test_the_site_folder_being_a_mount_point(project, monkeypatch):
    """Replacing build/site fails with EBUSY when it is a mount point."""
    failing_replace(monkeypatch, errno.EBUSY, when=lambda dst: dst.name == "site")
    result = run("build")
    assert_one_message(result, "point de montage", "site", "--out")


def test_add_stop_on_a_read_only_data_folder(project, make_project, monkeypatch):
    make_project(project, tour="")
    failing_replace(monkeypatch, errno.EROFS)
    result = run("add-stop", "gap", "--town", "Gap", "--date", "28/11/2026")
    assert_one_message(result, "lecture seule", "tour.toml")
    assert (project / "data" / "tour.toml").read_text(encoding="utf-8") == ""
    assert sorted(p.name for p in (project / "data").iterdir()) == ["surveys", "tour.toml"]


def test_a_split_id_with_a_path_is_refused(project, make_project):
    make_project(project, corrections='[[split]]\nsources = ["etape.csv:2"]\nactor_id = "../../x"\n')
    result = run("build")
    assert_one_message(result, "corrections.toml", "[[split]]", "'../../x'", code=2)


@pytest.mark.parametrize("content", [b"", b"not a geopackage", b"SQLite format 3\x00" + b"\0" * 90])
def test_export_on_a_damaged_geopackage(project, content):
    (project / "build").mkdir()
    (project / "build" / "actors.gpkg").write_bytes(content)
    result = run("export", "-o", "sortie.csv")
    assert_one_message(result, "actors.gpkg", "safi-map build")
    assert not (project / "sortie.csv").exists()


def failing_command(exc: BaseException) -> Group:
    """The ``safi-map`` group (its options and error handling) with one command, ``ingest``,
    that raises ``exc``: how any command's failure reaches the person."""
    group = Group("safi-map", params=cli.params, callback=cli.callback)

    @group.command("ingest")
    def failing() -> None:
        raise exc

    return group


def run_failing(exc: BaseException, *args: str):
    return CliRunner().invoke(failing_command(exc), [*args, "ingest"],
                              env={"LANG": "fr_FR.UTF-8", "LC_ALL": ""})


def test_an_unexpected_failure_asks_for_debug_and_debug_shows_the_traceback(project):
    result = run_failing(RuntimeError("boom"))
    assert_one_message(result, "échec inattendu", "boom", "--debug")
    debug = run_failing(RuntimeError("boom"), "--debug")
    assert isinstance(debug.exception, RuntimeError)


def test_memory_exhaustion_is_a_message(project):
    assert_one_message(run_failing(MemoryError()), "Mémoire insuffisante")


def test_a_geographic_library_failure_on_a_full_disk(project):
    """GDAL reports a full disk through pyogrio's own exceptions, not OSError."""
    import pyogrio.errors

    full = pyogrio.errors.DataSourceError("sqlite3_step() failed: database or disk is full")
    assert_one_message(run_failing(full), "Le disque est plein")


@pytest.mark.slow
def test_library_warnings_stay_off_the_coordinator_terminal(project):
    """GDAL warns in English (RuntimeWarning: GPKG: bad application_id) on a damaged file; a
    real process shows Python warnings on stderr unless the CLI silences them (--verbose keeps
    them)."""
    import subprocess
    import sys

    (project / "build").mkdir()
    (project / "build" / "actors.gpkg").write_bytes(b"SQLite format 3\x00" + b"\0" * 90)
    env = {**os.environ, "LANG": "fr_FR.UTF-8",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.pop("LC_ALL", None)
    quiet = subprocess.run([sys.executable, "-m", "safi_map", "export", "-o", "x.csv"],
                           cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert quiet.returncode == 1
    assert "Warning" not in quiet.stderr and "Traceback" not in quiet.stderr, quiet.stderr
    assert quiet.stderr.count("Erreur :") == 1
    verbose = subprocess.run([sys.executable, "-m", "safi_map", "-v", "export", "-o", "x.csv"],
                             cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert "RuntimeWarning" in verbose.stderr


def test_a_full_disk_while_writing_the_site_names_the_site_file_not_the_staging_folder(
        project, monkeypatch):
    """The site is written in a hidden staging folder (``.site.safi-tmp-…``): the message names
    the file as the coordinator knows it, ``build/site/…``."""
    from safi_map.core import writer as _writer

    real = _writer.Writer.write_bytes

    def write_bytes(self, rel, data):
        if rel == "index.html":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC),
                          str(self.staging_dir / rel))
        return real(self, rel, data)

    monkeypatch.setattr(_writer.Writer, "write_bytes", write_bytes)
    result = run("build")
    assert_one_message(result, "Le disque est plein", str(Path("build") / "site" / "index.html"))
    assert "safi-tmp" not in result.output

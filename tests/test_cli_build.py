"""`safi-map build` end to end on the bundled example data: exit codes, summary, determinism,
every row accounted for, no contact published without consent."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli

pytestmark = pytest.mark.slow  # end-to-end builds of the example data through the CLI

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    shutil.copytree(ROOT / "data", dest / "data")
    return dest


def run(args: list[str], cwd: Path):
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory):
    outs = []
    for name in ("a", "b"):
        project = copy_project(tmp_path_factory.mktemp(name))
        result = run(["build"], project)
        assert result.exit_code == 0, result.output
        outs.append((project, result))
    return outs


def files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "cache" not in p.relative_to(folder).parts}


def test_summary_and_outputs(two_builds):
    project, result = two_builds[0]
    out = result.output
    assert "226 lignes lues dans 7 tableau(x)" in out
    assert "écartées" in out and "Première construction" in out and "Site construit" in out
    build = project / "build"
    for name in ("actors.gpkg", "actors.geojson", "actors.csv", "ingest-report.json",
                 "changes.json", "site/index.html", "site/calendrier.html"):
        assert (build / name).is_file(), name


def test_two_builds_are_byte_identical(two_builds):
    (a, _), (b, _) = two_builds
    fa, fb = files(a / "build"), files(b / "build")
    assert fa.keys() == fb.keys()
    different = [k for k in fa if fa[k] != fb[k]]
    assert different == []


def test_every_row_is_accounted_for(two_builds):
    project, _ = two_builds[0]
    report = json.loads((project / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    s = report["summary"]
    assert s["rows_read"] == s["published_rows"] + s["merged_rows"] + s["rejected_rows"] == 226
    for ref, reason in report["rejected"].items():
        assert reason and ":" in ref


def test_no_contact_without_consent_in_the_site(two_builds):
    project, _ = two_builds[0]
    actors = pd.read_csv(project / "build" / "actors.csv", dtype=str, keep_default_na=False)
    private = actors[actors["contact_consent"] != "True"]
    public = actors[actors["contact_consent"] == "True"]
    shared = {v for col in ("email", "phone") for v in public[col]}
    secrets = {v for col in ("email", "phone") for v in private[col] if v} - shared
    assert secrets, "the example data has actors without consent who gave contacts"
    for path in (project / "build" / "site").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".js", ".csv", ".geojson"):
            text = path.read_text(encoding="utf-8", errors="replace")
            leaked = [s for s in secrets if s in text]
            assert not leaked, (path, leaked[:3])


def test_strict_exits_1_with_rejected_rows(tmp_path):
    project = copy_project(tmp_path)
    result = run(["ingest", "--strict"], project)
    assert result.exit_code == 1
    assert "le nom est vide" in result.output


def test_usage_errors_exit_2(tmp_path):
    project = copy_project(tmp_path)
    (project / "safi-map.toml").write_text("[project]\nsurveys = 3\n", encoding="utf-8")
    result = run(["ingest"], project)
    assert result.exit_code == 2
    assert "safi-map.toml" in result.output and "surveys" in result.output
    assert run(["ingest", "--nope"], project).exit_code == 2


def test_unreadable_survey_exits_1_and_reports_it(tmp_path):
    project = copy_project(tmp_path)
    (project / "data" / "surveys" / "casse.xlsx").write_bytes(b"not a workbook")
    result = run(["ingest"], project)
    assert result.exit_code == 1
    assert "casse.xlsx" in result.output
    report = json.loads((project / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    assert any(f.get("file") == "casse.xlsx" and f.get("error") for f in report["files"])


def test_an_empty_surveys_folder_builds_an_empty_site_twice(tmp_path, make_project):
    make_project()
    for _ in range(2):
        result = run(["build"], tmp_path)
        assert result.exit_code == 0, result.output
        assert "aucun fichier d'enquête" in result.output
    assert (tmp_path / "build" / "site" / "index.html").is_file()


def test_rebuild_reuses_files_and_pages_and_force_redoes_them(two_builds):
    project, first = two_builds[0]
    assert "repris" not in first.output
    again = run(["build"], project)
    assert again.exit_code == 0, again.output
    before = files(project / "build")  # (changes.json differs from the first build's)
    assert "7 fichiers d'enquête inchangés repris du cache" in again.output
    assert "pages inchangées" not in again.output  # every page is rendered (no page cache)
    forced = run(["build", "--force"], project)
    assert forced.exit_code == 0, forced.output
    assert "repris" not in forced.output
    assert files(project / "build") == before


def test_two_survey_files_with_the_same_name_are_refused(tmp_path, make_project):
    from safi_map import ingest, load_settings
    from safi_map.core.errors import SurveyError

    text = "Nom de la structure;Ville\nLes Amis;Toulon\n"
    make_project(surveys={f"{folder}/enquete.csv": text for folder in ("toulon", "nice")})
    with pytest.raises(SurveyError) as info:
        ingest(settings=load_settings(base=tmp_path))
    message = str(info.value)
    assert "enquete.csv" in message
    assert str(Path("toulon") / "enquete.csv") in message
    assert str(Path("nice") / "enquete.csv") in message
    result = run(["ingest"], tmp_path)
    assert result.exit_code == 1
    assert "deux fichiers d'enquête s'appellent 'enquete.csv'" in result.output
    assert "Traceback" not in result.output

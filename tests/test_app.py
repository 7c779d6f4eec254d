"""The library does what the command does (issue #13): ``safi_map.build()`` runs ingest, the
ingest outputs and the site in the command's order; ``ingest()`` already holds what the site
shows (changes, retained actors); writing the outputs changes nothing in the result."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import safi_map
from safi_map import build, geocode_file, ingest, write_ingest_outputs

SURVEY = ("Nom de la structure;Adresse;CP;Ville;Accord de publication\n"
          "Les Amis;1 rue A;83000;Toulon;oui\n"
          "La Ruche;;05000;Gap;oui\n")
NO_POSTERS = "[site]\nposters = false\n"


def tmp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if "safi-tmp" in p.name)


def test_build_writes_outputs_and_site_and_reports_what_the_command_prints(make_project):
    project = make_project(surveys={"etape.csv": SURVEY}, config=NO_POSTERS)
    heard: list[tuple[str, int, int]] = []
    started: list[str] = []
    seen_before_site: list[bool] = []

    class Progress:
        def __call__(self, stage: str, done: int, total: int) -> None:
            heard.append((stage, done, total))

        def start(self, stage: str) -> None:
            started.append(stage)

    def ingested(result, outputs) -> None:
        # called before the site: its outputs wait under temporary names
        seen_before_site.append(outputs.pending and not (project.out / "site").exists()
                                and not outputs.actors_gpkg.exists())

    done = build(project_dir=project.root, progress=Progress(), on_ingest=ingested)
    assert seen_before_site == [True]
    assert done.ok and done.seconds > 0
    assert done.ingest.report.summary()["actors"] == 2
    assert done.site_index == project.out / "site" / "index.html"
    assert done.site_index.is_file()
    assert "2" in str(done.site)  # the summary line the command prints
    assert not done.outputs.pending
    assert all(p.is_file() for p in done.outputs.paths)
    assert tmp_files(project.out) == []
    assert {stage for stage, _, _ in heard} >= {"read", "site"}
    assert started == ["site"]
    assert safi_map.BuildResult is type(done)


def test_build_without_the_site_is_the_ingest_command(make_project):
    project = make_project(surveys={"etape.csv": SURVEY})
    done = build(project_dir=project.root, site=False)
    assert done.site is None and done.site_index is None
    assert [p.name for p in done.outputs.actors_files] == ["actors.gpkg", "actors.geojson",
                                                          "actors.csv"]
    assert all(p.is_file() for p in done.outputs.paths)
    assert not (project.out / "site").exists()


def test_a_build_stopped_after_ingest_leaves_no_output_behind(make_project):
    project = make_project(surveys={"etape.csv": SURVEY})

    def stop(result, outputs) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(project_dir=project.root, on_ingest=stop)
    assert not (project.out / "actors.gpkg").exists()
    assert tmp_files(project.out) == []


def test_ingest_compares_with_the_previous_build_and_writing_changes_nothing(make_project):
    """``ingest()`` then ``build_site(result.actors, changes=result.changes)`` shows what the
    command shows: the changes and the actors kept from the previous build are in the result
    of ingest, not added by ``write_ingest_outputs``."""
    project = make_project(surveys={"etape.csv": SURVEY})
    build(project_dir=project.root, site=False)
    project.survey("etape.csv", SURVEY.replace("La Ruche;;05000;Gap;oui\n", ""))
    settings = project.settings()
    result = ingest(settings=settings)
    assert result.changes is not None and not result.changes.first_build
    assert len(result.changes.removed) == 1
    gone = result.changes.removed[0]
    assert result.changes.retained == [gone]  # kept by default (keep_removed)
    assert gone in set(result.actors["actor_id"])
    actors, changes, report = result.actors.copy(), result.changes, result.report.to_dict()
    outputs = write_ingest_outputs(result, settings.out)
    assert result.actors.equals(actors) and result.changes is changes
    assert result.report.to_dict() == report
    written = json.loads(outputs.changes_json.read_text(encoding="utf-8"))
    assert written["removed"] == [gone] and written["retained"] == [gone]
    assert gone in set(safi_map.read_actors(outputs.actors_gpkg)["actor_id"])


def test_outputs_of_a_result_made_by_hand_are_a_first_build(make_project):
    project = make_project(surveys={"etape.csv": SURVEY})
    result = ingest(settings=project.settings())
    by_hand = type(result)(actors=result.actors, rows=result.rows, report=result.report,
                           taxonomy=result.taxonomy, tour=result.tour, settings=result.settings)
    outputs = write_ingest_outputs(by_hand, project.root / "ailleurs")
    written = json.loads(outputs.changes_json.read_text(encoding="utf-8"))
    assert written["first_build"] is True
    assert written["new"] == sorted(result.actors["actor_id"])


def test_geocode_file_returns_the_report_of_the_file(make_project, tmp_path):
    project = make_project(surveys={"etape.csv": SURVEY + "Nulle Part;;99999;Atlantide;oui\n"})
    table, report = geocode_file(project.surveys / "etape.csv", tmp_path / "geo.csv",
                                 settings=project.settings())
    assert report.rows_read == 3 == len(table)
    assert [f["file"] for f in report.files] == ["etape.csv"]
    assert report.files[0]["columns"]["commune"] == "Ville"
    assert report.precision_counts == {"municipality": 2, "none": 1}
    placed_nowhere = [i for i in report.issues if i.code == "geocode.none"]
    assert [(i.ref.file, i.ref.row, i.column) for i in placed_nowhere] == [("etape.csv", 4,
                                                                            "commune")]
    assert pd.read_csv(tmp_path / "geo.csv")["geocode_precision"].tolist() == [
        "municipality", "municipality", "none"]


@pytest.mark.slow
def test_ingest_then_build_site_gives_the_site_of_build(make_project, tmp_path):
    """From Python, ``ingest()`` then ``build_site()`` (as the README shows) gives the very
    site ``safi-map build`` gives, also on a rebuild where an actor left the surveys."""
    from safi_map import build_site

    by_build = make_project(tmp_path / "a", surveys={"etape.csv": SURVEY}, config=NO_POSTERS)
    by_hand = make_project(tmp_path / "b", surveys={"etape.csv": SURVEY}, config=NO_POSTERS)
    for project in (by_build, by_hand):
        build(project_dir=project.root)
        project.survey("etape.csv", SURVEY.replace("La Ruche;;05000;Gap;oui\n", ""))
    build(project_dir=by_build.root)
    settings = by_hand.settings()
    result = ingest(settings=settings)
    build_site(result.actors, taxonomy=result.taxonomy, tour=result.tour, settings=settings,
               report=result.report, out_dir=settings.out / "site", changes=result.changes)

    def site(project) -> dict[str, bytes]:
        root = project.out / "site"
        return {p.relative_to(root).as_posix(): p.read_bytes()
                for p in sorted(root.rglob("*")) if p.is_file()}

    built, by_python = site(by_build), site(by_hand)
    assert built.keys() == by_python.keys()
    assert [name for name in built if built[name] != by_python[name]] == []
    assert "la-ruche" in b"".join(by_python.values()).decode("utf-8", "replace").lower()

"""The ingest cache across stops: ``tour.toml`` changes at every stop (``safi-map add-stop``
rewrites it), yet the files already read are reused unless the new tour changes what their rows
say (:class:`safi_map.ingestion.stop_binding.StopQuestions`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from safi_map import ingest, load_settings
from safi_map.cli.main import cli

TOUR = """
[[stops]]
id = "toulon"
town = "Toulon"
date = 2015-09-28
surveys = ["surveys/toulon.csv"]

[[stops]]
id = "nice"
town = "Nice"
date = 2015-10-15
"""

HEADER = "Nom de la structure;Ville;Étape;Accord de publication\n"
TOULON = HEADER + "Les Jardins du Partage;Toulon;;oui\nRadio Rivage;Hyères;;oui\n"
# Bound by its file name ("nice"); one row names a town that is not a stop (yet).
NICE = HEADER + "Epicerie Azur;Nice;;oui\nLe Relais;Nice;Gap;oui\n"
GAP_STOP = '\n[[stops]]\nid = "gap"\ntown = "Gap"\ndate = 2015-11-05\n'


@pytest.fixture()
def project(make_project: Any) -> Path:
    root: Path = make_project(tour=TOUR).root
    surveys = root / "data" / "surveys"
    (surveys / "toulon.csv").write_text(TOULON, encoding="utf-8")
    (surveys / "2015-10-15-nice.csv").write_text(NICE, encoding="utf-8")
    return root


def stops_of(result: Any) -> dict[str, list[str]]:
    return {row["name"]: list(row["stops"]) for _, row in result.rows.iterrows()}


def test_a_new_stop_reuses_the_files_it_does_not_concern(project, monkeypatch):
    settings = load_settings(base=project)
    first = ingest(settings=settings)
    assert first.files_reused == 0
    before = stops_of(first)
    assert before["Epicerie Azur"] == ["nice"]
    # add-stop as the coordinator runs it: tour.toml rewritten with a new stop and its survey
    survey = project / "marseille.csv"
    survey.write_text(HEADER + "Cap Solidaire;Marseille;;oui\n", encoding="utf-8")
    monkeypatch.chdir(project)
    done = CliRunner().invoke(cli, ["add-stop", "marseille", str(survey), "--town", "Marseille",
                                    "--date", "01/12/2015"], catch_exceptions=False)
    assert done.exit_code == 0, done.output
    second = ingest(settings=load_settings(base=project))
    assert second.files_reused == 2, "the two earlier files are not read again"
    assert {k: v for k, v in stops_of(second).items() if k != "Cap Solidaire"} == before
    assert stops_of(second)["Cap Solidaire"] == ["marseille"]
    assert second.report.to_dict() == ingest(settings=load_settings(base=project),
                                             force=True).report.to_dict()


def test_a_tour_change_that_matters_redoes_the_file(project):
    settings = load_settings(base=project)
    first = ingest(settings=settings)
    unknown = [i for i in first.report.issues if i.code == "stop.unknown"]
    assert [i.value for i in unknown] == ["Gap"]
    # Gap becomes a stop: the Nice file's row that named it now belongs to it
    with (project / "data" / "tour.toml").open("a", encoding="utf-8") as f:
        f.write(GAP_STOP)
    second = ingest(settings=settings)
    assert second.files_reused == 1, "toulon.csv reused, the Nice file redone"
    assert stops_of(second)["Le Relais"] == ["gap"]
    assert not [i for i in second.report.issues if i.code == "stop.unknown"]
    # the Nice stop renamed: the file bound by its name is redone too
    tour = (project / "data" / "tour.toml").read_text(encoding="utf-8")
    (project / "data" / "tour.toml").write_text(tour.replace('id = "nice"', 'id = "nice-2"'),
                                                encoding="utf-8")
    third = ingest(settings=settings)
    assert third.files_reused == 1
    assert stops_of(third)["Epicerie Azur"] == ["nice-2"]  # by the date in the file name

"""`safi-map add-stop`: a new stop in tour.toml (comments kept), its survey copied and bound."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from _project import make
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.core.settings import load_settings
from safi_map.model.tour import load_tour

TOUR = '# Le tour 2015\n[[stops]]\nid = "toulon"\ntown = "Toulon"\ndate = 2015-09-28\n'


def setup(tmp_path: Path) -> Path:
    make(tmp_path, tour=TOUR, config="")
    survey = tmp_path / "export.csv"
    survey.write_text("Nom;Ville\nA;Gap\n", encoding="utf-8")
    return survey


def invoke(tmp_path: Path, *args: str):
    return CliRunner().invoke(cli, ["add-stop", *args, "--config",
                                    str(tmp_path / "safi-map.toml")])


def test_new_stop_with_survey(tmp_path):
    survey = setup(tmp_path)
    result = invoke(tmp_path, "gap", str(survey), "--town", "Gap", "--date", "2015-11-05",
                    "--venue", 'Salle "des fêtes"')
    assert result.exit_code == 0, result.output
    text = (tmp_path / "data" / "tour.toml").read_text(encoding="utf-8")
    assert text.startswith("# Le tour 2015\n")
    tour = load_tour(tmp_path / "data" / "tour.toml")
    stop = tour.get("gap")
    assert stop is not None and stop.venue == 'Salle "des fêtes"'
    copied = tmp_path / "data" / "surveys" / "2015-11-05-gap.csv"
    assert copied.read_text(encoding="utf-8") == survey.read_text(encoding="utf-8")
    assert tour.stop_for_file(copied) is stop


def test_survey_for_an_existing_stop_is_bound_by_name(tmp_path):
    survey = setup(tmp_path)
    result = invoke(tmp_path, "toulon", str(survey))
    assert result.exit_code == 0, result.output
    copied = tmp_path / "data" / "surveys" / "2015-09-28-toulon.csv"
    assert copied.exists()
    assert load_tour(tmp_path / "data" / "tour.toml").stop_for_file(copied).id == "toulon"
    assert "Enquête copiée" in result.output


def test_the_same_survey_twice_is_refused(tmp_path):
    """It was copied again as …-2.csv, …-3.csv: its actors would be read twice."""
    survey = setup(tmp_path)
    assert invoke(tmp_path, "toulon", str(survey)).exit_code == 0
    tour_before = (tmp_path / "data" / "tour.toml").read_bytes()
    renamed = tmp_path / "copie.csv"
    renamed.write_bytes(survey.read_bytes())
    for again in (survey, renamed):
        for args in (["toulon", str(again)], ["gap", str(again), "--town", "Gap",
                                               "--date", "2015-11-05"]):
            result = invoke(tmp_path, *args)
            assert result.exit_code == 2, result.output
            assert "même contenu" in result.output and "2015-09-28-toulon.csv" in result.output
    assert sorted(p.name for p in (tmp_path / "data" / "surveys").iterdir()) == [
        "2015-09-28-toulon.csv"]
    assert (tmp_path / "data" / "tour.toml").read_bytes() == tour_before
    other = tmp_path / "autre.csv"
    other.write_text("Nom;Ville\nB;Toulon\n", encoding="utf-8")
    assert invoke(tmp_path, "toulon", str(other)).exit_code == 0
    assert (tmp_path / "data" / "surveys" / "2015-09-28-toulon-2.csv").exists()


@pytest.mark.parametrize("typed", ["28/11/2026", "28-11-2026", "28.11.2026", "2026-11-28",
                                   " 28/11/2026 "])
def test_french_dates(tmp_path, typed):
    setup(tmp_path)
    result = invoke(tmp_path, "gap", "--town", "Gap", "--date", typed)
    assert result.exit_code == 0, result.output
    assert load_tour(tmp_path / "data" / "tour.toml").get("gap").date == dt.date(2026, 11, 28)


@pytest.mark.parametrize("typed", ["31/02/2026", "2026-13-01", "28/11/26", "demain", ""])
def test_bad_dates_say_how_to_write_one(tmp_path, typed):
    setup(tmp_path)
    before = (tmp_path / "data" / "tour.toml").read_bytes()
    result = invoke(tmp_path, "gap", "--town", "Gap", "--date", typed)
    assert result.exit_code == 2
    assert "28/11/2026" in result.output
    assert (tmp_path / "data" / "tour.toml").read_bytes() == before


def test_an_existing_stop_is_updated_and_says_so(tmp_path):
    """A new --date for an existing stop was ignored without a word."""
    setup(tmp_path)
    result = invoke(tmp_path, "toulon", "--date", "02/10/2015", "--venue", "TVT Innovation")
    assert result.exit_code == 0, result.output
    assert "2015-09-28 → 2015-10-02" in result.output
    assert "(aucun) → TVT Innovation" in result.output
    text = (tmp_path / "data" / "tour.toml").read_text(encoding="utf-8")
    assert text.startswith("# Le tour 2015\n")  # comments kept
    stop = load_tour(tmp_path / "data" / "tour.toml").get("toulon")
    assert (stop.date, stop.venue) == (dt.date(2015, 10, 2), "TVT Innovation")
    same = invoke(tmp_path, "toulon", "--date", "2015-10-02")
    assert same.exit_code == 0 and "→" not in same.output
    assert (tmp_path / "data" / "tour.toml").read_text(encoding="utf-8") == text


def test_the_tour_header_stays_true(tmp_path):
    """The example tour said "edit the script, not this file" while add-stop appended to it."""
    setup(tmp_path)
    tour_file = tmp_path / "data" / "tour.toml"
    tour_file.write_text("# Generated by scripts/make_example_data.py: edit the script, not "
                         "this file.\n\n" + TOUR, encoding="utf-8")
    assert invoke(tmp_path, "gap", "--town", "Gap", "--date", "2015-11-05").exit_code == 0
    text = tour_file.read_text(encoding="utf-8")
    assert "not this file" not in text and "add-stop" in text.splitlines()[0]
    repo_tour = (Path(__file__).resolve().parents[1] / "data" / "tour.toml").read_text(
        encoding="utf-8")
    assert "not this file" not in repo_tour and "add-stop" in repo_tour


def test_usage_errors_leave_the_tour_untouched(tmp_path):
    setup(tmp_path)
    before = (tmp_path / "data" / "tour.toml").read_text(encoding="utf-8")
    for args in (["gap"], ["Bad Id", "--town", "X", "--date", "2015-01-01"], ["toulon"],
                 ["toulon-2", "--town", "Toulon", "--date", "2015-13-01"]):
        result = invoke(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output)
    assert (tmp_path / "data" / "tour.toml").read_text(encoding="utf-8") == before
    assert load_settings(tmp_path / "safi-map.toml").tour.is_file()


def test_surveys_folder_beside_the_tour_folder(tmp_path):
    """Surveys in data2/ while the tour is data/tour.toml: the stop lists its survey by a path
    relative to the tour file ("data2" shares the prefix "data" without being inside it)."""
    survey = setup(tmp_path)
    (tmp_path / "safi-map.toml").write_text('[project]\nsurveys = ["data2"]\n', encoding="utf-8")
    result = invoke(tmp_path, "gap", str(survey), "--town", "Gap", "--date", "2015-11-05")
    assert result.exit_code == 0, (result.output, result.exception)
    copied = tmp_path / "data2" / "2015-11-05-gap.csv"
    assert copied.read_text(encoding="utf-8") == survey.read_text(encoding="utf-8")
    text = (tmp_path / "data" / "tour.toml").read_text(encoding="utf-8")
    assert 'surveys = ["../data2/2015-11-05-gap.csv"]' in text
    tour = load_tour(tmp_path / "data" / "tour.toml")
    assert tour.stop_for_file(copied) is tour.get("gap")


def test_invalid_text_leaves_the_tour_and_surveys_untouched(tmp_path):
    """A town that is not valid UTF-8 (a surrogate from the shell) used to truncate tour.toml
    to 0 bytes and raise a traceback."""
    survey = setup(tmp_path)
    tour_file = tmp_path / "data" / "tour.toml"
    before = tour_file.read_bytes()
    for args in (["gap", str(survey), "--town", "Gap\udcff", "--date", "2015-11-05"],
                 ["gap", "--town", "Gap", "--venue", "Salle\udcff", "--date", "2015-11-05"],
                 ["gap", "--town", "Gap\nx", "--date", "2015-11-05"],
                 ["gap\n", "--town", "Gap", "--date", "2015-11-05"]):
        result = invoke(tmp_path, *args)
        assert result.exit_code == 2, (args, result.output, result.exception)
        assert isinstance(result.exception, SystemExit), result.exception
    assert tour_file.read_bytes() == before
    assert list((tmp_path / "data" / "surveys").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["surveys", "tour.toml"]


def test_a_failed_write_leaves_the_tour_whole(tmp_path, monkeypatch):
    """The new tour is written beside the old one and renamed: a write that fails half-way
    (disk full) leaves the old tour.toml as it was and no copied survey behind."""
    import errno
    import os

    survey = setup(tmp_path)
    tour_file = tmp_path / "data" / "tour.toml"
    before = tour_file.read_bytes()
    real_replace = os.replace

    def full_disk(src, dst, *a, **k):
        if Path(dst) == tour_file:
            raise OSError(errno.ENOSPC, "No space left on device", str(src), None, str(dst))
        return real_replace(src, dst, *a, **k)

    monkeypatch.setattr(os, "replace", full_disk)
    result = invoke(tmp_path, "gap", str(survey), "--town", "Gap", "--date", "2015-11-05")
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # a message, no traceback
    assert "Le disque est plein" in result.output and "tour.toml" in result.output
    assert tour_file.read_bytes() == before
    assert list((tmp_path / "data" / "surveys").iterdir()) == []
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["surveys", "tour.toml"]


def test_a_build_with_an_empty_tour_says_so(tmp_path, caplog):
    """An emptied tour.toml (the old add-stop bug) made the next build run with 0 stops and no
    warning."""
    from safi_map.ingestion.pipeline import ingest

    survey = setup(tmp_path)
    (tmp_path / "data" / "surveys" / "gap.csv").write_bytes(survey.read_bytes())
    (tmp_path / "data" / "tour.toml").write_text("", encoding="utf-8")
    settings = load_settings(tmp_path / "safi-map.toml").with_(out=tmp_path / "build")
    with caplog.at_level("WARNING", logger="safi_map"):
        ingest(settings=settings)
    assert any("tour.toml" in r.getMessage() and "1" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("name", ["notes", "export.pdf", "enquete.numbers"])
def test_a_file_the_build_would_not_read_is_refused(tmp_path, name):
    """A survey without a survey extension was copied and listed in tour.toml, then skipped by
    every build without a word: its actors were silently lost."""
    setup(tmp_path)
    other = tmp_path / name
    other.write_text("Nom;Ville\nA;Gap\n", encoding="utf-8")
    tour_before = (tmp_path / "data" / "tour.toml").read_bytes()
    result = invoke(tmp_path, "gap", str(other), "--town", "Gap", "--date", "2015-11-05")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and name in result.output
    assert ".xlsx" in result.output and ".csv" in result.output
    assert (tmp_path / "data" / "tour.toml").read_bytes() == tour_before
    assert list((tmp_path / "data" / "surveys").iterdir()) == []

"""Tour loading, its errors, and binding survey files and cells to stops."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safi_map.core.errors import ConfigError
from safi_map.model.tour import Stop, Tour, load_tour

TOUR = """
[[stops]]
id = "nice"
town = "Nice"
date = 2015-10-05
venue = "Le 109"

[[stops]]
id = "toulon"
town = "Toulon"
insee_code = "83137"
date = 2015-09-28
venue = "TVT Innovation"
surveys = ["surveys/2015-09-28-toulon.csv", "surveys/toulon-bis.xlsx"]

[[stops]]
id = "la-seyne"
town = "La Seyne-sur-Mer"
date = "2015-11-02"

[[stops]]
id = "la-seyne-sur-mer-2"
town = "La Seyne-sur-Mer"
date = 2016-03-14
"""


@pytest.fixture
def tour_path(tmp_path: Path) -> Path:
    path = tmp_path / "tour.toml"
    path.write_text(TOUR, encoding="utf-8")
    return path


@pytest.fixture
def tour(tour_path: Path) -> Tour:
    return load_tour(tour_path)


def test_load_tour_sorts_stops_by_date(tour, tour_path):
    assert [s.id for s in tour.stops] == ["toulon", "nice", "la-seyne", "la-seyne-sur-mer-2"]
    toulon = tour.stops[0]
    assert toulon == Stop(
        id="toulon", town="Toulon", date=dt.date(2015, 9, 28), insee_code="83137",
        venue="TVT Innovation",
        surveys=[(tour_path.parent / "surveys" / "2015-09-28-toulon.csv").resolve(),
                 (tour_path.parent / "surveys" / "toulon-bis.xlsx").resolve()],
    )
    assert tour.get("la-seyne").date == dt.date(2015, 11, 2)
    assert tour.get("nice").insee_code == "" and tour.get("nice").surveys == []
    assert tour.get("nope") is None
    assert len(tour) == 4 and [s.id for s in tour] == [s.id for s in tour.stops]
    assert tour.source == tour_path


def test_empty_tour():
    tour = Tour(stops=[])
    assert len(tour) == 0
    assert tour.stop_for_file("toulon.csv") is None
    assert tour.match_stop("Toulon") is None


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tour.toml"
    path.write_text(text, encoding="utf-8")
    return path


STOP = 'id = "toulon"\ntown = "Toulon"\ndate = 2015-09-28\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[stops]]\ntown = "Toulon"\ndate = 2015-09-28\n',
         r"\[\[stops\]\] entry 1: missing key 'id'"),
        ('[[stops]]\nid = "toulon"\ndate = 2015-09-28\n',
         r"entry 1 \(id 'toulon'\): missing key 'town'"),
        ('[[stops]]\nid = "toulon"\ntown = "Toulon"\n', r"missing key 'date'"),
        (f"[[stops]]\n{STOP}[[stops]]\n{STOP}",
         r"entry 2: id 'toulon' is already used by entry 1"),
        ('[[stops]]\nid = "toulon"\ntown = "Toulon"\ndate = "28 septembre"\n',
         r"\(id 'toulon'\): key 'date' must be a date like 2015-09-28, got '28 septembre'"),
        ('[[stops]]\nid = "toulon"\ntown = "Toulon"\ndate = "2015-02-30"\n',
         r"key 'date' must be a date"),
        ('[[stops]]\nid = "toulon"\ntown = "Toulon"\ndate = 2015\n', r"key 'date' must be a date"),
        (f"[[stops]]\n{STOP}city = 'x'\n", r"\(id 'toulon'\): unknown key 'city'"),
        ('[[stops]]\nid = "Toulon 1"\ntown = "Toulon"\ndate = 2015-09-28\n',
         r"key 'id' must be made of \[a-z0-9-\]"),
        (f"[[stops]]\n{STOP}insee_code = '8313'\n", r"key 'insee_code' must be an INSEE code"),
        (f"[[stops]]\n{STOP}surveys = [1]\n", r"key 'surveys' must be a list of paths"),
        (f"[[stops]]\n{STOP}venue = 3\n", r"key 'venue' must be a string"),
        (f"[[stops]]\n{STOP}surveys = ['a.csv']\n[[stops]]\nid = 'nice'\ntown = 'Nice'\n"
         "date = 2015-10-05\nsurveys = ['a.csv']\n", r"is bound to both 'toulon' and 'nice'"),
        ("[[stop]]\nid = 'x'\n", r"unknown key 'stop'"),
        ("stops = 1\n", r"'stops' must be an array of tables"),
        ("[[stops]\n", r"invalid TOML"),
    ],
)
def test_invalid_tour_names_file_stop_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_tour(path)
    assert str(path) in str(info.value)


def test_missing_tour_file(tmp_path):
    with pytest.raises(ConfigError, match="tour file not found"):
        load_tour(tmp_path / "tour.toml")


def test_french_date_string_is_accepted(tmp_path):
    tour = load_tour(write(tmp_path, '[[stops]]\nid = "a"\ntown = "A"\ndate = "28/09/2015"\n'))
    assert tour.stops[0].date == dt.date(2015, 9, 28)


# --- binding files ------------------------------------------------------------------------------


def test_stop_for_file_config_binding(tour, tour_path):
    surveys = tour_path.parent / "surveys"
    assert tour.stop_for_file(surveys / "toulon-bis.xlsx").id == "toulon"
    assert tour.configured_stop(surveys / "toulon-bis.xlsx").id == "toulon"
    # A bare file name, as the reader reports it, also finds its configured stop.
    assert tour.configured_stop("toulon-bis.xlsx").id == "toulon"


def test_config_binding_wins_over_file_name(tmp_path):
    path = write(tmp_path, f"[[stops]]\n{STOP}\n[[stops]]\nid = 'nice'\ntown = 'Nice'\n"
                           "date = 2015-10-05\nsurveys = ['etape-toulon.csv']\n")
    tour = load_tour(path)
    assert tour.stop_for_file(tmp_path / "etape-toulon.csv").id == "nice"
    assert tour.stop_from_file_name(tmp_path / "etape-toulon.csv").id == "toulon"


@pytest.mark.parametrize(
    ("name", "stop_id"),
    [
        ("etape-toulon.csv", "toulon"),
        ("2015-10-05_NICE.xlsx", "nice"),
        ("Enquête Toulon.ods", "toulon"),
        ("la-seyne.csv", "la-seyne"),
        ("la-seyne-sur-mer-2.csv", "la-seyne-sur-mer-2"),  # longest id wins
        ("enquete-2015-11-02.csv", "la-seyne"),  # the date of exactly one stop
        ("toulonnais.csv", None),  # whole words only
        ("hyeres.csv", None),
        ("toulon-nice.csv", None),  # ambiguous
    ],
)
def test_stop_from_file_name(tour, name, stop_id):
    stop = tour.stop_for_file(Path("/elsewhere") / name)
    assert (stop.id if stop else None) == stop_id


# --- matching cells -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stop_id"),
    [
        ("toulon", "toulon"),
        ("Toulon", "toulon"),
        ("TOULON", "toulon"),
        ("  toulon ", "toulon"),
        ("Toulon 28/09/2015", "toulon"),
        ("Toulon - 28.09.2015", "toulon"),
        ("28/09/2015", "toulon"),
        ("2015-10-05", "nice"),
        ("Étape de Nice", "nice"),
        ("la-seyne", "la-seyne"),
        ("La Seyne-sur-Mer 14/03/2016", "la-seyne-sur-mer-2"),
        ("La Seyne sur Mer", None),  # visited twice: the date is needed
        ("Toulon 05/10/2015", None),  # no stop in Toulon that day
        ("Hyères", None),
        ("01/01/2020", None),
        ("", None),
        ("-", None),
    ],
)
def test_match_stop(tour, text, stop_id):
    stop = tour.match_stop(text)
    assert (stop.id if stop else None) == stop_id


@pytest.mark.slow
def test_a_survey_the_tour_names_but_that_cannot_be_read_is_an_error(tmp_path, monkeypatch):
    """A stop's survey that is absent is never skipped in silence: the CLI names the tour file,
    the stop and the path, and exits 1; the other surveys are still read."""
    from click.testing import CliRunner

    from safi_map.cli.main import cli

    (tmp_path / "data" / "surveys").mkdir(parents=True)
    (tmp_path / "data" / "surveys" / "gap.csv").write_text(
        "Nom;Commune\nLes Amis;Gap\n", encoding="utf-8")
    (tmp_path / "data" / "tour.toml").write_text(
        '[[stops]]\nid = "gap"\ntown = "Gap"\ndate = 2015-05-07\n'
        'surveys = ["surveys/gap.csv", "surveys/absent.csv"]\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["ingest"])
    assert result.exit_code == 1, result.output
    assert "'gap'" in result.output and "absent.csv" in result.output
    assert "n'existe pas" in result.output
    assert "1 acteur" in result.output or "1 structure" in result.output

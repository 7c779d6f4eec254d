"""Data files are deterministic and round-trip; the publication gate blanks contacts."""

from __future__ import annotations

import json

import pytest

from safi_map.ingestion.io import read_actors, write_actors
from safi_map.model.public import public_actors, safe_url
from safi_map.model.synthetic import synthetic_actors


@pytest.fixture(scope="module")
def actors():
    return synthetic_actors(40, seed=3)


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "csv"])
def test_byte_identical_twice(tmp_path, actors, fmt):
    a = write_actors(actors, tmp_path / f"a.{fmt}").read_bytes()
    b = write_actors(actors, tmp_path / f"b.{fmt}").read_bytes()
    assert a == b


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_round_trip_keeps_lists_and_points(tmp_path, actors, fmt):
    back = read_actors(write_actors(actors, tmp_path / f"a.{fmt}"))
    assert list(back["actor_id"]) == list(actors["actor_id"])
    assert list(back["themes"]) == list(actors["themes"])
    assert list(back["contact_consent"]) == list(actors["contact_consent"])
    assert back.geometry.x.round(6).fillna(0).tolist() == actors.geometry.x.round(6).fillna(0).tolist()


def test_excel_csv_has_bom_and_semicolons(tmp_path, actors):
    raw = write_actors(actors, tmp_path / "a.csv", excel=True).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("actor_id;name;")


def test_geojson_lists_are_arrays(tmp_path, actors):
    data = json.loads(write_actors(actors, tmp_path / "a.geojson").read_text(encoding="utf-8"))
    assert isinstance(data["features"][0]["properties"]["themes"], list)


def test_public_actors_blanks_contacts_without_consent(actors):
    pub = public_actors(actors)
    assert "sources" not in pub.columns
    refused = actors[~actors["contact_consent"]]
    assert len(refused) > 0
    for col in ("email", "phone", "address"):
        assert (pub.loc[refused.index, col] == "").all()
    agreed = actors[actors["contact_consent"]]
    assert (pub.loc[agreed.index, "email"] == agreed["email"]).all()


@pytest.mark.parametrize(
    ("url", "ok"),
    [("https://a.example", True), ("http://a.example/x?y=1", True), ("mailto:a@b.example", True),
     ("tel:+33465710000", True), ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False),
     ("data:text/html,x", False), ("https://a.example/\"onmouseover=x", False), ("", False),
     (None, False), ("//evil.example", False)],
)
def test_safe_url(url, ok):
    assert safe_url(url) == (url if ok else "")


def test_street_level_points_of_actors_without_consent_go_back_to_the_commune():
    actors = synthetic_actors(30, seed=5)
    actors["geocode_precision"] = "housenumber"
    pub = public_actors(actors)
    refused = ~actors["contact_consent"]
    from safi_map.geo.gazetteer import communes

    ref = communes().set_index("code_insee")
    sample = actors[refused].iloc[0]
    moved = pub.loc[sample.name]
    assert moved["geocode_precision"] == "municipality"
    assert (moved["latitude"], moved["longitude"]) == (
        ref.loc[sample["insee_code"], "latitude"], ref.loc[sample["insee_code"], "longitude"])
    assert moved.geometry.y == moved["latitude"]
    kept = pub[~refused]
    assert (kept["geocode_precision"] == "housenumber").all()
    assert (kept["latitude"] == actors.loc[~refused, "latitude"]).all()


def test_geojson_round_trip_is_exact(tmp_path, actors):
    back = read_actors(write_actors(actors, tmp_path / "a.geojson"))
    for col in actors.columns.drop("geometry"):
        if col in ("latitude", "longitude", "geocode_score"):
            assert back[col].round(6).fillna(-1).tolist() == \
                actors[col].round(6).fillna(-1).tolist(), col
        else:
            assert back[col].tolist() == actors[col].tolist(), col
    assert back.crs.to_epsg() == 4326


def test_an_empty_actor_file_reads_back_with_its_columns(tmp_path, actors):
    back = read_actors(write_actors(actors.iloc[0:0], tmp_path / "empty.geojson"))
    assert len(back) == 0 and "actor_id" in back.columns


def test_the_gate_runs_once_on_already_public_data(actors, monkeypatch):
    import safi_map.model.public as public_mod

    once = public_actors(actors)
    calls = []
    monkeypatch.setattr(public_mod, "safe_url", lambda u: calls.append(u) or u)
    twice = public_actors(once)
    subset = public_actors(once[once["department"] == once["department"].iloc[0]])
    assert calls == []
    assert twice.equals(once) and twice is not once
    assert len(subset) > 0 and (subset["email"] == once.loc[subset.index, "email"]).all()
    # raw data is still filtered
    public_actors(actors)
    assert len(calls) == len(actors)


def _hostile(actors):
    """Actors with every kind of cell the CSV writer must quote, blank or turn to text."""
    import numpy as np
    import pandas as pd

    frame = actors.copy()
    frame.loc[0, "name"] = 'Le "Quai", la Halle; et\nle port'
    frame.loc[1, "name"] = " espaces \r\n "
    frame.loc[2, "description"] = np.nan
    frame.loc[3, "website"] = None
    frame.loc[4, "latitude"] = np.nan
    frame.loc[5, "geocode_score"] = -0.0
    frame.loc[6, "geocode_score"] = 1 / 3
    frame["themes"] = frame["themes"].astype(object)
    frame.at[7, "themes"] = ("a", 2)
    frame.at[8, "themes"] = []
    frame.at[9, "needs"] = None
    frame.at[10, "offers"] = np.nan
    frame["an_int"] = np.arange(len(frame), dtype="int64")
    frame["mixed"] = pd.Series([1.5, None, "x", True, np.float64(2.25), 7] * 10)[: len(frame)]
    frame["mixed"] = frame["mixed"].astype(object)
    frame["accents"] = "Évian-les-Bains, «Œuvre» ’"
    return frame


@pytest.mark.parametrize("excel", [False, True])
def test_csv_is_byte_for_byte_what_pandas_writes(tmp_path, actors, excel):
    """The CSV writer goes through plain lists for speed; pandas is the reference."""
    import pandas as pd

    from safi_map.ingestion.io import flatten_lists

    frame = _hostile(actors)
    for table in (frame, frame.iloc[0:0]):
        ours = write_actors(table, tmp_path / "ours.csv", excel=excel).read_bytes()
        flatten_lists(pd.DataFrame(table.drop(columns="geometry"))).to_csv(
            tmp_path / "pandas.csv", index=False, sep=";" if excel else ",",
            encoding="utf-8-sig" if excel else "utf-8", lineterminator="\n",
            float_format="%.6f")
        assert ours == (tmp_path / "pandas.csv").read_bytes()


def test_csv_of_other_column_types_is_left_to_pandas(tmp_path, actors):
    import pandas as pd

    from safi_map.ingestion.io import _write_csv, flatten_lists

    frame = pd.DataFrame(actors.drop(columns="geometry"))
    frame["count"] = pd.array([1, None] * (len(frame) // 2), dtype="Int64")
    assert not _write_csv(frame, tmp_path / "x.csv", sep=",", encoding="utf-8")
    assert not (tmp_path / "x.csv").exists()
    ours = write_actors(actors.assign(count=frame["count"]), tmp_path / "a.csv").read_bytes()
    flatten_lists(frame).to_csv(tmp_path / "pandas.csv", index=False, lineterminator="\n",
                                float_format="%.6f")
    assert ours == (tmp_path / "pandas.csv").read_bytes()
    assert ours.splitlines()[1].endswith(b",1") and ours.splitlines()[2].endswith(b",")


def test_geojson_cells_are_the_json_values_of_the_frame(tmp_path, actors):
    import math

    frame = _hostile(actors)
    features = json.loads(write_actors(frame, tmp_path / "a.geojson").read_text("utf-8"))[
        "features"]
    for col in ("name", "description", "website", "themes", "needs", "offers", "an_int",
                "mixed", "latitude", "geocode_score", "contact_consent"):
        expected = []
        for v in frame[col].tolist():
            if isinstance(v, float) and math.isnan(v):
                v = None
            elif hasattr(v, "item") and not isinstance(v, list | tuple | dict | str):
                v = v.item()
            expected.append(list(v) if isinstance(v, tuple) else v)
        assert [f["properties"][col] for f in features] == expected, col

"""The change report's comparison and the plain-list helpers it (and the merge) run on."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from safi_map.core.columns import column_values
from safi_map.ingestion.changes import Previous, compare_builds
from safi_map.ingestion.compare import norm, same

VALUES = ["", "a", "b", "1", None, np.nan, np.float64("nan"), 1, np.int64(1), 1.0, True, False,
          np.bool_(True), [], ["a"], ["a", "b"], ["1"], [1], ("a",), np.array(["a"]), [True]]


def test_same_is_equality_of_normalized_values():
    for old, new in itertools.product(VALUES, VALUES):
        assert same(old, new) == (norm(old) == norm(new)), (old, new)


@pytest.mark.parametrize("series", [
    pd.Series(["a", None, "b"]),
    pd.Series(["a", None, "b"], dtype="string"),
    pd.Series([1.5, np.nan]),
    pd.Series([1, 2]),
    pd.Series([True, False]),
    pd.Series([1, None], dtype="Int64"),
    pd.Series([True, None], dtype="boolean"),
    pd.Series([["a"], [], None, np.float64(2.5), np.int64(3), np.bool_(False), pd.NA, "x"],
              dtype=object),
    pd.Series(pd.to_datetime(["2015-09-28", None])).astype(object),
])
def test_column_values_are_the_values_to_dict_gives(series):
    expected = [r["c"] for r in pd.DataFrame({"c": series}).to_dict("records")]
    got = column_values(series)
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        assert type(a) is type(b)
        assert a == b or (a != a and b != b)


def _actors(records):
    frame = pd.DataFrame(records)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["longitude"],
                                                               frame["latitude"]),
                            crs="EPSG:4326")


def _record(aid, **fields):
    base = {"actor_id": aid, "name": aid.title(), "themes": ["insertion"], "email": "",
            "commune": "Toulon", "geocode_precision": "municipality", "latitude": 43.12,
            "longitude": 5.93, "contact_consent": False}
    return base | fields


def test_compare_builds_reports_each_kind_of_difference():
    previous = _actors([
        _record("same"),
        _record("nan-and-empty", email=np.nan),
        _record("themes", themes=["insertion"]),
        _record("consent", contact_consent=False),
        _record("moved"),
        _record("rounding", latitude=43.123451),
        _record("gone"),
    ])
    current = _actors([
        _record("same"),
        _record("nan-and-empty", email=""),
        _record("themes", themes=["insertion", "culture"]),
        _record("consent", contact_consent=True),
        _record("moved", commune="Hyères", latitude=43.1),
        _record("rounding", latitude=43.1234549),
        _record("new"),
    ])
    changes, publish = compare_builds(Previous(previous, {}, []), current, {})
    assert changes.new == ["new"]
    assert changes.changed == {"themes": ["themes"], "consent": ["contact_consent"],
                               "moved": ["commune"]}
    assert list(changes.geocoding) == ["moved"]
    assert changes.geocoding["moved"]["before"]["commune"] == "Toulon"
    assert changes.geocoding["moved"]["after"] == {
        "precision": "municipality", "latitude": 43.1, "longitude": 5.93, "commune": "Hyères"}
    assert changes.removed == changes.retained == ["gone"]
    assert publish["actor_id"].tolist() == ["consent", "gone", "moved", "nan-and-empty", "new",
                                            "rounding", "same", "themes"]
    assert set(changes.names) == {"new", "themes", "consent", "moved", "gone"}


def test_compare_builds_needs_unique_ids():
    actors = _actors([_record("a"), _record("a")])
    with pytest.raises(ValueError, match="unique"):
        compare_builds(Previous(actors, {}, []), actors, {})

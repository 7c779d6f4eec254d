"""Writing actor tables to data files: GeoPackage, GeoJSON and CSV, deterministically.

List columns become JSON arrays in GeoJSON and ``;``-joined strings in CSV and GeoPackage (flat
formats that spreadsheet users and GIS tools read). Files are byte-identical for the same input:
GeoJSON is written by hand with sorted keys, and GDAL's timestamp in GeoPackages is pinned.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safi_map.core.csvsafe import neutralise_frame, neutralise_values
from safi_map.core.i18n import _
from safi_map.core.writer import atomic_path

__all__ = [
    "LIST_COLUMNS", "actors_from_features", "actors_to_geojson", "flatten_lists", "read_actors",
    "write_actors",
]

LIST_COLUMNS = ("themes", "needs", "offers", "stops", "sources")
_FIXED_GDAL_DATE = "2000-01-01T00:00:00Z"


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item") and not isinstance(value, list | tuple | dict | str):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


# Types _jsonable returns unchanged: most values, passed through without a call.
_JSON_AS_IS = frozenset({str, list, int, bool, dict, type(None)})


def _json_column(values: list[Any]) -> list[Any]:
    """``_jsonable`` of every value of a column."""
    return [v if v.__class__ in _JSON_AS_IS else _jsonable(v) for v in values]


def flatten_lists(frame: pd.DataFrame, sep: str = ";") -> pd.DataFrame:
    """A copy where list columns are joined with ``sep`` (for CSV, GeoPackage, spreadsheets)."""
    out = frame.copy()
    for col in out.columns:
        if col == "geometry" or out[col].dtype != object:
            continue
        values = out[col].tolist()
        if any(isinstance(v, list | tuple) for v in values):
            out[col] = [sep.join(map(str, v)) if isinstance(v, list | tuple) else v
                        for v in values]
    return out


def actors_to_geojson(actors: gpd.GeoDataFrame, *, indent: int | None = None) -> str:
    """GeoJSON FeatureCollection text with sorted keys and 6-decimal coordinates.

    Built column by column (``tolist`` gives Python values): row-wise ``to_dict`` costs seconds
    at 50,000 actors.
    """
    import shapely

    props_cols = sorted(c for c in actors.columns if c != actors.geometry.name)
    columns = [_json_column(actors[c].tolist()) for c in props_cols]
    geoms = actors.geometry.to_numpy()
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    xs = np.round(shapely.get_x(geoms), 6).tolist()
    ys = np.round(shapely.get_y(geoms), 6).tolist()
    points = [{"type": "Point", "coordinates": [x, y]} if p else None
              for x, y, p in zip(xs, ys, present.tolist(), strict=True)]
    rows = zip(*columns, strict=True) if columns else [()] * len(actors)
    features = [
        {"type": "Feature", "geometry": point, "properties": dict(zip(props_cols, values,
                                                                      strict=True))}
        for point, values in zip(points, rows, strict=True)
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features},
        ensure_ascii=False, sort_keys=True, indent=indent, separators=(",", ":") if indent is None
        else None,
    ) + "\n"


def write_actors(actors: gpd.GeoDataFrame, path: str | Path, fmt: str | None = None, *,
                 excel: bool = False) -> Path:
    """Write ``actors`` to ``path`` as ``gpkg``, ``geojson`` or ``csv`` (from the suffix if
    ``fmt`` is None). ``excel=True`` writes CSV as UTF-8 with BOM and ``;`` for French Excel.
    CSV text cells that a spreadsheet would run as formulas are neutralised
    (:mod:`safi_map.core.csvsafe`); numeric columns stay numbers.
    """
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in ("geojson", "csv", "gpkg"):
        raise ValueError(_("unknown data format {fmt!r}; expected gpkg, geojson or csv").format(
            fmt=fmt))
    # Written beside, then renamed over ``path``: a run killed while writing leaves the
    # previous file whole (a half-written GeoPackage has no layer and breaks ``export``).
    with atomic_path(path) as tmp:
        if fmt == "geojson":
            tmp.write_text(actors_to_geojson(actors), encoding="utf-8")
        elif fmt == "csv":
            frame = pd.DataFrame(actors.drop(columns=actors.geometry.name))
            sep, encoding = (";", "utf-8-sig") if excel else (",", "utf-8")
            if not _write_csv(frame, tmp, sep=sep, encoding=encoding):
                neutralise_frame(flatten_lists(frame)).to_csv(
                    tmp, index=False, sep=sep, encoding=encoding, lineterminator="\n",
                    float_format="%.6f")
        else:
            _write_gpkg(actors, tmp)
    return path


def _write_csv(frame: pd.DataFrame, path: Path, *, sep: str, encoding: str) -> bool:
    """Write ``neutralise_frame(flatten_lists(frame)).to_csv(path, index=False, sep=sep,
    encoding=encoding, lineterminator="\\n", float_format="%.6f")``, byte for byte, through
    plain lists.

    pandas formats the whole table cell by cell through its own machinery: most of the time
    of writing an actors file. This does what it does (the same ``csv`` writer and dialect;
    floats ``"%.6f" % value``; missing values empty; other values handed to the writer as they
    are, which turns them to text) for the column types actor tables have: numpy numbers and
    booleans, strings, objects. Returns False, having written nothing, for any other table,
    which the caller then gives to pandas.
    """
    labels = list(frame.columns)
    if not labels or not frame.columns.is_unique or not all(isinstance(c, str) for c in labels):
        return False
    columns: list[list[Any]] = []
    for col in labels:
        series = frame[col]
        dtype = series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            values = ["%.6f" % v for v in series.tolist()]  # noqa: UP031 (pandas' own formatting)
        elif isinstance(dtype, np.dtype) and dtype.kind in "iub":
            values = series.tolist()
        elif dtype == np.dtype(object) or isinstance(dtype, pd.StringDtype):
            values = series.tolist()
            if dtype == np.dtype(object) and any(isinstance(v, list | tuple) for v in values):
                values = [";".join(map(str, v)) if isinstance(v, list | tuple) else v
                          for v in values]  # as flatten_lists
            values = neutralise_values(values)  # text: no formula (see safi_map.core.csvsafe)
        else:
            return False
        for i in np.flatnonzero(series.isna().to_numpy()).tolist():
            values[i] = ""
        columns.append(values)
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n", delimiter=sep, quoting=csv.QUOTE_MINIMAL,
                            doublequote=True, escapechar=None, quotechar='"')
        writer.writerow(labels)
        writer.writerows(zip(*columns, strict=True))
    return True


def _write_gpkg(actors: gpd.GeoDataFrame, path: Path) -> None:
    import pyogrio

    flat = flatten_lists(actors)
    for col in flat.columns:
        if col != flat.geometry.name and flat[col].dtype == bool:
            flat[col] = flat[col].astype("int32")
    path.unlink(missing_ok=True)  # GDAL creates the file (an empty one is not a GeoPackage)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _FIXED_GDAL_DATE})
    try:
        flat.to_file(path, driver="GPKG", layer="actors", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def read_actors(path: str | Path) -> gpd.GeoDataFrame:
    """Read an actors file written by :func:`write_actors` back, lists restored."""
    path = Path(path)
    if path.suffix == ".geojson":
        return actors_from_features(
            json.loads(path.read_text(encoding="utf-8")).get("features", []))
    return _restore(gpd.read_file(path, engine="pyogrio"))


def actors_from_features(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """:func:`read_actors` of a GeoJSON file whose ``features`` the caller has already parsed.

    The pipeline parses the previous build's ``actors.geojson`` for its SIRET ids and then
    compares the new build with it: parsing it once is a good part of a small rebuild.
    """
    return _restore(_features_frame(features))


def _restore(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Lists, dates, empty strings and booleans as :func:`write_actors` had them."""
    for col in LIST_COLUMNS:
        if col in frame.columns and len(frame):  # (an empty column keeps its dtype)
            frame[col] = pd.Series([_split(v) for v in frame[col].tolist()], index=frame.index,
                                   dtype=object)
    for col in ("first_seen", "last_seen"):  # GDAL parses ISO dates; we keep them as text
        if col in frame.columns and not pd.api.types.is_string_dtype(frame[col]):
            frame[col] = pd.to_datetime(frame[col], errors="coerce").dt.strftime("%Y-%m-%d")
            frame[col] = frame[col].fillna("")
    for col in frame.columns:
        if col != frame.geometry.name and pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].fillna("")
    if "contact_consent" in frame.columns:
        frame["contact_consent"] = frame["contact_consent"].fillna(0).astype(bool)
    return frame


def _features_frame(features: list[dict[str, Any]]) -> gpd.GeoDataFrame:
    """Our own GeoJSON (points, flat properties) without GDAL: values keep their JSON types,
    lists stay lists, and it is several times faster (the change report reads it every build)."""
    import shapely

    from safi_map.model.public import ACTOR_COLUMNS

    frame = pd.DataFrame([f.get("properties") or {} for f in features])
    if frame.empty:
        frame = pd.DataFrame(columns=[c for c in ACTOR_COLUMNS if c != "geometry"])
    coords = [(f.get("geometry") or {}).get("coordinates") for f in features]
    xs = np.array([c[0] if c else np.nan for c in coords], dtype=float)
    ys = np.array([c[1] if c else np.nan for c in coords], dtype=float)
    geoms = shapely.points(np.nan_to_num(xs), np.nan_to_num(ys))
    geoms = np.where(np.isnan(xs) | np.isnan(ys), None, geoms)
    for col in frame.columns:
        if frame[col].dtype == object and not any(isinstance(v, list)
                                                  for v in frame[col].tolist()):
            frame[col] = frame[col].where(frame[col].notna(), None)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(list(geoms), crs="EPSG:4326"),
                            crs="EPSG:4326")


def _split(value: Any) -> list[str]:
    if value.__class__ is list and all(v.__class__ is str for v in value):
        return value  # as JSON gives it: already a fresh list of strings
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if hasattr(value, "tolist"):
        return [str(v) for v in value.tolist()]
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return []
    if isinstance(value, str) and value.startswith("["):
        return list(json.loads(value))
    return str(value).split(";")

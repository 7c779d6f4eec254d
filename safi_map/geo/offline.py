"""Offline geocoder: survey rows to an official commune and a point, without the network.

The chain, per row (first success wins):

1. valid provided coordinates (inside France): kept as they are (precision ``provided``); the
   row still gets its commune, from its postcode and name, else from the PACA commune polygon
   the point falls in, else from the nearest commune point;
2. an arrondissement of Marseille, Lyon or Paris named by the text (``Marseille 8e``) or by the
   postcode (``Marseille`` + ``13008``);
3. postcode and name together: exact name key among the communes of the postcode, the same
   without leading article, a former name the postcode confirms (:mod:`.geocode_former`), the
   name among the communes of the postcode's department (a wrong postcode), a former name of
   that department, an INSEE code (current or former) typed as postcode, fuzzy among the
   communes of the postcode, then of the department when the postcode is unknown (a candidate
   whose postcode disagrees with a known one does not beat the placement by that postcode);
4. the name alone, nationwide (PACA first, then the most populated homonym), then a former name
   (one commune of today, or one in PACA);
5. the postcode alone (the most populated of the communes sharing it);
6. fuzzy name nationwide (PACA first) when there is no usable postcode;
7. nothing: precision ``none``, NaN coordinates, and the reason.

Exact names come before fuzzy ones, today's before former ones; a former name that several
communes of today had is chosen by the postcode, else left ambiguous: no fuzzy match places the
row (the postcode alone may, saying so). ``commune_former`` keeps the former name a row was
placed by.

Provided coordinates keep the named commune when it was found with a score of at least 0.8;
a weaker match (a postcode shared by several communes, a guess) yields to the point.

Commune-level results use the commune's point (its town hall, inside the commune) with precision
``municipality`` and source ``gazetteer``. A plain ``Marseille`` (or Lyon, Paris) without an
arrondissement postcode is the whole city (``13055``) at its town hall, score 0.8, with a reason:
the merge then groups its actors by city, not by arrondissement.

Scores: 1.0 exact (postcode and name, or a name unique in France); 0.95 article ignored; 0.9 a
postcode of a single commune; 0.85 right name, wrong postcode in the same department; up to 0.9
fuzzy within the postcode, 0.8 within the department, 0.75 in PACA; 0.7 right name, postcode of
another department; 0.5 most populated of a shared postcode, 0.3 when the name was not
recognised either; homonyms chosen by PACA (x0.85) or population (x0.6). Work is vectorized: every distinct (postcode, commune)
pair is resolved once (:mod:`~safi_map.geo.offline_pairs`), with pandas merges for the exact
stages and a loop over the remaining distinct pairs only for fuzzy matching, then mapped back to
the rows. The lookup tables are :mod:`~safi_map.geo.offline_index`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from safi_map.core.i18n import _
from safi_map.geo import gazetteer
from safi_map.geo.former import sep
from safi_map.geo.offline_index import commune_points, commune_polygons, index
from safi_map.geo.offline_pairs import Pairs, resolve

__all__ = ["OUTPUT_COLUMNS", "geocode_offline"]

log = logging.getLogger(__name__)

#: Columns returned by :func:`geocode_offline`, in this order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "insee_code",
    "commune",
    "commune_former",
    "department",
    "epci",
    "epci_name",
    "latitude",
    "longitude",
    "geocode_precision",
    "geocode_source",
    "geocode_score",
    "geocode_reason",
)

# Named commune farther than this from provided coordinates: say so in the reason.
_FAR_KM = 25.0
# Provided coordinates keep the named commune only when it was found with this confidence.
_TRUST_NAMED = 0.8




def _column(frame: pd.DataFrame, name: str, numeric: bool = False) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(
            np.nan if numeric else "", index=frame.index, dtype="float64" if numeric else object
        )
    col = frame[name]
    if numeric:
        return pd.to_numeric(col, errors="coerce").astype("float64")
    return col.astype(object).where(col.notna(), "").map(str).str.strip()


def _distance_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Equirectangular distance: exact enough at the scale of a commune."""
    mean_lat = np.radians((lat1 + lat2) / 2)
    dx = np.radians(lon2 - lon1) * np.cos(mean_lat)
    dy = np.radians(lat2 - lat1)
    return 6371.0 * np.hypot(dx, dy)


def _commune_at(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """INSEE code of the PACA polygon holding each point, else of the nearest commune point.

    Returns the codes and whether each came from a polygon.
    """
    import shapely

    points = shapely.points(lon, lat)
    codes = np.full(len(points), "", dtype=object)
    from_polygon = np.zeros(len(points), dtype=bool)
    if len(points) == 0:
        return codes, from_polygon
    tree, poly_codes = commune_polygons()
    hit_point, hit_poly = tree.query(points, predicate="intersects")
    if hit_point.size:
        first = np.unique(hit_point, return_index=True)[1]
        codes[hit_point[first]] = poly_codes[hit_poly[first]]
        from_polygon[hit_point[first]] = True
    rest = np.flatnonzero(~from_polygon)
    if rest.size:
        tree, point_codes = commune_points()
        hit_point, hit_tree = tree.query_nearest(points[rest], all_matches=False)
        codes[rest[hit_point]] = point_codes[hit_tree]
    return codes, from_polygon


def geocode_offline(frame: pd.DataFrame) -> pd.DataFrame:
    """Place each row at its commune with the packaged gazetteer, or keep its coordinates.

    Parameters
    ----------
    frame
        Rows with any of the columns ``postcode`` (5-digit string or ``""``; anything else is
        ignored, with a note in the reason), ``commune_input`` (commune text as typed),
        ``latitude``, ``longitude`` (float or NaN). A missing column counts as empty.

    Returns
    -------
    DataFrame
        Same index as ``frame``, columns :data:`OUTPUT_COLUMNS`: ``insee_code``, ``commune``
        (official name), ``department``, ``epci``, ``epci_name`` (``""`` when unknown),
        ``latitude``, ``longitude`` (NaN when unknown), ``geocode_precision`` (``provided``,
        ``municipality`` or ``none``), ``geocode_source`` (``survey``, ``gazetteer`` or
        ``none``), ``geocode_score`` (0..1: 1.0 for an exact match, less for fuzzy or
        ambiguous ones), ``geocode_reason`` (why this result, or why none).
    """
    n = len(frame)
    raw_pc = _column(frame, "postcode")
    valid_pc = raw_pc.str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    postcode = raw_pc.where(valid_pc, "")
    text = _column(frame, "commune_input")
    # A bare postcode typed in the commune cell is the postcode.
    pc_in_text = (postcode == "") & text.str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    if pc_in_text.any():
        postcode = postcode.where(~pc_in_text, text)
        text = text.where(~pc_in_text, "")
    lat = _column(frame, "latitude", numeric=True).to_numpy()
    lon = _column(frame, "longitude", numeric=True).to_numpy()
    found = _by_pairs(postcode, text)
    bad_pc = (raw_pc != "").to_numpy() & ~valid_pc.to_numpy()
    if bad_pc.any():
        note = np.array(
            [_("invalid postcode {value!r} ignored").format(value=p) + sep()
             for p in raw_pc.to_numpy()[bad_pc]], dtype=object
        )
        found.reason[bad_pc] = note + found.reason[bad_pc]
    provided = _keep_provided(found, lat, lon)
    result = _commune_columns(found, frame.index)
    _place(result, found, provided, lat, lon)
    log.debug("geocoded %d rows offline (%d distinct postcode/commune pairs)", n, found.pairs)
    return result


class _Found:
    """Each row's commune (INSEE code), score, reason, former name, precision and source."""

    def __init__(self, code: np.ndarray, score: np.ndarray, reason: np.ndarray,
                 former: np.ndarray, pairs: int) -> None:
        self.code, self.score, self.reason, self.former = code, score, reason, former
        self.pairs = pairs
        self.precision = np.where(code != "", "municipality", "none").astype(object)
        self.source = np.where(code != "", "gazetteer", "none").astype(object)
        self.latitude = np.full(len(code), np.nan)
        self.longitude = np.full(len(code), np.nan)


def _by_pairs(postcode: pd.Series, text: pd.Series) -> _Found:
    """Resolve each distinct (postcode, commune) pair once, then map back to the rows."""
    n = len(postcode)
    pair_id, uniques = pd.factorize(pd.MultiIndex.from_arrays([postcode, text]))
    pairs = Pairs(pd.Series(uniques.get_level_values(0), dtype=object),
                  pd.Series(uniques.get_level_values(1), dtype=object))
    resolve(pairs)
    return _Found(
        pairs.code[pair_id] if n else np.array([], dtype=object),
        pairs.score[pair_id] if n else np.array([], dtype="float64"),
        pairs.reason[pair_id] if n else np.array([], dtype=object),
        pairs.former[pair_id] if n else np.array([], dtype=object),
        len(uniques),
    )


def _keep_provided(found: _Found, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Provided coordinates in France win; the commune comes from the name when trusted, else
    from the point. Returns which rows keep their coordinates."""
    has_coords = np.isfinite(lat) & np.isfinite(lon)
    provided = has_coords & gazetteer.in_france(lat, lon)
    rejected = has_coords & ~provided
    code, reason = found.code, found.reason
    if rejected.any():
        reason[rejected] = (_("coordinates outside France ignored") + sep()
                            + reason[rejected].astype(str))
    if not provided.any():
        return provided
    trusted = provided & (code != "") & (found.score >= _TRUST_NAMED)
    located = provided & ~trusted
    if located.any():
        at, from_polygon = _commune_at(lat[located], lon[located])
        code[located] = at
        found.former[located] = ""
        how = np.where(
            from_polygon,
            _("commune from the polygon holding the point"),
            _("commune from the nearest commune point"),
        )
        reason[located] = _("coordinates provided") + sep() + how.astype(object)
    if trusted.any():
        trusted_how = _("coordinates provided; commune: {reason}")
        reason[trusted] = np.array([trusted_how.format(reason=r) for r in reason[trusted]],
                                   dtype=object)
    found.precision[provided] = "provided"
    found.source[provided] = "survey"
    found.score[provided] = 1.0
    found.latitude[provided] = lat[provided]
    found.longitude[provided] = lon[provided]
    return provided


def _commune_columns(found: _Found, rows: pd.Index) -> pd.DataFrame:
    """The commune's official name, department and EPCI of each row ("" when unknown)."""
    table = index().table
    position = index().codes.get_indexer(found.code)
    known = position >= 0
    result = pd.DataFrame(index=rows)
    for out_name, column in (
        ("insee_code", "code_insee"),
        ("commune", "nom"),
        ("department", "departement"),
        ("epci", "epci_code"),
        ("epci_name", "epci_nom"),
    ):
        values = np.full(len(rows), "", dtype=object)
        values[known] = table[column].to_numpy()[position[known]]
        result[out_name] = values
        if out_name == "commune":
            result["commune_former"] = np.where(known, found.former, "").astype(object)
    return result


def _place(result: pd.DataFrame, found: _Found, provided: np.ndarray, lat: np.ndarray,
           lon: np.ndarray) -> None:
    """The point of each row (the provided one, else its commune's) and the geocode columns;
    a provided point far from the named commune's town hall is said in the reason."""
    table = index().table
    position = index().codes.get_indexer(found.code)
    known = position >= 0
    n = len(result)
    ref_lat = np.full(n, np.nan)
    ref_lon = np.full(n, np.nan)
    ref_lat[known] = table["latitude"].to_numpy()[position[known]]
    ref_lon[known] = table["longitude"].to_numpy()[position[known]]
    reason = found.reason
    if provided.any():
        far = provided & known & (found.score >= 0)  # distance only matters for named communes
        dist = np.full(n, 0.0)
        dist[far] = _distance_km(lat[far], lon[far], ref_lat[far], ref_lon[far])
        far &= dist > _FAR_KM
        if far.any():
            reason[far] = reason[far].astype(str) + np.array(
                [sep() + _("the coordinates are {km:.0f} km from its town hall").format(km=d)
                 for d in dist[far]],
                dtype=object,
            )
    gazetteer_rows = ~provided
    found.latitude[gazetteer_rows] = ref_lat[gazetteer_rows]
    found.longitude[gazetteer_rows] = ref_lon[gazetteer_rows]
    result["latitude"] = found.latitude
    result["longitude"] = found.longitude
    result["geocode_precision"] = found.precision
    result["geocode_source"] = found.source
    result["geocode_score"] = np.where(found.precision == "none", 0.0, found.score)
    result["geocode_reason"] = reason

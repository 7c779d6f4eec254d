"""Reference data shipped with the package: French communes, PACA boundaries, area tests.

The files in ``safi_map/resources/reference/`` are produced by ``scripts/build_reference.py``
from the sources described in ``LICENCE-donnees.md`` (INSEE COG 2026, IGN ADMIN EXPRESS, DILA;
Licence Ouverte 2.0). They are read with :mod:`importlib.resources` so the package works from a
wheel or a zip, and each is parsed once per process (``functools.cache``).

This module also owns the commune-name normalization the geocoder matches on
(:func:`commune_key`) and the parser of Marseille, Lyon and Paris arrondissements
(:func:`parse_arrondissement`): survey exports spell communes in every possible way
(``ST RAPHAEL``, ``Garde (La)``, ``Marseille 8ème``) and matching must not depend on it.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import re
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from safi_map.core.errors import ReferenceDataError
from safi_map.core.i18n import _
from safi_map.core.text import fold

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ARRONDISSEMENT_CITIES",
    "FORMER_LINKS",
    "PACA_DEPARTMENTS",
    "commune_boundaries",
    "commune_key",
    "communes",
    "department_boundaries",
    "department_group",
    "former_communes",
    "in_france",
    "in_paca",
    "parse_arrondissement",
    "postcode_group",
    "postcodes",
    "strip_article",
]

log = logging.getLogger(__name__)

_PACKAGE = "safi_map"
_COMMUNES_FILE = "communes.csv.gz"
_FORMER_FILE = "communes_anciennes.csv.gz"
_COMMUNE_BOUNDARIES_FILE = "communes_paca.geojson.gz"
_DEPARTMENT_BOUNDARIES_FILE = "departements_paca.geojson.gz"

#: The six departments of Provence-Alpes-Côte d'Azur.
PACA_DEPARTMENTS: tuple[str, ...] = ("04", "05", "06", "13", "83", "84")

#: INSEE codes of the three communes divided into municipal arrondissements.
ARRONDISSEMENT_CITIES: dict[str, str] = {"13055": "marseille", "69123": "lyon", "75056": "paris"}

# Bounding boxes (lat_min, lat_max, lon_min, lon_max) of metropolitan France with Corsica and of
# the five overseas departments; generous by a few km so coastal points are not lost.
_FRANCE_BOXES: tuple[tuple[float, float, float, float], ...] = (
    (41.30, 51.15, -5.30, 9.65),  # metropolitan France and Corsica
    (15.80, 16.55, -61.85, -60.95),  # Guadeloupe
    (14.35, 14.92, -61.27, -60.78),  # Martinique
    (2.05, 5.85, -54.65, -51.55),  # Guyane
    (-21.42, -20.85, 55.18, 55.86),  # La Réunion
    (-13.05, -12.60, 44.95, 45.32),  # Mayotte
)

# Tolerance around the PACA outline for in_paca, in degrees (~100 m): the packaged outline is
# simplified, and piers, ports and beaches sit on its edge.
_PACA_TOLERANCE = 0.001

_STRING_COLUMNS = [
    "code_insee",
    "type",
    "nom",
    "departement",
    "commune_parent",
    "epci_code",
    "epci_nom",
    "codes_postaux",
]


def _resource_bytes(name: str) -> bytes:
    """The packaged reference file ``name`` as stored (compressed or not)."""
    try:
        folder = resources.files(_PACKAGE).joinpath("resources").joinpath("reference")
        return folder.joinpath(name).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError) as exc:
        raise ReferenceDataError(
            _("reference file {name!r} is missing from the package; reinstall safi-map or run "
              "scripts/build_reference.py").format(name=name)
        ) from exc


def _read_resource(name: str) -> bytes:
    data = _resource_bytes(name)
    try:
        return gzip.decompress(data) if name.endswith(".gz") else data
    except (OSError, EOFError) as exc:
        raise ReferenceDataError(_("reference file {name!r} is corrupt: {exc}").format(
                                     name=name, exc=exc)) from exc


@cache
def _communes() -> pd.DataFrame:
    raw = _read_resource(_COMMUNES_FILE)
    frame = pd.read_csv(
        io.BytesIO(raw),
        dtype={c: str for c in _STRING_COLUMNS}
        | {"population": "int64", "latitude": "float64", "longitude": "float64"},
        keep_default_na=False,
        na_filter=False,
        engine="c",
    )
    if len(frame) < 30_000 or frame["code_insee"].duplicated().any():
        raise ReferenceDataError(_("reference file {communes_file!r} looks truncated or "
                                   "corrupt").format(communes_file=_COMMUNES_FILE))
    log.debug("loaded %d communes from %s", len(frame), _COMMUNES_FILE)
    return frame


def communes() -> pd.DataFrame:
    """All communes and municipal arrondissements of France (INSEE COG 2026).

    Returns
    -------
    DataFrame
        One row per commune (``type`` ``COM``) or municipal arrondissement of Marseille, Lyon and
        Paris (``type`` ``ARM``, whose ``commune_parent`` is the city's code), sorted by
        ``code_insee``, with columns ``code_insee, type, nom, departement, commune_parent,
        epci_code, epci_nom, codes_postaux`` (``|``-separated), ``population``, ``latitude``,
        ``longitude`` (a point inside the commune: its town hall when that lies inside).
        Empty strings, never NaN, in text columns. A fresh copy: callers may modify it.
    """
    return _communes().copy()


#: Kinds of link between a former commune and today's (``lien`` of :func:`former_communes`).
FORMER_LINKS: tuple[str, ...] = (
    "deleguee", "associee", "fusionnee", "absorbee", "renommee", "ancien-code",
)


@cache
def _former_communes() -> pd.DataFrame:
    raw = _read_resource(_FORMER_FILE)
    frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_filter=False,
                        engine="c")
    current = _communes()["code_insee"]
    if (
        len(frame) < 5_000
        or not frame["code_insee"].isin(current).all()
        or not frame["lien"].isin(FORMER_LINKS).all()
    ):
        raise ReferenceDataError(
            _("reference file {name!r} looks truncated or corrupt; reinstall safi-map or run "
              "scripts/build_reference.py").format(name=_FORMER_FILE))
    return frame


def former_communes() -> pd.DataFrame:
    """Former names and codes of communes, with the commune (COG 2026) they lie in today.

    Returns
    -------
    DataFrame
        One row per old name of a commune that is not, under that name, a commune today:
        ``ancien_code`` (its INSEE code then), ``ancien_nom``, ``departement`` (of the old code),
        ``codes_postaux`` (its postcodes, ``|``-separated, known only for communes that still
        existed in 2019 or later), ``code_insee`` (today's commune, always in :func:`communes`),
        ``lien`` (one of :data:`FORMER_LINKS`: ``deleguee`` and ``associee`` a commune déléguée
        or associée today, ``fusionnee`` merged, ``absorbee`` absorbed, ``renommee`` the same
        commune renamed, ``ancien-code`` re-coded, as in Île-de-France in 1968 and Corsica in
        1976), ``depuis`` (the first COG year without the old name, ``""`` when unknown).
        Sorted by old code then name; a name may be shared by several former communes. A copy.
    """
    return _former_communes().copy()


@cache
def _postcodes() -> pd.DataFrame:
    frame = _communes()[["code_insee", "codes_postaux"]]
    pairs = frame.assign(postcode=frame["codes_postaux"].str.split("|")).explode("postcode")
    pairs = pairs[pairs["postcode"].str.len() == 5]
    return (
        pairs[["postcode", "code_insee"]]
        .sort_values(["postcode", "code_insee"])
        .reset_index(drop=True)
    )


def postcodes() -> pd.DataFrame:
    """Every (postcode, INSEE code) pair of the gazetteer, sorted.

    A postcode may serve several communes and a commune may have several postcodes, so this is
    a many-to-many table. The parents of arrondissements (Marseille, Lyon, Paris) are listed with
    every postcode of their arrondissements, as the arrondissements are.
    """
    return _postcodes().copy()


def _features_frame(name: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    try:
        collection = json.loads(_read_resource(name))
        frame = gpd.GeoDataFrame.from_features(collection["features"], crs="EPSG:4326")
    except (ValueError, KeyError, TypeError) as exc:
        raise ReferenceDataError(_("reference file {name!r} is corrupt: {exc}").format(
                                     name=name, exc=exc)) from exc
    return frame


@cache
def _commune_boundaries() -> gpd.GeoDataFrame:
    frame = _features_frame(_COMMUNE_BOUNDARIES_FILE)
    frame = frame[["code_insee", "type", "nom", "departement", "population", "geometry"]]
    return frame.sort_values("code_insee").reset_index(drop=True)


def commune_boundaries(
    *, marseille: Literal["both", "city", "arrondissements"] = "both"
) -> gpd.GeoDataFrame:
    """Simplified polygons of the PACA communes (EPSG:4326).

    Parameters
    ----------
    marseille
        ``"both"`` (default): 962 rows, the 946 communes (``type`` ``COM``, Marseille whole as
        ``13055``) and the 16 arrondissements of Marseille (``type`` ``ARM``), which overlap
        it. ``"city"``: the 946 communes, a tiling of the region. ``"arrondissements"``: 961
        rows, a tiling with Marseille by arrondissement, the codes the geocoder gives actors
        located by an arrondissement postcode. Choropleths want one of the tilings.

    Returns
    -------
    GeoDataFrame
        Columns ``code_insee, type, nom, departement, population, geometry``, sorted by code.
        Vertices are rounded to 1e-4 degree (about 10 m): right for a regional map or a poster,
        not for cadastral work.
    """
    frame = _commune_boundaries()
    if marseille == "city":
        frame = frame[frame["type"] == "COM"]
    elif marseille == "arrondissements":
        frame = frame[~frame["code_insee"].isin(list(ARRONDISSEMENT_CITIES))]
    elif marseille != "both":
        raise ValueError(
            _("marseille must be 'both', 'city' or 'arrondissements', not {marseille!r}").format(
                marseille=marseille)
        )
    return frame.reset_index(drop=True).copy()


@cache
def _department_boundaries() -> gpd.GeoDataFrame:
    frame = _features_frame(_DEPARTMENT_BOUNDARIES_FILE)
    frame = frame[["departement", "nom", "geometry"]]
    return frame.sort_values("departement").reset_index(drop=True)


def department_boundaries() -> gpd.GeoDataFrame:
    """The six PACA departments (EPSG:4326): columns ``departement, nom, geometry``."""
    return _department_boundaries().copy()


@cache
def _paca_outline() -> Any:
    import shapely

    outline = shapely.union_all(_department_boundaries().geometry.values)
    outline = shapely.buffer(outline, _PACA_TOLERANCE)
    shapely.prepare(outline)
    return outline


def _as_float_arrays(lat: ArrayLike, lon: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    lat_a = np.asarray(
        pd.to_numeric(np.ravel(np.asarray(lat, dtype=object)), errors="coerce"), dtype="float64"
    )
    lon_a = np.asarray(
        pd.to_numeric(np.ravel(np.asarray(lon, dtype=object)), errors="coerce"), dtype="float64"
    )
    if lat_a.shape != lon_a.shape:
        raise ValueError(_("lat and lon differ in length: {size} != {size1}").format(
                             size=lat_a.size, size1=lon_a.size))
    return lat_a, lon_a


def in_france(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """Whether each point lies in France (metropolitan, Corsica, overseas departments).

    A coarse test by bounding boxes, meant to catch swapped, zeroed or foreign coordinates in
    surveys, not to draw borders: a point in a neighbouring country close to the border passes.
    NaN or non-numeric values are ``False``.

    Parameters
    ----------
    lat, lon
        Scalars or array-likes of WGS84 degrees, same length.
    """
    lat_a, lon_a = _as_float_arrays(lat, lon)
    result = np.zeros(lat_a.shape, dtype=bool)
    for lat_min, lat_max, lon_min, lon_max in _FRANCE_BOXES:
        result |= (lat_a >= lat_min) & (lat_a <= lat_max) & (lon_a >= lon_min) & (lon_a <= lon_max)
    return result


def in_paca(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
    """Whether each point lies in Provence-Alpes-Côte d'Azur (within ~100 m of its outline).

    Uses the packaged department polygons; NaN or non-numeric values are ``False``.
    """
    import shapely

    lat_a, lon_a = _as_float_arrays(lat, lon)
    result = np.zeros(lat_a.shape, dtype=bool)
    finite = np.isfinite(lat_a) & np.isfinite(lon_a)
    if finite.any():
        result[finite] = shapely.contains_xy(_paca_outline(), lon_a[finite], lat_a[finite])
    return result


# --------------------------------------------------------------------------------------------
# Commune names

_TAGS = re.compile(r"<[^>]*>")
_SUR = re.compile(r"\bs\s*/\s*")  # "Châteauneuf s/ Grasse"
_TRAILING_ARTICLE = re.compile(
    r"^(?P<name>[^()]+?)\s*[(\[]\s*(?P<art>les|la|le|l)\s*'?\s*[)\]]\s*$"
)
_CEDEX = re.compile(r"\bcedex\b")
_DIGITS = re.compile(r"\d+(?:\s*(?:er|ere|eme|e)\b)?")
_NON_ALNUM = re.compile(r"[^a-z]+")
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "mt": "mont",
}
_ARTICLES = frozenset({"le", "la", "les", "l"})


def commune_key(text: str) -> str:
    """The key commune names are matched on: what survives every way of spelling a name.

    Case, accents, punctuation (hyphens, apostrophes), HTML tags (``S<sup>t</sup>``), ``CEDEX``
    and digits are dropped; ``St``/``Ste``/``Mt`` become ``saint``/``sainte``/``mont``;
    ``s/`` becomes ``sur``; a trailing article in brackets moves to the front, as official
    names have it (``"Garde (La)"`` -> ``"la garde"``). Leading articles are kept, so
    ``"La Garde"`` and ``"Garde"`` differ; see :func:`strip_article` for the looser key.

    >>> commune_key("ST-RAPHAËL CEDEX 2")
    'saint raphael'
    >>> commune_key("Garde (La)") == commune_key("LA GARDE") == "la garde"
    True
    """
    if not isinstance(text, str) or not text:
        return ""
    # Each rewrite runs only when its trigger is in the text: the geocoder keys every commune
    # of France (35,000 names) in each process that geocodes.
    if "<" in text:
        text = _TAGS.sub("", text)
    folded = fold(text).replace("'", " ")
    if "/" in folded:
        folded = _SUR.sub(" sur ", folded)
    if "(" in folded or "[" in folded:
        match = _TRAILING_ARTICLE.match(folded.strip())
        if match:
            folded = f"{match['art']} {match['name']}"
    if "cedex" in folded:
        folded = _CEDEX.sub(" ", folded)
    folded = _DIGITS.sub(" ", folded)
    tokens = _NON_ALNUM.sub(" ", folded).split()
    if _ABBREVIATIONS.keys().isdisjoint(tokens):
        return " ".join(tokens)
    return " ".join([_ABBREVIATIONS.get(t, t) for t in tokens])


def strip_article(key: str) -> str:
    """``key`` without a leading article (``"la garde"`` -> ``"garde"``), for looser matching."""
    head, _unused, rest = key.partition(" ")
    return rest if head in _ARTICLES and rest else key


# --------------------------------------------------------------------------------------------
# Arrondissements

_ROMAN = {"i": 1, "v": 5, "x": 10}
_ORDINAL = r"(?:er|ere|re|eme|em|e|ieme|me|°|º)?"
_CITY = r"(?P<city>marseille|lyon|paris)"
_NUMBER = (
    rf"(?:(?P<num>\d{{1,2}})\s*{_ORDINAL}|(?P<roman>[ivx]{{1,5}})\s*{_ORDINAL}|(?P<pc>\d{{5}}))"
)
_ARR_WORD = r"(?:\s*arr(?:ondissement|ondt|dt|t)?\.?)?"
_ARR_PATTERNS = (
    # "Marseille 8e", "MARSEILLE 13008", "Marseille VIII", "Marseille (8ème arr.)"
    re.compile(rf"^{_CITY}\b[\s,\-–(]*{_NUMBER}{_ARR_WORD}\s*\)?(?:\s*cedex\b.*)?$"),
    # "8e arrondissement de Marseille", "13008 Marseille"
    re.compile(rf"^{_NUMBER}{_ARR_WORD}[\s,\-–]*(?:de\s+)?{_CITY}(?:\s*cedex\b.*)?$"),
)
_ONLY_POSTCODE = re.compile(r"^\s*(?P<pc>\d{5})\s*$")


def _roman_to_int(text: str) -> int | None:
    values = [_ROMAN[c] for c in text]
    total = 0
    for i, value in enumerate(values):
        total += -value if i + 1 < len(values) and values[i + 1] > value else value
    return total if 0 < total <= 20 else None


@cache
def _arrondissements() -> tuple[dict[tuple[str, int], str], dict[str, str]]:
    """(city key, number) -> ARM code and postcode -> ARM code, from the gazetteer."""
    frame = _communes()
    arm = frame[frame["type"] == "ARM"]
    by_number: dict[tuple[str, int], str] = {}
    by_postcode: dict[str, str] = {}
    for code, parent, name, codes in zip(
        arm["code_insee"], arm["commune_parent"], arm["nom"], arm["codes_postaux"], strict=True
    ):
        city = ARRONDISSEMENT_CITIES.get(parent)
        number = re.search(r"(\d+)", name)
        if city is None or number is None:
            continue
        by_number[(city, int(number.group(1)))] = code
        for postcode in codes.split("|"):
            by_postcode[postcode] = code
    return by_number, by_postcode


def parse_arrondissement(text: str, postcode: str = "") -> str | None:
    """The INSEE code of the Marseille, Lyon or Paris arrondissement that ``text`` names.

    Understands ``"Marseille 8e"``, ``"Marseille 8ème"``, ``"MARSEILLE 13008"``,
    ``"Marseille VIII"``, ``"8e arrondissement de Marseille"``, ``"Lyon 3e"``, ``"Paris 15e"``,
    a bare arrondissement postcode (``"13008"`` as text, or empty text with ``postcode``), and
    the city name alone with an arrondissement postcode (``"Marseille"``, ``"13008"``).
    Returns ``None`` when ``text`` names no arrondissement (including ``"Marseille"`` without
    postcode: the caller decides what the plain city means).

    >>> parse_arrondissement("Marseille 8ème")
    '13208'
    >>> parse_arrondissement("Marseille", "13008")
    '13208'
    """
    by_number, by_postcode = _arrondissements()
    postcode = (postcode or "").strip()
    text = text if isinstance(text, str) else ""
    if "<" in text:
        text = _TAGS.sub("", text)
    folded = " ".join(fold(text).replace("'", " ").split())
    if not folded:
        return by_postcode.get(postcode)
    only_pc = _ONLY_POSTCODE.match(folded)
    if only_pc:
        return by_postcode.get(only_pc["pc"])
    for pattern in _ARR_PATTERNS:
        match = pattern.match(folded)
        if not match:
            continue
        city = match["city"]
        if match["pc"]:
            code = by_postcode.get(match["pc"])
            return code if code and _city_of(code) == city else None
        if match["num"]:
            number: int | None = int(match["num"])
        else:
            number = _roman_to_int(match["roman"])
        return by_number.get((city, number)) if number else None
    # The city alone (possibly with CEDEX): an arrondissement only if the postcode says which.
    key = commune_key(folded)
    if key in ARRONDISSEMENT_CITIES.values() and postcode in by_postcode:
        code = by_postcode[postcode]
        return code if _city_of(code) == key else None
    return None


def _city_of(arm_code: str) -> str | None:
    by_number, _unused = _arrondissements()
    for (city, _number), code in by_number.items():
        if code == arm_code:
            return city
    return None


def postcode_group(postcode: str) -> str:
    """The department group a postcode points to: its first two digits, three overseas.

    ``"83130"`` -> ``"83"``, ``"97110"`` -> ``"971"``, ``"20000"`` -> ``"20"`` (Corsica's two
    departments share the ``20`` postcodes). Empty for anything but five digits.
    """
    if len(postcode) != 5 or not postcode.isdigit():
        return ""
    return postcode[:3] if postcode.startswith("97") else postcode[:2]


def department_group(department: str) -> str:
    """The postcode group of a department code: ``"2A"``/``"2B"`` -> ``"20"``, else itself."""
    return "20" if department in ("2A", "2B") else department

"""Property tests: arbitrary survey text never crashes a normalizer, normalized values are fixed
points of their normalizer, and validate_table accounts for every row."""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safi_map.core import normalize as n
from safi_map.core.normalize import Note
from safi_map.geo import coordinates
from safi_map.ingestion.report import Report
from safi_map.ingestion.validate import ROW_COLUMNS, validate_table
from safi_map.model.taxonomy import load_taxonomy, map_legal_form
from safi_map.model.tour import Stop, Tour

# Text that looks like survey cells: digits, separators, accents, "@", ":", "/", quotes, CEDEX...
_ALPHABET = st.sampled_from([*"0123456789 .,;:/|-+()@'\"«»°NEOWSxX\n\téàçœ<>&?#%_",
                             "CEDEX", "http", "www.", ".fr", "mailto:", "javascript:", " et ",
                             "+33", "0033", "oui", "non", "Toulon", "83000", "6000"])
CELL = st.one_of(st.text(max_size=40), st.lists(_ALPHABET, max_size=12).map("".join))

SCALAR_NORMALIZERS = [
    n.repair_postcode, n.split_commune_cell, n.clean_commune, coordinates.parse_coordinate,
    n.normalize_url, n.normalize_email, n.normalize_phone, n.parse_bool, n.split_list,
    n.normalize_siret, n.normalize_name, n.parse_date,
]
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None,
                             suppress_health_check=[HealthCheck.too_slow])


def _check_notes(notes: object) -> None:
    assert isinstance(notes, list)
    for note in notes:
        assert isinstance(note, Note)
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", note.code)
        assert isinstance(note.message, str) and note.message


@PROPERTY_SETTINGS
@given(CELL)
@pytest.mark.slow
def test_no_normalizer_crashes(text):
    for fn in SCALAR_NORMALIZERS:
        result = fn(text)
        assert isinstance(result, tuple) and len(result) == 2
        _check_notes(result[1])
    slug, _ = map_legal_form(text)
    assert slug == "" or slug in {"association", "cooperative", "mutuelle", "fondation",
                                  "entreprise-ess", "collectivite", "autre"}


@PROPERTY_SETTINGS
@given(CELL)
def test_postcode_output_shape_and_fixed_point(text):
    value, _ = n.repair_postcode(text)
    assert value == "" or re.fullmatch(r"\d{5}", value)
    assert n.repair_postcode(value) == (value, [])


# Valid inputs, as surveys write them, drawn with the parts the normalized value must keep.
# Host labels and path words may be "et" or "ou" (those words separate two URLs of one cell
# only between spaces, never inside a URL).
_LABEL = st.one_of(st.sampled_from(["et", "ou", "a-et-b"]),
                   st.from_regex(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", fullmatch=True))
_HOST = st.tuples(st.lists(_LABEL, min_size=1, max_size=3),
                  st.from_regex(r"[a-zA-Z]{2,6}", fullmatch=True)).map(
    lambda parts: ".".join([*parts[0], parts[1]]))
_PATH = st.lists(_LABEL, max_size=3).map(lambda words: "".join(f"/{w}" for w in words))


@st.composite
def valid_urls(draw):
    """(cell text, the URL normalize_url must return)."""
    host, path = draw(_HOST), draw(_PATH)
    scheme = draw(st.sampled_from(["http://", "https://", "HTTPS://", ""]))
    cell = f"{scheme}{host}{path}"
    expected = f"{scheme.lower() or 'https://'}{host.lower()}{path}"
    return draw(st.sampled_from(["{}", " {} ", "{}."])).format(cell), expected


@st.composite
def valid_emails(draw):
    """(cell text, the address normalize_email must return)."""
    atom = st.from_regex(r"[A-Za-z0-9_+-]{1,10}", fullmatch=True)
    local = ".".join(draw(st.lists(atom, min_size=1, max_size=3)))
    domain = draw(_HOST)
    address = f"{local}@{domain}"
    cell = draw(st.sampled_from(["{}", " {} ", "<{}>", "mailto:{}", "MAILTO:{}"])).format(address)
    return cell, f"{local}@{domain.lower()}"


@st.composite
def valid_phones(draw):
    """(cell text, the French number normalize_phone must return)."""
    national = draw(st.from_regex(r"0[1-9]\d{8}", fullmatch=True))
    pairs = [national[i:i + 2] for i in range(0, 10, 2)]
    sep = draw(st.sampled_from(["", " ", ".", "-"]))
    cell = draw(st.sampled_from([
        sep.join(pairs),
        "+33 " + national[1] + sep + sep.join(pairs[1:]),
        "+33 (0)" + sep.join(pairs),
        "0033" + national[1:],
    ]))
    return cell, " ".join(pairs)


def _check_url(value: str) -> None:
    assert re.match(r"^https?://", value)
    assert not re.search(r"[\s<>\"'`]", value)
    assert n.normalize_url(value) == (value, [])


def _check_email(value: str) -> None:
    assert value.count("@") == 1 and value == value.strip()
    assert n.normalize_email(value) == (value, [])


def _check_phone(value: str) -> None:
    assert value == "" or re.fullmatch(r"0[1-9]( \d\d){4}|\+[1-9]\d{7,14}", value)
    if value.startswith("0"):
        assert n.normalize_phone(value) == (value, [])


@PROPERTY_SETTINGS
@given(st.one_of(CELL, valid_urls().map(lambda pair: pair[0])))
def test_url_is_http_and_a_fixed_point(text):
    value, _ = n.normalize_url(text)
    if value:
        _check_url(value)


@PROPERTY_SETTINGS
@given(valid_urls())
def test_valid_urls_are_kept_and_are_fixed_points(case):
    text, expected = case
    value, _ = n.normalize_url(text)
    assert value == expected
    _check_url(value)


@PROPERTY_SETTINGS
@given(st.one_of(CELL, st.emails(), valid_emails().map(lambda pair: pair[0])))
def test_email_shape_and_fixed_point(text):
    value, _ = n.normalize_email(text)
    if value:
        _check_email(value)


@PROPERTY_SETTINGS
@given(valid_emails())
@pytest.mark.slow
def test_valid_emails_are_kept_and_are_fixed_points(case):
    text, expected = case
    value, notes = n.normalize_email(text)
    assert (value, notes) == (expected, [])
    _check_email(value)


@PROPERTY_SETTINGS
@given(st.one_of(CELL, valid_phones().map(lambda pair: pair[0])))
def test_phone_shape_and_fixed_point(text):
    value, _ = n.normalize_phone(text)
    _check_phone(value)


@PROPERTY_SETTINGS
@given(valid_phones())
def test_valid_french_phones_are_kept_and_are_fixed_points(case):
    text, expected = case
    value, notes = n.normalize_phone(text)
    assert (value, notes) == (expected, [])
    _check_phone(value)


@PROPERTY_SETTINGS
@given(CELL)
def test_siret_name_list_are_fixed_points(text):
    siret, _ = n.normalize_siret(text)
    assert siret == "" or re.fullmatch(r"\d{14}", siret)
    name, _ = n.normalize_name(text)
    assert n.normalize_name(name) == (name, [])
    items, _ = n.split_list(text)
    assert all(item and item == item.strip() for item in items)
    assert n.split_list("; ".join(items))[0] == items


@PROPERTY_SETTINGS
@given(CELL, CELL)
def test_points_are_inside_france_or_dropped(lat, lon):
    (y, x), notes = coordinates.parse_point(lat, lon)
    _check_notes(notes)
    assert math.isnan(y) == math.isnan(x)
    if not math.isnan(y):
        from safi_map.geo.gazetteer import in_france

        assert bool(in_france([y], [x])[0])


_FIELDS = ["name", "legal_form", "themes", "postcode", "commune", "latitude", "longitude",
           "website", "email", "phone", "needs", "offers", "stop", "contact_consent", "siret",
           "survey_date"]
_TAXONOMY = load_taxonomy()
_TOUR = Tour((Stop("toulon", "Toulon", "", dt.date(2015, 9, 28)),))


class _Table:
    def __init__(self, frame: pd.DataFrame, extras: pd.DataFrame) -> None:
        self.frame = frame
        self.extras = extras
        self.columns = {f: f.upper() for f in frame.columns if not f.startswith("_")}
        self.unknown_columns = list(extras.columns)
        self.file = "prop.csv"
        self.path = None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({f: CELL for f in _FIELDS}), min_size=0, max_size=8),
       st.lists(CELL, min_size=8, max_size=8))
@pytest.mark.slow
def test_validate_table_accounts_for_every_row(rows, extra_cells):
    frame = pd.DataFrame(rows, columns=_FIELDS, dtype=object)
    frame["_file"] = "prop.csv"
    frame["_sheet"] = ""
    frame["_row"] = list(range(2, 2 + len(rows)))
    extras = pd.DataFrame({"Autre": extra_cells[: len(rows)]}, index=frame.index, dtype=object)
    report = Report()
    records = validate_table(_Table(frame, extras), taxonomy=_TAXONOMY, tour=_TOUR, report=report)
    assert list(records.columns) == list(ROW_COLUMNS)
    kept = set(records["source"])
    rejected = set(report.rejected)
    assert not kept & rejected
    assert kept | rejected == {f"prop.csv:{r}" for r in frame["_row"]}
    assert len(records) == len(kept)
    # One error per rejected row, none for kept rows; every issue names a row of the file.
    assert sorted(f"{i.file}:{i.row}" for i in report.errors) == sorted(rejected)
    assert all(f"{i.file}:{i.row}" in kept for i in report.warnings)
    for themes in records["themes"]:
        assert themes and set(themes) <= set(_TAXONOMY.theme_slugs)


@PROPERTY_SETTINGS
@given(st.text(alphabet="ab xyz,;/()-Cet&|\n", max_size=40), st.booleans())
def test_split_list_with_known_labels_and_parentheses_is_a_fixed_point(text, split_and):
    known = {"citoyennete droits et egalite", "a b", "x y z"}
    items, _ = n.split_list(text, split_and=split_and, known=known)
    assert n.split_list("; ".join(items), split_and=split_and, known=known)[0] == items

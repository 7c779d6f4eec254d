"""Fuzz the configuration files: any content gives a clean error with a message, or works.

``tour.toml``, ``taxonomy.toml``, ``corrections.toml`` and ``safi-map.toml`` are written by
people in a text editor. Hypothesis writes them too: documents built from the keys each file
knows, keys it does not, and values of every TOML type (strings with control characters, paths,
URLs, dates, NaN, huge numbers, nested tables), plus raw bytes that are not TOML or not UTF-8.
Loading one either succeeds or raises a :class:`SafiMapError` with a message naming the file;
any other exception is a bug. The slow test then builds a small project with such files.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safi_map.cli.main import cli
from safi_map.core.errors import SafiMapError
from safi_map.core.settings import SETTINGS, load_settings
from safi_map.ingestion.corrections import load_corrections
from safi_map.model.taxonomy import load_taxonomy
from safi_map.model.tour import load_tour

ROOT = Path(__file__).resolve().parents[1]

# --- TOML values ----------------------------------------------------------------------------

TRICKY = "\n\r\t\x00\x01\x1f\x7f\u00a0\u200b\ufeff\u2028éœ😀<>\"'&/\\.$:;#[]{}= "
PLAUSIBLE = [
    "", " ", "gap", "Gap", "gap\n", "GAP", "../x", "../../etc/passwd", "/etc/passwd",
    "data/surveys", "data/surveys/2015-05-07-gap.csv", "C:\\x", "a\x00b", "~", ".", "..",
    "https://example.org", "javascript:alert(1)", "http://127.0.0.1:1/", "mailto:x@y.fr",
    "#aa0000", "#zzz", "red", "dot", "sante", "insertion", "autre", "Santé", "<script>",
    "2015-05-07", "07/05/2015", "83137", "2A004", "6000", "ban", "nominatim", "auto",
    "name", "commune", "email", "x" * 300, "é" * 50, "contact@example.org", "\"><script>",
    "06 12 34 56 78", "12345678901234", "Asso loi 1901", "oui", "non",
]
text = st.one_of(st.sampled_from(PLAUSIBLE), st.sampled_from(PLAUSIBLE),
                 st.text(alphabet=st.one_of(st.sampled_from(TRICKY),
                                            st.characters(exclude_categories=("Cs",))),
                         max_size=20))
scalar = st.one_of(
    text, text, st.booleans(),
    st.integers(min_value=-2**63, max_value=2**63 - 1), st.sampled_from([0, 1, -1, 2**31]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.5, 43.12, 5.93, 1e308, math.nan, math.inf, -math.inf]),
    st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(9999, 12, 31)),
    st.times(),
)


def values(keys: list[str]) -> st.SearchStrategy[Any]:
    """A value for a key: scalars, lists of them, or tables whose keys come from ``keys``."""
    return st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(st.sampled_from(keys), text), inner, max_size=4),
        ),
        max_leaves=8,
    )


def tables(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """A table of the file's keys (most of them), some unknown ones, any values."""
    return st.dictionaries(st.one_of(st.sampled_from(keys), st.sampled_from(keys), text),
                           values(keys), max_size=len(keys) + 1)


def documents(top: dict[str, list[str]]) -> st.SearchStrategy[dict[str, Any]]:
    """A document whose top-level names (``top``: name -> the keys of its tables) hold arrays
    of tables, a table, or anything else."""
    entry = {name: st.one_of(st.lists(tables(keys), max_size=3), tables(keys), values(keys))
             for name, keys in top.items()}
    known = st.fixed_dictionaries({}, optional=entry)
    other = st.dictionaries(text, values(["x"]), max_size=1)
    return st.builds(lambda a, b: {**b, **a}, known, other)


def toml_key(k: str) -> str:
    return json.dumps(k, ensure_ascii=False)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf") if math.isinf(v) \
            else repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(v, dt.datetime):
        return v.isoformat()
    if isinstance(v, dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def toml(doc: dict[str, Any]) -> bytes:
    return "".join(f"{toml_key(k)} = {toml_value(v)}\n" for k, v in doc.items()).encode()


def garbled(doc: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    """Valid TOML most of the time; sometimes cut, not UTF-8, or any bytes at all."""
    return st.one_of(
        doc.map(toml), doc.map(toml), doc.map(toml),
        st.tuples(doc.map(toml), st.integers(min_value=0, max_value=200)).map(
            lambda t: t[0][:t[1]]),
        doc.map(lambda d: toml(d) + b"\xff\xfe bad = \"\xe9\"\n"),
        st.binary(max_size=60),
    )


TOUR = documents({"stops": ["id", "town", "date", "insee_code", "venue", "surveys"]})
TAXONOMY = documents({
    "themes": ["slug", "label", "colour", "icon", "synonyms", "datainclusion"],
    "resources": ["slug", "label", "synonyms"],
})
CORRECTION_KEYS = ["actor_id", "note", "latitude", "longitude", "keep", "absorb", "sources",
                   "name", "legal_form", "description", "address", "postcode", "website",
                   "email", "phone", "siret", "themes", "needs", "offers", "contact_consent"]
CORRECTIONS = documents({k: CORRECTION_KEYS for k in ("move", "set", "hide", "merge", "split")})
SECTIONS: dict[str, list[str]] = {}
for s in SETTINGS:
    SECTIONS.setdefault(s.section, []).append(s.name if s.name != "*" else "Nom de l'asso")
SETTINGS_DOC = st.builds(lambda d: d, st.fixed_dictionaries(
    {}, optional={sec: tables(keys) for sec, keys in SECTIONS.items()}))

# A few dozen fixed examples in the fast lane; SAFI_FUZZ_EXAMPLES=1000 explores further.
FUZZ = settings(max_examples=int(os.environ.get("SAFI_FUZZ_EXAMPLES", "40")), deadline=None,
                derandomize="SAFI_FUZZ_EXAMPLES" not in os.environ,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def loads_cleanly(load: Any, data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            load(path)
        except SafiMapError as exc:
            message = str(exc)
            assert message.strip(), "an error without a message"
            assert name in message, f"the message does not name the file: {message}"


@functools.cache
def _default_taxonomy() -> Any:
    return load_taxonomy()


# --- the fuzz -------------------------------------------------------------------------------


@FUZZ
@given(garbled(TOUR))
@example(b'[[stops]]\nid = "gap"\ntown = "Gap"\ndate = 2015-05-07\nsurveys = ["a\\u0000b"]\n')
@example(b'[[stops]]\nid = "gap\\n"\ntown = "Gap"\ndate = 2015-05-07\n')
def test_tour_files(data):
    loads_cleanly(load_tour, data, "tour.toml")


@FUZZ
@given(garbled(TAXONOMY))
def test_taxonomy_files(data):
    loads_cleanly(load_taxonomy, data, "taxonomy.toml")


@FUZZ
@given(garbled(CORRECTIONS))
@example(b'[[split]]\nactor_id = "../x"\nsources = ["a.csv:2"]\n')
@example(b'[[split]]\nactor_id = "x"\nsources = [{a = 1}]\n')
@example(b"set = [1]\n")
@pytest.mark.slow
def test_corrections_files(data):
    taxonomy = _default_taxonomy()
    loads_cleanly(lambda p: load_corrections(p, taxonomy), data, "corrections.toml")
    loads_cleanly(load_corrections, data, "corrections.toml")


@FUZZ
@given(garbled(SETTINGS_DOC))
@example(b"\xff\xfe[project]\n")  # not UTF-8
@example(b'[project]\nout = "a\\u0000b"\n')
@example(b'[project]\nsurveys = ["a\\u0000b"]\n')
@example(b'[project]\ntour = "' + b"x" * 300 + b'"\n')
@example(b"[limits]\nmax_megabytes = nan\n")
@example(b"[site]\nposters_max_actors = inf\n")
def test_settings_files(data):
    loads_cleanly(load_settings, data, "safi-map.toml")


# --- whole builds with fuzzed files -------------------------------------------------------------


def _project(tmp: Path) -> Path:
    (tmp / "data" / "surveys").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "surveys" / "2015-05-07-gap.csv", tmp / "data" / "surveys")
    shutil.copy(ROOT / "data" / "tour.toml", tmp / "data" / "tour.toml")
    shutil.copy(ROOT / "data" / "taxonomy.toml", tmp / "data" / "taxonomy.toml")
    return tmp


@pytest.mark.slow
@settings(max_examples=int(os.environ.get("SAFI_FUZZ_BUILDS", "12")), deadline=None,
          derandomize="SAFI_FUZZ_BUILDS" not in os.environ,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.sampled_from(["tour", "taxonomy", "corrections", "settings"]),
       st.one_of(TOUR.map(toml), TAXONOMY.map(toml), CORRECTIONS.map(toml),
                 SETTINGS_DOC.map(toml)))
def test_a_build_with_any_config_file_ends_cleanly(which, data):
    with tempfile.TemporaryDirectory() as tmp:
        project = _project(Path(tmp))
        target = {"tour": "data/tour.toml", "taxonomy": "data/taxonomy.toml",
                  "corrections": "data/corrections.toml", "settings": "safi-map.toml"}[which]
        (project / target).write_bytes(data)
        old = os.getcwd()
        os.chdir(project)
        try:
            result = CliRunner().invoke(cli, ["build", "--out", str(project / "build")])
        finally:
            os.chdir(old)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert result.exit_code in (0, 1, 2), result.output
        if result.exit_code == 2:
            assert "Traceback" not in result.output and result.output.strip()

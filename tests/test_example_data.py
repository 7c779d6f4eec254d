"""The fictional example data: reproducible, big and varied enough, obviously fake, messy as promised.

The files are read here with openpyxl, python-calamine and the csv module directly (not through
safi_map's readers) so these checks hold whatever state the readers are in.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import subprocess
import sys
import tomllib
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SURVEYS = DATA / "surveys"
SCRIPT = ROOT / "scripts" / "make_example_data.py"
PACA = {"04", "05", "06", "13", "83", "84"}
EMAIL_DOMAIN = re.compile(r"(^|\.)example(\.(org|com|fr))?$")
# Telephone numbers reserved by ARCEP for fiction, as 9 digits after the leading 0.
FICTION_PHONE = re.compile(r"^(4657\d|6399\d)")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return re.sub(
        r"[^a-z0-9]+", " ", "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    ).strip()


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path) -> list[list[str]]:
    """All rows of a survey file as strings, title rows and blank lines included."""
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path).worksheets[0]
        return [[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
    if path.suffix == ".ods":
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        return [[cell_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    lines = text.splitlines()
    header = next(line for line in lines if line.count(";") >= 5 or line.count(",") >= 5)
    delimiter = ";" if header.count(";") > header.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def header_index(rows: list[list[str]]) -> int:
    """The header is the first row with at least five filled cells (a title may sit above)."""
    return next(i for i, row in enumerate(rows) if sum(1 for c in row if c.strip()) >= 5)


def records(path: Path) -> list[dict[str, str]]:
    rows = read_rows(path)
    h = header_index(rows)
    headers = [fold(c) for c in rows[h]]
    return [dict(zip(headers, row, strict=False)) for row in rows[h + 1 :]]


def field(record: dict[str, str], *names: str) -> str:
    """The value under the first header whose folded form is one of ``names`` or starts with one."""
    for header, value in record.items():
        if any(header == n or header.startswith(n + " ") for n in names):
            return value.strip()
    return ""


NAME = ("organisation", "structure", "nom", "nom de la structure")
POSTCODE = ("cp", "code postal")
COMMUNE = ("ville", "commune")
EMAIL = ("courriel", "mail", "e mail", "adresse e mail")
PHONE = ("tel", "telephone", "numero de telephone")
WEBSITE = ("site internet", "site web")


@pytest.fixture(scope="module")
def survey_files() -> list[Path]:
    files = sorted(p for p in SURVEYS.iterdir() if p.is_file() and not p.name.startswith("."))
    assert files, "no committed example surveys"
    return files


@pytest.fixture(scope="module")
def all_records(survey_files: list[Path]) -> dict[str, list[dict[str, str]]]:
    return {p.name: records(p) for p in survey_files}


def _zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {name: z.read(name) for name in z.namelist()}


def _generate(out: Path) -> dict[str, bytes]:
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True
    )
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_generator_is_deterministic_and_matches_committed_files(tmp_path: Path) -> None:
    first = _generate(tmp_path / "a")
    second = _generate(tmp_path / "b")
    assert first == second, "two runs of the generator wrote different bytes"
    committed = {
        str(p.relative_to(DATA)): p.read_bytes()
        for p in sorted([DATA / "tour.toml", DATA / "agenda.csv", *SURVEYS.iterdir()])
        if p.is_file()
    }
    assert sorted(committed) == sorted(first), "committed files differ from the generated set"
    for name, data in first.items():
        if name.endswith((".xlsx", ".ods")):
            # Same members, same contents; the deflate stream may depend on the zlib build.
            assert _zip_members(committed[name]) == _zip_members(data), name
        else:
            assert committed[name] == data, f"{name} is stale: rerun scripts/make_example_data.py"


def test_spreadsheet_timestamps_are_fixed(survey_files: list[Path]) -> None:
    for path in survey_files:
        if path.suffix == ".xlsx":
            props = openpyxl.load_workbook(path).properties
            assert props.created == props.modified == dt.datetime(2015, 10, 1, 12, 0)
        if path.suffix in (".xlsx", ".ods"):
            with zipfile.ZipFile(path) as z:
                assert {i.date_time for i in z.infolist()} == {(2015, 10, 1, 12, 0, 0)}


def test_enough_rows_and_distinct_actors(all_records: dict[str, list[dict[str, str]]]) -> None:
    names = [field(r, *NAME) for rs in all_records.values() for r in rs]
    names = [n for n in names if n]
    assert len(names) >= 200
    assert len({fold(n) for n in names}) >= 150
    assert len(all_records) >= 5


def _department(postcode: str) -> str | None:
    found = re.search(r"(?<!\d)(\d{4,5})(?!\d)", postcode)
    return found.group(1).zfill(5)[:2] if found else None


def test_all_six_departments_present(all_records: dict[str, list[dict[str, str]]]) -> None:
    departments = Counter()
    for rs in all_records.values():
        for r in rs:
            dep = _department(field(r, *POSTCODE)) or _department(field(r, *COMMUNE))
            if dep:
                departments[dep] += 1
    assert set(departments) >= PACA, departments
    assert all(departments[d] >= 5 for d in PACA), departments
    assert set(departments) - PACA == {"69"}, "exactly one partner from outside PACA (Lyon)"


def test_required_formats_present(survey_files: list[Path]) -> None:
    suffixes = Counter(p.suffix for p in survey_files)
    assert suffixes[".xlsx"] >= 1 and suffixes[".ods"] >= 1
    kinds = set()
    for path in survey_files:
        if path.suffix != ".csv":
            continue
        raw = path.read_bytes()
        header = next(
            line for line in raw.splitlines() if line.count(b";") >= 5 or line.count(b",") >= 5
        )
        sep = ";" if header.count(b";") > header.count(b",") else ","
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raw.decode("cp1252")
            kinds.add(("cp1252", sep))
        else:
            kinds.add(("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8", sep))
    assert ("cp1252", ";") in kinds
    assert ("utf-8-sig", ",") in kinds


def test_every_file_is_marked_as_example(survey_files: list[Path]) -> None:
    for path in survey_files:
        first = next(c for row in read_rows(path) for c in row if c.strip())
        assert "DONNÉES D'EXEMPLE" in first and "fictives" in first, path.name
    assert "DONNÉES D'EXEMPLE" in (DATA / "tour.toml").read_text(encoding="utf-8")
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    assert "fictive" in readme.lower()


def test_emails_only_at_example_domains(survey_files: list[Path]) -> None:
    emails = [
        m.group(0)
        for path in survey_files
        for row in read_rows(path)
        for cell in row
        for m in re.finditer(r"[^\s@,;<>\"]+@[^\s@,;<>\"]+", cell)
    ]
    assert len(emails) >= 150
    bad = [e for e in emails if not EMAIL_DOMAIN.search(e.lower().rsplit("@", 1)[1])]
    assert not bad


def _national_digits(value: str) -> str:
    digits = re.sub(r"\D", "", value.replace("(0)", ""))
    if digits.startswith("33") and len(digits) == 11:
        return digits[2:]
    if len(digits) == 10 and digits.startswith("0"):
        return digits[1:]
    return digits  # 9 digits: a spreadsheet dropped the leading zero


def test_phones_only_in_fiction_ranges(
    survey_files: list[Path], all_records: dict[str, list[dict[str, str]]]
) -> None:
    phones = [field(r, *PHONE) for rs in all_records.values() for r in rs]
    phones = [p for p in phones if p]
    assert len(phones) >= 150
    bad = [
        p
        for p in phones
        if not (len(_national_digits(p)) == 9 and FICTION_PHONE.match(_national_digits(p)))
    ]
    assert not bad
    # No phone-looking number anywhere else either (descriptions, remarks).
    pattern = re.compile(r"(?<![\d,.])(?:\+33\s?(?:\(0\))?\s?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
    for path in survey_files:
        for row in read_rows(path):
            for cell in row:
                for m in pattern.finditer(cell):
                    assert FICTION_PHONE.match(_national_digits(m.group(0))), (path.name, cell)


def test_websites_are_example_or_hostile_test_values(
    all_records: dict[str, list[dict[str, str]]],
) -> None:
    sites = [field(r, *WEBSITE) for rs in all_records.values() for r in rs]
    sites = [s for s in sites if s]
    hostile = [s for s in sites if s.lower().startswith("javascript:")]
    assert len(hostile) >= 2
    for site in sites:
        if site in hostile:
            continue
        host = re.sub(r"^https?://", "", site).split("/")[0].lower()
        assert host.endswith(".example") or host == "example.org", site


def test_tour_has_twelve_stops_and_the_real_toulon_stop() -> None:
    tour = tomllib.loads((DATA / "tour.toml").read_text(encoding="utf-8"))
    stops = tour["stops"]
    assert len(stops) == 12
    assert len({s["id"] for s in stops}) == 12
    assert {s["insee_code"][:2] for s in stops} == PACA
    assert all(s["date"].year == 2015 for s in stops)
    toulon = next(s for s in stops if s["id"] == "toulon")
    assert toulon["town"] == "Toulon"
    assert toulon["date"] == dt.date(2015, 9, 28)
    assert toulon["venue"] == "TVT Innovation"
    with_surveys = [s for s in stops if s["surveys"]]
    assert 5 <= len(with_surveys) < 12
    for stop in with_surveys:
        for rel in stop["surveys"]:
            path = DATA / rel
            assert path.is_file(), rel
            assert stop["id"] in path.name
    # Coming stops come after every surveyed one.
    assert max(s["date"] for s in with_surveys) < min(s["date"] for s in stops if not s["surveys"])


def test_promised_mess_is_present(
    survey_files: list[Path], all_records: dict[str, list[dict[str, str]]]
) -> None:
    recs = [(name, r) for name, rs in all_records.items() for r in rs]
    postcodes = [field(r, *POSTCODE) for _, r in recs]
    communes = [field(r, *COMMUNE) for _, r in recs]
    names = [field(r, *NAME) for _, r in recs]

    assert sum(1 for p in postcodes if re.fullmatch(r"[4-6]\d{3}", p)) >= 3, "lost leading zeros"
    assert sum(1 for c in communes if "CEDEX" in c.upper()) >= 3
    assert sum(1 for c in communes if re.match(r"^Ste? ", c)) >= 3, "St/Ste abbreviations"
    assert sum(1 for c in communes if re.match(r"^\d{5} \w", c)) >= 3, "postcode in commune cell"
    assert any(re.fullmatch(r"MARSEILLE 130\d\d", c) for c in communes)
    assert any(re.fullmatch(r"Marseille \d+e", c) for c in communes)
    assert any(
        c == "Marseille" and p.startswith("130") for c, p in zip(communes, postcodes, strict=True)
    )
    la_garde = {p for c, p in zip(communes, postcodes, strict=True) if fold(c) == "la garde"}
    assert {"83130", "4120"} <= la_garde, "the two La Garde of PACA"
    assert any(c.isupper() and len(c) > 3 and not c[0].isdigit() for c in communes)
    assert any(n.isupper() and len(n) > 5 for n in names)
    # A row with data but no name, hostile markup, a Lyon partner.
    assert sum(1 for _, r in recs if not field(r, *NAME) and field(r, *COMMUNE)) >= 2
    assert any("<script>" in n for n in names)
    assert any(fold(c) == "lyon" for c in communes)
    cells = [v for _, r in recs for v in r.values()]
    assert all(any(w in v for v in cells) for w in ("Bien-être animal", "Astronomie")), "themes"
    # Descriptions with quotes, semicolons and a newline in a CSV cell.
    assert any(
        '"' in v and ";" in v and "\n" in v
        for name, r in recs
        if name.endswith(".csv")
        for v in r.values()
    )
    # An exact duplicate row in at least two files, blank lines in every file.
    duplicated = 0
    for path in survey_files:
        rows = read_rows(path)
        data = [tuple(r) for r in rows[header_index(rows) + 1 :] if any(c.strip() for c in r)]
        duplicated += any(n > 1 for n in Counter(data).values())
        assert any(not any(c.strip() for c in r) for r in rows[header_index(rows) + 1 :]), path
    assert duplicated >= 2
    # Actors met at several stops: the same folded name in two files, at least five times.
    files_by_name: dict[str, set[str]] = {}
    for name, r in recs:
        if field(r, *NAME):
            files_by_name.setdefault(fold(field(r, *NAME)), set()).add(name)
    assert sum(1 for files in files_by_name.values() if len(files) > 1) >= 5
    # Provided coordinates, French decimal commas, one pair swapped (latitude ~5, longitude ~43).
    lats = [(field(r, "latitude", "lat"), field(r, "longitude", "lng")) for _, r in recs]
    lats = [(a, b) for a, b in lats if a]
    assert len(lats) >= 8
    assert any("," in a for a, _ in lats)
    assert any(float(a.replace(",", ".")) < 10 < float(b.replace(",", ".")) for a, b in lats)

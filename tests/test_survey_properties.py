"""Property tests: whatever people type in cells comes back, once, in its row, intact.

"Intact" means equal after the documented cell cleaning (line ends to ``\\n``, no-break
spaces to spaces, zero-width spaces and BOMs removed, outer whitespace stripped), which is
re-stated here independently of the reader's code.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from safi_map.ingestion.readers import read_survey

HEADERS = ["Nom", "Commune", "Description"]
FIELDS = ["name", "commune", "description"]

# Text with what hurts CSV parsers: separators, quotes, line ends, control characters,
# no-break spaces, accents and characters outside the Basic Multilingual Plane.
TRICKY = ";,\t\"'\r\n \u00a0\u202f\u200b\ufeff\x00\x01\x1f\x7f\x85éœ’€Ω😀"
cell_text = st.one_of(
    st.text(
        alphabet=st.one_of(st.sampled_from(TRICKY), st.characters(exclude_categories=("Cs",))),
        max_size=12,
    ),
    # Cells that look like a header row under another separator must not fool the sniffer.
    st.sampled_from(["Nom,Ville,CP,Site,Mail", "Nom;Commune;Email;Tél", "Nom\tVille\tSite"]),
)
rows_strategy = st.lists(st.lists(cell_text, min_size=3, max_size=3), min_size=0, max_size=8)


def expected_cell(text: str) -> str:
    text = re.sub(r"\r\n?", "\n", text)
    for ch in "\u00a0\u202f\u2007":
        text = text.replace(ch, " ")
    for ch in "\u200b\ufeff":
        text = text.replace(ch, "")
    return text.strip()


def expected_rows(rows: list[list[str]]) -> list[tuple[int, tuple[str, ...]]]:
    """(spreadsheet row, cleaned cells) of every row that is not blank once cleaned."""
    out = []
    for i, row in enumerate(rows):
        cleaned = tuple(expected_cell(c) for c in row)
        if any(cleaned):
            out.append((i + 2, cleaned))
    return out


def read_back(path: Path) -> list[tuple[int, tuple[str, ...]]]:
    (table,) = read_survey(path)
    frame = table.frame
    assert not frame.isna().any().any()
    return [(int(r[-1]), tuple(r[:-1])) for r in frame[[*FIELDS, "_row"]].itertuples(index=False)]


def representable(text: str, encoding: str) -> bool:
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=rows_strategy,
    sep=st.sampled_from([";", ",", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    # Python's writer quotes a bare "\r" only when it is part of the line terminator, so
    # "\n"-terminated files are written with every cell quoted (as some exporters do).
    dialect=st.sampled_from([("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL)]),
)
def test_csv_round_trip(rows: list[list[str]], sep: str, encoding: str,
                        dialect: tuple[str, int]) -> None:
    lineterminator, quoting = dialect
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator=lineterminator, quoting=quoting)
    writer.writerows([HEADERS, *rows])
    text = buf.getvalue()
    assume(representable(text, encoding))
    data = text.encode(encoding)
    if encoding == "cp1252":
        # Windows-1252 bytes that also form valid UTF-8 (mojibake such as "Ã©") are read as
        # UTF-8 by design; real French surveys do not contain them.
        assume(text.isascii() or not is_utf8(data))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "survey.csv"
        path.write_bytes(data)
        assert read_back(path) == expected_rows(rows)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy)
def test_xlsx_round_trip(rows: list[list[str]]) -> None:
    # XML 1.0 cannot hold most C0 control characters: openpyxl refuses them.
    rows = [[ILLEGAL_CHARACTERS_RE.sub("", c) for c in row] for row in rows]
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate([HEADERS, *rows], start=1):
        for c, value in enumerate(row, start=1):
            if value:
                cell = ws.cell(row=r, column=c, value=value)
                cell.data_type = "s"  # text, even when it starts with "="
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "survey.xlsx"
        wb.save(path)
        assert read_back(path) == expected_rows(rows)

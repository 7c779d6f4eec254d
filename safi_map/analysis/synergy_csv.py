"""The suggested pairs as a CSV for facilitators (French spreadsheet dialect)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pandas as pd

from safi_map.core.csvsafe import neutralise_values
from safi_map.core.french import french_number
from safi_map.model.cells import cell_list, cell_text
from safi_map.model.taxonomy import Taxonomy

__all__ = ["synergies_csv", "synergies_csv_chunks"]

_CSV_HEADERS: tuple[tuple[str, str], ...] = (
    ("needer_name", "Structure qui cherche"),
    ("needer_commune", "Commune (qui cherche)"),
    ("needer_id", "Identifiant (qui cherche)"),
    ("resource_label", "Besoin"),
    ("helper_name", "Structure qui propose"),
    ("helper_commune", "Commune (qui propose)"),
    ("helper_id", "Identifiant (qui propose)"),
    ("distance_km", "Distance (km)"),
    ("shared_themes", "Thématiques communes"),
    ("rank", "Rang"),
    ("score", "Score"),
    ("reason", "Pourquoi"),
)
_CSV_NUMERIC = frozenset({"distance_km", "rank", "score"})
"""Columns of numbers in the CSV: written as numbers, never neutralised."""


def synergies_csv(pairs: pd.DataFrame, *, taxonomy: Taxonomy | None = None) -> str:
    """The pairs as a CSV for facilitators, opened by double-click in a French spreadsheet.

    Why this dialect: French Excel and LibreOffice read ``;``-separated files with a decimal
    comma and recognise UTF-8 only with a byte-order mark. So: ``;`` separator, ``\\r\\n`` line
    ends, a leading U+FEFF (write the string as UTF-8), French headers, decimal commas, shared
    themes as their labels joined with ``", "`` when ``taxonomy`` is given (slugs otherwise).
    Text cells that a spreadsheet would run as formulas are neutralised
    (:mod:`safi_map.core.csvsafe`).
    """
    return "".join(synergies_csv_chunks(pairs, taxonomy=taxonomy))


def synergies_csv_chunks(pairs: pd.DataFrame, *, taxonomy: Taxonomy | None = None,
                         rows: int = 20_000) -> Iterator[str]:
    """:func:`synergies_csv` in pieces of ``rows`` rows (the first starts with the BOM).

    At the scale of the region the CSV is tens of megabytes: the site writes the pieces to
    the file as they come instead of holding the whole text (and its UTF-8 copy) in memory.
    Built column by column, a piece at a time.
    """
    labels = {t.slug: t.label for t in taxonomy.themes} if taxonomy is not None else {}
    joined: dict[tuple[str, ...], str] = {}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([h for _, h in _CSV_HEADERS])
    n = len(pairs)
    for start in range(0, max(n, 1), rows):
        part = pairs.iloc[start:start + rows]
        columns: list[list[str]] = []
        for col, _unused in _CSV_HEADERS:
            values = part[col].tolist() if col in part else [""] * len(part)
            if col == "distance_km":
                columns.append([french_number(v, 1, grouped=False) for v in values])
            elif col == "score":
                columns.append([french_number(v, 4, grouped=False) for v in values])
            elif col == "shared_themes":
                out = []
                for v in values:
                    slugs = tuple(cell_list(v))
                    text = joined.get(slugs)
                    if text is None:
                        text = joined[slugs] = ", ".join(labels.get(s, s) for s in slugs)
                    out.append(text)
                columns.append(out)
            elif col in part and part[col].dtype == "str" and not part[col].isna().any():
                columns.append(values)  # already str, nothing missing
            else:
                columns.append([cell_text(v) for v in values])
            if col not in _CSV_NUMERIC:  # text: no formula (see safi_map.core.csvsafe)
                columns[-1] = neutralise_values(columns[-1])
        writer.writerows(zip(*columns, strict=True))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()

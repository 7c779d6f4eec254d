"""What ingesting produces: the whole result (:class:`IngestResult`) and one survey file's part
of it (:class:`FilePart`, the unit the per-file cache keeps)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from safi_map.core.settings import Settings
from safi_map.ingestion.report import Report

__all__ = ["FilePart", "IngestResult", "Progress", "empty_rows"]

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called by long stages so a CLI can draw a bar."""


@dataclass
class IngestResult:
    """What :func:`safi_map.ingestion.pipeline.ingest` produces, ready for the site and the
    outputs: nothing changes it afterwards.

    ``rows`` holds every kept row (validated, geocoded) with its ``actor_id``; ``actors`` one
    record per actor (see docs/ARCHITECTURE.md), including the actors kept from the previous
    build (``settings.keep_removed``); ``report`` accounts for every input row; ``changes`` is
    the comparison with the previous build in ``settings.out``.
    """

    actors: gpd.GeoDataFrame
    rows: pd.DataFrame
    report: Report
    taxonomy: Any
    tour: Any
    settings: Settings
    files: list[Path] = field(default_factory=list)
    files_reused: int = 0
    """Survey files whose cached rows were reused (unchanged since the last run)."""
    changes: Any = None
    """:class:`safi_map.ingestion.changes.Changes` since the previous build in ``settings.out``."""
    withdrawn: set[str] = field(default_factory=set)
    """Actor ids that corrections hide or merge into another actor: never kept from the
    previous build (nor reported as no longer in any survey)."""
    agenda: Any = None
    """The actors' :class:`~safi_map.ingestion.agenda.Agenda` (``agenda.*`` beside
    ``tour.toml``), None when the project has none."""

    @property
    def ok(self) -> bool:
        """False when a whole file could not be read (an input error, exit code 1)."""
        return not any(f.get("error") for f in self.report.files)


@dataclass
class FilePart:
    """What one survey file contributes: its rows and its entries in the report."""

    rows: pd.DataFrame
    report: Report
    questions: Any = None
    """What its rows asked the tour (a :class:`~safi_map.ingestion.stop_binding.StopQuestions`;
    None when the file could not be read): the ingest cache checks a new tour's answers."""

    def add_to(self, report: Report) -> None:
        report.files.extend(self.report.files)
        report.issues.extend(self.report.issues)
        report.rows_read += self.report.rows_read
        report.blank_rows += self.report.blank_rows
        report.rejected.update(self.report.rejected)
        if "online" in self.report.extra:
            report.extra["online"] = _add_counts(report.extra.get("online", {}),
                                                 self.report.extra["online"])


def _add_counts(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Sum two nested count dictionaries (booleans are or-ed, strings kept)."""
    out = dict(a)
    for k, v in b.items():
        if isinstance(v, bool):
            out[k] = bool(out.get(k)) or v
        elif isinstance(v, int | float):
            out[k] = out.get(k, 0) + v
        elif isinstance(v, dict):
            out[k] = _add_counts(out.get(k, {}), v)
        else:
            out[k] = v
    return out


def empty_rows() -> pd.DataFrame:
    """The rows of a file that gave none (the columns later steps expect)."""
    return pd.DataFrame(columns=["name", "postcode", "commune_input", "latitude", "longitude",
                                 "address", "source", "_file", "_sheet", "_row", "stops"])

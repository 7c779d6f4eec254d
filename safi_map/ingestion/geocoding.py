"""The geocoding chain of ingest and of ``safi-map geocode``: provided coordinates, then the
offline gazetteer for every row, then (online) the address of the rows placed at their commune.

Every row placed approximately or not at all gets a warning in the report, naming its file, row
and column.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pandas as pd

from safi_map.core.atomic import atomic_path
from safi_map.core.i18n import _
from safi_map.core.settings import Settings, load_settings
from safi_map.geo.usage_policy import check_online_settings
from safi_map.ingestion.report import Report, RowRef
from safi_map.ingestion.result import Progress

__all__ = ["GEOCODE_COLUMNS", "geocode_file", "geocode_rows", "geocode_table"]

log = logging.getLogger(__name__)


def geocode_rows(
    rows: pd.DataFrame,
    *,
    settings: Settings,
    online: bool | None = None,
    refresh: bool = False,
    report: Report | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Attach geocoding columns to row records: provided > cache > online > gazetteer.

    The offline gazetteer always runs (it is vectorized and gives the commune the survey names,
    which online results are checked against); online results replace it where accepted.
    """
    from safi_map.geo.offline import geocode_offline

    offline = geocode_offline(rows)
    located = rows.drop(columns=[c for c in offline.columns if c in rows.columns]).join(offline)
    use_online = settings.online if online is None else online
    if use_online:
        check_online_settings(settings)
    if use_online and len(rows):
        located = _apply_online(located, settings=settings, refresh=refresh, report=report,
                                progress=progress)
    if report is not None:
        _report_geocoding(located, report)
    return located


def _apply_online(located: pd.DataFrame, *, settings: Settings, refresh: bool,
                  report: Report | None, progress: Progress | None) -> pd.DataFrame:
    from safi_map.geo.online import geocode_online

    todo = _rows_to_ask(located)
    if not todo.any():
        return located
    subset = located.loc[todo]

    def online_progress(done: int, total: int) -> None:
        if progress:
            progress("geocode", done, total)

    result, stats = geocode_online(subset, settings=settings,
                                   expected_insee=subset["insee_code"], refresh=refresh,
                                   progress=online_progress)
    accepted = result["geocode_precision"].fillna("none") != "none"
    located = located.copy()
    idx = result.index[accepted]
    located.loc[idx, _ONLINE_COLUMNS] = result.loc[idx, _ONLINE_COLUMNS].to_numpy()
    _follow_online_communes(located, result.loc[idx, "insee_code"])
    refused = result.index[~accepted]
    if len(refused):
        from safi_map.geo.former import sep

        located.loc[refused, "geocode_reason"] = (
            result.loc[refused, "geocode_reason"].astype(str) + sep()
            + located.loc[refused, "geocode_reason"].astype(str)
        )
    _say_online_failures(stats, report)
    return located


_ONLINE_COLUMNS = ["latitude", "longitude", "geocode_precision", "geocode_source",
                   "geocode_score", "geocode_reason"]


def _rows_to_ask(located: pd.DataFrame) -> pd.Series:
    """The rows worth asking online.

    Provided coordinates win: only rows placed at the commune level (or not at all) are asked.
    A row without consent only has its commune asked (``geocode_online`` never sends its
    address): worth it only when the gazetteer could not place that commune.
    """
    todo = located["geocode_precision"].isin(["municipality", "none"]) & (
        located["address"].fillna("").astype(str).str.strip() != ""
    )
    if "contact_consent" in located.columns:
        todo &= (located["contact_consent"].map(lambda v: v is True or v == 1)
                 | (located["geocode_precision"] == "none"))
    return todo


def _follow_online_communes(located: pd.DataFrame, online_insee: pd.Series) -> None:
    """BAN may narrow "Marseille" (13055) to an arrondissement (13208): follow it (in place)."""
    online_insee = online_insee.fillna("").astype(str)
    moved = online_insee[(online_insee != "")
                         & (online_insee != located.loc[online_insee.index, "insee_code"])]
    if not len(moved):
        return
    from safi_map.geo.gazetteer import communes

    ref = communes().set_index("code_insee")
    known = moved[moved.isin(ref.index)]
    located.loc[known.index, "insee_code"] = known
    located.loc[known.index, "commune"] = ref.loc[known, "nom"].to_numpy()
    located.loc[known.index, "department"] = ref.loc[known, "departement"].to_numpy()
    located.loc[known.index, "epci"] = ref.loc[known, "epci_code"].to_numpy()
    located.loc[known.index, "epci_name"] = ref.loc[known, "epci_nom"].to_numpy()
    if "commune_former" in located.columns:  # the former commune was in the offline one
        located.loc[known.index, "commune_former"] = ""


def _say_online_failures(stats: Any, report: Report | None) -> None:
    """Warn about the addresses that could not be asked; put the counts in the report."""
    if stats.failed_total:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(stats.failed.items()) if v)
        log.warning(_("online geocoding (%s): %d of %d addresses could not be asked (%s)%s; "
                    "they are placed offline, at their commune"), stats.provider,
                    stats.failed_total + stats.not_asked, stats.rows, kinds,
                    ", service unreachable" if stats.unreachable else "")
    if report is not None:
        counts = stats.to_dict()
        # what depends on the cache's state is logged, not written: reports stay comparable
        for volatile in ("queried", "requests", "cache_hits"):
            log.info("online geocoding: %s %s", volatile, counts.pop(volatile, 0))
        report.extra["online"] = counts


def _report_geocoding(located: pd.DataFrame, report: Report) -> None:
    former = (located["commune_former"] if "commune_former" in located.columns
              else pd.Series("", index=located.index)).fillna("").astype(str)
    for rec, written in zip(located[["_file", "_sheet", "_row", "geocode_precision",
                                     "geocode_score", "geocode_reason", "commune_input",
                                     "postcode"]].itertuples(index=False), former.tolist(),
                            strict=True):
        ref = RowRef(rec._0, int(rec._2), rec._1)
        if written and rec.geocode_precision != "none":
            # Said, not hidden: the row names a former commune, counted in today's.
            report.warning("geocode.former_commune",
                           _("former commune: {reason}").format(reason=rec.geocode_reason),
                           ref, "commune", rec.commune_input or rec.postcode)
            continue
        if rec.geocode_precision == "none":
            report.warning("geocode.none", _("could not be placed: {geocode_reason}").format(
                                               geocode_reason=rec.geocode_reason), ref,
                           "commune", rec.commune_input or rec.postcode)
        elif rec.geocode_precision == "municipality" and float(rec.geocode_score) < 0.8:
            report.warning("geocode.approximate", _("approximate commune: {geocode_reason}").format(
                                                      geocode_reason=rec.geocode_reason),
                           ref, "commune", rec.commune_input or rec.postcode)


GEOCODE_COLUMNS = ("latitude", "longitude", "insee_code", "commune", "geocode_precision",
                   "geocode_source", "geocode_score")
"""Columns that ``safi-map geocode`` adds to a table (``geocode_reason`` follows them)."""


def geocode_table(table: Any, *, settings: Settings | None = None, online: bool | None = None,
                  refresh: bool = False, progress: Progress | None = None,
                  report: Report | None = None) -> pd.DataFrame:
    """Geocode a raw survey table (any table with a commune and/or postcode column).

    Returns one row per input row, in the same order, with the input columns under their
    original headers (recognized columns first, in file order, then the others) followed by
    :data:`GEOCODE_COLUMNS` and ``geocode_reason``. Input columns that carry one of those names
    are overwritten. Postcodes and communes are repaired the same way as in ``ingest``.
    """
    from safi_map.core.normalize import parse_bool, repair_postcode, split_commune_cell
    from safi_map.geo.coordinates import parse_points

    settings = settings or load_settings()
    frame = table.frame
    original = frame[[c for c in frame.columns if not c.startswith("_")]].rename(
        columns=table.columns)
    tool_columns = getattr(table, "tool_columns", None)
    original = pd.concat([original, table.extras,
                          *([tool_columns] if tool_columns is not None else [])], axis=1)
    n = len(frame)

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame.columns else pd.Series([""] * n, index=frame.index)

    postcodes = col("postcode").map(lambda v: repair_postcode(v)[0])
    split = col("commune").map(lambda v: split_commune_cell(v)[0])
    communes = split.map(lambda pc: pc[1])
    postcodes = postcodes.where(postcodes != "", split.map(lambda pc: pc[0]))
    lat, lon, _notes = parse_points(list(col("latitude")), list(col("longitude")))
    rows = pd.DataFrame({
        "postcode": postcodes, "commune_input": communes, "latitude": lat, "longitude": lon,
        "address": col("address"), "_file": col("_file"), "_sheet": col("_sheet"),
        "_row": col("_row"),
    }, index=frame.index)
    if "contact_consent" in frame.columns:  # online, a row without consent sends no address
        rows["contact_consent"] = frame["contact_consent"].map(
            lambda v: parse_bool(v)[0] is True)
    located = geocode_rows(rows, settings=settings, online=online, refresh=refresh,
                           report=report, progress=progress)
    added = located[[*GEOCODE_COLUMNS, "geocode_reason"]]
    original = original.drop(columns=[c for c in added.columns if c in original.columns])
    return pd.concat([original, added], axis=1).reset_index(drop=True)


def geocode_file(input_path: str | Path, output_path: str | Path, *, sheet: str | None = None,
                 settings: Settings | None = None, online: bool | None = None,
                 refresh: bool = False, progress: Progress | None = None
                 ) -> tuple[pd.DataFrame, Report]:
    """``safi-map geocode``: read ``input_path`` (CSV/XLSX/ODS, first table, or ``sheet``),
    geocode it with :func:`geocode_table` and write UTF-8 CSV to ``output_path``.

    Returns the table written and its report: the file read (rows, columns, encoding), a
    warning for each row placed approximately or not at all, and the online counts.
    """
    from safi_map.core.csvsafe import neutralise_frame
    from safi_map.ingestion.columncheck import file_entry
    from safi_map.ingestion.readers import read_survey
    from safi_map.ingestion.sheet_limits import SheetLimits

    settings = settings or load_settings()
    tables = read_survey(input_path, sheet=sheet, aliases=settings.columns,
                         limits=SheetLimits.from_settings(settings))
    table = tables[0]
    report = Report(rows_read=len(table.frame), blank_rows=table.blank_rows,
                    files=[file_entry(Path(input_path), table)])
    result = geocode_table(table, settings=settings, online=online, refresh=refresh,
                           progress=progress, report=report)
    report.precision_counts = {str(k): int(v) for k, v in
                               result["geocode_precision"].value_counts().items()}
    with atomic_path(output_path) as tmp:  # no formula in text cells
        neutralise_frame(result).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                                        float_format="%.6f")
    return result, report

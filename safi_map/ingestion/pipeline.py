"""Ingest: surveys in, one geocoded GeoDataFrame of actors and a report out.

``read -> validate/normalize -> geocode (per row) -> merge -> corrections -> compare with the
previous build``. Every data row read ends up published, merged into another record or rejected
with its reason in the report. Writing the outputs is :mod:`safi_map.ingestion.outputs`; the
whole build (ingest, outputs, site) is :func:`safi_map.build`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _
from safi_map.core.outdir import claim_outputs
from safi_map.core.settings import Settings, load_settings
from safi_map.geo.usage_policy import check_online_settings
from safi_map.ingestion.agenda import project_agenda
from safi_map.ingestion.corrections import apply_corrections, load_corrections
from safi_map.ingestion.geocoding import GEOCODE_COLUMNS, geocode_file, geocode_rows, geocode_table
from safi_map.ingestion.merge import merge_rows
from safi_map.ingestion.outputs import INGEST_OUTPUTS, IngestOutputs, write_ingest_outputs
from safi_map.ingestion.partcache import PartCache
from safi_map.ingestion.previous import (
    PreviousBuild,
    load_previous_outputs,
    previous_siret_ids,
    read_previous_build,
)
from safi_map.ingestion.report import Report
from safi_map.ingestion.result import FilePart, IngestResult, Progress, empty_rows

__all__ = ["GEOCODE_COLUMNS", "INGEST_OUTPUTS", "IngestOutputs", "IngestResult", "Progress",
           "geocode_file", "geocode_rows", "geocode_table", "ingest", "load_project",
           "write_ingest_outputs"]

log = logging.getLogger(__name__)


def _missing_tour_surveys(tour: Any, settings: Settings) -> list[dict[str, Any]]:
    """A file entry with an error for each survey that ``tour.toml`` names but that cannot be
    read (absent, or not a survey by its name): a stop's survey is never skipped in silence."""
    from safi_map.ingestion.readers import SURVEY_EXTENSIONS

    entries = []
    for stop in getattr(tour, "stops", ()):
        for survey in stop.surveys:
            path = Path(survey)
            if path.is_file() and path.suffix.lower() in SURVEY_EXTENSIONS:
                continue
            reason = (_("the file does not exist") if not path.exists() else
                      _("its name does not end in {suffixes}").format(
                          suffixes=", ".join(sorted(SURVEY_EXTENSIONS))))
            entries.append({"file": path.name, "error": _(
                "{tour}: stop {stop!r} names the survey {survey}, which cannot be read: "
                "{reason}. Correct the path in {tour}, or put the file back.").format(
                    tour=settings.tour, stop=stop.id, survey=str(path), reason=reason)})
    return entries


def load_project(settings: Settings) -> tuple[Any, Any]:
    """Load the taxonomy and the tour named by ``settings`` (packaged defaults when absent)."""
    from safi_map.model.taxonomy import load_taxonomy
    from safi_map.model.tour import Tour, load_tour

    taxonomy = load_taxonomy(settings.taxonomy if settings.taxonomy.is_file() else None)
    tour = load_tour(settings.tour) if settings.tour.is_file() else Tour(stops=[])
    return taxonomy, tour


def ingest(
    surveys: Sequence[str | Path] | None = None,
    *,
    settings: Settings | None = None,
    taxonomy: Any = None,
    tour: Any = None,
    online: bool | None = None,
    refresh: bool = False,
    force: bool = False,
    progress: Progress | None = None,
) -> IngestResult:
    """Read, validate, geocode and merge survey files into actors.

    Each survey file's validated, geocoded rows are cached under ``<out>/cache`` keyed by the
    file's content, the taxonomy and the settings that affect them (and checked against the
    tour: see :class:`~safi_map.ingestion.partcache.PartCache`), so a rebuild after
    a new stop only reads and geocodes the new file (``force=True`` redoes everything).

    Parameters
    ----------
    surveys
        Survey files or folders; default: ``settings.surveys``.
    settings
        Project settings; default: ``safi-map.toml`` of the current folder, or defaults.
    online
        Geocode street addresses online (BAN/Nominatim through geopy); default
        ``settings.online``. Offline (the packaged gazetteer) is always the fallback.
    refresh
        With ``online``, ask the provider again instead of using the cache (the per-file cache
        is not reused either).

    The actors are compared with the previous build in ``settings.out`` (its
    ``actors.geojson``): ``result.changes`` says what changed, and ``result.actors`` includes
    the actors no longer in any survey when ``settings.keep_removed`` (the default). So
    ``build_site(result.actors, changes=result.changes, …)`` shows what ``safi-map build``
    shows.
    """

    settings = settings or load_settings()
    if taxonomy is None or tour is None:
        loaded_taxonomy, loaded_tour = load_project(settings)
        taxonomy = taxonomy if taxonomy is not None else loaded_taxonomy
        tour = tour if tour is not None else loaded_tour
    paths = _survey_paths(surveys, settings, tour)
    use_online = settings.online if online is None else online
    if use_online:  # a setting the provider's usage policy needs is missing: say so now
        check_online_settings(settings)
    claim_outputs(settings.out, ["cache"])  # refused if a "cache" there is not the tool's
    # --refresh asks the provider again: cached rows would hide its new answers
    cache = PartCache(settings, use_online, tour=tour,
                      enabled=not (force or (refresh and use_online)))
    report = Report()
    located = _read_files(paths, cache, report, settings=settings, taxonomy=taxonomy,
                          tour=tour, online=use_online, refresh=refresh, progress=progress)
    if not surveys:
        report.files.extend(_missing_tour_surveys(tour, settings))
    previous = read_previous_build(settings.out)
    actors, withdrawn = _merge_and_correct(located, report, settings=settings,
                                           taxonomy=taxonomy, tour=tour, previous=previous)
    if not report.accounted_for():  # a bug, not an input problem: say so loudly
        raise AssertionError(_("ingest lost track of some rows; please report this bug"))
    log.info("ingest: %s", report.summary())
    changes, published = _compare_with_previous(actors, located, report, settings=settings,
                                                withdrawn=withdrawn, previous=previous)
    agenda = project_agenda(settings, published, report)
    return IngestResult(actors=published, rows=located, report=report, taxonomy=taxonomy,
                        tour=tour, settings=settings, files=paths, files_reused=cache.hits,
                        changes=changes, withdrawn=withdrawn, agenda=agenda)


def _survey_paths(surveys: Sequence[str | Path] | None, settings: Settings,
                  tour: Any) -> list[Path]:
    """The survey files to read, with a warning when there are none or the tour is empty."""
    from safi_map.ingestion.readers import iter_survey_files

    paths = list(iter_survey_files(list(surveys) if surveys else settings.surveys))
    _check_file_names(paths)
    if paths and settings.tour.is_file() and not len(getattr(tour, "stops", ())):
        log.warning(_("{tour} holds no stop while there are {n} survey file(s): no survey is "
                      "bound to a stop. If the file was emptied by mistake, restore it from your "
                      "backup.").format(tour=settings.tour, n=len(paths)))
    if not paths:
        log.warning(_("no survey file (.csv, .xlsx, .ods) in %s"),
                    ", ".join(str(p) for p in (surveys or settings.surveys)))
    return paths


def _read_files(paths: list[Path], cache: PartCache, report: Report, *, settings: Settings,
                taxonomy: Any, tour: Any, online: bool, refresh: bool,
                progress: Progress | None) -> pd.DataFrame:
    """Every file's validated, geocoded rows (from the cache when the file is unchanged),
    its entries added to ``report``. After a network fault the other files are placed offline
    and not cached, so the next run asks again."""
    frames: list[pd.DataFrame] = []
    online_down = False
    for i, path in enumerate(paths):
        if progress:
            progress("read", i, len(paths))
        part = cache.get(path)
        if part is None:
            part = _ingest_file(path, settings=settings, taxonomy=taxonomy, tour=tour,
                                online=online and not online_down, refresh=refresh,
                                progress=progress)
            online_report = part.report.extra.get("online", {})
            if online_report.get("unreachable") and not online_down:
                online_down = True
                log.warning(_("online geocoding unreachable: the remaining survey files are "
                            "placed offline in this run"))
            # a file placed offline because of a network fault is redone on the next run
            if not (online and (online_down or online_report.get("failed_total"))):
                cache.put(path, part)
        part.add_to(report)
        if len(part.rows):
            frames.append(part.rows)
    if progress:
        progress("read", len(paths), len(paths))
    cache.prune()
    return pd.concat(frames, ignore_index=True) if frames else empty_rows()


def _merge_and_correct(located: pd.DataFrame, report: Report, *, settings: Settings,
                       taxonomy: Any, tour: Any, previous: PreviousBuild | None
                       ) -> tuple[gpd.GeoDataFrame, set[str]]:
    """Merge the rows into actors (``located`` gets their ``actor_id``), apply the
    coordinator's corrections; the actors and the ids corrections withdrew."""
    stop_dates = {s.id: s.date.isoformat() for s in getattr(tour, "stops", [])}
    corrections = load_corrections(settings.corrections, taxonomy)
    merged = merge_rows(located, report=report, stop_dates=stop_dates,
                        links=corrections.links, splits=corrections.splits,
                        previous_ids=previous_siret_ids(previous))
    located["actor_id"] = merged.row_actor
    actors, corrections_log = apply_corrections(merged.actors, corrections,
                                                merged.ids_before_links)
    known_sources = set(located["source"].astype(str)) if len(located) else set()
    for src, new_id in sorted(corrections.splits.items()):
        if src not in known_sources:
            corrections_log["unknown"].append({
                "kind": "split", "actor_id": new_id,
                "reason": _("no row {source} in the current surveys").format(source=src)})
    for entry in corrections_log["unknown"]:
        log.warning(_("correction [[%s]] for %r not applied: %s"), entry["kind"],
                    entry["actor_id"], entry["reason"])
    if len(corrections):
        report.extra["corrections"] = corrections_log
    report.precision_counts = {
        str(k): int(v) for k, v in actors["geocode_precision"].value_counts().items()
    }
    withdrawn = {e["actor_id"] for e in corrections.hide} | {a for _, a in corrections.links}
    return actors, withdrawn - set(actors["actor_id"])


def _compare_with_previous(actors: gpd.GeoDataFrame, located: pd.DataFrame, report: Report, *,
                           settings: Settings, withdrawn: set[str],
                           previous: PreviousBuild | None) -> tuple[Any, gpd.GeoDataFrame]:
    """What changed since the previous build in ``settings.out``, and the actors to publish
    (with the previous records of actors no longer in any survey, when ``keep_removed``).

    A previous output that cannot be read counts as no previous build (with a warning).
    """
    from safi_map.ingestion.changes import compare_builds, rejection_codes

    return compare_builds(load_previous_outputs(settings.out, previous), actors, report.rejected,
                          keep_removed=settings.keep_removed, withdrawn=withdrawn, rows=located,
                          codes=rejection_codes(report))


def _check_file_names(paths: Sequence[Path]) -> None:
    """Refuse two survey files with the same name (in different folders): rows are known by
    their file name (``_file``, ``source``, the report), so they would be mixed up."""
    first: dict[str, Path] = {}
    for path in paths:
        other = first.setdefault(path.name, path)
        if other is not path:
            raise SurveyError(
                _("two survey files are named {name!r}: {other} and {path}; rows are "
                  "identified by their file name, so rename one of them").format(
                    name=path.name, other=other, path=path))


def _ingest_file(path: Path, *, settings: Settings, taxonomy: Any, tour: Any, online: bool,
                 refresh: bool, progress: Progress | None) -> FilePart:
    from safi_map.ingestion.columncheck import file_entry
    from safi_map.ingestion.readers import read_survey
    from safi_map.ingestion.sheet_limits import SheetLimits
    from safi_map.ingestion.stop_binding import StopQuestions
    from safi_map.ingestion.validate import validate_table

    report = Report()
    frames = []
    try:
        tables = read_survey(path, aliases=settings.columns,
                             limits=SheetLimits.from_settings(settings))
    except SurveyError as exc:
        log.info("%s", exc)  # the CLI prints it from the report (also when cached)
        report.files.append({"file": path.name, "error": str(exc)})
        return FilePart(empty_rows(), report)
    for table in tables:
        report.rows_read += len(table.frame)
        report.blank_rows += table.blank_rows
        report.files.append(file_entry(path, table, taxonomy))
        records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
        if len(records):
            frames.append(records)
    rows = pd.concat(frames, ignore_index=True) if frames else empty_rows()
    located = geocode_rows(rows, settings=settings, online=online, refresh=refresh,
                           report=report, progress=progress)
    return FilePart(located, report, StopQuestions.of_tables(tables))

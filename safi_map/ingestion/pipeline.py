"""Ingest: surveys in, one geocoded GeoDataFrame of actors and a report out.

``read -> validate/normalize -> geocode (per row) -> merge``. Every data row read ends up
published, merged into another record or rejected with its reason in the report.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from safi_map.core.errors import SurveyError
from safi_map.core.i18n import _, current_language
from safi_map.core.outdir import claim_outputs
from safi_map.core.settings import Settings, load_settings
from safi_map.core.writer import StagedFiles, atomic_path, write_file_atomic
from safi_map.geo.usage_policy import check_online_settings
from safi_map.ingestion.corrections import apply_corrections, load_corrections
from safi_map.ingestion.merge import merge_rows
from safi_map.ingestion.previous import (
    PreviousBuild,
    load_previous_outputs,
    previous_siret_ids,
    read_previous_build,
)
from safi_map.ingestion.report import Report, RowRef

__all__ = ["INGEST_OUTPUTS", "IngestResult", "ingest", "load_project", "write_ingest_outputs"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: called by long stages so a CLI can draw a bar."""


@dataclass
class IngestResult:
    """What :func:`ingest` produces.

    ``rows`` holds every kept row (validated, geocoded) with its ``actor_id``; ``actors`` one
    record per actor (see docs/ARCHITECTURE.md); ``report`` accounts for every input row.
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
    """:class:`safi_map.ingestion.changes.Changes`, set by :func:`write_ingest_outputs`."""
    withdrawn: set[str] = field(default_factory=set)
    """Actor ids that corrections hide or merge into another actor: :func:`write_ingest_outputs`
    never keeps them from the previous build (nor reports them as no longer in any survey)."""
    previous: PreviousBuild | None = field(default=None, repr=False, compare=False)
    """The previous build's ``actors.geojson`` as :func:`ingest` read it, for
    :func:`write_ingest_outputs` (which uses it once, then sets this back to None)."""
    pending: Any = field(default=None, repr=False, compare=False)
    """Outputs written by ``write_ingest_outputs(..., commit=False)`` under temporary names,
    put in place by :meth:`commit_outputs`."""

    def commit_outputs(self) -> list[Path]:
        """Put in place the outputs that ``write_ingest_outputs(..., commit=False)`` wrote.

        ``safi-map build`` calls it once the site is in place: the ingest outputs are the base
        the next build compares itself with, so a build interrupted before its site is written
        leaves the previous base, and the next build reports the same changes again.
        """
        pending, self.pending = self.pending, None
        return pending.commit() if pending is not None else []

    def discard_outputs(self) -> None:
        """Remove the outputs that ``write_ingest_outputs(..., commit=False)`` wrote under
        temporary names (the site could not be written: the previous files stay the base)."""
        pending, self.pending = self.pending, None
        if pending is not None:
            pending.discard()

    @property
    def ok(self) -> bool:
        """False when a whole file could not be read (an input error, exit code 1)."""
        return not any(f.get("error") for f in self.report.files)


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
    file's content, the taxonomy, the tour and the settings that affect them, so a rebuild after
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
    """
    from safi_map.ingestion.readers import iter_survey_files

    settings = settings or load_settings()
    if taxonomy is None or tour is None:
        loaded_taxonomy, loaded_tour = load_project(settings)
        taxonomy = taxonomy if taxonomy is not None else loaded_taxonomy
        tour = tour if tour is not None else loaded_tour
    paths = list(iter_survey_files(list(surveys) if surveys else settings.surveys))
    _check_file_names(paths)
    if paths and settings.tour.is_file() and not len(getattr(tour, "stops", ())):
        log.warning(_("{tour} holds no stop while there are {n} survey file(s): no survey is "
                      "bound to a stop. If the file was emptied by mistake, restore it from your "
                      "backup.").format(tour=settings.tour, n=len(paths)))
    if not paths:
        log.warning(_("no survey file (.csv, .xlsx, .ods) in %s"),
                    ", ".join(str(p) for p in (surveys or settings.surveys)))
    use_online = settings.online if online is None else online
    if use_online:  # a setting the provider's usage policy needs is missing: say so now
        check_online_settings(settings)
    claim_outputs(settings.out, ["cache"])  # refused if a "cache" there is not the tool's
    # --refresh asks the provider again: cached rows would hide its new answers
    cache = _PartCache(settings, use_online, enabled=not (force or (refresh and use_online)))
    report = Report()
    frames: list[pd.DataFrame] = []
    online_down = False
    for i, path in enumerate(paths):
        if progress:
            progress("read", i, len(paths))
        part = cache.get(path)
        if part is None:
            part = _ingest_file(path, settings=settings, taxonomy=taxonomy, tour=tour,
                                online=use_online and not online_down, refresh=refresh,
                                progress=progress)
            online_report = part.report.extra.get("online", {})
            if online_report.get("unreachable") and not online_down:
                online_down = True
                log.warning(_("online geocoding unreachable: the remaining survey files are "
                            "placed offline in this run"))
            # a file placed offline because of a network fault is redone on the next run
            if not (use_online and (online_down or online_report.get("failed_total"))):
                cache.put(path, part)
        part.add_to(report)
        if len(part.rows):
            frames.append(part.rows)
    if progress:
        progress("read", len(paths), len(paths))
    cache.prune()
    if not surveys:
        report.files.extend(_missing_tour_surveys(tour, settings))

    located = pd.concat(frames, ignore_index=True) if frames else _empty_rows()
    stop_dates = {s.id: s.date.isoformat() for s in getattr(tour, "stops", [])}
    corrections = load_corrections(settings.corrections, taxonomy)
    previous = read_previous_build(settings.out)
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
    if not report.accounted_for():  # a bug, not an input problem: say so loudly
        raise AssertionError(_("ingest lost track of some rows; please report this bug"))
    log.info("ingest: %s", report.summary())
    withdrawn = {e["actor_id"] for e in corrections.hide} | {a for _, a in corrections.links}
    withdrawn -= set(actors["actor_id"])
    return IngestResult(actors=actors, rows=located, report=report, taxonomy=taxonomy, tour=tour,
                        settings=settings, files=paths, files_reused=cache.hits,
                        withdrawn=withdrawn, previous=previous)


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


@dataclass
class _FilePart:
    """What one survey file contributes: its rows and its entries in the report."""

    rows: pd.DataFrame
    report: Report

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


def _ingest_file(path: Path, *, settings: Settings, taxonomy: Any, tour: Any, online: bool,
                 refresh: bool, progress: Progress | None) -> _FilePart:
    from safi_map.ingestion.readers import read_survey
    from safi_map.ingestion.sheet_limits import SheetLimits
    from safi_map.ingestion.validate import validate_table

    report = Report()
    frames = []
    try:
        tables = read_survey(path, aliases=settings.columns,
                             limits=SheetLimits.from_settings(settings))
    except SurveyError as exc:
        log.info("%s", exc)  # the CLI prints it from the report (also when cached)
        report.files.append({"file": path.name, "error": str(exc)})
        return _FilePart(_empty_rows(), report)
    for table in tables:
        report.rows_read += len(table.frame)
        report.blank_rows += table.blank_rows
        report.files.append(_file_entry(path, table, taxonomy))
        records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
        if len(records):
            frames.append(records)
    rows = pd.concat(frames, ignore_index=True) if frames else _empty_rows()
    located = geocode_rows(rows, settings=settings, online=online, refresh=refresh,
                           report=report, progress=progress)
    return _FilePart(located, report)


class _PartCache:
    """Per-file cache of ingest parts, keyed by content hashes (see :func:`ingest`)."""

    VERSION = 4  # 4: form-tool columns (3: rows carry commune_former; 2: JSON entries; 1: pickles)

    def __init__(self, settings: Settings, online: bool, *, enabled: bool = True) -> None:
        self.folder = settings.out / "cache"
        self.enabled = enabled
        self.hits = 0
        self.misses = 0
        self.used: set[str] = set()
        self._keys: dict[Path, str] = {}
        h = hashlib.sha256()
        for extra in (settings.taxonomy, settings.tour):
            h.update(extra.read_bytes() if extra.is_file() else b"-")
        context: list[Any] = [self.VERSION, _package_version(), sorted(settings.columns.items()),
                              online, settings.provider if online else "",
                              current_language()]  # the report's messages are in that language
        if online:  # what decides which online answers are accepted (offline keys unchanged)
            context += [settings.min_score, settings.ban_url if settings.provider == "ban"
                        else settings.nominatim_url]
        h.update(json.dumps(context).encode())
        self.context = h.hexdigest()

    def _key(self, path: Path) -> str:
        """The file's key (its content is read and hashed once per run: get, then put)."""
        if path not in self._keys:
            h = hashlib.sha256(self.context.encode())
            h.update(path.name.encode())
            h.update(path.read_bytes())
            self._keys[path] = h.hexdigest()[:32]
        return self._keys[path]

    def get(self, path: Path) -> _FilePart | None:
        from safi_map.ingestion.partcache import decode_part

        if not path.is_file():
            return None
        key = self._key(path)
        self.used.add(key)
        target = self.folder / f"{key}.json"
        if self.enabled and target.is_file():
            try:
                rows, report = decode_part(target.read_bytes())
                self.hits += 1
                log.debug("%s: unchanged, reusing cached rows", path.name)
                return _FilePart(rows, report)
            except (OSError, ValueError, KeyError, TypeError):  # stale or damaged: redo
                log.debug("%s: unreadable cache entry, redoing", path.name)
        self.misses += 1
        return None

    def put(self, path: Path, part: _FilePart) -> None:
        from safi_map.ingestion.partcache import encode_part

        if not path.is_file() or any(f.get("error") for f in part.report.files):
            return
        data = encode_part(part.rows, part.report)
        if data is not None:
            write_file_atomic(self.folder / f"{self._key(path)}.json", data)

    def prune(self) -> None:
        """Remove cache entries that no current survey file uses (and those of the pickle
        format of earlier versions, never read)."""
        if self.folder.is_dir():
            for entry in self.folder.iterdir():
                match = _ENTRY.match(entry.name)
                if match and (match[2] == "pkl" or match[1] not in self.used):
                    entry.unlink(missing_ok=True)


_ENTRY = re.compile(r"^([0-9a-f]{32})\.(json|pkl)\Z")


def _package_version() -> str:
    from safi_map.core.version import __version__

    return __version__


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

    # Provided coordinates win: only rows placed at the commune level (or not at all) are asked.
    # A row without consent only has its commune asked (online.geocode_online never sends its
    # address): worth it only when the gazetteer could not place that commune.
    todo = located["geocode_precision"].isin(["municipality", "none"]) & (
        located["address"].fillna("").astype(str).str.strip() != ""
    )
    if "contact_consent" in located.columns:
        todo &= (located["contact_consent"].map(lambda v: v is True or v == 1)
                 | (located["geocode_precision"] == "none"))
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
    cols = ["latitude", "longitude", "geocode_precision", "geocode_source", "geocode_score",
            "geocode_reason"]
    located = located.copy()
    idx = result.index[accepted]
    located.loc[idx, cols] = result.loc[idx, cols].to_numpy()
    # BAN may narrow "Marseille" (13055) to an arrondissement (13208): follow it.
    online_insee = result.loc[idx, "insee_code"].fillna("").astype(str)
    moved = online_insee[(online_insee != "") & (online_insee != located.loc[idx, "insee_code"])]
    if len(moved):
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
    refused = result.index[~accepted]
    if len(refused):
        from safi_map.geo.former import sep

        located.loc[refused, "geocode_reason"] = (
            result.loc[refused, "geocode_reason"].astype(str) + sep()
            + located.loc[refused, "geocode_reason"].astype(str)
        )
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
    return located


def _report_geocoding(located: pd.DataFrame, report: Report) -> None:
    from safi_map.core.i18n import _

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


def _file_entry(path: Path, table: Any, taxonomy: Any = None) -> dict[str, Any]:
    from safi_map.ingestion.columncheck import check_columns

    entry: dict[str, Any] = {
        "file": path.name,
        "sheet": getattr(table, "sheet", "") or "",
        "rows": len(table.frame),
        "blank_rows": table.blank_rows,
        "columns": dict(sorted(table.columns.items())),
        "unknown_columns": list(table.unknown_columns),
    }
    for attr in ("encoding", "separator"):
        value = getattr(table, attr, None)
        if value:
            entry[attr] = value
    warnings = list(getattr(table, "warnings", []) or [])
    if warnings:
        entry["warnings"] = warnings
    entry["column_check"] = check_columns(table, taxonomy).to_dict()
    return entry


def _empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["name", "postcode", "commune_input", "latitude", "longitude",
                                 "address", "source", "_file", "_sheet", "_row", "stops"])


INGEST_OUTPUTS = ("actors.gpkg", "actors.csv", "ingest-report.json", "changes.json",
                  "rapport.html", "actors.geojson")
"""What :func:`write_ingest_outputs` writes in the build folder, in the order they are put in
place: ``actors.geojson``, the base of the next change report, last."""


def write_ingest_outputs(result: IngestResult, out_dir: str | Path, *,
                         commit: bool = True) -> list[Path]:
    """Write ``actors.gpkg``, ``actors.geojson``, ``actors.csv``, ``ingest-report.json``,
    ``changes.json`` (what changed since the previous build in ``out_dir``) and ``rapport.html``
    (the report for the coordinator, :mod:`safi_map.ingestion.report_page`).

    Actors that are no longer in any survey are kept from the previous build when
    ``settings.keep_removed`` (the default) — ``result.actors`` then includes them — and
    ``result.changes`` is set. Actors hidden or merged away by corrections, or whose rows now
    belong to another actor, are not "no longer in any survey" and never kept. These are the
    coordinator's working files: complete, contacts included (the public site and exports go
    through :func:`safi_map.model.public.public_actors`).

    Every file is written under a temporary name, then renamed into place (a run killed while
    writing leaves the previous files whole). With ``commit=False`` they stay under their
    temporary names until :meth:`IngestResult.commit_outputs` (``safi-map build`` does that
    once the site is in place). Returns the final paths: gpkg, geojson, csv, report, changes.
    A previous output that cannot be read counts as no previous build (with a warning).
    """
    from safi_map.ingestion.changes import changes_json, compare_builds, rejection_codes
    from safi_map.ingestion.io import write_actors
    from safi_map.ingestion.report_page import render_report

    out = Path(out_dir)
    claim_outputs(out, INGEST_OUTPUTS)
    previous = load_previous_outputs(out, result.previous)
    result.previous = None  # the files it was read from are replaced below
    changes, result.actors = compare_builds(previous, result.actors, result.report.rejected,
                                            keep_removed=result.settings.keep_removed,
                                            withdrawn=result.withdrawn, rows=result.rows,
                                            codes=rejection_codes(result.report))
    result.changes = changes
    if result.pending is not None:  # an earlier call's files, never put in place
        result.pending.discard()
    staged = StagedFiles()
    texts = {
        "ingest-report.json": json.dumps(result.report.to_dict(), ensure_ascii=False, indent=2,
                                         sort_keys=True) + "\n",
        "changes.json": changes_json(changes),
        "rapport.html": render_report(result.report, changes=changes, names=dict(zip(
            result.actors["actor_id"].tolist(), map(str, result.actors["name"].tolist()),
            strict=True))),
    }
    try:
        for name in INGEST_OUTPUTS:
            tmp = staged.path(out / name)
            if name in texts:
                tmp.write_text(texts[name], encoding="utf-8")
            else:
                write_actors(result.actors, tmp, fmt=name.rsplit(".", 1)[1])
    except BaseException:
        staged.discard()
        raise
    if commit:
        staged.commit()
    else:
        result.pending = staged
    return [out / name for name in ("actors.gpkg", "actors.geojson", "actors.csv",
                                    "ingest-report.json", "changes.json", "rapport.html")]


GEOCODE_COLUMNS = ("latitude", "longitude", "insee_code", "commune", "geocode_precision",
                   "geocode_source", "geocode_score")
"""Columns that ``safi-map geocode`` adds to a table (``geocode_reason`` follows them)."""


def geocode_table(table: Any, *, settings: Settings | None = None, online: bool | None = None,
                  refresh: bool = False, progress: Progress | None = None) -> pd.DataFrame:
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
                           progress=progress)
    added = located[[*GEOCODE_COLUMNS, "geocode_reason"]]
    original = original.drop(columns=[c for c in added.columns if c in original.columns])
    return pd.concat([original, added], axis=1).reset_index(drop=True)


def geocode_file(input_path: str | Path, output_path: str | Path, *, sheet: str | None = None,
                 settings: Settings | None = None, online: bool | None = None,
                 refresh: bool = False, progress: Progress | None = None
                 ) -> tuple[pd.DataFrame, Report]:
    """``safi-map geocode``: read ``input_path`` (CSV/XLSX/ODS, first table, or ``sheet``),
    geocode it with :func:`geocode_table` and write UTF-8 CSV to ``output_path``."""
    from safi_map.ingestion.readers import read_survey
    from safi_map.ingestion.sheet_limits import SheetLimits

    settings = settings or load_settings()
    tables = read_survey(input_path, sheet=sheet, aliases=settings.columns,
                         limits=SheetLimits.from_settings(settings))
    result = geocode_table(tables[0], settings=settings, online=online, refresh=refresh,
                           progress=progress)
    from safi_map.core.csvsafe import neutralise_frame

    with atomic_path(output_path) as tmp:  # no formula in text cells
        neutralise_frame(result).to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n",
                                        float_format="%.6f")
    return result, Report()

"""The ``safi-map`` command line: a thin layer over the library.

Only this module (with ``_cli_base``) prints. Every message is French by default (``--lang en``
or ``LANG=en_…`` for English); library errors become one clean message here; exit codes are 0
(success), 1 (input errors, with the report, or a system failure such as a full disk) and 2
(usage errors). ``safi-map --debug …`` shows the traceback of an unexpected failure.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from safi_map.cli.base import (
    Group,
    Option,
    PhasedProgress,
    display,
    lang_option,
    progress_bars,
    setup_logging,
    user_error,
)
from safi_map.core.errors import ConfigError, SafiMapError
from safi_map.core.i18n import N_, _, ngettext
from safi_map.core.settings import Settings, load_settings
from safi_map.core.version import __version__


class _State:
    def __init__(self, quiet: bool, verbose: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose

    def echo(self, message: str = "", *, err: bool = False) -> None:
        if not self.quiet:
            click.echo(message, err=err)


def _settings(config: Path | None, **overrides: Any) -> Settings:
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    return settings.with_(**overrides)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("Turn SAFI Tour surveys into a filterable map of social-economy actors.\n\n"
                     "Settings come from ./safi-map.toml when it exists (see the README), else "
                     "defaults: surveys in data/surveys, output in build/."))
@click.version_option(__version__, prog_name="safi-map", cls=Option,
                      help=N_("Show the version and exit."))
@lang_option
@click.option("-q", "--quiet", is_flag=True, cls=Option,
              help=N_("Print only errors (no summary, no progress bars)."))
@click.option("-v", "--verbose", is_flag=True, cls=Option, help=N_("Print debug messages."))
@click.option("--debug", is_flag=True, cls=Option,
              help=N_("Show the full traceback of an unexpected error (to report a bug)."))
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool, debug: bool) -> None:
    setup_logging(quiet, verbose or debug)
    ctx.obj = _State(quiet, verbose)


_config_option = click.option(
    "--config", "config", type=click.Path(dir_okay=False, path_type=Path), cls=Option,
    help=N_("Settings file (default: ./safi-map.toml if present)."),
)
_online_option = click.option(
    "--online/--offline", default=None, cls=Option,
    help=N_("Geocode street addresses online (BAN/Nominatim, cached). Default: offline."),
)
_refresh_option = click.option(
    "--refresh", is_flag=True, cls=Option,
    help=N_("With --online, ask the provider again instead of the cache."))
_force_option = click.option(
    "--force", is_flag=True, cls=Option,
    help=N_("Redo everything: read and geocode every file again instead of reusing unchanged "
            "ones' rows (and, for build, render every page again)."))
_strict_option = click.option("--strict", is_flag=True, cls=Option,
                              help=N_("Exit with code 1 when any row is rejected, or when a "
                                      "survey has no column for themes, needs, offers, consent "
                                      "or commune."))


def _check_output_file(settings: Settings, output: Path) -> None:
    """Refuse an output file the next build would read as a survey (a usage error)."""
    from safi_map.core.outdir import OutputFolderError, check_output_file

    try:
        check_output_file(settings, output)
    except OutputFolderError as exc:
        raise click.UsageError(str(exc)) from None


def _build(state: _State, settings: Settings, surveys: tuple[Path, ...], *,
           online: bool | None, refresh: bool, force: bool, site: bool, command: str,
           summary: bool = True, on_site: Any = None) -> Any:
    """Run :func:`safi_map.build` with progress bars; the ingest summary is printed as soon as
    the surveys are ingested (its bars cleared), before the site is built."""
    from safi_map.app import build

    progress = PhasedProgress(state.quiet)

    def ingested(result: Any, outputs: Any) -> None:
        progress.next_phase()
        if summary:
            _print_ingest_summary(state, result, outputs.report_json)

    def site_written(*args: Any) -> None:
        progress.next_phase()  # the site's bars cleared before saying it is ready
        if on_site is not None:
            on_site(*args)

    try:
        return build(list(surveys) or None, settings=settings, online=online, refresh=refresh,
                     force=force, site=site, command=command, progress=progress,
                     on_ingest=ingested, on_site=site_written)
    finally:
        progress.close()


def _print_ingest_summary(state: _State, result: Any, report_path: Path) -> None:
    report = result.report
    s = report.summary()
    if result.files_reused:
        state.echo(ngettext(
            "{n} unchanged survey file reused from the cache (--force to read it again).",
            "{n} unchanged survey files reused from the cache (--force to read them again).",
            result.files_reused).format(n=result.files_reused))
    state.echo(_("Read {rows} rows from {tables} table(s): {actors} actors published, {merged} "
                 "rows merged into them, {rejected} rejected.").format(
        rows=s["rows_read"], tables=len(report.files), actors=s["actors"],
        merged=s["merged_rows"], rejected=s["rejected_rows"]))
    if s["precision"]:
        state.echo(_("Placed on the map: {counts}").format(
            counts=_precision_counts(s["precision"].items())))
    for entry in report.files:
        if entry.get("error"):
            click.echo(_("error: {message}").format(message=entry["error"]), err=True)
    rejected = report.rejected
    if rejected:
        state.echo(_("Rows not published ({n}):").format(n=len(rejected)))
        for ref, reason in list(sorted(rejected.items()))[:20]:
            state.echo(_("  {ref}: {reason}").format(ref=ref, reason=reason))
        if len(rejected) > 20:
            state.echo(_("  … and {n} more (all in {report})").format(
                n=len(rejected) - 20, report=display(report_path.with_name("rapport.html"))))
    _print_agenda_summary(state, result)
    _print_column_checks(state, report)
    state.echo(ngettext("{n} warning; read the report {report} (for machines: {json})",
                        "{n} warnings; read the report {report} (for machines: {json})",
                        s["warnings"]).format(
        n=s["warnings"], report=display(report_path.with_name("rapport.html")),
        json=display(report_path)))
    if result.changes is not None:
        state.echo(result.changes.summary())


def _print_agenda_summary(state: _State, result: Any) -> None:
    """One line for the actors' agenda, then its rejected rows with their reasons."""
    counts = result.report.extra.get("agenda")
    if not counts or result.agenda is None:
        return
    state.echo(_("Agenda {file}: {events} events published, {rejected} rows rejected, {held} "
                 "kept private (Public = no), {merged} given twice.").format(
        file=counts["file"], events=counts["events"], rejected=counts["rejected"],
        held=counts["held_back"], merged=counts["merged"]))
    for issue in result.agenda.report.errors:
        state.echo(_("  {ref}: {reason}").format(ref=issue.ref, reason=issue.message))


_PRECISION = {"provided": N_("at the given coordinates"), "housenumber": N_("at the address"),
              "street": N_("at the street"), "locality": N_("at the place name"),
              "municipality": N_("at the commune"), "none": N_("not placed")}


def _precision_counts(counts: Any) -> str:
    """``202 at the commune, 8 at the given coordinates``: how actors were placed."""
    return ", ".join(f"{v} {_(_PRECISION.get(str(k), str(k)))}" for k, v in counts)


# --- columns read and not read (issue 11) ---------------------------------------------------

_SHOWN_HEADERS = 8


def _field_label(name: str) -> str:
    labels = {"themes": _("themes"), "needs": _("needs"), "offers": _("offers"),
              "contact_consent": _("consent to publish contacts"),
              "commune": _("commune or postcode"), "name": _("name of the structure"),
              "legal_form": _("legal form"), "description": _("description"),
              "address": _("address"), "postcode": _("postcode"), "latitude": _("latitude"),
              "longitude": _("longitude"), "website": _("website"), "email": _("e-mail address"),
              "phone": _("phone"), "stop": _("tour stop"), "siret": _("SIRET"),
              "survey_date": _("survey date")}
    return labels.get(name, name)


def _headers_list(headers: list[str]) -> str:
    shown = ", ".join(f"« {h} »" for h in headers[:_SHOWN_HEADERS])
    more = len(headers) - _SHOWN_HEADERS
    return shown + (_(" and {n} more").format(n=more) if more > 0 else "")


def _print_column_checks(state: _State, report: Any) -> None:
    """Per survey table: the fields without a column, the unread columns that look like one
    (with the safi-map.toml lines that map them), the other unread and form-tool columns."""
    for check in report.column_checks():
        missing = [m for m in check.missing
                   if m not in {u["looks_like"] for u in check.suspicious}]
        ignored = [u["header"] for u in check.unread
                   if not u["looks_like"] and not u.get("same_as")]
        seconds = [u for u in check.unread if u.get("same_as")]
        tool_columns = [m["header"] for m in check.metadata if m["kind"] == "meta"]
        private = [m["header"] for m in check.metadata if m["kind"] != "meta"]
        if not (check.missing or ignored or private or tool_columns or seconds):
            continue
        tool = check.to_dict()["tool_name"]
        state.echo(_("{file}:").format(file=check.where)
                   + (" " + _("export of {tool}").format(tool=tool) if tool else ""))
        for item in check.suspicious:
            state.echo("  " + _("column {header} was not read; it seems to hold: {field}").format(
                header=f"« {item['header']} »", field=_field_label(item["looks_like"])))
        if missing:
            state.echo("  " + _("no column found for: {fields}").format(
                fields=", ".join(_field_label(m) for m in missing)))
        if check.toml:
            state.echo("  " + ngettext(
                "to read it, add this line to safi-map.toml, under [columns]:",
                "to read them, add these lines to safi-map.toml, under [columns]:",
                len(check.toml)))
            for line in check.toml:
                state.echo(f"      {line}")
        if missing:
            state.echo("  " + _("if the file has such a column, name it in safi-map.toml, "
                                "under [columns]:"))
            for name in missing:
                state.echo('      "{header}" = "{field}"'.format(
                    header=_("header of the column"), field=name))
        for item in seconds:
            state.echo("  " + _("column {header} not read: the {field} come from another "
                                "column").format(header=f"« {item['header']} »",
                                                 field=_field_label(item["same_as"])))
        if ignored:
            state.echo("  " + _("columns not read (kept aside, not published): {headers}")
                       .format(headers=_headers_list(ignored)))
        if tool_columns:
            state.echo("  " + _("columns added by the form tool, not read: {headers}")
                       .format(headers=_headers_list(tool_columns)))
        if private:
            state.echo("  " + _("columns about the person who answered, not read (private): "
                                "{headers}").format(headers=_headers_list(private)))


def _exit_code(result: Any, strict: bool) -> int:
    if not result.ok:
        return 1
    if strict and result.report.rejected:
        click.echo(ngettext("--strict: {n} row was rejected (see the report).",
                            "--strict: {n} rows were rejected (see the report).",
                            len(result.report.rejected)).format(n=len(result.report.rejected)),
                   err=True)  # said even with -q: it is why the exit code is 1
        return 1
    files = [c.where for c in result.report.column_checks() if c.has_problems]
    if strict and files:
        click.echo(_("--strict: a survey has no column for themes, needs, offers, consent or "
                     "commune: {files}.").format(
                         files=", ".join(files)), err=True)
        return 1
    return 0


_out_option = click.option(
    "--out", type=click.Path(file_okay=False, path_type=Path), cls=Option,
    help=N_("Output folder (default: build); build puts the site in OUT/site."))
_surveys_argument = click.argument("surveys", nargs=-1,
                                   type=click.Path(exists=True, path_type=Path))


@cli.command(help=N_("Read, validate, geocode and merge SURVEYS into build/actors.gpkg "
                     "(+ .geojson, .csv) and build/ingest-report.json. SURVEYS are files or "
                     "folders (default: data/surveys)."))
@_surveys_argument
@_config_option
@_out_option
@_online_option
@_refresh_option
@_force_option
@_strict_option
@click.pass_obj
def ingest(state: _State, surveys: tuple[Path, ...], config: Path | None, out: Path | None,
           online: bool | None, refresh: bool, force: bool, strict: bool) -> None:
    settings = _settings(config, out=out.resolve() if out else None)
    done = _build(state, settings, surveys, online=online, refresh=refresh, force=force,
                  site=False, command="ingest")
    state.echo(_("Wrote {files}").format(
        files=", ".join(display(p) for p in done.outputs.actors_files)))
    sys.exit(_exit_code(done.ingest, strict))


@cli.command(help=N_("Ingest SURVEYS and build the static site in build/site (the main job)."))
@_surveys_argument
@_config_option
@_out_option
@_online_option
@_refresh_option
@_force_option
@_strict_option
@click.pass_obj
def build(state: _State, surveys: tuple[Path, ...], config: Path | None, out: Path | None,
          online: bool | None, refresh: bool, force: bool, strict: bool) -> None:
    settings = _settings(config, out=out.resolve() if out else None)
    index = settings.out / "site" / "index.html"

    def site_written(summary: Any, seconds: float, posters_left: int) -> None:
        state.echo(_("{summary} ({seconds:.1f} s)").format(summary=summary, seconds=seconds))
        state.echo(_("Open {index} in a browser.").format(index=display(index)))
        if posters_left:
            state.echo(ngettext(
                "Drawing {n} poster; the site links it once drawn (the site is usable "
                "meanwhile).",
                "Drawing {n} posters; the site links them once drawn (the site is usable "
                "meanwhile).", posters_left).format(n=posters_left))

    done = _build(state, settings, surveys, online=online, refresh=refresh, force=force,
                  site=True, command="build", on_site=site_written)
    if done.posters_drawn:
        state.echo(ngettext("{n} poster drawn and linked from the site ({seconds:.1f} s).",
                            "{n} posters drawn and linked from the site ({seconds:.1f} s).",
                            done.posters_drawn).format(n=done.posters_drawn,
                                                       seconds=done.posters_seconds))
    if done.previews_drawn:
        state.echo(ngettext("{n} link preview picture drawn (partage/).",
                            "{n} link preview pictures drawn (partage/).",
                            done.previews_drawn).format(n=done.previews_drawn))
    sys.exit(_exit_code(done.ingest, strict))


@cli.command(help=N_("Geocode any table: one output row per input row, same order, input "
                     "columns kept, plus latitude, longitude, insee_code, commune, "
                     "geocode_precision, geocode_source, geocode_score."))
@click.argument("input_file", metavar="INPUT", type=click.Path(exists=True, dir_okay=False,
                                                                 path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              cls=Option, help=N_("Output CSV file."))
@click.option("--sheet", cls=Option,
              help=N_("Sheet to read from a spreadsheet (default: the first non-empty)."))
@_config_option
@_online_option
@_refresh_option
@click.pass_obj
def geocode(state: _State, input_file: Path, output: Path, sheet: str | None,
            config: Path | None, online: bool | None, refresh: bool) -> None:
    from safi_map.ingestion.pipeline import geocode_file

    settings = _settings(config)
    _check_output_file(settings, output)
    with progress_bars(state.quiet) as progress:
        table, _unused = geocode_file(input_file, output, sheet=sheet, settings=settings,
                                      online=online, refresh=refresh, progress=progress)
    counts = table["geocode_precision"].value_counts()
    state.echo(_("Geocoded {n} rows into {output}: {counts}").format(
        n=len(table), output=display(output),
        counts=_precision_counts(sorted(counts.items()))))


@cli.command(help=N_("Export a selection of actors for an event: a poster (pdf, png, svg), a "
                     "single-file offline map (html), data files (geojson, csv, gpkg) or "
                     "data.inclusion structures (datainclusion).\n\n"
                     "Reads build/actors.gpkg (run `safi-map build` or `ingest` first; if it is "
                     "missing, the surveys are ingested now). Only public information is "
                     "exported."))
@click.option("--format", "fmt", type=click.Choice(["pdf", "png", "svg", "html", "geojson", "csv",
                                                    "gpkg", "datainclusion"]), cls=Option,
              help=N_("Output format (default: from the suffix of -o)."))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              cls=Option, help=N_("File to write."))
@click.option("--commune", "communes", multiple=True, cls=Option,
              help=N_("Only this commune (name or INSEE code); repeatable."))
@click.option("--department", "departments", multiple=True, cls=Option,
              help=N_("Only this department (e.g. 83); repeatable."))
@click.option("--epci", "epcis", multiple=True, cls=Option,
              help=N_("Only this EPCI (SIREN code or name); repeatable."))
@click.option("--theme", "themes", multiple=True, cls=Option,
              help=N_("Only this theme (slug or label); repeatable."))
@click.option("--stop", "stops", multiple=True, cls=Option,
              help=N_("Only actors met at this tour stop; repeatable."))
@click.option("--around", cls=Option,
              help=N_("Only actors around this commune (with --radius-km)."))
@click.option("--radius-km", type=click.FloatRange(min=0, min_open=True), cls=Option,
              help=N_("Radius for --around, in km."))
@click.option("--size", type=click.Choice(["A4", "A3", "A2", "A1", "A0"]), default="A3",
              show_default=True, cls=Option, help=N_("Poster paper size."))
@click.option("--orientation", type=click.Choice(["portrait", "landscape"]),
              default="landscape", show_default=True, cls=Option,
              help=N_("Poster orientation."))
@click.option("--title", cls=Option, help=N_("Poster or page title (default: the project "
                                              "title)."))
@click.option("--subtitle", cls=Option,
              help=N_("Poster subtitle (default: describes the selection)."))
@click.option("--excel", is_flag=True, cls=Option,
              help=N_("CSV for French Excel: UTF-8 with BOM, ';'."))
@click.option("--dpi", type=click.IntRange(50, 600), default=150, show_default=True, cls=Option,
              help=N_("Resolution of PNG posters."))
@_config_option
@click.pass_obj
def export(state: _State, fmt: str | None, output: Path, communes: tuple[str, ...],
           departments: tuple[str, ...], epcis: tuple[str, ...], themes: tuple[str, ...],
           stops: tuple[str, ...], around: str | None, radius_km: float | None, size: str,
           orientation: str, title: str | None, subtitle: str | None, excel: bool, dpi: int,
           config: Path | None) -> None:
    from safi_map.analysis.selection import Selection
    from safi_map.export.api import export as run_export

    settings = _settings(config)
    _check_output_file(settings, output)
    try:
        selection = Selection(communes=communes, departments=departments, epcis=epcis,
                              themes=themes, stops=stops, around=around, radius_km=radius_km)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    actors, taxonomy, tour = _current_actors(state, settings)
    try:
        result = run_export(actors, fmt=fmt, out=output, selection=selection, taxonomy=taxonomy,
                            tour=tour, settings=settings, excel=excel, size=size,
                            orientation=orientation, title=title, subtitle=subtitle, dpi=dpi)
    except (SafiMapError, OSError):
        raise
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    what = f" ({result.subtitle})" if result.subtitle else ""
    state.echo(ngettext("Exported {n} actor{what} as {fmt}: {paths}",
                        "Exported {n} actors{what} as {fmt}: {paths}", result.actors).format(
        n=result.actors, what=what, fmt=result.fmt,
        paths=", ".join(display(p) for p in result.paths)))


def _current_actors(state: _State, settings: Settings) -> tuple[Any, Any, Any]:
    """Actors of the last ingest (build/actors.gpkg), or a fresh ingest when there is none."""
    from safi_map.ingestion.io import read_actors
    from safi_map.ingestion.pipeline import load_project

    path = settings.out / "actors.gpkg"
    if path.is_file():
        taxonomy, tour = load_project(settings)
        try:
            return read_actors(path), taxonomy, tour
        except (SafiMapError, OSError):
            raise
        except Exception as exc:  # pyogrio / fiona errors on a damaged file
            raise click.ClickException(
                _("{path} cannot be read ({exc}): it is damaged or incomplete. Run "
                  "`safi-map build` again to rewrite it.").format(path=display(path), exc=exc)
            ) from None
    state.echo(_("{path} does not exist yet: ingesting the surveys first.").format(
        path=display(path)))
    result = _build(state, settings, (), online=None, refresh=False, force=False, site=False,
                    command="export", summary=False).ingest
    return result.actors, result.taxonomy, result.tour


@cli.command("add-stop", help=N_(
    "Register tour stop STOP_ID in data/tour.toml and copy its SURVEY into data/surveys/.\n\n"
    "For a stop already in the tour, a SURVEY is added and --date, --town, --venue, --insee "
    "update the stop. Then run `safi-map build`."))
@click.argument("stop_id", metavar="STOP_ID")
@click.argument("survey", required=False, type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path))
@click.option("--town", cls=Option, help=N_("Town of the stop (required for a new stop)."))
@click.option("--date", "date_", cls=Option,
              help=N_("Date of the stop: 28/11/2026, 28-11-2026 or 2026-11-28 (required for a "
                      "new stop)."))
@click.option("--venue", cls=Option, help=N_("Where the stop takes place."))
@click.option("--insee", cls=Option, help=N_("INSEE code of the town (optional)."))
@_config_option
@click.pass_obj
def add_stop_command(state: _State, stop_id: str, survey: Path | None, town: str | None,
                     date_: str | None, venue: str | None, insee: str | None,
                     config: Path | None) -> None:
    from safi_map.ingestion.project import add_stop, parse_stop_date

    settings = _settings(config)
    try:
        when = parse_stop_date(date_) if date_ is not None else None
        added = add_stop(settings, stop_id, town=town, date=when, venue=venue,
                         insee_code=insee, survey=survey)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    tour = display(settings.tour)
    if added.created:
        state.echo(_("Added stop {id!r} to {tour}.").format(id=added.stop_id, tour=tour))
    for change in added.updated:
        state.echo(_("Stop {id!r} updated in {tour}: {change}.").format(
            id=added.stop_id, tour=tour, change=change))
    if added.survey is not None:
        state.echo(_("Survey copied to {path}.").format(path=display(added.survey)))
    state.echo(_("Now run: safi-map build"))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="safi-map")


__all__ = ["cli", "main", "user_error"]

if __name__ == "__main__":
    main()

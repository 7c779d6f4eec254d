"""The ``safi-map`` command line: a thin layer over the library.

Only this module prints. Library errors become clean messages here; exit codes are 0 (success),
1 (input errors, with the report) and 2 (usage errors).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import ConfigError, SafiMapError
from .i18n import _, ngettext
from .settings import Settings, load_settings

log = logging.getLogger("safi_map")


class _State:
    def __init__(self, quiet: bool, verbose: bool) -> None:
        self.quiet = quiet
        self.verbose = verbose

    def echo(self, message: str = "", *, err: bool = False) -> None:
        if not self.quiet:
            click.echo(message, err=err)


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("safi_map")
    root.handlers[:] = [handler]
    root.setLevel(level)


@contextmanager
def _progress(state: _State) -> Iterator[Callable[[str, int, int], None]]:
    """A progress callback drawing one tqdm bar per stage on stderr (nothing when quiet)."""
    bars: dict[str, Any] = {}
    labels = {"read": "Reading surveys", "geocode": "Geocoding online", "site": "Writing site",
              "export": "Exporting"}

    def update(stage: str, done: int, total: int) -> None:
        if state.quiet or total <= 0:
            return
        from tqdm import tqdm

        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=labels.get(stage, stage), unit="",
                                     file=sys.stderr, leave=False, dynamic_ncols=True,
                                     disable=not sys.stderr.isatty())
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield update
    finally:
        for bar in bars.values():
            bar.close()


def _settings(ctx: click.Context, config: Path | None, **overrides: Any) -> Settings:
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    return settings.with_(**overrides)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="safi-map")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print debug messages.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Turn SAFI Tour surveys into a filterable map of social-economy actors.

    Settings come from ./safi-map.toml when it exists (see the README), else defaults:
    surveys in data/surveys, output in build/.
    """
    _setup_logging(quiet, verbose)
    ctx.obj = _State(quiet, verbose)


_config_option = click.option(
    "--config", "config", type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (default: ./safi-map.toml if present).",
)
_online_option = click.option(
    "--online/--offline", default=None,
    help="Geocode street addresses online (BAN/Nominatim, cached). Default: offline.",
)
_refresh_option = click.option("--refresh", is_flag=True,
                               help="With --online, ask the provider again instead of the cache.")
_force_option = click.option("--force", is_flag=True,
                             help="Redo everything: read and geocode every file again instead "
                                  "of reusing unchanged ones' rows (and, for build, render "
                                  "every page again).")
_strict_option = click.option("--strict", is_flag=True,
                              help="Exit with code 1 when any row is rejected, or when a "
                                   "survey has no column for themes, needs, offers, consent "
                                   "or commune.")


def _run_ingest(state: _State, settings: Settings, surveys: tuple[Path, ...],
                online: bool | None, refresh: bool, force: bool = False) -> Any:
    from .pipeline import ingest

    with _progress(state) as progress:
        try:
            return ingest(list(surveys) or None, settings=settings, online=online,
                          refresh=refresh, force=force, progress=progress)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        except SafiMapError as exc:
            raise click.ClickException(str(exc)) from None


def _print_ingest_summary(state: _State, result: Any, report_path: Path) -> None:
    report = result.report
    s = report.summary()
    if result.files_reused:
        state.echo(f"{result.files_reused} unchanged survey file(s) reused from the cache "
                   "(--force to redo them).")
    state.echo(
        f"Read {s['rows_read']} rows from {len(report.files)} table(s): "
        f"{s['actors']} actors published, {s['merged_rows']} rows merged into them, "
        f"{s['rejected_rows']} rejected."
    )
    if s["precision"]:
        state.echo("Geocoding: " + ", ".join(f"{k} {v}" for k, v in s["precision"].items()))
    for entry in report.files:
        if entry.get("error"):
            click.echo(f"error: {entry['error']}", err=True)
    rejected = report.rejected
    if rejected:
        state.echo(f"Rejected rows ({len(rejected)}):")
        for ref, reason in list(sorted(rejected.items()))[:20]:
            state.echo(f"  {ref}: {reason}")
        if len(rejected) > 20:
            state.echo(f"  … and {len(rejected) - 20} more")
    _print_column_checks(state, report)
    state.echo(f"{s['warnings']} warning(s); details in {report_path}")
    if result.changes is not None:
        state.echo(result.changes.summary())


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
        return 1
    if strict and any(c.has_problems for c in result.report.column_checks()):
        return 1
    return 0


@cli.command()
@click.argument("surveys", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_config_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: build).")
@_online_option
@_refresh_option
@_force_option
@_strict_option
@click.pass_obj
def ingest(state: _State, surveys: tuple[Path, ...], config: Path | None, out: Path | None,
           online: bool | None, refresh: bool, force: bool, strict: bool) -> None:
    """Read, validate, geocode and merge SURVEYS into build/actors.gpkg (+ .geojson, .csv)
    and build/ingest-report.json. SURVEYS are files or folders (default: data/surveys)."""
    from .pipeline import write_ingest_outputs

    settings = _settings(click.get_current_context(), config, out=out.resolve() if out else None)
    result = _run_ingest(state, settings, surveys, online, refresh, force)
    written = write_ingest_outputs(result, settings.out)
    _print_ingest_summary(state, result, written[3])
    state.echo(f"Wrote {', '.join(str(p) for p in written[:3])}")
    sys.exit(_exit_code(result, strict))


@cli.command()
@click.argument("surveys", nargs=-1, type=click.Path(exists=True, path_type=Path))
@_config_option
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (default: build); the site goes to OUT/site.")
@_online_option
@_refresh_option
@_force_option
@_strict_option
@click.pass_obj
def build(state: _State, surveys: tuple[Path, ...], config: Path | None, out: Path | None,
          online: bool | None, refresh: bool, force: bool, strict: bool) -> None:
    """Ingest SURVEYS and build the static site in build/site (the main job)."""
    from .pipeline import write_ingest_outputs
    from .site import build_site

    started = time.perf_counter()
    settings = _settings(click.get_current_context(), config, out=out.resolve() if out else None)
    result = _run_ingest(state, settings, surveys, online, refresh, force)
    written = write_ingest_outputs(result, settings.out)
    _print_ingest_summary(state, result, written[3])
    with _progress(state) as progress:
        try:
            summary = build_site(
                result.actors, taxonomy=result.taxonomy, tour=result.tour, settings=settings,
                report=result.report, out_dir=settings.out / "site",
                progress=lambda done, total: progress("site", done, total),
                changes=result.changes, force=force,
            )
        except SafiMapError as exc:
            raise click.ClickException(str(exc)) from None
    if summary.pages_reused:
        state.echo(f"{summary.pages_reused} unchanged page(s) reused from the previous build "
                   "(--force to render them again).")
    state.echo(f"{summary} ({time.perf_counter() - started:.1f} s)")
    index = settings.out / "site" / "index.html"
    state.echo(f"Open {index} in a browser.")
    sys.exit(_exit_code(result, strict))


@cli.command()
@click.argument("input_file", metavar="INPUT", type=click.Path(exists=True, dir_okay=False,
                                                                 path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output CSV file.")
@click.option("--sheet", help="Sheet to read from a spreadsheet (default: the first non-empty).")
@_config_option
@_online_option
@_refresh_option
@click.pass_obj
def geocode(state: _State, input_file: Path, output: Path, sheet: str | None,
            config: Path | None, online: bool | None, refresh: bool) -> None:
    """Geocode any table: one output row per input row, same order, input columns kept, plus
    latitude, longitude, insee_code, commune, geocode_precision, geocode_source, geocode_score."""
    from .pipeline import geocode_file

    settings = _settings(click.get_current_context(), config)
    with _progress(state) as progress:
        try:
            table, _ = geocode_file(input_file, output, sheet=sheet, settings=settings,
                                        online=online, refresh=refresh, progress=progress)
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        except SafiMapError as exc:
            raise click.ClickException(str(exc)) from None
    counts = table["geocode_precision"].value_counts()
    state.echo(f"Geocoded {len(table)} rows into {output}: "
               + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["pdf", "png", "svg", "html", "geojson", "csv",
                                                    "gpkg", "datainclusion"]),
              help="Output format (default: from the suffix of -o).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="File to write.")
@click.option("--commune", "communes", multiple=True, help="Only this commune (name or INSEE "
              "code); repeatable.")
@click.option("--department", "departments", multiple=True, help="Only this department "
              "(e.g. 83); repeatable.")
@click.option("--epci", "epcis", multiple=True, help="Only this EPCI (SIREN code or name); "
              "repeatable.")
@click.option("--theme", "themes", multiple=True, help="Only this theme (slug or label); "
              "repeatable.")
@click.option("--stop", "stops", multiple=True, help="Only actors met at this tour stop; "
              "repeatable.")
@click.option("--around", help="Only actors around this commune (with --radius-km).")
@click.option("--radius-km", type=click.FloatRange(min=0, min_open=True),
              help="Radius for --around, in km.")
@click.option("--size", type=click.Choice(["A4", "A3", "A2", "A1", "A0"]), default="A3",
              show_default=True, help="Poster paper size.")
@click.option("--orientation", type=click.Choice(["portrait", "landscape"]),
              default="landscape", show_default=True, help="Poster orientation.")
@click.option("--title", help="Poster or page title (default: the project title).")
@click.option("--subtitle", help="Poster subtitle (default: describes the selection).")
@click.option("--excel", is_flag=True, help="CSV for French Excel: UTF-8 with BOM, ';'.")
@click.option("--dpi", type=click.IntRange(50, 600), default=150, show_default=True,
              help="Resolution of PNG posters.")
@_config_option
@click.pass_obj
def export(state: _State, fmt: str | None, output: Path, communes: tuple[str, ...],
           departments: tuple[str, ...], epcis: tuple[str, ...], themes: tuple[str, ...],
           stops: tuple[str, ...], around: str | None, radius_km: float | None, size: str,
           orientation: str, title: str | None, subtitle: str | None, excel: bool, dpi: int,
           config: Path | None) -> None:
    """Export a selection of actors for an event: a poster (pdf, png, svg), a single-file offline
    map (html), data files (geojson, csv, gpkg) or data.inclusion structures (datainclusion).

    Reads build/actors.gpkg (run `safi-map build` or `ingest` first; if it is missing, the
    surveys are ingested now). Only public information is exported."""
    from .export import export as run_export
    from .selection import Selection

    settings = _settings(click.get_current_context(), config)
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
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except SafiMapError as exc:
        raise click.ClickException(str(exc)) from None
    what = f" ({result.subtitle})" if result.subtitle else ""
    state.echo(f"Exported {result.actors} actor(s){what} as {result.fmt}: "
               + ", ".join(str(p) for p in result.paths))


def _current_actors(state: _State, settings: Settings) -> tuple[Any, Any, Any]:
    """Actors of the last ingest (build/actors.gpkg), or a fresh ingest when there is none."""
    from .io import read_actors
    from .pipeline import load_project, write_ingest_outputs

    path = settings.out / "actors.gpkg"
    if path.is_file():
        taxonomy, tour = load_project(settings)
        return read_actors(path), taxonomy, tour
    state.echo(f"{path} does not exist yet: ingesting the surveys first.")
    result = _run_ingest(state, settings, (), None, False)
    write_ingest_outputs(result, settings.out)
    return result.actors, result.taxonomy, result.tour


@cli.command("add-stop")
@click.argument("stop_id", metavar="STOP_ID")
@click.argument("survey", required=False, type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path))
@click.option("--town", help="Town of the stop (required for a new stop).")
@click.option("--date", "date_", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Date of the stop, YYYY-MM-DD (required for a new stop).")
@click.option("--venue", default="", help="Where the stop takes place.")
@click.option("--insee", default="", help="INSEE code of the town (optional).")
@_config_option
@click.pass_obj
def add_stop_command(state: _State, stop_id: str, survey: Path | None, town: str | None,
                     date_: Any, venue: str, insee: str, config: Path | None) -> None:
    """Register tour stop STOP_ID in data/tour.toml and copy its SURVEY into data/surveys/.

    For a stop already in the tour, only the survey is added. Then run `safi-map build`."""
    from .project import add_stop

    settings = _settings(click.get_current_context(), config)
    try:
        added = add_stop(settings, stop_id, town=town, date=date_.date() if date_ else None,
                         venue=venue, insee_code=insee, survey=survey)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    what = "Added stop" if added.created else "Stop"
    state.echo(f"{what} {added.stop_id!r} in {settings.tour}"
               + (f"; survey copied to {added.survey}" if added.survey else ""))
    state.echo("Now run: safi-map build")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="safi-map")


if __name__ == "__main__":
    main()

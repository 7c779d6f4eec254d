"""What every ``safi-map`` command shares: translated help, the language and error handling.

Click builds ``--help`` from strings given to the decorators at import time, before the language
is known: they are marked with :func:`~safi_map.core.i18n.N_` and translated here when shown. Click's
own words ("Usage:", "Error: …") come from the same catalogue (its ``_`` is pointed at ours).
Every failure a person can meet ends as one message and exit code 1 (input or system) or 2
(usage); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from safi_map.core.errors import ConfigError, SafiMapError
from safi_map.core.i18n import LANGUAGES, N_, _, current_language, ngettext, set_language
from safi_map.core.writer import TMP_MARK

log = logging.getLogger("safi_map")


def _translate_click() -> None:
    """Point click's gettext calls at our catalogue (click says "Usage:", "Error: …")."""
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.types):
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]


class Option(click.Option):
    """An option whose help text is a message id, translated when ``--help`` shows it."""

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        original = self.help
        self.help = _(original) if original else original
        try:
            return super().get_help_record(ctx)
        finally:
            self.help = original


class Command(click.Command):
    """A command whose help text is a message id, translated when shown."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        original = self.help
        self.help = _(original) if original else original
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = original

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # click caches it with the text of its first use
        if option is not None:
            option.help = _("Show this message and exit.")
        return option

    def get_short_help_str(self, limit: int = 45) -> str:
        original = self.help
        self.help = _(original) if original else original
        try:
            return super().get_short_help_str(limit)
        finally:
            self.help = original


class Group(click.Group, Command):
    """The ``safi-map`` group: language from the environment (then ``--lang``), translated
    help, and one clean message for every error."""

    command_class = Command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        previous = current_language()
        set_language(None)  # LC_ALL / LC_MESSAGES / LANG; --lang may change it
        _translate_click()
        try:
            return super().main(*args, **kwargs)
        finally:
            set_language(previous)  # a test runner calling main() twice starts afresh

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise user_error(exc) from None


def user_error(exc: BaseException) -> click.ClickException:
    """The message a person reads for ``exc`` (exit 2 for a usage error, else 1)."""
    if isinstance(exc, ConfigError):
        return click.UsageError(str(exc))
    if isinstance(exc, SafiMapError):
        return click.ClickException(str(exc))
    if isinstance(exc, OSError):
        return click.ClickException(os_message(exc))
    if type(exc).__module__.split(".")[0] in ("pyogrio", "fiona", "sqlite3"):
        text = str(exc)
        if "disk is full" in text or "No space left" in text:
            return click.ClickException(os_message(OSError(errno.ENOSPC, text)))
        return click.ClickException(_("A geographic file could not be read or written: {exc}. "
                                      "Check that the disk has free space and that the output "
                                      "folder can be written, then run the command "
                                      "again.").format(exc=text))
    if isinstance(exc, MemoryError):
        return click.ClickException(_("Not enough memory to finish: close other programs, or "
                                      "split the largest survey file, then run the command "
                                      "again."))
    log.debug("unexpected error", exc_info=exc)
    return click.ClickException(
        _("unexpected failure ({kind}: {exc}). This is a bug in safi-map: run the same "
          "command again with --debug (safi-map --debug …) and send what it prints to the "
          "project's developers.").format(kind=type(exc).__name__, exc=exc))


def meant_path(path: Path) -> Path:
    """The path a person knows for one of the tool's temporary paths: the staging folder
    ``.site.safi-tmp-k3j9/assets/x.js`` is ``site/assets/x.js``, the temporary file
    ``.actors.gpkg.safi-tmp-k3j9.gpkg`` is ``actors.gpkg``; another hidden name is its folder."""
    parts = []
    for part in path.parts:
        if part.startswith(".") and TMP_MARK in part:
            part = part[1:part.index(TMP_MARK)]
        parts.append(part)
    meant = Path(*parts) if parts else path
    return meant.parent if meant.name.startswith(".") else meant


def os_message(exc: OSError) -> str:
    """A French sentence for a file-system failure: what happened, to which file, what to do."""
    name = exc.filename2 or exc.filename  # a rename: its destination is the file meant
    where = display(meant_path(Path(os.fsdecode(name)))) if name is not None else _("a file")
    code = exc.errno
    if code == errno.ENOSPC or code == errno.EDQUOT:
        return _("The disk is full: {file} could not be written. Free some space (or choose "
                 "another output folder with --out), then run the command again.").format(
                     file=where)
    if code in (errno.EACCES, errno.EPERM):
        return _("Permission denied on {file}: you may not write or read there. Check the "
                 "folder's permissions, or choose another output folder with --out.").format(
                     file=where)
    if code == errno.EROFS:
        return _("{file} is on a read-only disk: choose another output folder with "
                 "--out.").format(file=where)
    if code in (errno.EBUSY, errno.EXDEV):
        return _("{file} cannot be replaced: it is in use or it is a mount point (a disk "
                 "attached there). Choose another output folder with --out.").format(file=where)
    if code == errno.ENOENT:
        return _("{file} does not exist (was it moved or deleted during the run?).").format(
            file=where)
    if code == errno.ENOTDIR:
        return _("{file}: a file is in the way where a folder is expected.").format(file=where)
    if code == errno.EISDIR:
        return _("{file} is a folder where a file is expected.").format(file=where)
    if code == errno.ENAMETOOLONG:
        return _("{file}: the name is too long for this disk.").format(file=where)
    return _("Cannot read or write {file}: {reason}.").format(
        file=where, reason=exc.strerror or exc)


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value:
        set_language(value)
    return value


lang_option = click.option(
    "--lang", type=click.Choice(LANGUAGES), is_eager=True, expose_value=False,
    callback=_set_lang, cls=Option,
    help=N_("Language of the messages: fr or en (default: from LANG/LC_ALL, else French)."))


def setup_logging(quiet: bool, verbose: bool) -> None:
    """Our log records on stderr, labelled in the reader's language; the libraries' Python
    warnings (GDAL, pandas: English, for developers) only with --verbose."""
    if not verbose:
        warnings.filterwarnings("ignore")
    level = logging.DEBUG if verbose else logging.ERROR if quiet else logging.WARNING
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    root = logging.getLogger("safi_map")
    root.handlers[:] = [handler]
    root.setLevel(level)


class _Formatter(logging.Formatter):
    """``attention : …`` / ``erreur : …``: the level in the reader's language."""

    def format(self, record: logging.LogRecord) -> str:
        labels = {logging.WARNING: _("warning"), logging.ERROR: _("error"),
                  logging.CRITICAL: _("error"), logging.INFO: _("info"),
                  logging.DEBUG: "debug"}
        return _("{level}: {message}").format(level=labels.get(record.levelno, "info"),
                                              message=record.getMessage())


_STAGES = {"read": N_("Reading the surveys"), "geocode": N_("Geocoding online"),
           "site": N_("Building the site"), "posters": N_("Drawing the posters"),
           "export": N_("Exporting")}
_UNITS = {"read": N_("file"), "geocode": N_("address"), "site": N_("page"),
          "posters": N_("poster"), "export": N_("actor")}


def progress_enabled(quiet: bool, stream: Any = None) -> bool:
    """Bars only for a person watching: a terminal, and not ``-q``."""
    stream = stream if stream is not None else sys.stderr
    if quiet or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """``progress(stage, done, total)``: one tqdm bar per stage on stderr, in French.

    :meth:`start` opens a stage's bar before its first count, and a ticker refreshes every open
    bar each second, so a long step whose first count comes late (the site's model, side pages
    and posters before the pages) still shows it is alive, with the time spent.
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bars: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def _bar(self, stage: str, total: int | None) -> Any:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            size = shutil.get_terminal_size()  # (80, 24) when the terminal reports 0
            bar = self.bars[stage] = tqdm(
                total=total, desc=_(_STAGES.get(stage, stage)),
                unit=" " + _(_UNITS.get(stage, "")), file=sys.stderr, leave=False,
                mininterval=0.2, ncols=min(size.columns, 100), nrows=max(size.lines, 5))
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, daemon=True)
                self._ticker.start()
        return bar

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                for bar in self.bars.values():
                    bar.refresh()

    def start(self, stage: str) -> None:
        if self.enabled:
            with self._lock:
                self._bar(stage, None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total <= 0:
            return
        with self._lock:
            bar = self._bar(stage, total)
            bar.total = total
            bar.n = done
            bar.refresh()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            for bar in self.bars.values():
                bar.close()
            self.bars.clear()


class PhasedProgress:
    """A :class:`Progress` whose bars can be closed between two phases of one call (the ingest
    and the site of ``safi-map build``): :meth:`next_phase` clears the finished bars, so the
    summary printed between them is not drawn over, and a finished stage does not keep
    ticking."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.current = Progress(progress_enabled(quiet))

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.current(stage, done, total)

    def start(self, stage: str) -> None:
        self.current.start(stage)

    def next_phase(self) -> None:
        self.current.close()
        self.current = Progress(progress_enabled(self.quiet))

    def close(self) -> None:
        self.current.close()


@contextmanager
def progress_bars(quiet: bool) -> Iterator[Progress]:
    """A :class:`Progress` for a block of work (drawing nothing unless :func:`progress_enabled`)."""
    progress = Progress(progress_enabled(quiet))
    try:
        yield progress
    finally:
        progress.close()


def display(path: Path) -> str:
    """A path as the person typed it relative to the current folder when it is inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)

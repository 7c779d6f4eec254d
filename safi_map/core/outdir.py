"""The build folder: what the tool may write, replace and delete there, and one run at a time.

Why: ``--out DIR`` is a path a person types. The tool replaces its site folder as a whole and
prunes its caches; done in a folder that also holds other things (a web server's folder, the
surveys, a previous site with files added by hand) that deleted files the tool never wrote. So:

* **A manifest** (``DIR/.safi-map-manifest.json``, written atomically) lists the outputs the
  tool made in ``DIR`` (``actors.gpkg``, ``site``, ``cache``…) and every file of each site
  folder. An output is recorded *before* it is first written, so a run killed half-way still
  leaves only recorded things. A name that exists but is not recorded is not the tool's: it is
  never replaced nor deleted, and the run is refused with a message naming it.
* **Checks before a run** (:func:`check_build_folder`): ``DIR`` must not lie inside the data
  (the next build would read its own outputs), must hold only the tool's outputs, and its site
  folder must be a plain folder holding only files the tool wrote (not a symbolic link, not a
  mount point: they cannot be replaced safely).
* **A lock** (:func:`build_folder`): a second run on the same folder waits a little, then stops
  with a message naming the process at work (``DIR/.safi-map.lock``, with ``filelock``).
* **Leftovers** of killed runs (temporary files and staging folders, see
  :data:`safi_map.core.atomic.TMP_MARK`) are removed at the next run, under the lock.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import re
import shutil
import socket
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from safi_map.core.atomic import TMP_MARK, write_file_atomic
from safi_map.core.errors import ConfigError, SafiMapError
from safi_map.core.i18n import _

__all__ = [
    "LOCK_WAIT", "MANIFEST_NAME", "BuildFolderBusyError", "OutputFolderError", "build_folder",
    "check_build_folder", "check_replaceable", "claim_outputs", "clean_leftovers",
    "read_manifest", "record_folder_files",
]

log = logging.getLogger(__name__)

MANIFEST_NAME = ".safi-map-manifest.json"
LOCK_NAME = ".safi-map.lock"
LOCK_INFO_NAME = ".safi-map.lock.json"
LOCK_WAIT = 10.0
"""Seconds a run waits for another run on the same build folder before it stops."""
_MANIFEST_FORMAT = 1
_OWN_FILES = frozenset({MANIFEST_NAME, LOCK_NAME, LOCK_INFO_NAME})
_NOTES = frozenset({"readme", "readme.md", "readme.txt", ".gitignore", ".gitkeep"})
"""Files that describe a folder (the repository's ``build/README.md``): tolerated, never touched."""
_OLD_MARK = ".safi-old-"
# Staging and backup folders of the site writer before TMP_MARK existed: ".site.tmp-k3j9x2a1".
_LEGACY = re.compile(r"^\.(?P<base>.+)\.(?:tmp|old)-[a-z0-9_]{8}\Z")
_LISTED_MAX = 8


class OutputFolderError(ConfigError):
    """The output folder cannot be used without risking files the tool did not write."""


class BuildFolderBusyError(SafiMapError, RuntimeError):
    """Another run of the tool holds the build folder."""


# -- the manifest ----------------------------------------------------------------------------
def read_manifest(folder: Path | str) -> dict[str, Any]:
    """The manifest of ``folder``: ``{"outputs": [names], "folders": {name: [files]}}``.

    None recorded (or an unreadable manifest, which is logged): nothing is the tool's.
    """
    path = Path(folder) / MANIFEST_NAME
    empty: dict[str, Any] = {"format": _MANIFEST_FORMAT, "outputs": [], "folders": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return empty
    except (OSError, ValueError) as exc:
        log.warning(_("{file} is unreadable ({error}): nothing in {folder} is taken for "
                      "safi-map's own output").format(file=path, error=exc, folder=path.parent))
        return empty
    if (not isinstance(data, dict) or not isinstance(data.get("outputs"), list)
            or not isinstance(data.get("folders"), dict)):
        log.warning(_("{file} is not a safi-map manifest: nothing in {folder} is taken for "
                      "safi-map's own output").format(file=path, folder=path.parent))
        return empty
    return data


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    manifest["format"] = _MANIFEST_FORMAT
    manifest["outputs"] = sorted(set(manifest["outputs"]))
    write_file_atomic(folder / MANIFEST_NAME,
                      json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=0) + "\n")


def claim_outputs(folder: Path | str, names: Iterable[str]) -> None:
    """Record ``names`` (entries of ``folder``) as the tool's outputs before they are written.

    Refuses (:class:`OutputFolderError`) a name that exists but was not written by the tool:
    writing it would replace somebody's file.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    owned = set(manifest["outputs"])
    wanted = [n for n in names if n not in owned]
    if not wanted:
        return
    foreign = [n for n in wanted if os.path.lexists(folder / n)]
    if foreign:
        raise OutputFolderError(_foreign_message(folder, foreign))
    folder.mkdir(parents=True, exist_ok=True)
    manifest["outputs"] = [*owned, *wanted]
    _write_manifest(folder, manifest)


def record_folder_files(folder: Path, files: Iterable[str]) -> None:
    """Record the files (relative POSIX paths) of the output folder ``folder`` (a site), which
    the tool may replace as a whole from now on; ``folder`` itself is claimed too."""
    parent = folder.parent
    manifest = read_manifest(parent)
    manifest["outputs"] = sorted({*manifest["outputs"], folder.name})
    manifest["folders"][folder.name] = sorted(set(files))
    parent.mkdir(parents=True, exist_ok=True)
    _write_manifest(parent, manifest)


# -- checks ----------------------------------------------------------------------------------
def _listing(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:_LISTED_MAX])
    if len(names) > _LISTED_MAX:
        shown += " " + _("and {n} more").format(n=len(names) - _LISTED_MAX)
    return shown


_KNOWN_OUTPUTS = frozenset({"actors.gpkg", "actors.geojson", "actors.csv", "ingest-report.json",
                            "changes.json", "site", "cache", "geocode-cache.sqlite"})


def _foreign_message(folder: Path, names: list[str]) -> str:
    message = _("The output folder {folder} holds things that safi-map did not write: {names}. "
                "safi-map never replaces nor deletes what it did not write: choose a new or "
                "empty folder with --out, or move these items away.").format(
                    folder=folder, names=_listing(sorted(names)))
    if set(names) <= _KNOWN_OUTPUTS:
        message += " " + _earlier_version_hint()
    return message


def _earlier_version_hint() -> str:
    return _("(They look like the outputs of an earlier version of safi-map, which kept no "
             "list of what it wrote: if so, delete them and build again.)")


def is_leftover(name: str, owned: Iterable[str] = ()) -> bool:
    """Whether ``name`` (an entry of a build folder) is a temporary file or folder of the tool
    that a killed run left behind (``owned``: the folder's recorded outputs)."""
    if name.startswith(".") and (TMP_MARK in name or _OLD_MARK in name):
        return True
    legacy = _LEGACY.match(name)
    return bool(legacy and legacy["base"] in set(owned))


def _foreign_entries(folder: Path, owned: set[str], extra: set[str]) -> list[str]:
    foreign = []
    for name in sorted(os.listdir(folder)):
        if (name in owned or name in extra or name in _OWN_FILES or name.casefold() in _NOTES
                or is_leftover(name, owned)):
            continue
        foreign.append(name)
    return foreign


def check_replaceable(folder: Path, *, files: bool = True) -> None:
    """Refuse to replace the output folder ``folder`` (a site) unless the tool can do it
    without losing anything: absent, or a plain folder (not a link, not a mount point) whose
    files are all recorded as written by the tool (``files=False``: not listed, for a check
    repeated shortly after a full one)."""
    if folder.is_symlink():
        raise OutputFolderError(_(
            "{folder} is a symbolic link: safi-map replaces its output folder as a whole and "
            "will not replace what the link points to. Remove the link (safi-map then writes "
            "a plain folder there) and copy the site to where it is published.").format(
                folder=folder))
    if not folder.exists():
        return
    if not folder.is_dir():
        raise OutputFolderError(_("{folder} exists and is not a folder: move it away or choose "
                                  "another --out.").format(folder=folder))
    if os.path.ismount(folder):
        raise OutputFolderError(_(
            "{folder} is a mount point: safi-map replaces its output folder as a whole, which "
            "is not possible there. Choose another --out and copy the site to where it is "
            "published.").format(folder=folder))
    if not files:
        return
    listed = read_manifest(folder.parent)["folders"].get(folder.name)
    known = set(listed) if isinstance(listed, list) else set()
    foreign: list[str] = []
    for root, dirs, names in os.walk(folder):
        rel_root = Path(root).relative_to(folder)
        for name in [*names, *(d for d in dirs if os.path.islink(os.path.join(root, d)))]:
            rel = (rel_root / name).as_posix()
            if rel not in known:
                foreign.append(rel)
        if not dirs and not names and root != str(folder):
            foreign.append(rel_root.as_posix() + "/")
    if foreign:
        message = _(
            "The site folder {folder} holds files that safi-map did not write: {names}. They "
            "would be lost when the site is replaced: move them away, or choose another "
            "--out.").format(folder=folder, names=_listing(sorted(foreign)))
        if listed is None and (folder / "index.html").is_file():
            message += " " + _earlier_version_hint()
        raise OutputFolderError(message)


def _data_folders(settings: Any) -> list[Path]:
    """The folders the tool reads from: the survey folders, and the folder of the tour,
    themes and corrections files (``data/``) unless it is the project's own folder."""
    project = (settings.config_path.parent if settings.config_path else Path.cwd()).resolve()
    found = [(p if p.is_dir() or p.suffix == "" else p.parent).resolve()
             for p in settings.surveys]
    for file in (settings.tour, settings.taxonomy, settings.corrections):
        parent = Path(file).resolve().parent
        if parent != project:
            found.append(parent)
    return sorted(set(found))


def check_output_file(settings: Any, output: Path | str) -> None:
    """Refuse an output file (``export -o``, ``geocode -o``) that the next build would read as a
    survey: one inside a survey folder, or a survey file itself."""
    target = Path(output).resolve()
    for survey in settings.surveys:
        path = Path(survey).resolve()
        folder = path.is_dir() or (path.suffix == "" and not path.is_file())
        if target == path or (folder and path in target.parents):
            raise OutputFolderError(_(
                "{output} is among the surveys ({surveys}): the next build would read it as a "
                "survey and count its actors twice. Write it elsewhere, for example "
                "-o {example}.").format(output=target, surveys=path,
                                        example=Path("build") / target.name))


def check_build_folder(settings: Any, *, contents: bool = True) -> None:
    """Refuse an output folder (``settings.out``) the tool cannot use safely: inside the data
    it reads, holding things it did not write, or with a site folder it cannot replace
    (``contents=False``: only where it lies)."""
    out = Path(settings.out).resolve()
    for data in _data_folders(settings):
        if out == data or data in out.parents:
            raise OutputFolderError(_(
                "The output folder {folder} is inside {data}, which safi-map reads: the next "
                "build would read its own outputs. Choose an output folder outside it (for "
                "example --out build).").format(folder=out, data=data))
    if not os.path.lexists(out):
        return
    if not contents:
        check_replaceable(out / "site", files=False)
        return
    if not out.is_dir():
        raise OutputFolderError(_("{folder} exists and is not a folder: move it away or choose "
                                  "another --out.").format(folder=out))
    check_replaceable(out / "site")  # first: its message says more than "holds 'site'"
    owned = set(read_manifest(out)["outputs"])
    cache = Path(settings.cache).resolve()
    extra = ({cache.name + s for s in ("", "-wal", "-shm", "-journal")}
             if cache.parent == out else set())
    foreign = _foreign_entries(out, owned, extra)
    if foreign:
        raise OutputFolderError(_foreign_message(out, foreign))


def clean_leftovers(folder: Path | str) -> int:
    """Remove what killed runs of the tool left in ``folder`` and its ``cache`` (temporary
    files, staging and backup site folders); how many. Call it only under the lock."""
    folder = Path(folder)
    owned = read_manifest(folder)["outputs"]
    removed = 0
    places = [folder]
    if "cache" in owned and (folder / "cache").is_dir():
        places.append(folder / "cache")
        places += [p for p in (folder / "cache").iterdir() if p.is_dir() and not p.is_symlink()]
    for place in places:
        with os.scandir(place) as entries:
            names = [e.name for e in entries]
        for name in names:
            if not is_leftover(name, owned if place == folder else ()):
                continue
            path = place / name
            try:
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed += 1
            except OSError as exc:
                log.debug("could not remove the leftover %s: %s", path, exc)
    if "cache" in owned:
        removed += _remove_retired_caches(folder / "cache")
    if removed:
        log.info("removed %d leftover(s) of interrupted runs in %s", removed, folder)
    return removed


_RETIRED_CACHES = {"geocode-index": re.compile(r"^index-[0-9a-f]{32}\.(pkl|tmp)\Z"),
                   "templates": re.compile(r"^__jinja2_[0-9a-f]{40}\.cache\Z")}
"""Caches of earlier versions that loaded code (pickles, Jinja2 bytecode): removed when they
hold nothing else."""


def _remove_retired_caches(cache: Path) -> int:
    removed = 0
    for name, pattern in _RETIRED_CACHES.items():
        folder = cache / name
        if not folder.is_dir() or folder.is_symlink():
            continue
        entries = list(folder.iterdir())
        if all(pattern.match(e.name) and e.is_file() for e in entries):
            for entry in entries:
                entry.unlink(missing_ok=True)
            folder.rmdir()
            removed += 1
    return removed


# -- one run at a time -----------------------------------------------------------------------
def _holder(folder: Path) -> str:
    """Who holds the lock of ``folder``, for the message (as its info file says)."""
    try:
        info = json.loads((folder / LOCK_INFO_NAME).read_text(encoding="utf-8"))
        return _("safi-map {command} (process {pid} on {host}, started at {started})").format(
            command=info["command"], pid=info["pid"], host=info["host"],
            started=info["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return _("another safi-map")


@contextmanager
def build_folder(settings: Any, *, command: str = "build",
                 wait: float | None = None) -> Iterator[Path]:
    """Hold the build folder ``settings.out`` for one run: checked, locked, cleaned.

    A second run on the same folder waits up to ``wait`` seconds (:data:`LOCK_WAIT`), then raises
    :class:`BuildFolderBusyError` naming the process at work. The lock is released when the
    block ends (and by the system if the process dies).
    """
    from filelock import FileLock, Timeout

    wait = LOCK_WAIT if wait is None else wait
    out = Path(settings.out).resolve()
    # Checked before the lock file is made (nothing is created in a folder that is refused),
    # except while another run is at work there: its outputs may appear between the reading
    # of the manifest and the listing; then the contents are checked under the lock only.
    check_build_folder(settings, contents=not (out / LOCK_INFO_NAME).exists())
    lock = FileLock(str(out / LOCK_NAME))
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except Timeout:  # (a TimeoutError, so an OSError: caught first)
        log.warning(_("{holder} is working in {folder}; waiting up to {seconds:.0f} s…").format(
            holder=_holder(out), folder=out, seconds=wait))
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise BuildFolderBusyError(_(
                "{holder} is working in {folder}. Wait until it has finished, then run the "
                "command again.").format(holder=_holder(out), folder=out)) from None
    except OSError as exc:  # read-only, no permission, not a folder on the way
        raise OutputFolderError(_("Cannot write in the output folder {folder}: {error}").format(
            folder=out, error=exc.strerror or exc)) from None
    try:
        started = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
        write_file_atomic(out / LOCK_INFO_NAME, json.dumps({
            "command": command, "pid": os.getpid(), "host": socket.gethostname(),
            "started": started, "argv": sys.argv[1:]}, ensure_ascii=False) + "\n")
        check_build_folder(settings)  # again: another run may have changed it meanwhile
        clean_leftovers(out)
        yield out
    finally:
        try:
            (out / LOCK_INFO_NAME).unlink(missing_ok=True)
        finally:
            lock.release()

"""One writer for every file of a build: staged in a temporary folder, swapped in atomically.

Why: a site is hundreds to tens of thousands of files. A build that fails half-way (bad data, a
full disk, Ctrl-C) must not leave a half-written site where the old one was, and two pages that
claim the same path (two communes slugging to one name, say) are a bug to report, not a file to
silently overwrite. This follows pelican's ``writers.py`` discipline.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from types import TracebackType

from safi_map.core.atomic import (
    TMP_MARK,
    StagedFiles,
    atomic_path,
    copy_file_atomic,
    write_file_atomic,
)
from safi_map.core.i18n import _
from safi_map.core.outdir import check_replaceable, read_manifest, record_folder_files

__all__ = ["TMP_MARK", "DuplicatePathError", "StagedFiles", "Writer", "atomic_path",
           "copy_file_atomic", "write_file_atomic"]

logger = logging.getLogger(__name__)

class DuplicatePathError(ValueError):
    """Two outputs of one build claim the same path."""


class Writer:
    """Write a tree of files under ``out_dir`` as one all-or-nothing operation.

    Use as a context manager::

        with Writer(Path("build/site")) as w:
            w.write_text("index.html", html)

    Files go to a temporary sibling folder of ``out_dir`` (same file system, so the final
    ``rename`` is atomic). On a clean exit the previous ``out_dir`` is renamed to a backup, the
    new folder renamed to ``out_dir`` and the backup deleted; on any exception, including
    ``KeyboardInterrupt``, the temporary folder is removed and ``out_dir`` is left untouched.

    Paths are relative POSIX paths (``"communes/13055-marseille.html"``); absolute paths and
    ``..`` are refused so nothing escapes the site. Writing a path twice, or two paths that
    differ only by case (they collide on macOS and Windows hosts), raises
    :class:`DuplicatePathError`.
    """

    def __init__(self, out_dir: Path | str) -> None:
        self.out_dir = Path(out_dir)
        self._tmp: Path | None = None
        self._written: dict[str, str] = {}  # casefolded path -> path as written
        self._dirs: set[str] = set()  # folders already created under the staging folder
        self._detached = False
        self.bytes_written = 0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Writer:
        check_replaceable(self.out_dir)  # before any work: a folder we may not replace
        parent = self.out_dir.resolve().parent
        parent.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix=f".{self.out_dir.name}{TMP_MARK}", dir=parent))
        logger.debug("staging build in %s", self._tmp)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()

    @property
    def staging_dir(self) -> Path:
        """The temporary folder being written (only while the writer is open)."""
        if self._tmp is None:
            raise RuntimeError(_("the writer is not open: use it as a context manager"))
        return self._tmp

    def abort(self) -> None:
        """Drop everything written so far; the previous output stays as it was."""
        if self._detached:
            raise RuntimeError(_("a detached writer cannot abort the build"))
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            logger.info("build aborted; %s left unchanged", self.out_dir)
            self._tmp = None

    def commit(self) -> None:
        """Swap the staged folder in place of ``out_dir`` (rename old -> backup, new -> out)."""
        if self._detached:
            raise RuntimeError(_("a detached writer cannot commit the build"))
        tmp = self.staging_dir
        out = self.out_dir.resolve()
        try:
            check_replaceable(out, files=False)  # again (link, mount) after the build
        except BaseException:
            self.abort()
            raise
        # The manifest lists the files of both sites while they swap (a run killed between the
        # two renames leaves only recorded files), then those of the new one.
        before = read_manifest(out.parent)["folders"].get(out.name) or []
        record_folder_files(out, [*before, *self._written.values()])
        backup: Path | None = None
        if out.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.safi-old-", dir=out.parent))
            backup.rmdir()  # only reserve the name; rename needs it free
            os.replace(out, backup)
        try:
            os.replace(tmp, out)
        except BaseException:
            if backup is not None:
                os.replace(backup, out)
            self.abort()
            raise
        self._tmp = None
        # The staging folder was made by mkdtemp (mode 0700): give the site usual permissions.
        out.chmod(0o755)
        record_folder_files(out, self._written.values())
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
        logger.info("wrote %d files to %s", len(self._written), out)

    # -- writing ---------------------------------------------------------------------------
    @property
    def paths(self) -> list[str]:
        """Every relative path written so far, sorted."""
        return sorted(self._written.values())

    def _register(self, rel: str | PurePosixPath) -> tuple[str, list[str]]:
        """Register ``rel``; returns it normalised and as parts (parent folder created)."""
        parts = rel.split("/") if isinstance(rel, str) else []
        if not parts or any(p in ("", ".", "..") or "\\" in p for p in parts):
            # Not a plain "a/b.html": let PurePosixPath normalise it ("./a", "a//b"), or refuse.
            rel_path = PurePosixPath(rel)
            if rel_path.is_absolute() or ".." in rel_path.parts or not rel_path.parts:
                raise ValueError(
                    _("output path must be relative and stay inside the site: {rel!r}").format(
                        rel=str(rel)))
            parts = list(rel_path.parts)
        norm = "/".join(parts)
        folded = norm.casefold()
        if folded in self._written:
            raise DuplicatePathError(
                f"two outputs claim the same path {norm!r}"
                + (f" (already written as {self._written[folded]!r})"
                   if self._written[folded] != norm else "")
            )
        self._written[folded] = norm
        parent = "/".join(parts[:-1])
        if parent not in self._dirs:
            self.staging_dir.joinpath(*parts[:-1]).mkdir(parents=True, exist_ok=True)
            self._dirs.add(parent)
        return norm, parts

    def _claim(self, rel: str | PurePosixPath) -> Path:
        """Register ``rel`` and return its absolute staging path (parents created)."""
        return self.staging_dir.joinpath(*self._register(rel)[1])

    def write_bytes(self, rel: str, data: bytes) -> Path:
        target = self._claim(rel)
        with open(target, "wb") as fh:
            fh.write(data)
        self.bytes_written += len(data)
        return target

    def write_chunks(self, rel: str, chunks: Iterable[str]) -> Path:
        """Write UTF-8 text given in pieces (a large file never held whole in memory)."""
        target = self._claim(rel)
        with open(target, "wb") as fh:
            for chunk in chunks:
                data = chunk.encode("utf-8")
                fh.write(data)
                self.bytes_written += len(data)
        return target

    def write_text(self, rel: str, text: str) -> Path:
        """Write UTF-8 text with ``\\n`` line ends whatever the platform."""
        return self.write_bytes(rel, text.encode("utf-8"))

    def copy_file(self, rel: str, src: Path | str) -> Path:
        target = self._claim(rel)
        shutil.copyfile(src, target)
        self.bytes_written += target.stat().st_size
        return target

    def claim(self, rel: str) -> Path:
        """Reserve ``rel`` for a file that a library writes itself (e.g. GDAL); return its path."""
        return self._claim(rel)

    def adopt(self, path: Path) -> str:
        """Register a file that was already written inside the staging folder by other code
        (e.g. ``maps.copy_assets``); returns its relative path.
        """
        rel = Path(path).resolve().relative_to(self.staging_dir.resolve()).as_posix()
        folded = rel.casefold()
        if folded in self._written:
            raise DuplicatePathError(_("two outputs claim the same path {rel!r}").format(rel=rel))
        self._written[folded] = rel
        self.bytes_written += Path(path).stat().st_size
        return rel

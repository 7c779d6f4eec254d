"""Writing a file so that a reader sees the old one or the new one, never a part.

Why: a file written in place and interrupted (Ctrl-C, a killed process, a full disk) is left
truncated, and every later run that reads it fails. Every file the tool writes goes through
:func:`atomic_path` (or :class:`StagedFiles`, for files put in place together); the site writer
(:mod:`safi_map.core.writer`) builds on the same temporary-name mark.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["TMP_MARK", "StagedFiles", "atomic_path", "copy_file_atomic", "write_file_atomic"]

TMP_MARK = ".safi-tmp-"
"""In the name of every temporary file the tool makes (``.actors.gpkg.safi-tmp-k3j9x2a1.gpkg``):
how :func:`safi_map.core.outdir.clean_leftovers` knows a killed run's leftovers for its own."""


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


_FILE_MODE = _default_mode()


class StagedFiles:
    """Files written beside their final paths under temporary names, renamed into place
    together by :meth:`commit` (in the order they were staged) or dropped by :meth:`discard`.

    Why: a run killed while writing must leave every previous file whole; and some files belong
    together (the ingest outputs are the base the next build compares itself with: they are
    put in place only once the site showing that comparison is). A temporary name carries
    :data:`TMP_MARK`, so what a killed run leaves is recognised and removed by the next run.
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path]] = []  # (temporary, final)

    def __len__(self) -> int:
        return len(self._staged)

    @property
    def finals(self) -> list[Path]:
        return [final for _, final in self._staged]

    def path(self, final: Path | str) -> Path:
        """A new empty temporary file beside ``final`` (same suffix), to write in any way.

        A ``final`` that is a symbolic link is written through: the file it points to is
        replaced, the link kept.
        """
        final = Path(final)
        if final.is_symlink():
            final = final.resolve()
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{final.name}{TMP_MARK}", suffix=final.suffix,
                                    dir=final.parent)
        os.close(fd)
        self._staged.append((Path(name), final))
        return Path(name)

    def commit(self) -> list[Path]:
        """Flush every file to disk, then rename each over its final path; the final paths.

        Each new file gets the mode of the file it replaces, or the usual mode of new files.
        """
        try:
            for tmp, final in self._staged:
                try:
                    mode = final.stat().st_mode & 0o7777
                except FileNotFoundError:
                    mode = _FILE_MODE
                os.chmod(tmp, mode)
                with open(tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
            for tmp, final in self._staged:
                os.replace(tmp, final)
        except BaseException:
            self.discard()
            raise
        finals = self.finals
        self._staged = []
        return finals

    def discard(self) -> None:
        """Remove the temporary files; the final paths stay as they were."""
        for tmp, _final in self._staged:
            tmp.unlink(missing_ok=True)
        self._staged = []


@contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """A temporary path beside ``path`` that replaces ``path`` in one ``rename`` on success.

    Why: a file written in place and interrupted (Ctrl-C, a killed process, a full disk) is
    left truncated, and every later run that reads it fails. Write to the yielded path (with
    any library: GDAL, pandas, ``open``); when the block ends without an exception the file is
    flushed to disk and renamed over ``path``, so readers see the old file or the new one,
    never a part. On an exception the temporary file is removed and ``path`` is untouched.
    See :class:`StagedFiles` (the temporary file exists, empty, and keeps ``path``'s suffix;
    a symbolic link is written through; the mode of the replaced file is kept).
    """
    staged = StagedFiles()
    tmp = staged.path(path)
    try:
        yield tmp
    except BaseException:
        staged.discard()
        raise
    staged.commit()


def write_file_atomic(path: Path | str, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text is encoded with ``encoding``, line ends kept as given) to ``path``
    atomically (see :func:`atomic_path`): the one way the tool writes a single file."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return path


def copy_file_atomic(source: Path | str, path: Path | str) -> Path:
    """Copy ``source`` to ``path`` atomically (contents and modification time)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        shutil.copyfile(source, tmp)
        shutil.copystat(source, tmp)
    return path

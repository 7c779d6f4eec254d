"""Which tour stop each survey row belongs to, and what a file's rows ask of the tour.

:func:`bind_stops` gives each row its stops: the file's binding in ``tour.toml``, else the
row's stop column, else a stop id or date in the file name. It only ever asks the tour three
questions — which stop lists this file, which stop the file name names, which stop a cell names
— so the rows of a file depend on the tour through those answers alone.

That is what lets the per-file ingest cache survive a new stop (``safi-map add-stop`` rewrites
``tour.toml`` at every stop): a file's :class:`StopQuestions` are kept with its cached rows, and
the rows are reused as long as the new tour gives the same :meth:`StopQuestions.answers`; a
change that matters to the file (a stop renamed, a second stop on the file's date) redoes it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from safi_map.core.cells import by_unique
from safi_map.core.i18n import _
from safi_map.core.text import key
from safi_map.model.tour import Stop, Tour

__all__ = ["StopQuestions", "bind_stops"]

_STOP_SPLIT = re.compile(r"\s*(?:[;,|\n]|\s+et\s+)\s*")


class _Issues(Protocol):
    def column(self, field: str) -> str | None: ...

    def add(self, i: int, code: str, message: str, column: str | None, value: str) -> None: ...


def _table_path(table: Any, file: str) -> str | Path:
    path = getattr(table, "path", None)
    return path if path is not None else file


def _file_stops(tour: Tour, path: str | Path, file: str) -> tuple[Stop | None, Stop | None]:
    """(the stop ``tour.toml`` binds the file to, the stop its name names)."""
    configured = tour.configured_stop(path) if len(tour) else None
    if configured is None and len(tour) and file:
        configured = tour.configured_stop(file)
    named = tour.stop_from_file_name(file) if len(tour) and file else None
    return configured, named


def _cell_stops(tour: Tour, cell: str) -> tuple[list[str], list[str]]:
    """(ids of the stops a stop cell names, the parts of it that name no stop)."""
    if not key(cell):
        return [], []
    whole = tour.match_stop(cell)
    if whole is not None:
        return [whole.id], []
    found: list[str] = []
    unknown: list[str] = []
    for part in _STOP_SPLIT.split(cell):
        if not key(part):
            continue
        stop = tour.match_stop(part)
        if stop is None:
            unknown.append(part)
        elif stop.id not in found:
            found.append(stop.id)
    return found, unknown


def bind_stops(table: Any, tour: Tour, cells: list[str], files: list[str],
               issues: _Issues) -> list[list[str]]:
    """Stop ids of each row: the file's tour.toml binding, else the row's stop column, else a
    stop id in the file name. Conflicts and unknown stops become warnings in ``issues``."""
    by_file: dict[str, tuple[Stop | None, Stop | None]] = {}
    column = issues.column("stop")
    matched = by_unique(cells, lambda cell: _cell_stops(tour, cell))
    out: list[list[str]] = []
    for i, (cell, (found, unknown)) in enumerate(zip(cells, matched, strict=True)):
        file = files[i]
        if file not in by_file:
            by_file[file] = _file_stops(tour, _table_path(table, file), file)
        configured, named = by_file[file]
        if configured is not None:
            others = [s for s in found if s != configured.id]
            if others:
                issues.add(i, "stop.conflict",
                           _("the file is bound to stop {id!r} in the tour file; ignored {x1}"
                             ).format(id=configured.id, x1=', '.join(map(repr, others))),
                           column, cell)
            out.append([configured.id])
            continue
        for value in unknown:
            issues.add(i, "stop.unknown", _("{value!r} is not a stop of the tour").format(
                                              value=value), column, cell)
        if found:
            out.append(list(found))
        elif named is not None:
            out.append([named.id])
        else:
            out.append([])
    return out


@dataclass(frozen=True)
class StopQuestions:
    """What a survey file's rows ask the tour: its tables' paths and file names, and its
    distinct stop cells. Same :meth:`answers` from two tours: same rows and warnings."""

    files: tuple[tuple[str, str], ...]
    """(the path the tour's binding is looked up with, the file name), once each."""
    cells: tuple[str, ...]

    @classmethod
    def of_tables(cls, tables: Sequence[Any]) -> StopQuestions:
        files: dict[tuple[str, str], None] = {}
        cells: dict[str, None] = {}
        for table in tables:
            frame = table.frame
            for file in (frame["_file"].astype(str).unique() if "_file" in frame.columns
                         else [""]):
                files[(str(_table_path(table, file)), file)] = None
            if "stop" in frame.columns:
                for cell in frame["stop"].dropna().astype(str).unique():
                    cells[cell] = None
        return cls(tuple(files), tuple(sorted(cells)))

    def answers(self, tour: Tour) -> list[Any]:
        """The tour's answers, as JSON values (stop ids)."""
        def ident(stop: Stop | None) -> str | None:
            return None if stop is None else stop.id
        return [[[ident(s) for s in _file_stops(tour, path, file)] for path, file in self.files],
                [list(_cell_stops(tour, cell)) for cell in self.cells]]

    def to_json(self) -> dict[str, Any]:
        return {"files": [list(f) for f in self.files], "cells": list(self.cells)}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> StopQuestions:
        return cls(tuple((str(p), str(f)) for p, f in doc["files"]),
                   tuple(str(c) for c in doc["cells"]))

"""The file format of the ingest cache: one survey file's rows and report entries, as JSON.

Why JSON and not pickle: the cache lives in the build folder, and loading a pickle runs
whatever code the file names. Whoever can write in ``build/cache`` (a shared folder, a synced
drive, a CI artefact) would run code in the next build. JSON only ever gives back data.

The rows table is kept column by column with its dtype (numpy dtypes by their code,
pandas string dtypes by storage and missing value), so a table read back is the table written:
same columns, dtypes and values (JSON keeps ``NaN`` as Python's ``json`` writes it). A table
holding anything else than JSON values (and numpy numbers of numeric columns) is not cached.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from safi_map.core.atomic import write_file_atomic
from safi_map.core.i18n import current_language
from safi_map.core.settings import Settings
from safi_map.core.version import __version__
from safi_map.ingestion.report import Report, RowIssue
from safi_map.ingestion.result import FilePart
from safi_map.ingestion.stop_binding import StopQuestions
from safi_map.model.tour import Tour

__all__ = ["FORMAT", "PartCache", "decode_part", "encode_part"]

log = logging.getLogger(__name__)

FORMAT = 1


def _dtype_spec(dtype: Any) -> dict[str, Any] | None:
    if isinstance(dtype, np.dtype) and dtype.kind in "fiubO":
        return {"numpy": dtype.str}
    if isinstance(dtype, pd.StringDtype):
        na = dtype.na_value
        return {"string": dtype.storage,
                "na": "nan" if isinstance(na, float) and np.isnan(na) else "NA"}
    return None


def _dtype(spec: dict[str, Any]) -> Any:
    if "numpy" in spec:
        return np.dtype(spec["numpy"])
    na = np.nan if spec["na"] == "nan" else pd.NA
    return pd.StringDtype(storage=spec["string"], na_value=na)


def encode_part(rows: pd.DataFrame, report: Report, tour: dict[str, Any]) -> bytes | None:
    """The cache entry of one file's ``rows`` and ``report``; None if they cannot be kept.

    ``tour``: what the rows asked the tour and its answers (JSON values), checked when the
    entry is read back (:class:`PartCache`)."""
    if not isinstance(rows.index, pd.RangeIndex) or rows.index.start != 0 \
            or rows.index.step != 1 or not rows.columns.is_unique:
        return None
    columns = []
    for name in rows.columns:
        spec = _dtype_spec(rows[name].dtype)
        if spec is None or not isinstance(name, str):
            return None
        columns.append({"name": name, "dtype": spec, "values": rows[name].tolist()})
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(Report)}
    fields["issues"] = [issue.to_dict() for issue in report.issues]
    try:
        return json.dumps({"format": FORMAT, "length": len(rows), "columns": columns,
                           "report": fields, "tour": tour}, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):  # a value JSON does not hold: not cached
        return None


def decode_part(doc: Any) -> tuple[pd.DataFrame, Report]:
    """Read back what :func:`encode_part` wrote, parsed from JSON (ValueError, KeyError,
    TypeError if it is not such an entry)."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not an ingest cache entry of this format")
    n = int(doc["length"])
    data: dict[str, pd.Series] = {}
    index = pd.RangeIndex(n)
    for col in doc["columns"]:
        values = col["values"]
        if not isinstance(values, list) or len(values) != n:
            raise ValueError("column length")
        # (object columns: lists and dicts stay values, they are not spread into columns)
        data[col["name"]] = pd.Series(values, index=index, dtype=_dtype(col["dtype"]))
    frame = pd.DataFrame(data, index=index)
    fields = dict(doc["report"])
    fields["issues"] = [RowIssue(**issue) for issue in fields["issues"]]
    known = {f.name for f in dataclasses.fields(Report)}
    return frame, Report(**{k: v for k, v in fields.items() if k in known})


class PartCache:
    """Per-file cache of ingest parts, keyed by content hashes (see
    :func:`safi_map.ingestion.pipeline.ingest`): ``build/cache/<key>.json``.

    The tour is not in the key: ``tour.toml`` changes at every stop, and a file's rows depend
    on it only through the answers to its :class:`~safi_map.ingestion.stop_binding.StopQuestions`,
    kept in the entry and asked again of ``tour`` when it is read back.
    """

    VERSION = 5  # 5: the tour's answers (4: form-tool columns; 3: commune_former; 2: JSON)

    def __init__(self, settings: Settings, online: bool, *, tour: Tour,
                 enabled: bool = True) -> None:
        self.folder = settings.out / "cache"
        self.enabled = enabled
        self.hits = 0
        self.misses = 0
        self.used: set[str] = set()
        self._keys: dict[Path, str] = {}
        self.tour = tour
        h = hashlib.sha256()
        h.update(settings.taxonomy.read_bytes() if settings.taxonomy.is_file() else b"-")
        context: list[Any] = [self.VERSION, __version__, sorted(settings.columns.items()),
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

    def get(self, path: Path) -> FilePart | None:
        if not path.is_file():
            return None
        key = self._key(path)
        self.used.add(key)
        target = self.folder / f"{key}.json"
        if self.enabled and target.is_file():
            try:
                doc = json.loads(target.read_bytes().decode("utf-8"))
                questions = StopQuestions.from_json(doc["tour"]["questions"])
                if _as_json(questions.answers(self.tour)) != doc["tour"]["answers"]:
                    log.debug("%s: the tour's answers changed, redoing", path.name)
                else:
                    rows, report = decode_part(doc)
                    self.hits += 1
                    log.debug("%s: unchanged, reusing cached rows", path.name)
                    return FilePart(rows, report, questions)
            except (OSError, ValueError, KeyError, TypeError):  # stale or damaged: redo
                log.debug("%s: unreadable cache entry, redoing", path.name)
        self.misses += 1
        return None

    def put(self, path: Path, part: FilePart) -> None:
        if (not path.is_file() or part.questions is None
                or any(f.get("error") for f in part.report.files)):
            return
        tour = {"questions": part.questions.to_json(),
                "answers": _as_json(part.questions.answers(self.tour))}
        data = encode_part(part.rows, part.report, tour)
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


def _as_json(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))

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
import json
from typing import Any

import numpy as np
import pandas as pd

from safi_map.ingestion.report import Report, RowIssue

__all__ = ["FORMAT", "decode_part", "encode_part"]

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


def encode_part(rows: pd.DataFrame, report: Report) -> bytes | None:
    """The cache entry of one file's ``rows`` and ``report``; None if they cannot be kept."""
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
                           "report": fields}, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError):  # a value JSON does not hold: not cached
        return None


def decode_part(payload: bytes) -> tuple[pd.DataFrame, Report]:
    """Read back what :func:`encode_part` wrote (ValueError, KeyError, TypeError if it is not
    such an entry)."""
    doc = json.loads(payload.decode("utf-8"))
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

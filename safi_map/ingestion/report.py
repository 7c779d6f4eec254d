"""Row-level issues and the ingest report.

Every input row ends up published, merged into another row, or rejected; the report records
which, and every problem found on the way, naming the file, the row and the column.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Level", "Report", "RowIssue", "RowRef"]

Level = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class RowRef:
    """Where a row comes from.

    ``row`` is the line number a person sees in their spreadsheet: the header is row 1 (or the
    row it actually sits on), the first data row is row 2. ``sheet`` is empty for CSV files.
    """

    file: str
    row: int
    sheet: str = ""

    def __str__(self) -> str:
        where = f"{self.file}[{self.sheet}]" if self.sheet else self.file
        return f"{where}:{self.row}"


@dataclass(frozen=True)
class RowIssue:
    """One problem found in one cell (or row) of one survey.

    ``level`` "error" means the row was rejected; "warning" means it was kept (possibly after a
    repair that ``message`` describes). ``code`` is a stable machine-readable identifier such as
    ``"postcode.repaired"``.
    """

    level: Level
    code: str
    message: str
    file: str
    row: int
    column: str | None = None
    value: str | None = None
    sheet: str = ""

    @property
    def ref(self) -> RowRef:
        return RowRef(self.file, self.row, self.sheet)

    def __str__(self) -> str:
        col = f", column {self.column!r}" if self.column else ""
        val = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{self.ref}{col}: {self.level}: {self.message}{val}"

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "code": self.code, "message": self.message,
                "file": self.file, "row": self.row, "column": self.column, "value": self.value,
                "sheet": self.sheet}


@dataclass
class Report:
    """Everything that happened to the input rows during one ingest.

    ``rows_read`` counts data rows (blank lines are counted separately in ``blank_rows``);
    ``rejected`` maps the string form of a :class:`RowRef` to the reason it was rejected;
    ``merged`` maps a row that was folded into another record to that record's ``actor_id``.
    """

    files: list[dict[str, Any]] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    rows_read: int = 0
    blank_rows: int = 0
    rejected: dict[str, str] = field(default_factory=dict)
    merged: dict[str, str] = field(default_factory=dict)
    published: dict[str, str] = field(default_factory=dict)
    precision_counts: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        level: Level,
        code: str,
        message: str,
        ref: RowRef,
        column: str | None = None,
        value: object = None,
    ) -> RowIssue:
        issue = RowIssue(
            level=level,
            code=code,
            message=message,
            file=ref.file,
            row=ref.row,
            sheet=ref.sheet,
            column=column,
            value=None if value is None else str(value),
        )
        self.issues.append(issue)
        return issue

    def error(self, code: str, message: str, ref: RowRef, column: str | None = None,
              value: object = None) -> RowIssue:
        return self.add("error", code, message, ref, column, value)

    def warning(self, code: str, message: str, ref: RowRef, column: str | None = None,
                value: object = None) -> RowIssue:
        return self.add("warning", code, message, ref, column, value)

    def reject(self, ref: RowRef, reason: str) -> None:
        """Record that the row at ``ref`` is not published, and why."""
        self.rejected[str(ref)] = reason

    @property
    def errors(self) -> list[RowIssue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[RowIssue]:
        return [i for i in self.issues if i.level == "warning"]

    def column_checks(self) -> list[Any]:
        """The :class:`~safi_map.ingestion.columncheck.ColumnCheck` of every table read, in file order:
        columns found, form-tool columns, unread columns, missing fields, ``[columns]`` lines."""
        from safi_map.ingestion.columncheck import ColumnCheck

        return [ColumnCheck.from_dict(f.get("file", ""), f.get("sheet", "") or "",
                                      f["column_check"])
                for f in self.files if isinstance(f.get("column_check"), dict)]

    def counts_by_code(self) -> dict[str, int]:
        return dict(sorted(Counter(i.code for i in self.issues).items()))

    def summary(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "blank_rows": self.blank_rows,
            "published_rows": len(self.published),
            "merged_rows": len(self.merged),
            "rejected_rows": len(self.rejected),
            "actors": len(set(self.published.values())),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "precision": dict(sorted(self.precision_counts.items())),
        }

    def accounted_for(self) -> bool:
        """True when every data row read is published, merged or rejected, exactly once."""
        refs = [*self.published, *self.merged, *self.rejected]
        return len(refs) == len(set(refs)) == self.rows_read

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready, deterministic representation (sorted, no timestamps)."""
        issues = sorted(
            self.issues,
            key=lambda i: (i.file, i.sheet, i.row, i.column or "", i.code, i.message),
        )
        return {
            "summary": self.summary(),
            "files": self.files,
            "rejected": dict(sorted(self.rejected.items())),
            "merged": dict(sorted(self.merged.items())),
            "published": dict(sorted(self.published.items())),
            "issues": [i.to_dict() for i in issues],
            "issue_counts": self.counts_by_code(),
            **({"extra": self.extra} if self.extra else {}),
        }

"""How the columns of one survey table are read, multiple choices included.

Form tools give a multiple-choice question one column per option: ``Question [Option]``
(LimeSurvey, Google Forms grids), ``Question/Option`` = 1/0 beside the joined answer
(KoboToolbox), or the question over several columns with the options on the row below
(Framaforms, LimeSurvey). :func:`plan_columns` gives every column its role (a field, form-tool
metadata, an option of a list field, or unknown), :func:`merge_option_row` turns a row of
options into ``Question [Option]`` headers, and :func:`option_value` reads an option's cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from safi_map.core.text import key
from safi_map.ingestion.formtools import GOOGLE_EMAIL, RESPONDENT, detect_tool
from safi_map.ingestion.headers import LIST_FIELDS, match_key

__all__ = ["ColumnPlan", "merge_option_row", "option_value", "plan_columns"]

_BRACKET = re.compile(r"^(?P<q>.*\S)\s*\[(?P<o>[^\[\]]+)\]\s*\Z")
_TRUE = frozenset({"oui", "yes", "y", "x", "1", "vrai", "true", "coche", "checked", "selected",
                   "selectionne", "selectionnee", "ok", "o"})
_FALSE = frozenset({"non", "no", "n", "0", "faux", "false", "non selectionne",
                    "non selectionnee", "not selected", "non coche", "unchecked", "aucun"})


def option_value(cell: str, option: str) -> str:
    """What an option column's cell says: the option's label when ticked, ``""`` when not,
    and the cell's own text for anything else (an "Autre" option holds what was typed)."""
    k = key(cell)
    if not k or k in _FALSE:
        return ""
    if k in _TRUE or k == key(option):
        return option
    return cell


@dataclass
class ColumnPlan:
    """How the columns of one table are read.

    ``roles[i]`` is column i's field, :data:`META`, :data:`RESPONDENT` or None (unknown);
    ``options[i]`` the option label of a multiple-choice option column (its role is then the
    question's list field); ``covered[i]`` is True for a KoboToolbox joined answer whose
    options have their own columns (read through them).
    """

    tool: str
    roles: list[str | None]
    options: list[str | None]
    covered: list[bool]


def plan_columns(headers: Sequence[str], user: Mapping[str, str]) -> ColumnPlan:
    """Roles of a table's columns, with multiple-choice options recognised."""
    tool = detect_tool(headers)
    n = len(headers)
    roles: list[str | None] = [None] * n
    options: list[str | None] = [None] * n
    covered = [False] * n
    slashed: dict[str, list[int]] = {}
    # A multiple choice has several options: a lone "Vos besoins [facultatif]" is a question.
    bracketed = [m["q"].strip() for h in headers if h and (m := _BRACKET.match(h))]
    several = {q for q in bracketed if bracketed.count(q) >= 2}
    for i, header in enumerate(headers):
        if not header:
            continue
        if key(header) not in user:
            m = _BRACKET.match(header)
            if m and m["q"].strip() in several:
                role = match_key(m["q"], user, tool)
                if role in LIST_FIELDS:
                    roles[i], options[i] = role, m["o"].strip()
                    continue
            if "/" in header and not header.startswith(("meta/", "formhub/")):
                slashed.setdefault(header.rsplit("/", 1)[0].strip(), []).append(i)
        roles[i] = match_key(header, user, tool)
        if (i == 1 and tool == "google-forms" and key(header) in GOOGLE_EMAIL
                and key(header) not in user):
            roles[i] = RESPONDENT
    # KoboToolbox: "Question/Option" = 1/0, beside "Question" (the joined answer).
    by_header = {key(h): i for i, h in enumerate(headers) if h}
    for question, cols in slashed.items():
        joined = by_header.get(key(question))
        if len(cols) < 2 and joined is None:
            continue
        role = match_key(question, user, tool)
        if role not in LIST_FIELDS:
            continue
        for i in cols:
            roles[i], options[i] = role, headers[i].rsplit("/", 1)[1].strip()
        if joined is not None:
            covered[joined] = True
            roles[joined] = role
    return ColumnPlan(tool, roles, options, covered)


def merge_option_row(header: Sequence[str], below: Sequence[str],
                     user: Mapping[str, str]) -> list[str] | None:
    """Headers ``Question [Option]`` when ``below`` is a row of options under the questions.

    Framaforms and LimeSurvey can put a multiple-choice question over several columns (the
    question on its first column, the following ones blank or repeating it) and the options
    on the row below. Returns None when ``below`` is not such a row (then it is data).
    """
    tool = detect_tool(header)
    width = max(len(header), len(below))
    cells = [below[i] if i < len(below) else "" for i in range(width)]
    heads = [header[i] if i < len(header) else "" for i in range(width)]
    filled = [i for i, c in enumerate(cells) if c]
    if len(filled) < 2:
        return None
    spans: dict[int, str] = {}
    question = ""
    for i, head in enumerate(heads):
        if head and head != question:
            question = head if match_key(head, user, tool) in LIST_FIELDS else ""
            if not question:
                continue
        if question:
            spans[i] = question
    if not all(i in spans for i in filled):
        return None
    # Options sit under a question spread over several columns, not each under its own header
    # (that would be a data row without a name).
    if not any(not heads[i] or (i and heads[i] == heads[i - 1]) for i in filled):
        return None
    if any(key(cells[i]) in _TRUE or key(cells[i]) in _FALSE for i in filled):
        return None
    merged = list(heads)
    for i in filled:
        merged[i] = f"{spans[i]} [{cells[i]}]"
    return merged

"""French department names by INSEE code ("69" -> "Rhône"), for every department of France.

The names come from ISO 3166-2:FR as shipped by the maintained ``pycountry`` package, so a page
never shows a bare code for an actor outside the region (a department "69" reads "Rhône").
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

import pycountry

__all__ = ["DEPARTMENTS", "department_name"]

# ISO 3166-2:FR codes that are not "FR-" + the INSEE code: Paris and the Lyon metropolis are
# collectivities there (FR-75C, FR-69M); the Rhône department keeps FR-69.
_ISO_SUFFIXES = ("", "C")
_DEPARTMENT_TYPES = {"metropolitan department", "overseas departmental collectivity",
                     "overseas region", "metropolitan collectivity with special status",
                     "overseas unique territorial collectivity",
                     "european collectivity"}


@functools.cache
def _table() -> dict[str, str]:
    """INSEE department code -> name, for every department in ISO 3166-2:FR."""
    out: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code="FR") or ():
        code = sub.code.removeprefix("FR-")
        if sub.type.lower() not in _DEPARTMENT_TYPES:
            continue
        base = code[:-1] if code.endswith("C") and code[:-1].isdigit() else code
        if len(base) in (2, 3) and (base.isdigit() or base in ("2A", "2B")):
            out.setdefault(base, sub.name)
    return dict(sorted(out.items()))


def department_name(code: str) -> str:
    """The department's name ("13" -> "Bouches-du-Rhône"); an unknown code is returned as is."""
    code = str(code or "").strip()
    return _table().get(code.zfill(2) if code.isdigit() else code, code)


class _Departments(Mapping[str, str]):
    """Read-only mapping INSEE code -> department name (``.get(code, code)`` as a dict)."""

    def __getitem__(self, code: str) -> str:
        return _table()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(_table())

    def __len__(self) -> int:
        return len(_table())


DEPARTMENTS: Mapping[str, str] = _Departments()

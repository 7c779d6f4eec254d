"""Which of an actor's rows gives each merged value, where "the latest non-empty" is not enough.

The best-formed name
--------------------
Rows of one actor often spell its name differently: "Maison des Solidarités Varoises" at one
stop, "maison des solidarités  varoises" typed in a hurry at the next. The latest row still says
*which* name the actor goes by (a renamed structure takes its new name), but among the variants
of that name that differ only by case, accents, punctuation or spacing (the same
:func:`safi_map.core.text.key`), the best-formed one is published (see :func:`text_quality`); equally
good variants go to the most recent row, as every other field.

Consent is decided per contact value
------------------------------------
An actor's ``contact_consent`` is its latest answer (a later "non" withdraws an earlier "oui").
A contact value (email, phone, street address, and a point that shows the street address:
whatever :mod:`safi_map.model.public` treats as contact) is public only if the row that gave it
consented, or a later row consented *and* gave that same value again. The merge keeps each
column's latest value; when the actor consents but that value comes from a row that did not, the
value is left out of the merged record (a point goes back to its commune's), and the report says
which row and column (never the value) so the coordinator can ask the actor and confirm it with a
``[[set]]`` correction. An older value given with consent is not shown instead: the actor replaced
it. So every value of a consenting actor's record may be published, and the publication gate
(:func:`safi_map.model.public.public_actors`) is right by construction, in every output.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from safi_map.core.text import key
from safi_map.model.public import PRECISE_PRECISIONS

__all__ = ["CONTACT_COLUMNS", "Withheld", "actor_record", "best_formed", "consent_answer", "text_quality",
           "withhold_unconsented"]

CONTACT_COLUMNS: tuple[str, ...] = ("email", "phone")
"""Contact columns merged one by one (the street address goes with the location block)."""


@dataclass(frozen=True)
class Withheld:
    """A contact value left out of a consenting actor's record: row position and column."""

    position: int
    column: str


def consent_answer(value: object) -> bool | None:
    """A row's answer: True, False, or None when the row does not say (NaN, missing)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    return bool(value)


def _shows_street(precision: object, source: object) -> bool:
    return precision in PRECISE_PRECISIONS or (precision == "provided" and source == "survey")


def withhold_unconsented(
    record: dict[str, Any],
    *,
    latest_value: dict[str, int],
    block: int,
    consents: Sequence[bool | None],
) -> list[Withheld]:
    """Leave out of ``record`` (a consenting actor's) the contact values no consenting row gave.

    ``latest_value`` maps a contact column to the position of the latest row that gave the value
    the record holds (a later row giving the same value would be the latest one); ``block`` is
    the row the location columns come from. Blanked values become ``""``; a street-level point
    is marked ``record["_to_commune"] = True`` for the caller to move to its commune's point.
    """
    withheld = []
    for column, position in sorted(latest_value.items()):
        if record.get(column) and not consents[position]:
            record[column] = ""
            withheld.append(Withheld(position, column))
    if not consents[block]:
        if record.get("address"):
            record["address"] = ""
            withheld.append(Withheld(block, "address"))
        if _shows_street(record.get("geocode_precision"), record.get("geocode_source")):
            record["_to_commune"] = True
            if record.get("geocode_precision") == "provided":
                withheld.append(Withheld(block, "latitude"))
    return withheld


def text_quality(text: str) -> tuple[int, int, int]:
    """How well-formed ``text`` is, as a sortable tuple (higher is better).

    1. Casing: mixed case starting with a capital (3), other mixed case (2), all capitals (1,
       above lower case: short names in capitals are acronyms, and longer ones were recased by
       the reader), all lower case (0).
    2. Accented letters: variants of one key differ in accents only by omission ("Solidarites"
       for "Solidarités"), so more is better.
    3. Spacing: no doubled, leading or trailing spaces (1) or some (0).
    """
    letters = [c for c in text if c.isalpha()]
    upper = any(c.isupper() for c in letters)
    lower = any(c.islower() for c in letters)
    if upper and lower:
        casing = 3 if letters[0].isupper() else 2
    else:
        casing = 1 if upper or not letters else 0
    accents = sum(1 for c in letters if not c.isascii())
    spacing = int(" ".join(text.split()) == text)
    return casing, accents, spacing


def best_formed(texts: Sequence[str]) -> str:
    """The best-formed of ``texts`` (oldest first) that share the key of the latest one.

    Ties go to the latest; an empty sequence gives ``""``.

    >>> best_formed(["Maison des Solidarités Varoises", "maison des solidarités  varoises"])
    'Maison des Solidarités Varoises'
    >>> best_formed(["Les Jardins", "Les Jardins du Lac"])  # renamed: the latest name wins
    'Les Jardins du Lac'
    """
    if not texts:
        return ""
    wanted = key(texts[-1])
    variants = [(text_quality(t), pos, t) for pos, t in enumerate(texts) if key(t) == wanted]
    return max(variants)[2]


def actor_record(members: list[int], *, aid: str, values: dict[str, list[Any]],
                 filled: dict[str, list[bool]], located_rows: list[bool],
                 consents: list[bool | None], location_columns: Sequence[str],
                 ) -> tuple[dict[str, object], list[Withheld]]:
    """The record of one actor from its rows' positions (oldest first): each column of
    ``filled`` takes its latest non-empty value (the name: :func:`best_formed`), the
    ``location_columns`` come from the latest placed row, consent is the latest answer; and the
    contact values left out for want of consent (:func:`withhold_unconsented`)."""
    rec: dict[str, object] = {"actor_id": aid}
    picked: dict[str, int] = {}  # column -> position of the row its value comes from
    for col, full in filled.items():
        chosen = [i for i in members if full[i]]
        if chosen:
            picked[col] = chosen[-1]
            rec[col] = values[col][chosen[-1]]
        else:
            rec[col] = [] if col in ("themes", "needs", "offers") else ""
    if "name" in picked:
        rec["name"] = best_formed([str(values["name"][i]) for i in members if filled["name"][i]])
    located = [i for i in members if located_rows[i]]
    block = located[-1] if located else members[-1]
    for col in location_columns:
        rec[col] = values[col][block] if col in values else ""
    given = [c for c in (consents[i] for i in members) if c is not None]
    rec["contact_consent"] = given[-1] if given else False
    if not rec["contact_consent"]:  # nothing will be published: the record keeps every value
        return rec, []
    latest_value = {c: picked[c] for c in CONTACT_COLUMNS if c in picked}
    return rec, withhold_unconsented(rec, latest_value=latest_value, block=block,
                                     consents=consents)

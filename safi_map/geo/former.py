"""Former communes for the offline geocoder: names, postcodes and INSEE codes people still write.

Since 2015 hundreds of communes merged into communes nouvelles, became communes déléguées or
associées, or were renamed; surveys still name the commune people have always lived in
("Vars", "Louhans", "Eyguians"). The packaged table of former communes
(:func:`safi_map.geo.gazetteer.former_communes`) gives, for each old name and old INSEE code, the
commune (COG 2026) its territory lies in today. The geocoder (:mod:`safi_map.geo.offline`) asks it
after today's names and before any fuzzy match:

- with a postcode: the former names of the postcode's department. One commune of today: placed
  there. Several (two former "Fresnes" of the Aisne): the postcode chooses among them (an old
  postcode of the former commune, a postcode of today's commune, or the old or current INSEE
  code typed as postcode); if it does not, the row is *ambiguous*: never guessed, and no fuzzy
  match may place it either (the postcode alone still may, saying so);
- without a postcode (or one of another department): the former name across France; one
  commune of today, or only one in PACA: placed; several: ambiguous;
- a 5-digit code that is no postcode but an INSEE code, current or former: placed in today's
  commune.

Each placement says how (``Vars : commune déléguée de La Boixe``) and keeps the former name,
which the actor's page shows next to today's commune; filters, statistics and the diagnostic
count the actor in today's commune.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from safi_map.core.i18n import _
from safi_map.geo import derived, gazetteer
from safi_map.geo.gazetteer import PACA_DEPARTMENTS, commune_key, strip_article

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Former", "FormerIndex", "build_former_index", "place_by_code", "place_by_name",
           "sep"]

# Preferred row when one former name leads to the same commune by several links: what it is
# today first.
_LINK_ORDER = {"deleguee": 0, "associee": 1, "fusionnee": 2, "absorbee": 3, "renommee": 4,
               "ancien-code": 5}


class Former(NamedTuple):
    """One former commune, as the geocoder uses it."""

    old_code: str
    old_name: str
    group: str  # postcode group of the old department ("20" for Corsica)
    code: str  # today's commune
    link: str
    since: str  # first COG year without the old name, "" when unknown
    agree: frozenset[str]  # postcodes and codes that confirm it: old and today's postcodes, codes
    paca: bool
    population: int  # of today's commune: the order of candidates


@dataclass(frozen=True)
class FormerIndex:
    """Former communes by name key (with and without leading article) and by old INSEE code.

    Names equal to today's name of their commune (re-coded communes) are only in ``by_code``.
    Candidates for one key are distinct communes of today, PACA first, then most populated.
    """

    by_key: dict[str, tuple[Former, ...]]
    by_key2: dict[str, tuple[Former, ...]]
    by_code: dict[str, Former]  # old codes that are no code of today

    def candidates(self, key: str, key2: str) -> tuple[tuple[Former, ...], bool]:
        """Candidates for a name key, and whether they were found with the article ignored."""
        found = self.by_key.get(key)
        if found:
            return found, False
        found = self.by_key2.get(key2) if key2 else None
        return (found, True) if found else ((), False)


def _compute_former_keys() -> list[str]:
    """:func:`~safi_map.geo.gazetteer.commune_key` of every former commune's name, in the order
    of :func:`~safi_map.geo.gazetteer.former_communes` (shipped as derived data)."""
    return [commune_key(n) for n in gazetteer._former_communes()["ancien_nom"].tolist()]


def build_former_index(table: pd.DataFrame, keys: dict[str, str]) -> FormerIndex:
    """The index over :func:`~safi_map.geo.gazetteer.former_communes`.

    ``table`` is the gazetteer indexed by INSEE code, ``keys`` today's name key of each code.
    """
    frame = gazetteer._former_communes()
    codes = table.index.tolist()
    postcodes = dict(zip(codes, table["codes_postaux"].tolist(), strict=True))
    population = dict(zip(codes, table["population"].tolist(), strict=True))
    paca = dict(zip(codes, table["departement"].isin(PACA_DEPARTMENTS).tolist(), strict=True))
    rows: list[tuple[str, Former]] = []
    by_code: dict[str, Former] = {}
    old_keys: list[str] = derived.load("former-keys")
    if len(old_keys) != len(frame):  # pragma: no cover - the digest of the sources matched
        old_keys = _compute_former_keys()
    for old_code, old_name, dep, old_pcs, code, link, since, key in zip(
        *(frame[c].tolist() for c in ("ancien_code", "ancien_nom", "departement",
                                      "codes_postaux", "code_insee", "lien", "depuis")),
        old_keys, strict=True,
    ):
        agree = {p for p in (old_pcs + "|" + postcodes[code]).split("|") if p}
        former = Former(
            old_code=old_code,
            old_name=old_name,
            group=gazetteer.department_group(dep),
            code=code,
            link=link,
            since=since,
            agree=frozenset(agree | {old_code, code}),
            paca=paca[code],
            population=population[code],
        )
        if old_code not in postcodes:
            kept = by_code.get(old_code)
            if kept is None or _LINK_ORDER[link] < _LINK_ORDER[kept.link]:
                by_code[old_code] = former
        if key and key != keys[code]:
            rows.append((key, former))
    return FormerIndex(
        by_key=_grouped(rows, lambda k: k),
        by_key2=_grouped(rows, strip_article),
        by_code=by_code,
    )


def _grouped(rows: list[tuple[str, Former]], key_of: Callable[[str], str]
             ) -> dict[str, tuple[Former, ...]]:
    """key -> one candidate per commune of today (its best link), PACA then most populated."""
    best: dict[str, dict[tuple[str, str], Former]] = {}
    for key, former in rows:
        per_code = best.setdefault(key_of(key), {})
        slot = (former.group, former.code)
        kept = per_code.get(slot)
        if kept is None or (_LINK_ORDER[former.link], former.old_code) < (
            _LINK_ORDER[kept.link], kept.old_code
        ):
            per_code[slot] = former
    return {
        key: tuple(per_code.values()) if len(per_code) == 1 else tuple(
            sorted(per_code.values(), key=lambda f: (not f.paca, -f.population, f.code, f.group)))
        for key, per_code in best.items()
    }


class _Placements:
    """Placements found by one stage, handed to the geocoder's pairs in one call."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.codes: list[str] = []
        self.scores: list[float] = []
        self.reasons: list[str] = []
        self.formers: list[str] = []

    def add(self, pid: int, former: Former, score: float, reason: str) -> None:
        self.ids.append(pid)
        self.codes.append(former.code)
        self.scores.append(round(score, 3))
        self.reasons.append(reason)
        self.formers.append(former.old_name)

    def apply(self, pairs: Any) -> None:
        pairs.set(self.ids, self.codes, self.scores, self.reasons)
        pairs.former[self.ids] = self.formers


def place_by_name(pairs: Any, todo: pd.DataFrame, index: FormerIndex, names: dict[str, str],
                  *, nationwide: bool, confirmed: bool = False) -> None:
    """Place the pairs of ``todo`` (columns pid, pc, group, key, key2, text) by a former name.

    ``nationwide`` False: only candidates of the postcode's department, or confirmed by the
    postcode. True: candidates across France (rows without a postcode, or whose postcode's
    department had none). ``confirmed``: only candidates the postcode confirms (an old or
    current postcode of theirs, or their code), which come before today's name with another
    postcode of the department. Pairs whose former name leads to several communes of today that the
    postcode does not tell apart are blocked with their reason: never guessed.
    """
    found = _Placements()
    for pid, pc, group, key, key2, text in zip(
        *(todo[c].tolist() for c in ("pid", "pc", "group", "key", "key2", "text")), strict=True
    ):
        candidates, loose = index.candidates(key, key2)
        if not nationwide:
            candidates = tuple(f for f in candidates if f.group == group or pc in f.agree)
        if not candidates:
            continue
        # The former commune of the row's department first, then what it is today.
        candidates = tuple(sorted(candidates, key=lambda f: (f.group != group,
                                                             _LINK_ORDER[f.link])))
        agreeing = _one_per_code(tuple(f for f in candidates if pc and pc in f.agree))
        if confirmed and not agreeing:
            continue
        pool = agreeing or _one_per_code(candidates)
        note = ""
        if len(pool) > 1 and nationwide and not agreeing:
            paca = tuple(f for f in pool if f.paca)
            if len(paca) == 1:
                pool = paca
                note = _("{n} communes of France had that name; chose the one in PACA").format(
                    n=len(candidates))
        if len(pool) > 1:
            pairs.blocked[pid] = True
            pairs.reason[pid] = ambiguous(text, pool, names)
            continue
        former = pool[0]
        reason = describe(former, names[former.code])
        if loose:
            reason += " " + _("(article ignored)")
        if agreeing:
            score = 0.95
            if len(_one_per_code(candidates)) > 1:
                note = _("the postcode chose it among {n} communes with that former name").format(
                    n=len(_one_per_code(candidates)))
        elif pc:
            note = sep().join(filter(None, (_("postcode {pc} is not one of its").format(pc=pc),
                                           note)))
            score = 0.85 if not nationwide else 0.7
        else:
            score = 0.75 if note else 0.9
        if note:
            reason += sep() + note
        found.add(pid, former, score * (0.95 if loose else 1.0), reason)
    found.apply(pairs)


def place_by_code(pairs: Any, todo: pd.DataFrame, index: FormerIndex, names: dict[str, str],
                  current: dict[str, str]) -> None:
    """Place pairs whose 5-digit "postcode" is no postcode but an INSEE code, current or former.

    ``current`` maps today's INSEE codes of communes to their name key: a commune name given
    with the code lowers the score when it is neither today's nor the former name.
    """
    found = _Placements()
    for pid, pc, key, text in zip(
        *(todo[c].tolist() for c in ("pid", "pc", "key", "text")), strict=True
    ):
        if pc in current:
            former = Former(pc, "", "", pc, "", "", frozenset(), False, 0)
            reason = _("{code} is not a postcode but the INSEE code of {current}").format(
                code=pc, current=names[pc])
            recognised = not key or key == current[pc]
        elif pc in index.by_code:
            former = index.by_code[pc]
            reason = _("{code} is not a postcode but the former INSEE code of {old}").format(
                code=pc, old=former.old_name)
            recognised = not key or key in (commune_key(former.old_name), current[former.code])
            if commune_key(former.old_name) == current[former.code]:
                former = former._replace(old_name="")  # a re-coded commune: no former name
            else:
                reason += sep() + describe(former, names[former.code])
        else:
            continue
        score = 0.8
        if not recognised:
            reason = _("commune name {text!r} not recognised; {reason}").format(
                text=text, reason=reason)
            score = 0.5
        found.add(pid, former, score, reason)
    found.apply(pairs)


def sep() -> str:
    """The separator between two parts of a geocoding reason (``; `` in English)."""
    # TRANSLATORS: between two parts of a reason; French typography puts a space before ";".
    return _("; ")


def _one_per_code(candidates: tuple[Former, ...]) -> tuple[Former, ...]:
    seen: set[str] = set()
    out = []
    for former in candidates:
        if former.code not in seen:
            seen.add(former.code)
            out.append(former)
    return tuple(out)


def describe(former: Former, current: str) -> str:
    """Why a former name leads to today's commune, for the report (French by default)."""
    values = {"old": former.old_name, "current": current}
    if former.link == "deleguee":
        return _("{old}: delegated commune of {current}").format(**values)
    if former.link == "associee":
        return _("{old}: associated commune of {current}").format(**values)
    if former.link == "fusionnee":
        return _("{old}: merged into {current}").format(**values)
    if former.link == "absorbee":
        return _("{old}: absorbed by {current}").format(**values)
    if former.since:
        return _("{old}: former name of {current}, renamed by the COG {year}").format(
            year=former.since, **values)
    return _("{old}: former name of {current}").format(**values)


def ambiguous(text: str, candidates: tuple[Former, ...], names: dict[str, str]) -> str:
    """The reason of a former name that leads to several communes of today."""
    listed = ", ".join(
        f"{names[f.code]} ({f.code})" for f in candidates[:4]
    ) + (", …" if len(candidates) > 4 else "")
    return _("{text!r} is a former name of several communes ({communes}): not chosen without "
             "a postcode that tells them apart").format(text=text, communes=listed)

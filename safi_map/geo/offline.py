"""Offline geocoder: survey rows to an official commune and a point, without the network.

The chain, per row (first success wins):

1. valid provided coordinates (inside France): kept as they are (precision ``provided``); the
   row still gets its commune, from its postcode and name, else from the PACA commune polygon
   the point falls in, else from the nearest commune point;
2. an arrondissement of Marseille, Lyon or Paris named by the text (``Marseille 8e``) or by the
   postcode (``Marseille`` + ``13008``);
3. postcode and name together: exact name key among the communes of the postcode, the same
   without leading article, a former name the postcode confirms (:mod:`.geocode_former`), the
   name among the communes of the postcode's department (a wrong postcode), a former name of
   that department, an INSEE code (current or former) typed as postcode, fuzzy among the
   communes of the postcode, then of the department when the postcode is unknown (a candidate
   whose postcode disagrees with a known one does not beat the placement by that postcode);
4. the name alone, nationwide (PACA first, then the most populated homonym), then a former name
   (one commune of today, or one in PACA);
5. the postcode alone (the most populated of the communes sharing it);
6. fuzzy name nationwide (PACA first) when there is no usable postcode;
7. nothing: precision ``none``, NaN coordinates, and the reason.

Exact names come before fuzzy ones, today's before former ones; a former name that several
communes of today had is chosen by the postcode, else left ambiguous: no fuzzy match places the
row (the postcode alone may, saying so). ``commune_former`` keeps the former name a row was
placed by.

Provided coordinates keep the named commune when it was found with a score of at least 0.8;
a weaker match (a postcode shared by several communes, a guess) yields to the point.

Commune-level results use the commune's point (its town hall, inside the commune) with precision
``municipality`` and source ``gazetteer``. A plain ``Marseille`` (or Lyon, Paris) without an
arrondissement postcode is the whole city (``13055``) at its town hall, score 0.8, with a reason:
the merge then groups its actors by city, not by arrondissement.

Scores: 1.0 exact (postcode and name, or a name unique in France); 0.95 article ignored; 0.9 a
postcode of a single commune; 0.85 right name, wrong postcode in the same department; up to 0.9
fuzzy within the postcode, 0.8 within the department, 0.75 in PACA; 0.7 right name, postcode of
another department; 0.5 most populated of a shared postcode, 0.3 when the name was not
recognised either; homonyms chosen by PACA (x0.85) or population (x0.6). Work is vectorized: every distinct (postcode, commune)
pair is resolved once, with pandas merges for the exact stages and a loop over the remaining
distinct pairs only for fuzzy matching, then mapped back to the rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from safi_map.core.i18n import _
from safi_map.geo import former as geocode_former
from safi_map.geo import gazetteer
from safi_map.geo.former import sep
from safi_map.geo.gazetteer import (
    ARRONDISSEMENT_CITIES,
    PACA_DEPARTMENTS,
    commune_key,
    strip_article,
)

__all__ = ["OUTPUT_COLUMNS", "geocode_offline"]

log = logging.getLogger(__name__)

#: Columns returned by :func:`geocode_offline`, in this order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "insee_code",
    "commune",
    "commune_former",
    "department",
    "epci",
    "epci_name",
    "latitude",
    "longitude",
    "geocode_precision",
    "geocode_source",
    "geocode_score",
    "geocode_reason",
)

# Minimum rapidfuzz ``ratio`` (0-100) on commune keys. Within one postcode the candidates are few,
# so a looser threshold is safe; across a department or the country a one-letter typo in a long
# name still scores above 90, while distinct real names rarely do.
_CUTOFF_POSTCODE = 75.0
_CUTOFF_DEPARTMENT = 85.0
_CUTOFF_NATIONAL = 88.0
# Named commune farther than this from provided coordinates: say so in the reason.
_FAR_KM = 25.0
# Provided coordinates keep the named commune only when it was found with this confidence.
_TRUST_NAMED = 0.8


def _article_note(loose: bool) -> str:
    """`` (article ignored)`` after a reason when the name matched without its article."""
    return " " + _("(article ignored)") if loose else ""


@dataclass(frozen=True)
class _Index:
    """Lookup tables built once from the gazetteer."""

    table: pd.DataFrame  # indexed by code_insee
    codes: pd.Index
    by_postcode: pd.DataFrame  # postcode, key, key2, code, population (alias rows for ARM)
    by_name: pd.DataFrame  # key, key2, group, code, paca, population (COM only)
    names: dict[str, str]  # code -> official name
    paca_counts: dict[str, dict[str, int]]  # "key"/"key2" -> key -> PACA communes with it
    postcode_choices: dict[str, tuple[list[str], list[str]]]  # postcode -> (keys, codes)
    group_choices: dict[str, tuple[list[str], list[str]]]  # department group -> (keys, codes)
    paca_choices: tuple[list[str], list[str]]
    national_choices: tuple[list[str], list[str]]
    known_postcodes: frozenset[str]
    former: geocode_former.FormerIndex  # former names and INSEE codes of communes
    current_keys: dict[str, str]  # code -> name key, communes (COM) only


def _choices(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    return frame["key"].tolist(), frame["code"].tolist()


def _group_choices(frame: pd.DataFrame, column: str) -> dict[str, tuple[list[str], list[str]]]:
    """``column`` value -> (keys, codes), keeping the frame's preference order."""
    groups: dict[str, tuple[list[str], list[str]]] = {}
    for group, key, code in zip(frame[column].tolist(), frame["key"].tolist(),
                                frame["code"].tolist(), strict=True):
        keys, codes = groups.setdefault(group, ([], []))
        keys.append(key)
        codes.append(code)
    return groups


def _text_column(values: list[str], like: pd.Series) -> pd.Series:
    """``values`` as a column of the dtype and index of ``like``, the string column they were
    computed from: what ``like.map(function)`` gives, without pandas calling the function
    through its per-value machinery (half the cost of the index)."""
    return pd.Series(values, index=like.index, dtype=like.dtype)


_INDEX: _Index | None = None  # this process's lookup tables, once built


def _index() -> _Index:
    """The lookup tables over every commune of France: built once per process (about a
    quarter of a second; they were kept on disk, as a pickle, until a measurement showed that
    this saved under 3% of a rebuild, for a file that runs code when loaded)."""
    global _INDEX
    if _INDEX is None:
        _INDEX = _build_index()
    return _INDEX


def _build_index() -> _Index:
    """Build the lookup tables from the gazetteer.

    Built over plain lists where it loops over the communes, pandas calling a function per
    value costing as much again.
    """
    communes = gazetteer._communes()
    keys = _text_column([commune_key(n) for n in communes["nom"].tolist()], communes["nom"])
    paca = communes["departement"].isin(PACA_DEPARTMENTS)
    table = communes.assign(key=keys, paca=paca).set_index("code_insee", drop=False)
    order = ["paca", "population"]  # preferred candidates first: PACA, then most populated

    is_parent = communes["code_insee"].isin(list(ARRONDISSEMENT_CITIES))
    is_arm = communes["type"] == "ARM"
    base = pd.DataFrame(
        {
            "code": communes["code_insee"],
            "key": keys,
            "postcode": communes["codes_postaux"].str.split("|"),
            "population": communes["population"],
            "paca": paca,
        }
    )
    # Postcode index: cities with arrondissements are replaced by their arrondissements, which
    # also answer to the city's own name ("Marseille" + 13008 -> Marseille 8e).
    arm_alias = base[is_arm].assign(
        key=communes.loc[is_arm, "commune_parent"].map(ARRONDISSEMENT_CITIES)
    )
    by_postcode = pd.concat([base[~is_parent], arm_alias], ignore_index=True).explode("postcode")
    by_postcode = by_postcode[by_postcode["postcode"].str.len() == 5]
    by_postcode = by_postcode.assign(
        key2=_text_column([strip_article(k) for k in by_postcode["key"].tolist()],
                          by_postcode["key"])
    )
    by_postcode = by_postcode.sort_values(order, ascending=False, kind="stable")
    by_postcode = by_postcode.reset_index(drop=True)

    by_name = base[~is_arm].drop(columns="postcode")
    departments = communes.loc[~is_arm, "departement"]
    by_name = by_name.assign(
        key2=_text_column([strip_article(k) for k in by_name["key"].tolist()], by_name["key"]),
        group=_text_column([gazetteer.department_group(d) for d in departments.tolist()],
                           departments),
    )
    by_name = by_name.sort_values(order, ascending=False, kind="stable").reset_index(drop=True)

    postcode_choices = _group_choices(by_postcode, "postcode")
    group_choices = _group_choices(by_name, "group")
    key_of = dict(zip(communes["code_insee"].tolist(), keys.tolist(), strict=True))
    return _Index(
        table=table,
        codes=pd.Index(table.index),
        by_postcode=by_postcode,
        by_name=by_name,
        names=dict(zip(communes["code_insee"].tolist(), communes["nom"].tolist(), strict=True)),
        paca_counts={
            column: by_name.loc[by_name["paca"], column].value_counts().to_dict()
            for column in ("key", "key2")
        },
        postcode_choices=postcode_choices,
        group_choices=group_choices,
        paca_choices=_choices(by_name[by_name["paca"]]),
        national_choices=_choices(by_name),
        known_postcodes=frozenset(by_postcode["postcode"].tolist()),
        former=geocode_former.build_former_index(table, key_of),
        current_keys={c: k for c, k, t in zip(communes["code_insee"].tolist(), keys.tolist(),
                                              communes["type"].tolist(), strict=True)
                      if t == "COM"},
    )


@cache
def _commune_polygons() -> tuple[Any, np.ndarray]:
    import shapely

    frame = gazetteer._commune_boundaries()
    frame = frame[~frame["code_insee"].isin(list(ARRONDISSEMENT_CITIES))]  # arrondissements win
    return shapely.STRtree(frame.geometry.values), frame["code_insee"].to_numpy()


@cache
def _commune_points() -> tuple[Any, np.ndarray]:
    import shapely

    table = _index().table
    table = table[~table["code_insee"].isin(list(ARRONDISSEMENT_CITIES))]
    points = shapely.points(table["longitude"].to_numpy(), table["latitude"].to_numpy())
    return shapely.STRtree(points), table["code_insee"].to_numpy()


# --------------------------------------------------------------------------------------------
# Pair resolution


class _Pairs:
    """Distinct (postcode, commune text) pairs and what has been resolved for each."""

    def __init__(self, postcode: pd.Series, text: pd.Series) -> None:
        self.frame = pd.DataFrame({"pc": postcode.to_numpy(), "text": text.to_numpy()})
        n = len(self.frame)
        unique_text = pd.unique(self.frame["text"])
        key_of = {t: commune_key(t) for t in unique_text}
        self.frame["key"] = self.frame["text"].map(key_of)
        self.frame["key2"] = self.frame["key"].map(strip_article)
        self.frame["group"] = self.frame["pc"].map(gazetteer.postcode_group)
        self.code = np.full(n, "", dtype=object)
        self.score = np.zeros(n, dtype="float64")
        self.reason = np.full(n, "", dtype=object)
        self.former = np.full(n, "", dtype=object)  # former commune name it was found by
        # A former name that several communes of today had: no fuzzy match may place the pair.
        self.blocked = np.zeros(n, dtype=bool)

    def todo(self) -> np.ndarray:
        return self.code == ""

    def set(
        self,
        ids: Iterable[int],
        codes: Iterable[str],
        scores: Iterable[float],
        reasons: Iterable[str],
    ) -> None:
        ids = np.fromiter(ids, dtype="int64")
        if ids.size == 0:
            return
        self.code[ids] = np.asarray(list(codes), dtype=object)
        self.score[ids] = np.asarray(list(scores), dtype="float64")
        self.reason[ids] = np.asarray(list(reasons), dtype=object)


def _merge_first(
    left: pd.DataFrame, right: pd.DataFrame, left_on: list[str], right_on: list[str]
) -> pd.DataFrame:
    """Inner merge keeping, per left row (``pid``), the first right row and the match count.

    ``right`` is sorted with preferred candidates first, and a merge keeps the right order
    within each left key.
    """
    merged = left.merge(
        right, left_on=left_on, right_on=right_on, how="inner", sort=False, suffixes=("", "_ref")
    )
    if merged.empty:
        return merged.assign(matches=pd.Series(dtype="int64"))
    counts = merged.groupby("pid", sort=False)["pid"].transform("size")
    merged = merged.assign(matches=counts)
    return merged.drop_duplicates("pid", keep="first")


def _names(codes: Iterable[str]) -> list[str]:
    names = _index().names
    return [names[c] for c in codes]


class _Stage(NamedTuple):
    """What the resolution stages share: the pairs, their frame and masks."""

    pairs: _Pairs
    frame: pd.DataFrame
    cols: dict[str, list[str]]
    idx: _Index
    has_pc: pd.Series
    has_key: pd.Series
    known_pc: pd.Series


def _resolve(pairs: _Pairs) -> None:
    idx = _index()
    frame = pairs.frame.assign(pid=np.arange(len(pairs.frame)))
    has_pc = frame["pc"] != ""
    has_key = frame["key"] != ""
    known_pc = frame["pc"].isin(idx.known_postcodes)
    cols = {c: frame[c].tolist() for c in ("text", "pc", "key", "key2")}  # fast scalar access

    # 1. Arrondissements named by the text or given by the postcode of a plain city name.
    todo = frame[(has_key | has_pc) & pairs.todo()]
    arm = [
        (pid, gazetteer.parse_arrondissement(t, pc))
        for pid, t, pc, k in zip(todo["pid"], todo["text"], todo["pc"], todo["key"], strict=True)
        if k == "" or k.split()[0] in ARRONDISSEMENT_CITIES.values()
    ]
    arm_found = [(pid, code) for pid, code in arm if code]
    if arm_found:
        reasons = []
        for pid, _code in arm_found:
            text, pc = cols["text"][pid], cols["pc"][pid]
            if cols["key"][pid] == "":
                reasons.append(_("arrondissement given by postcode {pc} alone").format(pc=pc))
            elif gazetteer.parse_arrondissement(text) is None:
                reasons.append(_("arrondissement given by postcode {pc}, commune {text!r}").format(
                    pc=pc, text=text))
            else:
                reasons.append(_("arrondissement read from {text!r}").format(text=text))
        scores = [0.9 if cols["key"][pid] == "" else 1.0 for pid, _code in arm_found]
        pairs.set((p for p, _code in arm_found), (c for _pid, c in arm_found), scores, reasons)

    # 2. Postcode and name key together, then without leading article.
    for column, score, loose in (("key", 1.0, False), ("key2", 0.95, True)):
        todo = frame[has_pc & has_key & pairs.todo()]
        found = _merge_first(
            todo[["pid", "pc", column]],
            idx.by_postcode[["postcode", column, "code"]],
            ["pc", column],
            ["postcode", column],
        )
        pairs.set(
            found["pid"],
            found["code"],
            [score] * len(found),
            [_("postcode and commune name match") + _article_note(loose)] * len(found),
        )

    # 2b. A former name the postcode confirms (its old or today's postcode, its code).
    todo = frame[has_pc & has_key & pairs.todo()]
    geocode_former.place_by_name(pairs, todo, idx.former, idx.names, nationwide=False,
                                 confirmed=True)

    # 3. Name key in the postcode's department: the postcode is wrong, or a CEDEX code.
    todo = frame[has_pc & has_key & pairs.todo()]
    found = _merge_first(
        todo[["pid", "pc", "key", "group"]],
        idx.by_name[["key", "group", "code"]],
        ["group", "key"],
        ["group", "key"],
    )
    reasons = [
        (
            _("postcode {pc} is not one of {name}'s").format(pc=pc, name=name)
            if pc in idx.known_postcodes
            else _("unknown postcode {pc}").format(pc=pc)
        )
        + sep() + _("matched the commune name in its department")
        for pc, name in zip(found["pc"], _names(found["code"]), strict=True)
    ]
    pairs.set(found["pid"], found["code"], [0.85] * len(found), reasons)

    # 3b. A former name of a commune of the postcode's department (before any fuzzy match: a
    # fuzzy candidate never beats an exact former name); then a 5-digit code that is no postcode
    # but an INSEE code, current or former.
    todo = frame[has_pc & has_key & pairs.todo()]
    geocode_former.place_by_name(pairs, todo, idx.former, idx.names, nationwide=False)
    todo = frame[has_pc & ~known_pc & pairs.todo()]
    geocode_former.place_by_code(pairs, todo, idx.former, idx.names, idx.current_keys)

    ctx = _Stage(pairs, frame, cols, idx, has_pc, has_key, known_pc)
    _resolve_fuzzy_local(ctx)
    _resolve_nationwide(ctx)
    _resolve_fallbacks(ctx)


def _resolve_fuzzy_local(ctx: _Stage) -> None:
    """Fuzzy name within the postcode, or the department of an unknown postcode."""
    pairs, frame, cols, idx, has_pc, has_key, _known_pc = ctx

    # 4. Fuzzy name among the communes of the postcode, then of its department; the department
    # only when the postcode is unknown: a candidate whose postcode disagrees with a known one
    # does not win over the placement by that postcode (step 6).
    todo = frame[has_pc & has_key & pairs.todo() & ~pairs.blocked]
    for scope, cutoff, weight in (
        ("postcode", _CUTOFF_POSTCODE, 0.9),
        ("department", _CUTOFF_DEPARTMENT, 0.8),
    ):
        ids, codes, scores, reasons = [], [], [], []
        for pid, pc, group, key in zip(
            todo["pid"], todo["pc"], todo["group"], todo["key"], strict=True
        ):
            if pairs.code[pid] or (scope == "department" and pc in idx.known_postcodes):
                continue
            choices = (
                idx.postcode_choices.get(pc)
                if scope == "postcode"
                else idx.group_choices.get(group)
            )
            if not choices:
                continue
            best = process.extractOne(key, choices[0], scorer=fuzz.ratio, score_cutoff=cutoff)
            if best is not None:
                similarity = _("{percent:.0f}% similar").format(percent=best[1])
                score = weight * best[1] / 100
            elif scope == "postcode" and len(key) >= 3:
                # Among the few communes of one postcode, one edit is telling even in a short
                # name ("Ozd" for Oze) whose ratio falls below the cutoff.
                best = process.extractOne(
                    key, choices[0], scorer=Levenshtein.distance, score_cutoff=1
                )
                similarity, score = _("one letter apart"), 0.7
            if best is None:
                continue
            code = choices[1][best[2]]
            close = (_("commune name {text!r} is close to {name!r} ({similarity}) among the "
                       "communes of postcode {where}") if scope == "postcode" else
                     _("commune name {text!r} is close to {name!r} ({similarity}) among the "
                       "communes of department {where}"))
            ids.append(pid)
            codes.append(code)
            scores.append(round(score, 3))
            reasons.append(close.format(text=cols["text"][pid], name=_names([code])[0],
                                        similarity=similarity,
                                        where=pc if scope == "postcode" else group))
        pairs.set(ids, codes, scores, reasons)



def _resolve_nationwide(ctx: _Stage) -> None:
    """Today's name, then a former name, across France."""
    pairs, frame, cols, idx, _has_pc, has_key, _known_pc = ctx

    # 5. Name alone, nationwide: PACA first, then the most populated homonym.
    for column, base_score, loose in (("key", 1.0, False), ("key2", 0.9, True)):
        todo = frame[has_key & pairs.todo() & ~pairs.blocked]
        found = _merge_first(
            todo[["pid", "pc", column]], idx.by_name[[column, "code", "paca"]], [column], [column]
        )
        ids, codes, scores, reasons = [], [], [], []
        for pid, pc, code, paca, matches in zip(
            found["pid"], found["pc"], found["code"], found["paca"], found["matches"], strict=True
        ):
            name = _names([code])[0]
            score = base_score
            if matches == 1:
                reason = _("commune name matches") + _article_note(loose)
            else:
                n_paca = idx.paca_counts[column].get(cols[column][pid], 0)
                if paca and n_paca == 1:
                    reason = _("{n} communes are named like {name}; chose the one in "
                               "PACA").format(n=matches, name=name)
                    score *= 0.85
                else:
                    reason = (_("{n} communes are named like {name}; chose the most populated "
                                "in PACA") if paca else
                              _("{n} communes are named like {name}; chose the most "
                                "populated")).format(n=matches, name=name)
                    score *= 0.6
            if pc:
                reason = (
                    (
                        _("postcode {pc} does not match the commune name").format(pc=pc)
                        if pc in idx.known_postcodes
                        else _("unknown postcode {pc}").format(pc=pc)
                    )
                    + sep()
                    + reason
                )
                score = min(score, 0.7)
            if code in ARRONDISSEMENT_CITIES:
                reason += sep() + _("no arrondissement given: placed at the city's town hall")
                score = min(score, 0.8)
            ids.append(pid)
            codes.append(code)
            scores.append(round(score, 3))
            reasons.append(reason)
        pairs.set(ids, codes, scores, reasons)

    # 5b. A former name across France (no postcode, or one whose department had none).
    todo = frame[has_key & pairs.todo() & ~pairs.blocked]
    geocode_former.place_by_name(pairs, todo, idx.former, idx.names, nationwide=True)



def _resolve_fallbacks(ctx: _Stage) -> None:
    """Postcode alone, fuzzy name across France, else the reason of no result."""
    pairs, frame, cols, idx, has_pc, has_key, known_pc = ctx

    # 6. Postcode alone (also when the name was not recognised, or is an ambiguous former name).
    todo = frame[has_pc & known_pc & pairs.todo()]
    found = _merge_first(
        todo[["pid", "pc", "key", "text"]],
        idx.by_postcode[["postcode", "code"]],
        ["pc"],
        ["postcode"],
    )
    # The alias rows of arrondissements would count them twice.
    ids, codes, scores, reasons = [], [], [], []
    for pid, pc, key, text, code in zip(
        found["pid"], found["pc"], found["key"], found["text"], found["code"], strict=True
    ):
        n = len(set(idx.postcode_choices[pc][1]))
        if n == 1:
            reason, score = _("located by postcode {pc} alone").format(pc=pc), 0.9
        else:
            reason = _("postcode {pc} is shared by {n} communes; chose the most populated, "
                       "{name}").format(pc=pc, n=n, name=_names([code])[0])
            score = 0.5
        if pairs.blocked[pid]:
            reason = pairs.reason[pid] + sep() + reason
            score -= 0.2
        elif key:
            reason = _("commune name {text!r} not recognised; {reason}").format(
                text=text, reason=reason)
            score -= 0.2
        ids.append(pid)
        codes.append(code)
        scores.append(round(score, 3))
        reasons.append(reason)
    pairs.set(ids, codes, scores, reasons)

    # 7. Fuzzy name nationwide (no usable postcode): PACA first, then all of France.
    todo = frame[has_key & pairs.todo() & ~pairs.blocked]
    ids, codes, scores, reasons = [], [], [], []
    for pid, key, text in zip(todo["pid"], todo["key"], todo["text"], strict=True):
        for choices, where, weight in (
            (idx.paca_choices, "PACA", 0.75),
            (idx.national_choices, "France", 0.6),
        ):
            best = process.extractOne(
                key, choices[0], scorer=fuzz.ratio, score_cutoff=_CUTOFF_NATIONAL
            )
            if best is not None:
                similarity = _("{percent:.0f}% similar").format(percent=best[1])
                score = weight * best[1] / 100
            elif where == "PACA" and len(key) >= 4:
                # Short names lose too much ratio to one typo ("Teulon"); one edit in PACA is
                # still a good guess, the most populated first when several are one edit away.
                best = process.extractOne(
                    key, choices[0], scorer=Levenshtein.distance, score_cutoff=1
                )
                similarity = _("one letter apart")
                score = 0.6
            if best is not None:
                code = choices[1][best[2]]
                ids.append(pid)
                codes.append(code)
                scores.append(round(score, 3))
                close = (_("commune name {text!r} is close to {name!r} ({similarity}) in PACA")
                         if where == "PACA" else
                         _("commune name {text!r} is close to {name!r} ({similarity}) in France"))
                reasons.append(close.format(text=text, name=_names([code])[0],
                                            similarity=similarity))
                break
    pairs.set(ids, codes, scores, reasons)

    # 8. Nothing usable.
    for pid in np.flatnonzero(pairs.todo()):
        text, pc = cols["text"][pid], cols["pc"][pid]
        parts = [pairs.reason[pid]] if pairs.blocked[pid] else []
        if text and not pairs.blocked[pid]:
            parts.append(
                (_("commune {text!r} not found") if cols["key"][pid]
                 else _("no commune name in {text!r}")).format(text=text)
            )
        if pc:
            parts.append(_("unknown postcode {pc}").format(pc=pc))
        pairs.reason[pid] = sep().join(parts) or _("no postcode or commune given")


# --------------------------------------------------------------------------------------------
# Rows


def _column(frame: pd.DataFrame, name: str, numeric: bool = False) -> pd.Series:
    if name not in frame.columns:
        return pd.Series(
            np.nan if numeric else "", index=frame.index, dtype="float64" if numeric else object
        )
    col = frame[name]
    if numeric:
        return pd.to_numeric(col, errors="coerce").astype("float64")
    return col.astype(object).where(col.notna(), "").map(str).str.strip()


def _distance_km(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Equirectangular distance: exact enough at the scale of a commune."""
    mean_lat = np.radians((lat1 + lat2) / 2)
    dx = np.radians(lon2 - lon1) * np.cos(mean_lat)
    dy = np.radians(lat2 - lat1)
    return 6371.0 * np.hypot(dx, dy)


def _commune_at(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """INSEE code of the PACA polygon holding each point, else of the nearest commune point.

    Returns the codes and whether each came from a polygon.
    """
    import shapely

    points = shapely.points(lon, lat)
    codes = np.full(len(points), "", dtype=object)
    from_polygon = np.zeros(len(points), dtype=bool)
    if len(points) == 0:
        return codes, from_polygon
    tree, poly_codes = _commune_polygons()
    hit_point, hit_poly = tree.query(points, predicate="intersects")
    if hit_point.size:
        first = np.unique(hit_point, return_index=True)[1]
        codes[hit_point[first]] = poly_codes[hit_poly[first]]
        from_polygon[hit_point[first]] = True
    rest = np.flatnonzero(~from_polygon)
    if rest.size:
        tree, point_codes = _commune_points()
        hit_point, hit_tree = tree.query_nearest(points[rest], all_matches=False)
        codes[rest[hit_point]] = point_codes[hit_tree]
    return codes, from_polygon


def geocode_offline(frame: pd.DataFrame) -> pd.DataFrame:
    """Place each row at its commune with the packaged gazetteer, or keep its coordinates.

    Parameters
    ----------
    frame
        Rows with any of the columns ``postcode`` (5-digit string or ``""``; anything else is
        ignored, with a note in the reason), ``commune_input`` (commune text as typed),
        ``latitude``, ``longitude`` (float or NaN). A missing column counts as empty.

    Returns
    -------
    DataFrame
        Same index as ``frame``, columns :data:`OUTPUT_COLUMNS`: ``insee_code``, ``commune``
        (official name), ``department``, ``epci``, ``epci_name`` (``""`` when unknown),
        ``latitude``, ``longitude`` (NaN when unknown), ``geocode_precision`` (``provided``,
        ``municipality`` or ``none``), ``geocode_source`` (``survey``, ``gazetteer`` or
        ``none``), ``geocode_score`` (0..1: 1.0 for an exact match, less for fuzzy or
        ambiguous ones), ``geocode_reason`` (why this result, or why none).
    """
    idx = _index()
    n = len(frame)
    raw_pc = _column(frame, "postcode")
    valid_pc = raw_pc.str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    postcode = raw_pc.where(valid_pc, "")
    text = _column(frame, "commune_input")
    # A bare postcode typed in the commune cell is the postcode.
    pc_in_text = (postcode == "") & text.str.fullmatch(r"\d{5}").fillna(False).astype(bool)
    if pc_in_text.any():
        postcode = postcode.where(~pc_in_text, text)
        text = text.where(~pc_in_text, "")
    lat = _column(frame, "latitude", numeric=True).to_numpy()
    lon = _column(frame, "longitude", numeric=True).to_numpy()

    # Resolve each distinct (postcode, commune) pair once.
    pair_id, uniques = pd.factorize(pd.MultiIndex.from_arrays([postcode, text]))
    unique_pc = pd.Series(uniques.get_level_values(0), dtype=object)
    unique_text = pd.Series(uniques.get_level_values(1), dtype=object)
    pairs = _Pairs(unique_pc, unique_text)
    _resolve(pairs)
    code = pairs.code[pair_id] if n else np.array([], dtype=object)
    score = pairs.score[pair_id] if n else np.array([], dtype="float64")
    reason = pairs.reason[pair_id] if n else np.array([], dtype=object)
    former = pairs.former[pair_id] if n else np.array([], dtype=object)

    bad_pc = (raw_pc != "").to_numpy() & ~valid_pc.to_numpy()
    if bad_pc.any():
        note = np.array(
            [_("invalid postcode {value!r} ignored").format(value=p) + sep()
             for p in raw_pc.to_numpy()[bad_pc]], dtype=object
        )
        reason[bad_pc] = note + reason[bad_pc]

    precision = np.where(code != "", "municipality", "none").astype(object)
    source = np.where(code != "", "gazetteer", "none").astype(object)

    # Provided coordinates win; the commune comes from the name when trusted, else from the point.
    has_coords = np.isfinite(lat) & np.isfinite(lon)
    provided = has_coords & gazetteer.in_france(lat, lon)
    rejected = has_coords & ~provided
    if rejected.any():
        reason[rejected] = (_("coordinates outside France ignored") + sep()
                            + reason[rejected].astype(str))
    out_lat = np.full(n, np.nan)
    out_lon = np.full(n, np.nan)
    if provided.any():
        trusted = provided & (code != "") & (score >= _TRUST_NAMED)
        located = provided & ~trusted
        if located.any():
            found, from_polygon = _commune_at(lat[located], lon[located])
            code[located] = found
            former[located] = ""
            how = np.where(
                from_polygon,
                _("commune from the polygon holding the point"),
                _("commune from the nearest commune point"),
            )
            reason[located] = _("coordinates provided") + sep() + how.astype(object)
        if trusted.any():
            trusted_how = _("coordinates provided; commune: {reason}")
            reason[trusted] = np.array([trusted_how.format(reason=r) for r in reason[trusted]],
                                       dtype=object)
        precision[provided] = "provided"
        source[provided] = "survey"
        score[provided] = 1.0
        out_lat[provided] = lat[provided]
        out_lon[provided] = lon[provided]

    position = idx.codes.get_indexer(code)
    known = position >= 0
    table = idx.table
    result = pd.DataFrame(index=frame.index)
    for out_name, column in (
        ("insee_code", "code_insee"),
        ("commune", "nom"),
        ("department", "departement"),
        ("epci", "epci_code"),
        ("epci_name", "epci_nom"),
    ):
        values = np.full(n, "", dtype=object)
        values[known] = table[column].to_numpy()[position[known]]
        result[out_name] = values
        if out_name == "commune":
            result["commune_former"] = np.where(known, former, "").astype(object)
    ref_lat = np.full(n, np.nan)
    ref_lon = np.full(n, np.nan)
    ref_lat[known] = table["latitude"].to_numpy()[position[known]]
    ref_lon[known] = table["longitude"].to_numpy()[position[known]]
    if provided.any():
        far = provided & known & (score >= 0)  # distance only matters for named communes
        dist = np.full(n, 0.0)
        dist[far] = _distance_km(lat[far], lon[far], ref_lat[far], ref_lon[far])
        far &= dist > _FAR_KM
        if far.any():
            reason[far] = reason[far].astype(str) + np.array(
                [sep() + _("the coordinates are {km:.0f} km from its town hall").format(km=d)
                 for d in dist[far]],
                dtype=object,
            )
    gazetteer_rows = ~provided
    out_lat[gazetteer_rows] = ref_lat[gazetteer_rows]
    out_lon[gazetteer_rows] = ref_lon[gazetteer_rows]
    result["latitude"] = out_lat
    result["longitude"] = out_lon
    result["geocode_precision"] = precision
    result["geocode_source"] = source
    result["geocode_score"] = np.where(precision == "none", 0.0, score)
    result["geocode_reason"] = reason
    log.debug("geocoded %d rows offline (%d distinct postcode/commune pairs)", n, len(uniques))
    return result

"""Resolving each distinct (postcode, commune text) pair to one commune, stage after stage
(exact, article ignored, former names, department, fuzzy, nationwide, postcode alone): see
:mod:`safi_map.geo.offline` for the chain and the scores."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

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
    commune_key,
    strip_article,
)
from safi_map.geo.offline_index import LookupTables, index

__all__ = ["Pairs", "names_of", "resolve"]

# Minimum rapidfuzz ``ratio`` (0-100) on commune keys. Within one postcode the candidates are few,
# so a looser threshold is safe; across a department or the country a one-letter typo in a long
# name still scores above 90, while distinct real names rarely do.
_CUTOFF_POSTCODE = 75.0
_CUTOFF_DEPARTMENT = 85.0
_CUTOFF_NATIONAL = 88.0


def _article_note(loose: bool) -> str:
    """`` (article ignored)`` after a reason when the name matched without its article."""
    return " " + _("(article ignored)") if loose else ""


class Pairs:
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


def names_of(codes: Iterable[str]) -> list[str]:
    names = index().names
    return [names[c] for c in codes]


class _Stage(NamedTuple):
    """What the resolution stages share: the pairs, their frame and masks."""

    pairs: Pairs
    frame: pd.DataFrame
    cols: dict[str, list[str]]
    idx: LookupTables
    has_pc: pd.Series
    has_key: pd.Series
    known_pc: pd.Series


def resolve(pairs: Pairs) -> None:
    idx = index()
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
        for pc, name in zip(found["pc"], names_of(found["code"]), strict=True)
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
            reasons.append(close.format(text=cols["text"][pid], name=names_of([code])[0],
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
            name = names_of([code])[0]
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
                       "{name}").format(pc=pc, n=n, name=names_of([code])[0])
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
                reasons.append(close.format(text=text, name=names_of([code])[0],
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

"""Merge located survey rows into actors, with stable identifiers.

One actor met at several stops (or twice in one file) becomes one record. Rows belong to the same
actor when they share a SIRET, or the same normalized name in the same commune; the relation is
transitive (union-find), so a row carrying both a SIRET and a name links the two.

``actor_id`` is derived from the group's smallest (name, commune) key, so it does not depend on
row order, nor on which other actors exist: adding a stop, reordering a file or removing another
actor leaves it unchanged. It changes only when the actor's own name or commune changes in every
row — which manual corrections (``corrections.toml``) can pin.

Each field takes the latest non-empty value, except the name, which keeps the best-formed
spelling of the latest name (capitals and accents over lower-case typing), and where consent
says otherwise: consent is
decided per contact value (a value is public only if the row that gave it consented, or a later
row consented and gave that same value; see :mod:`safi_map.ingestion.merge_values`), so a consenting
actor's record never holds a contact given with "non".
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safi_map.core.columns import column_values
from safi_map.core.text import key, slugify
from safi_map.ingestion.merge_records import (
    LATEST_COLUMNS,
    LOCATION_COLUMNS,
    ActorRecords,
    actors_frame,
    report_group,
)
from safi_map.ingestion.report import Report

__all__ = ["MergeResult", "actor_id_for", "merge_rows", "name_key"]

# Words that do not tell two structures apart: "Association Les Jardins" is "Les Jardins",
# "La Treille SCIC" is "Treille".
_FORMS = r"(?:association|asso|assoc|ass|scic|scop|sarl|sas|eurl|sa|coop|cooperative)"
_NOISE = re.compile(rf"^(?:l )?{_FORMS}\s+")
_TRAILING_FORM = re.compile(rf"\s+{_FORMS}(?:\s+(?:sas|sarl|sa))?$")
_ARTICLE = re.compile(r"^(?:le|la|les|l)\s+")
SIMILAR_NAME_SCORE = 92
"""Names of the same commune at least this similar (rapidfuzz ratio, 0-100) are one actor."""
_READ_COLUMNS = frozenset({
    *LOCATION_COLUMNS, *LATEST_COLUMNS, "source", "stops", "survey_date", "commune_input",
    "contact_consent", "_file", "_row", "_sheet",
})


def name_key(name: str) -> str:
    """Comparison key of a structure name: folded, punctuation-free, legal-form prefix removed."""
    k = key(name)
    stripped = _TRAILING_FORM.sub("", _NOISE.sub("", k))
    stripped = _ARTICLE.sub("", stripped)
    return stripped or k


_PLACE_LENGTH = 12


def actor_id_for(nkey: str, place: str) -> str:
    """A readable, URL-safe id: ``<name-slug>-<insee code>``; long names get a hash suffix.

    Without a code (the geocoder could not place the row), the place is the commune text; when
    its slug is cut to 12 characters, a hash of the whole text follows, so "Saint-Martin-de-A"
    and "Saint-Martin-de-B" do not give the same id.
    """
    slug = slugify(nkey, max_length=200)
    if len(slug) > 48:
        digest = hashlib.sha1(f"{nkey}|{place}".encode()).hexdigest()[:6]
        slug = f"{slug[:41].rstrip('-')}-{digest}"
    place_slug = slugify(place or "na", max_length=200)
    if len(place_slug) > _PLACE_LENGTH:
        digest = hashlib.sha1(place.encode()).hexdigest()[:4]
        place_slug = f"{place_slug[:_PLACE_LENGTH].rstrip('-')}-{digest}"
    return f"{slug}-{place_slug}"


@dataclass
class _Keys:
    """What the merge decides on, one plain list per key, indexed by row position.

    The merge loops over rows a few times (union-find, ids, one record per actor); it does so
    over lists, because reading a DataFrame value by value (``.iat``, iterating a column,
    ``to_dict``) costs about a microsecond each and made the merge the slowest step of a
    rebuild.
    """

    nkey: list[str]  # name_key of the name: what the merge matches on
    idkey: list[str]  # key of the name: what the actor id is made of
    place: list[str]  # INSEE code, else postcode, else the commune text's key
    split: list[str]  # the new actor id of a row split by a correction, else ""
    date: list[str]  # the date of the row's first stop, else its survey date
    siret: list[str]
    source: list[str]  # "file:row"


def _text(values: Iterable[object]) -> list[str]:
    """``Series.fillna("").astype(str)`` over plain values (``v != v`` is true only for NaN)."""
    return ["" if v is None or v != v else str(v) for v in values]


def _similar_names(keys: _Keys) -> list[tuple[int, int]]:
    """Pairs of row positions whose names are near-identical in the same place (typos:
    "Ressourceri de la Treille" / "Ressourcerie de la Treille") and hold the same numbers."""
    from rapidfuzz import fuzz, process

    pairs: list[tuple[int, int]] = []
    # place -> name key -> a row position with it (the last; rows sharing a name key and a place
    # are already one actor, so which one does not matter)
    by_place: dict[str, dict[str, int]] = {}
    for pos, (place, nkey, split) in enumerate(zip(keys.place, keys.nkey, keys.split,
                                                   strict=True)):
        if place and not split:
            by_place.setdefault(place, {})[nkey] = pos
    for positions in by_place.values():
        names = sorted(k for k in positions if len(k) >= 8)
        if len(names) < 2:
            continue
        scores = process.cdist(names, names, scorer=fuzz.ratio, dtype=np.uint8,
                               score_cutoff=SIMILAR_NAME_SCORE, workers=1)
        ii, jj = np.nonzero(np.triu(scores, k=1))
        pairs.extend((positions[names[i]], positions[names[j]]) for i, j in
                     zip(ii.tolist(), jj.tolist(), strict=True)
                     if _DIGITS.findall(names[i]) == _DIGITS.findall(names[j]))
    return pairs


_DIGITS = re.compile(r"\d+")
"""Numbers in a name tell structures apart ("Résidence 1" and "Résidence 11", "Antenne 13"
and "Antenne 83" are near-identical strings, and two structures): similar names are joined
only when their numbers are the same."""


def _keep_previous_ids(ids: dict[int, str], groups: list[int], sirets: list[str],
                       previous_ids: dict[str, str]) -> None:
    """Give a group the id its SIRET had in the previous build (see ``merge_rows``)."""
    taken = set(ids.values())
    by_group: dict[int, set[str]] = defaultdict(set)
    for g, siret in zip(groups, sirets, strict=True):
        if siret:
            by_group[g].add(siret)
    for g in sorted(by_group, key=lambda g: ids[g]):
        olds = sorted({previous_ids[s] for s in by_group[g] if s in previous_ids})
        if len(olds) == 1 and olds[0] != ids[g] and olds[0] not in taken:
            taken.discard(ids[g])
            ids[g] = olds[0]
            taken.add(olds[0])


def _group_ids(keys: _Keys, groups: list[int],
               links: Iterable[tuple[str, str]] = ()) -> dict[int, str]:
    """Id of every group, from the name and place of its earliest-seen row (ties: the smallest
    name key), so later stops and reordered rows never change it; a split's rows take the new id
    given; a group that absorbed others by a manual link keeps the id named first in the link."""
    earliest: dict[int, tuple[str, str, int]] = {}
    forced: dict[int, set[str]] = defaultdict(set)
    splits = keys.split
    for pos, (g, date, idkey) in enumerate(zip(groups, keys.date, keys.idkey, strict=True)):
        if splits[pos]:
            forced[g].add(splits[pos])
            continue
        candidate = (date or "9999", idkey, pos)
        if g not in earliest or candidate < earliest[g]:
            earliest[g] = candidate
    ids: dict[int, str] = {}
    for g in set(groups):
        if g in earliest:
            pos = earliest[g][2]
            ids[g] = actor_id_for(keys.idkey[pos], keys.place[pos])
        else:
            ids[g] = sorted(forced[g])[0]
    kept_ids = {kept for kept, _ in links}
    if kept_ids:
        all_ids: dict[int, set[str]] = defaultdict(set)
        for pos, (g, idkey, place) in enumerate(zip(groups, keys.idkey, keys.place,
                                                    strict=True)):
            all_ids[g].add(splits[pos] or actor_id_for(idkey, place))
        for g, names in all_ids.items():
            chosen = sorted(names & kept_ids)
            if chosen and ids[g] not in kept_ids:
                ids[g] = chosen[0]
    return ids


def _unique_ids(ids: dict[int, str], groups: list[int], keys: _Keys,
                sources: list[str]) -> dict[int, str]:
    """Make the groups' ids unique (a [[split]] may name an id another actor has, and cut or
    hashed slugs may meet): of the groups sharing an id, the earliest seen (then the one with
    the smallest source row) keeps it, the others get ``-2``, ``-3``... in that order — the
    same whatever the row order. Returns the renamed groups' old ids."""
    by_id: dict[str, list[int]] = defaultdict(list)
    for g, aid in ids.items():
        by_id[aid].append(g)
    clashes = sorted(aid for aid, gs in by_id.items() if len(gs) > 1)
    if not clashes:
        return {}
    first: dict[int, tuple[str, str]] = {}
    for g, date, src in zip(groups, keys.date, sources, strict=True):
        candidate = (date or "9999", src)
        if g not in first or candidate < first[g]:
            first[g] = candidate
    taken = set(ids.values())
    renamed: dict[int, str] = {}
    for aid in clashes:
        for g in sorted(by_id[aid], key=lambda g: first[g])[1:]:
            n = 2
            while f"{aid}-{n}" in taken:
                n += 1
            ids[g] = f"{aid}-{n}"
            taken.add(ids[g])
            renamed[g] = aid
    return renamed


@dataclass
class MergeResult:
    actors: gpd.GeoDataFrame
    row_actor: pd.Series  # actor_id of every input row (same index as the rows)
    ids_before_links: set[str] = field(default_factory=set)  # to report links to unknown ids


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def merge_rows(
    rows: pd.DataFrame,
    *,
    report: Report | None = None,
    stop_dates: dict[str, str] | None = None,
    links: Iterable[tuple[str, str]] = (),
    splits: dict[str, str] | None = None,
    previous_ids: dict[str, str] | None = None,
) -> MergeResult:
    """Group located row records into actors.

    Every field takes the most recent non-empty value, the location columns the most recent
    placed row, ``contact_consent`` the most recent answer. Consent is then decided per value:
    when the actor consents, an email, phone, street address or street-level point that came
    from a row without consent (and that no later consenting row gave again) is left out, the
    point moved to its commune's, and ``report`` gets a ``merge.contact_without_consent``
    warning naming the row and column (not the value).

    Parameters
    ----------
    rows
        Row records (see docs/ARCHITECTURE.md) joined with the geocoder's columns. Needs at least
        ``name``, ``source`` and ``insee_code``; other canonical columns are optional.
    report
        Receives, for every row, whether it was published (the row whose values are most recent)
        or merged into another record.
    stop_dates
        Stop id -> ISO date; a row's date is the date of its first stop, else its ``survey_date``.
        Dates decide which row is "most recent"; ties go to the later file, then the later row.
    links
        Manual merges ``(kept_id, absorbed_id)``: the rows of both actors form one actor, which
        keeps ``kept_id``. Ids that match no actor are ignored here (the caller reports them).
    splits
        Manual splits: source row (``"file:row"``) -> new actor id. Those rows leave the actor the
        automatic merge put them in and form the actor ``new id`` (rows sharing a new id go
        together).
    previous_ids
        SIRET -> actor id in the previous build. An actor whose name or commune changed (it
        moved to another town) would get a new id; when it shares a SIRET with an actor of the
        previous build, it keeps that actor's id instead, unless another actor now has that id.
    """
    stop_dates = stop_dates or {}
    values = _read_values(rows)
    keys = _row_keys(values, stop_dates, splits or {})
    grouping = _group(keys, list(links), previous_ids)
    builder = ActorRecords(values, keys.date, stop_dates)
    labels = rows.index.tolist()
    records = []
    row_actor: dict[object, str] = {}
    for g, members in _groups_oldest_first(rows, keys, grouping.group_of).items():
        aid = grouping.ids[g]
        rec, withheld = builder.record(members, aid)
        records.append(rec)
        for i in members:
            row_actor[labels[i]] = aid
        if report is not None:
            report_group(report, values, members, aid, renamed=grouping.renamed.get(g),
                         similar=g in grouping.similar, withheld=withheld)
    actors = actors_frame(records)
    return MergeResult(actors=actors, row_actor=pd.Series(row_actor).reindex(rows.index),
                       ids_before_links=grouping.ids_before_links or set(actors["actor_id"]))


def _read_values(rows: pd.DataFrame) -> dict[str, list[Any]]:
    """Every column the merge reads, as plain lists (see :class:`_Keys`); five count as
    present and empty when the rows lack them."""
    n = len(rows)
    values: dict[str, list[Any]] = {c: column_values(rows[c]) for c in rows.columns
                                    if c in _READ_COLUMNS}
    for col in ("siret", "insee_code", "postcode", "commune_input", "survey_date"):
        values.setdefault(col, [""] * n)
    return values


def _row_keys(values: dict[str, list[Any]], stop_dates: dict[str, str],
              splits: dict[str, str]) -> _Keys:
    names = values["name"]
    n = len(names)

    def row_date(stops: object, survey_date: object) -> str:
        for stop in stops if isinstance(stops, list | tuple) else []:
            if stop in stop_dates:
                return stop_dates[stop]
        return str(survey_date or "")

    return _Keys(
        nkey=[name_key(v) for v in names],
        idkey=[key(v) for v in names],
        place=[insee or postcode or key(commune)
               for insee, postcode, commune in zip(_text(values["insee_code"]),
                                                   _text(values["postcode"]),
                                                   values["commune_input"], strict=True)],
        split=[splits.get(src, "") for src in _text(values["source"])],
        date=[row_date(a, b) for a, b in zip(values.get("stops", [[]] * n),
                                             values["survey_date"], strict=True)],
        siret=_text(values["siret"]),
        source=_text(values["source"]),
    )


@dataclass
class _Grouping:
    group_of: list[int]  # the group (its smallest row position) of every row
    ids: dict[int, str]  # group -> actor id
    similar: set[int]  # groups the similar-names rule joined: worth a warning
    renamed: dict[int, str]  # group -> the id it could not take (another actor has it)
    ids_before_links: set[str]


def _group(keys: _Keys, links: list[tuple[str, str]],
           previous_ids: dict[str, str] | None) -> _Grouping:
    """Rows sharing a SIRET or a name key in one place, or similar names there, or linked by
    a ``[[merge]]`` correction, form one actor; then each actor's id."""
    n = len(keys.nkey)
    uf = _UnionFind(n)
    # A split row only joins rows split to the same new id: its keys are namespaced by it.
    siret_keys = [f"{s}#{siret}" if s and siret else siret
                  for s, siret in zip(keys.split, keys.siret, strict=True)]
    name_keys = [f"#split|{s}" if s else f"{nkey}|{p}"
                 for s, nkey, p in zip(keys.split, keys.nkey, keys.place, strict=True)]
    for link_keys in (siret_keys, name_keys):
        first: dict[str, int] = {}
        for pos, k in enumerate(link_keys):
            if not k or k.startswith("|"):
                continue
            if k in first:
                uf.union(first[k], pos)
            else:
                first[k] = pos
    fuzzy_joined: list[int] = []  # a row of each pair the similar-names rule joined
    for a, b in _similar_names(keys):
        if uf.find(a) != uf.find(b):
            fuzzy_joined.append(a)
            uf.union(a, b)
    ids_before_links: set[str] = set()
    if links:
        # ids of every group, computed as below, so links can name them
        by_id = {aid: g for g, aid in _group_ids(keys, [uf.find(i) for i in range(n)]).items()}
        ids_before_links = set(by_id)
        for kept, absorbed in links:
            if kept in by_id and absorbed in by_id:
                uf.union(by_id[kept], by_id[absorbed])
    group_of = [uf.find(i) for i in range(n)]
    ids = _group_ids(keys, group_of, links)
    if previous_ids:
        _keep_previous_ids(ids, group_of, keys.siret, previous_ids)
    renamed = _unique_ids(ids, group_of, keys, keys.source)
    # only similar names are worth a warning: SIRET and [[merge]] joins are meant
    return _Grouping(group_of, ids, {group_of[a] for a in fuzzy_joined}, renamed,
                     ids_before_links)


def _groups_oldest_first(rows: pd.DataFrame, keys: _Keys,
                         group_of: list[int]) -> dict[int, list[int]]:
    """Each group's rows, most recent last: date, then file name, then row number."""
    order = pd.DataFrame(index=rows.index).assign(
        _date=keys.date,
        _file=rows["_file"] if "_file" in rows.columns else "",
        _row=rows["_row"] if "_row" in rows.columns else 0,
        _pos=np.arange(len(rows)),
    ).sort_values(["_date", "_file", "_row", "_pos"], kind="stable")["_pos"].tolist()
    groups: dict[int, list[int]] = defaultdict(list)
    for pos in order:
        groups[group_of[pos]].append(pos)
    return groups

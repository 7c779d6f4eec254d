"""Manual corrections, keyed by ``actor_id``, applied on every build.

Coordinators fix what the surveys got wrong once, in ``data/corrections.toml``, and the fix
survives every re-import::

    [[move]]                       # place an actor by hand
    actor_id = "les-jardins-du-partage-83137"
    latitude = 43.1249
    longitude = 5.9301

    [[set]]                        # fix fields (any public field; lists as TOML arrays)
    actor_id = "recyclerie-du-haut-var-83050"
    website = "https://recyclerie.example.org"
    themes = ["economie-circulaire", "insertion"]

    [[hide]]                       # never publish this actor
    actor_id = "ancienne-structure-04070"

    [[merge]]                      # records the automatic merge missed
    keep = "epicerie-solidaire-13208"
    absorb = ["epicerie-sociale-du-8e-13208"]

    [[split]]                      # rows it merged wrongly: they become their own actor
    actor_id = "epicerie-solidaire-du-port-13208"
    sources = ["2015-10-15-marseille.xlsx[Feuil1]:14"]

Every entry may carry a ``note``. A correction whose actor no longer exists is reported, never
silently dropped. Ids must be actor ids as safi-map makes them (``[a-z0-9-]``); ``[[set]]`` values
go through the normalizers survey cells go through (an e-mail must be an e-mail, a theme a theme
of the taxonomy), and one they would drop is refused with the entry that holds it.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely import Point

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import _
from safi_map.core.normalize import (
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_siret,
    normalize_url,
    repair_postcode,
)
from safi_map.model.taxonomy import Taxonomy, map_legal_form

__all__ = ["Corrections", "apply_corrections", "load_corrections"]

_SETTABLE = {
    "name": str, "legal_form": str, "description": str, "address": str, "postcode": str,
    "website": str, "email": str, "phone": str, "siret": str, "themes": list, "needs": list,
    "offers": list, "contact_consent": bool,
}
_NEW_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")  # an actor id: a file name in the site
_KINDS = {
    "move": {"actor_id", "latitude", "longitude", "note"},
    "set": {"actor_id", "note", *_SETTABLE},
    "hide": {"actor_id", "note"},
    "merge": {"keep", "absorb", "note"},
    "split": {"actor_id", "sources", "note"},
}


#: An actor id as the merge makes them (``merge.actor_id_for``, with ``-2`` suffixes); theme
#: slugs have the same form.
ACTOR_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_ID_LENGTH = 200
_WS = re.compile(r"\s+")
_CHECKED = {"postcode": repair_postcode, "website": normalize_url, "email": normalize_email,
            "phone": normalize_phone, "siret": normalize_siret}


@dataclass
class Corrections:
    """Parsed corrections; ``path`` is where they come from (for messages)."""

    path: Path | None = None
    move: list[dict[str, Any]] = field(default_factory=list)
    set: list[dict[str, Any]] = field(default_factory=list)
    hide: list[dict[str, Any]] = field(default_factory=list)
    merge: list[dict[str, Any]] = field(default_factory=list)
    split: list[dict[str, Any]] = field(default_factory=list)

    @property
    def links(self) -> list[tuple[str, str]]:
        return [(m["keep"], a) for m in self.merge for a in m["absorb"]]

    @property
    def splits(self) -> dict[str, str]:
        return {src: s["actor_id"] for s in self.split for src in s["sources"]}

    def __len__(self) -> int:
        return sum(len(getattr(self, k)) for k in _KINDS)


def load_corrections(path: str | Path | None, taxonomy: Taxonomy | None = None) -> Corrections:
    """Read ``corrections.toml``; a missing file means no corrections.

    ``[[set]]`` values are normalized as survey cells are; with ``taxonomy``, themes are mapped
    through it (labels and synonyms work) and needs and offers tagged with its resources;
    without it, themes must be theme slugs.

    Raises
    ------
    ConfigError
        Naming the file and the entry, for invalid TOML, an unknown kind or key, an id that is
        not an actor id, or a value the survey normalizers would drop.
    """
    if path is None or not Path(path).is_file():
        return Corrections(path=Path(path) if path else None)
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{path}: invalid TOML: {exc}").format(path=path, exc=exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(_("{path}: cannot read the corrections: {error}").format(
            path=path, error=exc)) from None
    out = Corrections(path=path)
    for kind, entries in data.items():
        if kind not in _KINDS:
            raise ConfigError(_("{path}: unknown correction [[{kind}]]; expected one of "
                                "{kinds}").format(path=path, kind=kind,
                                                  kinds=", ".join(f"[[{k}]]" for k in _KINDS)))
        if not isinstance(entries, list):
            raise ConfigError(_("{path}: write corrections as [[{kind}]] tables").format(
                                  path=path, kind=kind))
        for i, entry in enumerate(entries, start=1):
            where = _("{path}: [[{kind}]] entry {number}").format(path=path, kind=kind, number=i)
            if not isinstance(entry, dict):
                raise ConfigError(_("{path}: write corrections as [[{kind}]] tables").format(
                    path=path, kind=kind))
            unknown = set(entry) - _KINDS[kind]
            if unknown:
                raise ConfigError(_("{where}: unknown key(s) {unknown}; allowed: {x1}").format(
                                      where=where, unknown=', '.join(sorted(unknown)), x1=', '.join(sorted(_KINDS[kind]))))
            _check(kind, entry, where)
            if kind == "set":
                entry = _normalized_set(entry, where, taxonomy)
            getattr(out, kind).append(entry)
    return out


def _check(kind: str, entry: dict[str, Any], where: str) -> None:
    required = {"move": ("actor_id", "latitude", "longitude"), "set": ("actor_id",),
                "hide": ("actor_id",), "merge": ("keep", "absorb"),
                "split": ("actor_id", "sources")}[kind]
    for key in required:
        if key not in entry:
            raise ConfigError(_("{where}: {key!r} is required").format(where=where, key=key))
    if "note" in entry and not isinstance(entry["note"], str):
        raise ConfigError(_("{where}: 'note' must be a string").format(where=where))
    for key in ("actor_id", "keep"):
        if key in entry:
            _check_id(entry[key], key, where)
    if kind == "move":
        lat, lon = entry["latitude"], entry["longitude"]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                   for v in (lat, lon)) or not (
            -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            raise ConfigError(_("{where}: latitude/longitude must be numbers in range").format(
                                  where=where))
    if kind == "set":
        for key, value in entry.items():
            expected = _SETTABLE.get(key)
            if expected and not isinstance(value, expected):
                raise ConfigError(_("{where}: {key!r} must be a {type}").format(
                    where=where, key=key, type=expected.__name__))
    if kind == "merge":
        if not isinstance(entry["absorb"], list) or not entry["absorb"]:
            raise ConfigError(_("{where}: 'absorb' must be a non-empty list of actor ids").format(
                where=where))
        for aid in entry["absorb"]:
            _check_id(aid, "absorb", where)
    if kind == "split" and (not isinstance(entry["sources"], list) or not entry["sources"]
                            or not all(isinstance(s, str) for s in entry["sources"])):
        raise ConfigError(_("{where}: 'sources' must be a non-empty list like ['file.csv:12']").format(
            where=where))


def _check_id(value: Any, key: str, where: str) -> None:
    if (not isinstance(value, str) or len(value) > _MAX_ID_LENGTH
            or not ACTOR_ID.fullmatch(value)):
        raise ConfigError(
            _("{where}: {key} {value!r} is not an actor id: lower-case letters, digits and "
              "dashes, as in the actor_id column of build/actors.csv").format(
                where=where, key=key, value=value))


def _normalized_set(entry: dict[str, Any], where: str, taxonomy: Taxonomy | None
                    ) -> dict[str, Any]:
    """``entry`` with its values as the survey normalizers make them (see the module doc)."""
    out = dict(entry)
    for key, value in entry.items():
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ConfigError(_("{where}: {key!r} must be a list of strings").format(where=where, key=key))
        if key in _CHECKED:
            normalized, notes = _CHECKED[key](value)
            if value.strip() and not normalized:
                reason = "; ".join(n.message for n in notes) or _("not a valid value")
                raise ConfigError(_("{where}: {key} {value!r} is refused: {reason}").format(
                    where=where, key=key, value=value, reason=reason))
            out[key] = normalized
        elif key == "name":
            out[key] = normalize_name(value)[0]
            if not any(c.isalnum() for c in out[key]):
                raise ConfigError(_("{where}: name {value!r} is refused: a name needs letters "
                                    "or digits").format(where=where, value=value))
        elif key in ("description", "address"):
            out[key] = _WS.sub(" ", value).strip()
        elif key == "legal_form":
            out[key], note = map_legal_form(value)
            if note:
                raise ConfigError(_("{where}: legal_form {value!r} is refused: not a known "
                                    "legal form").format(where=where, value=value))
        elif key == "themes":
            out[key] = _themes(value, where, taxonomy)
        elif key in ("needs", "offers"):
            items = [_WS.sub(" ", v).strip() for v in value if v.strip()]
            if taxonomy is not None:
                tags, free = taxonomy.map_resources(items)
                items = [*tags, *free]
            out[key] = items
    return out


def _themes(values: list[str], where: str, taxonomy: Taxonomy | None) -> list[str]:
    slugs: list[str] = []
    for value in values:
        if taxonomy is not None:
            found, unknown = taxonomy.map_themes([value])
        else:
            found, unknown = ([value], []) if ACTOR_ID.fullmatch(value) else ([], [value])
        if unknown or not found:
            raise ConfigError(_("{where}: theme {value!r} is refused: not a theme of the "
                                "taxonomy").format(where=where, value=value))
        slugs.extend(s for s in found if s not in slugs)
    return slugs


def apply_corrections(actors: gpd.GeoDataFrame, corrections: Corrections,
                      ids_before_links: set[str] | None = None
                      ) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Apply move/set/hide to ``actors`` (merge and split act earlier, in ``merge_rows``;
    ``ids_before_links`` — from :class:`~safi_map.ingestion.merge.MergeResult` — tells which merge
    corrections named actors that exist).

    Returns the corrected actors and a log: ``applied`` (kind, actor_id) and ``unknown``
    (corrections whose actor does not exist, with the reason).
    """
    out = actors.copy()
    ids = set(out["actor_id"])
    applied: list[dict[str, str]] = []
    unknown: list[dict[str, str]] = []
    index = {aid: i for i, aid in zip(out.index, out["actor_id"], strict=True)}

    def missing(kind: str, aid: str) -> bool:
        if aid in ids:
            return False
        unknown.append({"kind": kind, "actor_id": aid,
                        "reason": _("no actor with this id in the current data")})
        return True

    before = ids if ids_before_links is None else ids_before_links
    for entry in corrections.merge:
        keep = entry["keep"]
        if missing("merge", keep):
            continue
        for aid in entry["absorb"]:
            if aid not in before:
                unknown.append({"kind": "merge", "actor_id": aid,
                                "reason": _("no actor with this id to merge into {keep!r}")
                                .format(keep=keep)})
            elif aid in ids:
                unknown.append({"kind": "merge", "actor_id": aid,
                                "reason": _("could not be merged into {keep!r}").format(
                                    keep=keep)})
            else:
                applied.append({"kind": "merge", "actor_id": f"{aid} -> {keep}"})
    for entry in corrections.split:
        if not missing("split", entry["actor_id"]):
            applied.append({"kind": "split", "actor_id": entry["actor_id"]})
    for entry in corrections.move:
        aid = entry["actor_id"]
        if missing("move", aid):
            continue
        i = index[aid]
        out.loc[i, "latitude"] = float(entry["latitude"])
        out.loc[i, "longitude"] = float(entry["longitude"])
        out.loc[i, "geocode_precision"] = "provided"
        out.loc[i, "geocode_source"] = "correction"
        out.loc[i, "geocode_score"] = 1.0
        out.loc[i, out.geometry.name] = Point(float(entry["longitude"]), float(entry["latitude"]))
        applied.append({"kind": "move", "actor_id": aid})
    for entry in corrections.set:
        aid = entry["actor_id"]
        if missing("set", aid):
            continue
        i = index[aid]
        for key, value in entry.items():
            if key in _SETTABLE:
                out.at[i, key] = list(value) if isinstance(value, list) else value
        applied.append({"kind": "set", "actor_id": aid})
    hidden = []
    for entry in corrections.hide:
        aid = entry["actor_id"]
        if missing("hide", aid):
            continue
        hidden.append(aid)
        applied.append({"kind": "hide", "actor_id": aid})
    if hidden:
        out = out[~out["actor_id"].isin(hidden)]
    log = {"applied": sorted(applied, key=lambda d: (d["kind"], d["actor_id"])),
           "unknown": sorted(unknown, key=lambda d: (d["kind"], d["actor_id"])),
           "hidden": sorted(hidden)}
    return out.reset_index(drop=True), log

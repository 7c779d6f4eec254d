"""Export actors as structures of the national data·inclusion schema (v1).

data·inclusion (https://www.data.inclusion.beta.gouv.fr/) gathers the structures of social
inclusion of France so that advisers find them; publishing the SAFI Tour census in its schema
lets the actors we met appear there without anyone typing them again.

The schema ships with the package (``safi_map/resources/schema/``, Licence Ouverte 2.0) and every
record is validated against it before anything is written: a file that data·inclusion would
reject is never produced silently. What can be fixed is fixed (names cut to 150 characters,
trailing dots removed, phone numbers to E.164, descriptions too short dropped); what cannot is an
error naming the actor and the field.

``thematiques``: schema v1 no longer has this field on structures (it moved to services). It is
written as an extra property, allowed by the schema (no ``additionalProperties: false``), only
when the taxonomy gives ``datainclusion`` prefixes, expanded to the values of the v1 vocabulary
(``datainclusion-thematiques-v1.json``); pass ``thematiques=False`` for strictly-schema records.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import geopandas as gpd
import pandas as pd

from safi_map.core.csvsafe import neutralise
from safi_map.core.errors import SafiMapError
from safi_map.core.hours import is_osm
from safi_map.core.i18n import _, ngettext
from safi_map.export.datainclusion_vocabulary import (
    SOURCE,
    expand_thematiques,
    load_thematiques,
    resource_text,
    theme_prefixes,
)
from safi_map.model.public import public_actors, safe_url

__all__ = [
    "SCHEMA_FIELDS",
    "SOURCE",
    "DataInclusionError",
    "DataInclusionResult",
    "expand_thematiques",
    "load_schema",
    "load_thematiques",
    "records_csv",
    "structures_frame",
    "theme_prefixes",
    "to_structures",
    "validate_structures",
    "write_datainclusion",
]

log = logging.getLogger(__name__)

"""Producer identifier written in ``source`` and as the prefix of every ``id``."""

_SCHEMA_FILE = "datainclusion-structure-v1.json"

SCHEMA_FIELDS: tuple[str, ...] = (
    "source", "id", "nom", "date_maj", "description", "lien_source", "siret", "commune",
    "code_postal", "code_insee", "adresse", "complement_adresse", "longitude", "latitude",
    "telephone", "courriel", "site_web", "horaires_accueil", "accessibilite_lieu",
    "reseaux_porteurs",
)
"""Properties of a v1 structure, in the order of the schema documentation (CSV column order)."""

_NAME_MIN, _NAME_MAX = 3, 150
_DESCRIPTION_MIN, _DESCRIPTION_MAX = 5, 10000
_PHONE_FR = re.compile(r"^0[1-9]\d{8}\Z")
_PHONE_INTL = re.compile(r"^\+\d{6,15}\Z")


class DataInclusionError(SafiMapError, ValueError):
    """Records that do not validate against the data·inclusion schema, listed one per line."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        head = ngettext("{n} data·inclusion record problem:",
                        "{n} data·inclusion record problems:", len(self.problems)).format(
            n=len(self.problems))
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems[:50])]))


@cache
def load_schema() -> dict[str, Any]:
    """The packaged data·inclusion structure schema (v1) as a dict."""
    return json.loads(resource_text(_SCHEMA_FILE))


@cache
def _validator() -> Any:
    import jsonschema
    from jsonschema.validators import validator_for

    schema = load_schema()
    # The schema states no "$schema"; it uses "$defs", i.e. draft 2020-12 (pydantic output).
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


# --------------------------------------------------------------------------------------------
# Field conversions


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return " ".join(str(value).split())


def _nom(name: str) -> str:
    """A name the schema accepts: at most 150 characters, not ending with a dot."""
    name = _text(name)
    if len(name) > _NAME_MAX:
        name = name[: _NAME_MAX - 1].rstrip() + "…"
    return name.rstrip(". ")


def _phone(value: Any) -> str | None:
    """E.164 (``+33…``) for French numbers, the cleaned text otherwise, None when empty."""
    raw = _text(value)
    if not raw:
        return None
    digits = re.sub(r"[\s.\-/()]", "", raw)
    if digits.startswith("0033"):
        digits = "+33" + digits[4:]
    if digits.startswith("+330"):
        digits = "+33" + digits[4:]
    if _PHONE_FR.match(digits):
        return "+33" + digits[1:]
    if _PHONE_INTL.match(digits):
        return digits
    return raw


def _http_url(value: Any) -> str | None:
    url = safe_url(_text(value))
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 2083:
        return None
    return url


def _coordinate(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return round(number, 6) if math.isfinite(number) else None


def _osm_hours(value: Any) -> str | None:
    """``horaires_accueil``: the OSM expression; hours kept as written are not OSM, left out."""
    text = _text(value)
    return text if text and is_osm(text) else None


def _list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if hasattr(value, "tolist"):
        return [str(v) for v in value.tolist()]
    if isinstance(value, str) and value:
        return value.split(";")
    return []


# --------------------------------------------------------------------------------------------
# Public API


def to_structures(
    actors: gpd.GeoDataFrame,
    *,
    taxonomy: Any = None,
    site_url: str = "",
    date: str | None = None,
    thematiques: bool = True,
) -> list[dict[str, Any]]:
    """One data·inclusion structure (dict) per actor, sorted by ``id``, not yet validated.

    Parameters
    ----------
    actors
        Actors GeoDataFrame; passed through :func:`safi_map.model.public.public_actors` here, so
        ``adresse``, ``telephone`` and ``courriel`` are filled only for consenting actors.
    taxonomy
        Gives the ``datainclusion`` prefixes of each theme (see the module docstring).
    site_url
        Public URL of the site: ``lien_source`` then points to the actor's page.
    date
        ``date_maj`` for actors without ``last_seen`` (default: the latest ``last_seen``).
    thematiques
        Write the extra ``thematiques`` property when the taxonomy maps the actor's themes.
    """
    public = public_actors(actors)
    records = public.drop(columns=public.geometry.name).to_dict("records") if len(public) else []
    seen = [str(r.get("last_seen") or "")[:10] for r in records]
    fallback = date or max((d for d in seen if d), default="")
    prefixes = theme_prefixes(taxonomy) if thematiques else {}
    base = site_url.rstrip("/")
    out = []
    for rec, last_seen in zip(records, seen, strict=True):
        actor_id = _text(rec.get("actor_id"))
        description = _text(rec.get("description"))
        if len(description) < _DESCRIPTION_MIN:
            description = ""
        description = description[:_DESCRIPTION_MAX]
        postcode = _text(rec.get("postcode"))
        insee = _text(rec.get("insee_code"))
        siret = re.sub(r"\s", "", _text(rec.get("siret")))
        structure: dict[str, Any] = dict.fromkeys(SCHEMA_FIELDS)
        structure.update({
            "source": SOURCE,
            "id": f"{SOURCE}--{actor_id}",
            "nom": _nom(rec.get("name")),
            "date_maj": last_seen or fallback,
            "description": description or None,
            "lien_source": _http_url(f"{base}/acteurs/{actor_id}.html") if base else None,
            "siret": siret if re.fullmatch(r"\d{14}", siret) else None,
            "commune": _text(rec.get("commune")) or None,
            "code_postal": postcode if re.fullmatch(r"\d{5}", postcode) else None,
            "code_insee": insee if re.fullmatch(r"\w{5}", insee) else None,
            "adresse": _text(rec.get("address")) or None,
            "longitude": _coordinate(rec.get("longitude")),
            "latitude": _coordinate(rec.get("latitude")),
            "telephone": _phone(rec.get("phone")),
            "courriel": _text(rec.get("email")) or None,
            "site_web": _http_url(rec.get("website")),
            "horaires_accueil": _osm_hours(rec.get("opening_hours")),
        })
        if structure["longitude"] is None or structure["latitude"] is None:
            structure["longitude"] = structure["latitude"] = None
        if prefixes:
            values = expand_thematiques(_list(rec.get("themes")), prefixes)
            if values:
                structure["thematiques"] = values
        out.append(structure)
    out.sort(key=lambda s: s["id"])
    return out


def validate_structures(structures: Iterable[dict[str, Any]]) -> list[str]:
    """Problems found by the schema (plus the "no trailing dot" rule it states in prose).

    Each problem names the structure ``id``, its ``nom`` and the field.
    """
    validator = _validator()
    problems: list[str] = []
    for structure in structures:
        who = f"{structure.get('id')!s} ({structure.get('nom')!r})"
        for error in sorted(validator.iter_errors(structure), key=lambda e: list(e.path)):
            field = ".".join(str(p) for p in error.path) or "(record)"
            problems.append(f"{who}: field {field!r}: {error.message}")
        nom = structure.get("nom")
        if isinstance(nom, str) and nom.endswith("."):
            problems.append(_("{who}: field 'nom': must not end with a dot").format(who=who))
    return problems


def records_csv(structures: Sequence[dict[str, Any]],
                fields: Sequence[str] = SCHEMA_FIELDS) -> str:
    """The records as CSV: ``fields`` then any extra key, lists joined with commas, text made
    formula-safe (:mod:`safi_map.core.csvsafe`), numbers left as numbers."""
    extra = sorted({k for s in structures for k in s} - set(fields))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*fields, *extra])
    for s in structures:
        row = []
        for name in (*fields, *extra):
            value = s.get(name)
            if value is None:
                row.append("")
            elif isinstance(value, list):
                row.append(neutralise(",".join(value)))
            elif isinstance(value, float):
                row.append(f"{value:.6f}")  # numbers stay numbers (latitude, longitude)
            elif isinstance(value, int | bool):
                row.append(str(value))
            else:  # text: no formula (see safi_map.core.csvsafe)
                row.append(neutralise(str(value)))
        writer.writerow(row)
    return buffer.getvalue()


@dataclass(frozen=True)
class DataInclusionResult:
    """Files written and what was left out (only with ``strict=False``)."""

    paths: tuple[Path, ...]
    written: int
    skipped: tuple[str, ...]  # ids of structures (and services) left out
    problems: tuple[str, ...]
    services: int = 0  # services written


def write_datainclusion(
    actors: gpd.GeoDataFrame,
    path: str | Path,
    *,
    taxonomy: Any = None,
    site_url: str = "",
    date: str | None = None,
    thematiques: bool = True,
    csv_path: str | Path | None = None,
    strict: bool = True,
    with_services: bool = True,
) -> DataInclusionResult:
    """Validate and write the actors as data·inclusion structures and services: JSON and CSV.

    Parameters
    ----------
    path
        The JSON file (a list of structures, sorted by id, keys sorted, UTF-8, stable bytes).
    csv_path
        The CSV file; default: ``path`` with suffix ``.csv`` (pass the same stem to keep both).
    strict
        Raise :class:`DataInclusionError` when any record is invalid (default), or leave the
        invalid records out with a warning each.
    with_services
        Also write the services (:mod:`safi_map.export.datainclusion_services`): ``<stem>-services.json``
        beside the JSON and ``<stem>-services.csv`` beside the CSV.

    Raises
    ------
    DataInclusionError
        Invalid records, each named with the actor id, name and field.
    """
    from safi_map.export.datainclusion_services import (
        SERVICE_FIELDS,
        to_services,
        validate_services,
    )

    structures = to_structures(actors, taxonomy=taxonomy, site_url=site_url, date=date,
                               thematiques=thematiques)
    problems = validate_structures(structures)
    skipped: list[str] = []
    if problems:
        if strict:
            raise DataInclusionError(problems)
        bad = {p.split(" ", 1)[0] for p in problems}
        skipped = sorted(bad)
        for problem in problems:
            log.warning(_("data·inclusion: left out %s"), problem)
        structures = [s for s in structures if s["id"] not in bad]
    services = to_services(actors, structures, taxonomy=taxonomy) if with_services else []
    service_problems = validate_services(services)
    if service_problems:
        if strict:
            raise DataInclusionError(service_problems)
        bad = {p.split(" ", 1)[0] for p in service_problems}
        skipped += sorted(bad)
        for problem in service_problems:
            log.warning(_("data·inclusion: left out %s"), problem)
        services = [s for s in services if s["id"] not in bad]
    path = Path(path)
    if path.suffix.lower() == ".csv" and csv_path is None:  # asked for the CSV: JSON beside it
        path, csv_path = path.with_suffix(".json"), path
    csv_file = Path(csv_path) if csv_path is not None else path.with_suffix(".csv")
    from safi_map.core.writer import write_file_atomic

    write_file_atomic(path, json.dumps(structures, ensure_ascii=False, sort_keys=True,
                                       indent=1) + "\n")
    write_file_atomic(csv_file, records_csv(structures))
    paths = [path, csv_file]
    if with_services:
        services_json = path.with_name(f"{path.stem}-services.json")
        services_csv = csv_file.with_name(f"{csv_file.stem}-services.csv")
        write_file_atomic(services_json, json.dumps(services, ensure_ascii=False,
                                                    sort_keys=True, indent=1) + "\n")
        write_file_atomic(services_csv, records_csv(services, SERVICE_FIELDS))
        paths += [services_json, services_csv]
    log.info("data·inclusion: %d structures and %d services written to %s", len(structures),
             len(services), ", ".join(map(str, paths)))
    return DataInclusionResult(paths=tuple(paths), written=len(structures),
                               skipped=tuple(skipped),
                               problems=tuple(problems) + tuple(service_problems),
                               services=len(services))


def structures_frame(structures: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The structures as a DataFrame (for notebooks), columns in schema order."""
    return pd.DataFrame(list(structures), columns=list(SCHEMA_FIELDS))

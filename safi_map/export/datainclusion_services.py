"""data·inclusion services (schema v1): one service per actor theme that data·inclusion knows.

Schema v1 moved ``thematiques`` from structures to services: a service is what a structure does
for the public in one field ("Alimentation", "Logement"), with the v1 ``thematique`` values of
that field. The SAFI census records, per actor, its themes (the taxonomy's sectors); the
taxonomy maps some of them to data·inclusion prefixes (``datainclusion`` in ``taxonomy.toml``).
So each actor gets one service per mapped theme; a theme without a mapping (culture, ESS
networks...) is no data·inclusion service and is not exported as one. The needs and offers of
the census are exchanges between actors, not services to the public: they are not exported.

A service takes its place, contacts and opening hours from its structure record (already
through the consent gate: :func:`safi_map.export.datainclusion.to_structures`), so the rule "contacts
only with consent" holds here too. Every service is validated against the packaged v1 schema
(``datainclusion-service-v1.json``, Licence Ouverte 2.0).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from typing import Any

import geopandas as gpd

from safi_map.export.datainclusion_vocabulary import SOURCE, expand_thematiques, theme_prefixes
from safi_map.model.public import public_actors

__all__ = [
    "SERVICE_FIELDS",
    "load_service_schema",
    "to_services",
    "validate_services",
]

_SCHEMA_FILE = "datainclusion-service-v1.json"

SERVICE_FIELDS: tuple[str, ...] = (
    "source", "id", "structure_id", "nom", "description", "date_maj", "type", "thematiques",
    "lien_source", "commune", "code_postal", "code_insee", "adresse", "complement_adresse",
    "longitude", "latitude", "telephone", "courriel", "horaires_accueil", "modes_accueil",
    "frais", "frais_precisions", "publics", "publics_precisions", "conditions_acces",
    "contact_nom_prenom", "modes_mobilisation", "mobilisable_par", "lien_mobilisation",
    "mobilisation_precisions", "zone_eligibilite", "nombre_semaines",
    "volume_horaire_hebdomadaire",
)
"""Properties of a v1 service (CSV column order): identity first, then place and contacts."""

_COPIED = ("date_maj", "lien_source", "commune", "code_postal", "code_insee", "adresse",
           "complement_adresse", "longitude", "latitude", "telephone", "courriel",
           "horaires_accueil")
"""Fields a service takes from its structure."""

_NAME_MAX = 150


@cache
def load_service_schema() -> dict[str, Any]:
    """The packaged data·inclusion service schema (v1) as a dict."""
    path = resources.files("safi_map").joinpath("resources", "schema", _SCHEMA_FILE)
    return json.loads(path.read_text("utf-8"))


@cache
def _validator() -> Any:
    import jsonschema
    from jsonschema.validators import validator_for

    schema = load_service_schema()
    cls = validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _labels(taxonomy: Any) -> dict[str, str]:
    themes = getattr(taxonomy, "themes", taxonomy) if taxonomy is not None else []
    out: dict[str, str] = {}
    for item in themes or []:
        get = item.get if isinstance(item, dict) else lambda n, d=None, i=item: getattr(i, n, d)
        slug = str(get("slug", "") or "")
        if slug:
            out[slug] = str(get("label", "") or slug)
    return out


def _slugs(value: Any) -> list[str]:
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, str) and value:
        return value.split(";")
    return []


def _name(label: str) -> str:
    name = " ".join(label.split())
    if len(name) > _NAME_MAX:
        name = name[: _NAME_MAX - 1].rstrip() + "…"
    return name.rstrip(". ")


def to_services(
    actors: gpd.GeoDataFrame,
    structures: Sequence[dict[str, Any]],
    *,
    taxonomy: Any = None,
) -> list[dict[str, Any]]:
    """One service per (actor, theme mapped to data·inclusion), sorted by ``id``.

    ``structures`` are the records of :func:`safi_map.export.datainclusion.to_structures` for the same
    actors (a service whose structure is not among them, e.g. left out as invalid, is not
    made). ``nom`` is the theme's label; ``description`` the structure's, or, when it has none,
    a sentence naming the structure and the theme (the schema requires one).
    """
    prefixes = theme_prefixes(taxonomy)
    if not prefixes:
        return []
    labels = _labels(taxonomy)
    by_id = {s["id"]: s for s in structures}
    public = public_actors(actors)
    out: list[dict[str, Any]] = []
    for aid, themes in zip(public["actor_id"].astype(str), public["themes"], strict=True):
        structure = by_id.get(f"{SOURCE}--{aid}")
        if structure is None:
            continue
        for slug in dict.fromkeys(_slugs(themes)):
            values = expand_thematiques([slug], prefixes)
            if not values:
                continue
            label = labels.get(slug, slug)
            service: dict[str, Any] = dict.fromkeys(SERVICE_FIELDS)
            service.update({key: structure.get(key) for key in _COPIED})
            service.update({
                "source": SOURCE,
                "id": f"{structure['id']}--{slug}",
                "structure_id": structure["id"],
                "nom": _name(label),
                "description": structure.get("description")
                or f"{label} : {structure['nom']}"
                + (f", {structure['commune']}" if structure.get("commune") else "") + ".",
                "thematiques": values,
            })
            out.append(service)
    out.sort(key=lambda s: s["id"])
    return out


def validate_services(services: Iterable[dict[str, Any]]) -> list[str]:
    """Problems found by the v1 service schema, each naming the service ``id`` and field."""
    validator = _validator()
    problems: list[str] = []
    for service in services:
        who = f"{service.get('id')!s} ({service.get('nom')!r})"
        for error in sorted(validator.iter_errors(service), key=lambda e: list(e.path)):
            field = ".".join(str(p) for p in error.path) or "(record)"
            problems.append(f"{who}: field {field!r}: {error.message}")
    return problems

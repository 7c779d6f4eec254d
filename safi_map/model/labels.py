"""The French labels of the actors' coded values, in one table for every output.

The data keeps codes (``cooperative``, ``housenumber``, ``legal_form``); pages, posters and
exports show these labels. Before this table the map said "Coopérative" where the site said
"Coopérative (SCOP, SCIC…)": a label is defined here once and read from here.
"""

from __future__ import annotations

__all__ = ["FIELD_LABELS", "LEGAL_FORMS", "PRECISION_LABELS", "legal_form_label",
           "precision_label"]

LEGAL_FORMS: dict[str, str] = {
    "association": "Association",
    "cooperative": "Coopérative (SCOP, SCIC…)",
    "mutuelle": "Mutuelle",
    "fondation": "Fondation",
    "entreprise-ess": "Entreprise de l'ESS",
    "collectivite": "Collectivité ou établissement public",
    "autre": "Autre",
}
"""Slug -> label of the legal forms (the fixed vocabulary ``map_legal_form`` maps to)."""

PRECISION_LABELS: dict[str, str] = {
    "provided": "coordonnées fournies",
    "housenumber": "adresse",
    "street": "rue",
    "locality": "lieu-dit",
    "municipality": "commune",
    "none": "non localisé",
}
"""``geocode_precision`` -> how precisely the actor is placed, in words."""

FIELD_LABELS: dict[str, str] = {
    "name": "nom", "legal_form": "statut", "themes": "thématiques", "description": "description",
    "address": "adresse", "postcode": "code postal", "commune": "commune",
    "insee_code": "code commune", "website": "site web", "email": "courriel",
    "phone": "téléphone", "needs": "besoins", "offers": "ressources", "stops": "étapes",
    "contact_consent": "accord de publication", "siret": "SIRET",
}
"""French names of the actor fields (the change report, the news feeds)."""


def legal_form_label(slug: str) -> str:
    """The label of a legal-form slug; an unknown slug as given."""
    return LEGAL_FORMS.get(slug, slug)


def precision_label(precision: str) -> str:
    """The label of a ``geocode_precision``; an unknown value as given."""
    return PRECISION_LABELS.get(precision, precision)

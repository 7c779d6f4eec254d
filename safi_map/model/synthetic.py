"""Synthetic actors in the canonical format, for tests, benchmarks and screenshots.

Real surveys are small and private; the map, the site and the exports must be exercised at the
scale of the whole region (tens of thousands of actors) and against hostile survey text. This
module produces such data, deterministically (same ``n`` and ``seed`` -> same frame), shaped
exactly like ``ingest.IngestResult.actors`` (see docs/ARCHITECTURE.md, "Actors").

Nothing produced here is real: names, descriptions and contacts are made up. It is never used
to build a published site.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from safi_map.model.public import ACTOR_COLUMNS
from safi_map.model.taxonomy import Taxonomy, Theme, load_taxonomy
from safi_map.model.tour import Stop, Tour

__all__ = [
    "HOSTILE_NAMES",
    "SYNTHETIC_LEGAL_FORMS",
    "SYNTHETIC_STOPS",
    "SYNTHETIC_THEMES",
    "synthetic_actors",
    "synthetic_taxonomy",
    "synthetic_tour",
]

logger = logging.getLogger(__name__)

PACA_DEPARTMENTS: tuple[str, ...] = ("04", "05", "06", "13", "83", "84")

# Reference CSV used only when the packaged gazetteer is not available (yet).
_REFERENCE_CSV = Path("/work/shared/data/reference/communes_france.csv")

SYNTHETIC_THEMES: tuple[dict[str, str], ...] = (
    {"slug": "insertion", "label": "Insertion et emploi", "colour": "#1b9e77", "icon": "briefcase"},
    {"slug": "solidarite", "label": "Solidarité et lien social", "colour": "#d95f02", "icon": "hands"},
    {"slug": "alimentation", "label": "Alimentation", "colour": "#7570b3", "icon": "carrot"},
    {"slug": "environnement", "label": "Environnement", "colour": "#66a61e", "icon": "leaf"},
    {"slug": "economie-circulaire", "label": "Économie circulaire", "colour": "#e7298a", "icon": "recycle"},
    {"slug": "habitat", "label": "Habitat et logement", "colour": "#a6761d", "icon": "house"},
    {"slug": "sante", "label": "Santé", "colour": "#e41a1c", "icon": "heart"},
    {"slug": "education", "label": "Éducation et formation", "colour": "#377eb8", "icon": "book"},
    {"slug": "culture", "label": "Culture", "colour": "#984ea3", "icon": "palette"},
    {"slug": "sport", "label": "Sport et loisirs", "colour": "#ff7f00", "icon": "ball"},
    {"slug": "mobilite", "label": "Mobilité", "colour": "#4daf4a", "icon": "bike"},
    {"slug": "finance-solidaire", "label": "Finance solidaire", "colour": "#b8860b", "icon": "coins"},
    {"slug": "numerique", "label": "Numérique", "colour": "#17becf", "icon": "laptop"},
    {"slug": "citoyennete", "label": "Citoyenneté et démocratie", "colour": "#8c564b", "icon": "scales"},
    {"slug": "commerce-equitable", "label": "Commerce équitable", "colour": "#bcbd22", "icon": "basket"},
)
"""The 15 themes of the synthetic taxonomy (same shape as ``[[themes]]`` in taxonomy.toml)."""

SYNTHETIC_LEGAL_FORMS: tuple[str, ...] = (
    "association", "cooperative", "mutuelle", "fondation", "entreprise-ess", "collectivite", "autre",
)
_LEGAL_WEIGHTS = np.array([0.55, 0.12, 0.04, 0.04, 0.15, 0.05, 0.05])

SYNTHETIC_STOPS: tuple[dict[str, str], ...] = (
    {"id": "toulon", "town": "Toulon", "insee_code": "83137", "date": "2015-09-28", "venue": "TVT Innovation"},
    {"id": "marseille", "town": "Marseille", "insee_code": "13055", "date": "2015-10-12", "venue": "La Friche la Belle de Mai"},
    {"id": "nice", "town": "Nice", "insee_code": "06088", "date": "2015-10-26", "venue": "Maison des associations"},
    {"id": "avignon", "town": "Avignon", "insee_code": "84007", "date": "2015-11-09", "venue": "Hôtel de ville"},
    {"id": "gap", "town": "Gap", "insee_code": "05061", "date": "2015-11-23", "venue": "Quattro"},
    {"id": "digne-les-bains", "town": "Digne-les-Bains", "insee_code": "04070", "date": "2015-12-07", "venue": "Centre culturel René Char"},
)
"""A small tour (same shape as ``[[stops]]`` in tour.toml; dates as ISO strings)."""

HOSTILE_NAMES: tuple[str, ...] = (
    "<script>alert(1)</script>",
    "Les \"Jardins\" d'Élise </script><script>alert(2)</script>",
    "Café l'Entraide \u2028 & <b>Cie</b>",
    "<img src=x onerror=alert(3)>",
    "'; alert(4); //",
)
"""Names that must survive every HTML/JS context as plain text."""

_NAME_HEADS = (
    "Association", "Collectif", "Coopérative", "Atelier", "Maison", "Réseau", "Les Amis de",
    "Épicerie solidaire", "Jardin partagé", "Recyclerie", "Fab lab", "Compagnie", "Ressourcerie",
    "Café associatif", "Chantier d'insertion", "Régie de quartier", "Entraide", "Espace",
)
_NAME_TAILS = (
    "du Soleil", "des Calanques", "du Verdon", "Lou Païs", "de la Durance", "des Alpilles",
    "du Lubéron", "Vivre Ensemble", "Terre & Partage", "du Mistral", "des Oliviers", "L'Étoile",
    "Provence Solidaire", "Bien Commun", "du Ventoux", "Les Cigales", "de l'Estérel", "Azur",
)
_DESCRIPTIONS = {
    "insertion": "Accompagnement vers l'emploi et chantiers d'insertion.",
    "solidarite": "Accueil, écoute et entraide entre habitants.",
    "alimentation": "Épicerie solidaire, paniers de légumes et cuisine collective.",
    "environnement": "Sensibilisation à la biodiversité et nettoyage des espaces naturels.",
    "economie-circulaire": "Réparation, réemploi et recyclerie de quartier.",
    "habitat": "Habitat participatif et aide à la rénovation énergétique.",
    "sante": "Prévention santé, accès aux soins et soutien psychologique.",
    "education": "Soutien scolaire, formation et éducation populaire.",
    "culture": "Spectacles, ateliers artistiques et fêtes de village.",
    "sport": "Sport pour toutes et tous, randonnées et loisirs.",
    "mobilite": "Atelier vélo, covoiturage et auto-école sociale.",
    "finance-solidaire": "Microcrédit, épargne solidaire et finance participative.",
    "numerique": "Médiation numérique et reconditionnement d'ordinateurs.",
    "citoyennete": "Conseils citoyens, débats et engagement local.",
    "commerce-equitable": "Boutique de commerce équitable et circuits courts.",
}
_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
_AUDIENCES = ("jeunes", "familles", "seniors", "personnes en recherche d'emploi", "habitants du quartier",
              "personnes migrantes", "étudiants", "agriculteurs", "artisans", "tout public")
_EXTRAS = (
    "Permanence le {day} de {h1} h à {h2} h.",
    "Créée en {year}, elle compte environ {k} bénévoles.",
    "Public : {aud}.",
    "Nous cherchons des partenaires pour {aud}.",
    "{k} salariés, {k2} adhérents.",
    "Ateliers le {day} matin, ouverts aux {aud}.",
)
_RESOURCES = ("locaux", "benevoles", "materiel", "financement", "communication", "formation", "vehicule")
# Opening hours as the survey parser stores them: OSM expressions, and one text kept as written.
_HOURS = ("Mo-Fr 09:00-12:00,14:00-17:00", "", "Tu 14:00-18:00", "Mo-Fr 09:00-17:00; We off",
          "\"sur rendez-vous\"", "", "Tu-Sa 10:00-13:00,14:30-19:00; PH off",
          "le matin, selon la saison", "")
_STREETS = ("rue de la République", "avenue Jean Jaurès", "place de la Mairie", "chemin des Vignes",
            "boulevard Victor Hugo", "rue Pasteur", "cours Mirabeau", "impasse des Lavandes")


@lru_cache(maxsize=1)
def _paca_communes() -> pd.DataFrame:
    """PACA communes with a point: from the packaged gazetteer, else the reference CSV.

    Marseille is represented by its 16 arrondissements (the geocoder's official communes),
    not by the parent commune.
    """
    try:
        from safi_map.geo import gazetteer

        raw = gazetteer.communes()
    except Exception as exc:  # gazetteer unavailable: fall back to the reference CSV
        logger.debug("gazetteer.communes() unavailable (%s); reading %s", exc, _REFERENCE_CSV)
        raw = pd.read_csv(_REFERENCE_CSV, dtype=str, keep_default_na=False)
    frame = pd.DataFrame(
        {
            "insee_code": raw["code_insee"].astype(str),
            "commune": raw["nom"].astype(str),
            "department": raw["departement"].astype(str),
            "type": raw["type"].astype(str),
            "epci": raw["epci_code"].astype(str),
            "epci_name": raw["epci_nom"].astype(str),
            "postcodes": raw["codes_postaux"].astype(str),
            "population": pd.to_numeric(raw["population"], errors="coerce"),
            "latitude": pd.to_numeric(raw["latitude"], errors="coerce"),
            "longitude": pd.to_numeric(raw["longitude"], errors="coerce"),
        }
    )
    frame = frame[frame["department"].isin(PACA_DEPARTMENTS)]
    frame = frame[frame["insee_code"] != "13055"]  # Marseille: use its arrondissements
    frame = frame.dropna(subset=["latitude", "longitude"])
    frame["population"] = frame["population"].fillna(100).clip(lower=50)
    frame["postcode"] = frame["postcodes"].str.split("|").str[0].fillna("")
    return frame.sort_values("insee_code").reset_index(drop=True)


def synthetic_taxonomy() -> Taxonomy:
    """The synthetic themes (:data:`SYNTHETIC_THEMES`) as a real :class:`Taxonomy`, with the
    needs/offers vocabulary of the packaged taxonomy (the synthetic actors' resources)."""
    themes = tuple(Theme(t["slug"], t["label"], t["colour"], t["icon"]) for t in SYNTHETIC_THEMES)
    return Taxonomy(themes=themes, resources=load_taxonomy().resources)


def synthetic_tour() -> Tour:
    """The synthetic stops (:data:`SYNTHETIC_STOPS`) as a real :class:`Tour`."""
    return Tour(stops=tuple(Stop(id=s["id"], town=s["town"], insee_code=s["insee_code"],
                                 date=dt.date.fromisoformat(s["date"]), venue=s["venue"])
                            for s in SYNTHETIC_STOPS))


_DEP_STOP = {"83": "toulon", "13": "marseille", "06": "nice", "84": "avignon", "05": "gap",
             "04": "digne-les-bains"}


def _draws(rng: np.random.Generator, n: int) -> dict[str, Any]:
    """Every random draw of :func:`synthetic_actors` after the communes, in a fixed order."""
    slugs = [t["slug"] for t in SYNTHETIC_THEMES]
    n_themes = rng.choice([1, 1, 1, 2, 2, 3], size=n)
    theme_draw = rng.permuted(np.tile(np.arange(len(slugs)), (n, 1)), axis=1)
    return {
        "themes": [[slugs[j] for j in theme_draw[i, : n_themes[i]]] for i in range(n)],
        "legal": rng.choice(len(SYNTHETIC_LEGAL_FORMS), size=n,
                            p=_LEGAL_WEIGHTS / _LEGAL_WEIGHTS.sum()),
        "heads": rng.integers(0, len(_NAME_HEADS), size=n),
        "tails": rng.integers(0, len(_NAME_TAILS), size=n),
        "consent": rng.random(n) < 0.6,
        "located": rng.random(n) >= 0.02,
        "precision": rng.random(n),
        # Jitter: about 0.2–1 km around the commune point (degrees, latitude ~ 111 km).
        "dlat": rng.normal(0.0, 0.004, size=n),
        "dlon": rng.normal(0.0, 0.005, size=n),
        "stop_choice": rng.integers(0, len(SYNTHETIC_STOPS), size=(n, 2)),
        "n_stops": rng.choice([1, 1, 1, 1, 2], size=n),
        "n_needs": rng.integers(0, 3, size=n),
        "n_offers": rng.integers(0, 3, size=n),
        "resources": rng.permuted(np.tile(np.arange(len(_RESOURCES)), (n, 1)), axis=1),
        "house": rng.integers(1, 120, size=n),
        "street": rng.integers(0, len(_STREETS), size=n),
        "siret": rng.integers(10**13, 10**14, size=n, dtype=np.int64),
        "has_site": rng.random(n) < 0.7,
        "extra": rng.integers(0, 10_000, size=(n, 8)),
    }


def _text(i: int, d: dict[str, Any]) -> tuple[str, str]:
    """Name and description of actor ``i`` (the first ones hostile)."""
    themes = d["themes"][i]
    if i < len(HOSTILE_NAMES):
        name = HOSTILE_NAMES[i]
    else:
        name = f"{_NAME_HEADS[d['heads'][i]]} {_NAME_TAILS[d['tails'][i]]}"
        if i % 97 == 0:
            name += f" n°{i}"
    x = d["extra"][i]
    extra = _EXTRAS[int(x[0]) % len(_EXTRAS)].format(
        day=_DAYS[int(x[1]) % len(_DAYS)], h1=8 + int(x[2]) % 6,
        h2=14 + int(x[3]) % 6, year=1950 + int(x[4]) % 75,
        k=2 + int(x[5]) % 120, k2=10 + int(x[6]) % 900,
        aud=_AUDIENCES[int(x[7]) % len(_AUDIENCES)],
    )
    desc = " ".join(_DESCRIPTIONS[t] for t in themes[:2]) + " " + extra
    if i < len(HOSTILE_NAMES):
        desc = f"{desc} <script>alert('desc{i}')</script> \"guillemets\" </script>"
    return name, desc


def _place(i: int, c: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    """Coordinates and geocoding columns of actor ``i`` in commune ``c``."""
    if not d["located"][i]:
        return {"latitude": float("nan"), "longitude": float("nan"), "geocode_precision": "none",
                "geocode_source": "none", "geocode_score": 0.0}
    p = d["precision"][i]
    precision, source, score = (
        ("provided", "survey", 1.0) if p < 0.1
        else ("housenumber", "ban", 0.9) if p < 0.5
        else ("street", "ban", 0.8) if p < 0.6
        else ("municipality", "gazetteer", 0.7)
    )
    return {"latitude": float(round(c["latitude"] + d["dlat"][i], 6)),
            "longitude": float(round(c["longitude"] + d["dlon"][i], 6)),
            "geocode_precision": precision, "geocode_source": source, "geocode_score": score}


def _row(i: int, seed: int, c: dict[str, Any], d: dict[str, Any]) -> dict[str, Any]:
    """The record of actor ``i`` (commune ``c``, draws ``d``)."""
    actor_id = f"syn-{seed:02d}-{i:06d}"
    slug_name = "".join(ch for ch in actor_id if ch.isalnum())
    name, desc = _text(i, d)
    # Surveyed at the stop of its department, sometimes at another one as well.
    stop_ids = [s["id"] for s in SYNTHETIC_STOPS]
    stop_set = {_DEP_STOP.get(c["department"], stop_ids[d["stop_choice"][i, 0]])}
    if d["n_stops"][i] > 1:
        stop_set.add(stop_ids[d["stop_choice"][i, 1]])
    stops = sorted(stop_set)
    dates = sorted(s["date"] for s in SYNTHETIC_STOPS if s["id"] in stop_set)
    website = f"https://{slug_name}.example.org" if d["has_site"][i] else ""
    if i == 1:
        website = "javascript:alert(5)"
    legal, res = d["legal"][i], d["resources"][i]
    return {
        "actor_id": actor_id, "name": name, "legal_form": SYNTHETIC_LEGAL_FORMS[legal],
        "themes": d["themes"][i], "description": desc,
        "address": f"{d['house'][i]} {_STREETS[d['street'][i]]}",
        "postcode": c["postcode"], "commune": c["commune"], "commune_former": "",
        "insee_code": c["insee_code"], "department": c["department"], "epci": c["epci"],
        "epci_name": c["epci_name"], **_place(i, c, d),
        "website": website, "email": f"contact@{slug_name}.example.org",
        "phone": f"04 {90 + i % 10:02d} {i // 10000 % 100:02d} {i // 100 % 100:02d} {i % 100:02d}",
        "needs": sorted(_RESOURCES[j] for j in res[: d["n_needs"][i]]),
        "offers": sorted(_RESOURCES[j] for j in res[3: 3 + d["n_offers"][i]]),
        "stops": stops, "first_seen": dates[0], "last_seen": dates[-1],
        "contact_consent": bool(d["consent"][i]),
        "siret": str(d["siret"][i]) if legal in (1, 4) else "",
        "opening_hours": _HOURS[i % len(_HOURS)],
        "sources": [f"synthetic.csv:{i + 2}"],
    }



def synthetic_actors(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` fake actors in the canonical actors format, deterministic for a given ``seed``.

    Actors are spread over PACA communes with a probability growing with the square root of the
    population (cities have more actors, villages some), a few metres to a few hundred metres
    around the commune point. About 2 % have no location (precision ``none``, geometry None),
    about 60 % consented to publish their contacts (the others still carry an email and phone,
    so the publication gate can be tested), and the first actors carry hostile names and
    descriptions (:data:`HOSTILE_NAMES`, a ``javascript:`` website) to test escaping.

    Parameters
    ----------
    n
        Number of actors.
    seed
        Seed of the random generator.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`safi_map.model.public.ACTOR_COLUMNS`, EPSG:4326, sorted by ``actor_id``.
    """
    rng = np.random.default_rng(seed)
    communes = _paca_communes()
    weights = np.sqrt(communes["population"].to_numpy(dtype=float))
    weights /= weights.sum()
    idx = rng.choice(len(communes), size=n, p=weights)
    picked = communes.iloc[idx].reset_index(drop=True)

    d = _draws(rng, n)
    records = picked.to_dict("records")
    rows = [_row(i, seed, records[i], d) for i in range(n)]
    frame = pd.DataFrame(rows, columns=[c for c in ACTOR_COLUMNS if c != "geometry"])
    geometry = gpd.points_from_xy(frame["longitude"], frame["latitude"])
    geometry = [None if not ok else g for g, ok in zip(geometry, d["located"], strict=True)]
    out = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    out = out.sort_values("actor_id").reset_index(drop=True)
    return out[list(ACTOR_COLUMNS)]


#!/usr/bin/env python3
"""Generate the fictional example data of the SAFI Tour: ``data/tour.toml`` and ``data/surveys/``.

Why a generator rather than hand-made files: the example surveys must look like what coordinators
really export (seven files, four formats, the usual mess of spreadsheets filled by hand and online
forms), stay obviously fictional (invented names, contact details in ranges reserved for fiction),
and be reproducible byte for byte so that tests can compare them with the committed copies.

Everything is drawn from the tables below with one seeded :class:`random.Random`; the mess is
planted on purpose (see ``FILES`` and ``data/README.md``) so testers know what to look for.

Usage::

    python scripts/make_example_data.py            # writes data/tour.toml and data/surveys/*
    python scripts/make_example_data.py --out DIR  # writes DIR/tour.toml and DIR/surveys/*

Only the date and the venue of the Toulon stop (28 September 2015 at TVT Innovation) are real;
everything else is invented.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import random
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

# openpyxl writes its XML with lxml when lxml is installed (feedgen brings it), with slightly
# different bytes (`"/>` for `" />`): always its own writer, so the files are the same everywhere.
os.environ["OPENPYXL_LXML"] = "False"

SEED = 20150928
#: Timestamp written into spreadsheet properties and zip entries, so reruns give identical bytes.
FIXED_TIME = dt.datetime(2015, 10, 1, 12, 0, 0)
MARKER = "DONNÉES D'EXEMPLE — fictives — ne pas utiliser comme données réelles"
CREATOR = "safi-map example data generator"

# ---------------------------------------------------------------------------------------------
# Reference tables (kept compact on purpose: they are data, not code)
# ---------------------------------------------------------------------------------------------
# fmt: off

#: Real PACA communes (INSEE code, official name, postcodes, population, a point inside), copied
#: from /work/shared/data/reference/communes_france.csv (COG 2026, Licence Ouverte 2.0) so the
#: generator does not depend on that file. Big towns, small villages and real homonyms.
COMMUNES_TABLE: tuple[tuple[str, str, str, int, float, float], ...] = (
    ("04112", "Manosque", "04100", 22718, 43.83357, 5.78273),
    ("04070", "Digne-les-Bains", "04000", 17979, 44.09338, 6.23523),
    ("04209", "Sisteron", "04200", 7850, 44.19485, 5.94257),
    ("04143", "Oraison", "04700", 6155, 43.91709, 5.91795),
    ("04088", "Forcalquier", "04300", 5222, 43.95950, 5.78081),
    ("04049", "Château-Arnoux-Saint-Auban", "04160|04600", 5107, 44.09320, 6.00892),
    ("04242", "Villeneuve", "04180", 4360, 43.89444, 5.86120),
    ("04116", "Les Mées", "04190", 4099, 44.02950, 5.97494),
    ("04152", "Pierrevert", "04860", 3945, 43.81000, 5.75051),
    ("04197", "Sainte-Tulle", "04220", 3558, 43.78611, 5.76534),
    ("04203", "Selonnet", "04140", 443, 44.37109, 6.31235),
    ("04031", "Bras-d'Asse", "04270", 571, 43.92441, 6.12730),
    ("04158", "Quinson", "04500", 368, 43.70220, 6.03911),
    ("04092", "La Garde", "04120", 121, 43.83003, 6.55746),
    ("04181", "Saint-Jeannet", "04270", 50, 43.97799, 6.12370),
    ("04041", "Le Castellet", "04700", 296, 43.93848, 5.98014),
    ("04122", "Mirabeau", "04510", 522, 44.06254, 6.09078),
    ("04001", "Aiglun", "04510", 1399, 44.05070, 6.14497),
    ("04170", "La Rochette", "06260", 74, 43.91546, 6.89142),
    ("05061", "Gap", "05000", 41293, 44.55877, 6.07980),
    ("05023", "Briançon", "05100", 11411, 44.89991, 6.63375),
    ("05046", "Embrun", "05200", 6412, 44.56392, 6.49578),
    ("05070", "Laragne-Montéglin", "05300", 3549, 44.31510, 5.82167),
    ("05179", "Veynes", "05400", 3214, 44.53476, 5.82421),
    ("05040", "Chorges", "05230", 3146, 44.54572, 6.27555),
    ("05017", "La Bâtie-Neuve", "05230", 2628, 44.56520, 6.19775),
    ("05065", "Guillestre", "05600", 2295, 44.66101, 6.64837),
    ("05170", "Tallard", "05130", 2292, 44.46341, 6.05688),
    ("05027", "Cervières", "05100", 205, 44.86890, 6.72197),
    ("05113", "Rambaud", "05000", 423, 44.54484, 6.13203),
    ("05107", "Puy-Saint-André", "05100", 476, 44.87839, 6.59689),
    ("05184", "Vitrolles", "05110", 221, 44.41270, 5.95524),
    ("06088", "Nice", "06000|06100|06200|06300", 357737, 43.69611, 7.27178),
    ("06004", "Antibes", "06160|06600", 77637, 43.58065, 7.12767),
    ("06029", "Cannes", "06150|06400", 74350, 43.55115, 7.01175),
    ("06027", "Cagnes-sur-Mer", "06800", 53354, 43.66310, 7.14825),
    ("06069", "Grasse", "06130|06520", 50970, 43.65798, 6.92444),
    ("06030", "Le Cannet", "06110", 41938, 43.57047, 7.01651),
    ("06123", "Saint-Laurent-du-Var", "06700", 32172, 43.67503, 7.19055),
    ("06083", "Menton", "06500", 30604, 43.77553, 7.50284),
    ("06155", "Vallauris", "06220", 29259, 43.57976, 7.05554),
    ("06079", "Mandelieu-la-Napoule", "06210", 21640, 43.54127, 6.93330),
    ("06157", "Vence", "06140", 19917, 43.72270, 7.11346),
    ("06085", "Mougins", "06250", 19782, 43.59916, 6.99495),
    ("06161", "Villeneuve-Loubet", "06270", 17548, 43.65815, 7.12174),
    ("06033", "Carros", "06510", 13803, 43.77330, 7.19162),
    ("06146", "Tournefort", "06420", 147, 43.94640, 7.15117),
    ("06071", "Guillaumes", "06470", 587, 44.08935, 6.85431),
    ("06017", "Bézaudun-les-Alpes", "06510", 256, 43.80848, 7.09662),
    ("06122", "Saint-Jeannet", "06640", 4453, 43.74752, 7.14287),
    ("06001", "Aiglun", "06910", 104, 43.85773, 6.91464),
    ("13201", "Marseille 1er Arrondissement", "13001", 37599, 43.29701, 5.37901),
    ("13202", "Marseille 2e Arrondissement", "13002", 24378, 43.29861, 5.36494),
    ("13203", "Marseille 3e Arrondissement", "13003", 58029, 43.31154, 5.38029),
    ("13204", "Marseille 4e Arrondissement", "13004", 49363, 43.30764, 5.40130),
    ("13205", "Marseille 5e Arrondissement", "13005", 45702, 43.29766, 5.39912),
    ("13206", "Marseille 6e Arrondissement", "13006", 38476, 43.28735, 5.38010),
    ("13207", "Marseille 7e Arrondissement", "13007", 35173, 43.28276, 5.35982),
    ("13208", "Marseille 8e Arrondissement", "13008", 84683, 43.27024, 5.38232),
    ("13209", "Marseille 9e Arrondissement", "13009", 77406, 43.26808, 5.41697),
    ("13210", "Marseille 10e Arrondissement", "13010", 60317, 43.27437, 5.43114),
    ("13211", "Marseille 11e Arrondissement", "13011", 59883, 43.28715, 5.46904),
    ("13212", "Marseille 12e Arrondissement", "13012", 64399, 43.29708, 5.44345),
    ("13213", "Marseille 13e Arrondissement", "13013", 95112, 43.35632, 5.43780),
    ("13214", "Marseille 14e Arrondissement", "13014", 60505, 43.34700, 5.37812),
    ("13215", "Marseille 15e Arrondissement", "13015", 79161, 43.33217, 5.36456),
    ("13216", "Marseille 16e Arrondissement", "13016", 15854, 43.36476, 5.30896),
    ("13001", "Aix-en-Provence", "13090|13100|13080|13290|13540", 149695, 43.52994, 5.44765),
    ("13004", "Arles", "13200|13104|13123|13129|13280", 51811, 43.67643, 4.62779),
    ("13056", "Martigues", "13500|13117", 48298, 43.40524, 5.04819),
    ("13005", "Aubagne", "13400", 47529, 43.29231, 5.56947),
    ("13047", "Istres", "13800|13118", 44292, 43.51665, 4.98993),
    ("13103", "Salon-de-Provence", "13300", 44194, 43.64066, 5.09944),
    ("13028", "La Ciotat", "13600", 38477, 43.17372, 5.60603),
    ("13117", "Vitrolles", "13127", 36758, 43.44830, 5.24883),
    ("13054", "Marignane", "13700", 33692, 43.41718, 5.21595),
    ("13063", "Miramas", "13140", 26203, 43.58030, 5.00074),
    ("13071", "Les Pennes-Mirabeau", "13170", 22537, 43.40029, 5.33991),
    ("13041", "Gardanne", "13120", 21597, 43.45567, 5.47065),
    ("13002", "Allauch", "13190", 21443, 43.33630, 5.48191),
    ("13026", "Châteauneuf-les-Martigues", "13220", 18455, 43.38290, 5.16392),
    ("13027", "Châteaurenard", "13160", 16545, 43.88229, 4.85549),
    ("13057", "Mas-Blanc-des-Alpilles", "13103", 564, 43.78866, 4.75575),
    ("13093", "Saint-Estève-Janson", "13610", 357, 43.68534, 5.39755),
    ("13011", "Les Baux-de-Provence", "13520", 264, 43.74331, 4.79481),
    ("83137", "Toulon", "83000|83100|83200", 179116, 43.11970, 5.93276),
    ("83126", "La Seyne-sur-Mer", "83500", 63732, 43.10156, 5.88180),
    ("83061", "Fréjus", "83600|83370", 59719, 43.43276, 6.73655),
    ("83069", "Hyères", "83400", 55858, 43.12010, 6.13017),
    ("83050", "Draguignan", "83300", 40826, 43.53792, 6.46349),
    ("83118", "Saint-Raphaël", "83700|83530", 37113, 43.42518, 6.76854),
    ("83129", "Six-Fours-les-Plages", "83140", 37109, 43.09337, 5.83994),
    ("83062", "La Garde", "83130", 26476, 43.12369, 6.01098),
    ("83144", "La Valette-du-Var", "83160", 23719, 43.13758, 5.98505),
    ("83047", "La Crau", "83260", 19556, 43.14840, 6.07395),
    ("83123", "Sanary-sur-Mer", "83110", 18538, 43.11802, 5.80143),
    ("83116", "Saint-Maximin-la-Sainte-Baume", "83470", 17896, 43.45301, 5.86325),
    ("83023", "Brignoles", "83170", 17850, 43.40660, 6.06167),
    ("83107", "Roquebrune-sur-Argens", "83520|83380", 15442, 43.44430, 6.63784),
    ("83115", "Sainte-Maxime", "83120", 14118, 43.30970, 6.64053),
    ("83090", "Ollioules", "83190", 14568, 43.13968, 5.84766),
    ("83035", "Le Castellet", "83330", 6040, 43.20349, 5.77639),
    ("83120", "Saint-Zacharie", "83640", 5879, 43.38590, 5.70703),
    ("83104", "Rians", "83560", 4223, 43.60651, 5.75785),
    ("83119", "Saint-Tropez", "83990", 3582, 43.27341, 6.63964),
    ("83139", "Tourtour", "83690", 581, 43.58930, 6.30225),
    ("83114", "Saint-Martin-de-Pallières", "83560", 284, 43.58905, 5.88503),
    ("83122", "Les Salles-sur-Verdon", "83630", 236, 43.77366, 6.20836),
    ("84007", "Avignon", "84000|84140", 92188, 43.94929, 4.80559),
    ("84031", "Carpentras", "84200", 31619, 44.05535, 5.04862),
    ("84087", "Orange", "84100", 29706, 44.13770, 4.80796),
    ("84035", "Cavaillon", "84300", 25636, 43.83567, 5.03799),
    ("84054", "L'Isle-sur-la-Sorgue", "84800", 20244, 43.91899, 5.05038),
    ("84089", "Pertuis", "84120", 19548, 43.69140, 5.50156),
    ("84129", "Sorgues", "84700", 19006, 44.00734, 4.87781),
    ("84092", "Le Pontet", "84130", 18386, 43.96054, 4.86486),
    ("84019", "Bollène", "84500", 14024, 44.28010, 4.74831),
    ("84080", "Monteux", "84170", 13301, 44.03430, 4.99539),
    ("84141", "Vedène", "84270", 11974, 43.97816, 4.90418),
    ("84076", "Mirabeau", "84120", 1450, 43.70439, 5.65610),
    ("84032", "Caseneuve", "84750", 527, 43.88699, 5.48381),
    ("84045", "Faucon", "84110", 454, 44.25992, 5.14640),
    ("84085", "Murs", "84220", 376, 43.95170, 5.24118),
    # The one partner from outside PACA.
    ("69382", "Lyon 2e Arrondissement", "69002", 29981, 45.75290, 4.82685),
)


@dataclass(frozen=True)
class Commune:
    """A real commune (or municipal arrondissement) from the gazetteer."""

    insee: str
    official: str
    postcodes: tuple[str, ...]
    population: int
    lat: float
    lon: float

    @property
    def department(self) -> str:
        return self.insee[:2]

    @property
    def town(self) -> str:
        """What people write: "Marseille" for "Marseille 8e Arrondissement"."""
        return re.sub(r" \d+(er|e) Arrondissement$", "", self.official)

    @property
    def arrondissement(self) -> int | None:
        found = re.search(r" (\d+)(er|e) Arrondissement$", self.official)
        return int(found.group(1)) if found else None


COMMUNES: dict[str, Commune] = {
    insee: Commune(insee, name, tuple(codes.split("|")), pop, lat, lon)
    for insee, name, codes, pop, lat, lon in COMMUNES_TABLE
}


@dataclass(frozen=True)
class Stop:
    id: str
    town: str
    insee_code: str
    date: dt.date
    venue: str
    survey: str | None  # file name in surveys/, None for a coming stop


#: The 12 stops. Only the Toulon stop's date and venue are real; the rest is invented.
STOPS: tuple[Stop, ...] = (
    Stop("marseille", "Marseille", "13055", dt.date(2015, 3, 12), "Pôle ESS",
         "2015-03-12-marseille.xlsx"),
    Stop("manosque", "Manosque", "04112", dt.date(2015, 4, 9), "Maison de la vie associative",
         "2015-04-09-manosque.ods"),
    Stop("gap", "Gap", "05061", dt.date(2015, 5, 7), "Médiathèque, salle d'animation",
         "2015-05-07-gap.csv"),
    Stop("nice", "Nice", "06088", dt.date(2015, 6, 4), "Tiers-lieu du centre-ville",
         "2015-06-04-nice.xlsx"),
    Stop("avignon", "Avignon", "84007", dt.date(2015, 7, 2), "Maison des associations",
         "2015-07-02-avignon-formulaire.csv"),
    Stop("arles", "Arles", "13004", dt.date(2015, 9, 10), "Espace associatif municipal",
         "2015-09-10-arles.csv"),
    Stop("toulon", "Toulon", "83137", dt.date(2015, 9, 28), "TVT Innovation",
         "2015-09-28-toulon.csv"),
    Stop("carpentras", "Carpentras", "84031", dt.date(2015, 10, 15), "Salle polyvalente", None),
    Stop("digne-les-bains", "Digne-les-Bains", "04070", dt.date(2015, 10, 29),
         "Tiers-lieu de la gare", None),
    Stop("draguignan", "Draguignan", "83050", dt.date(2015, 11, 12), "Maison des solidarités",
         None),
    Stop("briancon", "Briançon", "05023", dt.date(2015, 11, 26), "Salle des fêtes", None),
    Stop("grasse", "Grasse", "06069", dt.date(2015, 12, 10), "Pépinière d'entreprises de l'ESS",
         None),
)

#: How people spell the themes (labels and synonyms of the taxonomy slugs).
THEME_WORDS: dict[str, tuple[str, ...]] = {
    "insertion": ("Insertion", "Insertion professionnelle", "emploi / IAE", "Emploi", "IAE"),
    "solidarite": ("Solidarité", "solidarite", "Action sociale", "Lutte contre l'exclusion"),
    "alimentation": ("Alimentation", "Agriculture bio", "Alimentation durable", "Circuits courts"),
    "environnement": ("Environnement", "Écologie", "Biodiversité", "Transition écologique"),
    "economie-circulaire": ("Économie circulaire", "Recyclage", "Réemploi", "Economie circulaire"),
    "habitat": ("Habitat", "Logement", "Habitat participatif"),
    "sante": ("Santé", "Sante", "Prévention santé", "Accès aux soins"),
    "education": ("Éducation", "Education populaire", "Éducation populaire", "Soutien scolaire"),
    "culture": ("Culture", "Arts et culture", "Spectacle vivant", "Musique"),
    "sport": ("Sport", "Sport pour tous", "Activités sportives"),
    "mobilite": ("Mobilité", "Mobilite", "Transport", "Vélo"),
    "finance-solidaire": ("Finance solidaire", "Épargne solidaire", "Microcrédit"),
    "numerique": ("Numérique", "Numerique", "Inclusion numérique", "Informatique"),
    "citoyennete": ("Citoyenneté", "Vie associative", "Démocratie participative"),
    "commerce-equitable": ("Commerce équitable", "Commerce equitable",
                           "Consommation responsable"),
}
#: Themes that are in no taxonomy: the pipeline must keep them visible (as "autre" + a warning).
UNKNOWN_THEMES = ("Bien-être animal", "Patrimoine", "Astronomie")
#: The fixed choices of the online form (Avignon): the taxonomy labels, as a form designer types them.
FORM_THEME_CHOICES: dict[str, str] = {
    "insertion": "Insertion et emploi", "solidarite": "Solidarité", "alimentation": "Alimentation",
    "environnement": "Environnement", "economie-circulaire": "Économie circulaire",
    "habitat": "Habitat", "sante": "Santé", "education": "Éducation", "culture": "Culture",
    "sport": "Sport", "mobilite": "Mobilité", "finance-solidaire": "Finance solidaire",
    "numerique": "Numérique", "citoyennete": "Citoyenneté",
    "commerce-equitable": "Commerce équitable",
}

NEED_WORDS: dict[str, tuple[str, ...]] = {
    "locaux": ("Locaux", "un local", "un local de stockage", "une salle de réunion"),
    "benevoles": ("Bénévoles", "benevoles", "des bénévoles pour les distributions",
                  "bénévoles le week-end"),
    "materiel": ("Matériel", "matériel informatique", "un camion", "outillage"),
    "competences": ("Compétences", "compétences en comptabilité", "compétences juridiques"),
    "financement": ("Financement", "financements", "subventions de fonctionnement"),
    "formation": ("Formation", "formation des bénévoles", "formation des salariés"),
    "transport": ("Transport", "un véhicule", "transport des denrées"),
    "communication": ("Communication", "visibilité", "un site internet"),
    "mutualisation": ("Mutualisation d'emploi", "mutualisation d'un poste",
                      "groupement d'employeurs"),
}
OFFER_WORDS: dict[str, tuple[str, ...]] = {
    "locaux": ("Prêt de salle", "mise à disposition de locaux", "un bureau partagé"),
    "benevoles": ("Bénévoles", "bénévolat de compétences", "des bras pour vos événements"),
    "materiel": ("Prêt de matériel", "matériel de sonorisation", "outillage", "un minibus"),
    "competences": ("Compétences en gestion", "conseil juridique", "compétences en graphisme"),
    "formation": ("Formation", "formations aux premiers secours", "accueil de stagiaires"),
    "transport": ("Transport", "covoiturage", "livraisons"),
    "communication": ("Communication", "relais sur nos réseaux", "notre lettre d'information"),
    "mutualisation": ("Mutualisation d'emploi", "partage de poste", "achats groupés"),
}

#: Evocative names ("Ressourcerie La Boussole") and complements ("Les Jardins du Partage").
NAMED = (
    "La Boussole", "L'Escale", "Le Fil d'Ariane", "La Ruche", "Le Sémaphore", "L'Olivette",
    "La Courte Échelle", "Le Grain de Sel", "La Luciole", "Les Tisserands", "Le Grand Chemin",
    "La Clé des Champs", "L'Arbre à Palabres", "Le Petit Pont", "La Fourmilière", "L'Étincelle",
    "La Passerelle", "Le Phare", "La Marelle", "Le Cabanon", "La Bastide", "Le Mistral",
    "La Tramontane", "L'Ancre", "La Boîte à Outils", "La Navette", "La Cordée", "Le Trait d'Union",
    "La Bouée", "Le Filon", "Les Restanques", "La Sauge", "Le Romarin", "Le Figuier",
    "L'Amandier", "La Garrigue", "Le Câprier", "La Pinède", "Le Micocoulier", "La Treille",
    "Le Puits", "L'Hirondelle", "Le Martinet", "La Mésange", "Le Castor", "La Tortue",
    "L'Écureuil", "La Cigogne", "Le Lien", "La Pépinière", "Le Sillon", "La Galipette",
    "Le Tremplin", "La Bricole", "Le Bon Grain", "La Clairière", "L'Oustau", "La Farandole",
)
OF = (
    "du Partage", "des Oliviers", "de la Source", "du Lavoir", "des Lavandes", "du Vieux Moulin",
    "de l'Entraide", "des Possibles", "du Coin", "de la Treille", "des Restanques", "du Canal",
    "de la Colline", "des Quatre Vents", "du Soleil", "de la Placette", "du Marché", "des Tilleuls",
    "des Platanes", "de la Gare", "du Port", "des Savoir-faire", "de Demain", "du Lien",
    "des Voisins", "du Cerisier", "des Cigales", "de la Fontaine", "du Vallon", "des Semailles",
)
#: Invented-sounding territory names per department ("Recyclerie du Haut-Var").
AREAS: dict[str, tuple[str, ...]] = {
    "04": ("de la Durance", "du Pays de Forcalquier", "de la Vallée de l'Ubaye", "du Verdon",
           "des Préalpes"),
    "05": ("du Champsaur", "du Gapençais", "du Briançonnais", "des Baronnies", "de l'Embrunais"),
    "06": ("de la Vésubie", "du Pays grassois", "de la Riviera", "du Haut-Pays", "du Paillon"),
    "13": ("des Alpilles", "de la Crau", "du Pays d'Aix", "de l'Étang de Berre", "de Camargue"),
    "83": ("du Haut-Var", "de la Provence Verte", "du Golfe", "de la Dracénie", "des Maures"),
    "84": ("du Comtat", "du Luberon", "du Ventoux", "des Sorgues", "du Pays d'Apt"),
    "69": ("du Rhône",),
}


@dataclass(frozen=True)
class Kind:
    """A kind of ESS structure: how it is named, its legal forms, themes and descriptions."""

    key: str
    weight: int
    patterns: tuple[str, ...]  # {named} {of} {area} {town}
    legal_forms: tuple[str, ...]
    themes: tuple[tuple[str, ...], ...]
    descriptions: tuple[str, ...]  # {town} {de_town} {a_town}


KINDS: tuple[Kind, ...] = (
    Kind("ressourcerie", 6, ("Ressourcerie {named}", "La Ressourcerie {of}"),
         ("Association loi 1901", "association", "SCIC SAS"),
         (("economie-circulaire",), ("economie-circulaire", "insertion")),
         ("Collecte, tri et revente à petits prix d'objets de seconde main ; ateliers de "
          "réparation ouverts à tous.",
          "Ressourcerie {de_town} : nous donnons une seconde vie aux meubles, vêtements et "
          "appareils, et sensibilisons à la réduction des déchets.")),
    Kind("recyclerie", 4, ("Recyclerie {area}", "Recyclerie {named}"),
         ("Association loi 1901", "Asso loi 1901", "Entreprise d'insertion"),
         (("economie-circulaire", "environnement"), ("economie-circulaire", "insertion")),
         ("Recyclerie et boutique solidaire : collecte en déchèterie, valorisation et vente.",
          "Nous récupérons, réparons et revendons ; 8 salariés en parcours d'insertion.")),
    Kind("epicerie", 6, ("Épicerie solidaire {named}", "Épicerie solidaire {of}",
                         "L'Épicerie {of}"),
         ("Association loi 1901", "association", "CCAS"),
         (("alimentation", "solidarite"), ("solidarite",), ("alimentation",)),
         ("Épicerie solidaire ouverte aux familles orientées par les travailleurs sociaux "
          "{de_town} : produits à 10-30 % du prix.",
          "Aide alimentaire digne, ateliers cuisine et accompagnement budgétaire.")),
    Kind("jardin", 6, ("Les Jardins {of}", "Jardin partagé {named}", "Jardins partagés {of}"),
         ("Association loi 1901", "association", "Collectif informel"),
         (("alimentation", "environnement"), ("environnement", "citoyennete"),
          ("alimentation", "insertion"))
         , ("Jardin partagé en pied d'immeuble : parcelles collectives, compost et ateliers "
            "pour les écoles {de_town}.",
            "Jardin d'insertion en maraîchage bio ; vente de paniers aux adhérents.")),
    Kind("amap", 4, ("AMAP {of}", "AMAP {named}", "AMAP {town}"),
         ("Association loi 1901", "association"),
         (("alimentation",), ("alimentation", "environnement")),
         ("Association pour le maintien d'une agriculture paysanne : distribution de paniers "
          "chaque mardi soir {a_town}.",
          "Partenariat avec trois producteurs bio du territoire ; paniers légumes, œufs, "
          "fromages.")),
    Kind("scic", 5, ("SCIC {named}", "{named} SCIC", "Coopérative {named}"),
         ("SCIC SAS", "SCIC SARL", "Société coopérative d'intérêt collectif"),
         (("economie-circulaire",), ("alimentation", "commerce-equitable"), ("habitat",),
          ("numerique", "citoyennete")),
         ("Coopérative d'intérêt collectif associant salariés, usagers et collectivités "
          "autour d'un projet de territoire.",
          "SCIC créée {a_town} : bureaux partagés, services mutualisés et accompagnement de "
          "projets.")),
    Kind("scop", 5, ("SCOP {named}", "{named} SCOP", "Atelier {named}"),
         ("SCOP", "SCOP SARL", "SCOP SA"),
         (("culture",), ("numerique",), ("environnement",), ("education",)),
         ("Société coopérative de production : les salariés sont associés majoritaires.",
          "Coopérative {de_town} spécialisée en bâtiment écologique et rénovation "
          "énergétique.")),
    Kind("mutuelle", 2, ("Mutuelle {named}", "Mutuelle solidaire {area}"),
         ("Mutuelle", "mutuelle (code de la mutualité)"),
         (("sante", "solidarite"), ("sante",)),
         ("Mutuelle santé de proximité : complémentaire santé, prévention et action sociale.",
          "Mutuelle locale, permanences {a_town}, actions de prévention santé.")),
    Kind("fondation", 2, ("Fondation {named}", "Fonds de dotation {named}"),
         ("Fondation", "Fonds de dotation"),
         (("solidarite", "education"), ("culture",), ("finance-solidaire",)),
         ("Fondation abritée qui soutient des projets d'innovation sociale du territoire.",
          "Nous finançons des bourses et des projets associatifs.")),
    Kind("insertion", 6, ("{named} Insertion", "Chantier d'insertion {area}",
                          "Chantier d'insertion {named}"),
         ("Entreprise d'insertion", "ACI", "Chantier d'insertion", "EI (SARL)",
          "Association loi 1901"),
         (("insertion",), ("insertion", "environnement"), ("insertion", "economie-circulaire")),
         ("Chantier d'insertion : entretien des espaces naturels et des restanques autour "
          "{de_town}.",
          "Entreprise d'insertion : blanchisserie, nettoyage et second œuvre ; 25 salariés en "
          "parcours.")),
    Kind("ccas", 2, ("CCAS {town}",),
         ("CCAS", "Établissement public (CCAS)"),
         (("solidarite",), ("solidarite", "habitat")),
         ("Centre communal d'action sociale : aides facultatives, domiciliation, "
          "accompagnement des personnes âgées.",)),
    Kind("tiers-lieu", 4, ("Tiers-lieu {named}", "La Fabrique {of}"),
         ("Association loi 1901", "SCIC SAS", "SAS ESUS"),
         (("citoyennete", "numerique"), ("culture", "citoyennete"), ("economie-circulaire",)),
         ("Tiers-lieu : coworking, café associatif, atelier partagé et programmation "
          "culturelle.",
          "Lieu hybride {a_town} ouvert aux associations, aux indépendants et aux habitants.")),
    Kind("fablab", 3, ("Fablab {named}", "Fablab {area}"),
         ("Association loi 1901", "association"),
         (("numerique", "education"), ("numerique",)),
         ("Atelier de fabrication numérique : imprimantes 3D, découpe laser, repair café.",
          "Fablab associatif ; initiation au numérique pour les jeunes {de_town}.")),
    Kind("radio", 2, ("Radio {named}",),
         ("Association loi 1901", "association"),
         (("culture", "citoyennete"),),
         ("Radio associative locale : émissions faites par les habitants, ateliers radio dans "
          "les collèges.",)),
    Kind("sport", 4, ("{named} Sport Solidaire", "Club omnisport {of}",
                      "Association sportive {named}"),
         ("Association loi 1901", "association sportive loi 1901"),
         (("sport",), ("sport", "insertion"), ("sport", "sante")),
         ("Club sportif : football pour tous, sport adapté et tarifs solidaires.",
          "Sport comme levier d'insertion pour les jeunes des quartiers {de_town}.")),
    Kind("habitat", 3, ("Habitat partagé {named}", "{named} Habitat"),
         ("Association loi 1901", "SCIC SAS", "Coopérative d'habitants"),
         (("habitat",), ("habitat", "solidarite")),
         ("Accompagnement de projets d'habitat participatif et intergénérationnel.",
          "Médiation locative et logement accompagné pour les jeunes travailleurs.")),
    Kind("mobilite", 3, ("Garage solidaire {area}", "Atelier vélo {named}",
                         "Auto-école sociale {named}"),
         ("Association loi 1901", "Entreprise d'insertion"),
         (("mobilite", "insertion"), ("mobilite", "environnement")),
         ("Garage solidaire : réparation à coût réduit pour les personnes en insertion.",
          "Atelier vélo participatif ; location de vélos pour les demandeurs d'emploi "
          "{de_town}.")),
    Kind("finance", 2, ("Club d'épargne solidaire {area}", "Fonds solidaire {named}"),
         ("Association loi 1901", "Club d'investisseurs"),
         (("finance-solidaire",),),
         ("Épargne citoyenne investie dans les entreprises locales de l'ESS.",)),
    Kind("numerique", 3, ("{named} Numérique", "Espace public numérique {of}"),
         ("Association loi 1901", "SCOP"),
         (("numerique", "insertion"), ("numerique", "education")),
         ("Médiation numérique : aide aux démarches en ligne, ateliers pour les seniors.",
          "Reconditionnement d'ordinateurs et formation au numérique.")),
    Kind("citoyennete", 3, ("Collectif {named}", "Maison citoyenne {of}"),
         ("Association loi 1901", "Collectif informel"),
         (("citoyennete",), ("citoyennete", "education")),
         ("Collectif d'habitants : conseils de quartier, débats publics, fête des voisins.",
          "Association d'éducation populaire qui anime des débats citoyens {a_town}.")),
    Kind("equitable", 2, ("Boutique équitable {named}", "Comptoir équitable {of}"),
         ("Association loi 1901", "SCOP"),
         (("commerce-equitable",), ("commerce-equitable", "alimentation")),
         ("Boutique de commerce équitable, animations dans les écoles et les entreprises.",)),
    Kind("education", 3, ("Accompagnement scolaire {named}", "Ateliers {of}"),
         ("Association loi 1901", "association"),
         (("education",), ("education", "solidarite")),
         ("Soutien scolaire et ateliers d'éveil pour les enfants {de_town}.",
          "Cours de français langue étrangère et accompagnement vers l'emploi.")),
    Kind("culture", 4, ("Compagnie {named}", "Théâtre {of}", "Collectif artistique {named}"),
         ("Association loi 1901", "SCOP", "association"),
         (("culture",), ("culture", "education")),
         ("Compagnie de théâtre : créations, ateliers dans les quartiers et les villages.",
          "Festival de musique solidaire et résidences d'artistes {a_town}.")),
    Kind("sante", 2, ("Maison de santé solidaire {of}", "Réseau santé {area}"),
         ("Association loi 1901", "SCIC SAS"),
         (("sante",), ("sante", "solidarite")),
         ("Prévention et accès aux soins pour les personnes éloignées du système de santé.",)),
    Kind("solidarite", 4, ("Accueil de jour {named}", "Entraide {of}", "{named} Solidarités"),
         ("Association loi 1901", "association", "Fondation"),
         (("solidarite",), ("solidarite", "habitat"), ("solidarite", "sante")),
         ("Accueil de jour pour les personnes sans domicile : douches, bagagerie, "
          "domiciliation.",
          "Visites à domicile pour rompre l'isolement des personnes âgées {de_town}.")),
    Kind("animaux", 1, ("Refuge {named}",),
         ("Association loi 1901",),
         (("!Bien-être animal",), ("!Bien-être animal", "citoyennete")),
         ("Refuge associatif ; médiation animale en maison de retraite.",)),
    Kind("patrimoine", 1, ("Chantier patrimoine {area}",),
         ("Association loi 1901", "Chantier d'insertion"),
         (("!Patrimoine", "insertion"),),
         ("Restauration de murs en pierre sèche avec des personnes en insertion.",)),
)
#: Second sentences added to some descriptions.
DESCRIPTION_TAILS = (
    "Créée en {year}, la structure compte {staff} salariés et une trentaine de bénévoles.",
    "Nous intervenons sur tout le département.",
    "Ouvert du lundi au vendredi.",
    "Nous cherchons des partenaires pour développer l'activité.",
    "Membre d'un réseau régional de l'ESS depuis {year}.",
)

STREET_TYPES = ("rue", "rue", "rue", "avenue", "boulevard", "chemin", "place", "impasse",
                "allée", "traverse", "route")
STREET_NAMES = (
    "des Oliviers", "de la République", "des Lavandes", "du Moulin", "de la Gare", "des Écoles",
    "des Platanes", "du Marché", "de la Fontaine", "des Tilleuls", "du Stade", "de l'Église",
    "des Aires", "du Four", "de la Libération", "des Cyprès", "des Vignes", "du Château",
    "de la Source", "des Jardins", "du Portail", "des Mûriers", "des Pins", "de la Colline",
    "du Lavoir", "des Artisans", "de la Poste", "des Remparts", "du Canal", "des Amandiers",
)
ADDRESS_EXTRAS = ("Bât. B", "2e étage", "Local associatif", "ZA des Prés", "BP 42", "Rez-de-chaussée")

#: Fictional CEDEX lines (invented, shaped like the real ones).
CEDEX: dict[str, tuple[str, str]] = {
    "83137": ("83041", "TOULON CEDEX 9"),
    "13055": ("13331", "MARSEILLE CEDEX 03"),
    "06088": ("06364", "NICE CEDEX 4"),
    "84007": ("84009", "AVIGNON CEDEX 1"),
    "05061": ("05007", "GAP CEDEX"),
    "13004": ("13637", "ARLES CEDEX"),
    "04112": ("04101", "MANOSQUE CEDEX"),
}

EXAMPLE_EMAIL_DOMAINS = ("example.org", "example.com", "example.fr")
#: Telephone ranges reserved by ARCEP for fiction: 04 65 71 xx xx and 06 39 98 xx xx.
FICTION_PHONE_PREFIXES = ("46571", "63998")
# fmt: on

# ---------------------------------------------------------------------------------------------
# The actors
# ---------------------------------------------------------------------------------------------


@dataclass
class Actor:
    """One fictional structure, in clean form; files render it with their own quirks."""

    name: str
    kind: str
    legal_form: str
    themes: list[str]  # taxonomy slugs, or "!Label" for a theme in no taxonomy
    description: str
    street: str
    commune: Commune
    postcode: str
    website: str
    email: str
    phone: str  # 10 digits
    siret: str
    needs: list[str]  # keys of NEED_WORDS
    offers: list[str]  # keys of OFFER_WORDS
    consent: str  # "oui", "non" or ""
    coords: tuple[float, float] | None = None


def ascii_fold(text: str) -> str:
    """Drop accents, as people do when they type fast ("Frejus")."""
    text = text.replace("œ", "oe").replace("Œ", "OE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", ascii_fold(text).lower()).strip("-")


def de(town: str) -> str:
    """French "of" before a town name: "de Gap", "d'Antibes", "du Cannet", "des Mées"."""
    if town.startswith("Le "):
        return "du " + town[3:]
    if town.startswith("Les "):
        return "des " + town[4:]
    if ascii_fold(town[0]).lower() in "aeiouy":
        return "d'" + town
    return "de " + town


def a(town: str) -> str:
    """French "in" before a town name: "à Gap", "au Cannet", "aux Mées"."""
    if town.startswith("Le "):
        return "au " + town[3:]
    if town.startswith("Les "):
        return "aux " + town[4:]
    return "à " + town


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit, so invented SIREN/SIRET pass the format check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # doubled positions, counting from the digit before the check digit
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def make_siret(rng: random.Random) -> str:
    """An invented SIRET whose SIREN starts with 0000 (no real company uses those)."""
    siren = luhn_complete("0000" + "".join(rng.choice("0123456789") for _ in range(4)))
    return luhn_complete(siren + "000" + rng.choice("123456789"))


class ActorFactory:
    """Draws unique fictional actors from the tables with one random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.names: set[str] = set()
        self.phones: set[str] = set()

    def name_for(self, kind: Kind, commune: Commune) -> str | None:
        """An unused name of this kind, or None when the kind has none left here (CCAS)."""
        for _ in range(50):
            pattern = self.rng.choice(kind.patterns)
            name = pattern.format(
                named=self.rng.choice(NAMED),
                of=self.rng.choice(OF),
                area=self.rng.choice(AREAS[commune.department]),
                town=de(commune.town),
            )
            if slug(name) not in self.names:
                self.names.add(slug(name))
                return name
        return None

    def phone(self) -> str:
        while True:
            prefix = self.rng.choice(("0465711", "0465711", "0465711", "0639981"))
            number = prefix[:2] + prefix[2:] + f"{self.rng.randrange(1000):03d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def make(
        self, commune: Commune, postcode: str | None = None, kind: Kind | None = None
    ) -> Actor:
        rng = self.rng
        kind = kind or rng.choices(KINDS, weights=[k.weight for k in KINDS])[0]
        name = self.name_for(kind, commune)
        while name is None:
            kind = rng.choices(KINDS, weights=[k.weight for k in KINDS])[0]
            name = self.name_for(kind, commune)
        themes = list(rng.choice(kind.themes))
        if rng.random() < 0.15:
            extra = rng.choice(sorted(THEME_WORDS))
            if extra not in themes:
                themes.append(extra)
        if rng.random() < 0.02:
            themes.append("!" + rng.choice(UNKNOWN_THEMES))
        town = commune.town
        description = rng.choice(kind.descriptions).format(
            town=town, de_town=de(town), a_town=a(town)
        )
        if rng.random() < 0.4:
            description += " " + rng.choice(DESCRIPTION_TAILS).format(
                year=rng.randrange(1985, 2015), staff=rng.randrange(2, 30)
            )
        if rng.random() < 0.05:
            description = ""
        street = ""
        if rng.random() < 0.85:
            number = rng.randrange(1, 120)
            bis = " bis" if rng.random() < 0.05 else ""
            street = f"{number}{bis} {rng.choice(STREET_TYPES)} {rng.choice(STREET_NAMES)}"
            if rng.random() < 0.1:
                street += ", " + rng.choice(ADDRESS_EXTRAS)
        s = slug(name)
        website = ""
        roll = rng.random()
        if roll < 0.45:
            website = f"https://www.{s}.example"
        elif roll < 0.6:
            website = f"https://example.org/{s}"
        elif roll < 0.7:
            website = f"http://{s}.example/"
        email = ""
        roll = rng.random()
        if roll < 0.45:
            email = f"contact@{s}.example"
        elif roll < 0.75:
            email = f"{s}@{rng.choice(EXAMPLE_EMAIL_DOMAINS)}"
        elif roll < 0.85:
            email = f"accueil.{s[:12].rstrip('-')}@example.fr"
        needs = rng.sample(sorted(NEED_WORDS), rng.choice((0, 1, 1, 2, 2, 3)))
        offers = rng.sample(sorted(OFFER_WORDS), rng.choice((0, 1, 1, 2, 3)))
        consent = rng.choices(("oui", "non", ""), weights=(60, 20, 20))[0]
        return Actor(
            name=name,
            kind=kind.key,
            legal_form=rng.choice(kind.legal_forms),
            themes=themes,
            description=description,
            street=street,
            commune=commune,
            postcode=postcode or rng.choice(commune.postcodes),
            website=website,
            email=email,
            phone=self.phone() if rng.random() < 0.85 else "",
            siret=make_siret(rng) if rng.random() < 0.4 else "",
            needs=needs,
            offers=offers,
            consent=consent,
        )


def pick_commune(rng: random.Random, catchment: dict[str, int]) -> Commune:
    """A commune of the stop's catchment, weighted towards big towns (population ** 0.6)."""
    department = rng.choices(sorted(catchment), weights=[catchment[d] for d in sorted(catchment)])[
        0
    ]
    pool = [c for c in COMMUNES.values() if c.department == department]
    return rng.choices(pool, weights=[c.population**0.6 for c in pool])[0]


# ---------------------------------------------------------------------------------------------
# Rendering rows, with the mess planted on purpose
# ---------------------------------------------------------------------------------------------

#: Fields a row can carry before it is laid out under a file's headers.
#: name legal_form themes description address postcode commune latitude longitude website email
#: phone siret needs offers consent stop extra timestamp


@dataclass(frozen=True)
class Plant:
    """An actor placed on purpose in a file, with the quirks listed in ``ops``."""

    insee: str
    ops: tuple[str, ...] = ()
    postcode: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class FileSpec:
    """One survey file: its format, headers, catchment and planted mess."""

    stop: str
    fmt: str  # xlsx, ods, csv
    headers: tuple[tuple[str, str], ...]  # (header as written, field)
    n_random: int  # actors drawn at random from the catchment, besides the planted ones
    catchment: dict[str, int]
    plants: tuple[Plant, ...] = ()
    encoding: str = "utf-8"
    delimiter: str = ";"
    quote_all: bool = False
    line_end: str = "\r\n"
    title_rows: tuple[str, ...] = ()
    blank_after_title: bool = False
    sheet: str = "Feuille1"
    numeric_postcode: bool = False  # spreadsheet cells typed as numbers: 06000 becomes 6000
    decimal_comma: bool = False
    theme_seps: tuple[str, ...] = (", ",)
    list_seps: tuple[str, ...] = (", ",)
    phone_styles: tuple[str, ...] = ("spaces",)
    consent_words: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"oui": ("Oui",), "non": ("Non",), "": ("",)}
    )
    stop_values: tuple[str, ...] = ()
    extras: tuple[str, ...] = ("",)
    p_noaccent: float = 0.05  # chance a commune is typed without accents
    p_upper_commune: float = 0.05
    p_upper_name: float = 0.03
    p_url_noscheme: float = 0.2
    p_email_upper: float = 0.03
    blank_rows: int = 2
    duplicate: bool = False  # one row pasted twice
    form: bool = False  # online form: fixed theme choices, timestamp


def render_phone(rng: random.Random, number: str, style: str) -> str | int:
    pairs = [number[i : i + 2] for i in range(0, 10, 2)]
    if style == "spaces":
        return " ".join(pairs)
    if style == "dots":
        return ".".join(pairs)
    if style == "dashes":
        return "-".join(pairs)
    if style == "plain":
        return number
    if style == "intl":
        return "+33 " + number[1] + " " + " ".join(pairs[1:])
    if style == "intl0":
        return "+33 (0)" + number[1] + " " + " ".join(pairs[1:])
    if style == "number":  # a spreadsheet typed the cell as a number: the leading 0 is lost
        return int(number)
    raise ValueError(f"unknown phone style {style!r}")


def render_list(
    rng: random.Random,
    keys: Sequence[str],
    words: dict[str, tuple[str, ...]],
    seps: Sequence[str],
    offer: bool,
) -> str:
    """Needs/offers as people write them: a list, or a sentence."""
    if not keys:
        return ""
    parts = [rng.choice(words[k]) for k in keys]
    if rng.random() < 0.3:
        lead = "Nous pouvons proposer " if offer else "Nous recherchons "
        if len(parts) == 1:
            return lead + parts[0].lower() + "."
        return lead + ", ".join(p.lower() for p in parts[:-1]) + " et " + parts[-1].lower() + "."
    text = rng.choice(seps).join(parts)
    return text[0].upper() + text[1:]


def render_themes(rng: random.Random, themes: Sequence[str], spec: FileSpec) -> str:
    if spec.form:
        known = [FORM_THEME_CHOICES[t] for t in themes if not t.startswith("!")]
        other = [t[1:] for t in themes if t.startswith("!")]
        return ", ".join(known + other)  # Google Forms joins checkbox answers with ", "
    words = [t[1:] if t.startswith("!") else rng.choice(THEME_WORDS[t]) for t in themes]
    return rng.choice(spec.theme_seps).join(words)


def commune_cells(actor: Actor) -> tuple[str, str]:
    """Postcode and commune as most people write them (Marseille without arrondissement)."""
    return actor.postcode, actor.commune.town


def apply_op(rng: random.Random, op: str, row: dict[str, object], actor: Actor) -> None:
    """Plant one kind of mess in ``row``; each op is described in data/README.md."""
    commune = actor.commune
    if op == "pc_nozero":  # postcode that lost its leading zero, typed as text
        row["postcode"] = str(row["postcode"]).lstrip("0")
    elif op == "cedex":  # CEDEX postcode + commune in the commune cell
        code, line = CEDEX[commune.insee if commune.arrondissement is None else "13055"]
        row["postcode"], row["commune"] = "", f"{code} {line}"
    elif op == "cedex_split":  # CEDEX postcode in the CP cell, "Toulon Cedex 9" in the commune
        code, line = CEDEX[commune.insee if commune.arrondissement is None else "13055"]
        row["postcode"], row["commune"] = code, line.title()
    elif op == "st":  # "St Raphael", "Ste Maxime"
        town = re.sub(r"^Saint-", "St ", re.sub(r"^Sainte-", "Ste ", commune.town))
        town = town.replace("-Sainte-", " Ste ").replace("-Saint-", " St ")
        row["commune"] = ascii_fold(town.replace("-", " "))
    elif op == "noaccent":
        row["commune"] = ascii_fold(str(row["commune"]))
    elif op == "upper_commune":
        row["commune"] = str(row["commune"]).upper()
    elif op == "upper_name":
        row["name"] = str(row["name"]).upper()
    elif op == "cp_in_commune":  # "83000 Toulon" in the commune cell, postcode cell empty
        row["commune"], row["postcode"] = f"{actor.postcode} {commune.town}", ""
    elif op == "commune_cp":  # "MARSEILLE 13001"
        row["commune"], row["postcode"] = f"{commune.town.upper()} {actor.postcode}", ""
    elif op == "arr_ordinal":  # "Marseille 8e", no postcode
        arr = commune.arrondissement
        row["commune"] = f"Marseille {arr}{'er' if arr == 1 else 'e'}"
        row["postcode"] = ""
    elif op == "arr_eme":  # "Marseille 14ème" with its postcode
        row["commune"] = f"Marseille {commune.arrondissement}ème"
    elif op == "no_postcode":
        row["postcode"] = ""
    elif op == "url_noscheme":
        row["website"] = re.sub(r"^https?://", "", str(row["website"]))
    elif op == "email_upper":
        row["email"] = str(row["email"]).upper()
    elif op in ("phone_dots", "phone_intl", "phone_plain", "phone_number"):
        if actor.phone:
            row["phone"] = render_phone(rng, actor.phone, op.removeprefix("phone_"))
    elif op == "coords":  # provided coordinates, a few metres from the commune's point
        row["latitude"], row["longitude"] = actor.coords or (commune.lat, commune.lon)
    elif op == "coords_swapped":
        lat, lon = actor.coords or (commune.lat, commune.lon)
        row["latitude"], row["longitude"] = lon, lat
    elif op == "desc_messy":  # quotes, semicolons and a newline in one cell
        row["description"] = (
            'Nous animons des ateliers "réparer plutôt que jeter" ; prêt de matériel ; '
            "repas partagés le jeudi.\nContact : passer à l'accueil (pas de RDV le lundi)."
        )
    elif op == "siret_spaces":
        if actor.siret:
            s = actor.siret
            row["siret"] = f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}"
    elif op == "siret_number":
        if actor.siret:
            row["siret"] = int(actor.siret)
    elif op == "no_siret":
        row["siret"] = ""
    elif op == "name_noaccent":
        row["name"] = ascii_fold(str(row["name"]))
    elif (
        op == "name_typo"
    ):  # drop one inner letter: "Les Jardins du Partage" -> "Les Jardins du Patage"
        name = str(row["name"])
        letters = [i for i, c in enumerate(name) if c.isalpha() and 3 < i < len(name) - 2]
        i = letters[len(letters) // 2]
        row["name"] = name[:i] + name[i + 1 :]
    elif op == "name_article":  # "Les Jardins du Partage" -> "Jardins du Partage"
        row["name"] = re.sub(r"^(La |Le |Les |L')", "", str(row["name"]))
    elif op == "theme_unknown":  # a theme that is in no taxonomy
        row["themes"] = f"{row['themes']}, Astronomie" if row["themes"] else "Astronomie"
    elif op == "consent_partial":  # a yes with conditions: the pipeline must decide and say so
        row["consent"] = "Oui sauf le téléphone"
    else:
        raise ValueError(f"unknown op {op!r}")


def base_row(rng: random.Random, actor: Actor, spec: FileSpec, stop: Stop) -> dict[str, object]:
    postcode, commune = commune_cells(actor)
    row: dict[str, object] = {
        "name": actor.name,
        "legal_form": actor.legal_form,
        "themes": render_themes(rng, actor.themes, spec),
        "description": actor.description,
        "address": actor.street,
        "postcode": postcode,
        "commune": commune,
        "latitude": "",
        "longitude": "",
        "website": actor.website,
        "email": actor.email,
        "phone": render_phone(rng, actor.phone, rng.choice(spec.phone_styles))
        if actor.phone
        else "",
        "siret": actor.siret,
        "needs": render_list(rng, actor.needs, NEED_WORDS, spec.list_seps, offer=False),
        "offers": render_list(rng, actor.offers, OFFER_WORDS, spec.list_seps, offer=True),
        "consent": rng.choice(spec.consent_words[actor.consent]),
        "stop": rng.choice(spec.stop_values) if spec.stop_values else "",
        "extra": rng.choice(spec.extras),
        "timestamp": "",
    }
    # Light, random mess on any row.
    if rng.random() < spec.p_noaccent:
        apply_op(rng, "noaccent", row, actor)
    if rng.random() < spec.p_upper_commune:
        apply_op(rng, "upper_commune", row, actor)
    if rng.random() < spec.p_upper_name:
        apply_op(rng, "upper_name", row, actor)
    if actor.website and rng.random() < spec.p_url_noscheme:
        apply_op(rng, "url_noscheme", row, actor)
    if actor.email and rng.random() < spec.p_email_upper:
        apply_op(rng, "email_upper", row, actor)
    return row


# ---------------------------------------------------------------------------------------------
# The seven survey files
# ---------------------------------------------------------------------------------------------

# fmt: off
STANDARD_CONSENT = {"oui": ("Oui", "oui"), "non": ("Non", "non"), "": ("",)}

FILES: dict[str, FileSpec] = {
    "marseille": FileSpec(
        stop="marseille", fmt="xlsx", sheet="Recensement",
        title_rows=(f"{MARKER} — SAFI Tour — étape de Marseille — 12/03/2015",),
        blank_after_title=True,
        headers=(("Organisation", "name"), ("Statut", "legal_form"), ("Secteur", "themes"),
                 ("Description", "description"), ("Adresse", "address"), ("CP", "postcode"),
                 ("Ville", "commune"), ("Latitude", "latitude"), ("Longitude", "longitude"),
                 ("Site internet", "website"), ("Courriel", "email"), ("Téléphone", "phone"),
                 ("N° SIRET", "siret"), ("Besoins", "needs"),
                 ("Ce que nous pouvons apporter", "offers"), ("Consentement", "consent"),
                 ("Étape", "stop"), ("Remarques", "extra")),
        n_random=28, catchment={"13": 90, "83": 5, "84": 5}, numeric_postcode=True,
        theme_seps=("; ", "; ", ", "), list_seps=(", ", " ; "),
        phone_styles=("spaces", "spaces", "plain", "dots"),
        consent_words=STANDARD_CONSENT, stop_values=("Marseille",),
        extras=("", "", "", "À relancer", "Souhaite adhérer au réseau", "Rencontré sur le stand"),
        duplicate=True,
        plants=(
            Plant("13208", ()),  # "Marseille" + 13008
            Plant("13201", ("commune_cp",)),  # "MARSEILLE 13001"
            Plant("13208", ("arr_ordinal",)),  # "Marseille 8e"
            Plant("13203", ("arr_ordinal",)),
            Plant("13214", ("arr_eme",)),
            Plant("13206", ("cedex",)),
            Plant("13205", ("coords",)),
            Plant("13202", ("coords",)),
            Plant("13001", ("coords",)),
            Plant("13117", ()),  # Vitrolles 13127 (homonym of Vitrolles 05110)
            Plant("13093", ("st", "no_postcode")),  # "St Esteve Janson" without postcode
            Plant("13004", ("upper_commune",)),
            Plant("13027", ("noaccent",)),  # "Chateaurenard"
            Plant("13001", ("cp_in_commune",)),  # "13090 Aix-en-Provence"
            Plant("13210", ("siret_number",)),  # SIRET typed as a number
            Plant("13213", ("phone_number",)),  # phone typed as a number: 465711234
            Plant("13056", ("url_noscheme", "email_upper")),
        ),
    ),
    "manosque": FileSpec(
        stop="manosque", fmt="ods", sheet="Réponses Manosque",
        title_rows=(f"{MARKER} — étape de Manosque (09/04/2015)",),
        headers=(("Structure", "name"), ("Type de structure", "legal_form"),
                 ("Domaine(s) d'activité", "themes"), ("Activités", "description"),
                 ("Adresse", "address"), ("Code postal", "postcode"), ("Commune", "commune"),
                 ("Site web", "website"), ("Mail", "email"), ("Tél", "phone"),
                 ("Besoins", "needs"), ("Offres", "offers"),
                 ("Accord de publication", "consent"), ("Étape", "stop"),
                 ("Commentaire", "extra")),
        n_random=16, catchment={"04": 70, "05": 15, "84": 8, "83": 7}, numeric_postcode=True,
        theme_seps=("\n", " et ", ", "), list_seps=("\n", ", "),
        phone_styles=("spaces", "dots", "dots"),
        consent_words={"oui": ("Oui", "x", "OUI"), "non": ("Non",), "": ("",)},
        stop_values=("Manosque",), extras=("", "", "Venu avec un partenaire", "Fiche incomplète"),
        plants=(
            Plant("04092", ()),  # La Garde 04120 (homonym of La Garde 83130)
            Plant("04041", ()),  # Le Castellet 04700 (homonym of Le Castellet 83330)
            Plant("04122", ()),  # Mirabeau 04510 (homonym of Mirabeau 84120)
            Plant("04001", ()),  # Aiglun 04510 (homonym of Aiglun 06910)
            Plant("04181", ("st",)),  # "St Jeannet" 4270 (homonym of Saint-Jeannet 06640)
            Plant("04197", ("st",)),  # "Ste Tulle"
            Plant("04112", ("cedex",)),
            Plant("04112", ("upper_commune", "upper_name")),
            Plant("04049", ("noaccent",)),  # "Chateau-Arnoux-Saint-Auban"
            Plant("04158", ()),  # Quinson, a village
        ),
    ),
    "gap": FileSpec(
        stop="gap", fmt="csv", encoding="utf-8", delimiter=";", line_end="\n",
        title_rows=(f"{MARKER} — SAFI Tour étape de Gap — 07/05/2015",),
        headers=(("Nom", "name"), ("Forme juridique", "legal_form"),
                 ("Thématique(s)", "themes"), ("Présentation", "description"),
                 ("Adresse", "address"), ("Code Postal", "postcode"), ("Ville", "commune"),
                 ("Site web", "website"), ("E-mail", "email"), ("Tel", "phone"),
                 ("SIRET", "siret"), ("Besoins", "needs"), ("Ressources", "offers"),
                 ("Accord de publication", "consent"), ("Suivi", "extra")),
        n_random=12, catchment={"05": 85, "04": 15},
        theme_seps=(" - ", ", ", "/"), list_seps=(", ", " - "),
        phone_styles=("spaces", "plain", "dots"),
        consent_words=STANDARD_CONSENT, extras=("", "", "à rappeler", "OK"),
        plants=(
            Plant("05061", ("pc_nozero",)),  # "5000"
            Plant("05023", ("pc_nozero", "noaccent")),  # "5100" "Briancon"
            Plant("05046", ("pc_nozero",)),
            Plant("05061", ("cedex_split",)),  # 05007 + "Gap Cedex"
            Plant("05184", ()),  # Vitrolles 05110 (homonym of Vitrolles 13127)
            Plant("05027", ("upper_commune", "theme_unknown")),  # CERVIÈRES, a village
            Plant("05107", ("noaccent", "no_postcode")),  # "Puy-Saint-Andre", no postcode
            Plant("05061", ("cp_in_commune",)),  # "05000 Gap"
        ),
    ),
    "nice": FileSpec(
        stop="nice", fmt="xlsx", sheet="Feuil1",
        title_rows=(f"{MARKER} — étape de Nice du 04/06/2015",),
        headers=(("NOM DE LA STRUCTURE", "name"), ("FORME JURIDIQUE", "legal_form"),
                 ("SECTEUR", "themes"), ("PRÉSENTATION", "description"),
                 ("ADRESSE", "address"), ("CP", "postcode"), ("VILLE", "commune"),
                 ("LAT", "latitude"), ("LNG", "longitude"), ("SITE WEB", "website"),
                 ("E-MAIL", "email"), ("TÉLÉPHONE", "phone"), ("BESOINS", "needs"),
                 ("OFFRES", "offers"), ("ACCORD DE PUBLICATION", "consent"),
                 ("ETAPE", "stop"), ("OBSERVATIONS", "extra")),
        n_random=22, catchment={"06": 92, "83": 8}, numeric_postcode=True,
        theme_seps=(", ", " / "), list_seps=(", ",),
        phone_styles=("spaces", "intl", "dots"),
        consent_words={"oui": ("oui", "Oui"), "non": ("non", "NON"), "": ("",)},
        stop_values=("nice", "Nice"), extras=("", "", "", "Adhérent au pôle ESS", "RAS"),
        p_upper_commune=0.15, p_upper_name=0.1,
        plants=(
            Plant("06088", ()),
            Plant("06088", ("cedex",)),
            Plant("06123", ("st",)),  # "St Laurent du Var"
            Plant("06122", ()),  # Saint-Jeannet 06640
            Plant("06001", ()),  # Aiglun 06910
            Plant("04170", ()),  # La Rochette (04) with its postcode 06260
            Plant("06146", ("upper_commune",)),  # TOURNEFORT
            Plant("06088", ("coords",)),
            Plant("06004", ("coords",)),
            Plant("06029", ("consent_partial",)),
            Plant("06157", ("cp_in_commune",)),  # "06140 Vence"
        ),
    ),
    "avignon": FileSpec(
        stop="avignon", fmt="csv", encoding="utf-8-sig", delimiter=",", line_end="\r\n",
        form=True,
        title_rows=(f"{MARKER} — export du formulaire en ligne — étape d'Avignon",),
        headers=(("Horodateur", "timestamp"), ("Nom de la structure", "name"),
                 ("Statut juridique", "legal_form"),
                 ("Dans quel(s) domaine(s) intervenez-vous ?", "themes"),
                 ("Présentez votre structure en quelques lignes", "description"),
                 ("Adresse", "address"), ("Code postal", "postcode"), ("Commune", "commune"),
                 ("Site internet", "website"), ("Adresse e-mail", "email"),
                 ("Numéro de téléphone", "phone"), ("De quoi avez-vous besoin ?", "needs"),
                 ("Que pouvez-vous apporter aux autres acteurs ?", "offers"),
                 ("Acceptez-vous que vos coordonnées soient publiées sur la carte ?", "consent"),
                 ("Comment avez-vous connu le SAFI Tour ?", "extra")),
        n_random=20, catchment={"84": 80, "13": 15, "04": 5},
        list_seps=(", ",), phone_styles=("spaces", "plain", "intl", "intl0"),
        consent_words={"oui": ("Oui", "Oui, j'accepte"), "non": ("Non",), "": ("",)},
        extras=("", "Bouche à oreille", "Réseaux sociaux", "Par un partenaire", "Newsletter"),
        p_url_noscheme=0.35, p_email_upper=0.08,
        plants=(
            Plant("84076", ()),  # Mirabeau 84120
            Plant("84007", ("cedex",)),
            Plant("84054", ("upper_commune",)),  # "L'ISLE-SUR-LA-SORGUE"
            Plant("84019", ("noaccent",)),  # "Bollene"
            Plant("84085", ()),  # Murs, a village
            Plant("84007", ("desc_messy",)),
            Plant("84035", ("phone_intl",)),
        ),
    ),
    "arles": FileSpec(
        stop="arles", fmt="csv", encoding="utf-8", delimiter=",", quote_all=True, line_end="\n",
        title_rows=(f"{MARKER} — SAFI Tour — étape d'Arles (10/09/2015)",),
        headers=(("Nom de la structure", "name"), ("Forme juridique", "legal_form"),
                 ("Thématique(s)", "themes"), ("Description", "description"),
                 ("Adresse", "address"), ("Code postal", "postcode"), ("Commune", "commune"),
                 ("Site internet", "website"), ("Courriel", "email"), ("Téléphone", "phone"),
                 ("SIRET", "siret"), ("Besoins", "needs"), ("Ressources", "offers"),
                 ("Accord de publication", "consent"), ("Etape", "stop"),
                 ("Remarques", "extra")),
        n_random=12, catchment={"13": 80, "84": 15, "04": 5},
        theme_seps=("; ", " + "), list_seps=("; ",),
        phone_styles=("spaces", "dots", "dashes"),
        consent_words={"oui": ("Oui",), "non": ("Non", "refus"), "": ("",)},
        stop_values=("arles", "Arles"), extras=("", "", "Contact pris par téléphone"),
        plants=(
            Plant("13004", ("cp_in_commune",)),  # "13200 Arles"
            Plant("13004", ("cedex",)),
            Plant("13057", ()),  # Mas-Blanc-des-Alpilles, a village
            Plant("13011", ("upper_commune",)),  # "LES BAUX-DE-PROVENCE", a village
            Plant("13047", ("desc_messy",)),
            Plant("13103", ("siret_spaces",)),
        ),
    ),
    "toulon": FileSpec(
        stop="toulon", fmt="csv", encoding="cp1252", delimiter=";", line_end="\r\n",
        title_rows=(f"{MARKER} — SAFI Tour — étape de Toulon — 28/09/2015 — TVT Innovation",),
        headers=(("Nom de la structure", "name"), ("Statut", "legal_form"),
                 ("Thématique(s)", "themes"), ("Description", "description"),
                 ("Adresse", "address"), ("CP", "postcode"), ("Ville", "commune"),
                 ("Latitude", "latitude"), ("Longitude", "longitude"),
                 ("Site internet", "website"), ("Courriel", "email"), ("Tél", "phone"),
                 ("SIRET", "siret"), ("Besoins", "needs"),
                 ("Ce que nous pouvons apporter", "offers"),
                 ("Accord de publication", "consent"), ("Étape", "stop"),
                 ("Remarques", "extra")),
        n_random=20, catchment={"83": 90, "13": 10}, decimal_comma=True,
        theme_seps=(" / ", ", ", "; "), list_seps=(", ", " / "),
        phone_styles=("spaces", "dots", "intl", "plain"),
        consent_words={"oui": ("oui", "OUI", "Oui"), "non": ("non", "Non"), "": ("",)},
        stop_values=("Toulon", "toulon"),
        extras=("", "", "", "Intéressé par l'atelier mutualisation", "À relancer en octobre"),
        p_noaccent=0.12, p_upper_commune=0.1, duplicate=True,
        plants=(
            Plant("83137", ("cedex",)),  # "83041 TOULON CEDEX 9"
            Plant("83137", ("cedex_split",)),
            Plant("83137", ("cp_in_commune",)),  # "83000 Toulon"
            Plant("83118", ("st",)),  # "St Raphael"
            Plant("83115", ("st",)),  # "Ste Maxime"
            Plant("83116", ("st",)),  # "St Maximin la Ste Baume"
            Plant("83062", ()),  # La Garde 83130
            Plant("83035", ("no_postcode",)),  # "Le Castellet" without postcode (two in PACA)
            Plant("83061", ("noaccent",)),  # "Frejus"
            Plant("83069", ("noaccent", "upper_commune")),  # "HYERES"
            Plant("83050", ("upper_commune",)),  # "DRAGUIGNAN"
            Plant("83137", ("coords",)),
            Plant("83126", ("coords",)),
            Plant("83144", ("coords_swapped",)),
            Plant("83122", ()),  # Les Salles-sur-Verdon, a village
            Plant("83137", ("desc_messy",)),
            Plant("83129", ("phone_dots", "email_upper")),
            Plant("83047", ("siret_spaces",)),
        ),
    ),
}
FILE_ORDER = ("marseille", "manosque", "gap", "nice", "avignon", "arles", "toulon")

#: Actors met at two (or three) stops: (home file, other files, ops on the other rows).
#: "same": identical name; others vary the spelling or the SIRET so the merge has work to do.
SHARED: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("marseille", ("arles",), ("siret_here",)),
    ("marseille", ("toulon",), ("name_noaccent",)),
    ("marseille", ("toulon",), ()),
    ("marseille", ("avignon", "toulon"), ("upper_name",)),
    ("manosque", ("gap",), ()),
    ("arles", ("marseille",), ("no_siret",)),
    ("manosque", ("avignon",), ("name_typo",)),
    ("nice", ("toulon",), ("name_article",)),
    ("avignon", ("arles",), ()),
    ("arles", ("toulon",), ("siret_here",)),
    ("gap", ("manosque",), ("upper_commune",)),
)

# fmt: on

#: Which names a spelling variant can apply to (dropping an article needs an article).
SHARED_ELIGIBLE: dict[str, Callable[[str], bool]] = {
    "name_article": lambda name: re.match(r"^(La |Le |Les |L')", name) is not None,
    "name_noaccent": lambda name: ascii_fold(name) != name,
}

# ---------------------------------------------------------------------------------------------
# Building the tables
# ---------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """A row of a file: the actor it describes and the ops to plant in it."""

    actor: Actor | None  # None for the special rows built by hand
    ops: tuple[str, ...] = ()
    row: dict[str, object] | None = None


def special_rows() -> dict[str, list[dict[str, object]]]:
    """Hand-written rows for the escaping, rejection and outside-PACA tests."""
    script = {
        "name": "Collectif <script>alert(1)</script> Solidaire",
        "legal_form": "Association loi 1901",
        "themes": "Citoyenneté; <b>Culture</b>",
        "description": (
            "Texte avec <b>balises</b> & esperluette, \"guillemets\" et 'apostrophes'"
            " </textarea><img src=x onerror=alert(2)>"
        ),
        "address": "3 rue des Écoles",
        "postcode": "13002",
        "commune": "Marseille",
        "website": "javascript:alert(document.cookie)",
        "email": "contact@collectif-script.example",
        "phone": "04 65 71 99 01",
        "consent": "Oui",
        "stop": "Marseille",
        "extra": "Ligne de test d'échappement",
    }
    form_xss = {
        "name": 'L\'Atelier "Pop" & Cie',
        "legal_form": "Association loi 1901",
        "themes": "Culture, Éducation",
        "description": "Ateliers d'écriture</script><script>alert('form')</script>",
        "address": "",
        "postcode": "84000",
        "commune": "Avignon",
        "website": "JavaScript:alert(2)",
        "email": "atelier-pop@example.org",
        "phone": "06 39 98 99 02",
        "consent": "Oui",
        "extra": "Réseaux sociaux",
    }
    no_name_toulon = {
        "name": "",
        "legal_form": "Association loi 1901",
        "themes": "Solidarité",
        "description": "Fiche sans nom : la personne est partie avant de finir.",
        "address": "5 place du Marché",
        "postcode": "83000",
        "commune": "Toulon",
        "phone": "04 65 71 99 03",
        "consent": "oui",
        "stop": "Toulon",
    }
    no_name_form = {
        "name": "   ",
        "legal_form": "",
        "themes": "Environnement",
        "description": "Réponse envoyée sans nom de structure.",
        "postcode": "84300",
        "commune": "Cavaillon",
        "email": "anonyme@example.com",
        "consent": "Non",
    }
    lyon = {
        "name": "Réseau Passerelles Rhône Solidaires",
        "legal_form": "Association loi 1901",
        "themes": "Économie circulaire, Insertion et emploi",
        "description": "Réseau partenaire hors région venu présenter son annuaire des acteurs.",
        "address": "14 rue des Tilleuls",
        "postcode": "69002",
        "commune": "Lyon",
        "website": "https://www.passerelles-rhone-solidaires.example",
        "email": "contact@passerelles-rhone-solidaires.example",
        "phone": "04 65 71 99 04",
        "consent": "Oui",
        "extra": "Par un partenaire",
    }
    return {
        "marseille": [script],
        "avignon": [form_xss, no_name_form, lyon],
        "toulon": [no_name_toulon],
    }


def build(rng: random.Random) -> dict[str, list[list[object]]]:
    """Every file's table (title rows, header, data rows), keyed by stop id."""
    factory = ActorFactory(rng)
    stops = {s.id: s for s in STOPS}
    kinds = {k.key: k for k in KINDS}
    entries: dict[str, list[Entry]] = {}
    for sid in FILE_ORDER:
        spec = FILES[sid]
        file_entries = []
        for plant in spec.plants:
            commune = COMMUNES[plant.insee]
            actor = factory.make(commune, plant.postcode, kinds.get(plant.kind or ""))
            if any(op.startswith("coords") for op in plant.ops):
                jitter = 0.002 if commune.population > 10000 else 0.0
                actor.coords = (
                    round(commune.lat + rng.uniform(-jitter, jitter), 5),
                    round(commune.lon + rng.uniform(-jitter, jitter), 5),
                )
            if "siret_number" in plant.ops or "siret_spaces" in plant.ops:
                actor.siret = actor.siret or make_siret(rng)
            if "phone_number" in plant.ops or "phone_dots" in plant.ops:
                actor.phone = actor.phone or factory.phone()
            file_entries.append(Entry(actor, plant.ops))
        for _ in range(spec.n_random):
            file_entries.append(Entry(factory.make(pick_commune(rng, spec.catchment))))
        entries[sid] = file_entries

    # Actors met at several stops: copy a plain (unplanted) actor of the home file.
    for home, others, ops in SHARED:
        # Plain rows only: planted rows keep their own quirks, "_shared" rows are taken.
        candidates = [
            e
            for e in entries[home]
            if not e.ops
            and e.actor is not None
            and SHARED_ELIGIBLE.get(ops[0] if ops else "", bool)(e.actor.name)
        ]
        source = rng.choice(candidates)
        actor = source.actor
        assert actor is not None
        if "siret_here" in ops:  # SIRET given at the other stop only
            siret = actor.siret or make_siret(rng)
            actor.siret = ""
            other_actor = replace(actor, siret=siret)
        else:
            other_actor = replace(actor)
            if "no_siret" in ops:  # SIRET given at the home stop only
                actor.siret = actor.siret or make_siret(rng)
                other_actor.siret = ""
        row_ops = tuple(op for op in ops if op not in ("siret_here", "no_siret"))
        for other in others:
            entries[other].append(Entry(other_actor, row_ops))
        source.ops = ("_shared",)

    specials = special_rows()
    tables: dict[str, list[list[object]]] = {}
    for sid in FILE_ORDER:
        spec = FILES[sid]
        stop = stops[sid]
        file_entries = entries[sid]
        rng.shuffle(file_entries)
        rows: list[dict[str, object]] = []
        for entry in file_entries:
            assert entry.actor is not None
            row = base_row(rng, entry.actor, spec, stop)
            for op in entry.ops:
                if not op.startswith("_"):
                    apply_op(rng, op, row, entry.actor)
            rows.append(row)
        for special in specials.get(sid, []):
            row = {"stop": rng.choice(spec.stop_values) if spec.stop_values else ""} | special
            rows.insert(rng.randrange(3, len(rows) - 3), row)
        if spec.form:
            start = dt.datetime.combine(stop.date, dt.time(9, 30))
            for row in rows:
                start += dt.timedelta(minutes=rng.randrange(2, 150), seconds=rng.randrange(60))
                row["timestamp"] = start.strftime("%d/%m/%Y %H:%M:%S")
        tables[sid] = layout(rng, spec, rows)
    return tables


BLANK = object()  # a fully blank line in the file


def layout(rng: random.Random, spec: FileSpec, rows: list[dict[str, object]]) -> list[list[object]]:
    """Title rows, header and data rows with blank lines and a pasted-twice row."""
    width = len(spec.headers)
    table: list[list[object]] = [[title] + [""] * (width - 1) for title in spec.title_rows]
    if spec.blank_after_title:
        table.append([BLANK])
    table.append([header for header, _ in spec.headers])
    data: list[list[object]] = []
    for row in rows:
        cells = []
        for _, fld in spec.headers:
            value = row.get(fld, "")
            if fld == "postcode" and spec.numeric_postcode and re.fullmatch(r"\d{4,5}", str(value)):
                value = int(str(value))  # the spreadsheet typed it as a number
            if fld in ("latitude", "longitude") and isinstance(value, float) and spec.fmt == "csv":
                value = f"{value:.5f}".replace(".", ",") if spec.decimal_comma else f"{value:.5f}"
            cells.append(value)
        data.append(cells)
    if spec.duplicate:  # the same row pasted again further down
        i = rng.randrange(2, len(data) // 2)
        data.insert(rng.randrange(len(data) // 2, len(data)), list(data[i]))
    for _ in range(spec.blank_rows):
        data.insert(rng.randrange(2, len(data) - 1), [BLANK])
    if spec.fmt == "csv":  # a line of separators only, as spreadsheets export empty rows
        data.insert(rng.randrange(2, len(data) - 1), [""] * width)
    return table + data


# ---------------------------------------------------------------------------------------------
# Writers (deterministic bytes)
# ---------------------------------------------------------------------------------------------


def fixed_zip(data: bytes) -> bytes:
    """Rewrite a zip (XLSX, ODS) with fixed entry timestamps, keeping order and compression."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            new = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            new.compress_type = info.compress_type
            new.create_system = 3
            new.external_attr = 0o644 << 16
            dst.writestr(new, src.read(info.filename))
    return out.getvalue()


def write_csv(spec: FileSpec, table: list[list[object]]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(
        buf,
        delimiter=spec.delimiter,
        lineterminator=spec.line_end,
        quoting=csv.QUOTE_ALL if spec.quote_all else csv.QUOTE_MINIMAL,
    )
    for row in table:
        if row and row[0] is BLANK:
            buf.write(spec.line_end)
        elif len(spec.title_rows) and row[0] in spec.title_rows and all(c == "" for c in row[1:]):
            writer.writerow([row[0]])  # a title line is a single cell
        else:
            writer.writerow(["" if c is None else str(c) for c in row])
    return buf.getvalue().encode(spec.encoding)  # strict: cp1252 must hold every character


def write_xlsx(spec: FileSpec, table: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.writer.excel import ExcelWriter

    wb = Workbook()
    ws = wb.active
    ws.title = spec.sheet
    for row in table:
        if row and row[0] is BLANK:
            ws.append([])
        else:
            ws.append([None if c == "" else c for c in row])
    for r in range(1, len(spec.title_rows) + 1):
        ws.cell(row=r, column=1).font = Font(bold=True, color="C00000")
    header_row = len(spec.title_rows) + (2 if spec.blank_after_title else 1)
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR
    wb.properties.title = MARKER
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    buf = io.BytesIO()
    # ExcelWriter rather than wb.save(): save() stamps "modified" with the current time.
    archive = zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(wb, archive).save()
    return fixed_zip(buf.getvalue())


def write_ods(spec: FileSpec, table: list[list[object]]) -> bytes:
    from odf import teletype
    from odf.element import Element
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for node in list(doc.meta.childNodes):  # drop the generator line: it names the odfpy version
        if isinstance(node, Element):
            doc.meta.removeChild(node)
    sheet = Table(name=spec.sheet)
    width = len(spec.headers)
    for row in table:
        tr = TableRow()
        cells = [""] * width if row and row[0] is BLANK else row
        for value in cells:
            if value in ("", None):
                tc = TableCell()
            elif isinstance(value, (int, float)):
                tc = TableCell(valuetype="float", value=value)
                tc.addElement(P(text=str(value)))
            else:
                tc = TableCell(valuetype="string")
                for line in str(value).split("\n"):
                    p = P()
                    teletype.addTextToElement(p, line)
                    tc.addElement(p)
            tr.addElement(tc)
        sheet.addElement(tr)
    doc.spreadsheet.addElement(sheet)
    buf = io.BytesIO()
    doc.write(buf)
    return fixed_zip(buf.getvalue())


WRITERS: dict[str, Callable[[FileSpec, list[list[object]]], bytes]] = {
    "csv": write_csv,
    "xlsx": write_xlsx,
    "ods": write_ods,
}


def tour_toml() -> str:
    lines = [
        "# DONNÉES D'EXEMPLE — fictives. Seuls la date et le lieu de l'étape de Toulon",
        "# (28 septembre 2015, TVT Innovation) sont réels ; le reste est inventé.",
        "# Écrit par scripts/make_example_data.py (le relancer réécrit ce fichier) ;",
        "# safi-map add-stop y ajoute ou modifie des étapes, et il se modifie aussi à la main.",
        "",
    ]
    for stop in STOPS:
        surveys = f'["surveys/{stop.survey}"]' if stop.survey else "[]"
        lines += [
            "[[stops]]",
            f'id = "{stop.id}"',
            f'town = "{stop.town}"',
            f'insee_code = "{stop.insee_code}"',
            f"date = {stop.date.isoformat()}",
            f'venue = "{stop.venue}"',
            f"surveys = {surveys}",
            "",
        ]
    return "\n".join(lines)


# The actors' shared calendar: events of surveyed actors after the tour's seventh stop, with
# the mistakes people make planted on purpose (see data/README.md).
AGENDA_HEADER = ("Date", "Début", "Fin", "Titre", "Structure", "Commune", "Lieu", "Lien",
                 "Description", "Public")
AGENDA_ROWS = (
    ("03/10/2015", "14h", "17h", "Atelier réparation de vélos", "Atelier L'Étincelle", "Toulon",
     "Cour de l'atelier", "", "Apportez votre vélo, on répare ensemble.", "oui"),
    ("2015-10-08", "18h30", "", "Distribution des paniers", "AMAP d'Avignon", "", "",
     "https://example.org/amap-avignon", "", "oui"),
    ("10 octobre 2015", "", "", "Portes ouvertes", "Accueil de jour La Bricole", "Antibes", "",
     "", "Visite des locaux et rencontre de l'équipe.", ""),
    ("15/10/2015", "9h-12h", "", "Matinée de l'accompagnement scolaire",
     "Accompagnement scolaire La Ruche", "Nice", "Salle municipale", "", "", "oui"),
    ("17/10/2015", "10h", "16h", "Troc de graines", "AMAP du Vallon", "La Valette-du-Var", "",
     "www.example.org/troc", "", "oui"),
    ("22/10/2015", "14h", "", "Forum des associations sportives", "Association sportive Le Lien",
     "Sorgues", "Gymnase", "", "", "oui"),
    ("05/11/2015", "18h", "20h", "Réunion du réseau AMAP", "AMAP de Marseille", "Marseille",
     "Maison des associations", "", "", "oui"),
    ("12/11/2015", "", "", "Fête de la récolte", "AMAP Le Bon Grain", "", "", "", "", "oui"),
    # planted: a date that does not exist, an unknown actor, a time that is not one, a row kept
    # private, the same event twice
    ("31/11/2015", "14h", "", "Atelier cuisine", "AMAP de Nice", "Nice", "", "", "", "oui"),
    ("19/11/2015", "10h", "", "Collecte de jouets", "Association inconnue", "Gap", "", "", "",
     "oui"),
    ("26/11/2015", "vers 14h", "", "Goûter solidaire", "Accueil de jour La Tramontane",
     "Marseille", "", "", "", "oui"),
    ("03/12/2015", "9h", "", "Réunion interne du bureau", "AMAP d'Orange", "Orange", "", "", "",
     "non"),
    ("08/10/2015", "18h30", "", "Distribution des paniers", "AMAP d'Avignon", "", "", "", "",
     "oui"),
)


def agenda_csv() -> bytes:
    """``agenda.csv``: UTF-8 with BOM, ``;``, CRLF, as a spreadsheet saves it for Excel."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([MARKER] + [""] * (len(AGENDA_HEADER) - 1))
    writer.writerow(AGENDA_HEADER)
    writer.writerows(AGENDA_ROWS)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def generate(out: Path) -> list[Path]:
    """Write ``out/tour.toml``, ``out/surveys/*`` and ``out/agenda.csv``; return the written
    paths."""
    rng = random.Random(SEED)
    tables = build(rng)
    surveys = out / "surveys"
    surveys.mkdir(parents=True, exist_ok=True)
    written = []
    stops = {s.id: s for s in STOPS}
    for sid in FILE_ORDER:
        spec = FILES[sid]
        name = stops[sid].survey
        assert name is not None
        path = surveys / name
        path.write_bytes(WRITERS[spec.fmt](spec, tables[sid]))
        written.append(path)
    path = out / "tour.toml"
    path.write_bytes(tour_toml().encode("utf-8"))
    written.append(path)
    path = out / "agenda.csv"
    path.write_bytes(agenda_csv())
    written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(__file__).resolve().parent.parent / "data"
    parser.add_argument("--out", type=Path, default=default, help="data folder (default: data/)")
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

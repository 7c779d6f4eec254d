"""What a survey column header means: canonical field, form-tool metadata, or nothing.

Coordinators export surveys from form tools (Google Forms, Microsoft Forms, LimeSurvey,
KoboToolbox, Framaforms) or type them into a spreadsheet. Headers are then either short labels
("Code postal") or whole questions ("Que pourriez-vous proposer à d'autres structures ?").
Matching works on folded words (:func:`safi_map.core.text.key`, plurals reduced), in this order:

1. the user's ``[columns]`` aliases (safi-map.toml), which always win;
2. the columns the form tool adds by itself (timestamps, ids, the respondent's own name and
   e-mail address): they are never taken for a field of the actor (:data:`META`,
   :data:`RESPONDENT`), except the submission time, which is the survey date;
3. the exact aliases of :data:`HEADER_ALIASES` ("Nom", "CP", "Accord"), also after dropping
   leading question words ("Votre structure" -> "structure");
4. keyword rules (:data:`HEADER_RULES`): each names phrases that must occur as whole words
   (all groups; one phrase of each group), phrases that veto it ("Nom du contact" is not the
   name of the structure), and a priority; the highest priority wins, then the longest phrase.

Multiple-choice questions given one column per option are planned in
:mod:`safi_map.ingestion.columnplan`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import _
from safi_map.core.text import key
from safi_map.ingestion.formtools import META, RESPONDENT, TOOL_NAMES, detect_tool, tool_role

__all__ = [
    "FIELDS",
    "HEADER_ALIASES",
    "HEADER_RULES",
    "LIST_FIELDS",
    "META",
    "RESPONDENT",
    "TOOL_NAMES",
    "HeaderRule",
    "compile_aliases",
    "detect_tool",
    "match_header",
    "match_key",
]

#: Canonical input fields, in the order of the data model.
FIELDS: tuple[str, ...] = (
    "name", "legal_form", "themes", "description", "address", "postcode", "commune", "latitude",
    "longitude", "website", "email", "phone", "needs", "offers", "stop", "contact_consent",
    "siret", "survey_date", "opening_hours",
)
#: Fields a multiple-choice question can fill, one option per column.
LIST_FIELDS: tuple[str, ...] = ("themes", "needs", "offers")
_IGNORE = ""

# --------------------------------------------------------------------------------------------
# Exact aliases
# --------------------------------------------------------------------------------------------

_ALIASES_BY_FIELD: dict[str, tuple[str, ...]] = {
    "name": (
        "Nom", "Nom de la structure", "Nom de votre structure", "Nom structure", "Nom / Structure",
        "Structure", "Organisation", "Organisme", "Nom de l'organisme", "Nom de l'organisation",
        "Nom de l'association", "Nom de votre association", "Association", "Raison sociale",
        "Dénomination", "Name", "Organisation name", "Organization", "Organization name",
        "Structure name", "Entreprise", "Collectif",
    ),
    "legal_form": (
        "Statut", "Statut juridique", "Forme juridique", "Type de structure", "Type",
        "Type d'organisation", "Legal form", "Legal status", "Statuts",
    ),
    "themes": (
        "Secteur", "Secteurs", "Secteur d'activité", "Secteurs d'activité", "Thématique",
        "Thématiques", "Thématique(s)", "Thème", "Thèmes", "Thème(s)", "Domaine", "Domaines",
        "Domaine d'activité", "Domaines d'activité", "Domaine(s) d'activité",
        "Domaine(s) d'intervention", "Champ d'action", "Champs d'action",
        "Champ d'intervention", "Champs d'intervention", "Themes", "Theme", "Sector", "Sectors",
        "Catégorie", "Catégories", "Category", "Categories",
    ),
    "description": (
        "Description", "Présentation", "Activités", "Activité", "Objet", "Objet social",
        "Missions", "Description de la structure", "Présentation de la structure",
        "Présentation de votre structure", "Activities", "About",
    ),
    "address": (
        "Adresse", "Adresse postale", "Rue", "Voie", "N° et rue", "Numéro et rue",
        "Adresse (rue)", "Adresse de la structure", "Address", "Street", "Street address",
    ),
    "postcode": (
        "Code postal", "CP", "C.P.", "Code Postal", "Postcode", "Post code", "Postal code", "Zip",
        "Zip code", "Code postal de la structure",
    ),
    "commune": (
        "Commune", "Ville", "Localité", "City", "Town", "Municipality",
        # a combined cell: validation splits the postcode out of the commune text
        "CP / Ville", "CP Ville", "CP - Ville", "CP et ville", "CP Commune", "CP / Commune",
        "Code postal et ville", "Code postal / Ville", "Code postal ville",
        "Code postal et commune", "Code postal / Commune", "Code postal commune",
        "Ville (CP)", "Ville CP", "Commune (CP)", "Commune CP", "Ville et code postal",
        "Commune et code postal", "Ville / Code postal", "Commune / Code postal",
    ),
    "latitude": ("Latitude", "Lat"),
    "longitude": ("Longitude", "Lon", "Long", "Lng"),
    "website": (
        "Site web", "Site internet", "Site", "Web", "Website", "URL", "Site Web de la structure",
        "Adresse du site", "Adresse du site web", "Adresse du site internet", "Adresse web",
        "Adresse internet", "Page web", "Web site",
    ),
    "email": (
        "Courriel", "E-mail", "Email", "Mail", "Adresse mail", "Adresse e-mail", "Adresse email",
        "Adresse électronique", "Adresse courriel", "Mél", "Mel", "E-mail address",
        "Email address",
    ),
    "phone": (
        "Téléphone", "Tél", "Tel", "Tél.", "Phone", "Portable", "Mobile", "Numéro de téléphone",
        "N° de téléphone", "N° téléphone", "Phone number", "Telephone",
    ),
    "needs": ("Besoins", "Besoin", "Vos besoins", "Nos besoins", "Needs"),
    "offers": (
        "Ressources", "Offres", "Offre", "Ce que nous pouvons apporter",
        "Ce que vous pouvez apporter", "Ce que je peux apporter", "Nos ressources",
        "Vos ressources", "Ce que nous proposons", "Offers", "Resources",
    ),
    "stop": (
        "Étape", "Etape du tour", "Étape du SAFI Tour", "Ville étape", "Ville de l'étape",
        "Stop", "Tour stop",
    ),
    "contact_consent": (
        "Accord", "Accord de publication", "Consentement", "Autorisation",
        "J'accepte la publication de mes coordonnées", "Autorisation de publication",
        "Publication des coordonnées", "Accord RGPD", "RGPD", "Consent", "Publication consent",
    ),
    "siret": (
        "SIRET", "N° SIRET", "Siret", "Numéro SIRET", "N° de SIRET", "Numéro de SIRET",
        "SIREN / SIRET", "SIRET / SIREN", "SIREN",
    ),
    "survey_date": (
        "Date", "Date de l'enquête", "Date d'enquête", "Horodateur", "Horodatage", "Timestamp",
        "Date de saisie", "Date de réponse", "Date de soumission", "Heure de soumission",
        "Soumis le", "Submitted", "Submitted on", "Submission date", "Survey date",
        "Date submitted",
    ),
    "opening_hours": (
        "Horaires", "Horaire", "Heures d'ouverture", "Horaires d'ouverture", "Horaires d'accueil",
        "Horaires d'accueil du public", "Jours et horaires", "Jours et heures d'ouverture",
        "Jours d'ouverture", "Ouverture", "Opening hours", "Hours", "Horaires accueil",
    ),
}

#: Header as commonly written -> canonical field. Every field name is also an alias, so the
#: CSV files safi-map writes can be read back.
HEADER_ALIASES: dict[str, str] = {
    alias: fld for fld, aliases in _ALIASES_BY_FIELD.items() for alias in aliases
} | {fld: fld for fld in FIELDS}

# --------------------------------------------------------------------------------------------
# Keyword rules
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderRule:
    """A header means ``field`` when one phrase of every group occurs in it (whole words,
    folded, plurals reduced) and no phrase of ``unless`` does. Highest ``priority`` wins."""

    field: str
    groups: tuple[tuple[str, ...], ...]
    priority: int
    unless: tuple[str, ...] = ()


def _rule(field: str, priority: int, *groups: tuple[str, ...] | str,
          unless: tuple[str, ...] = ()) -> HeaderRule:
    norm = tuple((g,) if isinstance(g, str) else g for g in groups)
    return HeaderRule(field, norm, priority, unless)


_NOT_ORG = ("contact", "referent", "referente", "responsable", "president", "presidente",
            "directeur", "directrice", "prenom", "repondant", "personne", "votre nom", "ton nom",
            "your name", "type", "statut", "forme", "siret", "nombre", "taille", "date",
            "besoin", "reseau", "partenaire", "financeur", "projet porte", "parrain")
_NOT_PLACE = ("etape", "tour", "intervention", "intervenez", "nombre", "zone", "territoire",
              "rayonnement", "habitez", "naissance", "perimetre", "autres commune",
              "couvert", "action")
_WEB = ("mail", "e mail", "email", "courriel", "electronique", "messagerie", "site", "web",
        "internet", "url", "ip", "facebook", "instagram")

#: The keyword rules, by field (see :class:`HeaderRule`).
HEADER_RULES: tuple[HeaderRule, ...] = (
    _rule("name", 60, ("nom", "name", "intitule", "appellation", "denomination"),
          ("structure", "organisme", "organisation", "organization", "association", "asso",
           "entreprise", "collectif", "cooperative", "company", "group"), unless=_NOT_ORG),
    _rule("name", 58, ("raison sociale", "denomination", "quel est le nom de", "nom officiel"),
          unless=_NOT_ORG),
    _rule("legal_form", 55, ("statut juridique", "forme juridique", "nature juridique",
                             "type de structure", "type de votre structure", "type d organisation",
                             "type d organisme", "legal form", "legal status", "statut de la",
                             "statut de votre", "quel est le statut", "type of organisation",
                             "type of organization", "kind of organisation", "forme de la",
                             "categorie de structure", "statut de l", "organisation type",
                             "organization type", "type of structure"),
          unless=("repondant", "vous etes", "public", "emploi", "salarie", "contrat")),
    _rule("legal_form", 35, ("statut",),
          unless=("repondant", "vous etes", "public", "emploi", "salarie", "contrat", "dossier",
                  "demande", "validation", "professionnel", "votre statut")),
    _rule("themes", 50, ("theme", "thematique", "domaine", "secteur", "champ d action",
                         "champ d intervention", "sector", "field of action", "fields of action",
                         "field of activity", "area of activity", "areas of activity", "area",
                         "topic", "vous agissez", "agissez vous", "filiere", "quel champ"),
          unless=("geographique", "geographic", "zone", "territoire", "territorial",
                  "perimetre", "rayon", "date", "nombre", "salarie", "public", "prive")),
    _rule("themes", 30, ("categorie", "category"),
          unless=("structure", "juridique", "public", "age", "emploi")),
    _rule("description", 40, ("description", "presentation", "presentez", "decrivez",
                              "activite", "objet social", "objet de", "mission", "que fait",
                              "que faites vous", "en quelques mots", "about", "describe",
                              "activities", "what does your", "projet associatif",
                              "action menee", "vos action"),
          unless=("domaine", "secteur", "theme", "type", "date", "debut", "nombre", "besoin",
                  "proposer", "zone", "lieu", "photo", "logo")),
    _rule("address", 45, ("adresse", "address", "rue", "voie", "numero et rue", "n et rue",
                          "street", "siege social"), unless=_WEB),
    _rule("postcode", 52, ("code postal", "cp", "postcode", "post code", "postal code", "zip",
                           "zipcode", "zip code"),
          unless=("ville", "commune", "localite", "city", "town", "adresse", "rue",
                  "municipality", *_NOT_PLACE)),
    _rule("commune", 48, ("commune", "ville", "localite", "city", "town", "municipality",
                          "municipalite", "dans quelle commune", "ou etes vous situe",
                          "ou se situe", "ou est situe", "implantation", "ou etes vous base"),
          unless=("adresse", "rue", "numero", "site", "web", *_NOT_PLACE)),
    _rule("latitude", 60, ("latitude", "lat")),
    _rule("longitude", 60, ("longitude", "lon", "lng")),
    _rule("website", 50, ("site web", "site internet", "website", "web site", "site", "url",
                          "page web", "adresse web", "adresse internet", "page facebook",
                          "internet", "web"),
          unless=("ville", "commune", "etape", "production", "visite", "mail", "e mail",
                  "email", "courriel")),
    _rule("email", 55, ("mail", "e mail", "email", "courriel", "messagerie",
                        "adresse electronique", "mel")),
    _rule("phone", 55, ("telephone", "tel", "phone", "portable", "mobile", "numero de telephone",
                        "tel fixe", "telephon"), unless=("mail", "email", "courriel")),
    _rule("needs", 70, ("vos besoin", "nos besoin", "vous besoin", "avez besoin", "avons besoin",
                        "ai besoin", "aurion besoin", "de quoi auriez", "de quoi avez",
                        "your need", "what do you need", "do you need", "besoin de votre",
                        "besoin de la structure", "recherchez", "recherchons", "cherchez",
                        "looking for", "vous manque", "manque t il", "what you need")),
    _rule("needs", 30, ("besoin", "need")),
    _rule("offers", 60, ("ressource", "offre", "proposer", "offrir", "apporter",
                         "mettre a disposition", "mettre a la disposition", "partager", "preter",
                         "can offer", "could offer", "can provide", "could provide", "offer",
                         "resource", "ce que vous pouvez", "ce que nous pouvons", "donner"),
          unless=("humaine", "salarie", "nombre", "budget", "financiere", "chiffre")),
    _rule("stop", 58, ("etape", "tour stop", "ville etape", "etape du tour"),
          unless=("projet", "prochaine", "developpement")),
    _rule("contact_consent", 65, ("accord", "consentement", "consent", "j accepte", "acceptez",
                                  "accepte", "j autorise", "autorisez", "autorisation", "rgpd",
                                  "gdpr", "publication des coordonnee", "publier vos",
                                  "diffuser vos", "diffusion de vos", "diffusion des",
                                  "apparaissent sur la carte", "apparaitre sur la carte",
                                  "figurer sur", "agree", "publish", "sur la carte",
                                  "on the map"),
          unless=("recontacte", "recontacter", "newsletter", "lettre d information", "photo",
                  "image", "partenariat", "convention", "reglement")),
    _rule("siret", 70, ("siret", "siren", "numero siret")),
    _rule("survey_date", 50, ("horodateur", "horodatage", "timestamp", "date de l enquete",
                              "date d enquete", "date de saisie", "date de reponse",
                              "date de la reponse", "date de soumission", "date submitted",
                              "submission date", "soumis le", "submitted on", "survey date",
                              "date du questionnaire", "date de remplissage")),
    _rule("opening_hours", 52, ("horaire", "heures d ouverture", "heure d ouverture",
                                "jours d ouverture", "jours et heures", "opening hour",
                                "quand etes vous ouvert", "quand accueillez vous"),
          unless=("soumission", "horodateur", "horodatage", "benevole", "nombre", "volume",
                  "salarie", "atelier", "formation")),
)

# Politeness and question words that forms put before the subject of a question.
_FILLER = frozenset({
    "votre", "vos", "ton", "tes", "quel", "quelle", "quels", "quelles", "est", "sont", "le",
    "la", "les", "l", "de", "du", "des", "d", "merci", "bien", "vouloir", "indiquer",
    "indiquez", "precisez", "preciser", "svp", "your", "the", "what", "is",
})


def _stem(words: str) -> str:
    """Plural ``s`` dropped from words of more than three letters: besoins -> besoin."""
    return " ".join(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w
                    for w in words.split())


def _compile_rules() -> tuple[dict[str, list[tuple[str, int, int]]], list[list[str]]]:
    """Index phrases by their first word: ``word -> [(phrase, rule, group)]``."""
    index: dict[str, list[tuple[str, int, int]]] = {}
    vetoes: list[list[str]] = []
    for r, rule in enumerate(HEADER_RULES):
        for g, group in enumerate(rule.groups):
            for phrase in group:
                stemmed = _stem(key(phrase))
                index.setdefault(stemmed.split()[0], []).append((stemmed, r, g))
        vetoes.append([_stem(key(p)) for p in rule.unless])
    return index, vetoes


_RULE_INDEX, _RULE_VETOES = _compile_rules()
_EXACT: dict[str, str] = {}
for _alias, _fld in HEADER_ALIASES.items():
    if _EXACT.setdefault(key(_alias), _fld) != _fld:  # pragma: no cover - guarded by a test
        raise AssertionError(f"header alias {_alias!r} maps to two fields")
# "Votre nom" is the respondent's name, not the structure's.
_PERSON = frozenset({"nom", "name", "prenom"})
# A header longer than this is a note or an answer, not a question.
_MAX_HEADER = 300


def _rule_match(k: str) -> str | None:
    stemmed = _stem(k)
    words = stemmed.split()
    padded = f" {stemmed} "
    found: dict[int, dict[int, int]] = {}  # rule -> group -> longest phrase found
    for i, word in enumerate(words):
        for phrase, r, g in _RULE_INDEX.get(word, ()):
            if phrase == word or " ".join(words[i:i + phrase.count(" ") + 1]) == phrase:
                groups = found.setdefault(r, {})
                groups[g] = max(groups.get(g, 0), len(phrase))
    best: tuple[int, int, int] | None = None
    for r, groups in found.items():
        rule = HEADER_RULES[r]
        if len(groups) < len(rule.groups):
            continue
        if any(f" {v} " in padded for v in _RULE_VETOES[r]):
            continue
        score = (rule.priority, max(groups.values()), -r)
        if best is None or score > best:
            best = score
    return HEADER_RULES[-best[2]].field if best is not None else None


def _strip_filler(k: str) -> str:
    words = k.split()
    i = 0
    while i < len(words) - 1 and words[i] in _FILLER:
        i += 1
    return " ".join(words[i:])


@lru_cache(maxsize=1 << 14)
def _builtin_match(header: str, tool: str) -> str | None:
    k = key(header)
    if not k or len(k) > _MAX_HEADER:
        return None
    role = tool_role(header, k, tool)
    if role is not None:
        return role
    if k in _EXACT:
        return _EXACT[k]
    stripped = _strip_filler(k)
    if stripped in _EXACT and stripped not in _PERSON:
        return _EXACT[stripped]
    return _rule_match(k)


def compile_aliases(aliases: Mapping[str, str] | None) -> dict[str, str]:
    """Check user aliases (safi-map.toml ``[columns]``) and index them by header key.

    A value of ``""`` forces a header to stay an unknown column, for when a rule maps a
    question to the wrong field.
    """
    if not aliases:
        return {}
    compiled: dict[str, str] = {}
    for header, fld in aliases.items():
        if not isinstance(header, str) or not isinstance(fld, str):
            raise ConfigError(_("[columns]: expected 'header' = 'field' strings, got "
                                "{header!r}").format(header=header))
        if fld != _IGNORE and fld not in FIELDS:
            raise ConfigError(
                _("[columns]: header {header!r} is mapped to unknown field {fld!r}; known "
                  'fields: {fields} (or "" to ignore the column)').format(
                    header=header, fld=fld, fields=', '.join(FIELDS))
            )
        k = key(header)
        if not k:
            raise ConfigError(_("[columns]: header {header!r} has no letters or digits").format(
                                  header=header))
        compiled[k] = fld
    return compiled


def match_key(header: str, user: Mapping[str, str], tool: str = "") -> str | None:
    """Role of one header: a field of :data:`FIELDS`, :data:`META`, :data:`RESPONDENT` or
    None; ``user`` is compiled by :func:`compile_aliases`."""
    if user:
        k = key(header)
        if k in user:
            return user[k] or None
        stripped = _strip_filler(k)
        if stripped in user:
            return user[stripped] or None
    return _builtin_match(header, tool)


def match_header(header: str, aliases: Mapping[str, str] | None = None,
                 tool: str = "") -> str | None:
    """The canonical field a column header stands for, or None if it is not recognized.

    Form-tool metadata (ids, start times, the respondent's own name or e-mail address in an
    export of ``tool``) is None too: it is never an actor field.

    Raises
    ------
    ConfigError
        If ``aliases`` maps a header to a field that does not exist.
    """
    role = match_key(header, compile_aliases(aliases), tool)
    return role if role in FIELDS else None

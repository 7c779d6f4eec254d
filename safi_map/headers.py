"""What a survey column header means: canonical field, form-tool metadata, or nothing.

Coordinators export surveys from form tools (Google Forms, Microsoft Forms, LimeSurvey,
KoboToolbox, Framaforms) or type them into a spreadsheet. Headers are then either short labels
("Code postal") or whole questions ("Que pourriez-vous proposer à d'autres structures ?").
Matching works on folded words (:func:`safi_map.text.key`, plurals reduced), in this order:

1. the user's ``[columns]`` aliases (safi-map.toml), which always win;
2. the columns the form tool adds by itself (timestamps, ids, the respondent's own name and
   e-mail address): they are never taken for a field of the actor (:data:`META`,
   :data:`RESPONDENT`), except the submission time, which is the survey date;
3. the exact aliases of :data:`HEADER_ALIASES` ("Nom", "CP", "Accord"), also after dropping
   leading question words ("Votre structure" -> "structure");
4. keyword rules (:data:`HEADER_RULES`): each names phrases that must occur as whole words
   (all groups; one phrase of each group), phrases that veto it ("Nom du contact" is not the
   name of the structure), and a priority; the highest priority wins, then the longest phrase.

Multiple-choice questions come as one column per option: ``Question [Option]`` (LimeSurvey,
Google Forms grids), ``Question/Option`` (KoboToolbox, beside the joined answer) or an option
row under the question row (Framaforms, LimeSurvey): :func:`plan_columns` and
:func:`merge_option_row` recognise them, and :func:`option_value` reads their cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .errors import ConfigError
from .text import key

__all__ = [
    "FIELDS",
    "HEADER_ALIASES",
    "HEADER_RULES",
    "LIST_FIELDS",
    "META",
    "RESPONDENT",
    "ColumnPlan",
    "HeaderRule",
    "compile_aliases",
    "detect_tool",
    "match_header",
    "match_key",
    "merge_option_row",
    "option_value",
    "plan_columns",
]

#: Canonical input fields, in the order of the data model.
FIELDS: tuple[str, ...] = (
    "name", "legal_form", "themes", "description", "address", "postcode", "commune", "latitude",
    "longitude", "website", "email", "phone", "needs", "offers", "stop", "contact_consent",
    "siret", "survey_date",
)
#: Fields a multiple-choice question can fill, one option per column.
LIST_FIELDS: tuple[str, ...] = ("themes", "needs", "offers")
#: Role of a column the form tool adds (ids, start and end times, IP address): not read.
META = "_meta"
#: Role of a column about the person who answered (their name, e-mail address, account):
#: private, never read into the actor nor kept among the extra columns.
RESPONDENT = "_respondent"
_IGNORE = ""

TOOL_NAMES: dict[str, str] = {
    "google-forms": "Google Forms", "microsoft-forms": "Microsoft Forms",
    "limesurvey": "LimeSurvey", "kobotoolbox": "KoboToolbox", "framaforms": "Framaforms",
}

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
}

#: Header as commonly written -> canonical field. Every field name is also an alias, so the
#: CSV files safi-map writes can be read back.
HEADER_ALIASES: dict[str, str] = {
    alias: fld for fld, aliases in _ALIASES_BY_FIELD.items() for alias in aliases
} | {fld: fld for fld in FIELDS}

# --------------------------------------------------------------------------------------------
# Form-tool metadata
# --------------------------------------------------------------------------------------------

# Always metadata, whatever the tool: no survey question is worded like these.
_META_ALWAYS = frozenset(map(key, (
    # LimeSurvey
    "ID de la réponse", "Response ID", "Dernière page", "Last page", "Langue de départ",
    "Start language", "Tête de série", "Seed", "Date de lancement", "Date started",
    "Date de la dernière action", "Date last action", "URL référente", "Referrer URL", "Jeton",
    "Token", "Temps total", "Total time", "Interview time", "Durée totale",
    # Microsoft Forms
    "Heure de début", "Start time", "Heure de la dernière modification", "Last modified time",
    "Total points", "Points totaux", "Commentaires de l'enquête", "Quiz feedback",
    # KoboToolbox (written without their leading "_" once folded)
    "__version__", "meta/instanceID", "meta/rootUuid", "meta/deprecatedID", "formhub/uuid",
    "deviceid", "simserial", "subscriberid", "audit",
    # Framaforms / Drupal webform
    "Numéro de soumission", "Serial", "SID", "Brouillon", "Draft", "Adresse IP", "IP Address",
    "UID", "Date de modification", "Dernière modification",
    # any tool
    "Score", "Note totale",
)))
_META_BY_TOOL: dict[str, frozenset[str]] = {
    "google-forms": frozenset(map(key, ("Note", "Points"))),
    "microsoft-forms": frozenset(map(key, ("ID",))),
    "kobotoolbox": frozenset(map(key, ("start", "end", "today", "start-geopoint",
                                       "instanceID"))),
    "framaforms": frozenset(map(key, ("Heure", "Time"))),
}
_RESPONDENT_BY_TOOL: dict[str, frozenset[str]] = {
    "google-forms": frozenset(map(key, ("Nom d'utilisateur", "Username"))),
    "microsoft-forms": frozenset(map(key, (
        "Nom", "Name", "Adresse de messagerie", "Adresse e-mail", "Email", "E-mail"))),
    "kobotoolbox": frozenset(map(key, ("username", "phonenumber", "_submitted_by"))),
    "framaforms": frozenset(map(key, (
        "Soumis par", "Submitted by", "Nom d'utilisateur", "Username", "Utilisateur"))),
    "limesurvey": frozenset(map(key, ("Adresse IP", "IP address"))),
}
# Google Forms puts the address it collects right after the timestamp; further on, the same
# header is a question of the form (the structure's address).
_GOOGLE_EMAIL = frozenset(map(key, ("Adresse e-mail", "Adresse email", "Adresse mail",
                                    "Email address", "E-mail address", "Email")))
_RESPONDENT_ALWAYS = frozenset(map(key, ("Soumis par", "Submitted by", "Adresse de messagerie")))
# The submission time is the survey date.
_DATE_BY_TOOL: dict[str, frozenset[str]] = {
    "microsoft-forms": frozenset(map(key, ("Heure de fin", "Completion time"))),
    "kobotoolbox": frozenset(map(key, ("_submission_time",))),
    "framaforms": frozenset(map(key, ("Soumis le", "Submitted", "Time"))),
}
_KOBO_META = re.compile(r"^_[A-Za-z_]+$|^__version__$|^(?:meta|formhub)/")
# Headers only one tool writes: two of them (or one very distinctive) name the tool.
_SIGNATURES: dict[str, frozenset[str]] = {
    "microsoft-forms": frozenset(map(key, (
        "Heure de début", "Start time", "Heure de fin", "Completion time",
        "Heure de la dernière modification", "Last modified time", "Adresse de messagerie"))),
    "limesurvey": frozenset(map(key, (
        "ID de la réponse", "Response ID", "Dernière page", "Last page", "Langue de départ",
        "Start language", "Tête de série", "Seed", "Date de lancement", "Date started",
        "Date de la dernière action", "Date last action"))),
    "framaforms": frozenset(map(key, (
        "Numéro de soumission", "Serial", "SID", "Soumis le", "Soumis par", "Submitted by",
        "Brouillon", "Draft"))),
    "kobotoolbox": frozenset(map(key, ("_uuid", "_submission_time", "_validation_status",
                                       "_index", "formhub/uuid", "meta/instanceID"))),
}


def detect_tool(headers: Sequence[str]) -> str:
    """The form tool that exported a table with these headers (``""`` when none is known).

    Google Forms puts its ``Horodateur``/``Timestamp`` first; KoboToolbox writes ``_uuid``,
    ``_submission_time``...; the others are known by two of their own column names.
    """
    keys = [key(h) for h in headers if h]
    raw = {h.strip() for h in headers}
    if sum(1 for h in raw if h.startswith("_") and key(h) in _SIGNATURES["kobotoolbox"]) >= 1 \
            or {"meta/instanceID", "formhub/uuid"} & raw:
        return "kobotoolbox"
    present = set(keys)
    for tool in ("microsoft-forms", "limesurvey", "framaforms"):
        if len(_SIGNATURES[tool] & present) >= 2:
            return tool
    if keys and keys[0] in {"horodateur", "timestamp", "horodatage", "marca temporal"}:
        return "google-forms"
    return ""


def _tool_role(header: str, k: str, tool: str) -> str | None:
    """The role a form tool gives this column by itself, or None for a question."""
    if tool in _DATE_BY_TOOL and k in _DATE_BY_TOOL[tool]:
        return "survey_date"
    if k in _RESPONDENT_ALWAYS or k in _RESPONDENT_BY_TOOL.get(tool, ()):
        return RESPONDENT
    if k in _META_ALWAYS or k in _META_BY_TOOL.get(tool, ()):
        return META
    if header.startswith("_") and _KOBO_META.match(header.strip()):
        return META
    return None


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
                             "categorie de structure", "statut de l"),
          unless=("repondant", "vous etes", "public", "emploi", "salarie", "contrat")),
    _rule("themes", 50, ("theme", "thematique", "domaine", "secteur", "champ d action",
                         "champ d intervention", "sector", "field of action", "fields of action",
                         "field of activity", "area of activity", "areas of activity", "area",
                         "topic", "vous agissez", "agissez vous", "filiere"),
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
                                  "figurer sur", "agree", "publish"),
          unless=("recontacte", "recontacter", "newsletter", "lettre d information", "photo",
                  "image", "partenariat", "convention", "reglement")),
    _rule("siret", 70, ("siret", "siren", "numero siret")),
    _rule("survey_date", 50, ("horodateur", "horodatage", "timestamp", "date de l enquete",
                              "date d enquete", "date de saisie", "date de reponse",
                              "date de la reponse", "date de soumission", "date submitted",
                              "submission date", "soumis le", "submitted on", "survey date",
                              "date du questionnaire", "date de remplissage")),
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
    role = _tool_role(header, k, tool)
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
            raise ConfigError(f"[columns]: expected 'header' = 'field' strings, got {header!r}")
        if fld != _IGNORE and fld not in FIELDS:
            raise ConfigError(
                f"[columns]: header {header!r} is mapped to unknown field {fld!r}; "
                f"known fields: {', '.join(FIELDS)} (or \"\" to ignore the column)"
            )
        k = key(header)
        if not k:
            raise ConfigError(f"[columns]: header {header!r} has no letters or digits")
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


# --------------------------------------------------------------------------------------------
# Multiple choices
# --------------------------------------------------------------------------------------------

_BRACKET = re.compile(r"^(?P<q>.*\S)\s*\[(?P<o>[^\[\]]+)\]\s*$")
_TRUE = frozenset({"oui", "yes", "y", "x", "1", "vrai", "true", "coche", "checked", "selected",
                   "selectionne", "selectionnee", "ok", "o"})
_FALSE = frozenset({"non", "no", "n", "0", "faux", "false", "non selectionne",
                    "non selectionnee", "not selected", "non coche", "unchecked", "aucun"})


def option_value(cell: str, option: str) -> str:
    """What an option column's cell says: the option's label when ticked, ``""`` when not,
    and the cell's own text for anything else (an "Autre" option holds what was typed)."""
    k = key(cell)
    if not k or k in _FALSE:
        return ""
    if k in _TRUE or k == key(option):
        return option
    return cell


@dataclass
class ColumnPlan:
    """How the columns of one table are read.

    ``roles[i]`` is column i's field, :data:`META`, :data:`RESPONDENT` or None (unknown);
    ``options[i]`` the option label of a multiple-choice option column (its role is then the
    question's list field); ``covered[i]`` is True for a KoboToolbox joined answer whose
    options have their own columns (read through them).
    """

    tool: str
    roles: list[str | None]
    options: list[str | None]
    covered: list[bool]


def _option_split(header: str, user: Mapping[str, str], tool: str) -> tuple[str, str] | None:
    m = _BRACKET.match(header)
    if m:
        role = match_key(m["q"], user, tool)
        if role in LIST_FIELDS:
            return role, m["o"].strip()
    return None


def plan_columns(headers: Sequence[str], user: Mapping[str, str]) -> ColumnPlan:
    """Roles of a table's columns, with multiple-choice options recognised."""
    tool = detect_tool(headers)
    n = len(headers)
    roles: list[str | None] = [None] * n
    options: list[str | None] = [None] * n
    covered = [False] * n
    slashed: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        if not header:
            continue
        if key(header) not in user:
            split = _option_split(header, user, tool)
            if split is not None:
                roles[i], options[i] = split
                continue
            if "/" in header and not header.startswith(("meta/", "formhub/")):
                slashed.setdefault(header.rsplit("/", 1)[0].strip(), []).append(i)
        roles[i] = match_key(header, user, tool)
        if (i == 1 and tool == "google-forms" and key(header) in _GOOGLE_EMAIL
                and key(header) not in user):
            roles[i] = RESPONDENT
    # KoboToolbox: "Question/Option" = 1/0, beside "Question" (the joined answer).
    by_header = {key(h): i for i, h in enumerate(headers) if h}
    for question, cols in slashed.items():
        joined = by_header.get(key(question))
        if len(cols) < 2 and joined is None:
            continue
        role = match_key(question, user, tool)
        if role not in LIST_FIELDS:
            continue
        for i in cols:
            roles[i], options[i] = role, headers[i].rsplit("/", 1)[1].strip()
        if joined is not None:
            covered[joined] = True
            roles[joined] = role
    return ColumnPlan(tool, roles, options, covered)


def merge_option_row(header: Sequence[str], below: Sequence[str],
                     user: Mapping[str, str]) -> list[str] | None:
    """Headers ``Question [Option]`` when ``below`` is a row of options under the questions.

    Framaforms and LimeSurvey can put a multiple-choice question over several columns (the
    question on its first column, the following ones blank or repeating it) and the options
    on the row below. Returns None when ``below`` is not such a row (then it is data).
    """
    tool = detect_tool(header)
    width = max(len(header), len(below))
    cells = [below[i] if i < len(below) else "" for i in range(width)]
    heads = [header[i] if i < len(header) else "" for i in range(width)]
    filled = [i for i, c in enumerate(cells) if c]
    if len(filled) < 2:
        return None
    spans: dict[int, str] = {}
    question = ""
    for i, head in enumerate(heads):
        if head and head != question:
            question = head if match_key(head, user, tool) in LIST_FIELDS else ""
            if not question:
                continue
        if question:
            spans[i] = question
    if not all(i in spans for i in filled):
        return None
    if any(key(cells[i]) in _TRUE or key(cells[i]) in _FALSE for i in filled):
        return None
    merged = list(heads)
    for i in filled:
        merged[i] = f"{spans[i]} [{cells[i]}]"
    return merged

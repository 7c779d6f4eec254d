"""What each form tool writes by itself, beside the answers to its questions.

Google Forms, Microsoft Forms, LimeSurvey, KoboToolbox and Framaforms (Drupal webform) add
columns of their own to an export: ids, start and end times, the page reached, the language,
the IP address, and sometimes the respondent's name, account or e-mail address. None of them
is a field of the actor: :func:`tool_role` names them :data:`META` (not read) or
:data:`RESPONDENT` (about the person who answered: private, never read nor kept), except the
submission time, which is the survey date. :func:`detect_tool` recognises the tool from the
header row, since some of these headers ("Nom", "ID", "start") are questions elsewhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from safi_map.core.text import key

__all__ = ["GOOGLE_EMAIL", "META", "RESPONDENT", "TOOL_NAMES", "detect_tool", "tool_role"]

#: Role of a column the form tool adds (ids, start and end times, IP address): not read.
META = "_meta"
#: Role of a column about the person who answered (their name, e-mail address, account):
#: private, never read into the actor nor kept among the extra columns.
RESPONDENT = "_respondent"
TOOL_NAMES: dict[str, str] = {
    "google-forms": "Google Forms", "microsoft-forms": "Microsoft Forms",
    "limesurvey": "LimeSurvey", "kobotoolbox": "KoboToolbox", "framaforms": "Framaforms",
}



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
GOOGLE_EMAIL = frozenset(map(key, ("Adresse e-mail", "Adresse email", "Adresse mail",
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


def tool_role(header: str, k: str, tool: str) -> str | None:
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

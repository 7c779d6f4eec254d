"""Header matching: real headers of form-tool exports and hand-made sheets, FR and EN."""

from __future__ import annotations

import pytest

from safi_map.ingestion.columnplan import merge_option_row, option_value, plan_columns
from safi_map.ingestion.headers import (
    HEADER_ALIASES,
    META,
    RESPONDENT,
    compile_aliases,
    detect_tool,
    match_header,
    match_key,
)

GF, MS, LS, KOBO, FRAMA = "google-forms", "microsoft-forms", "limesurvey", "kobotoolbox", "framaforms"

# (header as exported, tool that exported it ("" for a hand-made sheet), expected role)
HEADERS: list[tuple[str, str, str | None]] = [
    # Google Forms, French and English
    ("Horodateur", GF, "survey_date"),
    ("Timestamp", GF, "survey_date"),
    ("Adresse e-mail", GF, "email"),  # a question; the collected address: see below
    ("Nom d'utilisateur", GF, RESPONDENT),
    ("Score", GF, META),
    ("Nom de votre structure", GF, "name"),
    ("Quel est le nom de votre structure ?", GF, "name"),
    ("Name of your organisation", GF, "name"),
    ("What is the name of your organization?", GF, "name"),
    ("Quels sont vos domaines d'action ?", GF, "themes"),
    ("Dans quel(s) domaine(s) agissez-vous ?", GF, "themes"),
    ("Which areas does your organisation work in?", GF, "themes"),
    ("Thématiques (plusieurs réponses possibles)", GF, "themes"),
    ("De quoi auriez-vous besoin ?", GF, "needs"),
    ("Quelles ressources recherchez-vous ?", GF, "needs"),
    ("What do you need?", GF, "needs"),
    ("De quoi auriez-vous besoin que d'autres structures pourraient vous proposer ?", GF, "needs"),
    ("Que pourriez-vous proposer à d'autres structures ?", GF, "offers"),
    ("Que pouvez-vous apporter pour répondre aux besoins des autres ?", GF, "offers"),
    ("Quelles ressources pouvez-vous partager ?", GF, "offers"),
    ("What could you offer to other organisations?", GF, "offers"),
    ("Acceptez-vous que vos coordonnées apparaissent sur la carte ?", GF, "contact_consent"),
    ("Do you agree to your contact details being published on the map?", GF, "contact_consent"),
    ("J'autorise la diffusion de mes coordonnées", GF, "contact_consent"),
    ("Code postal de votre structure", GF, "postcode"),
    ("Postcode", GF, "postcode"),
    ("Commune de votre siège", GF, "commune"),
    ("Town / city", GF, "commune"),
    ("Où êtes-vous situés ?", GF, "commune"),
    ("Site internet (si vous en avez un)", GF, "website"),
    ("Website (if any)", GF, "website"),
    ("Téléphone de la structure", GF, "phone"),
    ("Phone number", GF, "phone"),
    ("Adresse e-mail de la structure", GF, "email"),
    ("Email de contact de la structure", GF, "email"),
    ("Statut juridique de votre structure", GF, "legal_form"),
    ("Type d'organisation (association, coopérative…)", GF, "legal_form"),
    ("Présentez votre structure en quelques mots", GF, "description"),
    ("Describe your activities", GF, "description"),
    ("Numéro SIRET (facultatif)", GF, "siret"),
    ("Étape du SAFI Tour où vous nous avez rencontrés", GF, "stop"),
    ("Adresse postale de la structure", GF, "address"),
    # questions that are not an actor field
    ("Nom et prénom de la personne qui remplit le questionnaire", GF, None),
    ("Votre nom", GF, None),
    ("Votre fonction dans la structure", GF, None),
    ("Nom du contact", "", None),
    ("Nombre de salariés", GF, None),
    ("Nombre de bénévoles", GF, None),
    ("Année de création", GF, None),
    ("Date de création", "", None),
    ("Public accueilli", GF, None),
    ("Type de public accueilli", "", None),
    ("Territoire d'intervention", GF, None),
    ("Communes d'intervention", GF, None),
    ("Secteur géographique", "", None),
    ("Acceptez-vous d'être recontacté par le réseau ?", GF, None),
    ("Étape de développement de votre projet", GF, None),
    ("Ressources humaines (nombre de salariés)", GF, None),
    ("Remarques", "", None),
    ("Commentaires", "", None),
    # Microsoft Forms
    ("ID", MS, META),
    ("Heure de début", MS, META),
    ("Heure de fin", MS, "survey_date"),
    ("Adresse de messagerie", MS, RESPONDENT),
    ("Nom", MS, RESPONDENT),
    ("Heure de la dernière modification", MS, META),
    ("Start time", MS, META),
    ("Completion time", MS, "survey_date"),
    ("Email", MS, RESPONDENT),
    ("Name", MS, RESPONDENT),
    ("Last modified time", MS, META),
    ("Nom de la structure", MS, "name"),
    ("Dans quels domaines intervenez-vous ?", MS, "themes"),
    ("J'accepte que les coordonnées de ma structure soient publiées sur la carte", MS,
     "contact_consent"),
    # LimeSurvey
    ("ID de la réponse", LS, META),
    ("Date de soumission", LS, "survey_date"),
    ("Dernière page", LS, META),
    ("Langue de départ", LS, META),
    ("Tête de série", LS, META),
    ("Date de lancement", LS, META),
    ("Date de la dernière action", LS, META),
    ("Response ID", LS, META),
    ("Date submitted", LS, "survey_date"),
    ("Last page", LS, META),
    ("Start language", LS, META),
    ("Seed", LS, META),
    ("Adresse IP", LS, RESPONDENT),
    ("URL référente", LS, META),
    ("Jeton", LS, META),
    ("Vos domaines d'action [Culture et médias]", LS, "themes"),
    ("Consentement à la publication des coordonnées", LS, "contact_consent"),
    # KoboToolbox
    ("start", KOBO, META),
    ("end", KOBO, META),
    ("today", KOBO, META),
    ("_id", KOBO, META),
    ("_uuid", KOBO, META),
    ("_submission_time", KOBO, "survey_date"),
    ("_validation_status", KOBO, META),
    ("_index", KOBO, META),
    ("_notes", KOBO, META),
    ("_status", KOBO, META),
    ("_submitted_by", KOBO, RESPONDENT),
    ("__version__", KOBO, META),
    ("meta/instanceID", KOBO, META),
    ("formhub/uuid", KOBO, META),
    ("deviceid", KOBO, META),
    ("username", KOBO, RESPONDENT),
    ("phonenumber", KOBO, RESPONDENT),
    ("Ressources à partager", KOBO, "offers"),
    # Framaforms / webform
    ("Numéro de soumission", FRAMA, META),
    ("SID", FRAMA, META),
    ("Soumis le", FRAMA, "survey_date"),
    ("Soumis par", FRAMA, RESPONDENT),
    ("Adresse IP", FRAMA, META),
    ("Brouillon", FRAMA, META),
    ("UID", FRAMA, META),
    ("Serial", FRAMA, META),
    ("Submitted by", FRAMA, RESPONDENT),
    ("Nom de l'association", FRAMA, "name"),
    ("Acceptez-vous que vos coordonnées soient publiées ?", FRAMA, "contact_consent"),
    # hand-made sheets
    ("NOM", "", "name"),
    ("Nom", "", "name"),
    ("Nom structure", "", "name"),
    ("Structure (nom)", "", "name"),
    ("ASSOCIATION", "", "name"),
    ("Votre structure", "", "name"),
    ("CP", "", "postcode"),
    ("C.P.", "", "postcode"),
    ("Ville", "", "commune"),
    ("CP / Ville", "", "commune"),
    ("Code postal et commune", "", "commune"),
    ("Commune d'implantation", "", "commune"),
    ("Ville de l'étape", "", "stop"),
    ("Thèmes", "", "themes"),
    ("Thématique(s)", "", "themes"),
    ("Secteur d'activité", "", "themes"),
    ("Catégorie", "", "themes"),
    ("Besoins", "", "needs"),
    ("Ressources", "", "offers"),
    ("Offres", "", "offers"),
    ("Accord", "", "contact_consent"),
    ("ACCORD", "", "contact_consent"),
    ("Accord de publication", "", "contact_consent"),
    ("RGPD", "", "contact_consent"),
    ("Tél.", "", "phone"),
    ("Mail", "", "email"),
    ("Adresse e-mail", "", "email"),
    ("Adresse de messagerie", "", RESPONDENT),
    ("Site", "", "website"),
    ("Adresse", "", "address"),
    ("Adresse complète (numéro, rue, code postal, ville)", "", "address"),
    ("N° SIRET", "", "siret"),
    ("Statut", "", "legal_form"),
    ("Forme juridique", "", "legal_form"),
    ("Date", "", "survey_date"),
    ("Étape", "", "stop"),
    ("Lat", "", "latitude"),
    ("Long", "", "longitude"),
    ("Observations", "", None),
    ("Organisation type", "", "legal_form"),
    ("Statut (association, SCOP…)", "", "legal_form"),
    ("Dans quels champs intervenez-vous ?", GF, "themes"),
    ("Publication sur la carte (oui/non)", "", "contact_consent"),
    ("Areas of work", GF, "themes"),
    ("What kind of support are you looking for?", GF, "needs"),
    ("What resources can you share?", GF, "offers"),
    ("Can we publish your contact details?", GF, "contact_consent"),
    ("Ce que la structure peut mettre à disposition", "", "offers"),
    ("Votre structure a-t-elle des besoins en :", GF, "needs"),
    ("Ville du siège social", "", "commune"),
    ("Adresse du siège social", "", "address"),
    ("Nom du responsable", "", None),
    ("E-mail du responsable", "", "email"),
    ("Sigle", "", None),
    ("Département", "", None),
]


def test_the_table_is_large_and_varied() -> None:
    assert len(HEADERS) >= 80
    assert {tool for _, tool, _ in HEADERS} == {"", GF, MS, LS, KOBO, FRAMA}
    assert sum(1 for *_, role in HEADERS if role is None) >= 15


@pytest.mark.parametrize(("header", "tool", "expected"), HEADERS)
def test_header_role(header: str, tool: str, expected: str | None) -> None:
    assert match_key(header, {}, tool) == expected


def test_match_header_never_returns_metadata() -> None:
    assert match_header("Nom", tool=MS) is None
    assert match_header("Adresse de messagerie") is None
    assert match_header("Adresse e-mail") == "email"
    assert match_header("_submission_time", tool=KOBO) == "survey_date"


def test_user_aliases_win_over_rules_and_metadata() -> None:
    assert match_key("Nom", {"nom": "name"}, MS) == "name"
    assert match_key("Quels sont vos domaines d'action ?",
                     {"quels sont vos domaines d action": ""}, GF) is None


def test_every_alias_still_matches() -> None:
    for alias, field in HEADER_ALIASES.items():
        assert match_header(alias) == field, alias


@pytest.mark.parametrize(
    ("headers", "tool"),
    [
        (["Horodateur", "Adresse e-mail", "Nom de votre structure"], GF),
        (["Timestamp", "Name of your organisation"], GF),
        (["ID", "Heure de début", "Heure de fin", "Adresse de messagerie", "Nom"], MS),
        (["Id", "Start time", "Completion time", "Email", "Name"], MS),
        (["ID de la réponse", "Date de soumission", "Dernière page", "Nom"], LS),
        (["Response ID", "Date submitted", "Last page", "Start language", "Name"], LS),
        (["start", "end", "Nom", "_id", "_uuid", "_submission_time"], KOBO),
        (["Numéro de soumission", "SID", "Soumis le", "Soumis par", "Nom"], FRAMA),
        (["Nom", "Commune", "Date", "Heure"], ""),
        (["Nom", "Adresse e-mail", "Horodateur"], ""),
    ],
)
def test_detect_tool(headers: list[str], tool: str) -> None:
    assert detect_tool(headers) == tool


@pytest.mark.parametrize("email", ["Adresse e-mail", "Email Address", "Adresse email"])
def test_google_forms_collected_address_is_private(email: str) -> None:
    # Google Forms writes the address it collects right after the timestamp: the
    # respondent's, private. The same header further on is a question of the form.
    plan = plan_columns(["Horodateur", email, "Nom de la structure", email], {})
    assert plan.tool == GF
    assert plan.roles == ["survey_date", RESPONDENT, "name", "email"]
    assert plan_columns(["Nom", email], {}).roles == ["name", "email"]
    user = compile_aliases({email: "email"})
    assert plan_columns(["Horodateur", email], user).roles[1] == "email"


def test_option_columns_bracketed_and_kobo() -> None:
    headers = ["Nom", "Domaines [Culture]", "Domaines [Sport et loisirs]", "Besoins [Des locaux]",
               "Besoins [Du financement]", "Domaines d'action", "Domaines d'action/Santé",
               "Domaines d'action/Culture", "CP / Ville", "SIREN / SIRET"]
    plan = plan_columns(headers, {})
    assert plan.roles == ["name", "themes", "themes", "needs", "needs", "themes", "themes",
                          "themes", "commune", "siret"]
    assert plan.options == [None, "Culture", "Sport et loisirs", "Des locaux", "Du financement",
                            None, "Santé", "Culture", None, None]
    assert plan.covered == [False] * 5 + [True] + [False] * 4


def test_a_lone_bracket_is_part_of_the_question() -> None:
    plan = plan_columns(["Nom", "Vos besoins [facultatif]", "Site web [optionnel]"], {})
    assert plan.roles == ["name", "needs", "website"]
    assert plan.options == [None, None, None]


def test_option_row_under_the_questions() -> None:
    header = ["Numéro de soumission", "Nom", "Quels sont vos domaines ?", "", "", "Vos besoins",
              "", "Accord"]
    options = ["", "", "Culture", "Sport", "Autre", "Des locaux", "Du financement", ""]
    assert merge_option_row(header, options, {}) == [
        "Numéro de soumission", "Nom", "Quels sont vos domaines ? [Culture]",
        "Quels sont vos domaines ? [Sport]", "Quels sont vos domaines ? [Autre]",
        "Vos besoins [Des locaux]", "Vos besoins [Du financement]", "Accord"]
    # a data row is not an option row: values under other questions, or ticks
    assert merge_option_row(header, ["1", "Asso", "X", "", "", "X", "", "Oui"], {}) is None
    assert merge_option_row(header, ["", "", "X", "X", "", "", "", ""], {}) is None
    assert merge_option_row(header, ["", "", "Culture", "", "", "", "", ""], {}) is None
    # a data row without a name: each value under its own question
    assert merge_option_row(["Nom", "Thèmes", "Besoins"], ["", "Culture", "Des locaux"],
                            {}) is None


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("Oui", "Culture"), ("Y", "Culture"), ("X", "Culture"), ("1", "Culture"),
     ("TRUE", "Culture"), ("Culture", "Culture"), ("", ""), ("Non", ""), ("0", ""),
     ("N", ""), ("Non sélectionné", ""), ("Théâtre de rue", "Théâtre de rue")],
)
def test_option_value(cell: str, expected: str) -> None:
    assert option_value(cell, "Culture") == expected


def test_matching_looks_up_each_word_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Readers match every cell of the first rows (separator and header sniffing), so matching
    # a cell must cost what reading its words costs: one lookup in the rules' word index per
    # word, never a scan of every rule (the time it takes is measured in bench/, not here).
    from safi_map.core.text import key
    from safi_map.ingestion import headers

    class Counting(dict):  # type: ignore[type-arg]
        lookups = 0

        def get(self, k, default=None):  # type: ignore[no-untyped-def]
            Counting.lookups += 1
            return super().get(k, default)

    monkeypatch.setattr(headers, "_RULE_INDEX", Counting(headers._RULE_INDEX))
    for i, cell in enumerate(["Association numéro 12 pour la culture et le sport à Toulon",
                              "Quelles sont vos thématiques d'action principales ?"]):
        headers._builtin_match.cache_clear()
        Counting.lookups = 0
        match_key(cell, {})
        words = headers._stem(key(cell)).split()
        assert 0 < Counting.lookups <= len(words), (i, Counting.lookups, words)

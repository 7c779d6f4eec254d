"""``build/rapport.html``: the ingest report as a coordinator reads it, in French.

``ingest-report.json`` stays, for machines; this page is for the person who runs the build: per
survey file, the columns read (header → field) and those left unread; the rejected rows with
their number and reason; the warnings grouped by kind, with counts, examples and what to do (the
``safi-map.toml`` or ``corrections.toml`` lines to write); the communes that could not be placed
or were ambiguous; the merges. It lies in the build folder, next to ``ingest-report.json``,
outside the public site (it names rows and values of actors who did not consent).

Everything in it comes from the :class:`~safi_map.ingestion.report.Report` (plus, optionally, the change
report) and is escaped by Jinja's autoescape. Unread columns are shown with whatever the report
holds about them: a file entry's ``unknown_columns`` and, when present, its ``suggestions``
(``{header: field}`` or a list of ``{"header", "field"}``), shown as ``[columns]`` lines.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from safi_map.core.french import french_number
from safi_map.ingestion.report import Report, RowIssue

__all__ = ["REPORT_NAME", "render_report", "report_context", "write_report"]

REPORT_NAME = "rapport.html"
EXAMPLES = 5
"""Examples shown per kind of warning."""
LIST_LIMIT = 500
"""Longest list shown in full (rejected rows, merges, places); the JSON report has the rest."""

FIELD_NAMES: dict[str, str] = {
    "name": "nom de la structure", "legal_form": "statut", "themes": "thématiques",
    "description": "description", "address": "adresse", "postcode": "code postal",
    "commune": "commune", "latitude": "latitude", "longitude": "longitude",
    "website": "site web", "email": "courriel", "phone": "téléphone", "needs": "besoins",
    "offers": "ressources proposées", "stop": "étape", "contact_consent": "accord de publication",
    "siret": "SIRET", "survey_date": "date de l'enquête", "opening_hours": "horaires",
}

# Kind of issue (code, or the part before the dot) → (title, what to do, correction template).
# Templates: "" (nothing to write), "columns", "move", "split", "taxonomy", "tour", "set:FIELD".
_KINDS: dict[str, tuple[str, str, str]] = {
    "name.missing": ("Nom de la structure manquant",
                     "La ligne n'est pas publiée. Complétez le nom dans l'enquête. Si le nom est "
                     "dans une colonne qui n'a pas été reconnue, indiquez-la dans "
                     "safi-map.toml.", "columns"),
    "row.empty": ("Ligne sans donnée utilisable",
                  "Rien à faire : la ligne ne contient que des blancs ou de la ponctuation.", ""),
    "consent.unknown": ("Accord de publication illisible",
                        "La réponse n'est ni oui ni non : les coordonnées ne sont pas publiées. "
                        "Si la structure a donné son accord, écrivez-le dans corrections.toml.",
                        "set:contact_consent"),
    "themes": ("Thématique non reconnue",
               "La structure est classée « autre ». Ajoutez le mot aux synonymes d'un thème dans "
               "data/taxonomy.toml, ou fixez ses thèmes dans corrections.toml.", "set:themes"),
    "legal_form": ("Statut non reconnu", "Le statut est classé « autre » ; corrigez-le dans "
                   "l'enquête ou dans corrections.toml.", "set:legal_form"),
    "geocode.none": ("Commune introuvable : structure non placée sur la carte",
                     "Corrigez la commune ou le code postal dans l'enquête, ou placez la "
                     "structure à la main dans corrections.toml.", "move"),
    "geocode.approximate": ("Commune ambiguë ou approximative",
                            "Vérifiez la commune choisie ; si elle est fausse, ajoutez le code "
                            "postal dans l'enquête ou placez la structure à la main.", "move"),
    "coordinates": ("Coordonnées à vérifier",
                    "Les coordonnées ont été réparées ou ignorées ; placez la structure à la main "
                    "si besoin.", "move"),
    "merge.similar_names": ("Lignes réunies sous des noms voisins",
                            "Deux noms proches ont été réunis en une seule structure. Si ce sont "
                            "deux structures différentes, séparez-les dans corrections.toml.",
                            "split"),
    "merge": ("Fusion à vérifier", "Vérifiez la fusion ; séparez les lignes si besoin.", "split"),
    "stop": ("Étape inconnue ou contradictoire",
             "Ajoutez l'étape dans data/tour.toml ou corrigez la colonne « Étape » de l'enquête.",
             "tour"),
    "url": ("Site web corrigé ou écarté", "Vérifiez l'adresse ; corrigez l'enquête ou "
            "corrections.toml si elle a été écartée.", "set:website"),
    "email": ("Courriel invalide ou multiple", "Corrigez l'adresse dans l'enquête ou dans "
              "corrections.toml.", "set:email"),
    "phone": ("Téléphone corrigé ou invalide", "Vérifiez le numéro ; corrigez l'enquête ou "
              "corrections.toml si besoin.", "set:phone"),
    "siret": ("SIRET invalide", "Corrigez le SIRET (14 chiffres) dans l'enquête ou dans "
              "corrections.toml.", "set:siret"),
    "postcode": ("Code postal réparé ou invalide", "Réparé quand c'était possible (zéro initial, "
                 "CEDEX) ; sinon corrigez l'enquête.", "set:postcode"),
    "commune": ("Commune réparée ou invalide", "Réparée quand c'était possible ; sinon corrigez "
                "l'enquête.", ""),
    "date": ("Date illisible", "Corrigez la date dans l'enquête (par exemple 28/11/2026).", ""),
    "agenda": ("Agenda : rendez-vous à vérifier", "Corrigez la ligne dans le fichier d'agenda "
               "(data/agenda.csv) : une date comme 12/03/2027, une heure comme 14h30, le nom "
               "d'une structure de la carte.", ""),
}
_KINDS.update({
    "postcode.leading_zero": ("Zéro initial du code postal rétabli",
                              "Rien à faire : réparé automatiquement (6000 → 06000).", ""),
    "commune.cedex": ("Mention CEDEX retirée de la commune",
                      "Rien à faire : réparé automatiquement.", ""),
    "url.scheme_added": ("https:// ajouté devant le site web",
                         "Rien à faire ; vérifiez au besoin que le site s'ouvre.", ""),
    "phone.leading_zero": ("Zéro initial du téléphone rétabli",
                           "Rien à faire : réparé automatiquement.", ""),
})
_REPAIRED = frozenset({"postcode.leading_zero", "commune.cedex", "url.scheme_added",
                       "phone.leading_zero"})
"""Codes of repairs that need nothing from the coordinator: listed after the others."""
_OTHER_KIND = ("Autre remarque", "Vérifiez la ligne dans l'enquête.", "")
_SET_VALUES = {  # what to write (never the survey's value: it may be the wrong or unsafe one)
    "contact_consent": "true", "themes": '["slug-du-theme-1", "slug-du-theme-2"]',
    "legal_form": '"association"', "website": '"https://www.exemple.org"',
    "email": '"contact@exemple.org"', "phone": '"04 00 00 00 00"',
    "siret": '"12345678900012"', "postcode": '"13001"',
}


def _kind(code: str) -> tuple[str, str, str]:
    return _KINDS.get(code) or _KINDS.get(code.split(".")[0]) or _OTHER_KIND


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _where(issue: RowIssue) -> str:
    return str(issue.ref)


def correction_lines(template: str, *, actor_id: str = "", ref: str = "", column: str = ""
                     ) -> str:
    """The lines to write for one issue, or "" when there is nothing to write."""
    aid = _toml(actor_id or "identifiant-de-la-structure")
    if template == "columns":
        header = column or "En-tête de la colonne du nom"
        return f'# safi-map.toml\n[columns]\n{_toml(header)} = "name"'
    if template == "move":
        return (f"# data/corrections.toml\n[[move]]\nactor_id = {aid}\n"
                "latitude = 43.2965   # à remplacer\nlongitude = 5.3698   # à remplacer")
    if template == "split":
        new_id = _toml((actor_id or "nouvelle-structure") + "-bis")
        return (f"# data/corrections.toml\n[[split]]\nactor_id = {new_id}"
                f"   # le nouvel identifiant\nsources = [{_toml(ref)}]")
    if template == "tour":
        return ('# data/tour.toml\n[[stops]]\nid = "identifiant-etape"\ntown = "Commune"\n'
                "date = 2026-11-28")
    if template.startswith("set:"):
        field = template[4:]
        shown = _SET_VALUES.get(field, '"valeur corrigée"')
        return (f"# data/corrections.toml\n[[set]]\nactor_id = {aid}\n{field} = {shown}"
                "   # à adapter")
    return ""


def _actor_of(report: Report) -> dict[str, str]:
    return {**report.published, **report.merged}


def _issue_view(issue: RowIssue, actors: Mapping[str, str]) -> dict[str, Any]:
    return {"where": _where(issue), "column": issue.column or "", "value": issue.value or "",
            "message": issue.message, "actor_id": actors.get(_where(issue), "")}


def _warning_groups(report: Report, actors: Mapping[str, str]) -> list[dict[str, Any]]:
    by_code: dict[str, list[RowIssue]] = defaultdict(list)
    for issue in sorted(report.warnings, key=lambda i: (i.file, i.sheet, i.row, i.code)):
        by_code[issue.code].append(issue)
    groups = []
    for code, issues in sorted(by_code.items(),
                               key=lambda kv: (kv[0] in _REPAIRED, -len(kv[1]), kv[0])):
        title, advice, template = _kind(code)
        examples = [_issue_view(i, actors) for i in issues[:EXAMPLES]]
        first = examples[0]
        groups.append({
            "code": code, "title": title, "advice": advice, "count": len(issues),
            "repaired": code in _REPAIRED,
            "examples": examples,
            "correction": correction_lines(template, actor_id=first["actor_id"],
                                           ref=first["where"], column=first["column"]),
        })
    return groups


def _rejected(report: Report) -> list[dict[str, Any]]:
    errors = {str(i.ref): i for i in report.errors}
    rejected = dict(report.rejected)
    for ref, error in errors.items():  # the agenda's rows: not survey rows, rejected as well
        if error.code.startswith("agenda.") and ref not in rejected:
            rejected[ref] = error.code
    rows = []
    for ref, reason in sorted(rejected.items()):
        issue = errors.get(ref)
        title, advice, template = _kind(issue.code) if issue else _OTHER_KIND
        column = issue.column if issue and issue.column else ""
        said = f" : {issue.message}" if issue and issue.code.startswith("agenda.") else ""
        rows.append({"where": ref, "reason": title + (f" (colonne « {column} »)" if column
                                                      else "") + said,
                     "detail": reason, "advice": advice,
                     "correction": correction_lines(template, ref=ref, column=column)
                     if issue and not issue.column else ""})
    return rows


def _places(report: Report, actors: Mapping[str, str]) -> list[dict[str, Any]]:
    """Unplaced and ambiguous communes, one line per written commune."""
    groups: dict[tuple[str, str], list[RowIssue]] = defaultdict(list)
    for issue in report.warnings:
        if issue.code in ("geocode.none", "geocode.approximate"):
            groups[(issue.code, issue.value or "")].append(issue)
    out = []
    for (code, value), issues in sorted(groups.items()):
        out.append({"unplaced": code == "geocode.none", "value": value or "(vide)",
                    "count": len(issues), "rows": [_where(i) for i in issues[:EXAMPLES]],
                    "detail": issues[0].message,
                    "correction": correction_lines(
                        "move", actor_id=actors.get(_where(issues[0]), ""))})
    return out


def _merges(report: Report) -> list[dict[str, Any]]:
    rows_of: dict[str, list[str]] = defaultdict(list)
    for ref, aid in report.published.items():
        rows_of[aid].append(ref)
    merged: dict[str, list[str]] = defaultdict(list)
    for ref, aid in report.merged.items():
        merged[aid].append(ref)
    return [{"actor_id": aid, "kept": sorted(rows_of.get(aid, [])), "merged": sorted(refs)}
            for aid, refs in sorted(merged.items())]


def _columns(entry: Mapping[str, Any]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(columns read, columns left unread) of one file entry of the report."""
    order = {f: i for i, f in enumerate(FIELD_NAMES)}
    read = [{"header": str(header), "field": str(field),
             "label": FIELD_NAMES.get(str(field), str(field))}
            for field, header in sorted(dict(entry.get("columns") or {}).items(),
                                        key=lambda kv: (order.get(kv[0], len(order)),
                                                        str(kv[0])))]
    raw_check = entry.get("column_check")
    check: Mapping[str, Any] = raw_check if isinstance(raw_check, Mapping) else {}
    suggested = _suggestions(entry.get("suggestions")) or {
        str(u["header"]): str(u["looks_like"]) for u in check.get("unread") or []
        if isinstance(u, Mapping) and u.get("header") and u.get("looks_like")}
    unread = []
    for header in [*(entry.get("unknown_columns") or []),
                   *(h for h in suggested if h not in (entry.get("unknown_columns") or []))]:
        field = suggested.get(str(header), "")
        unread.append({"header": str(header), "field": field,
                       "label": FIELD_NAMES.get(field, field),
                       "toml": f"{_toml(str(header))} = {_toml(field)}" if field else ""})
    return read, unread


def _suggestions(value: Any) -> dict[str, str]:
    """``{header: field}`` from a file entry's ``suggestions``: a mapping, or a list of
    ``{"header", "field"}`` records."""
    if isinstance(value, Mapping):
        return {str(k): str(v) for k, v in value.items()}
    found: dict[str, str] = {}
    for item in value or []:
        if isinstance(item, Mapping) and item.get("header") and item.get("field"):
            found[str(item["header"])] = str(item["field"])
    return found


def _files(report: Report) -> list[dict[str, Any]]:
    files = []
    for entry in report.files:
        read, unread = _columns(entry)
        name = str(entry.get("file", ""))
        sheet = str(entry.get("sheet") or "")
        files.append({"name": f"{name}[{sheet}]" if sheet else name, "rows": entry.get("rows", 0),
                      "blank_rows": entry.get("blank_rows", 0), "error": entry.get("error", ""),
                      "encoding": entry.get("encoding", ""),
                      "separator": entry.get("separator", ""), "read": read, "unread": unread,
                      "notes": [str(w) for w in entry.get("warnings", []) or []],
                      **_column_check(entry.get("column_check"))})
    return files


def _column_check(check: Any) -> dict[str, Any]:
    """From a file entry's column check (:mod:`safi_map.ingestion.columncheck`): the form tool that made
    the file, the watched fields with no column, the form-tool and respondent columns."""
    if not isinstance(check, Mapping):
        return {"tool": "", "missing": [], "tool_columns": [], "private_columns": []}
    metadata = [m for m in check.get("metadata") or [] if isinstance(m, Mapping)]
    suggested = {u.get("looks_like") for u in check.get("unread") or [] if isinstance(u, Mapping)}
    return {"tool": str(check.get("tool_name") or ""),
            "missing": [FIELD_NAMES.get(str(m), str(m)) for m in check.get("missing") or []
                        if m not in suggested],
            "tool_columns": [str(m.get("header")) for m in metadata if m.get("kind") == "meta"],
            "private_columns": [str(m.get("header")) for m in metadata
                                if m.get("kind") != "meta"]}


def _corrections(log: Any) -> dict[str, list[Any]] | None:
    """The corrections log of the report (applied, unknown, hidden), or None."""
    if not isinstance(log, Mapping):
        return None
    return {key: [v for v in log.get(key) or [] if isinstance(v, Mapping | str)]
            for key in ("applied", "unknown", "hidden")}


def _limited(items: list[Any]) -> tuple[list[Any], int]:
    return items[:LIST_LIMIT], max(0, len(items) - LIST_LIMIT)


def report_context(report: Report, *, changes: Any = None, names: Mapping[str, str] | None = None,
                   json_name: str = "ingest-report.json") -> dict[str, Any]:
    """Everything ``rapport.html`` shows, as plain values (the template only lays it out).

    ``names``: actor id → name (the merges and examples then name the structures).
    """
    actors = _actor_of(report)
    files = _files(report)
    unread_lines = sorted({u["toml"] for f in files for u in f["unread"] if u["toml"]})
    rejected, more_rejected = _limited(_rejected(report))
    merges, more_merges = _limited(_merges(report))
    places, more_places = _limited(_places(report, actors))
    return {
        "summary": report.summary(), "files": files, "unread_lines": unread_lines,
        "rejected": rejected, "more_rejected": more_rejected,
        "warnings": _warning_groups(report, actors), "places": places,
        "more_places": more_places, "merges": merges, "more_merges": more_merges,
        "corrections": _corrections((report.extra or {}).get("corrections")),
        "changes": changes.to_dict() if changes is not None else None,
        "json_name": json_name, "field_names": FIELD_NAMES, "names": dict(names or {}),
    }


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("safi_map", "resources/report"),
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
    )
    env.filters["number"] = french_number
    return env


def render_report(report: Report, *, changes: Any = None,
                  names: Mapping[str, str] | None = None) -> str:
    """The HTML text of ``rapport.html`` (see :func:`report_context`)."""
    return _environment().get_template(REPORT_NAME).render(
        **report_context(report, changes=changes, names=names))


def write_report(report: Report, out_dir: str | Path, *, changes: Any = None,
                 names: Mapping[str, str] | None = None) -> Path:
    """Write ``out_dir/rapport.html`` atomically (a temporary file renamed over it)."""
    from safi_map.core.writer import write_file_atomic

    return write_file_atomic(Path(out_dir) / REPORT_NAME, render_report(report, changes=changes,
                                                                          names=names))

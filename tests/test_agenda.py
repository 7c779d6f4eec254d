"""The actors' agenda file (issue #16 item 1): read like surveys, validated, nothing lost."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from safi_map.ingestion.agenda import find_agenda, parse_time, read_agenda

ACTORS = [
    {"actor_id": "a1", "name": "Le Jardin Partagé", "insee_code": "13201",
     "commune": "Marseille 1er Arrondissement"},
    {"actor_id": "a2", "name": "Recyclerie du Luc", "insee_code": "83073", "commune": "Le Luc"},
    {"actor_id": "a3", "name": "Épicerie solidaire", "insee_code": "83137", "commune": "Toulon"},
    {"actor_id": "a4", "name": "Épicerie solidaire", "insee_code": "84007", "commune": "Avignon"},
]

CSV = """\
Agenda des acteurs — automne 2026;;;;;;;;;
Date;Début;Fin;Titre;Structure;Commune;Lieu;Lien;Description;Public
12/03/2027;14h;17h;Atelier réparation;Recyclerie du Luc;;Local associatif;www.example.org/atelier;Venez avec vos objets;oui
2027-03-14;9h30 à 12h;;Marché paysan;a1;Marseille;Cours Julien;;;
13 mars 2027;;;Portes ouvertes;Épicerie solidaire;Avignon;;;;oui
31/02/2027;10h;;Date impossible;;Toulon;;;;oui
;10h;;Sans date;;Toulon;;;;oui
14/03/2027;;;;;Toulon;;;;oui
15/03/2027;25h;;Heure impossible;Inconnue SARL;Atlantis;;javascript:alert(1);;oui
16/03/2027;10h;;Réunion interne;;Toulon;;;;non
12/03/2027;14h;17h;Atelier réparation;Recyclerie du Luc;;;;;
;;;;;;;;;
"""


def _write(tmp_path: Path, text: str, name: str = "agenda.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_become_events_or_reasons(tmp_path: Path) -> None:
    agenda = read_agenda(_write(tmp_path, CSV, encoding="cp1252"), actors=ACTORS)
    report = agenda.report
    titles = [e.title for e in agenda.events]
    assert titles == ["Atelier réparation", "Portes ouvertes", "Marché paysan",
                      "Heure impossible"]
    # nothing lost: every non-blank row is published, merged or rejected with its reason
    assert report.rows_read == 9
    assert len(report.published) + len(report.merged) + len(report.rejected) == 9
    assert report.rejected == {"agenda.csv:6": "agenda.date_invalid",
                               "agenda.csv:7": "agenda.date_invalid",
                               "agenda.csv:8": "agenda.no_title",
                               "agenda.csv:10": "agenda.not_public"}
    assert report.merged == {"agenda.csv:11": agenda.events[0].id}
    assert agenda.held_back == 1


def test_event_fields(tmp_path: Path) -> None:
    events = {e.title: e for e in read_agenda(_write(tmp_path, CSV), actors=ACTORS).events}
    atelier = events["Atelier réparation"]
    assert (atelier.date, atelier.start, atelier.end) == (dt.date(2027, 3, 12), dt.time(14),
                                                          dt.time(17))
    assert (atelier.actor_id, atelier.commune_code) == ("a2", "83073")  # the actor's commune
    assert atelier.url == "https://www.example.org/atelier"
    marche = events["Marché paysan"]
    assert (marche.actor_id, marche.start, marche.end) == ("a1", dt.time(9, 30), dt.time(12))
    assert marche.commune_code == "13055"
    # two actors share the name: the event's commune decides
    assert events["Portes ouvertes"].actor_id == "a4"
    wrong = events["Heure impossible"]
    assert (wrong.start, wrong.actor_id, wrong.organiser, wrong.commune, wrong.url) == (
        None, "", "Inconnue SARL", "", "")


def test_messages_name_row_and_column(tmp_path: Path) -> None:
    report = read_agenda(_write(tmp_path, CSV), actors=ACTORS).report
    by_code = {(i.code, i.row): i for i in report.issues}
    assert by_code[("agenda.date_invalid", 6)].column == "Date"
    assert by_code[("agenda.time_invalid", 9)].column == "Début"
    assert by_code[("agenda.actor_unknown", 9)].column == "Structure"
    assert by_code[("agenda.commune_unknown", 9)].column == "Commune"
    assert by_code[("url.unsafe", 9)].column == "Lien"
    assert by_code[("agenda.duplicate", 11)].level == "warning"
    assert all(i.file == "agenda.csv" for i in report.issues)


def test_french_messages(tmp_path: Path) -> None:
    from safi_map.core import i18n

    i18n.set_language("fr")
    try:
        report = read_agenda(_write(tmp_path, CSV), actors=ACTORS).report
    finally:
        i18n.set_language("en")
    texts = " ".join(i.message for i in report.issues)
    assert "n'est pas une date" in texts and "row" not in texts


def test_missing_columns_reject_every_row(tmp_path: Path) -> None:
    agenda = read_agenda(_write(tmp_path, "Quand;Quoi\n12/03/2027;Atelier\n"))
    assert agenda.events == []
    assert agenda.report.rejected == {"agenda.csv:2": "agenda.columns_missing"}
    assert [i.code for i in agenda.report.issues if i.level == "error"] == [
        "agenda.columns_missing"]


def test_unknown_column_is_said(tmp_path: Path) -> None:
    report = read_agenda(_write(tmp_path, "Date,Titre,Tarif\n12/03/2027,Atelier,5 €\n")).report
    [issue] = report.issues
    assert (issue.code, issue.column) == ("agenda.column_unread", "Tarif")


def test_spreadsheet_dates_and_times(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Date", "Début", "Fin", "Titre", "Commune"])
    ws.append([dt.datetime(2027, 4, 2), dt.time(18, 0), dt.time(20, 30), "Ciné-débat", "Arles"])
    path = tmp_path / "agenda.xlsx"
    wb.save(path)
    assert find_agenda(tmp_path) == path
    [event] = read_agenda(path).events
    assert (event.date, event.start, event.end, event.commune) == (
        dt.date(2027, 4, 2), dt.time(18), dt.time(20, 30), "Arles")


def test_ids_are_stable(tmp_path: Path) -> None:
    first = [e.id for e in read_agenda(_write(tmp_path, CSV), actors=ACTORS).events]
    again = [e.id for e in read_agenda(_write(tmp_path, CSV), actors=ACTORS).events]
    assert first == again and len(set(first)) == len(first)


@pytest.mark.parametrize("text, expected", [
    ("14h", dt.time(14)), ("14 h 30", dt.time(14, 30)), ("14:30", dt.time(14, 30)),
    ("9h00", dt.time(9)), ("09:30:00", dt.time(9, 30)), ("midi", dt.time(12)),
    ("25h", None), ("bientôt", None), ("14h75", None),
])
def test_parse_time(text: str, expected: dt.time | None) -> None:
    assert parse_time(text) == expected


def test_event_calendars_parse_back(tmp_path: Path) -> None:
    from icalendar import Calendar

    from safi_map.site.agenda_ics import event_files

    events = read_agenda(_write(tmp_path, CSV), actors=ACTORS).events
    files = event_files(events, site_title="Carte", site_url="https://ex.org/")
    assert len(files) == len(events)
    atelier = next(e for e in events if e.title == "Atelier réparation")
    cal = Calendar.from_ical(files[f"agenda/evenements/{atelier.id}.ics"])
    [vevent] = cal.walk("VEVENT")
    start = vevent.decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (14, "Europe/Paris")
    assert vevent.decoded("dtend").hour == 17
    assert str(vevent["summary"]) == "Atelier réparation"
    assert str(vevent["url"]) == "https://www.example.org/atelier"
    assert cal.walk("VTIMEZONE")  # calendar applications read the hours the same
    portes = next(e for e in events if e.title == "Portes ouvertes")
    [allday] = Calendar.from_ical(files[f"agenda/evenements/{portes.id}.ics"]).walk("VEVENT")
    assert allday.decoded("dtstart") == dt.date(2027, 3, 13)
    # deterministic
    assert files == event_files(events, site_title="Carte", site_url="https://ex.org/")

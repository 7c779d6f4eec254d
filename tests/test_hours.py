"""Opening hours: French phrasings -> OSM ``opening_hours``, evaluation, French text."""

from __future__ import annotations

import datetime as dt

import pytest

from safi_map.core.hours import (
    WEEK_MINUTES,
    HoursParseError,
    is_open_at,
    is_osm,
    normalize_hours,
    parse_hours,
    weekly_intervals,
    weekly_payload,
)
from safi_map.ingestion.headers import match_header
from safi_map.site.hours_text import describe_hours, hours_view

PHRASINGS = [
    ("lun-ven 9h-12h et 14h-17h", "Mo-Fr 09:00-12:00,14:00-17:00"),
    ("le mardi de 14h à 18h", "Tu 14:00-18:00"),
    ("du lundi au vendredi de 9h à 17h", "Mo-Fr 09:00-17:00"),
    ("9h30-12h", "09:30-12:00"),
    ("sur rendez-vous", '"sur rendez-vous"'),
    ("Sur RDV", '"sur rendez-vous"'),
    ("lun-ven 9h-17h, fermé le mercredi", "Mo-Fr 09:00-17:00; We off"),
    ("Mo-Fr 09:00-12:00,14:00-17:00; PH off", "Mo-Fr 09:00-12:00,14:00-17:00; PH off"),
    ("du lundi au vendredi de 9h à 12h et de 14h à 17h, le samedi de 10h à 12h",
     "Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00"),
    ("Lundi, mardi et jeudi : 9h-12h", "Mo,Tu,Th 09:00-12:00"),
    ("tous les jours de 10h à 19h sauf le dimanche", "Mo-Sa 10:00-19:00"),
    ("du lundi au vendredi sauf le mercredi de 9h à 17h", "Mo,Tu,Th,Fr 09:00-17:00"),
    ("9h-17h du lundi au vendredi", "Mo-Fr 09:00-17:00"),
    ("24h/24 7j/7", "24/7"),
    ("Lundi 9h-12h / Mardi 14h-17h", "Mo 09:00-12:00; Tu 14:00-17:00"),
    ("du mardi au samedi 10h-13h et 14h30-19h, fermé les jours fériés",
     "Tu-Sa 10:00-13:00,14:30-19:00; PH off"),
    ("de 9 h à 12 h", "09:00-12:00"),
    ("Mercredi : 14h00 - 18h00", "We 14:00-18:00"),
    ("Ouvert du lundi au vendredi de 8h30 à 12h30", "Mo-Fr 08:30-12:30"),
    ("en semaine 9h-18h", "Mo-Fr 09:00-18:00"),
    ("le week-end de 10h à 18h", "Sa,Su 10:00-18:00"),
    ("lundi-vendredi 9:00-17:00", "Mo-Fr 09:00-17:00"),
    ("lun. - ven. : 9h - 17h", "Mo-Fr 09:00-17:00"),
    ("LUNDI AU VENDREDI 9H À 17H", "Mo-Fr 09:00-17:00"),
    ("du lundi au jeudi de 9h à midi", "Mo-Th 09:00-12:00"),
    ("mar–sam 10h–12h30 / 14h–18h", "Tu-Sa 10:00-12:30,14:00-18:00"),
    ("du lundi au vendredi 9h-12h sur rendez-vous", 'Mo-Fr 09:00-12:00 "sur rendez-vous"'),
    ("Tous les jours 10h-18h, dimanche 10h-12h", "10:00-18:00; Su 10:00-12:00"),
    ("22h-2h", "22:00-02:00"),
    ("du vendredi au lundi 18h-23h", "Mo,Fr-Su 18:00-23:00"),
    ("fermé", "off"),
]

UNPARSABLE = [
    "le matin",
    "l'après-midi sur rendez-vous",
    "selon la saison",
    "fermé le mercredi",  # closed on Wednesday, but open when? not said
    "9h-12h, lundi 14h-17h",  # which days get 9h-12h?
    "le 1er lundi du mois",
    "lundi de 25h à 26h",
    "à partir de 14h",
    "Mo-Fx 09:00-12:00",  # OSM-like, but not valid
    "tous les jours",
]


@pytest.mark.parametrize(("text", "osm"), PHRASINGS)
def test_french_phrasings_become_valid_osm(text, osm):
    assert parse_hours(text) == osm
    assert is_osm(osm)


@pytest.mark.parametrize("text", UNPARSABLE)
def test_unsure_texts_are_not_half_read(text):
    with pytest.raises(HoursParseError):
        parse_hours(text)


def test_normalize_keeps_unparsable_text_with_a_note():
    assert normalize_hours("  lun-ven   9h-17h ") == ("Mo-Fr 09:00-17:00", [])
    assert normalize_hours("") == ("", [])
    value, notes = normalize_hours("le matin")
    assert value == "le matin"
    assert [n.code for n in notes] == ["opening_hours.unparsed"]
    assert "'matin'" in notes[0].message


@pytest.mark.parametrize("header", ["Horaires", "Heures d'ouverture", "Horaires d'accueil",
                                    "Horaires d'ouverture au public",
                                    "Quels sont vos horaires d'ouverture ?", "Opening hours"])
def test_hours_headers(header):
    assert match_header(header) == "opening_hours"


@pytest.mark.parametrize("header", ["Horodateur", "Heure de soumission", "Date"])
def test_timestamps_are_not_hours(header):
    assert match_header(header) != "opening_hours"


# 2026-11-30 is a Monday.
@pytest.mark.parametrize(("osm", "when", "expected"), [
    ("Mo-Fr 09:00-12:00,14:00-17:00", "2026-11-30 09:00", True),
    ("Mo-Fr 09:00-12:00,14:00-17:00", "2026-11-30 12:00", False),
    ("Mo-Fr 09:00-12:00,14:00-17:00", "2026-11-30 16:59", True),
    ("Mo-Fr 09:00-12:00,14:00-17:00", "2026-12-05 10:00", False),
    ("Mo-Fr 09:00-17:00; We off", "2026-12-02 10:00", False),
    ("Mo-Fr 09:00-17:00; We off", "2026-12-03 10:00", True),
    ("Su 22:00-02:00", "2026-11-30 01:30", True),
    ("Su 22:00-02:00", "2026-11-30 02:00", False),
    ("24/7", "2026-12-06 03:00", True),
])
def test_evaluation_at_fixed_times_library_and_weekly_list_agree(osm, when, expected):
    moment = dt.datetime.fromisoformat(when)
    assert is_open_at(osm, moment) is expected
    minute = moment.weekday() * 1440 + moment.hour * 60 + moment.minute
    week = weekly_intervals(osm)
    assert week is not None
    in_week = any(s <= minute < e or s <= minute + WEEK_MINUTES < e for s, e, _c in week)
    assert in_week is expected


def test_weekly_list_is_none_when_the_week_is_not_known():
    assert weekly_intervals('"sur rendez-vous"') is None
    assert weekly_intervals("Jul-Aug 10:00-18:00") is None  # differs along the year
    assert weekly_intervals("le matin") is None
    assert weekly_intervals("Tu 14:00-18:00") == ((2280, 2520, ""),)


def test_payload_is_sparse_and_follows_indexes():
    assert weekly_payload(["", "Tu 14:00-18:00", None, "le matin", '"sur rendez-vous"',
                           "Mo 09:00-10:00,11:00-12:00"]) == [
        [1, [2280, 2520]], [5, [540, 600, 660, 720]]]


@pytest.mark.parametrize(("value", "lines"), [
    ("Mo-Fr 09:00-12:00,14:00-17:00",
     ["Lundi–vendredi\u00a0: 9\u00a0h–12\u00a0h, 14\u00a0h–17\u00a0h"]),
    ("Mo-Fr 09:30-17:00; We off; PH off",
     ["Lundi, mardi, jeudi et vendredi\u00a0: 9\u00a0h\u00a030–17\u00a0h",
      "Fermé les jours fériés"]),
    ("Mo-Fr 09:00-12:00; Sa,Su 10:00-18:00",
     ["Lundi–vendredi\u00a0: 9\u00a0h–12\u00a0h", "Samedi et dimanche\u00a0: 10\u00a0h–18\u00a0h"]),
    ('"sur rendez-vous"', ["Sur rendez-vous"]),
    ('Tu 14:00-18:00 "sur rendez-vous"', ["Mardi\u00a0: 14\u00a0h–18\u00a0h (sur rendez-vous)"]),
    ("24/7", ["Ouvert 24\u00a0h/24, 7\u00a0j/7"]),
    ("09:30-12:00", ["Tous les jours\u00a0: 9\u00a0h\u00a030–12\u00a0h"]),
    ("Su 22:00-02:00", ["Dimanche\u00a0: 22\u00a0h–2\u00a0h"]),
    ("le matin, <b>selon</b> la saison", ["le matin, <b>selon</b> la saison"]),
    ("", []),
])
def test_french_text(value, lines):
    assert describe_hours(value) == lines


def test_view_gives_the_badge_data_only_with_a_weekly_schedule():
    assert hours_view("Tu 14:00-18:00")["week"] == [2280, 2520]
    assert hours_view("le matin") == {"lines": ["le matin"], "osm": "", "week": []}
    assert hours_view(float("nan"))["lines"] == []

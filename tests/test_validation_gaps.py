"""Issue 12, point 13: what the validators let through.

Ids ending in a newline (``$`` matches before a final newline), ``[[set]]`` corrections that
skipped the survey normalizers, a ``[[split]]`` id that is a path, and the contact values of
actors who did not consent kept in the private report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from safi_map.core.errors import ConfigError
from safi_map.ingestion.corrections import load_corrections
from safi_map.ingestion.report import Report
from safi_map.ingestion.validate import validate_table
from safi_map.model.taxonomy import load_taxonomy
from safi_map.model.tour import Tour, load_tour

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "safi_map"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- ids ending in a newline --------------------------------------------------------------


def test_a_stop_id_ending_in_a_newline_is_refused(tmp_path):
    path = write(tmp_path, "tour.toml",
                 '[[stops]]\nid = "gap\\n"\ntown = "Gap"\ndate = 2015-05-07\n')
    with pytest.raises(ConfigError, match=r"tour\.toml: \[\[stops\]\] entry 1.*'gap\\n'"):
        load_tour(path)


def test_a_data_inclusion_prefix_ending_in_a_newline_is_refused(tmp_path):
    # (slugs, colours and icons are stripped first: "sante\n" is read as "sante")
    path = write(tmp_path, "taxonomy.toml",
                 '[[themes]]\nslug = "sante"\nlabel = "Santé"\ncolour = "#aa0000"\n'
                 'datainclusion = ["sante-\\n"]\n')
    with pytest.raises(ConfigError, match=r"taxonomy\.toml: .*datainclusion"):
        load_taxonomy(path)


def test_add_stop_refuses_an_id_ending_in_a_newline(tmp_path):
    import datetime as dt

    from safi_map.core.settings import load_settings
    from safi_map.ingestion.project import add_stop

    settings = load_settings(base=tmp_path)
    with pytest.raises(ConfigError, match="stop id"):
        add_stop(settings, "gap\n", town="Gap", date=dt.date(2015, 5, 7))
    assert not settings.tour.exists()


def test_no_validating_pattern_ends_with_a_dollar():
    # `$` also matches before a final newline: whole-value patterns end with \Z (or use
    # fullmatch). Patterns that trim with `\s*$` are unaffected and stay as they are.
    offenders = []
    for path in sorted(PACKAGE.glob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if re.search(r'r"\^[^"]*(?<!\\s\*)(?<!\.\*)\$"', line) and "re.sub" not in line:
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []


# --- [[set]] values go through the survey normalizers ---------------------------------------

SET = '[[set]]\nactor_id = "recyclerie-83050"\n'


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ('email = "\\"><script>alert(1)</script>"', "email"),
        ('website = "javascript:alert(1)"', "website"),
        ('phone = "<b>appelez</b>"', "phone"),
        ('postcode = "ABCDE"', "postcode"),
        ('siret = "12"', "siret"),
        ('themes = ["<script>"]', "theme '<script>'"),
        ('legal_form = "<img src=x>"', "legal_form"),
        ('name = "  ..  "', "name"),
        ('needs = [1]', "'needs' must be a list of strings"),
    ],
)
def test_invalid_set_values_are_refused_by_entry(tmp_path, line, fragment):
    path = write(tmp_path, "corrections.toml", SET + line + "\n")
    with pytest.raises(ConfigError) as info:
        load_corrections(path, load_taxonomy())
    message = str(info.value)
    assert "corrections.toml: [[set]] entry 1" in message and fragment in message


def test_set_values_are_normalized_like_survey_cells(tmp_path):
    path = write(tmp_path, "corrections.toml", SET + (
        'email = " Contact@Recyclerie.FR "\nwebsite = "recyclerie.example.org"\n'
        'phone = "04 94 00 00 00"\npostcode = "6000"\nthemes = ["Santé", "insertion"]\n'
        'legal_form = "Asso loi 1901"\nname = "LA RECYCLERIE DU HAUT VAR"\n'
        'description = "  deux\\n lignes  "\nemail_note = 1\n'.replace("email_note = 1\n", "")))
    (entry,) = load_corrections(path, load_taxonomy()).set
    assert entry["email"] == "Contact@recyclerie.fr"
    assert entry["website"] == "https://recyclerie.example.org"
    assert entry["phone"] == "04 94 00 00 00"
    assert entry["postcode"] == "06000"
    assert entry["themes"] == ["sante", "insertion"]
    assert entry["legal_form"] == "association"
    assert entry["name"] == "La Recyclerie du Haut Var"
    assert entry["description"] == "deux lignes"
    # an empty string still clears a field
    path = write(tmp_path, "corrections.toml", SET + 'email = ""\n')
    assert load_corrections(path, load_taxonomy()).set[0]["email"] == ""


def test_without_a_taxonomy_themes_must_be_slugs(tmp_path):
    path = write(tmp_path, "corrections.toml", SET + 'themes = ["sante"]\n')
    assert load_corrections(path).set[0]["themes"] == ["sante"]
    path = write(tmp_path, "corrections.toml", SET + 'themes = ["Santé"]\n')
    with pytest.raises(ConfigError, match="theme 'Santé'"):
        load_corrections(path)


# --- ids in corrections -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '[[split]]\nactor_id = "../../etc/x"\nsources = ["a.csv:2"]\n',
        '[[split]]\nactor_id = "nouvel-acteur\\n"\nsources = ["a.csv:2"]\n',
        '[[split]]\nactor_id = "x"\nsources = [["a.csv:2"]]\n',
        '[[hide]]\nactor_id = "a/b"\n',
        '[[move]]\nactor_id = "a"\nlatitude = true\nlongitude = 5.0\n',
        '[[merge]]\nkeep = "a"\nabsorb = ["b", 3]\n',
        '[[merge]]\nkeep = "A B"\nabsorb = ["b"]\n',
        'set = [1]\n',
        '[[set]]\nactor_id = "a"\nnote = 3\n',
    ],
)
def test_bad_ids_and_shapes_are_config_errors(tmp_path, text):
    path = write(tmp_path, "corrections.toml", text)
    with pytest.raises(ConfigError, match=r"corrections\.toml"):
        load_corrections(path, load_taxonomy())


@pytest.mark.slow
def test_a_split_id_with_dots_gives_a_message_not_a_traceback(tmp_path):
    import shutil

    from click.testing import CliRunner

    from safi_map.cli.main import cli

    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "data" / "corrections.toml").write_text(
        '[[split]]\nactor_id = "../../piege"\nsources = ["2015-05-07-gap.csv:2"]\n',
        encoding="utf-8")
    old = Path.cwd()
    import os

    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(cli, ["ingest"])
    finally:
        os.chdir(old)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "corrections.toml" in result.output and "../../piege" in result.output


# --- the private report does not keep contacts given without consent ------------------------


def test_report_masks_invalid_contacts_of_actors_without_consent():
    from types import SimpleNamespace

    frame = pd.DataFrame({
        "name": ["Sans accord", "Avec accord"],
        "email": ["secret@@perso", "public@@asso"],
        "phone": ["06 12 34", "04 94 00"],
        "contact_consent": ["non", "oui"],
        "_file": ["etape.csv"] * 2, "_sheet": [""] * 2, "_row": [2, 3],
    }, dtype=object)
    table = SimpleNamespace(frame=frame, extras=pd.DataFrame(index=frame.index),
                            columns={"name": "Nom", "email": "Courriel", "phone": "Tél",
                                     "contact_consent": "Accord"}, file="etape.csv", sheet="",
                            path=None)
    report = Report()
    validate_table(table, taxonomy=load_taxonomy(), tour=Tour(stops=[]), report=report)
    dumped = repr([(i.message, i.value) for i in report.issues])
    assert "secret" not in dumped and "06 12 34" not in dumped
    assert "public@@asso" in dumped and "04 94 00" in dumped  # consented: kept for the fix
    codes = {(i.ref.row, i.code) for i in report.issues}
    assert {(2, "email.invalid"), (2, "phone.invalid")} <= codes

"""French for the coordinator: the catalogue is complete and compiled, the CLI speaks French by
default and English on demand, and each error is printed once.

When a test here fails after you added or changed a message: run
``python scripts/translations.py``, translate the entries it lists in
``safi_map/resources/locale/fr/LC_MESSAGES/safi_map.po``, and run it again to compile.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.core import i18n

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("translations", ROOT / "scripts" /
                                                  "translations.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["translations"] = module
    spec.loader.exec_module(module)
    return module


tool = _tool()


@pytest.fixture(scope="module")
def catalog():
    with tool.PO.open("rb") as f:
        return read_po(f, locale="fr")


def test_every_message_of_the_code_has_a_french_translation(catalog):
    missing = []
    for message in tool.extract():
        if not message.id:
            continue
        entry = catalog.get(message.id)
        strings = () if entry is None else (entry.string if isinstance(entry.string, tuple)
                                            else (entry.string,))
        if entry is None or entry.fuzzy or not strings or not all(strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    assert not missing, ("messages without a French translation (run python "
                         f"scripts/translations.py, translate them in {tool.PO}): {missing}")


def test_the_catalogue_holds_only_messages_of_the_code(catalog):
    in_code = {m.id for m in tool.extract() if m.id}
    stale = [m.id for m in catalog if m.id and m.id not in in_code]
    assert not stale, f"run python scripts/translations.py to drop {stale}"


def test_the_compiled_catalogue_matches_the_po():
    with tool.PO.open("rb") as f:
        expected = tool.mo_bytes(read_po(f, locale="fr"))
    assert tool.MO.read_bytes() == expected, "run python scripts/translations.py to compile"


_FIELD = re.compile(r"\{[^{}]*\}|%(?:\([a-z_]+\))?[sdrif]")


@pytest.mark.parametrize("plural", [False, True])
def test_translations_keep_every_placeholder(catalog, plural):
    """A translation that drops or renames ``{file}`` breaks the message (KeyError) or hides
    what it names."""
    bad = []
    for m in catalog:
        if not m.id or isinstance(m.id, tuple) != plural:
            continue
        ids = m.id if plural else (m.id,)
        strings = m.string if plural else (m.string,)
        for i, s in enumerate(strings):  # French form 0 is for 0 and 1, form 1 for more
            if sorted(_FIELD.findall(s)) != sorted(_FIELD.findall(ids[min(i, len(ids) - 1)])):
                bad.append((ids[0], s))
    assert not bad, bad


def test_library_messages_follow_the_language():
    from safi_map.core.errors import ConfigError
    from safi_map.model.tour import load_tour

    previous = i18n.current_language()
    try:
        for lang, expected in (("fr", "fichier du tour introuvable"),
                               ("en", "tour file not found")):
            i18n.set_language(lang)
            with pytest.raises(ConfigError, match=expected):
                load_tour("/nonexistent/tour.toml")
    finally:
        i18n.set_language(previous)


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "fr"), ({"LANG": "fr_FR.UTF-8"}, "fr"), ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"), ({"LANG": "C.UTF-8"}, "fr"),
    ({"LANG": "de_DE.UTF-8"}, "fr"), ({"LC_MESSAGES": "en_US"}, "en"),
])
def test_language_from_the_environment(monkeypatch, env, expected):
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert i18n.language_from_environment() == expected


def _help(*args: str, env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, [*args], env=env)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("command", [[], ["build"], ["ingest"], ["geocode"], ["export"],
                                     ["add-stop"]])
def test_help_is_french_by_default_and_english_on_demand(command):
    fr = _help(*command, "--help", env={"LANG": "", "LC_ALL": "", "LC_MESSAGES": ""})
    assert "Utilisation :" in fr and "Afficher cette aide et quitter." in fr
    assert "Show this message" not in fr
    en = _help("--lang", "en", *command, "--help")
    assert "Usage:" in en and "Show this message and exit." in en
    assert "Utilisation" not in en
    assert _help(*command, "--help", env={"LC_ALL": "en_US.UTF-8"}) == en
    assert i18n.current_language() == "en", "the CLI restores the language it found"


def test_every_option_help_is_translated():
    """No English help line left on any command (each is a message id with a translation)."""
    previous = i18n.current_language()
    try:
        for name, command in cli.commands.items():
            text = " ".join(_help(name, "--help", env={"LANG": "fr_FR.UTF-8", "LC_ALL": ""})
                            .split())
            i18n.set_language("fr")
            for param in command.params:
                if getattr(param, "help", None):
                    french = i18n._(param.help)
                    assert french != param.help, (name, param.help)
                    assert " ".join(french.split()[:4]) in text, (name, french)
    finally:
        i18n.set_language(previous)


def test_an_error_is_printed_once_in_french(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "safi-map.toml").write_text("[project]\nsurveys = 3\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest"], env={"LANG": "fr_FR.UTF-8"})
    assert result.exit_code == 2
    assert result.output.count("safi-map.toml") == 1, result.output
    assert "Erreur :" in result.output and "Error" not in result.output
    result = CliRunner().invoke(cli, ["--lang", "en", "ingest"])
    assert result.exit_code == 2 and "Error:" in result.output


def test_warnings_are_labelled_in_french(tmp_path, make_project, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_project()
    result = CliRunner().invoke(cli, ["ingest"], env={"LANG": "fr_FR.UTF-8"})
    assert result.exit_code == 0, result.output
    assert "attention : aucun fichier d'enquête" in result.output


def test_an_unreadable_survey_is_reported_once(tmp_path, make_project, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_project(surveys={"casse.xlsx": b"not a workbook"})
    for _run in range(2):  # the second run reads the file's result from the cache
        result = CliRunner().invoke(cli, ["ingest"], env={"LANG": "fr_FR.UTF-8"})
        assert result.exit_code == 1
        assert result.output.count("casse.xlsx") == 1, result.output
        assert "erreur : casse.xlsx : impossible de lire ce classeur" in result.output

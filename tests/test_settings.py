"""Settings: one table, paths relative to the file, unknown keys are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from safi_map.core.errors import ConfigError
from safi_map.core.settings import SETTINGS, Settings, load_settings


def test_defaults_resolve_against_base(tmp_path):
    s = load_settings(base=tmp_path)
    assert s.surveys == [tmp_path / "data" / "surveys"]
    assert s.out == tmp_path / "build"
    assert s.online is False and s.config_path is None


def test_paths_are_relative_to_the_file(tmp_path):
    sub = tmp_path / "project"
    sub.mkdir()
    cfg = sub / "safi-map.toml"
    cfg.write_text(
        '[project]\nsurveys = ["enquetes", "extra/a.csv"]\nout = "sortie"\n'
        '[columns]\n"Nom de l\'asso" = "name"\n[geocode]\nonline = true\nprovider = "nominatim"\n',
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert s.surveys == [(sub / "enquetes").resolve(), (sub / "extra/a.csv").resolve()]
    assert s.out == (sub / "sortie").resolve()
    assert s.columns == {"Nom de l'asso": "name"}
    assert s.online is True and s.provider == "nominatim"
    assert s.config_path == cfg.resolve()


def test_found_in_base_folder(tmp_path):
    (tmp_path / "safi-map.toml").write_text('[project]\ntitle = "Carte"\n', encoding="utf-8")
    assert load_settings(base=tmp_path).title == "Carte"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[projet]\ntitle = 'x'\n", "unknown section [projet]"),
        ("[project]\ntitel = 'x'\n", "unknown setting 'titel' in [project]"),
        ("[geocode]\nprovider = 'google'\n", "expected one of 'ban', 'nominatim'"),
        ("[geocode]\nonline = 'yes'\n", "expected true or false"),
        ("[geocode]\ntimeout = -1\n", "expected a positive number"),
        ("[project\n", "invalid TOML"),
    ],
)
def test_bad_files_name_the_problem(tmp_path, text, fragment):
    cfg = tmp_path / "safi-map.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert fragment in str(info.value)
    if "TOML" not in fragment:
        assert str(cfg) in str(info.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_table_and_dataclass_agree():
    names = {s.section if s.name == "*" else s.name for s in SETTINGS}
    fields = set(Settings.__dataclass_fields__) - {"config_path"}
    assert names == fields
    defaults = Settings()
    for s in SETTINGS:
        name = s.section if s.name == "*" else s.name
        value = getattr(defaults, name)
        if s.is_path:
            expected = [Path(v) for v in s.default] if isinstance(s.default, list) else Path(s.default)
            assert value == expected, name
        else:
            assert value == s.default, name


def test_with_ignores_none():
    s = Settings().with_(title=None, online=True)
    assert s.online is True and s.title == Settings().title

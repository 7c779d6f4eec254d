"""Survey warnings, settings errors and correction reasons reach the coordinator in French."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from safi_map.core import i18n
from safi_map.core.errors import ConfigError
from safi_map.core.settings import Settings, load_settings
from safi_map.export.datainclusion import DataInclusionError
from safi_map.ingestion.readers import read_survey


@pytest.fixture(autouse=True)
def french() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("fr")
    yield
    i18n.set_language(before)


def test_survey_warnings_are_french(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("Liste des structures\nNom;Commune\nA;Toulon;en trop\n", encoding="utf-8")
    (table,) = read_survey(path)
    assert table.warnings[0] == ("s.csv : l'en-tête est à la ligne 2 ; 1 ligne non vide "
                                 "au-dessus (titres, notes) n'a pas été lue comme des données")
    assert any(w.startswith("s.csv : 1 ligne a plus de cellules que l'en-tête (ligne 3)")
               for w in table.warnings), table.warnings


def test_unknown_settings_section_is_french(tmp_path: Path) -> None:
    cfg = tmp_path / "safi-map.toml"
    cfg.write_text("[projet]\ntitle = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"section \[projet\] inconnue ; sections possibles"):
        load_settings(cfg)


def test_site_url_error_is_french() -> None:
    with pytest.raises(ConfigError, match=r"^site_url : "):
        Settings(site_url=3)  # type: ignore[arg-type]


def test_datainclusion_error_head_is_french() -> None:
    assert str(DataInclusionError(["a", "b"])).startswith(
        "2 problèmes dans les fiches data·inclusion :")

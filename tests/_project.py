"""A project folder as a coordinator has one, for tests: ``data/surveys/``, ``data/tour.toml``,
``data/taxonomy.toml`` and ``safi-map.toml``, each written only when a test gives it.

Used through the ``make_project`` fixture (tests/conftest.py)::

    project = make_project(surveys={"etape.csv": SURVEY}, tour=TOUR)
    settings = project.settings()
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


class Project:
    """A project folder under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.data = root / "data"
        self.surveys = self.data / "surveys"
        self.surveys.mkdir(parents=True, exist_ok=True)

    @property
    def out(self) -> Path:
        """The default build folder."""
        return self.root / "build"

    def survey(self, name: str, text: str | bytes, *, encoding: str = "utf-8") -> Path:
        """Write the survey ``data/surveys/<name>`` (text in ``encoding``, or bytes as given)."""
        path = self.surveys / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return path

    def tour(self, text: str) -> Path:
        return self._write(self.data / "tour.toml", text)

    def taxonomy(self, text: str) -> Path:
        return self._write(self.data / "taxonomy.toml", text)

    def corrections(self, text: str) -> Path:
        return self._write(self.data / "corrections.toml", text)

    def config(self, text: str) -> Path:
        """``safi-map.toml``."""
        return self._write(self.root / "safi-map.toml", text)

    def settings(self, **overrides: Any) -> Any:
        """The project's settings, as ``safi-map`` run in its folder reads them."""
        from safi_map import load_settings

        settings = load_settings(base=self.root)
        return settings.with_(**overrides) if overrides else settings

    @staticmethod
    def _write(path: Path, text: str) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


def make(root: Path, *, surveys: Mapping[str, str | bytes] | None = None,
         encoding: str = "utf-8", tour: str | None = None, taxonomy: str | None = None,
         corrections: str | None = None, config: str | None = None) -> Project:
    """A project in ``root`` with the files given (the surveys folder always exists)."""
    project = Project(root)
    for name, text in (surveys or {}).items():
        project.survey(name, text, encoding=encoding)
    for writer, text in ((project.tour, tour), (project.taxonomy, taxonomy),
                         (project.corrections, corrections), (project.config, config)):
        if text is not None:
            writer(text)
    return project

"""safi-map: turn the surveys of the SAFI Tour into a living, filterable map of social-economy
actors in Provence-Alpes-Côte d'Azur.

The public API is listed in ``__all__``. Heavy modules (geopandas, folium) are imported on first
use, so ``safi-map --help`` stays quick.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, GeocodingError, ReferenceDataError, SafiMapError, SurveyError
from .report import Report, RowIssue, RowRef
from .settings import Settings, load_settings

try:
    __version__ = version("safi-map")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

# name -> module that defines it (imported lazily by __getattr__)
_LAZY = {
    "IngestResult": "pipeline",
    "ingest": "pipeline",
    "write_ingest_outputs": "pipeline",
    "geocode_file": "pipeline",
    "geocode_table": "pipeline",
    "geocode_offline": "geocode",
    "read_survey": "survey",
    "iter_survey_files": "survey",
    "match_header": "survey",
    "read_actors": "io",
    "write_actors": "io",
    "public_actors": "public",
    "merge_rows": "merge",
    "load_taxonomy": "taxonomy",
    "load_tour": "tour",
    "build_site": "site",
    "export_actors": "export",
    "poster_set": "export",
    "Selection": "selection",
    "select": "selection",
    "suggest_pairs": "synergies",
    "coverage": "diagnostic",
    "load_corrections": "corrections",
    "add_stop": "project",
}

# public names that differ from the name in their module (a submodule's name cannot be used:
# importing the submodule would rebind it on the package)
_RENAMED = {"export_actors": "export"}

__all__ = [
    "ConfigError",
    "GeocodingError",
    "IngestResult",
    "ReferenceDataError",
    "Report",
    "RowIssue",
    "RowRef",
    "SafiMapError",
    "Selection",
    "Settings",
    "SurveyError",
    "__version__",
    "add_stop",
    "build_site",
    "coverage",
    "export_actors",
    "geocode_file",
    "geocode_offline",
    "geocode_table",
    "ingest",
    "iter_survey_files",
    "load_corrections",
    "load_settings",
    "load_taxonomy",
    "load_tour",
    "match_header",
    "merge_rows",
    "poster_set",
    "public_actors",
    "read_actors",
    "read_survey",
    "select",
    "suggest_pairs",
    "write_actors",
    "write_ingest_outputs",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'safi_map' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .corrections import load_corrections
    from .diagnostic import coverage
    from .export import export as export_actors
    from .export import poster_set
    from .geocode import geocode_offline
    from .io import read_actors, write_actors
    from .merge import merge_rows
    from .pipeline import IngestResult, geocode_file, geocode_table, ingest, write_ingest_outputs
    from .project import add_stop
    from .public import public_actors
    from .selection import Selection, select
    from .site import build_site
    from .survey import iter_survey_files, match_header, read_survey
    from .synergies import suggest_pairs
    from .taxonomy import load_taxonomy
    from .tour import load_tour

"""safi-map: turn the surveys of the SAFI Tour into a living, filterable map of social-economy
actors in Provence-Alpes-Côte d'Azur.

``build()`` does what ``safi-map build`` does (ingest, outputs, site); the public API is listed
in ``__all__``. Heavy modules (geopandas, folium) are imported on first
use, so ``safi-map --help`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from safi_map.core.errors import (
    ConfigError,
    GeocodingError,
    ReferenceDataError,
    SafiMapError,
    SurveyError,
)
from safi_map.core.settings import Settings, load_settings
from safi_map.core.version import __version__
from safi_map.ingestion.report import Report, RowIssue, RowRef

# name -> module that defines it (imported lazily by __getattr__)
_LAZY = {
    "build": "app",
    "BuildResult": "app",
    "IngestOutputs": "ingestion.outputs",
    "IngestResult": "ingestion.pipeline",
    "ingest": "ingestion.pipeline",
    "write_ingest_outputs": "ingestion.outputs",
    "geocode_file": "ingestion.geocoding",
    "geocode_table": "ingestion.geocoding",
    "geocode_offline": "geo.offline",
    "read_survey": "ingestion.readers",
    "iter_survey_files": "ingestion.readers",
    "match_header": "ingestion.readers",
    "read_actors": "ingestion.io",
    "write_actors": "ingestion.io",
    "public_actors": "model.public",
    "merge_rows": "ingestion.merge",
    "load_taxonomy": "model.taxonomy",
    "load_tour": "model.tour",
    "build_site": "site.build",
    "export_actors": "export.api",
    "poster_set": "export.poster_set",
    "Selection": "analysis.selection",
    "select": "analysis.selection",
    "suggest_pairs": "analysis.synergies",
    "coverage": "analysis.diagnostic",
    "load_corrections": "ingestion.corrections",
    "add_stop": "ingestion.project",
}

# public names that differ from the name in their module (a submodule's name cannot be used:
# importing the submodule would rebind it on the package)
_RENAMED = {"export_actors": "export"}

__all__ = [
    "BuildResult",
    "ConfigError",
    "GeocodingError",
    "IngestOutputs",
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
    "build",
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
    value = getattr(importlib.import_module(f"{__name__}.{module}"), _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from safi_map.analysis.diagnostic import coverage
    from safi_map.analysis.selection import Selection, select
    from safi_map.analysis.synergies import suggest_pairs
    from safi_map.app import BuildResult, build
    from safi_map.export.api import export as export_actors
    from safi_map.export.poster_set import poster_set
    from safi_map.geo.offline import geocode_offline
    from safi_map.ingestion.corrections import load_corrections
    from safi_map.ingestion.geocoding import geocode_file, geocode_table
    from safi_map.ingestion.io import read_actors, write_actors
    from safi_map.ingestion.merge import merge_rows
    from safi_map.ingestion.outputs import IngestOutputs, write_ingest_outputs
    from safi_map.ingestion.pipeline import IngestResult, ingest
    from safi_map.ingestion.project import add_stop
    from safi_map.ingestion.readers import iter_survey_files, match_header, read_survey
    from safi_map.model.public import public_actors
    from safi_map.model.taxonomy import load_taxonomy
    from safi_map.model.tour import load_tour
    from safi_map.site.build import build_site

"""safi-map: turn the surveys of the SAFI Tour into a living, filterable map of social-economy
actors in Provence-Alpes-Côte d'Azur."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from .errors import ConfigError, GeocodingError, ReferenceDataError, SafiMapError, SurveyError
from .report import Report, RowIssue, RowRef
from .settings import Settings, load_settings

try:
    __version__ = version("safi-map")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "ConfigError",
    "GeocodingError",
    "ReferenceDataError",
    "Report",
    "RowIssue",
    "RowRef",
    "SafiMapError",
    "Settings",
    "SurveyError",
    "__version__",
    "load_settings",
]

"""Exceptions raised by safi-map.

They subclass builtins so callers can catch them generically; the CLI turns them into clean
messages and exit codes (1 for input errors, 2 for usage errors).
"""

from __future__ import annotations


class SafiMapError(Exception):
    """Base class of every error raised on purpose by safi-map."""


class ConfigError(SafiMapError, ValueError):
    """A configuration file (safi-map.toml, taxonomy.toml, tour.toml) is invalid."""


class SurveyError(SafiMapError, ValueError):
    """A survey file cannot be read at all (not a row-level problem: those go to the report)."""


class ReferenceDataError(SafiMapError, RuntimeError):
    """The reference data shipped with the package is missing or corrupt."""


class GeocodingError(SafiMapError, RuntimeError):
    """An online geocoding provider failed in a way that cannot be recovered from."""


class EmptySelectionError(SafiMapError):
    """An export selects no actor: nothing is written (the CLI exits with status 1)."""

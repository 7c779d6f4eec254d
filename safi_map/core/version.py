"""The installed version of safi-map, for every layer that records it (caches, outputs, the
User-Agent of online requests) without importing the package root."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("safi-map")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

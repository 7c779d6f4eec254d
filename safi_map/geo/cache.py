"""Persistent cache of online geocoding answers, in one SQLite file.

Why a cache: a survey is re-ingested after every tour stop, and most of its addresses were already
looked up; asking the service again costs time (rate limits) and makes results drift when the
service updates. The cache keeps the provider's answer, *including "no result"*, keyed by
``(provider, normalized query)``, so a rebuild is fast, offline-capable and repeatable.
Transient failures (timeouts, HTTP 429/5xx, malformed bodies) are never stored: they say nothing
about the address.

The stored value is the provider's raw JSON payload (BAN FeatureCollection, Nominatim list),
re-serialized with sorted keys so the file content depends only on what was asked and answered.
The acceptance rules (minimum score, commune check) are applied when reading, so changing
``min_score`` never needs a refresh.

Several processes may open the same file: SQLite serializes writers, each ``put`` is its own
committed transaction and waits up to ``timeout`` seconds for a lock. The file is in WAL mode
(``-wal``/``-shm`` companions appear next to it while it is open).
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

from safi_map.core.i18n import _

__all__ = ["GeoCache", "normalize_query"]

_SCHEMA_VERSION = 1
_SPACES = re.compile(r"\s+")


def normalize_query(text: str) -> str:
    """The cache key of a query: whitespace runs collapsed, trimmed, case-folded.

    Accents and punctuation are kept: both BAN and Nominatim read them, so folding them could
    merge queries the services answer differently.
    """
    return _SPACES.sub(" ", text).strip().casefold()


class GeoCache:
    """A ``(provider, query) -> JSON payload`` store in SQLite.

    Parameters
    ----------
    path
        The SQLite file; its parent folder is created if needed.
    timeout
        Seconds to wait for another process' write lock before giving up.
    """

    def __init__(self, path: str | Path, *, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, timeout=timeout)
        # WAL with synchronous=NORMAL: a commit costs no fsync (one put per answer would
        # otherwise cost ~20 ms each); a power cut may lose the last answers, never corrupt
        # the file, and a lost answer is only asked again.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS answers ("
                " provider TEXT NOT NULL,"
                " query TEXT NOT NULL,"
                " payload TEXT NOT NULL,"
                " PRIMARY KEY (provider, query))"
            )
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                self._conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")

    def get(self, provider: str, query: str) -> Any | None:
        """The stored payload for ``query`` (normalized here), or None if never stored."""
        row = self._conn.execute(
            "SELECT payload FROM answers WHERE provider = ? AND query = ?",
            (provider, normalize_query(query)),
        ).fetchone()
        if row is None:
            return None
        return json.loads(row[0])

    def put(self, provider: str, query: str, payload: Any) -> None:
        """Store (or replace) the payload answered for ``query``; committed at once.

        ``payload`` must be JSON-serializable and not None (None means "absent" in ``get``).
        """
        if payload is None:
            raise ValueError(_("cannot cache None: store the provider's empty answer instead"))
        text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO answers (provider, query, payload) VALUES (?, ?, ?)",
                (provider, normalize_query(query), text),
            )

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def close(self) -> None:
        """Close the connection (every ``put`` is already committed)."""
        self._conn.close()

    def __enter__(self) -> GeoCache:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

"""The coordinator's working files in the build folder: the actors (gpkg, geojson, csv), the
ingest report (json, and ``rapport.html`` to read), and ``changes.json``.

They are written from an :class:`~safi_map.ingestion.result.IngestResult` without changing it,
all under temporary names, then put in place together (:meth:`IngestOutputs.commit`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from safi_map.core.atomic import StagedFiles
from safi_map.core.outdir import claim_outputs
from safi_map.ingestion.result import IngestResult

__all__ = ["INGEST_OUTPUTS", "IngestOutputs", "write_ingest_outputs"]

INGEST_OUTPUTS = ("actors.gpkg", "actors.csv", "ingest-report.json", "changes.json",
                  "rapport.html", "actors.geojson")
"""What :func:`write_ingest_outputs` writes in the build folder, in the order they are put in
place: ``actors.geojson``, the base of the next change report, last."""


@dataclass
class IngestOutputs:
    """The files :func:`write_ingest_outputs` wrote in ``folder``.

    Until :meth:`commit`, a call with ``commit=False`` leaves them under temporary names:
    ``safi-map build`` puts them in place once the site is, because they are the base the next
    build compares itself with (a build stopped before its site is written leaves the previous
    base, and the next build reports the same changes again).
    """

    folder: Path
    _staged: StagedFiles | None = field(default=None, repr=False, compare=False)

    @property
    def actors_gpkg(self) -> Path:
        return self.folder / "actors.gpkg"

    @property
    def actors_geojson(self) -> Path:
        return self.folder / "actors.geojson"

    @property
    def actors_csv(self) -> Path:
        return self.folder / "actors.csv"

    @property
    def report_json(self) -> Path:
        return self.folder / "ingest-report.json"

    @property
    def changes_json(self) -> Path:
        return self.folder / "changes.json"

    @property
    def report_html(self) -> Path:
        """``rapport.html``: the report for the coordinator."""
        return self.folder / "rapport.html"

    @property
    def actors_files(self) -> list[Path]:
        """gpkg, geojson, csv: the actors' files, in the order the CLI names them."""
        return [self.actors_gpkg, self.actors_geojson, self.actors_csv]

    @property
    def paths(self) -> list[Path]:
        """Every file: gpkg, geojson, csv, report, changes, rapport.html."""
        return [*self.actors_files, self.report_json, self.changes_json, self.report_html]

    @property
    def pending(self) -> bool:
        """True while the files wait under temporary names (``commit=False``)."""
        return self._staged is not None

    def commit(self) -> list[Path]:
        """Put in place the files written with ``commit=False`` (nothing to do otherwise)."""
        staged, self._staged = self._staged, None
        return staged.commit() if staged is not None else []

    def discard(self) -> None:
        """Remove the files written with ``commit=False``: the previous ones stay the base."""
        staged, self._staged = self._staged, None
        if staged is not None:
            staged.discard()


def write_ingest_outputs(result: IngestResult, out_dir: str | Path, *,
                         commit: bool = True) -> IngestOutputs:
    """Write ``actors.gpkg``, ``actors.geojson``, ``actors.csv``, ``ingest-report.json``,
    ``changes.json`` and ``rapport.html`` (the report for the coordinator,
    :mod:`safi_map.ingestion.report_page`) into ``out_dir``; ``result`` is not changed.

    The actors are ``result.actors`` (with those kept from the previous build) and the changes
    ``result.changes`` (since the previous build in ``result.settings.out``): see
    :func:`safi_map.ingestion.pipeline.ingest`. These are the coordinator's working files:
    complete, contacts included (the public site and exports go through
    :func:`safi_map.model.public.public_actors`).

    Every file is written under a temporary name, then renamed into place (a run killed while
    writing leaves the previous files whole). With ``commit=False`` they stay under their
    temporary names until :meth:`IngestOutputs.commit` (``safi_map.build`` does that once the
    site is in place) or :meth:`IngestOutputs.discard`.
    """
    from safi_map.ingestion.changes import (
        Previous,
        changes_json,
        compare_builds,
        rejection_codes,
    )
    from safi_map.ingestion.io import write_actors
    from safi_map.ingestion.report_page import render_report

    out = Path(out_dir)
    claim_outputs(out, INGEST_OUTPUTS)
    actors, changes = result.actors, result.changes
    if changes is None:  # a result made by hand: a first build
        changes, _same = compare_builds(Previous(None, {}, []), actors, result.report.rejected,
                                        codes=rejection_codes(result.report))
    texts = {
        "ingest-report.json": json.dumps(result.report.to_dict(), ensure_ascii=False, indent=2,
                                         sort_keys=True) + "\n",
        "changes.json": changes_json(changes),
        "rapport.html": render_report(result.report, changes=changes, names=dict(zip(
            actors["actor_id"].tolist(), map(str, actors["name"].tolist()), strict=True))),
    }
    staged = StagedFiles()
    try:
        for name in INGEST_OUTPUTS:
            tmp = staged.path(out / name)
            if name in texts:
                tmp.write_text(texts[name], encoding="utf-8")
            else:
                write_actors(actors, tmp, fmt=name.rsplit(".", 1)[1])
    except BaseException:
        staged.discard()
        raise
    outputs = IngestOutputs(out, staged)
    if commit:
        outputs.commit()
    return outputs

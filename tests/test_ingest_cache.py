"""The per-file ingest cache (``partcache.PartCache``): keyed by what changes a file's rows."""

from __future__ import annotations

from pathlib import Path

from _geoserver import GeoServer, online_project

from safi_map import Report, ingest, load_settings
from safi_map.ingestion.partcache import PartCache
from safi_map.ingestion.result import FilePart, empty_rows
from safi_map.ingestion.stop_binding import StopQuestions
from safi_map.model.tour import Tour

SURVEY = (
    "Nom de la structure;Adresse;CP;Ville;Accord de publication\n"
    "Atelier du Port;8 Boulevard de Strasbourg;83000;Toulon;oui\n"
    "Sans Adresse;;04000;Digne-les-Bains;oui\n"
)


def project(tmp_path: Path, ban_url: str) -> Path:
    return online_project(tmp_path, ban_url, SURVEY)


def test_online_cache_follows_min_score_provider_url_and_refresh(tmp_path):
    with GeoServer() as server:
        settings = load_settings(base=project(tmp_path, server.url("ban")))
        first = ingest(settings=settings, online=True)
        assert first.files_reused == 0
        asked = len(server.requests)
        assert asked == 1
        assert ingest(settings=settings, online=True).files_reused == 1
        # a stricter score threshold can refuse the cached answers: the file is redone
        stricter = settings.with_(min_score=0.99)
        assert ingest(settings=stricter, online=True).files_reused == 0
        assert ingest(settings=stricter, online=True).files_reused == 1
        # another provider URL (a self-hosted addok) may answer differently
        other = stricter.with_(ban_url=server.url("ban") + "/")
        assert ingest(settings=other, online=True).files_reused == 0
        # --refresh asks the provider again, so the file's cached rows are not reused
        before = len(server.requests)
        refreshed = ingest(settings=other, online=True, refresh=True)
        assert refreshed.files_reused == 0
        assert len(server.requests) > before
    # offline, the online settings do not matter
    offline = load_settings(base=tmp_path)
    assert ingest(settings=offline, online=False).files_reused == 0
    assert ingest(settings=offline.with_(min_score=0.99), online=False).files_reused == 1


def test_each_file_is_hashed_once(tmp_path, monkeypatch):
    settings = load_settings(base=project(tmp_path, "http://127.0.0.1:9"))
    reads: list[Path] = []
    real = Path.read_bytes

    def counting(self: Path) -> bytes:
        if self.suffix == ".csv":
            reads.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    survey = settings.surveys[0] / "etape.csv"
    cache = PartCache(settings, False, tour=Tour())
    assert cache.get(survey) is None  # as ingest does: look up, read the file, then store
    cache.put(survey, FilePart(empty_rows(), Report(), StopQuestions((), ())))
    assert reads == [survey]
    assert PartCache(settings, False, tour=Tour()).get(survey) is not None

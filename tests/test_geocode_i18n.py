"""The reasons of the offline and online geocoders are in the language of the run (French by
default for the coordinator): every part of ``geocode_reason`` goes through the catalogue."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pandas as pd
import pytest
from _geoserver import GeoServer, Reply

from safi_map.core import i18n
from safi_map.core.settings import Settings
from safi_map.geo import gazetteer
from safi_map.geo.offline import geocode_offline
from safi_map.geo.online import RetryPolicy, geocode_online

NAN = float("nan")


@pytest.fixture(autouse=True)
def french() -> Iterator[None]:
    before = i18n.current_language()
    i18n.set_language("fr")
    yield
    i18n.set_language(before)


def reason(postcode: str = "", commune: str = "", lat: float = NAN, lon: float = NAN) -> str:
    frame = pd.DataFrame({"postcode": [postcode], "commune_input": [commune],
                          "latitude": [lat], "longitude": [lon]})
    return str(geocode_offline(frame).iloc[0]["geocode_reason"])


@pytest.mark.parametrize(("postcode", "commune", "expected"), [
    ("83990", "", "localisé par le code postal 83990 seul"),
    ("83990", "Quartier de la Ponche", "nom de commune 'Quartier de la Ponche' non reconnu ; "
                                       "localisé par le code postal 83990 seul"),
    ("83136", "", "le code postal 83136 est partagé par"),
    ("", "La Garde", "3 communes portent le nom de La Garde ; la plus peuplée de PACA a été choisie"),
    ("13008", "Marseille", "arrondissement donné par le code postal 13008"),
    ("83000", "Toulonn", "est proche de 'Toulon'"),
    ("6000", "Nice", "code postal non valide '6000' ignoré ; "),
    ("", "", "ni code postal ni commune donnés"),
    ("13999", "", "code postal 13999 inconnu"),
    ("", "Zzyzx Qwerty", "commune 'Zzyzx Qwerty' introuvable"),
])
def test_offline_reasons_are_french(postcode: str, commune: str, expected: str) -> None:
    assert expected in reason(postcode, commune)


def test_provided_coordinates_reason_is_french() -> None:
    row = gazetteer.communes().set_index("code_insee").loc["84007"]
    text = reason("", "", float(row["latitude"]), float(row["longitude"]))
    assert text == "coordonnées fournies ; commune du contour qui contient le point"
    assert reason("83130", "La Garde", 43.13, 6.02).startswith("coordonnées fournies ; commune : ")


def test_no_english_left_in_offline_reasons() -> None:
    for args in (("83990", "Quartier de la Ponche"), ("", "La Garde"), ("83000", "Toulonn"),
                 ("13999", "Zzyzx")):
        text = reason(*args)
        assert not any(w in text for w in ("postcode", "commune name", "chose", "not found")), text


def test_online_reasons_are_french(tmp_path) -> None:
    frame = pd.DataFrame({"address": ["8 Boulevard de Strasbourg", "", "Impasse Introuvable"],
                          "postcode": ["83000"] * 3, "commune_input": ["Toulon"] * 3},
                         index=["a", "b", "c"])
    with GeoServer() as server:
        server.script("ban", "8 Boulevard de Strasbourg 83000 Toulon",
                      Reply(status=500, body={"code": 500}))
        settings = Settings(provider="ban", ban_url=server.url("ban"),
                            nominatim_url=server.url("nominatim"), user_agent="safi-map-tests",
                            timeout=0.2, rate=200.0, min_score=0.5,
                            cache=tmp_path / "geocode.sqlite")
        out, _stats = geocode_online(
            frame, settings=settings,
            expected_insee=pd.Series(["83137"] * 3, index=frame.index),
            policy=RetryPolicy(tries=2, backoff=0.01, max_wait=0.05, unreachable_after=5))
    assert out.loc["a", "geocode_reason"] == "en ligne : erreur du serveur (HTTP 5xx) après 2 essais"
    assert math.isnan(out.loc["a", "latitude"])
    assert out.loc["b", "geocode_reason"] == "en ligne : pas d'adresse"
    assert out.loc["c", "geocode_reason"] == "en ligne : ban n'a trouvé aucun résultat"

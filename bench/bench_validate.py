"""Benchmark of row validation: a 50,000-row survey-like table through ``validate_table``.

Usage::

    python bench/bench_validate.py [--rows 50000] [--distinct 5000] [--seed 1] [--repeat 3]

Prints the time to validate the table once the taxonomy and tour are loaded (target: a few
seconds at most on a 2-core machine). Cells are drawn from messy forms of the values found in
real exports (postcodes without their leading zero, phones in every format, themes as free
text, French decimal commas, consent as oui/x/vide...). ``--distinct`` bounds how many distinct
actors the rows repeat: survey columns repeat a lot, which validation exploits by normalizing
each distinct value once; ``--distinct 0`` makes every name, address, e-mail and phone unique,
the worst case.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from dataclasses import dataclass, field

import pandas as pd

_COMMUNES = [("83000", "Toulon"), ("6000", "Nice"), ("13008", "MARSEILLE"), ("84000", "Avignon"),
             ("04000", "Digne-les-Bains"), ("05000", "Gap"), ("", "83400 Hyères"),
             ("13100", "Aix en Provence CEDEX 1"), ("83 500", "La Seyne-sur-Mer"), ("", "")]
_THEMES = ["Insertion, Sport et loisirs", "IAE", "culture; éducation populaire", "santé",
           "Économie circulaire / réemploi", "agriculture urbaine", "numérique", "blabla",
           "Solidarité", "environnement et climat", ""]
_LEGAL = ["Asso loi 1901", "SCIC SAS", "SCOP ARL", "Association", "CCAS", "mutuelle", "", "?"]
_CONSENT = ["oui", "Oui", "x", "", "non", "peut-être"]


def _phone(rng: random.Random) -> str:
    digits = f"0{rng.choice('123456789')}" + "".join(rng.choice("0123456789") for _ in range(8))
    return rng.choice([
        " ".join(digits[i:i + 2] for i in range(0, 10, 2)), digits.replace("0", "+33 ", 1),
        ".".join(digits[i:i + 2] for i in range(0, 10, 2)), digits[1:], "", "12",
    ])


def _row(i: int, rng: random.Random) -> dict[str, str]:
    postcode, commune = rng.choice(_COMMUNES)
    with_point = rng.random() < 0.2
    lat, lon = f"{43 + rng.random():.5f}".replace(".", ","), f"{5 + rng.random() * 2:.5f}"
    if with_point and rng.random() < 0.1:
        lat, lon = lon, lat
    return {
        "name": rng.choice([f"Association {i}", f"LES JARDINS {i}", f'"Café {i}"'] * 6 + ["", "-"]),
        "legal_form": rng.choice(_LEGAL),
        "themes": rng.choice(_THEMES),
        "description": f"Activités   de la structure {i}",
        "address": f"{i % 200} rue de la République",
        "postcode": postcode,
        "commune": commune,
        "latitude": lat if with_point else "",
        "longitude": lon if with_point else "",
        "website": rng.choice([f"www.site{i}.FR", f"https://site{i}.org", "", "non",
                               "javascript:alert(1)"]),
        "email": rng.choice([f"contact@Site{i}.FR", f"mailto:a{i}@b.fr", "", "pas de mail"]),
        "phone": _phone(rng),
        "needs": rng.choice(["un local et des bénévoles", "financement", "", "Visibilité"]),
        "offers": rng.choice(["matériel", "compétences; formation", ""]),
        "stop": rng.choice(["toulon", "Nice 05/10/2015", "", "Ailleurs"]),
        "contact_consent": rng.choice(_CONSENT),
        "siret": rng.choice(["", "732 829 320 00074", "123"]),
        "survey_date": rng.choice(["28/09/2015", "2015-10-05", ""]),
    }


@dataclass
class _Table:
    frame: pd.DataFrame
    extras: pd.DataFrame
    columns: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)
    file: str = "bench.csv"
    path: None = None


def make_table(rows: int, distinct: int, seed: int) -> _Table:
    rng = random.Random(seed)
    pool = distinct if distinct > 0 else rows
    base = [_row(i, rng) for i in range(min(pool, rows))]
    data = [base[i % len(base)] if distinct > 0 else base[i] for i in range(rows)]
    frame = pd.DataFrame(data)
    frame["_file"] = "bench.csv"
    frame["_sheet"] = ""
    frame["_row"] = [str(i + 2) for i in range(rows)]
    extras = pd.DataFrame({"Remarque": ["" if i % 3 else f"note {i}" for i in range(rows)]})
    columns = {c: c.replace("_", " ").title() for c in frame.columns if not c.startswith("_")}
    return _Table(frame, extras, columns)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--distinct", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from safi_map.ingestion.report import Report
    from safi_map.ingestion.validate import validate_table
    from safi_map.model.taxonomy import load_taxonomy
    from safi_map.model.tour import Stop, Tour

    taxonomy = load_taxonomy()
    tour = Tour((Stop("toulon", "Toulon", "", dt.date(2015, 9, 28)),
                 Stop("nice", "Nice", "", dt.date(2015, 10, 5))))
    table = make_table(args.rows, args.distinct, args.seed)
    validate_table(make_table(100, 0, 0), taxonomy=taxonomy, tour=tour, report=Report())  # warm
    times = []
    for _ in range(args.repeat):
        report = Report()
        start = time.perf_counter()
        records = validate_table(table, taxonomy=taxonomy, tour=tour, report=report)
        times.append(time.perf_counter() - start)
    print(f"validate_table: {args.rows} rows ({args.distinct or 'all'} distinct actors): "
          f"best {min(times):.2f} s of {args.repeat}; {len(records)} kept, "
          f"{len(report.rejected)} rejected, {len(report.issues)} issues")


if __name__ == "__main__":
    main()

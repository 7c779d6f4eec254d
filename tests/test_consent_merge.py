"""Consent is decided per contact value across a merge, end to end (issue #12, point 1).

The attack: a row says "non" with an email, a phone and a street address; a later row of the same
actor says "oui" with empty contact cells. The merge used to keep the contacts (latest non-empty
value) and the consent (latest row), so the contacts given with "non" were published on the site,
in its downloads and in every export. A value is public only if the row that gave it consented,
or a later row consented and gave that same value.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from safi_map.cli.main import cli
from safi_map.ingestion.merge import merge_rows

pytestmark = pytest.mark.slow  # whole builds; the README's command runs them

# 1. the issue's case: "non" with contacts, then "oui" with empty contact cells (same commune)
# 2. the same through a SIRET, the later row not placed: the street address and the coordinates
#    typed with "non" must not come back either (the point goes back to the commune's)
# 3. "non", then "oui" giving the same email again: published (the later row consented to it)
# 4. an ordinary consenting actor: published
SURVEY = """\
Nom;Adresse;Code postal;Commune;Courriel;Téléphone;SIRET;Latitude;Longitude;Date;Accord de publication
Les Jardins Secrets;12 rue des Lilas;05000;Gap;secret1@exemple.fr;04 92 00 00 01;;;;2026-01-10;non
Les Jardins Secrets;;05000;Gap;;;;;;2026-03-10;oui
Atelier Caché;7 impasse des Merles;05000;Gap;secret2@exemple.fr;04 92 00 00 02;73282932000074;44.5612;6.0833;2026-01-10;non
Atelier Caché;;;;;;73282932000074;;;2026-03-10;oui
Le Relais Confirmé;;05000;Gap;redit@exemple.fr;;;;;2026-01-10;non
Le Relais Confirmé;;05000;Gap;redit@exemple.fr;;;;;2026-03-10;oui
La Porte Ouverte;3 place Centrale;05000;Gap;ouvert@exemple.fr;04 92 00 00 04;;;;2026-01-10;oui
"""
SECRETS = ("secret1@exemple.fr", "secret2@exemple.fr", "Lilas", "Merles", "44.5612", "6.0833")
SECRET_PHONES = ("492000001", "492000002")  # digits of the phones, however they are formatted
PUBLIC = ("redit@exemple.fr", "ouvert@exemple.fr", "place Centrale")


def run(args: list[str], cwd: Path):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        os.chdir(old)


def leaks(path: Path) -> list[str]:
    text = path.read_bytes().decode("utf-8", errors="replace")
    digits = re.sub(r"[\s.\-()+]", "", text)
    return [s for s in SECRETS if s in text] + [p for p in SECRET_PHONES if p in digits]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("consent")
    (root / "data" / "surveys").mkdir(parents=True)
    (root / "data" / "surveys" / "etape.csv").write_text(SURVEY, encoding="utf-8")
    result = run(["build"], root)
    assert result.exit_code == 0, result.output
    for fmt in ("csv", "geojson", "gpkg", "html", "datainclusion"):
        # (datainclusion writes a CSV beside its JSON: another name keeps acteurs.csv)
        stem = "structures" if fmt == "datainclusion" else "acteurs"
        out = root / "exports" / f"{stem}.{fmt}"
        result = run(["export", "--format", fmt, "-o", str(out)], root)
        assert result.exit_code == 0, result.output
    result = run(["export", "--format", "csv", "--excel", "-o", str(root / "exports" / "x.csv")],
                 root)
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.slow
def test_contacts_given_without_consent_are_published_nowhere(built):
    site = built / "build" / "site"
    checked = [p for p in sorted(site.rglob("*")) if p.is_file()]
    checked += [p for p in sorted((built / "exports").rglob("*")) if p.is_file()]
    assert len(checked) > 10
    assert any(p.name == "acteurs.csv" for p in (site / "donnees").iterdir())
    found = {str(p.relative_to(built)): leaks(p) for p in checked}
    assert {k: v for k, v in found.items() if v} == {}


def test_consented_values_are_still_published(built):
    text = "".join(p.read_text(encoding="utf-8", errors="replace")
                   for p in (built / "build" / "site" / "donnees").glob("*.csv"))
    for value in PUBLIC:
        assert value in text
    export = pd.read_csv(built / "exports" / "acteurs.csv", dtype=str, keep_default_na=False)
    by_name = export.set_index("name")
    assert by_name.loc["Le Relais Confirmé", "email"] == "redit@exemple.fr"
    assert by_name.loc["La Porte Ouverte", "email"] == "ouvert@exemple.fr"
    # the actors who consented later keep their consent, with nothing to show
    assert by_name.loc["Les Jardins Secrets", "contact_consent"] == "True"
    assert by_name.loc["Les Jardins Secrets", "email"] == ""
    # the coordinates typed with "non" are replaced by the commune's point
    atelier = by_name.loc["Atelier Caché"]
    assert atelier["geocode_precision"] == "municipality"
    assert (atelier["address"], atelier["phone"]) == ("", "")


def test_the_report_says_which_values_were_withheld(built):
    report = json.loads((built / "build" / "ingest-report.json").read_text(encoding="utf-8"))
    withheld = sorted((i["row"], i["column"]) for i in report["issues"]
                      if i["code"] == "merge.contact_without_consent")
    assert withheld == [(2, "email"), (2, "phone"), (4, "address"), (4, "email"),
                        (4, "latitude"), (4, "phone")]
    # the report names the row and the column, never the private value
    assert not any(leaks_in(i) for i in report["issues"]
                   if i["code"] == "merge.contact_without_consent")


def leaks_in(issue: dict) -> bool:
    text = json.dumps(issue, ensure_ascii=False)
    return any(s in text for s in SECRETS)


def rows(*specs: dict) -> pd.DataFrame:
    base = {"name": "Asso", "source": "", "insee_code": "05061", "postcode": "05000",
            "commune": "Gap", "email": "", "phone": "", "address": "", "latitude": 44.56,
            "longitude": 6.08, "geocode_precision": "municipality",
            "geocode_source": "gazetteer", "contact_consent": False, "_file": "a.csv"}
    return pd.DataFrame([{**base, "source": f"a.csv:{i + 2}", "_row": i + 2,
                          "survey_date": f"2026-0{i + 1}-01", **spec}
                         for i, spec in enumerate(specs)])


@pytest.mark.parametrize(("specs", "email", "consent"), [
    # the attack
    (({"email": "a@x.fr"}, {"contact_consent": True}), "", True),
    # a later consenting row gives the same value again: public
    (({"email": "a@x.fr"}, {"email": "a@x.fr", "contact_consent": True}), "a@x.fr", True),
    # consent withdrawn: the actor's latest answer still wins (kept privately, blanked by the gate)
    (({"email": "a@x.fr", "contact_consent": True}, {}), "a@x.fr", False),
    # the latest value was given without consent: the older consented one is not shown instead
    (({"email": "old@x.fr", "contact_consent": True}, {"email": "new@x.fr"},
      {"contact_consent": True}), "", True),
    # the latest row that gave the value did not consent, an earlier one did: not public
    (({"email": "a@x.fr", "contact_consent": True}, {"email": "a@x.fr"},
      {"contact_consent": True}), "", True),
    # "non" then "oui" with the value, then "oui" without it: public
    (({"email": "a@x.fr"}, {"email": "a@x.fr", "contact_consent": True},
      {"contact_consent": True}), "a@x.fr", True),
])
def test_consent_is_decided_per_value(specs, email, consent):
    actor = merge_rows(rows(*specs)).actors.iloc[0]
    assert (actor["email"], bool(actor["contact_consent"])) == (email, consent)


def test_a_street_point_given_without_consent_goes_back_to_the_commune():
    merged = merge_rows(rows(
        {"address": "1 rue X", "geocode_precision": "housenumber", "geocode_source": "ban",
         "latitude": 44.5, "longitude": 6.0},
        {"insee_code": "", "postcode": "", "commune": "", "geocode_precision": "none",
         "latitude": float("nan"), "longitude": float("nan"), "contact_consent": True},
    ).assign(siret="73282932000074")).actors.iloc[0]
    assert merged["address"] == ""
    assert merged["geocode_precision"] == "municipality"
    assert merged["insee_code"] == "05061"
    assert (round(merged["latitude"], 1), round(merged["longitude"], 1)) != (44.5, 6.0)

"""Accuracy of the offline geocoder on messy spellings of every PACA commune.

The variants imitate real survey exports: Windows-style upper case without accents, ``St``/``Ste``
abbreviations, a postcode that lost its leading zero (repaired by the caller with
:func:`safi_map.core.normalize.repair_postcode`), ``CEDEX``, ``Marseille`` with an arrondissement
postcode, hyphens typed as spaces, articles moved to the end, one-letter typos. Each variant
carries the INSEE code it must resolve to. Run with ``-s`` to see the accuracy per kind.
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from safi_map.core.text import fold
from safi_map.geo import gazetteer
from safi_map.geo.offline import geocode_offline

TARGET = 0.995
_ARTICLE_PREFIXES = ("Les ", "Le ", "La ", "L'")


def _typo(name: str, rng: random.Random) -> str:
    positions = [i for i, c in enumerate(name) if c.isalpha()]
    i = rng.choice(positions[1:] or positions)
    letters = [c for c in "abcdefghijklmnopqrstuvwxyz" if c != fold(name[i])]
    return name[:i] + rng.choice(letters) + name[i + 1 :]


def _article_last(name: str) -> str | None:
    for prefix in _ARTICLE_PREFIXES:
        if name.startswith(prefix):
            return f"{name[len(prefix):]} ({prefix.strip()})"
    return None


def build_variants() -> pd.DataFrame:
    """One row per (commune, variant kind) with the expected INSEE code."""
    from safi_map.core.normalize import repair_postcode

    rng = random.Random(20260101)
    communes = gazetteer.communes()
    paca = communes[communes["departement"].isin(gazetteer.PACA_DEPARTMENTS)]
    rows: list[tuple[str, str, str, str]] = []  # kind, postcode, commune_input, expected

    def add(kind: str, postcode: str, text: str, expected: str) -> None:
        rows.append((kind, postcode, text, expected))

    for c in paca.itertuples(index=False):
        if c.type == "ARM":
            for postcode in c.codes_postaux.split("|"):
                add("marseille_arrondissement_postcode", postcode, "Marseille", c.code_insee)
                add("marseille_arrondissement_postcode", postcode, "MARSEILLE", c.code_insee)
            continue
        if c.code_insee in gazetteer.ARRONDISSEMENT_CITIES:
            continue  # Marseille is reached through its arrondissements
        postcodes = c.codes_postaux.split("|")
        name = c.nom
        for postcode in postcodes:
            add("clean", postcode, name, c.code_insee)
        postcode = rng.choice(postcodes)
        add("upper_no_accents", postcode, fold(name).upper(), c.code_insee)
        add("hyphens_as_spaces", postcode, name.replace("-", " "), c.code_insee)
        add("cedex", postcode, f"{fold(name).upper()} CEDEX {rng.randint(1, 9)}", c.code_insee)
        add("typo_one_letter", postcode, _typo(name, rng), c.code_insee)
        if "Saint" in name:
            abbreviated = name.replace("Sainte-", "Ste-").replace("Saint-", "St-")
            add("st_ste_abbreviation", postcode, abbreviated, c.code_insee)
            add("st_ste_abbreviation", postcode, fold(abbreviated).upper().replace("-", " "),
                c.code_insee)
        moved = _article_last(name)
        if moved:
            add("article_at_end", postcode, moved, c.code_insee)
        if postcode.startswith("0"):
            repaired, _notes = repair_postcode(str(int(postcode)))
            add("leading_zero_repaired", repaired, fold(name).upper(), c.code_insee)
        add("name_only", "", name, c.code_insee)
    return pd.DataFrame(rows, columns=["kind", "postcode", "commune_input", "expected"])


@pytest.fixture(scope="module")
def geocoded() -> pd.DataFrame:
    variants = build_variants()
    variants.index = pd.RangeIndex(1000, 1000 + len(variants))  # a non-default index
    result = geocode_offline(variants[["postcode", "commune_input"]])
    assert len(result) == len(variants)
    assert result.index.equals(variants.index)
    return variants.join(result)


def _accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    hit = frame["insee_code"] == frame["expected"]
    return (
        frame.assign(hit=hit)
        .groupby("kind")["hit"]
        .agg(rows="size", correct="sum", accuracy="mean")
        .sort_index()
    )


def test_no_row_lost(geocoded: pd.DataFrame) -> None:
    assert geocoded["insee_code"].notna().all()
    assert (geocoded["geocode_precision"] != "none").all(), geocoded[
        geocoded["geocode_precision"] == "none"
    ][["postcode", "commune_input", "geocode_reason"]]


def test_every_variant_kind_is_present(geocoded: pd.DataFrame) -> None:
    kinds = set(geocoded["kind"])
    assert kinds == {
        "clean", "upper_no_accents", "hyphens_as_spaces", "cedex", "typo_one_letter",
        "st_ste_abbreviation", "article_at_end", "leading_zero_repaired",
        "marseille_arrondissement_postcode", "name_only",
    }
    assert (geocoded["kind"] == "clean").sum() >= 946 - 1


def test_accuracy_with_postcode(geocoded: pd.DataFrame) -> None:
    with_postcode = geocoded[geocoded["kind"] != "name_only"]
    table = _accuracy(with_postcode)
    print("\naccuracy per variant kind (postcode and commune given):")
    print(table.to_string())
    overall = (with_postcode["insee_code"] == with_postcode["expected"]).mean()
    print(f"overall: {overall:.4f} on {len(with_postcode)} rows")
    misses = with_postcode[with_postcode["insee_code"] != with_postcode["expected"]]
    print(misses[["kind", "postcode", "commune_input", "expected", "insee_code"]].to_string())
    assert overall >= TARGET
    # Every kind but typos must be exact: they only differ from the official name by spelling
    # rules the key normalizes away.
    exact_kinds = table.drop(index="typo_one_letter")
    assert (exact_kinds["accuracy"] == 1.0).all(), exact_kinds
    assert table.at["typo_one_letter", "accuracy"] >= 0.97


def test_exact_kinds_score_high(geocoded: pd.DataFrame) -> None:
    exact = geocoded[~geocoded["kind"].isin(["typo_one_letter", "name_only"])]
    assert (exact["geocode_score"] >= 0.95).all()
    typos = geocoded[geocoded["kind"] == "typo_one_letter"]
    assert (typos.loc[typos["insee_code"] == typos["expected"], "geocode_score"] < 1.0).mean() > 0.9


def test_accuracy_name_only(geocoded: pd.DataFrame) -> None:
    """Without postcode, homonyms inside PACA (La Garde 04/83...) cannot all be right."""
    names = geocoded[geocoded["kind"] == "name_only"]
    accuracy = (names["insee_code"] == names["expected"]).mean()
    print(f"\nname only: {accuracy:.4f} on {len(names)} rows")
    wrong = names[names["insee_code"] != names["expected"]]
    print(wrong[["commune_input", "expected", "insee_code", "geocode_reason"]].to_string())
    # Every miss must be a homonym flagged as ambiguous by a lower score.
    assert (wrong["geocode_score"] < 1.0).all()
    assert accuracy >= 0.98

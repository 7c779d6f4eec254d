"""Merge: grouping rows into actors, most-recent-wins, stable ids."""

from __future__ import annotations

import pandas as pd
import pytest

from safi_map.ingestion.merge import actor_id_for, merge_rows, name_key
from safi_map.ingestion.report import Report

STOP_DATES = {"toulon": "2015-09-28", "nice": "2015-10-15", "gap": "2015-11-05"}


def row(name, insee, *, src, stops=("toulon",), siret="", lat=43.12, lon=5.93, precision="municipality",
        **fields):
    base = {
        "name": name, "legal_form": "association", "themes": ["insertion"], "description": "",
        "address": "", "postcode": "", "commune_input": "", "commune": f"C{insee}",
        "insee_code": insee, "department": insee[:2], "epci": "", "epci_name": "",
        "latitude": lat, "longitude": lon, "geocode_precision": precision,
        "geocode_source": "gazetteer", "geocode_score": 1.0, "website": "", "email": "",
        "phone": "", "needs": [], "offers": [], "stops": list(stops), "contact_consent": None,
        "siret": siret, "survey_date": "", "source": src, "_file": src.split(":")[0],
        "_row": int(src.split(":")[1]),
    }
    base.update(fields)
    return base


def frame(*rows):
    return pd.DataFrame(list(rows))


def test_same_name_same_commune_merges_and_latest_value_wins():
    rows = frame(
        row("Les Jardins du Partage", "83137", src="a.csv:2", description="old", stops=("toulon",)),
        row("LES JARDINS DU PARTAGE", "83137", src="b.csv:5", description="new", stops=("nice",)),
        row("Les Jardins du Partage", "83069", src="b.csv:6", stops=("nice",)),
    )
    report = Report(rows_read=3)
    result = merge_rows(rows, report=report, stop_dates=STOP_DATES)
    actors = result.actors
    assert len(actors) == 2
    merged = actors.set_index("actor_id").loc["les-jardins-du-partage-83137"]
    assert merged["description"] == "new"
    assert merged["stops"] == ["toulon", "nice"]
    assert merged["sources"] == ["a.csv:2", "b.csv:5"]
    assert merged["first_seen"] == "2015-09-28" and merged["last_seen"] == "2015-10-15"
    assert report.published == {"b.csv:5": "les-jardins-du-partage-83137",
                                "b.csv:6": "les-jardins-du-partage-83069"}
    assert report.merged == {"a.csv:2": "les-jardins-du-partage-83137"}
    assert report.accounted_for()


def test_siret_links_rows_with_different_names_and_empty_values_do_not_win():
    rows = frame(
        row("Recyclerie du Haut-Var", "83050", src="a.csv:2", siret="12345678900011",
            website="https://recyclerie.example", stops=("toulon",)),
        row("Association Recyclerie Haut Var", "83050", src="c.csv:9", siret="12345678900011",
            website="", stops=("gap",)),
    )
    actors = merge_rows(rows, stop_dates=STOP_DATES).actors
    assert len(actors) == 1
    assert actors.iloc[0]["website"] == "https://recyclerie.example"
    assert actors.iloc[0]["name"] == "Association Recyclerie Haut Var"


def test_siret_and_name_are_transitive():
    rows = frame(
        row("Alpha", "05061", src="a.csv:2", siret="11111111100011"),
        row("Alpha", "05061", src="a.csv:3"),
        row("Alpha Gap", "05061", src="b.csv:2", siret="11111111100011", stops=("gap",)),
    )
    assert len(merge_rows(rows, stop_dates=STOP_DATES).actors) == 1


def test_ids_are_stable_under_reordering_and_other_actors():
    base = [
        row("Les Jardins du Partage", "83137", src="a.csv:2"),
        row("Épicerie Solidaire", "13208", src="a.csv:3"),
        row("Epicerie solidaire", "13208", src="b.csv:4", stops=("nice",)),
    ]
    ids1 = set(merge_rows(frame(*base), stop_dates=STOP_DATES).actors["actor_id"])
    ids2 = set(merge_rows(frame(*reversed(base)), stop_dates=STOP_DATES).actors["actor_id"])
    extra = [*base, row("Autre structure", "04070", src="c.csv:2")]
    ids3 = set(merge_rows(frame(*extra), stop_dates=STOP_DATES).actors["actor_id"])
    fewer = set(merge_rows(frame(*base[1:]), stop_dates=STOP_DATES).actors["actor_id"])
    assert ids1 == ids2
    assert ids1 < ids3
    assert fewer == {"epicerie-solidaire-13208"}
    assert ids1 == {"les-jardins-du-partage-83137", "epicerie-solidaire-13208"}


def test_location_block_comes_from_latest_located_row():
    rows = frame(
        row("Atelier Vélo", "83137", src="a.csv:2", lat=43.12, lon=5.93, address="1 rue A"),
        row("Atelier Vélo", "83137", src="b.csv:2", stops=("nice",), lat=float("nan"),
            lon=float("nan"), precision="none", address=""),
    )
    actor = merge_rows(rows, stop_dates=STOP_DATES).actors.iloc[0]
    assert actor["geocode_precision"] == "municipality"
    assert actor["address"] == "1 rue A"
    assert actor.geometry is not None and actor.geometry.y == pytest.approx(43.12)


def test_unlocated_actor_has_no_geometry_and_crs_is_wgs84():
    rows = frame(row("Nulle Part", "", src="a.csv:2", lat=float("nan"), lon=float("nan"),
                     precision="none", postcode="", commune_input="Inconnue"))
    actors = merge_rows(rows, stop_dates=STOP_DATES).actors
    assert actors.crs.to_epsg() == 4326
    assert actors.geometry.iloc[0] is None
    assert actors.iloc[0]["actor_id"] == "nulle-part-inconnue"


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Association Les Amis", "amis"), ("ASSO  L'Échoppe", "echoppe"),
     ("La Treille SCIC", "treille"), ("Treille scic sas", "treille"),
     ("SCIC Énergie Partagée", "energie partagee"), ("Association", "association")],
)
def test_name_key(name, expected):
    assert name_key(name) == expected


def test_long_names_get_a_hash_suffix_and_stay_short():
    aid = actor_id_for("x" * 30 + " " + "y" * 40, "83137")
    assert len(aid) <= 60 and aid.endswith("-83137")
    assert aid != actor_id_for("x" * 30 + " " + "y" * 39 + "z", "83137")


def test_manual_link_merges_two_actors_under_the_kept_id():
    rows = frame(
        row("Les Jardins du Partage", "83137", src="a.csv:2"),
        row("Jardin Partagé de Toulon", "83137", src="b.csv:3", stops=("nice",),
            website="https://jardin.example"),
        row("Autre", "83137", src="b.csv:4"),
    )
    result = merge_rows(rows, stop_dates=STOP_DATES,
                        links=[("les-jardins-du-partage-83137", "jardin-partage-de-toulon-83137")])
    ids = list(result.actors["actor_id"])
    assert ids == ["autre-83137", "les-jardins-du-partage-83137"]
    kept = result.actors.set_index("actor_id").loc["les-jardins-du-partage-83137"]
    assert kept["website"] == "https://jardin.example"
    assert kept["sources"] == ["a.csv:2", "b.csv:3"]


def test_manual_split_takes_rows_out_of_an_automatic_merge():
    rows = frame(
        row("Épicerie Solidaire", "13208", src="a.csv:2"),
        row("Epicerie solidaire", "13208", src="b.csv:4", stops=("nice",)),
        row("Epicerie solidaire", "13208", src="c.csv:5", stops=("gap",)),
    )
    result = merge_rows(rows, stop_dates=STOP_DATES,
                        splits={"b.csv:4": "epicerie-solidaire-du-port-13208",
                                "c.csv:5": "epicerie-solidaire-du-port-13208"})
    actors = result.actors.set_index("actor_id")
    assert list(actors.index) == ["epicerie-solidaire-13208", "epicerie-solidaire-du-port-13208"]
    assert actors.loc["epicerie-solidaire-13208", "sources"] == ["a.csv:2"]
    assert actors.loc["epicerie-solidaire-du-port-13208", "stops"] == ["nice", "gap"]


def test_links_to_unknown_ids_change_nothing():
    rows = frame(row("A", "83137", src="a.csv:2"), row("B", "83137", src="a.csv:3"))
    plain = merge_rows(rows, stop_dates=STOP_DATES).actors
    linked = merge_rows(rows, stop_dates=STOP_DATES, links=[("a-83137", "zzz")]).actors
    assert list(plain["actor_id"]) == list(linked["actor_id"]) == ["a-83137", "b-83137"]


def test_articles_legal_forms_and_typos_in_one_commune_merge_with_a_warning():
    rows = frame(
        row("La Ressourcerie de la Treille", "04112", src="a.csv:2"),
        row("La Ressourceri de la Treille", "04112", src="b.csv:3", stops=("nice",)),
        row("Treille SCIC", "06004", src="a.csv:4"),
        row("La Treille SCIC", "06004", src="b.csv:5", stops=("nice",)),
        row("Ressourcerie de la Treille", "83137", src="b.csv:6"),  # other commune
        row("Jardin du Midi", "83137", src="b.csv:7"),
        row("Jardin du Nord", "83137", src="b.csv:8"),  # similar but different
    )
    report = Report(rows_read=7)
    actors = merge_rows(rows, report=report, stop_dates=STOP_DATES).actors
    assert sorted(actors["actor_id"]) == [
        "jardin-du-midi-83137", "jardin-du-nord-83137", "la-ressourcerie-de-la-treille-04112",
        "ressourcerie-de-la-treille-83137", "treille-scic-06004"]
    similar = [i for i in report.issues if i.code == "merge.similar_names"]
    assert len(similar) == 1 and "[[split]]" in similar[0].message
    assert "Ressourceri de la Treille" in similar[0].message
    assert report.accounted_for()


def test_an_actor_that_moves_town_keeps_its_id_through_its_siret():
    moved = frame(row("Atelier Mobile", "83069", src="b.csv:2", siret="12345678900011"),
                  row("Atelier Fixe", "83050", src="b.csv:3"))
    previous = {"12345678900011": "atelier-mobile-83050"}
    ids = set(merge_rows(moved, stop_dates=STOP_DATES, previous_ids=previous).actors["actor_id"])
    assert ids == {"atelier-mobile-83050", "atelier-fixe-83050"}
    # without the previous build, the id follows the new commune
    assert "atelier-mobile-83069" in set(merge_rows(moved, stop_dates=STOP_DATES).actors["actor_id"])
    # an id now used by another actor is not taken over
    clash = {"12345678900011": "atelier-fixe-83050"}
    ids = set(merge_rows(moved, stop_dates=STOP_DATES, previous_ids=clash).actors["actor_id"])
    assert ids == {"atelier-mobile-83069", "atelier-fixe-83050"}


def test_similar_names_warning_only_for_groups_the_fuzzy_rule_joined():
    rows = frame(
        # joined by SIRET: names differ, but no warning
        row("Recyclerie du Haut-Var", "83050", src="a.csv:2", siret="12345678900011"),
        row("Ressourcerie Varoise", "83050", src="b.csv:2", siret="12345678900011",
            stops=("nice",)),
        # joined by a [[merge]] correction: no warning either
        row("Les Jardins du Partage", "83137", src="a.csv:3"),
        row("Jardin Partagé de Toulon", "83137", src="b.csv:3", stops=("nice",)),
        # joined by the similar-names rule: warned
        row("La Ressourcerie de la Treille", "04112", src="a.csv:4"),
        row("La Ressourceri de la Treille", "04112", src="b.csv:4", stops=("nice",)),
    )
    report = Report(rows_read=6)
    actors = merge_rows(rows, report=report, stop_dates=STOP_DATES,
                        links=[("les-jardins-du-partage-83137",
                                "jardin-partage-de-toulon-83137")]).actors
    assert len(actors) == 3
    similar = [i for i in report.issues if i.code == "merge.similar_names"]
    assert len(similar) == 1
    assert "Ressourceri de la Treille" in similar[0].message


def test_similar_names_warning_for_a_siret_group_that_a_typo_joined():
    rows = frame(
        row("Recyclerie du Haut-Var", "83050", src="a.csv:2", siret="12345678900011"),
        row("Ressourcerie Varoise", "83050", src="b.csv:2", siret="12345678900011",
            stops=("nice",)),
        row("Recyclerie du Haut Varr", "83050", src="c.csv:2", stops=("gap",)),
    )
    report = Report(rows_read=3)
    assert len(merge_rows(rows, report=report, stop_dates=STOP_DATES).actors) == 1
    assert [i.code for i in report.issues].count("merge.similar_names") == 1


def test_names_that_differ_by_their_numbers_are_two_structures():
    rows = frame(
        row("Association Nouvelle 1", "13055", src="a.csv:2"),
        row("Association Nouvelle 11", "13055", src="a.csv:3"),
        row("Résidence Les Oliviers 2", "83137", src="a.csv:4"),
        row("Residence Les Oliviers 3", "83137", src="b.csv:4", stops=("nice",)),
        # a typo in the words, the same number: one structure
        row("Epicerie solidaire 13", "13055", src="a.csv:5"),
        row("Epicerie solidiare 13", "13055", src="b.csv:5", stops=("nice",)),
    )
    report = Report(rows_read=6)
    names = sorted(merge_rows(rows, report=report, stop_dates=STOP_DATES).actors["name"])
    assert len(names) == 5
    assert "Association Nouvelle 1" in names and "Association Nouvelle 11" in names
    assert [i.code for i in report.issues].count("merge.similar_names") == 1


def test_long_commune_texts_keep_ids_unique():
    # the geocoder could not place them: the place is the commune text, whose slug is cut
    rows = frame(
        row("Les Amis", "", src="a.csv:2", commune_input="Saint-Martin-de-Zzqx"),
        row("Les Amis", "", src="a.csv:3", commune_input="Saint-Martin-de-Wwyq"),
    )
    ids = list(merge_rows(rows, stop_dates=STOP_DATES).actors["actor_id"])
    assert len(set(ids)) == 2
    assert all(aid.startswith("les-amis-saint-martin-") for aid in ids)
    # stable: the same place gives the same id whatever else exists
    alone = merge_rows(frame(rows.iloc[0].to_dict()), stop_dates=STOP_DATES).actors
    assert alone["actor_id"].iloc[0] in ids
    # codes and short commune texts keep the ids they always had
    assert actor_id_for("les amis", "83137") == "les-amis-83137"
    assert actor_id_for("les amis", "gap") == "les-amis-gap"
    assert actor_id_for("les amis", "") == "les-amis-na"
    assert actor_id_for("les amis", "saint martin") == "les-amis-saint-martin"


def test_ids_that_still_clash_get_a_deterministic_suffix():
    # a [[split]] may name an id another actor already has
    rows = frame(
        row("Alpha", "83137", src="a.csv:2"),
        row("Beta", "83137", src="b.csv:2", stops=("nice",)),
    )
    report = Report(rows_read=2)
    result = merge_rows(rows, report=report, stop_dates=STOP_DATES,
                        splits={"b.csv:2": "alpha-83137"})
    assert list(result.actors["actor_id"]) == ["alpha-83137", "alpha-83137-2"]
    assert dict(zip(rows["source"], result.row_actor, strict=True)) == {
        "a.csv:2": "alpha-83137", "b.csv:2": "alpha-83137-2"}
    assert [i.code for i in report.issues] == ["merge.id_clash"]
    assert report.accounted_for()
    reordered = merge_rows(rows.iloc[::-1], stop_dates=STOP_DATES,
                           splits={"b.csv:2": "alpha-83137"})
    assert list(reordered.actors["actor_id"]) == ["alpha-83137", "alpha-83137-2"]
    assert reordered.actors.set_index("actor_id").loc["alpha-83137", "sources"] == ["a.csv:2"]


# Best-formed names (issue #11, item 6): among spellings of one name, the careful one is kept.

@pytest.mark.parametrize(("names", "expected"), [
    # the issue's case: the later row was typed in lower case, with a doubled space
    (["Maison des Solidarités Varoises", "maison des solidarités  varoises"],
     "Maison des Solidarités Varoises"),
    # in either order
    (["maison des solidarités varoises", "Maison des Solidarités Varoises"],
     "Maison des Solidarités Varoises"),
    # accents typed beat accents left out, capitals beat lower case
    (["Les Jardins du Coeur", "Les Jardins du Cœur", "les jardins du coeur"],
     "Les Jardins du Cœur"),
    (["Epicerie Solidaire", "Épicerie Solidaire", "EPICERIE SOLIDAIRE"], "Épicerie Solidaire"),
    # an acronym in capitals beats the same in lower case
    (["ADIE", "adie"], "ADIE"),
    # equally good spellings: the latest wins (as for every field)
    (["Le Lien", "Le lien"], "Le lien"),
    (["Le lien", "Le Lien"], "Le Lien"),
    # a renamed actor (SIRET link): the latest name, not a better-formed older one
    (["L'Atelier du Port", "atelier du port et des quais"], "atelier du port et des quais"),
])
def test_merge_keeps_the_best_formed_name(names, expected):
    rows = frame(*[row(name, "83137", src=f"a.csv:{i + 2}", siret="73282932000074",
                       stops=(stop,))
                   for i, (name, stop) in enumerate(zip(names, ("toulon", "nice", "gap"),
                                                        strict=False))])
    actors = merge_rows(rows, stop_dates=STOP_DATES).actors
    assert actors["name"].tolist() == [expected]
    # the same whatever the order the rows come in
    again = merge_rows(rows.iloc[::-1].reset_index(drop=True), stop_dates=STOP_DATES).actors
    assert again["name"].tolist() == [expected]
    assert again["actor_id"].tolist() == actors["actor_id"].tolist()


@pytest.mark.slow
def test_best_formed_name_end_to_end_through_the_survey_reader(tmp_path):
    from click.testing import CliRunner

    from safi_map.cli.main import cli

    survey = tmp_path / "data" / "surveys" / "etape.csv"
    survey.parent.mkdir(parents=True)
    survey.write_text("Nom;Commune;Date\n"
                      "Maison des Solidarités Varoises;Toulon;2026-01-10\n"
                      "maison des solidarités  varoises;TOULON;2026-03-10\n", encoding="utf-8")
    (tmp_path / "safi-map.toml").write_text("", encoding="utf-8")
    result = CliRunner().invoke(cli, ["ingest", "--config", str(tmp_path / "safi-map.toml")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    actors = pd.read_csv(tmp_path / "build" / "actors.csv", dtype=str)
    assert actors[["name", "commune"]].values.tolist() == [
        ["Maison des Solidarités Varoises", "Toulon"]]

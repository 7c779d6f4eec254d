"""Taxonomy loading, its errors, and theme / legal-form / resource mapping."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safi_map.core.errors import ConfigError
from safi_map.export.datainclusion import load_thematiques
from safi_map.model.taxonomy import (
    LEGAL_FORMS,
    OTHER,
    Taxonomy,
    Theme,
    load_taxonomy,
    map_legal_form,
)

ROOT = Path(__file__).resolve().parents[1]
DATA_TAXONOMY = ROOT / "data" / "taxonomy.toml"
PACKAGED_TAXONOMY = ROOT / "safi_map" / "resources" / "taxonomy.toml"

EXPECTED_THEMES = {
    "insertion": "Insertion et emploi",
    "solidarite": "Solidarité et lutte contre la précarité",
    "alimentation": "Alimentation et agriculture durable",
    "environnement": "Environnement et transition écologique",
    "economie-circulaire": "Économie circulaire et réemploi",
    "habitat": "Logement et habitat",
    "sante": "Santé et handicap",
    "education": "Éducation et jeunesse",
    "culture": "Culture et médias",
    "sport": "Sport et loisirs",
    "mobilite": "Mobilité",
    "finance-solidaire": "Finance solidaire et accompagnement",
    "numerique": "Numérique et inclusion numérique",
    "citoyennete": "Citoyenneté, droits et égalité",
    "commerce-equitable": "Commerce équitable et consommation responsable",
    "autre": "Autre",
}
EXPECTED_RESOURCES = [
    "locaux", "benevoles", "materiel", "competences", "financement", "formation", "transport",
    "communication", "mutualisation-emploi", "partenariats", "visibilite",
]


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_taxonomy(DATA_TAXONOMY)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "taxonomy.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- the default file ---------------------------------------------------------------------------


def test_packaged_copy_is_identical_to_data_file():
    assert PACKAGED_TAXONOMY.read_bytes() == DATA_TAXONOMY.read_bytes()


def test_default_loads_the_packaged_file():
    default, data = load_taxonomy(), load_taxonomy(DATA_TAXONOMY)
    assert (default.themes, default.resources) == (data.themes, data.resources)
    assert default.source is None and data.source == DATA_TAXONOMY


def test_default_themes_and_resources(taxonomy):
    assert {t.slug: t.label for t in taxonomy.themes} == EXPECTED_THEMES
    assert taxonomy.theme_slugs[-1] == OTHER
    assert taxonomy.resource_slugs == EXPECTED_RESOURCES


def _luminance(colour: str) -> float:
    def lin(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def test_default_colours_are_distinct_and_readable_with_white(taxonomy):
    colours = [t.colour.lower() for t in taxonomy.themes]
    assert len(set(colours)) == len(colours)
    for theme in taxonomy.themes:
        contrast = 1.05 / (_luminance(theme.colour) + 0.05)
        assert contrast >= 3.0, (theme.slug, theme.colour, contrast)


def test_default_icons_and_synonyms(taxonomy):
    for theme in taxonomy.themes:
        assert re.fullmatch(r"[a-z0-9-]+", theme.icon)
        if theme.slug != OTHER:
            assert len(theme.synonyms) >= 10, theme.slug


def test_datainclusion_prefixes_exist(taxonomy):
    values = load_thematiques()  # the packaged data·inclusion vocabulary
    assert len(values) > 20
    for theme in taxonomy.themes:
        for prefix in theme.datainclusion:
            assert any(v == prefix or v.startswith(prefix + "--") for v in values), prefix


# --- loading errors -----------------------------------------------------------------------------


def test_autre_is_added_when_missing(tmp_path):
    path = write(tmp_path, '[[themes]]\nslug = "sport"\nlabel = "Sport"\ncolour = "#c75000"\n')
    tax = load_taxonomy(path)
    assert tax.theme_slugs == ["sport", "autre"]
    assert tax.theme("autre").label == "Autre"
    assert tax.source == path


def test_empty_file_still_has_autre(tmp_path):
    assert load_taxonomy(write(tmp_path, "")).theme_slugs == ["autre"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[themes]]\nslug = "sport"\ncolour = "#ffffff"\n',
         r"\[\[themes\]\] entry 1 \(slug 'sport'\): missing key 'label'"),
        ('[[themes]]\nslug = "sport"\nlabel = "Sport"\ncolour = "red"\n',
         r"entry 1 \(slug 'sport'\): key 'colour' must be a hex colour"),
        ('[[themes]]\nslug = "Sport!"\nlabel = "Sport"\ncolour = "#fff"\n',
         r"key 'slug' must be made of \[a-z0-9-\], got 'Sport!'"),
        ('[[themes]]\nslug = "sport"\nlabel = "Sport"\ncolour = "#fff"\ncolor = "#000"\n',
         r"entry 1 \(slug 'sport'\): unknown key 'color'"),
        ('[[themes]]\nslug = "sport"\nlabel = "Sport"\ncolour = "#fff"\nsynonyms = "jeux"\n',
         r"key 'synonyms' must be a list of strings"),
        ('[[themes]]\nslug = "sport"\nlabel = ""\ncolour = "#fff"\n',
         r"key 'label' must be a non-empty string"),
        ('[[themes]]\nslug = "a"\nlabel = "A"\ncolour = "#fff"\n'
         '[[themes]]\nslug = "a"\nlabel = "B"\ncolour = "#000"\n',
         r"\[\[themes\]\] slug 'a' is defined twice"),
        ('[[themes]]\nslug = "a"\nlabel = "A"\ncolour = "#fff"\nsynonyms = ["jeux"]\n'
         '[[themes]]\nslug = "b"\nlabel = "B"\ncolour = "#000"\nsynonyms = ["Jeux"]\n',
         r"'Jeux' is used by both 'a' and 'b'"),
        ('[[resources]]\nslug = "locaux"\n', r"\[\[resources\]\] entry 1 \(slug 'locaux'\): "
         r"missing key 'label'"),
        ('[[resources]]\nslug = "locaux"\nlabel = "Locaux"\ncolour = "#fff"\n',
         r"unknown key 'colour'"),
        ('[[theme]]\nslug = "a"\n', r"unknown key 'theme'"),
        ("themes = 3\n", r"'themes' must be an array of tables"),
        ("[[themes]\n", r"invalid TOML"),
        ('themes = ["x"]\n', r"\[\[themes\]\] entry 1 is not a table"),
    ],
)
def test_invalid_taxonomy_names_file_entry_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_taxonomy(path)
    assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="taxonomy file not found"):
        load_taxonomy(tmp_path / "nope.toml")


# --- themes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "slugs", "unknown"),
    [
        (["Insertion et emploi"], ["insertion"], []),
        (["insertion"], ["insertion"], []),
        (["INSERTION ET EMPLOI"], ["insertion"], []),
        (["finance-solidaire"], ["finance-solidaire"], []),
        (["IAE", "Sport et loisirs"], ["insertion", "sport"], []),
        (["sante", "Santé", "handicap"], ["sante"], []),
        (["insertoin"], ["insertion"], []),  # typo
        (["environement"], ["environnement"], []),  # typo
        (["aide alimentaire et insertion professionnelle"], ["solidarite", "insertion"], []),
        (["finance solidaire"], ["finance-solidaire"], []),  # not also "solidarite"
        (["agriculture urbaine"], ["alimentation"], []),  # not "culture"
        (["transport solidaire"], ["mobilite"], []),  # not "sport"
        (["Citoyenneté", "droits et égalité"], ["citoyennete"], []),
        (["blabla"], ["autre"], ["blabla"]),
        (["culture", "xyzzy"], ["culture", "autre"], ["xyzzy"]),
        (["Autre"], ["autre"], []),
        (["", "  "], [], []),
    ],
)
def test_map_themes(taxonomy, values, slugs, unknown):
    assert taxonomy.map_themes(values) == (slugs, unknown)


def test_fuzzy_matching_is_conservative(taxonomy):
    # Short values are never fuzzy-matched: "spot" is not "sport".
    assert taxonomy.map_themes(["spot"]) == (["autre"], ["spot"])
    assert taxonomy.map_themes(["culturisme"]) == (["autre"], ["culturisme"])


def test_theme_lookup(taxonomy):
    assert taxonomy.theme("sante").label == "Santé et handicap"
    with pytest.raises(KeyError):
        taxonomy.theme("nope")


def test_custom_synonym_is_used(tmp_path):
    path = write(tmp_path, '[[themes]]\nslug = "mer"\nlabel = "La mer"\ncolour = "#0000ff"\n'
                           'synonyms = ["Océan"]\n')
    assert load_taxonomy(path).map_themes(["ocean"]) == (["mer"], [])


# --- legal forms --------------------------------------------------------------------------------


def test_taxonomy_exposes_legal_forms(taxonomy):
    assert taxonomy.legal_forms == LEGAL_FORMS and taxonomy.legal_forms is not LEGAL_FORMS


def test_legal_forms_vocabulary():
    assert list(LEGAL_FORMS) == ["association", "cooperative", "mutuelle", "fondation",
                                 "entreprise-ess", "collectivite", "autre"]
    assert LEGAL_FORMS["cooperative"] == "Coopérative (SCOP, SCIC…)"
    assert LEGAL_FORMS["entreprise-ess"] == "Entreprise de l'ESS"


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Association", "association"),
        ("Asso loi 1901", "association"),
        ("association loi 1901", "association"),
        ("Fédération", "association"),
        ("Association intermédiaire", "association"),
        ("SCIC SAS", "cooperative"),
        ("SCOP ARL", "cooperative"),
        ("Coopérative", "cooperative"),
        ("Coopérative (SCOP, SCIC…)", "cooperative"),
        ("CAE", "cooperative"),
        ("mutuelle", "mutuelle"),
        ("Mutuelle santé", "mutuelle"),
        ("Fondation reconnue d'utilité publique", "fondation"),
        ("Fonds de dotation", "fondation"),
        ("CCAS", "collectivite"),
        ("Mairie", "collectivite"),
        ("Communauté de communes", "collectivite"),
        ("Conseil départemental", "collectivite"),
        ("entreprise d'insertion", "entreprise-ess"),
        ("ESUS", "entreprise-ess"),
        ("SAS ESS", "entreprise-ess"),
        ("SARL", "entreprise-ess"),
        ("Entreprise de l'ESS", "entreprise-ess"),
        ("entreprise-ess", "entreprise-ess"),
        ("Autre", "autre"),
    ],
)
def test_map_legal_form(text, slug):
    assert map_legal_form(text) == (slug, None)


def test_map_legal_form_unknown_and_empty():
    assert map_legal_form("") == ("", None)
    slug, note = map_legal_form("truc bidule")
    assert slug == "autre"
    assert note == "legal form 'truc bidule' not recognized; classed as 'autre'"


# --- resources ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "tags", "free"),
    [
        (["locaux", "Bénévoles"], ["locaux", "benevoles"], []),
        (["un local"], ["locaux"], []),
        (["La visibilité"], ["visibilite"], []),
        (["benevols"], ["benevoles"], []),  # typo
        (["un local pour stocker du matériel"], ["locaux", "materiel"],
         ["un local pour stocker du matériel"]),
        (["des sous"], [], ["des sous"]),
        (["mutualisation d'emploi"], ["mutualisation-emploi"], []),
        (["emploi partagé", "partenariats"], ["mutualisation-emploi", "partenariats"], []),
        ([""], [], []),
    ],
)
def test_map_resources(taxonomy, values, tags, free):
    assert taxonomy.map_resources(values) == (tags, free)


def test_theme_dataclass_defaults():
    theme = Theme("x", "X", "#000000")
    assert theme.icon == "dot" and theme.synonyms == () and theme.datainclusion == ()


def test_whole_words_finds_what_the_regular_expression_finds():
    import random
    import re

    from safi_map.model.taxonomy import _whole_words

    rng = random.Random(3)
    alphabet = "ab 1-é"
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        term = "".join(rng.choice("ab 1") for _ in range(rng.randint(1, 3)))
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])")
        assert list(_whole_words(text, term)) == [m.span() for m in pattern.finditer(text)]

"""Themes, legal forms and the needs/offers vocabulary.

Themes and resources come from ``data/taxonomy.toml`` (a packaged default ships in
``safi_map/resources/taxonomy.toml``) so that coordinators can rename a theme or add a synonym
without touching code. Legal forms are a fixed vocabulary: they are a legal fact, not an
editorial choice.

Matching is forgiving in a controlled way: exact match on label, slug or synonym through
``text.key`` (case, accents and punctuation ignored), then every label/synonym found as whole words
inside the value, then a conservative fuzzy match for typos. Anything else is tagged ``autre`` and
returned as unknown so the report can show it.
"""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import _
from safi_map.core.text import key
from safi_map.model.labels import LEGAL_FORMS

__all__ = [
    "LEGAL_FORMS",
    "OTHER",
    "Resource",
    "Taxonomy",
    "Theme",
    "load_taxonomy",
    "map_legal_form",
]

log = logging.getLogger(__name__)

OTHER = "autre"
_OTHER_LABEL = "Autre"
_OTHER_COLOUR = "#6b6b6b"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
_ICON = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
# Fuzzy matching only for values long enough that a typo cannot turn one word into another.
_FUZZY_MIN_LENGTH = 5
_FUZZY_CUTOFF = 88.0
_ARTICLE = re.compile(r"^(?:un|une|des|du|de la|de l|de|d|le|la|les|l)\s+")


@dataclass(frozen=True)
class Theme:
    """A theme of the map: what an actor does."""

    slug: str
    label: str
    colour: str
    icon: str = "dot"
    synonyms: tuple[str, ...] = ()
    datainclusion: tuple[str, ...] = ()


@dataclass(frozen=True)
class Resource:
    """An entry of the needs/offers vocabulary (locaux, bénévoles...)."""

    slug: str
    label: str
    synonyms: tuple[str, ...] = ()


class _Matcher:
    """Maps free text to slugs of one vocabulary (themes or resources)."""

    def __init__(self, entries: Sequence[Theme | Resource]) -> None:
        self.exact: dict[str, str] = {}
        for entry in entries:
            for term in (entry.slug, entry.label, *entry.synonyms):
                k = key(term)
                if k:
                    self.exact.setdefault(k, entry.slug)
        self.multiword = frozenset(t for t in self.exact if " " in t)
        # Longest terms first, so "finance solidaire" wins over "solidaire" inside it.
        self.terms = sorted(self.exact, key=lambda t: (-len(t), t))

    def lookup(self, k: str) -> str | None:
        """The slug ``k`` names exactly, also without a leading article ("un local")."""
        found = self.exact.get(k)
        if found is None:
            found = self.exact.get(_ARTICLE.sub("", k))
        return found

    def contained(self, k: str) -> list[str]:
        """Slugs of every term found as whole words in ``k``, in order of appearance."""
        taken = [False] * len(k)
        found: list[tuple[int, str]] = []
        for term in self.terms:
            if len(term) > len(k):
                continue
            for start, end in _whole_words(k, term):
                if any(taken[start:end]):
                    continue
                taken[start:end] = [True] * (end - start)
                found.append((start, self.exact[term]))
        return _dedupe(slug for _, slug in sorted(found))

    def fuzzy(self, k: str) -> str | None:
        if len(k) < _FUZZY_MIN_LENGTH:
            return None
        best = process.extractOne(
            k,
            [t for t in self.terms if len(t) >= _FUZZY_MIN_LENGTH],
            scorer=fuzz.ratio,
            score_cutoff=_FUZZY_CUTOFF,
        )
        return self.exact[best[0]] if best else None


def _whole_words(text: str, term: str) -> Iterator[tuple[int, int]]:
    """Spans of ``term`` in ``text`` as whole words (no letter or digit of ``[a-z0-9]`` just
    before or after), left to right, not overlapping: what the regular expression
    ``(?<![a-z0-9])term(?![a-z0-9])`` finds, without compiling one per term of a vocabulary."""
    start = text.find(term)
    while start != -1:
        end = start + len(term)
        if ((start == 0 or text[start - 1] not in _WORD_CHARS)
                and (end == len(text) or text[end] not in _WORD_CHARS)):
            yield start, end
            start = text.find(term, end)
        else:
            start = text.find(term, start + 1)


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


@dataclass(frozen=True)
class Taxonomy:
    """The themes and the needs/offers vocabulary of one project.

    Built by :func:`load_taxonomy`; the ``autre`` theme is always present (last unless the file
    places it).
    """

    themes: tuple[Theme, ...]
    resources: tuple[Resource, ...] = ()
    source: Path | None = None
    _themes: _Matcher = field(init=False, repr=False, compare=False)
    _resources: _Matcher = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_themes", _Matcher(self.themes))
        object.__setattr__(self, "_resources", _Matcher(self.resources))

    @property
    def theme_slugs(self) -> list[str]:
        return [t.slug for t in self.themes]

    @property
    def resource_slugs(self) -> list[str]:
        return [r.slug for r in self.resources]

    @property
    def legal_forms(self) -> dict[str, str]:
        """Slug -> French label of the legal forms (the fixed :data:`LEGAL_FORMS`)."""
        return dict(LEGAL_FORMS)

    def theme(self, slug: str) -> Theme:
        """The theme with ``slug``; KeyError if there is none."""
        for theme in self.themes:
            if theme.slug == slug:
                return theme
        raise KeyError(slug)

    def resource(self, slug: str) -> Resource:
        """The resource with ``slug``; KeyError if there is none."""
        for resource in self.resources:
            if resource.slug == slug:
                return resource
        raise KeyError(slug)

    def theme_for(self, value: str) -> list[str]:
        """Slugs for one theme value: exact match, else whole-word terms inside, else a typo.

        An empty list means no theme recognized.
        """
        k = key(value)
        if not k:
            return []
        exact = self._themes.lookup(k)
        if exact:
            return [exact]
        found = self._themes.contained(k)
        if found:
            return found
        typo = self._themes.fuzzy(k)
        if typo:
            return [typo]
        # "Sprt et cultre": try each side of "et" for typos.
        parts = [p for p in re.split(r"\bet\b", k) if p.strip()]
        if len(parts) > 1:
            typos = [self._themes.fuzzy(p.strip()) for p in parts]
            return _dedupe(t for t in typos if t)
        return []

    def map_themes(self, values: Iterable[str]) -> tuple[list[str], list[str]]:
        """Map theme values (one list item each) to ``(slugs, unknown values)``.

        Unknown values add ``autre`` to the slugs so the actor is still shown under a theme;
        the caller reports them. Slugs keep the order of the values and are de-duplicated.
        """
        slugs: list[str] = []
        unknown: list[str] = []
        for value in values:
            if not key(value):
                continue
            found = self.theme_for(value)
            if found:
                slugs.extend(found)
            else:
                unknown.append(value)
                slugs.append(OTHER)
        return _dedupe(slugs), unknown

    def map_resources(self, values: Iterable[str],
                      choices: Collection[str] = ()) -> tuple[list[str], list[str]]:
        """Tag needs or offers with the resource vocabulary: ``(tags, free text)``.

        A value that is exactly a resource label or synonym becomes its tag only. A longer
        answer ("un local pour stocker du matériel") gets every resource it mentions and is also
        kept as free text, since the words matter to whoever reads the need. A value with no
        recognized resource is kept as free text. ``choices`` are the folded labels of a
        form's options: a ticked option ("Prêt de matériel") is a choice, not words someone
        wrote, so it becomes its tags only when it has some.
        """
        tags: list[str] = []
        free: list[str] = []
        for value in values:
            k = key(value)
            if not k:
                continue
            exact = self._resources.lookup(k)
            if exact:
                tags.append(exact)
                continue
            found = self._resources.contained(k)
            if not found:
                typo = self._resources.fuzzy(k)
                if typo:
                    tags.append(typo)
                    continue
            tags.extend(found)
            if not (found and k in choices):
                free.append(value)
        return _dedupe(tags), _dedupe(free)

    def list_terms(self, field: str) -> frozenset[str]:
        """Folded labels and synonyms of several words, for ``field`` "themes" or "needs"/
        "offers": list splitting keeps them whole ("Citoyenneté, droits et égalité")."""
        matcher = self._themes if field == "themes" else self._resources
        return matcher.multiword


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

_THEME_KEYS = {"slug": True, "label": True, "colour": True, "icon": False, "synonyms": False,
               "datainclusion": False}
_RESOURCE_KEYS = {"slug": True, "label": True, "synonyms": False}


def _where(path: str, table: str, index: int, entry: dict[str, Any]) -> str:
    slug = entry.get("slug")
    name = f" (slug {slug!r})" if isinstance(slug, str) else ""
    return f"{path}: [[{table}]] entry {index + 1}{name}"


def _check_entry(
    path: str, table: str, index: int, entry: Any, keys: dict[str, bool]
) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise ConfigError(_("{path}: [[{table}]] entry {index} is not a table").format(
                              path=path, table=table, index=index + 1))
    where = _where(path, table, index, entry)
    for name in entry:
        if name not in keys:
            raise ConfigError(
                _("{where}: unknown key {name!r}; expected one of {keys}").format(
                    where=where, name=name, keys=', '.join(sorted(keys)))
            )
    for name, required in keys.items():
        if required and name not in entry:
            raise ConfigError(_("{where}: missing key {name!r}").format(where=where, name=name))
    out: dict[str, Any] = {}
    for name, value in entry.items():
        if name in {"synonyms", "datainclusion"}:
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(_("{where}: key {name!r} must be a list of strings, got "
                                    "{value!r}").format(where=where, name=name, value=value))
            out[name] = tuple(value)
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(_("{where}: key {name!r} must be a non-empty string, got "
                                "{value!r}").format(where=where, name=name, value=value))
        out[name] = value.strip()
    if not _SLUG.match(out["slug"]):
        raise ConfigError(_("{where}: key 'slug' must be made of [a-z0-9-], got {slug!r}").format(
                              where=where, slug=out['slug']))
    if "colour" in out and not _COLOUR.match(out["colour"]):
        raise ConfigError(
            _("{where}: key 'colour' must be a hex colour like '#1b9e77', got {colour!r}").format(
                where=where, colour=out['colour'])
        )
    if "icon" in out and not _ICON.match(out["icon"]):
        raise ConfigError(_("{where}: key 'icon' must be made of [a-z0-9-], got {icon!r}").format(
                              where=where, icon=out['icon']))
    for prefix in out.get("datainclusion", ()):
        if not re.match(r"^[a-z0-9-]+\Z", prefix):
            raise ConfigError(
                _("{where}: key 'datainclusion' holds {prefix!r}, not a data.inclusion "
                  "thematique").format(where=where, prefix=prefix)
            )
    return out


def _check_unique_terms(path: str, table: str, entries: Sequence[Theme | Resource]) -> None:
    owner: dict[str, str] = {}
    for entry in entries:
        for term in (entry.slug, entry.label, *entry.synonyms):
            k = key(term)
            if k and owner.setdefault(k, entry.slug) != entry.slug:
                raise ConfigError(
                    _("{path}: [[{table}]] {term!r} is used by both {x1!r} and {slug!r}; a "
                      "value must map to one entry").format(
                        path=path, table=table, term=term, x1=owner[k], slug=entry.slug)
                )


def _parse(data: dict[str, Any], path: str, source: Path | None) -> Taxonomy:
    for name in data:
        if name not in {"themes", "resources"}:
            raise ConfigError(
                _("{path}: unknown key {name!r}; expected [[themes]] and [[resources]] tables").format(
                    path=path, name=name)
            )
    raw_themes = data.get("themes", [])
    raw_resources = data.get("resources", [])
    for name, raw in (("themes", raw_themes), ("resources", raw_resources)):
        if not isinstance(raw, list):
            raise ConfigError(_("{path}: {name!r} must be an array of tables ([[{name}]])").format(
                                  path=path, name=name))
    themes = [Theme(**_check_entry(path, "themes", i, e, _THEME_KEYS))
              for i, e in enumerate(raw_themes)]
    resources_ = [Resource(**_check_entry(path, "resources", i, e, _RESOURCE_KEYS))
                  for i, e in enumerate(raw_resources)]
    for table, entries in (("themes", themes), ("resources", resources_)):
        seen: set[str] = set()
        for entry in entries:
            if entry.slug in seen:
                raise ConfigError(_("{path}: [[{table}]] slug {slug!r} is defined twice").format(
                                      path=path, table=table, slug=entry.slug))
            seen.add(entry.slug)
    if OTHER not in {t.slug for t in themes}:
        themes.append(Theme(OTHER, _OTHER_LABEL, _OTHER_COLOUR, "dot"))
    _check_unique_terms(path, "themes", themes)
    _check_unique_terms(path, "resources", resources_)
    return Taxonomy(tuple(themes), tuple(resources_), source)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """Load a taxonomy file; ``None`` loads the default shipped with the package.

    Raises ConfigError naming the file, the entry and the key for any invalid content, including
    unknown keys and a synonym claimed by two themes.
    """
    if path is None:
        ref = resources.files("safi_map") / "resources" / "taxonomy.toml"
        text = ref.read_text(encoding="utf-8")
        where = "safi_map/resources/taxonomy.toml"
        source = None
    else:
        source = Path(path)
        where = str(source)
        try:
            text = source.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(_("taxonomy file not found: {where!r}").format(where=where)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(_("{where}: cannot read the taxonomy: {exc}").format(
                                  where=where, exc=exc)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_("{where}: invalid TOML: {exc}").format(where=where, exc=exc)) from None
    taxonomy = _parse(data, where, source)
    log.debug("loaded %d themes and %d resources from %s", len(taxonomy.themes),
              len(taxonomy.resources), where)
    return taxonomy


# ---------------------------------------------------------------------------------------------
# Legal forms (their labels: :data:`safi_map.model.labels.LEGAL_FORMS`)
# ---------------------------------------------------------------------------------------------

# Checked in this order: the first rule with a term found (as whole words) in the value wins.
# Cooperatives come before companies ("SCIC SAS" is a cooperative), and associations before
# the insertion structures they often carry ("association intermédiaire").
_LEGAL_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("cooperative", (
        "scop", "scic", "cooperative", "cooperatives", "coop", "cae", "cuma", "sica",
        "societe cooperative", "cooperative d activite et d emploi", "union d economie sociale",
    )),
    ("mutuelle", ("mutuelle", "mutuelles", "mutualite", "mutualiste", "mutuel",
                  "societe d assurance mutuelle")),
    ("fondation", ("fondation", "fonds de dotation", "fonds de dotations", "fondation d entreprise")),
    ("association", (
        "association", "associations", "asso", "assoc", "loi 1901", "1901", "loi 1908",
        "association loi 1901", "federation", "union d associations", "association intermediaire",
        "collectif",
    )),
    ("collectivite", (
        "collectivite", "collectivite territoriale", "commune", "mairie", "ville", "ccas", "cias",
        "departement", "conseil departemental", "region", "conseil regional", "epci",
        "communaute de communes", "communaute d agglomeration", "communaute urbaine",
        "metropole", "syndicat intercommunal", "etablissement public", "epic", "epa",
        "service public", "office public", "centre communal d action sociale", "intercommunalite",
    )),
    ("entreprise-ess", (
        "entreprise ess", "entreprise de l ess", "esus", "entreprise solidaire",
        "entreprise solidaire d utilite sociale", "agrement esus", "entreprise d insertion", "ei",
        "etti", "aci", "atelier chantier d insertion", "chantier d insertion", "entreprise adaptee",
        "ea", "esat", "geiq", "siae", "sas ess", "sarl ess", "societe commerciale de l ess",
        "entreprise sociale", "sas", "sasu", "sarl", "eurl", "sa", "societe", "entreprise",
        "auto entrepreneur", "micro entreprise",
    )),
    ("autre", ("autre", "autres", "informel", "groupement informel")),
)
_LEGAL_PATTERNS = tuple(
    (slug, re.compile(r"(?<![a-z0-9])(?:" + "|".join(
        re.escape(t) for t in sorted(terms, key=len, reverse=True)) + r")(?![a-z0-9])"))
    for slug, terms in _LEGAL_RULES
)
_LEGAL_EXACT = {key(v): k for k, v in LEGAL_FORMS.items()} | {key(k): k for k in LEGAL_FORMS}


def map_legal_form(text: str) -> tuple[str, str | None]:
    """Map a free-text legal form to a :data:`LEGAL_FORMS` slug: ``(slug, note)``.

    ``"Asso loi 1901"`` -> association, ``"SCIC SAS"`` -> cooperative, ``"CCAS"`` ->
    collectivite, ``"entreprise d'insertion"`` -> entreprise-ess. An empty cell gives ``""``
    (not given: the merge can then take the form from another survey of the same actor); an
    unrecognized one gives ``"autre"`` with a note for the report.
    """
    k = key(str(text))
    if not k:
        return "", None
    if k in _LEGAL_EXACT:
        return _LEGAL_EXACT[k], None
    for slug, pattern in _LEGAL_PATTERNS:
        if pattern.search(k):
            return slug, None
    return "autre", _("legal form {text!r} not recognized; classed as 'autre'").format(text=text)

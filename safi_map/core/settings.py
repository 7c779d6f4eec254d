"""One source of settings: a table of name, default, help and validator.

Settings come from ``safi-map.toml`` (paths resolved relative to that file) and from CLI options;
unknown keys are errors, never silence.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from safi_map.core.errors import ConfigError
from safi_map.core.i18n import _
from safi_map.core.urls import check_report_url, check_site_url

__all__ = ["SETTINGS", "Setting", "Settings", "load_settings"]

CONFIG_NAME = "safi-map.toml"


@dataclass(frozen=True)
class Setting:
    section: str
    name: str
    default: Any
    help: str
    validate: Callable[[Any], Any]
    is_path: bool = False


def _str(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError(_("expected a string, got {v!r}").format(v=v))
    return v


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError(_("expected true or false, got {v!r}").format(v=v))
    return v


def _bool_or_auto(v: Any) -> bool | str:
    if v == "auto" or isinstance(v, bool):
        return v
    raise TypeError(_("expected true, false or 'auto', got {v!r}").format(v=v))


def _str_list(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise TypeError(_("expected a list of strings, got {v!r}").format(v=v))
    return list(v)


def _site_url(v: Any) -> str:
    return check_site_url(_str(v))


def _choice(*choices: str) -> Callable[[Any], str]:
    def check(v: Any) -> str:
        if v not in choices:
            raise TypeError(_("expected one of {x1}, got {v!r}").format(
                                x1=', '.join(map(repr, choices)), v=v))
        return str(v)

    return check


def _positive(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < float("inf"):
        raise TypeError(_("expected a positive number, got {v!r}").format(v=v))
    return float(v)


def _positive_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise TypeError(_("expected a positive whole number, got {value!r}").format(value=v))
    return v


def _columns(v: Any) -> dict[str, str]:
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in [*v, *v.values()]):
        raise TypeError(_("expected a table of 'header' = 'field' strings"))
    return dict(v)


SETTINGS: tuple[Setting, ...] = (
    Setting("project", "title", "Les acteurs du SAFI Tour en Provence-Alpes-Côte d'Azur",
            "Title of the site and of the posters.", _str),
    Setting("project", "surveys", ["data/surveys"],
            "Survey files or folders read when no SURVEY is given on the command line.",
            _str_list, is_path=True),
    Setting("project", "tour", "data/tour.toml", "The tour stops file.", _str, is_path=True),
    Setting("project", "taxonomy", "data/taxonomy.toml", "The themes file.", _str, is_path=True),
    Setting("project", "corrections", "data/corrections.toml",
            "Manual corrections applied on every build (optional file).", _str, is_path=True),
    Setting("project", "out", "build", "Output folder.", _str, is_path=True),
    Setting("project", "site_url", "", "Public URL of the site (QR codes, share links): "
            "http:// or https:// only.", _site_url),
    Setting("project", "keep_removed", True,
            "Keep actors that are no longer in any survey (True) or drop them.", _bool),
    Setting("site", "posters", "auto",
            "Ready-made A3 posters (PDF) of every commune, theme and stop with between "
            "'posters_min_actors' and 'posters_max_actors' actors, linked from their pages "
            "(cached between builds): true, false, or 'auto' (only when there are at most "
            "2,000 actors: each poster takes about a second to draw).", _bool_or_auto),
    Setting("site", "posters_min_actors", 3.0, "Smallest selection that gets a poster.",
            _positive),
    Setting("site", "posters_max_actors", 300.0,
            "Largest selection that gets a poster (more would not be legible on A3).",
            _positive),
    Setting("site", "report_url", "",
            "Where visitors send a change for an actor ('Signaler une modification' on its "
            "page, prefilled with its id and public fields): mailto:address or a form's "
            "http(s) address, where {id}, {name} and {message} are replaced. Empty: no link.",
            check_report_url),
    Setting("columns", "*", {}, "Extra header aliases: 'header as written' = 'field'.", _columns),
    Setting("geocode", "online", False, "Geocode addresses online (BAN or Nominatim).", _bool),
    Setting("geocode", "provider", "ban", "Online provider: 'ban' or 'nominatim'.",
            _choice("ban", "nominatim")),
    Setting("geocode", "ban_url", "https://api-adresse.data.gouv.fr",
            "Base URL of the BAN (addok) service; a self-hosted addok works.", _str),
    Setting("geocode", "nominatim_url", "https://nominatim.openstreetmap.org",
            "Base URL of the Nominatim service.", _str),
    Setting("geocode", "user_agent", "safi-map",
            "Name sent in the User-Agent of online requests, followed by the version (unless "
            "the name has one) and the contact.", _str),
    Setting("geocode", "email", "", "Contact email sent to Nominatim (its usage policy).", _str),
    Setting("geocode", "contact", "",
            "How the operators of the geocoding service can reach you (an email address or "
            "your site's URL), sent in the User-Agent; required by the public Nominatim server.",
            _str),
    Setting("geocode", "min_score", 0.5, "Online results scoring below are refused.", _positive),
    Setting("geocode", "timeout", 10.0, "Seconds before an online request times out.", _positive),
    Setting("geocode", "rate", 10.0, "Maximum online requests per second.", _positive),
    Setting("geocode", "cache", "build/geocode-cache.sqlite", "Persistent geocoding cache.",
            _str, is_path=True),
    # Survey files over a limit are refused by name before they are read (sheet_limits.py).
    Setting("limits", "max_rows", 100_000, "Most rows in a survey sheet or CSV file.",
            _positive_int),
    Setting("limits", "max_columns", 1_000, "Most columns in a survey sheet or CSV file.",
            _positive_int),
    Setting("limits", "max_cells", 5_000_000,
            "Most cells (rows x columns of the used area) in a survey sheet.", _positive_int),
    Setting("limits", "max_cell_chars", 32_767,
            "Most characters in one survey cell (32,767 is Excel's own limit).", _positive_int),
    Setting("limits", "max_megabytes", 200.0,
            "Most megabytes in a survey file once decompressed (XLSX and ODS are zip files).",
            _positive),
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings. Paths are absolute once loaded from a file."""

    title: str = SETTINGS[0].default
    surveys: list[Path] = field(default_factory=lambda: [Path("data/surveys")])
    tour: Path = Path("data/tour.toml")
    taxonomy: Path = Path("data/taxonomy.toml")
    corrections: Path = Path("data/corrections.toml")
    out: Path = Path("build")
    site_url: str = ""
    keep_removed: bool = True
    posters: bool | str = "auto"
    posters_min_actors: float = 3.0
    posters_max_actors: float = 300.0
    report_url: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    online: bool = False
    provider: str = "ban"
    ban_url: str = "https://api-adresse.data.gouv.fr"
    nominatim_url: str = "https://nominatim.openstreetmap.org"
    user_agent: str = "safi-map"
    email: str = ""
    contact: str = ""
    min_score: float = 0.5
    timeout: float = 10.0
    rate: float = 10.0
    cache: Path = Path("build/geocode-cache.sqlite")
    max_rows: int = 100_000
    max_columns: int = 1_000
    max_cells: int = 5_000_000
    max_cell_chars: int = 32_767
    max_megabytes: float = 200.0
    config_path: Path | None = None

    def __post_init__(self) -> None:
        try:  # (also when built in code, not from a file: the URL reaches pages and posters)
            _site_url(self.site_url)
        except TypeError as exc:
            raise ConfigError(_("{setting}: {error}").format(setting="site_url", error=exc)
                              ) from None
        try:
            check_report_url(self.report_url)
        except TypeError as exc:
            raise ConfigError(_("{setting}: {error}").format(setting="report_url", error=exc)
                              ) from None

    def with_(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (None values are ignored: "not given")."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_FIELD_NAMES = {f.name for f in fields(Settings)}


def load_settings(path: str | Path | None = None, *, base: str | Path | None = None) -> Settings:
    """Read settings from ``path``; without it, from ``safi-map.toml`` in ``base`` (or the
    current folder) if it exists, else defaults resolved against that folder.
    """
    root = Path(base) if base is not None else Path.cwd()
    if path is None:
        candidate = root / CONFIG_NAME
        data: dict[str, Any] = {}
        if candidate.is_file():
            path = candidate
    if path is not None:
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(_("configuration file not found: {path!r}").format(
                path=str(path))) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(_("{path}: cannot read the settings: {error}").format(
                path=path, error=exc)) from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(_("{path}: invalid TOML: {exc}").format(path=path, exc=exc)) from None
        root = path.resolve().parent

    values: dict[str, Any] = {}
    known = {(s.section, s.name): s for s in SETTINGS}
    sections = {s.section for s in SETTINGS}
    for section, table in data.items():
        if section not in sections or not isinstance(table, dict):
            raise ConfigError(
                _("{path}: unknown section [{section}]; expected one of {sections}").format(
                    path=path, section=section,
                    sections=", ".join(f"[{s}]" for s in sorted(sections)))
            )
        if (section, "*") in known:
            setting = known[(section, "*")]
            try:
                values[section] = setting.validate(table)
            except TypeError as exc:
                raise ConfigError(_("{path}: [{section}]: {exc}").format(
                                      path=path, section=section, exc=exc)) from None
            continue
        for name, value in table.items():
            found = known.get((section, name))
            if found is None:
                names = sorted(n for s, n in known if s == section)
                raise ConfigError(
                    _("{path}: unknown setting {name!r} in [{section}]; known: {names}").format(
                        path=path, name=name, section=section, names=', '.join(names))
                )
            try:
                values[name] = found.validate(value)
            except TypeError as exc:
                raise ConfigError(_("{path}: [{section}] {name}: {exc}").format(
                                      path=path, section=section, name=name, exc=exc)) from None

    resolved: dict[str, Any] = {}
    for setting in SETTINGS:
        name = setting.section if setting.name == "*" else setting.name
        value = values.get(name, setting.default)
        if setting.is_path:
            for v in value if isinstance(value, list) else [value]:
                if "\0" in v or any(len(part.encode("utf-8", "surrogatepass")) > 255
                                    for part in Path(v).parts):
                    raise ConfigError(_("{path}: [{section}] {name}: {value!r} is not a possible "
                                        "path (a NUL character, or a name longer than 255 "
                                        "bytes)").format(path=path, section=setting.section,
                                                         name=name, value=v))
        if setting.is_path:
            if isinstance(value, list):
                value = [(root / v).resolve() for v in value]
            else:
                value = (root / value).resolve()
        resolved[name] = value
    assert set(resolved) <= _FIELD_NAMES
    return Settings(**resolved, config_path=Path(path).resolve() if path else None)

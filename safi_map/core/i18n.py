"""Messages for people, through gettext: French by default, English available.

Message ids are English (the language of the code); ``resources/locale/<lang>/LC_MESSAGES/
safi_map.mo`` holds the translations, compiled with Babel from the ``.po`` catalogues by
``python scripts/translations.py`` (extract every ``_()``, ``ngettext()`` and ``N_()`` of the
package, update the ``.po``, compile the ``.mo``; see docs/ARCHITECTURE.md). The language is
chosen once per process by :func:`set_language` (the CLI calls it from ``--lang`` or
``LC_ALL``/``LC_MESSAGES``/``LANG``); library code only calls :func:`_` or :func:`ngettext` when
it builds a message, so the message is in the language in force at that moment. Text needed
before a language is chosen (``--help`` strings in decorators) is marked with :func:`N_` and
translated with :func:`_` when it is shown.
"""

from __future__ import annotations

import gettext as _gettext
import os
from importlib import resources

DOMAIN = "safi_map"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"

_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_language = "en"


def _localedir() -> str:
    return str(resources.files("safi_map") / "resources" / "locale")


def language_from_environment() -> str:
    """The language asked for by ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` (French when unset)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "").strip()
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            code = value.split("_")[0].split(".")[0].lower()
            return code if code in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


def set_language(language: str | None = None) -> str:
    """Use ``language`` ("fr" or "en"; None: from the environment) for the messages built from now on."""
    global _translation, _language
    lang = (language or language_from_environment()).lower()
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {language!r} (choose one of {', '.join(LANGUAGES)})")
    if lang == "en":
        _translation = _gettext.NullTranslations()
    else:
        _translation = _gettext.translation(DOMAIN, _localedir(), languages=[lang], fallback=True)
    _language = lang
    return lang


def current_language() -> str:
    return _language


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it now (it is translated later,
    with :func:`_`, when it is shown)."""
    return message


def _(message: str) -> str:
    """``message`` (an English message id) in the current language."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return _translation.ngettext(singular, plural, n)

"""Click's own messages that a coordinator meets, marked for our catalogue.

Click builds "Usage:", "Error: …" and its usage errors with ``gettext``; ``_cli_base`` points
click's ``_`` at our catalogue, so these message ids (click's, verbatim) must be in it. Never
imported: ``scripts/translations.py`` only reads it.
"""

from __future__ import annotations

from safi_map.core.i18n import N_, ngettext

MESSAGES = (
    N_("Usage:"), N_("Options"), N_("Commands"), N_("Show this message and exit."),
    N_("Show the version and exit."), N_("%(prog)s, version %(version)s"), N_("Aborted!"),
    N_("Error: {message}"), N_("Try '{command} {option}' for help."),
    N_("Invalid value: {message}"), N_("Invalid value for {param_hint}: {message}"),
    N_("Missing argument"), N_("Missing option"), N_("Missing parameter"),
    N_("Missing {param_type}"), N_("Missing parameter: {param_name}"), N_("Missing command."),
    N_("No such option {name!r}."), N_("No such command {name!r}."),
    N_("Option {name!r} does not take a value."), N_("Argument {name!r} takes {nargs} values."),
    N_("Could not open file {filename!r}: {message}"), N_("unknown error"),
    N_("default: {default}"), N_("env var: {var}"), N_("(dynamic)"), N_("deprecated"),
    N_("Choose from:\n\t{choices}"), N_("Choice({choices})"),
    N_("{value!r} is not a valid {number_type}."), N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("file"), N_("directory"), N_("path"),
    N_("{name} {filename!r} does not exist."), N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."), N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."), N_("{name} {filename!r} is not executable."),
)


def _plurals() -> None:
    """Never called: the extractor reads these calls (click's plural messages)."""
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})",
             1)
    ngettext("Option {name!r} requires an argument.",
             "Option {name!r} requires {nargs} arguments.", 1)
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    ngettext("{value!r} does not match the format {format}.",
             "{value!r} does not match the formats {formats}.", 1)
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)

"""Update the French catalogue from the code: extract, merge, compile (one command).

    python scripts/translations.py          # after adding or changing _() messages
    python scripts/translations.py --check  # exit 1 if the catalogue is out of date

It extracts every ``_()``, ``ngettext()`` and ``N_()`` message of ``safi_map/`` (as configured
in ``babel.cfg``), merges them into ``safi_map/resources/locale/fr/LC_MESSAGES/safi_map.po``
(new messages get an empty translation, messages no longer in the code are dropped, a changed
message keeps its old translation marked ``fuzzy`` for review), and compiles the ``.mo`` next to
it. Then translate the empty and fuzzy entries of the ``.po`` (remove the ``#, fuzzy`` line once
reviewed) and run the command again to compile. ``tests/test_i18n.py`` names what is left.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "safi_map" / "resources" / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "safi_map.po"
MO = PO.with_suffix(".mo")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # fixed dates: the files change only with messages


def extract() -> Catalog:
    """Every message of the package's code, as a template catalogue."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    template = Catalog(project="safi-map", creation_date=EPOCH, charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
            strip_comment_tags=True):
        template.add(message, None, [(filename, lineno)], auto_comments=comments,
                     context=context)
    return template


def merged() -> Catalog:
    """The French catalogue updated with the code's messages."""
    if PO.is_file():
        with PO.open("rb") as f:
            catalog = read_po(f, locale="fr")
    else:
        catalog = Catalog(locale="fr", project="safi-map", creation_date=EPOCH)
    catalog.update(extract(), no_fuzzy_matching=False)
    catalog.obsolete.clear()
    catalog.fuzzy = False  # the header: a fuzzy header is left out of the .mo
    catalog._num_plurals, catalog._plural_expr = 2, "(n > 1)"  # French: 0 and 1 are singular
    catalog.header_comment = ("# French messages of safi-map (the coordinator's terminal).\n"
                              "# Update with: python scripts/translations.py")
    catalog.creation_date = catalog.revision_date = EPOCH
    catalog.project, catalog.version = "safi-map", ""
    catalog.language_team = "safi-map <https://github.com/>"  # no person's address
    catalog.last_translator = "safi-map"
    return catalog


def po_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=100, sort_output=True, no_location=True, omit_header=False,
             include_previous=False)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only say whether the .po and .mo are up to date")
    args = parser.parse_args(argv)
    catalog = merged()
    po = po_bytes(catalog)
    with io.BytesIO(po) as f:
        mo = mo_bytes(read_po(f, locale="fr"))
    missing = [m.id for m in catalog if m.id and (m.fuzzy or not m.string or
                                                    (isinstance(m.string, tuple) and
                                                     not all(m.string)))]
    if args.check:
        stale = not PO.is_file() or PO.read_bytes() != po or not MO.is_file() or \
            MO.read_bytes() != mo
        if stale:
            print(f"{PO.relative_to(ROOT)} or its .mo is out of date: run "
                  "python scripts/translations.py", file=sys.stderr)
        return 1 if stale or missing else 0
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_bytes(po)
    MO.write_bytes(mo)
    print(f"{len(catalog)} messages, {len(missing)} to translate in {PO.relative_to(ROOT)}")
    for msgid in missing[:20]:
        print(f"  {msgid!r}" if isinstance(msgid, str) else f"  {msgid[0]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

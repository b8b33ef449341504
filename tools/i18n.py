"""Refresh the message catalogs from the source.

    .venv/bin/python tools/i18n.py          # extract, then merge into zh_CN and en

New strings arrive in both ``.po`` files with an empty translation, which
``tests/test_catalogs.py`` rejects until someone translates them; strings that
left the source are dropped. Translations already there are kept.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.core.i18n import DOMAIN, LANGUAGES, po_path  # noqa: E402

KEYWORDS = {"_": None, "N_": None}
PACKAGES = ("bot", "handlers", "storage")
#: Data files whose texts are message ids: the file, its array of tables, and the keys
#: of each table that are not (ids and such).
DATA_FILES = (("handlers/data/steps.toml", "step", {"id", "audience"}),)
DATA_NOTE = (
    "TRANSLATORS: {date} is a date, or a date followed by 'at the latest'; "
    "{days} is a number of days."
)


def data_messages() -> list[tuple[str, str, int]]:
    """(message, file, line) for every text of the data files."""
    found = []
    for name, array, skip in DATA_FILES:
        source = (ROOT / name).read_text("utf-8")
        lines = source.splitlines()
        for table in tomllib.loads(source)[array]:
            for key, message in table.items():
                if key in skip:
                    continue
                line = next(
                    (n for n, text in enumerate(lines, 1) if text.startswith(f"{key} = ")
                     and tomllib.loads(text).get(key) == message),
                    0,
                )  # fmt: skip
                found.append((message, name, line))
    return found


def template() -> Catalog:
    catalog = Catalog(domain=DOMAIN, project="candibot")
    for package in PACKAGES:
        for filename, lineno, message, comments, context in extract_from_dir(
            ROOT / package, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(
                message,
                None,
                [(f"{package}/{filename}", lineno)],
                auto_comments=comments,
                context=context,
            )
    for message, name, line in data_messages():
        notes = [DATA_NOTE] if "{" in message else []
        catalog.add(message, None, [(name, line)], auto_comments=notes)
    return catalog


def main() -> None:
    source = template()
    for language in LANGUAGES:
        path = po_path(language)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=language, domain=DOMAIN)
        else:
            catalog = Catalog(locale=language, domain=DOMAIN, project="candibot")
        catalog.update(source, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, sort_output=False, omit_header=False)
        missing = [m.id for m in catalog if m.id and not m.string]
        print(f"{language}: {len(catalog)} messages, {len(missing)} untranslated")


if __name__ == "__main__":
    main()

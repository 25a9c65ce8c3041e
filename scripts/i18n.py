"""Extract translatable strings and add the missing ones to every locale's .po file.

Usage: python scripts/i18n.py check     # list messages missing a translation (exit 1 if any)
       python scripts/i18n.py update D  # append missing ids to locales/*/LC_MESSAGES/D.po
                                        # (en gets the id itself, zh_Hans an empty msgstr to fill in)
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans", "en")
KEYWORDS = {"_": None, "N_": None, "tr": None, "gettext": None, "ngettext": (1, 2)}
METHOD_MAP = [("**.py", "python")]


def extracted() -> dict[str, tuple[str, int]]:
    """msgid -> first place it is used (plural forms keyed by the singular)."""
    found: dict[str, tuple[str, int]] = {}
    for package in ("bot", "handlers"):
        for filename, lineno, message, _comments, _ctx in extract_from_dir(
            ROOT / package, METHOD_MAP, keywords=KEYWORDS
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, (f"{package}/{filename}", lineno))
    return found


def translated(locale: str) -> dict[str, object]:
    out: dict[str, object] = {}
    for path in sorted((ROOT / "locales" / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh):
                if m.id:
                    key = m.id[0] if isinstance(m.id, tuple) else m.id
                    ok = all(m.string) if isinstance(m.string, tuple) else bool(m.string)
                    if ok and not m.fuzzy:
                        out[key] = m.string
    return out


def conflicts(locale: str) -> dict[str, set[str]]:
    """Message ids two .po files of one locale translate differently (the catalogue would keep one)."""
    seen: dict[str, dict[object, str]] = {}
    for path in sorted((ROOT / "locales" / locale / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh):
                if m.id and not m.fuzzy:
                    key = m.id[0] if isinstance(m.id, tuple) else m.id
                    seen.setdefault(key, {}).setdefault(m.string, path.name)
    return {key: set(by.values()) for key, by in seen.items() if len(by) > 1}


def missing() -> dict[str, list[str]]:
    ids = extracted()
    return {loc: sorted(set(ids) - set(translated(loc))) for loc in LOCALES}


def update(domain: str) -> None:
    ids = extracted()
    for loc in LOCALES:
        path = ROOT / "locales" / loc / "LC_MESSAGES" / f"{domain}.po"
        path.parent.mkdir(parents=True, exist_ok=True)
        have = translated(loc)
        if path.exists():
            with path.open("rb") as fh:
                catalog = read_po(fh)
        else:
            catalog = Catalog(locale=loc.replace("zh_Hans", "zh_Hans_CN"), project="liaison")
        present = {m.id for m in catalog if m.id}
        for msgid, (where, line) in ids.items():
            if msgid not in have and msgid not in present:
                # Message ids are English, so the en entry starts as the id itself.
                catalog.add(msgid, msgid if loc == "en" else "", locations=[(where, line)])
        with path.open("wb") as fh:
            write_po(fh, catalog, width=0, omit_header=False, sort_output=False)


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "update":
        update(sys.argv[2] if len(sys.argv) > 2 else "core")
    gaps = missing()
    for loc, ids in gaps.items():
        for msgid in ids:
            print(f"{loc}: missing {msgid!r}")
    sys.exit(1 if any(gaps.values()) else 0)

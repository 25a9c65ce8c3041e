"""Fill zh_Hans translations from a JSON object {msgid: msgstr}: python scripts/po_fill.py DOMAIN FILE.json"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    domain, source = sys.argv[1], Path(sys.argv[2])
    table: dict[str, str] = json.loads(source.read_text(encoding="utf-8"))
    path = ROOT / "locales" / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for msgid, msgstr in table.items():
        if msgid in catalog:
            catalog[msgid].string = msgstr
        else:
            catalog.add(msgid, msgstr)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0)

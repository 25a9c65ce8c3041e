"""The contact network (四联系) that staff keep in spreadsheets: read, check, write and export it.

This package owns the import format (eight sections — stations, committees, deputies, groups,
contacts, constituents, units, sessions — documented in `examples/README.md`) and the way a file
becomes rows:
- `schema`: the rows as pydantic models, the per-row check, phone normalisation;
- `sources`: the readers (one YAML file, a folder of CSV sheets, an .xlsx workbook) and the size cap;
- `checks`: pure checks of the whole file against itself and the database, and contact-link tiers;
- `writer`: `import_network`, all or nothing, in one transaction, by code (the rows are written by
  storage's `network_writer`);
- `entities`: the network's stored records under the domain's name (for handlers and views);
- `export`: the import format back out of storage and its YAML text;
- `counts`: the figures staff check after an import, each with its definition, and their table;
- `calendar`: the sessions calendar (届次/会议) suggestions are numbered by, and its table;
- `categories`: the category codes opinions, committees, fields and units' 归口 share;
- `units`: handling units (承办单位) for the services — kind labels, `units_for_category` (归口).

It does not own the graph's queries at run time (routing, escalation): those are `NetworkRepo`'s.
The rest of the code uses only the names below.
"""

from pathlib import Path

from bot.network.calendar import render_calendar, session_calendar
from bot.network.checks import derive_tier
from bot.network.counts import DEFINITIONS, network_counts, render_counts
from bot.network.export import dump_yaml, export_network
from bot.network.schema import SECTIONS, NetworkFileError, normalise_phone
from bot.network.sources import DEFAULT_MAX_BYTES, read_source
from bot.network.units import units_for_category
from bot.network.writer import ImportSummary, import_network

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFINITIONS",
    "EXAMPLE_NETWORK",
    "SECTIONS",
    "ImportSummary",
    "NetworkFileError",
    "derive_tier",
    "dump_yaml",
    "export_network",
    "import_network",
    "network_counts",
    "normalise_phone",
    "read_source",
    "render_calendar",
    "render_counts",
    "session_calendar",
    "units_for_category",
]

EXAMPLE_NETWORK = Path(__file__).resolve().parent.parent / "data" / "network.yaml"
"""The fictional example network shipped with the package (the demo loads it)."""

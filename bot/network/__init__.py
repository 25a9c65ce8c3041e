"""The contact network (四联系) as staff keep it in spreadsheets: read, check, write, export."""

from bot.network.writer import *  # noqa: F403 - the module is split up in the next commit
from bot.network.writer import DEFAULT_MAX_BYTES, derive_tier  # noqa: F401

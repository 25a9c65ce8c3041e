"""What the staff console shows and does, as one object: `ConsoleService` joins the page families'
reads (`bot.console.reads`) and the opinion write (`bot.console.reassign`; the suggestions' 交办 actions
are `bot.console.assignment`). No aiohttp.

Pages that need one family use its class directly; this is for callers (the tests, a shell) that want
the whole console's reads at hand. The names the pages and tests import are re-exported here.
"""

from __future__ import annotations

from bot.console.reads.audit import AuditReads, AuditRow
from bot.console.reads.base import EXPORT_LIMIT, Page, clean_query, page_number, parse_id
from bot.console.reads.broadcasts import BroadcastReads, BroadcastRow, Undelivered
from bot.console.reads.dashboard import Dashboard, DashboardReads
from bot.console.reads.network import NetworkContact, NetworkDeputy, NetworkReads, NetworkStation
from bot.console.reads.opinions import TRIAGE, Detail, OpinionFilter, OpinionReads, OpinionRow, TimelineStep
from bot.console.reads.suggestions import SuggestionFilter, SuggestionReads, SuggestionRow
from bot.console.reassign import Reassignment

__all__ = [
    "EXPORT_LIMIT",
    "TRIAGE",
    "AuditRow",
    "BroadcastRow",
    "ConsoleService",
    "Dashboard",
    "Detail",
    "NetworkContact",
    "NetworkDeputy",
    "NetworkStation",
    "OpinionFilter",
    "OpinionRow",
    "Page",
    "SuggestionFilter",
    "SuggestionRow",
    "TimelineStep",
    "Undelivered",
    "clean_query",
    "page_number",
    "parse_id",
]


class ConsoleService(
    DashboardReads, OpinionReads, SuggestionReads, NetworkReads, BroadcastReads, AuditReads, Reassignment
):
    """The console's queries and its one action, inside the caller's unit of work.

    Args:
        uow: an entered unit of work; reads only, except `reassign` (the caller commits).
        settings: the zone and tracking prefix.
        policy: SLA windows for the colours.
        clock: the service clock (colours and deadlines are read against it).
    """

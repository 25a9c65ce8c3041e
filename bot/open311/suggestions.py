"""Deputies' suggestions as Open311 service requests: the second `RequestSource`.

A deputy's suggestion is a public act (提出 at a session or between sessions, answered by a government
unit), so every filed one is served — not one still being written or awaiting co-signers, nor one its
filer withdrew (`storage/repos/open311.py` holds that rule). What is published: its title and text, its
state and result class, the lead unit (an office) as `agency_responsible`, when it was filed, its last
ledger entry and, while the unit's clock runs, the end of its due day. Never a person: the filer's and
co-signers' names, officers' and members' names, and the senders of the opinions it was made from are
masked in the texts like everyone's phone.

Services: one per category, `suggestion.<category>`, named as the category under their own group
("Deputies' suggestions"), so a client lists them beside the opinions' and tells them apart.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.kit.i18n import N_
from bot.open311.opinions import KEYWORDS
from bot.open311.sources import PublicRecord, Query, ServiceType, Status
from bot.opinions.drafts import CATEGORIES
from bot.runtime.context import UnitOfWork
from bot.suggestions.lifecycle import STATE_LABELS
from bot.suggestions.results import RESULT_LABELS, ResultClass
from storage.models.suggestions import SuggestionState
from storage.repos.open311 import UNLISTED_SUGGESTION_STATES, PublicSuggestionRow

__all__ = ["CLOCK_STATES", "CLOSED_STATES", "PREFIX", "SuggestionSource", "service_code"]

GROUP = N_("Deputies' suggestions")
PREFIX = "suggestion."
S = SuggestionState
# 销号 (and a re-check concluded), or joined to another: closed. Everything else listed is still open.
CLOSED_STATES = frozenset({S.CLOSED, S.RECHECKED, S.MERGED})
OPEN_STATES = frozenset(
    s for s in SuggestionState if s not in CLOSED_STATES and s not in UNLISTED_SUGGESTION_STATES
)
# The unit's clock runs: its due day is what to expect.
CLOCK_STATES = frozenset({S.ASSIGNED, S.HANDLING, S.EXTENSION_REQUESTED, S.REASSIGN_REQUESTED, S.REHANDLING})
_NUMBER = re.compile(r"^S-\d{4}-\d{4,}$")


def service_code(category: str) -> str:
    return f"{PREFIX}{category}"


class SuggestionSource:
    """Filed suggestions; ids are their numbers `S-YYYY-NNNN`."""

    def __init__(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)

    def service_types(self) -> Sequence[ServiceType]:
        return [
            ServiceType(service_code(code), label, GROUP, KEYWORDS.get(code))
            for code, label in CATEGORIES.items()
        ]

    def owns(self, service_request_id: str) -> bool:
        return bool(_NUMBER.match(service_request_id))

    async def find(self, uow: UnitOfWork, query: Query) -> Sequence[PublicRecord]:
        if query.ids is not None:
            numbers = {i for i in query.ids if self.owns(i)}
            rows = await uow.open311.public_suggestions(numbers=numbers, limit=query.limit) if numbers else []
            return [self.record(row) for row in rows]
        states: set[str] | None = None
        if query.statuses is not None:
            states = set()
            if Status.OPEN in query.statuses:
                states |= {s.value for s in OPEN_STATES}
            if Status.CLOSED in query.statuses:
                states |= {s.value for s in CLOSED_STATES}
        categories = None
        if query.service_codes is not None:
            categories = {c.removeprefix(PREFIX) for c in query.service_codes if c.startswith(PREFIX)}
        rows = await uow.open311.public_suggestions(
            since=query.start, until=query.end, categories=categories, states=states, limit=query.limit
        )
        return [self.record(row) for row in rows]

    async def get(self, uow: UnitOfWork, service_request_id: str) -> PublicRecord | None:
        if not self.owns(service_request_id):
            return None
        row = await uow.open311.public_suggestion(service_request_id)
        return self.record(row) if row is not None else None

    def _due(self, day: date) -> datetime:
        """The end of the due day in the congress's zone (a unit answers by the end of that day)."""
        return datetime.combine(day, time(23, 59, 59), tzinfo=self.zone)

    def record(self, row: PublicSuggestionRow) -> PublicRecord:
        """The suggestion as Open311 shows it: title and text, state and result class, the lead unit."""
        state = SuggestionState(row.state)
        klass = ResultClass(row.result_class) if row.result_class in {c.value for c in ResultClass} else None
        running = state in CLOCK_STATES and row.due_on is not None
        return PublicRecord(
            service_request_id=row.number,
            service_code=service_code(row.category),
            status=Status.CLOSED if state in CLOSED_STATES else Status.OPEN,
            state_label=STATE_LABELS.get(state, row.state),
            description=f"{row.title}\n\n{row.text}",
            answer=None,
            agency=row.unit_name,
            requested_at=row.filed_at,
            updated_at=row.updated_at or row.filed_at,
            expected_at=self._due(row.due_on) if running and row.due_on is not None else None,
            latitude=None,
            longitude=None,
            people=row.people,
            result_label=RESULT_LABELS[klass] if klass is not None else None,
        )

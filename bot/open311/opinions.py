"""Constituents' opinions as Open311 service requests: the first `RequestSource`.

What is public follows the follower's view of an opinion (`OpinionViews.timeline_fitted`): only an
opinion its sender made public (never an anonymous one) is served at all, with its text and answer as
a follower of a public opinion reads them — but never the holder's name, which that view shows:
`agency_responsible` is the station, an office, not the deputy, a person.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.kit.i18n import N_
from bot.open311.sources import PublicRecord, Query, ServiceType, Status
from bot.opinions.drafts import CATEGORIES
from bot.opinions.entities import FINAL_STATES, OpinionState
from bot.opinions.sla import running_clock
from bot.opinions.views import STATE_LABELS
from bot.runtime.context import UnitOfWork
from storage.repos.open311 import PublicOpinionRow

__all__ = ["CLOSED_STATES", "OpinionSource"]

GROUP = N_("Constituents' opinions")
# category code -> message id of its keyword list (bot/opinions/category_guess.py), for `keywords`
KEYWORDS = {code: f"category keywords: {code}" for code in CATEGORIES if code != "other"}
# `answered` waits for the sender's verdict and may reopen, so only the final states are closed.
CLOSED_STATES = frozenset(FINAL_STATES)
OPEN_STATES = frozenset(OpinionState) - CLOSED_STATES


class OpinionSource:
    """Public opinions; ids are tracking numbers `PREFIX-YYYY-NNNNNN`."""

    def __init__(self, tracking_prefix: str) -> None:
        self._id = re.compile(rf"^{re.escape(tracking_prefix)}-\d{{4}}-\d{{6,}}$")

    def service_types(self) -> Sequence[ServiceType]:
        return [ServiceType(code, label, GROUP, KEYWORDS.get(code)) for code, label in CATEGORIES.items()]

    def owns(self, service_request_id: str) -> bool:
        return bool(self._id.match(service_request_id))

    async def find(self, uow: UnitOfWork, query: Query) -> Sequence[PublicRecord]:
        states: set[str] | None = None
        if query.statuses is not None:
            states = set()
            if Status.OPEN in query.statuses:
                states |= {s.value for s in OPEN_STATES}
            if Status.CLOSED in query.statuses:
                states |= {s.value for s in CLOSED_STATES}
        if query.ids is not None:
            ids = {i for i in query.ids if self.owns(i)}
            rows = await uow.open311.public_opinions(tracking_nos=ids, limit=query.limit) if ids else []
        else:
            rows = await uow.open311.public_opinions(
                since=query.start,
                until=query.end,
                categories=query.service_codes,
                states=states,
                limit=query.limit,
            )
        return [record(row) for row in rows]

    async def get(self, uow: UnitOfWork, service_request_id: str) -> PublicRecord | None:
        if not self.owns(service_request_id):
            return None
        row = await uow.open311.public_opinion(service_request_id)
        return record(row) if row is not None else None


def record(row: PublicOpinionRow) -> PublicRecord:
    """The opinion as Open311 shows it; the running deadline (accept, then answer) is the expectation."""
    state = OpinionState(row.state)
    running = running_clock(state, row.accept_deadline, row.answer_deadline)
    return PublicRecord(
        service_request_id=row.tracking_no,
        service_code=row.category,
        status=Status.CLOSED if state in CLOSED_STATES else Status.OPEN,
        state_label=STATE_LABELS.get(state, row.state),
        description=row.text,
        answer=row.answer_text,
        # In triage no station holds it yet: the congress office does.
        agency=None if row.in_triage else row.station_name,
        requested_at=row.created_at,
        updated_at=row.updated_at or row.created_at,
        expected_at=running[1] if running else None,
        latitude=row.latitude,
        longitude=row.longitude,
        people=row.people,
    )

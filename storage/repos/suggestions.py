"""Suggestions (代表建议): the rows, their ledger, their co-signers, and the last number of a series."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select

from storage.models.suggestions import (
    ContactVerdict,
    CosignerState,
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionCosigner,
    SuggestionEvent,
    SuggestionState,
    SuggestionUnitOpinion,
)
from storage.repos.base import Repo, due_for_warning


class SuggestionRepo(Repo):
    async def get(self, suggestion_id: int) -> Suggestion | None:
        return await self.session.get(Suggestion, suggestion_id)

    async def get_for_update(self, suggestion_id: int) -> Suggestion | None:
        """The row locked for this transaction on PostgreSQL, so two presses decide one after the other."""
        return await self.session.scalar(
            select(Suggestion).where(Suggestion.id == suggestion_id).with_for_update()
        )

    async def by_number(self, number: str) -> Suggestion | None:
        return await self.session.scalar(select(Suggestion).where(Suggestion.number == number))

    async def by_dialog_key(self, key: str) -> Suggestion | None:
        """The suggestion a dialog already stored, if any: a File pressed twice is one row."""
        return await self.session.scalar(select(Suggestion).where(Suggestion.dialog_key == key))

    async def add(self, suggestion: Suggestion) -> Suggestion:
        self.session.add(suggestion)
        await self.session.flush()
        return suggestion

    async def add_event(self, event: SuggestionEvent) -> None:
        self.session.add(event)

    async def events(self, suggestion_id: int) -> Sequence[SuggestionEvent]:
        """The ledger of one suggestion, oldest first."""
        rows = await self.session.scalars(
            select(SuggestionEvent)
            .where(SuggestionEvent.suggestion_id == suggestion_id)
            .order_by(SuggestionEvent.at, SuggestionEvent.id)
        )
        return rows.all()

    async def last_number(self, prefix: str) -> str | None:
        """The highest number issued under `prefix` (`S-2026-`), or None.

        Numbers grow a digit after 9999, so the longest then the greatest string is the highest.
        """
        return await self.session.scalar(
            select(Suggestion.number)
            .where(Suggestion.number.like(prefix + "%"))
            .order_by(func.length(Suggestion.number).desc(), Suggestion.number.desc())
            .limit(1)
        )

    async def by_filer(self, person_id: int, limit: int) -> Sequence[Suggestion]:
        """The deputy's own suggestions, newest first."""
        rows = await self.session.scalars(
            select(Suggestion)
            .where(Suggestion.filer_person_id == person_id)
            .order_by(Suggestion.created_at.desc(), Suggestion.id.desc())
            .limit(limit)
        )
        return rows.all()

    async def linking_opinion(self, filer_person_id: int, opinion_id: int) -> Suggestion | None:
        """The filer's suggestion (not withdrawn) made from this opinion, if any.

        Read in Python over the filer's own rows: JSON containment differs between SQLite and PostgreSQL,
        and one deputy files tens of suggestions, not thousands."""
        rows = await self.session.scalars(
            select(Suggestion).where(
                Suggestion.filer_person_id == filer_person_id,
                Suggestion.source_opinion_ids.is_not(None),
                Suggestion.state != SuggestionState.WITHDRAWN,
            )
        )
        return next((s for s in rows if opinion_id in (s.source_opinion_ids or [])), None)

    async def add_cosigner(self, cosigner: SuggestionCosigner) -> None:
        self.session.add(cosigner)

    async def cosigners(self, suggestion_id: int) -> Sequence[SuggestionCosigner]:
        rows = await self.session.scalars(
            select(SuggestionCosigner)
            .where(SuggestionCosigner.suggestion_id == suggestion_id)
            .order_by(SuggestionCosigner.id)
        )
        return rows.all()

    async def cosigner(self, suggestion_id: int, person_id: int) -> SuggestionCosigner | None:
        return await self.session.scalar(
            select(SuggestionCosigner).where(
                SuggestionCosigner.suggestion_id == suggestion_id, SuggestionCosigner.person_id == person_id
            )
        )

    async def pending_cosigners(self, suggestion_id: int) -> int:
        count = await self.session.scalar(
            select(func.count(SuggestionCosigner.id)).where(
                SuggestionCosigner.suggestion_id == suggestion_id,
                SuggestionCosigner.state == CosignerState.INVITED,
            )
        )
        return int(count or 0)

    async def in_states(self, states: Sequence[SuggestionState], limit: int = 50) -> Sequence[Suggestion]:
        """Suggestions in these states, oldest filed first (the staff queue, the 交办会 batch)."""
        rows = await self.session.scalars(
            select(Suggestion)
            .where(Suggestion.state.in_([s.value for s in states]))
            .order_by(Suggestion.filed_at, Suggestion.id)
            .limit(limit)
        )
        return rows.all()

    # -- 监督 supervision, 回头看 and the ledger (bot/suggestions/supervise.py, ledger.py) -------------------

    async def supervised(
        self, states: Collection[str], committee_ids: Collection[int] | None, limit: int
    ) -> Sequence[Suggestion]:
        """Suggestions in these states (of these committees; None: every one), the earliest due first."""
        stmt = select(Suggestion).where(Suggestion.state.in_(list(states)))
        if committee_ids is not None:
            stmt = stmt.where(Suggestion.committee_id.in_(list(committee_ids)))
        stmt = stmt.order_by(Suggestion.due_on.is_(None), Suggestion.due_on, Suggestion.id).limit(limit)
        return (await self.session.scalars(stmt)).all()

    async def rechecks_due(self, today: date, limit: int) -> Sequence[int]:
        """Ids of closed suggestions whose 回头看 day has come and that were never re-checked."""
        rows = await self.session.scalars(
            select(Suggestion.id)
            .where(
                Suggestion.state == SuggestionState.CLOSED.value,
                Suggestion.recheck_due_on <= today,
                Suggestion.rechecked_at.is_(None),
            )
            .order_by(Suggestion.recheck_due_on, Suggestion.id)
            .limit(limit)
        )
        return rows.all()

    async def last_event_of(self, suggestion_id: int, action: str) -> SuggestionEvent | None:
        return await self.session.scalar(
            select(SuggestionEvent)
            .where(SuggestionEvent.suggestion_id == suggestion_id, SuggestionEvent.action == action)
            .order_by(SuggestionEvent.at.desc(), SuggestionEvent.id.desc())
            .limit(1)
        )

    @staticmethod
    def _numbered(prefix: str | None) -> Select[tuple[int]]:
        """Ids of the numbered suggestions (filed at least once), of one series when `prefix` is given."""
        ids = select(Suggestion.id).where(Suggestion.number.is_not(None))
        return ids.where(Suggestion.number.like(prefix + "%")) if prefix else ids

    async def for_ledger(self, prefix: str | None = None) -> Sequence[Suggestion]:
        """Every numbered suggestion (of the series `S-2026-`, say), in number order."""
        rows = await self.session.scalars(
            select(Suggestion)
            .where(Suggestion.id.in_(self._numbered(prefix)))
            .order_by(func.length(Suggestion.number), Suggestion.number)
        )
        return rows.all()

    async def ledger_events(self, prefix: str | None = None) -> Sequence[SuggestionEvent]:
        """The ledger entries of those suggestions, each suggestion's oldest first."""
        rows = await self.session.scalars(
            select(SuggestionEvent)
            .where(SuggestionEvent.suggestion_id.in_(self._numbered(prefix)))
            .order_by(SuggestionEvent.suggestion_id, SuggestionEvent.at, SuggestionEvent.id)
        )
        return rows.all()

    async def confirmed_contacts(self, prefix: str | None = None) -> dict[int, int]:
        """三见面 contacts the deputy confirmed, per suggestion."""
        rows = await self.session.execute(
            select(SuggestionContact.suggestion_id, func.count(SuggestionContact.id))
            .where(
                SuggestionContact.suggestion_id.in_(self._numbered(prefix)),
                SuggestionContact.verdict == ContactVerdict.CONFIRMED.value,
            )
            .group_by(SuggestionContact.suggestion_id)
        )
        return {sid: int(n) for sid, n in rows.all()}

    # -- filing: merge targets, co-signers to remind ------------------------------------------------------

    async def merge_candidates(
        self, category: str, exclude_id: int, states: Sequence[SuggestionState], limit: int = 6
    ) -> Sequence[Suggestion]:
        """Numbered suggestions of this category another could be merged into, newest filed first."""
        rows = await self.session.scalars(
            select(Suggestion)
            .where(
                Suggestion.category == category,
                Suggestion.id != exclude_id,
                Suggestion.number.is_not(None),
                Suggestion.state.in_([s.value for s in states]),
            )
            .order_by(Suggestion.filed_at.desc(), Suggestion.id.desc())
            .limit(limit)
        )
        return rows.all()

    async def awaiting_reminder(self, invited_before: datetime, limit: int = 200) -> list[int]:
        """Ids of suggestions still awaiting co-signers, with someone invited before `invited_before`
        who has neither answered nor been reminded, oldest invitation first."""
        rows = await self.session.execute(
            select(SuggestionCosigner.suggestion_id, func.min(SuggestionCosigner.invited_at))
            .join(Suggestion, Suggestion.id == SuggestionCosigner.suggestion_id)
            .where(
                Suggestion.state == SuggestionState.COSIGNING.value,
                SuggestionCosigner.state == CosignerState.INVITED.value,
                SuggestionCosigner.reminded_at.is_(None),
                SuggestionCosigner.invited_at <= invited_before,
            )
            .group_by(SuggestionCosigner.suggestion_id)
            .order_by(func.min(SuggestionCosigner.invited_at), SuggestionCosigner.suggestion_id)
            .limit(limit)
        )
        return [int(sid) for sid, _ in rows.all()]

    # -- 办理 handling: 三见面 contacts, co-unit opinions, answers, the reminder sweep -----------------------

    async def add_contact(self, contact: SuggestionContact) -> SuggestionContact:
        self.session.add(contact)
        await self.session.flush()
        return contact

    async def contact(self, contact_id: int) -> SuggestionContact | None:
        return await self.session.get(SuggestionContact, contact_id)

    async def contacts(self, suggestion_id: int) -> Sequence[SuggestionContact]:
        """The 三见面 records of one suggestion, in the order they were recorded."""
        rows = await self.session.scalars(
            select(SuggestionContact)
            .where(SuggestionContact.suggestion_id == suggestion_id)
            .order_by(SuggestionContact.id)
        )
        return rows.all()

    async def add_unit_opinion(self, opinion: SuggestionUnitOpinion) -> SuggestionUnitOpinion:
        self.session.add(opinion)
        await self.session.flush()
        return opinion

    async def unit_opinions(self, suggestion_id: int) -> Sequence[SuggestionUnitOpinion]:
        """The co-units' opinions to the lead unit, oldest first."""
        rows = await self.session.scalars(
            select(SuggestionUnitOpinion)
            .where(SuggestionUnitOpinion.suggestion_id == suggestion_id)
            .order_by(SuggestionUnitOpinion.id)
        )
        return rows.all()

    async def add_answer(self, answer: SuggestionAnswer) -> SuggestionAnswer:
        self.session.add(answer)
        await self.session.flush()
        return answer

    async def answer(self, answer_id: int) -> SuggestionAnswer | None:
        return await self.session.get(SuggestionAnswer, answer_id)

    async def answers(self, suggestion_id: int) -> Sequence[SuggestionAnswer]:
        """The lead unit's answers, by round."""
        rows = await self.session.scalars(
            select(SuggestionAnswer)
            .where(SuggestionAnswer.suggestion_id == suggestion_id)
            .order_by(SuggestionAnswer.round)
        )
        return rows.all()

    async def due_for_warning(self, now: datetime, limit: int = 200) -> Sequence[Suggestion]:
        """Suggestions whose next reminder is due (`next_warning_at` is indexed), earliest first.

        Locked for this transaction, skipping rows another sweep holds (PostgreSQL), so two sweeps at
        once never warn one rung twice."""
        rows = await self.session.scalars(due_for_warning(Suggestion, Suggestion.next_warning_at, now, limit))
        return rows.all()

    async def of_units(
        self, unit_ids: Sequence[int], states: Sequence[SuggestionState], limit: int = 30
    ) -> Sequence[Suggestion]:
        """Suggestions in these states that these units lead or co-handle, the earliest due first.

        The lead unit is matched in SQL; co-units (a JSON list) in Python over the rows in these states
        that have any, as `linking_opinion` does."""
        wanted = set(unit_ids)
        if not wanted:
            return []
        rows = await self.session.scalars(
            select(Suggestion)
            .where(
                Suggestion.state.in_([s.value for s in states]),
                or_(Suggestion.lead_unit_id.in_(sorted(wanted)), Suggestion.co_unit_ids.is_not(None)),
            )
            .order_by(Suggestion.due_on, Suggestion.id)
        )
        found = [s for s in rows if s.lead_unit_id in wanted or wanted & set(s.co_unit_ids or ())]
        return found[:limit]

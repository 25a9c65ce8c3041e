"""Suggestions (代表建议): the rows, their ledger, their co-signers, and the last number of a series."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select

from storage.models.suggestions import (
    CosignerState,
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionCosigner,
    SuggestionEvent,
    SuggestionState,
    SuggestionUnitOpinion,
)
from storage.repos.base import Repo


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
        rows = await self.session.scalars(
            select(Suggestion)
            .where(Suggestion.next_warning_at.is_not(None), Suggestion.next_warning_at <= now)
            .order_by(Suggestion.next_warning_at, Suggestion.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
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

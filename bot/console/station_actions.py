"""The console's station actions: staff edit a station's profile, "六有" and rules, upload evidence,
assign inspectors, record an inspection, and confirm or reopen a rectification item.

Each goes through `bot.stations.upkeep.StationUpkeep` (a `StationService`) exactly as the chat does, so the rules, the
lifecycle, the history and the service's audit are the same; notices an outcome returns are queued with
`bot.stations.notices.deliver` in the request's unit of work (the chat gets them when it commits). What
the console adds is its own audit entry (`console.station.<action>`) beside the service's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.console.reads.base import Reads
from bot.stations import notices
from bot.stations.lifecycle import Action
from bot.stations.service import (
    FileDraft,
    InspectionDraft,
    InspectionOutcome,
    ItemOutcome,
    Notice,
)
from bot.stations.standards import STANDARD_RULES, Invalid, StandardItem
from bot.stations.upkeep import StationUpkeep
from storage.models import Person

__all__ = ["StationActions"]


class StationActions(Reads):
    """Staff's writes on a station's page (the caller commits)."""

    def _service(self) -> StationUpkeep:
        return StationUpkeep(self.uow, zone=self.settings.timezone)

    async def _tell(self, sent: Sequence[Notice]) -> int:
        return await notices.deliver(self.uow, sent, self.settings, self.policy, self.clock.now())

    async def save_profile(
        self,
        station_id: int,
        actor: Person,
        *,
        address: str,
        hours: dict[str, str],
        hours_note: str,
        point: tuple[float, float] | None,
    ) -> Invalid | None:
        done = await self._service().save_profile(
            station_id,
            actor,
            address=address,
            hours=hours,
            hours_note=hours_note,
            point=point,
            now=self.clock.now(),
        )
        await self._audit("profile", actor, station_id, allowed=done is None)
        return done

    async def save_standards(
        self, station_id: int, actor: Person, checklist: dict[StandardItem, tuple[bool, str]]
    ) -> Invalid | None:
        done = await self._service().save_standards(station_id, actor, checklist, self.clock.now())
        await self._audit("standards", actor, station_id, allowed=done is None)
        return done

    async def add_rule(self, station_id: int, actor: Person, title: str, body: str) -> Invalid | None:
        done = await self._service().add_rules(station_id, actor, [(title, body)], self.clock.now())
        await self._audit("rule", actor, station_id, allowed=done is None)
        return done

    async def add_standard_rules(self, station_id: int, actor: Person, tr: Any) -> Invalid | None:
        """The 13 usual rules, titled in the staff member's console language; texts to fill in."""
        rules = [(tr(title), "") for title in STANDARD_RULES]
        done = await self._service().add_rules(station_id, actor, rules, self.clock.now())
        await self._audit("standard_rules", actor, station_id, allowed=done is None)
        return done

    async def edit_rule(
        self, station_id: int, rule_id: int, actor: Person, title: str, body: str, *, remove: bool
    ) -> Invalid | bool | None:
        service = self._service()
        if remove:
            return await service.delete_rule(station_id, rule_id, actor)
        return await service.update_rule(station_id, rule_id, actor, title, body, self.clock.now())

    async def upload(
        self, station_id: int, actor: Person, item: StandardItem | None, file: FileDraft
    ) -> bool:
        kept = await self._service().add_evidence(station_id, item, actor, file, self.clock.now())
        await self._audit("upload", actor, station_id, allowed=kept is not None, size=len(file.data or b""))
        return kept is not None

    async def assign(self, station_id: int, person_id: int, actor: Person, *, remove: bool = False) -> bool:
        service = self._service()
        done = await (service.unassign if remove else service.assign)(station_id, person_id, actor)
        await self._audit(
            "unassign" if remove else "assign", actor, station_id, allowed=done, person=person_id
        )
        return done

    async def record_inspection(self, draft: InspectionDraft, actor: Person) -> InspectionOutcome:
        outcome = await self._service().record_inspection(draft, actor, self.clock.now())
        if outcome.ok:
            await self._tell(outcome.notices)
        await self._audit(
            "inspection",
            actor,
            draft.station_id,
            allowed=outcome.ok,
            problem=outcome.problem and outcome.problem.value,
        )
        return outcome

    async def act(
        self, station_id: int, item_id: int, action: Action, actor: Person, note: str
    ) -> ItemOutcome | None:
        """Confirm or reopen from the console, as staff (the lifecycle decides); None when the item is not
        this station's (the page's address was changed)."""
        found = await self.uow.stations.item(item_id)
        if found is None or found.station_id != station_id:
            return None
        outcome = await self._service().act(item_id, action, actor, self.clock.now(), note=note)
        if outcome.ok:
            await self._tell(outcome.notices)
        await self._audit(f"item.{action.value}", actor, station_id, allowed=outcome.ok, item=item_id)
        return outcome

    async def _audit(
        self, action: str, actor: Person, station_id: int, *, allowed: bool = True, **detail: Any
    ) -> None:
        await self.uow.audit.record(
            f"console.station.{action}",
            actor_telegram_id=actor.telegram_id,
            actor_person_id=actor.id,
            object_type="station",
            object_id=station_id,
            allowed=allowed,
            **detail,
        )

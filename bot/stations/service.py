"""Station standards and inspection: the rules, in one service that knows no Telegram types.

- **Who relates to a station**: its deputies (`deputy_station`), its inspectors (`station_inspector`:
  staff or committee members assigned by staff, 分片包抓) and staff. The profile is theirs to read;
  staff edit it and a deputy adds evidence (`bot.stations.upkeep`).
- **Inspections**: an inspector records one for a station assigned to them (staff in the console for
  any station, naming the inspector): kinds, day, findings, files, and the rectification items, each
  with a deadline after today and a responsible person — a deputy of the station or a staff member.
  Each responsible person is told (quiet hours apply).
- **Rectification items** move only through `lifecycle.decide` (`act`): report done with a note or a
  photo, confirm, reopen with a reason; every request is audited, a refusal with its reason; each step
  is written to the item's history. `remind_due` is the daily reminder, the day before the deadline.

Services return `Notice`s (who, which key, which item); `bot.stations.notices.deliver` renders them in
each recipient's language and queues them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.people.roles import is_staff
from bot.stations import lifecycle as lc
from bot.stations.lifecycle import Action, ActorKind, Audience, Refusal, RefusalReason, Transition
from bot.stations.records import (
    FileDraft,
    InspectionDraft,
    InspectionOutcome,
    InspectionProblem,
    ItemDraft,
    ItemOutcome,
    ItemView,
    Notice,
    ProfileView,
    Relation,
    StandardView,
    local_today,
    overdue,
)
from bot.stations.standards import (
    MAX_FINDINGS,
    MAX_ITEM_TEXT,
    MAX_ITEMS,
    MAX_NOTE,
    MAX_PHOTOS,
    InspectionKind,
    Invalid,
    StandardItem,
    check_due,
    check_held_on,
    clean_text,
)
from storage.models import Person, Role, Station
from storage.models.stations import (
    FileKind,
    Rectification,
    RectificationEvent,
    RectificationState,
    StationFile,
    StationInspection,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "FileDraft",
    "InspectionDraft",
    "InspectionOutcome",
    "InspectionProblem",
    "ItemDraft",
    "ItemOutcome",
    "ItemView",
    "Notice",
    "ProfileView",
    "Relation",
    "StandardView",
    "StationService",
    "local_today",
    "overdue",
]


class StationService:
    """The station domain inside the caller's unit of work (which commits).

    Args:
        uow: an entered unit of work.
        zone: the congress's zone (local days for deadlines and reminders).
    """

    def __init__(self, uow: UnitOfWork, *, zone: ZoneInfo | str) -> None:
        self.uow = uow
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)

    # -- relations --------------------------------------------------------------------------------------

    async def relations(self, person: Person, station_id: int) -> frozenset[Relation]:
        found: set[Relation] = set()
        if is_staff(person):
            found.add(Relation.STAFF)
        if person.deputy is not None and await self.uow.stations.is_deputy_at(person.id, station_id):
            found.add(Relation.DEPUTY)
        if await self.uow.stations.is_inspector(person.id, station_id):
            found.add(Relation.INSPECTOR)
        return frozenset(found)

    async def stations_for(self, person: Person) -> list[Station]:
        """The stations a person sees with /station: their own as a deputy, then those they inspect."""
        own = list(await self.uow.stations.stations_of_deputy_person(person.id)) if person.deputy else []
        seen = {s.id for s in own}
        inspected = [s for s in await self.uow.stations.stations_inspected_by(person.id) if s.id not in seen]
        return own + inspected

    async def station(self, station_id: int) -> Station | None:
        return await self.uow.stations.station(station_id)

    async def names(self, person_ids: Iterable[int | None]) -> dict[int, str]:
        return await self.uow.stations.person_names(person_ids)

    async def by_code(self, code: str) -> Station | None:
        return await self.uow.network.station_by_code(code.strip()[:32])

    async def inspected_by(self, person_id: int) -> list[Station]:
        return list(await self.uow.stations.stations_inspected_by(person_id))

    async def may_inspect(self, person: Person) -> bool:
        """Whom staff may assign as an inspector: staff, standing-committee members, special-committee
        members."""
        if is_staff(person) or person.role_set & {Role.COMMITTEE_MEMBER, Role.PRESIDIUM}:
            return True
        return await self.uow.stations.sits_on_a_committee(person.id)

    async def _item_kinds(self, item: Rectification, person: Person) -> frozenset[ActorKind]:
        kinds: set[ActorKind] = set()
        if item.responsible_person_id == person.id:
            kinds.add(ActorKind.RESPONSIBLE)
        if await self.uow.stations.is_inspector(person.id, item.station_id):
            kinds.add(ActorKind.INSPECTOR)
        if is_staff(person):
            kinds.add(ActorKind.STAFF)
        return frozenset(kinds)

    # -- reading ----------------------------------------------------------------------------------------

    async def view(self, station_id: int, person: Person, today: date) -> ProfileView | None:
        """The station as `person` sees it, or None when it does not exist or they have no relation."""
        station = await self.uow.stations.station(station_id)
        if station is None:
            return None
        relations = await self.relations(person, station_id)
        if not relations:
            return None
        repo = self.uow.stations
        standards = await repo.standards(station_id)
        counts = await repo.evidence_counts(station_id)
        items = list(await repo.items(station_id))
        names = await repo.person_names(i.responsible_person_id for i in items)
        # The station's relations hold for every item; only "responsible" differs from one to the next.
        shared = {ActorKind.INSPECTOR} if Relation.INSPECTOR in relations else set()
        shared |= {ActorKind.STAFF} if Relation.STAFF in relations else set()
        kinds = {
            i.id: frozenset(
                shared | ({ActorKind.RESPONSIBLE} if i.responsible_person_id == person.id else set())
            )
            for i in items
        }
        return ProfileView(
            station,
            await repo.profile(station_id),
            list(await repo.rules(station_id)),
            [
                StandardView(
                    item,
                    bool(standards[item].met) if item in standards else False,
                    standards[item].note if item in standards else None,
                    counts.get(item, 0),
                )
                for item in StandardItem
            ],
            [p.name for p in await repo.inspectors(station_id)],
            [
                ItemView(
                    i,
                    names.get(i.responsible_person_id or 0, "—"),
                    overdue(i, today),
                    tuple(lc.allowed_actions(i.state, kinds[i.id])),
                )
                for i in items
            ],
            relations,
            today,
        )

    async def item_view(self, item_id: int, person: Person, today: date) -> ItemView | None:
        item = await self.uow.stations.item(item_id)
        if item is None:
            return None
        names = await self.uow.stations.person_names([item.responsible_person_id])
        kinds = await self._item_kinds(item, person)
        actions = tuple(lc.allowed_actions(item.state, kinds))
        return ItemView(item, names.get(item.responsible_person_id or 0, "—"), overdue(item, today), actions)

    async def responsible_choices(self, station_id: int, inspector: Person) -> list[Person]:
        """Whom an item may name in chat: the station's deputies, and the inspector when staff."""
        people = list(await self.uow.stations.deputies_at(station_id))
        if is_staff(inspector) and all(p.id != inspector.id for p in people):
            people.append(inspector)
        return people

    async def responsible_ok(self, station_id: int, person_id: int) -> bool:
        """A responsible person: a deputy of the station or a staff member."""
        person = await self.uow.people.get(person_id)
        if person is None:
            return False
        return is_staff(person) or await self.uow.stations.is_deputy_at(person_id, station_id)

    # -- inspections ----------------------------------------------------------------------------------

    async def record_inspection(
        self, draft: InspectionDraft, actor: Person, now: datetime
    ) -> InspectionOutcome:
        """Store an inspection with its files and rectification items (all or nothing), tell each
        responsible person; a form saved twice (`dialog_key`) returns the first one."""
        if draft.dialog_key is not None:
            kept = await self.uow.stations.inspection_by_key(draft.dialog_key)
            if kept is not None:
                return InspectionOutcome(kept, list(await self.uow.stations.items_of_inspection(kept.id)))
        problem = await self._inspection_problem(draft, actor, local_today(now, self.zone))
        if problem is not None:
            await self._audit(
                "station.inspection",
                actor,
                "station",
                draft.station_id,
                allowed=False,
                reason=problem.problem,
            )
            return problem
        inspection = await self.uow.stations.add_inspection(
            StationInspection(
                station_id=draft.station_id,
                inspector_person_id=draft.inspector_person_id,
                held_on=draft.held_on,
                kinds=[InspectionKind(k).value for k in dict.fromkeys(draft.kinds)],
                findings=draft.findings.replace("\x00", "").strip(),
                source=draft.source,
                recorded_by_person_id=actor.id,
                created_at=now,
                dialog_key=draft.dialog_key,
            )
        )
        items = [
            Rectification(
                inspection_id=inspection.id,
                station_id=draft.station_id,
                text=i.text.replace("\x00", "").strip(),
                due_on=i.due_on,
                responsible_person_id=i.responsible_person_id,
                state=RectificationState.OPEN.value,
                created_at=now,
            )
            for i in draft.items
        ]
        await self.uow.stations.add_items(items)
        for f in draft.files:
            await self._keep_file(draft.station_id, f, actor, now, inspection_id=inspection.id)
        await self._audit(
            "station.inspection", actor, "station", draft.station_id,
            inspection=inspection.id, items=len(items), files=len(draft.files), source=draft.source,
        )  # fmt: skip
        notices = [
            Notice(i.responsible_person_id, "rectification.assigned", i.id)
            for i in items
            if i.responsible_person_id is not None and i.responsible_person_id != actor.id
        ]
        return InspectionOutcome(inspection, items, notices)

    async def _inspection_problem(
        self, draft: InspectionDraft, actor: Person, today: date
    ) -> InspectionOutcome | None:
        P = InspectionProblem
        if await self.uow.stations.station(draft.station_id) is None:
            return InspectionOutcome(problem=P.NOT_FOUND)
        assigned = await self.uow.stations.is_inspector(draft.inspector_person_id, draft.station_id)
        by_staff = draft.source == "console" and is_staff(actor)
        if not assigned and not (by_staff and draft.inspector_person_id == actor.id):
            return InspectionOutcome(problem=P.NOT_INSPECTOR)
        if not by_staff and draft.inspector_person_id != actor.id:
            return InspectionOutcome(problem=P.NOT_INSPECTOR)
        if not draft.kinds or any(k not in tuple(InspectionKind) for k in draft.kinds):
            return InspectionOutcome(problem=P.NO_KIND)
        day = check_held_on(draft.held_on, today)
        if isinstance(day, Invalid):
            return InspectionOutcome(problem=P.DAY, invalid=day)
        findings = clean_text(draft.findings, MAX_FINDINGS)
        if isinstance(findings, Invalid):
            return InspectionOutcome(problem=P.FINDINGS, invalid=findings)
        if len(draft.items) > MAX_ITEMS or len(draft.files) > MAX_PHOTOS:
            return InspectionOutcome(problem=P.TOO_MANY)
        for index, item in enumerate(draft.items, start=1):
            text = clean_text(item.text, MAX_ITEM_TEXT)
            if isinstance(text, Invalid):
                return InspectionOutcome(problem=P.ITEM_TEXT, invalid=text, index=index)
            due = check_due(item.due_on, today)
            if isinstance(due, Invalid):
                return InspectionOutcome(problem=P.ITEM_DUE, invalid=due, index=index)
            if not await self.responsible_ok(draft.station_id, item.responsible_person_id):
                return InspectionOutcome(problem=P.RESPONSIBLE, index=index)
        return None

    # -- rectification items ---------------------------------------------------------------------------

    async def check(self, item_id: int, action: Action | str, actor: Person) -> Refusal | None:
        """Whether `actor` may ask for `action` on the item now (guards aside): before a dialog opens
        for the note or the reason. A refusal is audited."""
        item = await self.uow.stations.item(item_id)
        if item is None:
            refusal = Refusal(RefusalReason.NOT_FOUND)
        else:
            verdict = lc.decide(item.state, action, await self._item_kinds(item, actor))
            refusal = verdict if isinstance(verdict, Refusal) else None
            if refusal is not None and refusal.reason in (
                RefusalReason.EVIDENCE_REQUIRED,
                RefusalReason.REASON_REQUIRED,
            ):
                refusal = None  # the dialog asks for exactly that
        if refusal is not None:
            await self._audit(
                f"rectification.{action}", actor, "rectification", item_id,
                allowed=False, reason=refusal.reason.value, detail=refusal.detail, stage="press",
            )  # fmt: skip
        return refusal

    async def act(
        self,
        item_id: int,
        action: Action | str,
        actor: Person,
        now: datetime,
        *,
        note: str = "",
        files: Sequence[FileDraft] = (),
    ) -> ItemOutcome:
        """Report, confirm or reopen an item through the lifecycle; audited either way.

        Args:
            item_id: the item (untrusted: from callback data or a form).
            action: report, confirm or reopen.
            actor: who asks; their relation to the item is looked up here.
            now: the service clock's time.
            note: a report's note, or a reopening's reason.
            files: photos or documents sent with a report.
        """
        item = await self.uow.stations.item(item_id, lock=True)
        if item is None:
            return await self._refused(item_id, action, actor, Refusal(RefusalReason.NOT_FOUND))
        cleaned = clean_text(note, MAX_NOTE, required=False)
        if isinstance(cleaned, Invalid):
            await self._audit(
                f"rectification.{action}", actor, "rectification", item_id, allowed=False, reason="too_long"
            )
            return ItemOutcome(item, invalid=cleaned)
        text = cleaned or ""
        details = lc.Details(text, len(files))
        verdict = lc.decide(item.state, action, await self._item_kinds(item, actor), details=details)
        if isinstance(verdict, Refusal):
            return await self._refused(item_id, action, actor, verdict, item)
        self._apply(item, verdict, text, now)
        for f in files[:MAX_PHOTOS]:
            await self._keep_file(item.station_id, f, actor, now, rectification_id=item.id)
        await self.uow.stations.add_event(
            RectificationEvent(
                rectification_id=item.id,
                at=now,
                action=verdict.action.value,
                from_state=verdict.source.value,
                to_state=verdict.target.value,
                actor_kind=verdict.actor.value,
                actor_person_id=actor.id,
                note=text or None,
            )
        )
        await self._audit(
            f"rectification.{verdict.action}", actor, "rectification", item.id,
            by=verdict.actor.value, to=verdict.target.value, files=len(files),
        )  # fmt: skip
        notices = await self._notices(item, verdict, exclude=actor.id)
        return ItemOutcome(item, verdict, notices=notices)

    @staticmethod
    def _apply(item: Rectification, verdict: Transition, text: str, now: datetime) -> None:
        item.state = verdict.target.value
        if verdict.action is Action.REPORT:
            item.reported_at, item.report_note = now, text or None
        elif verdict.action is Action.CONFIRM:
            item.confirmed_at = now
        elif verdict.action is Action.REOPEN:
            item.reopened_at, item.reopen_reason = now, text

    async def _refused(
        self,
        item_id: int,
        action: Action | str,
        actor: Person,
        refusal: Refusal,
        item: Rectification | None = None,
    ) -> ItemOutcome:
        await self._audit(
            f"rectification.{str(action)[:32]}", actor, "rectification", item_id,
            allowed=False, reason=refusal.reason.value, detail=refusal.detail,
        )  # fmt: skip
        return ItemOutcome(item, refusal=refusal)

    async def _notices(
        self, item: Rectification, verdict: Transition, *, exclude: int | None
    ) -> list[Notice]:
        out: list[Notice] = []
        for notice in verdict.notifies:
            for person_id in await self._audience(item, notice.audience):
                if person_id != exclude and all(n.recipient_person_id != person_id for n in out):
                    out.append(Notice(person_id, notice.key, item.id, notice.urgent))
        return out

    async def _audience(self, item: Rectification, audience: Audience) -> list[int]:
        if audience is Audience.RESPONSIBLE:
            return [item.responsible_person_id] if item.responsible_person_id is not None else []
        inspection = await self.uow.stations.inspection(item.inspection_id)
        first = [inspection.inspector_person_id] if inspection and inspection.inspector_person_id else []
        return list(dict.fromkeys([*first, *await self.uow.stations.inspector_ids(item.station_id)]))

    async def remind_due(self, now: datetime) -> list[Notice]:
        """The day before an item's deadline (or on the day, when the bot was down the day before) its
        responsible person is reminded once per due day; an item whose due day changes is reminded again."""
        today = local_today(now, self.zone)
        notices: list[Notice] = []
        for item in await self.uow.stations.due_for_reminder(today):
            verdict = lc.decide(item.state, Action.REMIND, ActorKind.SYSTEM)
            if isinstance(verdict, Refusal):  # pragma: no cover - the query selects open items only
                continue
            item.reminded_for = item.due_on
            await self.uow.stations.add_event(
                RectificationEvent(
                    rectification_id=item.id,
                    at=now,
                    action=Action.REMIND.value,
                    from_state=item.state,
                    to_state=item.state,
                    actor_kind=ActorKind.SYSTEM.value,
                )
            )
            notices += await self._notices(item, verdict, exclude=None)
        return notices

    async def _keep_file(
        self,
        station_id: int,
        file: FileDraft,
        actor: Person,
        now: datetime,
        *,
        standard_item: StandardItem | None = None,
        inspection_id: int | None = None,
        rectification_id: int | None = None,
    ) -> StationFile:
        caption = clean_text(file.caption, MAX_NOTE, required=False)
        return await self.uow.stations.add_file(
            StationFile(
                station_id=station_id,
                standard_item=standard_item.value if standard_item else None,
                inspection_id=inspection_id,
                rectification_id=rectification_id,
                kind=FileKind(file.kind).value,
                telegram_file_id=file.telegram_file_id if file.data is None else None,
                telegram_unique_id=file.telegram_unique_id if file.data is None else None,
                file_name=(file.file_name or None) and file.file_name[:255],
                mime_type=(file.mime_type or None) and file.mime_type[:100],
                size=file.size if file.data is None else len(file.data),
                data=file.data,
                caption=caption if isinstance(caption, str) else None,
                uploaded_by_person_id=actor.id,
                created_at=now,
            )
        )

    async def _audit(
        self,
        action: str,
        actor: Person,
        object_type: str,
        object_id: int,
        *,
        allowed: bool = True,
        **detail: Any,
    ) -> None:
        await self.uow.audit.record(
            action,
            actor_telegram_id=actor.telegram_id,
            actor_person_id=actor.id,
            object_type=object_type,
            object_id=object_id,
            allowed=allowed,
            **detail,
        )

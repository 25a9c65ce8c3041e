"""Keeping a station's profile: staff edit the address, opening hours, map point, "六有" checklist and
rules (the console), a deputy of the station or staff add evidence (chat or console), staff assign
inspectors. Every edit is audited; what is typed is checked as `bot.stations.standards` says."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.people.roles import is_staff
from bot.stations.records import FileDraft, Relation
from bot.stations.service import StationService
from bot.stations.standards import (
    MAX_ADDRESS,
    MAX_HOURS,
    MAX_HOURS_NOTE,
    MAX_NOTE,
    MAX_RULE_BODY,
    MAX_RULE_TITLE,
    MAX_RULES,
    WEEKDAYS,
    Invalid,
    Problem,
    StandardItem,
    clean_text,
)
from storage.models import Person
from storage.models.stations import StationFile, StationProfile, StationRule, StationStandard

__all__ = ["StationUpkeep"]


class StationUpkeep(StationService):
    """Staff's edits of a station and evidence, inside the caller's unit of work (which commits)."""

    # -- the profile (edited by staff in the console) --------------------------------------------------

    async def save_profile(
        self,
        station_id: int,
        actor: Person,
        *,
        address: str,
        hours: dict[str, str],
        hours_note: str,
        point: tuple[float, float] | None,
        now: datetime,
    ) -> Invalid | None:
        """Address, opening hours per weekday and a free note, and the map point (the station's own)."""
        station = await self.uow.stations.station(station_id)
        if station is None or not is_staff(actor):
            return Invalid(Problem.NOT_ALLOWED)
        checked_address = clean_text(address, MAX_ADDRESS, required=False)
        checked_note = clean_text(hours_note, MAX_HOURS_NOTE, required=False)
        checked_hours: dict[str, str] = {}
        for day in WEEKDAYS:
            value = clean_text(hours.get(day, ""), MAX_HOURS, required=False)
            if isinstance(value, Invalid):
                return value
            if value:
                checked_hours[day] = value
        for value in (checked_address, checked_note):
            if isinstance(value, Invalid):
                return value
        profile = await self.uow.stations.profile(station_id)
        if profile is None:
            profile = await self.uow.stations.add_profile(StationProfile(station_id=station_id))
        profile.address = checked_address if isinstance(checked_address, str) else None
        profile.hours_note = checked_note if isinstance(checked_note, str) else None
        profile.hours = checked_hours
        profile.updated_at, profile.updated_by_person_id = now, actor.id
        station.latitude, station.longitude = point if point is not None else (None, None)
        await self._audit("station.profile", actor, "station", station_id, point=point is not None)
        return None

    async def save_standards(
        self, station_id: int, actor: Person, checklist: dict[StandardItem, tuple[bool, str]], now: datetime
    ) -> Invalid | None:
        """The "六有" checklist: each item met or not, with a note."""
        if await self.uow.stations.station(station_id) is None or not is_staff(actor):
            return Invalid(Problem.NOT_ALLOWED)
        notes: dict[StandardItem, str | None] = {}
        for item, (_met, note) in checklist.items():
            cleaned = clean_text(note, MAX_NOTE, required=False)
            if isinstance(cleaned, Invalid):
                return cleaned
            notes[item] = cleaned
        stored = await self.uow.stations.standards(station_id)
        for item, (met, _note) in checklist.items():
            row = stored.get(item.value)
            if row is None:
                row = StationStandard(station_id=station_id, item=item.value)
                await self.uow.stations.add_standard(row)
            row.met, row.note = bool(met), notes[item]
            row.updated_at, row.updated_by_person_id = now, actor.id
        met_items = sorted(i.value for i, (met, _n) in checklist.items() if met)
        await self._audit("station.standards", actor, "station", station_id, met=met_items)
        return None

    async def add_rules(
        self, station_id: int, actor: Person, rules: Sequence[tuple[str, str]], now: datetime
    ) -> Invalid | None:
        """Append rules (制度): each a title and a text."""
        if await self.uow.stations.station(station_id) is None or not is_staff(actor):
            return Invalid(Problem.NOT_ALLOWED)
        existing = list(await self.uow.stations.rules(station_id))
        if len(existing) + len(rules) > MAX_RULES:
            return Invalid(Problem.TOO_MANY, MAX_RULES, len(existing) + len(rules))
        rows: list[StationRule] = []
        start = max((r.position for r in existing), default=0)
        for offset, (title, body) in enumerate(rules, start=1):
            checked = self._rule_texts(title, body)
            if isinstance(checked, Invalid):
                return checked
            rows.append(
                StationRule(
                    station_id=station_id,
                    position=start + offset,
                    title=checked[0],
                    body=checked[1],
                    created_at=now,
                    updated_at=now,
                )
            )
        await self.uow.stations.add_rules(rows)
        await self._audit("station.rules.add", actor, "station", station_id, count=len(rows))
        return None

    @staticmethod
    def _rule_texts(title: str, body: str) -> tuple[str, str] | Invalid:
        checked_title = clean_text(title, MAX_RULE_TITLE)
        if isinstance(checked_title, Invalid) or checked_title is None:
            return checked_title or Invalid(Problem.EMPTY)
        checked_body = clean_text(body, MAX_RULE_BODY, required=False)
        if isinstance(checked_body, Invalid):
            return checked_body
        return checked_title, checked_body or ""

    async def update_rule(
        self, station_id: int, rule_id: int, actor: Person, title: str, body: str, now: datetime
    ) -> Invalid | None:
        rule = await self.uow.stations.rule(rule_id)
        if rule is None or rule.station_id != station_id or not is_staff(actor):
            return Invalid(Problem.NOT_ALLOWED)
        checked = self._rule_texts(title, body)
        if isinstance(checked, Invalid):
            return checked
        rule.title, rule.body, rule.updated_at = checked[0], checked[1], now
        await self._audit("station.rules.edit", actor, "station", station_id, rule=rule_id)
        return None

    async def delete_rule(self, station_id: int, rule_id: int, actor: Person) -> bool:
        rule = await self.uow.stations.rule(rule_id)
        if rule is None or rule.station_id != station_id or not is_staff(actor):
            return False
        await self.uow.stations.delete_rule(rule)
        await self._audit("station.rules.delete", actor, "station", station_id, rule=rule_id)
        return True

    # -- files and inspectors ---------------------------------------------------------------------------

    async def add_evidence(
        self, station_id: int, item: StandardItem | None, actor: Person, file: FileDraft, now: datetime
    ) -> StationFile | None:
        """Evidence of a "六有" item (or a photo of the station): a deputy of the station or staff.
        None when the actor may not (audited)."""
        relations = (
            await self.relations(actor, station_id) if await self.uow.stations.station(station_id) else set()
        )
        if not relations & {Relation.DEPUTY, Relation.STAFF}:
            await self._audit(
                "station.evidence", actor, "station", station_id, allowed=False, reason="no_relation"
            )
            return None
        kept = await self._keep_file(station_id, file, actor, now, standard_item=item)
        await self._audit(
            "station.evidence", actor, "station", station_id,
            file=kept.id, item=item.value if item else None, kind=str(file.kind),
        )  # fmt: skip
        return kept

    async def assign(self, station_id: int, person_id: int, actor: Person) -> bool:
        """Staff assign an inspector (staff or a committee member); False when refused or already."""
        person = await self.uow.people.get(person_id)
        station = await self.uow.stations.station(station_id)
        if person is None or station is None or not is_staff(actor) or not await self.may_inspect(person):
            await self._audit(
                "station.inspector.assign", actor, "station", station_id, allowed=False, person=person_id
            )
            return False
        done = await self.uow.stations.assign(station_id, person_id, actor.id)
        if done:
            await self._audit("station.inspector.assign", actor, "station", station_id, person=person_id)
        return done

    async def unassign(self, station_id: int, person_id: int, actor: Person) -> bool:
        if not is_staff(actor):
            return False
        done = await self.uow.stations.unassign(station_id, person_id)
        if done:
            await self._audit("station.inspector.unassign", actor, "station", station_id, person=person_id)
        return done

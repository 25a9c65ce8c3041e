"""Duty rosters (进站值班): who may publish a station's roster, adding and removing duty days (one at a
time, a weekday of a month, or a whole sheet), the deputies' days, check-ins, swaps and reminders.

Rules, once (the declared machines are in `lifecycle`; every request goes through `decide_day` /
`decide_swap`, and every refusal is audited here as `duty.refused`):

- **Who publishes**: staff, for any station; a station's head (站长, `station_officer`), for theirs.
- **Who may be on duty**: a deputy of that station (`deputy_station`), on a day from today on.
- **Sheets** are all or nothing: every row is checked (codes, dates, patterns, the station's
  deputies, the importer's stations) before the first day is written; days already on the roster are
  left as they are, so importing a sheet twice adds nothing the second time.
- **Check-in** on the day itself, once, by the deputy on duty: that is a duty visit (进站履职) and what
  the figures count (bot/stats/service.py); the place may be shared after it, once.
- **Swaps** (换班): the deputy asks another deputy of the station to take a day; the partner accepts or
  declines; the head approves or rejects (staff, at a station without a head); the day then becomes
  the partner's. A swap not decided by the end of its day lapses.
- **Reminders** the evening before (`REMIND_AT` local time or later, once per day, `reminded_at`), held
  back by quiet hours as every non-urgent ping is (`bot.opinions.sla.deliver_at`).
Nothing here knows Telegram: the views render the `Notice`s.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.duty import roster
from bot.duty.lifecycle import (
    ActorKind,
    Audience,
    DayAction,
    DayState,
    Facts,
    Refusal,
    RefusalReason,
    SwapAction,
    Transition,
    decide_day,
    decide_swap,
)
from bot.duty.sheets import SheetError, read_sheet
from bot.people.roles import is_staff
from storage.models import Person, Role, Station
from storage.models.duty import DutySwap, StationRole, SwapState
from storage.models.opinions import Duty
from storage.unit_of_work import UnitOfWork

__all__ = [
    "REMIND_AT",
    "DayView",
    "DutyService",
    "ImportResult",
    "MonthView",
    "Notice",
    "Outcome",
    "Problem",
]

REMIND_AT = time(18, 0)  # the evening before, in the congress's zone
COMING_DAYS = 62  # how far /duty looks ahead (this month and the next)
WEEK = 7


class Problem(enum.StrEnum):
    """Refusals that are not the machines': the request names something that is not there."""

    NOT_FOUND = "not_found"  # no such station, day or swap (any more)
    NOT_MANAGER = "not_manager"  # neither staff nor the station's head
    NOT_MEMBER = "not_member"  # the deputy does not serve at the station
    NOT_DEPUTY = "not_deputy"
    SAME_DEPUTY = "same_deputy"  # a swap with oneself
    BAD_SHEET = "bad_sheet"


@dataclass(frozen=True)
class Notice:
    """One message to one person, rendered in their language by `views.render_notice`."""

    person_id: int
    key: str
    duty_id: int | None = None
    swap_id: int | None = None
    urgent: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a request did: `refusal` (a lifecycle reason or a `Problem`) when it did nothing."""

    refusal: str | None = None
    notices: tuple[Notice, ...] = ()
    duty: Duty | None = None
    swap: DutySwap | None = None
    added: bool = False  # a toggle that added (else removed)
    count: int = 0

    @property
    def ok(self) -> bool:
        return self.refusal is None


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    kept: int = 0  # already on the roster
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class DayView:
    """A duty day as a deputy sees it."""

    duty: Duty
    station: Station
    swap: DutySwap | None = None


@dataclass
class MonthView:
    station: Station
    year: int
    month: int
    today: date
    # day → [(duty, deputy's name)]
    days: dict[date, list[tuple[Duty, str]]] = field(default_factory=dict)
    members: list[tuple[int, str, str | None]] = field(default_factory=list)


def _refusal(result: Transition | Refusal) -> str | None:
    return result.reason.value if isinstance(result, Refusal) else None


class DutyService:
    """The roster's rules inside one unit of work (the caller commits).

    Args:
        uow: the unit of work.
        zone: the congress's zone: duty days are its calendar days.
    """

    def __init__(self, uow: UnitOfWork, zone: ZoneInfo) -> None:
        self.uow = uow
        self.zone = zone

    def today(self, now: datetime) -> date:
        return roster.local_today(now, self.zone)

    # -- who ------------------------------------------------------------------------------------------

    async def headed(self, person: Person) -> Sequence[Station]:
        return await self.uow.station_officers.stations_of(person.id, StationRole.HEAD)

    async def manager_kinds(self, person: Person, station_id: int) -> set[ActorKind]:
        """The presser's relations to a station's roster: staff, its head, both or neither."""
        kinds: set[ActorKind] = set()
        if is_staff(person):
            kinds.add(ActorKind.STAFF)
        if await self.uow.station_officers.holds(station_id, person.id, StationRole.HEAD):
            kinds.add(ActorKind.HEAD)
        return kinds

    async def station(self, station_id: int) -> Station | None:
        return await self.uow.network.station(station_id)

    async def station_by_code(self, code: str) -> Station | None:
        return await self.uow.network.station_by_code(code.strip()[:32])

    async def home_station(self, person: Person) -> Station | None:
        """The station a constituent's /duty is about: the one they are bound to, else where they serve as
        liaison officer or head."""
        if person.station_id is not None:
            return await self.uow.network.station(person.station_id)
        for role in (StationRole.LIAISON, StationRole.HEAD):
            found = await self.uow.station_officers.stations_of(person.id, role)
            if found:
                return found[0]
        return None

    async def _refuse(self, person: Person | None, stage: str, reason: str, **detail: Any) -> Outcome:
        await self.uow.audit.record(
            "duty.refused",
            actor_telegram_id=person.telegram_id if person else None,
            actor_person_id=person.id if person else None,
            allowed=False,
            stage=stage,
            reason=reason,
            **detail,
        )
        return Outcome(refusal=reason)

    @staticmethod
    def manager_kinds_staff(person: Person) -> bool:
        """Staff publish every station's roster (a code names which)."""
        return is_staff(person)

    async def refuse_command(self, person: Person, stage: str) -> None:
        """/roster from someone who heads no station and is not staff: audited."""
        await self._refuse(person, stage, Problem.NOT_MANAGER)

    async def deputy_name(self, deputy_id: int) -> str:
        return await self.uow.people.name_of_deputy(deputy_id) or "—"

    async def partner_names(self, days: Sequence[DayView]) -> dict[int, str]:
        """The names of the deputies asked to take a day (for /duty's "swap asked of …")."""
        ids = {d.swap.partner_deputy_id for d in days if d.swap is not None}
        return {did: await self.deputy_name(did) for did in ids}

    async def check_manager(self, person: Person, station_id: int, stage: str) -> Outcome:
        """A press on a roster's buttons: refused (and audited) unless staff or the station's head."""
        if await self.station(station_id) is None:
            return await self._refuse(person, stage, Problem.NOT_FOUND, station_id=station_id)
        if not await self.manager_kinds(person, station_id):
            return await self._refuse(person, stage, Problem.NOT_MANAGER, station_id=station_id)
        return Outcome()

    # -- the roster ---------------------------------------------------------------------------------------

    async def month(self, station: Station, year: int, month: int, today: date) -> MonthView:
        first = date(year, month, 1)
        last = date(*roster.shift_month(year, month, 1), 1) - timedelta(days=1)
        view = MonthView(station, year, month, today, members=await self.uow.duty.members(station.id))
        for duty, name in await self.uow.duty.of_station(station.id, first, last):
            view.days.setdefault(duty.date, []).append((duty, name))
        return view

    async def toggle(
        self, person: Person, station_id: int, deputy_id: int, day: date, now: datetime, source: str = "chat"
    ) -> Outcome:
        """Add the day for the deputy, or remove it when it is on the roster already."""
        existing = await self.uow.duty.find(deputy_id, station_id, day)
        if existing is not None:
            return await self.remove(person, existing.id, now)
        result = await self.add_days(person, station_id, deputy_id, [day], now, source=source)
        return Outcome(result.refusal, duty=result.duty, added=True, count=result.count)

    async def add_days(
        self,
        person: Person,
        station_id: int,
        deputy_id: int,
        days: Sequence[date],
        now: datetime,
        *,
        source: str,
    ) -> Outcome:
        """Put the deputy on duty at the station on each day (days on the roster already are kept)."""
        kinds = await self.manager_kinds(person, station_id)
        today = self.today(now)
        if not kinds:
            return await self._refuse(person, "add", Problem.NOT_MANAGER, station_id=station_id)
        if not await self.uow.duty.is_member(deputy_id, station_id):
            return await self._refuse(
                person, "add", Problem.NOT_MEMBER, station_id=station_id, deputy_id=deputy_id
            )
        added: list[Duty] = []
        for day in sorted(set(days)):
            decided = decide_day(None, DayAction.ADD, kinds, Facts(today=today, day=day))
            if isinstance(decided, Refusal):
                return await self._refuse(
                    person, "add", decided.reason, station_id=station_id, day=day.isoformat()
                )
            if await self.uow.duty.find(deputy_id, station_id, day) is None:
                added.append(
                    await self.uow.duty.add(deputy_id, station_id, day, source=source, by=person.id, at=now)
                )
        if added:
            await self.uow.audit.record(
                "duty.added",
                actor_telegram_id=person.telegram_id,
                actor_person_id=person.id,
                object_type="station",
                object_id=station_id,
                deputy_id=deputy_id,
                days=[d.date.isoformat() for d in added][:62],
                source=source,
            )
        return Outcome(duty=added[0] if added else None, count=len(added), added=True)

    async def add_weekly(
        self,
        person: Person,
        station_id: int,
        deputy_id: int,
        weekday: int,
        start: date,
        end: date,
        now: datetime,
        *,
        source: str,
    ) -> Outcome:
        """Every `weekday` from `start` to `end` (days before today left out)."""
        today = self.today(now)
        first = max(start, today)
        try:
            days = roster.weekly_days(weekday, first, end) if first <= end else []
        except ValueError as exc:
            return await self._refuse(person, "weekly", "bad_pattern", detail=str(exc)[:100])
        if not days:
            return await self._refuse(person, "weekly", RefusalReason.DAY_PASSED)
        return await self.add_days(person, station_id, deputy_id, days, now, source=source)

    async def remove(self, person: Person, duty_id: int, now: datetime) -> Outcome:
        duty = await self.uow.duty.get(duty_id)
        if duty is None:
            return await self._refuse(person, "remove", Problem.NOT_FOUND, duty_id=duty_id)
        kinds = await self.manager_kinds(person, duty.station_id)
        facts = Facts(today=self.today(now), day=duty.date, checked_in=duty.checked_in_at is not None)
        decided = decide_day(_state(duty), DayAction.REMOVE, kinds, facts)
        if isinstance(decided, Refusal):
            return await self._refuse(person, "remove", decided.reason.value, duty_id=duty_id)
        notices: list[Notice] = []
        swap = await self.uow.duty.open_swap(duty.id)
        if swap is not None:  # the day is gone, so is the request to swap it
            swap.state, swap.decided_at, swap.decided_by_person_id = SwapState.CANCELLED, now, person.id
            notices += await self._swap_notices(
                swap, "swap.withdrawn", (Audience.REQUESTER, Audience.PARTNER)
            )
        await self.uow.audit.record(
            "duty.removed",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="duty",
            object_id=duty.id,
            station_id=duty.station_id,
            deputy_id=duty.deputy_id,
            day=duty.date.isoformat(),
        )
        await self.uow.duty.remove(duty)
        return Outcome(notices=tuple(notices), added=False, count=1)

    async def import_sheet(self, person: Person, data: bytes, filename: str, now: datetime) -> ImportResult:
        """A roster sheet, all or nothing (see the module docstring); refusals and imports are audited."""
        today = self.today(now)
        try:
            raw = read_sheet(data, filename)
        except SheetError as exc:
            return await self._import_refused(person, filename, [f"{filename}: {exc}"])
        rows, problems = roster.parse_rows(raw, today)
        if not raw:
            problems.append(f"{filename}: no rows under the header")
        stations = {code: await self.station_by_code(code) for code in {r.station for r in rows}}
        ids = {code: s.id for code, s in stations.items() if s is not None}
        managed = {sid for sid in ids.values() if await self.manager_kinds(person, sid)}
        members = await self.uow.duty.memberships(ids.values())
        deputies = await self.uow.duty.deputy_ids_by_code({r.deputy for r in rows})
        for row in rows:
            sid = ids.get(row.station)
            if sid is None:
                problems.append(f"{row.label}: unknown station {row.station!r}")
            elif sid not in managed:
                problems.append(f"{row.label}: you may not publish the roster of {row.station}")
            elif row.deputy not in deputies:
                problems.append(f"{row.label}: unknown deputy {row.deputy!r}")
            elif sid not in members.get(row.deputy, set()):
                problems.append(f"{row.label}: {row.deputy} is not a deputy of {row.station}")
        if problems:
            return await self._import_refused(person, filename, problems)
        wanted = roster.distinct_days(rows)
        start, end = min(d for _, _, d in wanted), max(d for _, _, d in wanted)
        have = await self.uow.duty.existing(ids.values(), start, end)
        added = 0
        for code, deputy, day in sorted(wanted):
            if (deputies[deputy], ids[code], day) not in have:
                await self.uow.duty.add(
                    deputies[deputy], ids[code], day, source="sheet", by=person.id, at=now
                )
                added += 1
        await self.uow.audit.record(
            "duty.imported",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            file=filename[:64],
            rows=len(rows),
            added=added,
            kept=len(wanted) - added,
            stations=sorted(ids)[:50],
        )
        return ImportResult(added=added, kept=len(wanted) - added)

    async def _import_refused(self, person: Person, filename: str, problems: list[str]) -> ImportResult:
        await self.uow.audit.record(
            "duty.refused",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            allowed=False,
            stage="import",
            reason=Problem.BAD_SHEET.value,
            file=filename[:64],
            problems=len(problems),
            first=problems[0][:200],
        )
        return ImportResult(problems=tuple(problems))

    # -- a deputy's days ----------------------------------------------------------------------------------

    async def coming(self, deputy_id: int, today: date, days: int = COMING_DAYS) -> list[DayView]:
        rows = await self.uow.duty.of_deputy(deputy_id, today, today + timedelta(days=days))
        swaps = await self.uow.duty.open_swaps(d.id for d, _ in rows)
        return [DayView(duty, station, swaps.get(duty.id)) for duty, station in rows]

    async def station_week(self, station_id: int, today: date) -> list[tuple[Duty, str]]:
        """Who is on duty at the station today and the six days after it."""
        return await self.uow.duty.of_station(station_id, today, today + timedelta(days=WEEK - 1))

    def _deputy_kinds(self, person: Person, deputy_id: int) -> set[ActorKind]:
        deputy = person.deputy
        return {ActorKind.DEPUTY} if deputy is not None and deputy.id == deputy_id else set()

    async def check_in(self, person: Person, duty_id: int, now: datetime) -> Outcome:
        """✅ Check in: on the day, by the deputy on duty, once (the time is what the figures count)."""
        duty = await self.uow.duty.get(duty_id)
        if duty is None:
            return await self._refuse(person, "check_in", Problem.NOT_FOUND, duty_id=duty_id)
        facts = Facts(today=self.today(now), day=duty.date, checked_in=duty.checked_in_at is not None)
        decided = decide_day(
            _state(duty), DayAction.CHECK_IN, self._deputy_kinds(person, duty.deputy_id), facts
        )
        if isinstance(decided, Refusal):
            return await self._refuse(person, "check_in", decided.reason.value, duty_id=duty_id)
        duty.checked_in_at = now
        await self.uow.flush()
        await self.uow.audit.record(
            "duty.checked_in",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="duty",
            object_id=duty.id,
            station_id=duty.station_id,
            day=duty.date.isoformat(),
        )
        return Outcome(duty=duty)

    async def share_location(
        self, person: Person, duty_id: int, latitude: float, longitude: float, now: datetime
    ) -> Outcome:
        """The place of a check-in, shared after it (optional, once)."""
        duty = await self.uow.duty.get(duty_id)
        if duty is None:
            return await self._refuse(person, "location", Problem.NOT_FOUND, duty_id=duty_id)
        facts = Facts(today=self.today(now), day=duty.date, located=duty.located_at is not None)
        kinds = self._deputy_kinds(person, duty.deputy_id)
        decided = decide_day(_state(duty), DayAction.SHARE_LOCATION, kinds, facts)
        if isinstance(decided, Refusal):
            return await self._refuse(person, "location", decided.reason.value, duty_id=duty_id)
        duty.check_in_latitude, duty.check_in_longitude, duty.located_at = latitude, longitude, now
        await self.uow.flush()
        await self.uow.audit.record(
            "duty.located",
            actor_telegram_id=person.telegram_id,
            actor_person_id=person.id,
            object_type="duty",
            object_id=duty.id,
        )
        return Outcome(duty=duty)

    # -- swaps --------------------------------------------------------------------------------------------

    async def swap_partners(
        self, person: Person, duty_id: int, now: datetime
    ) -> tuple[Outcome, list[tuple[int, str]]]:
        """Whom the deputy may ask to take the day: the station's other deputies (the ask is checked)."""
        duty = await self.uow.duty.get(duty_id)
        if duty is None:
            return await self._refuse(person, "swap", Problem.NOT_FOUND, duty_id=duty_id), []
        refused = await self._may_ask(person, duty, now)
        if refused is not None:
            return refused, []
        members = await self.uow.duty.members(duty.station_id)
        return Outcome(duty=duty), [(did, name) for did, name, _ in members if did != duty.deputy_id]

    async def _may_ask(self, person: Person, duty: Duty, now: datetime) -> Outcome | None:
        open_swap = await self.uow.duty.open_swap(duty.id)
        facts = Facts(
            today=self.today(now),
            day=duty.date,
            checked_in=duty.checked_in_at is not None,
            open_swap=open_swap is not None,
        )
        decided = decide_day(
            _state(duty), DayAction.ASK_SWAP, self._deputy_kinds(person, duty.deputy_id), facts
        )
        if isinstance(decided, Refusal):
            return await self._refuse(person, "swap", decided.reason.value, duty_id=duty.id)
        return None

    async def ask_swap(self, person: Person, duty_id: int, partner_deputy_id: int, now: datetime) -> Outcome:
        """Ask another deputy of the station to take the day; they are told at once."""
        duty = await self.uow.duty.get(duty_id)
        if duty is None:
            return await self._refuse(person, "swap", Problem.NOT_FOUND, duty_id=duty_id)
        refused = await self._may_ask(person, duty, now)
        if refused is not None:
            return refused
        if partner_deputy_id == duty.deputy_id:
            return await self._refuse(person, "swap", Problem.SAME_DEPUTY, duty_id=duty_id)
        if not await self.uow.duty.is_member(partner_deputy_id, duty.station_id):
            return await self._refuse(
                person, "swap", Problem.NOT_MEMBER, duty_id=duty_id, partner=partner_deputy_id
            )
        facts = Facts(today=self.today(now), day=duty.date)
        decided = decide_swap(None, SwapAction.REQUEST, ActorKind.REQUESTER, facts)
        assert isinstance(decided, Transition)  # the requester may always ask: the day's rule held above
        swap = await self.uow.duty.add_swap(
            DutySwap(
                duty_id=duty.id,
                station_id=duty.station_id,
                day=duty.date,
                requester_deputy_id=duty.deputy_id,
                partner_deputy_id=partner_deputy_id,
                state=SwapState.REQUESTED,
                created_at=now,
            )
        )
        await self._audit_swap(person, swap, decided)
        return Outcome(notices=await self._notices_of(swap, decided), duty=duty, swap=swap)

    async def swap_kinds(self, person: Person, swap: DutySwap) -> set[ActorKind]:
        """The presser's relations to a swap: requester, partner, the station's head — or staff when the
        station has no head."""
        kinds: set[ActorKind] = set()
        deputy = person.deputy
        if deputy is not None and deputy.id == swap.requester_deputy_id:
            kinds.add(ActorKind.REQUESTER)
        if deputy is not None and deputy.id == swap.partner_deputy_id:
            kinds.add(ActorKind.PARTNER)
        head = await self.uow.station_officers.head_of(swap.station_id)
        if head is not None and head.id == person.id:
            kinds.add(ActorKind.HEAD)
        if head is None and is_staff(person):
            kinds.add(ActorKind.STAFF)
        return kinds

    async def act_on_swap(self, person: Person, swap_id: int, action: SwapAction, now: datetime) -> Outcome:
        """Accept or decline (the partner), approve or reject (the head, or staff), cancel (the requester)."""
        swap = await self.uow.duty.swap(swap_id)
        if swap is None:
            return await self._refuse(person, f"swap:{action}", Problem.NOT_FOUND, swap_id=swap_id)
        duty = await self.uow.duty.get(swap.duty_id)
        busy = await self.uow.duty.find(swap.partner_deputy_id, swap.station_id, swap.day) is not None
        facts = Facts(
            today=self.today(now),
            day=swap.day,
            checked_in=duty is None or duty.checked_in_at is not None,
            partner_busy=busy,
        )
        decided = decide_swap(swap.state, action, await self.swap_kinds(person, swap), facts)
        if isinstance(decided, Refusal):
            return await self._refuse(person, f"swap:{action}", decided.reason.value, swap_id=swap_id)
        assert decided.target is not None and duty is not None
        swap.state = SwapState(decided.target)
        if action in (SwapAction.ACCEPT, SwapAction.DECLINE):
            swap.answered_at = now
        else:
            swap.decided_at, swap.decided_by_person_id = now, person.id
        if action is SwapAction.APPROVE:
            duty.deputy_id = swap.partner_deputy_id
            duty.reminded_at = None  # the partner is reminded, the evening before, as anyone on duty
        await self.uow.flush()
        await self._audit_swap(person, swap, decided)
        return Outcome(notices=await self._notices_of(swap, decided), duty=duty, swap=swap)

    async def _audit_swap(self, person: Person | None, swap: DutySwap, decided: Transition) -> None:
        await self.uow.audit.record(
            f"duty.swap.{decided.action}",
            actor_telegram_id=person.telegram_id if person else None,
            actor_person_id=person.id if person else None,
            object_type="duty_swap",
            object_id=swap.id,
            duty_id=swap.duty_id,
            day=swap.day.isoformat(),
            by=decided.actor.value,
            state=swap.state,
        )

    async def _people_of(self, swap: DutySwap, audience: Audience) -> list[int]:
        if audience is Audience.REQUESTER:
            found = await self.uow.people.id_of_deputy(swap.requester_deputy_id)
            return [found] if found is not None else []
        if audience is Audience.PARTNER:
            found = await self.uow.people.id_of_deputy(swap.partner_deputy_id)
            return [found] if found is not None else []
        head = await self.uow.station_officers.head_of(swap.station_id)
        if head is not None:
            return [head.id]
        return [p.id for p in await self.uow.people.with_role(Role.STAFF)]

    async def _notices_of(self, swap: DutySwap, decided: Transition) -> tuple[Notice, ...]:
        out: list[Notice] = []
        for notice in decided.notifies:
            for person_id in await self._people_of(swap, notice.audience):
                out.append(Notice(person_id, notice.key, swap.duty_id, swap.id, notice.urgent))
        return tuple(out)

    async def _swap_notices(self, swap: DutySwap, key: str, audiences: Sequence[Audience]) -> list[Notice]:
        return [
            Notice(person_id, key, swap.duty_id, swap.id)
            for audience in audiences
            for person_id in await self._people_of(swap, audience)
        ]

    # -- the periodic job ---------------------------------------------------------------------------------

    async def remind_due(self, now: datetime) -> list[Notice]:
        """The evening before a duty day (from REMIND_AT on), each deputy on duty is reminded once; swaps
        whose day went by lapse. Returns the notices to deliver (quiet hours are the delivery's)."""
        local = now.astimezone(self.zone)
        notices: list[Notice] = []
        for swap in await self.uow.duty.lapsing_swaps(local.date()):
            decided = decide_swap(
                swap.state, SwapAction.LAPSE, ActorKind.SYSTEM, Facts(local.date(), swap.day)
            )
            if isinstance(decided, Transition) and decided.target is not None:
                swap.state, swap.decided_at = SwapState(decided.target), now
                await self._audit_swap(None, swap, decided)
                notices += await self._notices_of(swap, decided)
        if local.time() < REMIND_AT:
            return notices
        for duty in await self.uow.duty.due_reminders(local.date() + timedelta(days=1)):
            duty.reminded_at = now
            person_id = await self.uow.people.id_of_deputy(duty.deputy_id)
            if person_id is not None:
                notices.append(Notice(person_id, "duty.reminder", duty.id))
        await self.uow.flush()
        return notices


def _state(duty: Duty) -> DayState:
    return DayState.CHECKED_IN if duty.checked_in_at is not None else DayState.ROSTERED

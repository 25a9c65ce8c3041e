"""The reception diary (民情日记): what a deputy may record about receiving constituents, and the form's steps.

A reception (接待群众) is one deputy receiving constituents at one station on one local day. Rules, once:

- **station**: any station; the form offers the deputy's own stations (`deputy_station`) first.
- **day**: a calendar day in the congress's zone (settings `TIMEZONE`); not in the future and at most
  `MAX_AGE_DAYS` back (a typo such as 2062 or 1926 is refused rather than stored).
- **people received**: an integer `MIN_PEOPLE`..`MAX_PEOPLE`.
- **opinions collected on paper**: optional, an integer 0..`MAX_PAPER`; skipped means 0. Opinions people
  send through the bot are opinions of their own and are never added here.
- **note**: optional, at most `MAX_NOTE` characters after trimming; stored as typed (NUL, which
  PostgreSQL cannot store, is dropped) and escaped only where it is shown.
- Only the deputy who recorded a reception may delete it; deleting stamps `deleted_at`, so the row and
  its audit entries stay and every figure (bot/stats/service.py) leaves it out.

The form is a small state machine over `Step` (station → day → people → paper → note → confirm, and
confirm → note to change the note); `Form` holds it as plain data for the chat session. Nothing here
knows Telegram.
"""

from __future__ import annotations

import enum
import re
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Station
from storage.models.receptions import Reception
from storage.repos.receptions import ReceptionRepo
from storage.unit_of_work import UnitOfWork

__all__ = [
    "FORM_TTL",
    "MAX_AGE_DAYS",
    "MAX_NOTE",
    "MAX_PAPER",
    "MAX_PEOPLE",
    "MIN_PEOPLE",
    "RECENT",
    "DeleteRefusal",
    "Figures",
    "Form",
    "Invalid",
    "Problem",
    "Step",
    "check_day",
    "clean_note",
    "deletable",
    "delete",
    "figures",
    "find_station",
    "local_today",
    "own_stations",
    "parse_count",
    "parse_day",
    "recent",
    "record",
    "refuse_non_deputy",
    "station",
]

MIN_PEOPLE, MAX_PEOPLE = 1, 500
MAX_PAPER = 1000
MAX_NOTE = 300
MAX_AGE_DAYS = 366
RECENT = 10
# A form nobody answered for this long is dropped, so a forgotten one cannot capture later messages.
FORM_TTL = timedelta(hours=2)


class Step(enum.StrEnum):
    STATION = "station"
    DAY = "day"
    PEOPLE = "people"
    PAPER = "paper"
    NOTE = "note"
    CONFIRM = "confirm"


NEXT = {
    Step.STATION: Step.DAY,
    Step.DAY: Step.PEOPLE,
    Step.PEOPLE: Step.PAPER,
    Step.PAPER: Step.NOTE,
    Step.NOTE: Step.CONFIRM,
}


class Problem(enum.StrEnum):
    NOT_A_NUMBER = "not_a_number"
    OUT_OF_RANGE = "out_of_range"
    NOT_A_DATE = "not_a_date"
    FUTURE = "future"
    TOO_OLD = "too_old"
    EMPTY = "empty"
    TOO_LONG = "too_long"
    WRONG_STEP = "wrong_step"
    NO_STATION = "no_station"


@dataclass(frozen=True)
class Invalid:
    """Why an input was refused, with what the reply needs to say so."""

    problem: Problem
    low: int = 0
    high: int = 0
    step: Step | None = None  # the step to go back to (when saving finds a problem)
    given: int = 0  # the length of a note that is too long


# -- parsing (pure) -------------------------------------------------------------------------------

_INTEGER = re.compile(r"[+-]?[0-9]{1,9}")
_DAY = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")


def _normal(text: str) -> str:
    """Full-width digits and signs (１２, －) become ASCII; surrounding blanks go."""
    return unicodedata.normalize("NFKC", text).strip()


def parse_count(text: str, low: int, high: int) -> int | Invalid:
    """A typed whole number in low..high; "12", "１２" and "12人" are 12."""
    value = _normal(text).removesuffix("人").strip()
    if not _INTEGER.fullmatch(value):
        return Invalid(Problem.NOT_A_NUMBER, low, high)
    number = int(value)
    if not low <= number <= high:
        return Invalid(Problem.OUT_OF_RANGE, low, high)
    return number


def local_today(now: datetime, zone: ZoneInfo | str) -> date:
    """The congress's calendar day at `now`."""
    return now.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)).date()


def check_day(day: date, today: date) -> date | Invalid:
    if day > today:
        return Invalid(Problem.FUTURE)
    if day < today - timedelta(days=MAX_AGE_DAYS):
        return Invalid(Problem.TOO_OLD, high=MAX_AGE_DAYS)
    return day


def parse_day(text: str, today: date) -> date | Invalid:
    """A typed YYYY-MM-DD (full-width digits allowed), checked against `today`."""
    found = _DAY.fullmatch(_normal(text))
    if found is None:
        return Invalid(Problem.NOT_A_DATE)
    try:
        day = date(*(int(part) for part in found.groups()))
    except ValueError:
        return Invalid(Problem.NOT_A_DATE)
    return check_day(day, today)


def clean_note(text: str) -> str | Invalid:
    """The note as it will be stored: trimmed, without NUL; empty or too long is refused."""
    note = text.replace("\x00", "").strip()
    if not note:
        return Invalid(Problem.EMPTY)
    if len(note) > MAX_NOTE:
        return Invalid(Problem.TOO_LONG, high=MAX_NOTE, given=len(note))
    return note


# -- the form (pure state machine) ----------------------------------------------------------------


def _day_or_none(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class Form:
    """A reception being entered in chat; `key` ties the form's buttons to this one form."""

    deputy_id: int
    touched: datetime
    key: str = field(default_factory=lambda: secrets.token_hex(4))
    step: Step = Step.STATION
    station_id: int | None = None
    day: date | None = None
    people: int | None = None
    paper: int = 0
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "deputy_id": self.deputy_id,
            "touched": self.touched.isoformat(),
            "key": self.key,
            "step": self.step.value,
            "station_id": self.station_id,
            "day": self.day.isoformat() if self.day else None,
            "people": self.people,
            "paper": self.paper,
            "note": self.note,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Form | None:
        """The form kept in the chat session, or None when the data is missing or damaged."""
        if not isinstance(data, dict):
            return None
        try:
            touched = datetime.fromisoformat(data["touched"])
            step = Step(data["step"])
            deputy_id = data["deputy_id"]
            key = data["key"]
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(deputy_id, int) or not isinstance(key, str) or touched.tzinfo is None:
            return None
        note = data.get("note")
        return cls(
            deputy_id=deputy_id,
            touched=touched.astimezone(UTC),
            key=key,
            step=step,
            station_id=_int_or_none(data.get("station_id")),
            day=_day_or_none(data.get("day")),
            people=_int_or_none(data.get("people")),
            paper=_int_or_none(data.get("paper")) or 0,
            note=note if isinstance(note, str) else None,
        )

    def expired(self, now: datetime) -> bool:
        return now - self.touched > FORM_TTL

    def _advance(self, at: Step, now: datetime) -> None:
        self.step = NEXT[at]
        self.touched = now

    def _at(self, step: Step) -> Invalid | None:
        return None if self.step == step else Invalid(Problem.WRONG_STEP, step=self.step)

    def choose_station(self, station_id: int, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.STATION)) is not None:
            return wrong
        self.station_id = station_id
        self._advance(Step.STATION, now)
        return None

    def choose_day(self, day: date, today: date, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.DAY)) is not None:
            return wrong
        checked = check_day(day, today)
        if isinstance(checked, Invalid):
            return checked
        self.day = checked
        self._advance(Step.DAY, now)
        return None

    def type_day(self, text: str, today: date, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.DAY)) is not None:
            return wrong
        day = parse_day(text, today)
        return day if isinstance(day, Invalid) else self.choose_day(day, today, now)

    def type_people(self, text: str, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.PEOPLE)) is not None:
            return wrong
        people = parse_count(text, MIN_PEOPLE, MAX_PEOPLE)
        if isinstance(people, Invalid):
            return people
        self.people = people
        self._advance(Step.PEOPLE, now)
        return None

    def type_paper(self, text: str | None, now: datetime) -> Invalid | None:
        """The count of opinions collected on paper; None skips it (0)."""
        if (wrong := self._at(Step.PAPER)) is not None:
            return wrong
        paper = 0 if text is None else parse_count(text, 0, MAX_PAPER)
        if isinstance(paper, Invalid):
            return paper
        self.paper = paper
        self._advance(Step.PAPER, now)
        return None

    def type_note(self, text: str | None, now: datetime) -> Invalid | None:
        """The note; None skips it."""
        if (wrong := self._at(Step.NOTE)) is not None:
            return wrong
        note = None if text is None else clean_note(text)
        if isinstance(note, Invalid):
            return note
        self.note = note
        self._advance(Step.NOTE, now)
        return None

    def change_note(self, now: datetime) -> Invalid | None:
        if (wrong := self._at(Step.CONFIRM)) is not None:
            return wrong
        self.step = Step.NOTE
        self.touched = now
        return None

    def check(self, today: date) -> Invalid | None:
        """Everything again, right before saving (a form may have waited past midnight)."""
        if self.step != Step.CONFIRM:
            return Invalid(Problem.WRONG_STEP, step=self.step)
        if self.station_id is None:
            return Invalid(Problem.NO_STATION, step=Step.STATION)
        if self.day is None:
            return Invalid(Problem.NOT_A_DATE, step=Step.DAY)
        day = check_day(self.day, today)
        if isinstance(day, Invalid):
            return Invalid(day.problem, high=day.high, step=Step.DAY)
        if self.people is None or not MIN_PEOPLE <= self.people <= MAX_PEOPLE:
            return Invalid(Problem.OUT_OF_RANGE, MIN_PEOPLE, MAX_PEOPLE, Step.PEOPLE)
        if not 0 <= self.paper <= MAX_PAPER:
            return Invalid(Problem.OUT_OF_RANGE, 0, MAX_PAPER, Step.PAPER)
        if self.note is not None and isinstance(clean_note(self.note), Invalid):
            return Invalid(Problem.TOO_LONG, high=MAX_NOTE, step=Step.NOTE, given=len(self.note))
        return None


# -- storage --------------------------------------------------------------------------------------


async def own_stations(uow: UnitOfWork, deputy_id: int) -> Sequence[Station]:
    """The stations the deputy belongs to, by code."""
    return await uow.network.stations_of_deputy(deputy_id)


async def station(uow: UnitOfWork, station_id: int | None) -> Station | None:
    return None if station_id is None else await uow.network.station(station_id)


async def find_station(uow: UnitOfWork, code: str) -> Station | None:
    """A station by its code as typed (case-insensitive for the Latin letters codes use)."""
    code = _normal(code)[:32]
    if not code:
        return None
    return await uow.network.station_by_code(code) or await uow.network.station_by_code(code.upper())


async def record(
    uow: UnitOfWork,
    form: Form,
    *,
    person_id: int,
    telegram_id: int | None,
    today: date,
) -> Reception | Invalid:
    """Store the form as a reception and audit it; the same form saved twice gives the first row back.

    Args:
        form: a form at the confirm step, whose `deputy_id` the caller has checked against the presser.
        today: the congress's local day now (the day is checked again).
    """
    problem = form.check(today)
    if problem is not None:
        return problem
    existing = await uow.receptions.by_dialog_key(form.key)
    if existing is not None:
        return existing
    station = await uow.network.station(form.station_id)
    if station is None:
        return Invalid(Problem.NO_STATION, step=Step.STATION)
    assert form.day is not None and form.people is not None  # form.check
    row = Reception(
        deputy_id=form.deputy_id,
        station_id=station.id,
        day=form.day,
        people=form.people,
        opinions_paper=form.paper,
        note=form.note,
        recorded_by_person_id=person_id,
        dialog_key=form.key,
    )
    await uow.receptions.add(row)
    await uow.audit.record(
        "reception.recorded",
        actor_telegram_id=telegram_id,
        actor_person_id=person_id,
        object_type="reception",
        object_id=row.id,
        deputy_id=row.deputy_id,
        station_id=row.station_id,
        day=row.day.isoformat(),
        people=row.people,
        opinions_paper=row.opinions_paper,
        note=row.note,
    )
    return row


async def refuse_non_deputy(uow: UnitOfWork, *, person_id: int, telegram_id: int | None) -> None:
    """Audit /reception from someone who keeps no diary (they are answered politely)."""
    await uow.audit.record(
        "reception.refused",
        actor_telegram_id=telegram_id,
        actor_person_id=person_id,
        allowed=False,
        stage="command",
        reason="not_deputy",
    )


async def recent(uow: UnitOfWork, deputy_id: int, limit: int = RECENT) -> list[tuple[Reception, Station]]:
    """The deputy's latest receptions (not deleted) with their stations, newest day first."""
    return await uow.receptions.recent(deputy_id, limit)


class DeleteRefusal(enum.StrEnum):
    NOT_FOUND = "not_found"
    NOT_OWNER = "not_owner"


async def deletable(uow: UnitOfWork, reception_id: int, deputy_id: int) -> Reception | DeleteRefusal:
    """The reception when this deputy may delete it now."""
    row = await uow.receptions.get(reception_id)
    if row is None or row.deleted_at is not None:
        return DeleteRefusal.NOT_FOUND
    if row.deputy_id != deputy_id:
        return DeleteRefusal.NOT_OWNER
    return row


async def delete(
    uow: UnitOfWork,
    reception_id: int,
    *,
    deputy_id: int | None,
    person_id: int,
    telegram_id: int | None,
    now: datetime,
) -> Reception | DeleteRefusal:
    """Delete one of the deputy's receptions (a stamp, not a row removal); refusals are audited too."""
    found = DeleteRefusal.NOT_OWNER if deputy_id is None else await deletable(uow, reception_id, deputy_id)
    if isinstance(found, DeleteRefusal):
        await uow.audit.record(
            "reception.refused",
            actor_telegram_id=telegram_id,
            actor_person_id=person_id,
            object_type="reception",
            object_id=reception_id,
            allowed=False,
            stage="delete",
            reason=found.value,
        )
        return found
    found.deleted_at = now
    found.deleted_by_person_id = person_id
    await uow.flush()
    await uow.audit.record(
        "reception.deleted",
        actor_telegram_id=telegram_id,
        actor_person_id=person_id,
        object_type="reception",
        object_id=found.id,
        day=found.day.isoformat(),
        people=found.people,
        opinions_paper=found.opinions_paper,
    )
    return found


# -- figures for the statistics -------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    receptions: int = 0
    people: int = 0
    paper: int = 0


async def figures(
    session: AsyncSession, start: date | None, end: date | None
) -> tuple[dict[int, Figures], dict[int, Figures]]:
    """Receptions, people received and opinions on paper per deputy and per station, days start..end
    inclusive (None: open), deleted receptions left out."""
    by_deputy, by_station = await ReceptionRepo(session).sums(start, end)
    return (
        {key: Figures(*sums) for key, sums in by_deputy.items()},
        {key: Figures(*sums) for key, sums in by_station.items()},
    )

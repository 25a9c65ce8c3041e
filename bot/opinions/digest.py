"""The daily supervision digest (每日督办简报): counts for staff, per-deputy items for committee members.

Pure queries and composing; the only writes are outbox rows and the audit entries that make sending
idempotent: one `digest.sent` entry per person and local day (object id `YYYY-MM-DD:person_id`).
`send_digests` is meant to be called from the SLA sweep; it sends nothing before 08:30 local and at
most once per person per local day, however often it runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.kit.i18n import Translator, translator
from bot.opinions.sla import ClockKind, SlaPolicy, colour, colour_clock, deliver_at, running_clock
from bot.people.identity import locale_of
from bot.runtime.replies import esc, send_text
from bot.runtime.settings import Settings
from storage.models import (
    LOAD_STATES,
    ContactTier,
    Opinion,
    Person,
    Role,
    WarningColour,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "DIGEST_ACTION",
    "DIGEST_TIME",
    "WARNED_MOST",
    "DeputyLine",
    "StaffCounts",
    "colour_of",
    "committee_lines",
    "compose",
    "digest_due",
    "digest_moment",
    "send_digests",
    "staff_counts",
    "warned",
]

DIGEST_ACTION = "digest.sent"
DIGEST_TIME = time(8, 30)
_LOCK_KEY = 7_244_031  # advisory lock: one digest run at a time across workers (PostgreSQL)
_MAX_DEPUTY_LINES = 60


def digest_moment(now: datetime, policy: SlaPolicy) -> datetime:
    """Today's 08:30 on the congress's local clock, as an aware datetime."""
    local = now.astimezone(policy.tz)
    return datetime.combine(local.date(), DIGEST_TIME, tzinfo=policy.tz)


def _day_key(day: date, person_id: int) -> str:
    return f"{day.isoformat()}:{person_id}"


async def _sent_today(uow: UnitOfWork, day: date) -> set[int]:
    """Person ids whose digest for `day` is already recorded."""
    prefix = f"{day.isoformat()}:"
    out: set[int] = set()
    for value in await uow.audit.object_ids(DIGEST_ACTION, "digest", prefix):
        tail = (value or "").removeprefix(prefix)
        if tail.isdigit():
            out.add(int(tail))
    return out


async def digest_due(uow: UnitOfWork, now: datetime, policy: SlaPolicy, person_id: int | None = None) -> bool:
    """Whether today's 08:30-local digest is due: it is 08:30 or later and it was not sent yet.

    With `person_id`, for that person; without, whether any recipient still waits for today's.
    """
    if now.astimezone(policy.tz) < digest_moment(now, policy):
        return False
    sent = await _sent_today(uow, policy.local_today(now))
    if person_id is not None:
        return person_id not in sent
    return any(p.id not in sent for p in await _recipients(uow))


# -- queries ----------------------------------------------------------------------------------


def colour_of(opinion: Opinion, now: datetime, policy: SlaPolicy) -> WarningColour | None:
    """The opinion's warning colour on its running clock; None when no clock runs."""
    running = running_clock(opinion.state, opinion.accept_deadline, opinion.answer_deadline)
    if running is None:
        return None
    kind, deadline = running
    window = (
        policy.accept_window(opinion.category)
        if kind is ClockKind.ACCEPT
        else policy.answer_window(opinion.category)
    )
    return colour(deadline, window, now, policy.yellow_fraction)


WARNED_MOST = 1000  # yellow and red opinions listed at most (a chat list shows far fewer; counts are in SQL)


async def warned(
    uow: UnitOfWork, now: datetime, policy: SlaPolicy, *, limit: int = WARNED_MOST
) -> list[tuple[Opinion, WarningColour]]:
    """The oldest `limit` open opinions that are yellow or red now, chosen in SQL (storage/repos/colours.py;
    how many there are in all: `uow.colours.counts`)."""
    found = await uow.colours.warned(colour_clock(policy, now), limit=limit)
    return [(opinion, WarningColour(shade)) for opinion, shade in found]


@dataclass(frozen=True)
class StaffCounts:
    new: int  # submitted yesterday (local day)
    triage: int  # open, no holder
    yellow: int
    red: int
    answered: int  # answered yesterday (local day)


def _yesterday(now: datetime, policy: SlaPolicy) -> tuple[datetime, datetime]:
    today = policy.local_today(now)
    start = datetime.combine(today - timedelta(days=1), time(0), tzinfo=policy.tz)
    return start, datetime.combine(today, time(0), tzinfo=policy.tz)


async def staff_counts(uow: UnitOfWork, now: datetime, policy: SlaPolicy) -> StaffCounts:
    """The office's figures: new and answered yesterday, the triage queue, yellow and red now (counted in
    SQL, however many there are)."""
    start, end = _yesterday(now, policy)
    shades = await uow.colours.counts(colour_clock(policy, now))
    return StaffCounts(
        new=await uow.opinions.count_created(start, end),
        triage=await uow.opinions.count_unheld(LOAD_STATES),
        yellow=shades[WarningColour.YELLOW.value],
        red=shades[WarningColour.RED.value],
        answered=await uow.opinions.count_answered(start, end),
    )


@dataclass(frozen=True)
class DeputyLine:
    deputy_id: int
    name: str
    open: int
    yellow: int
    red: int


async def committee_lines(
    uow: UnitOfWork, member_person_id: int, now: datetime, policy: SlaPolicy
) -> list[DeputyLine]:
    """One line per deputy the committee member contacts: their open, yellow and red items (counted in
    SQL)."""
    contacts = await uow.network.contacts_of(member_person_id, ContactTier.COMMITTEE_DEPUTY)
    if not contacts:
        return []
    deputies = await uow.people.deputies_of(p.id for p in contacts)
    shown = deputies[:_MAX_DEPUTY_LINES]
    load = await uow.opinions.open_counts([d.id for d in shown])
    shades = await uow.colours.counts_by_holder(colour_clock(policy, now), [d.id for d in shown])
    lines = []
    for deputy in shown:
        mine = shades.get(deputy.id, {})
        lines.append(
            DeputyLine(
                deputy.id,
                deputy.person.name,
                load.get(deputy.id, 0),
                mine.get(WarningColour.YELLOW.value, 0),
                mine.get(WarningColour.RED.value, 0),
            )
        )
    return lines


# -- composing --------------------------------------------------------------------------------


def compose(tr: Translator, day: date, counts: StaffCounts | None, lines: Iterable[DeputyLine] | None) -> str:
    """The digest text in one language: the office's figures and/or the contacted deputies' items."""
    parts = [tr("📊 <b>Daily digest</b> · {day}", day=day.isoformat())]
    if counts is not None:
        parts += [
            "",
            tr("Congress office:"),
            tr("• New yesterday: {n}", n=counts.new),
            tr("• In the triage queue: {n}", n=counts.triage),
            tr("• 🟡 Near the deadline: {n}", n=counts.yellow),
            tr("• 🔴 Overdue: {n}", n=counts.red),
            tr("• Answered yesterday: {n}", n=counts.answered),
        ]
    if lines is not None:
        parts += ["", tr("The deputies you contact:")]
        for line in lines:
            parts.append(
                tr(
                    "• {name}: {open} open · 🟡 {yellow} · 🔴 {red}",
                    name=esc(line.name),
                    open=line.open,
                    yellow=line.yellow,
                    red=line.red,
                )
            )
    if counts is not None:
        parts += ["", tr("Send /queue for the triage queue and /overdue for late items.")]
    return "\n".join(parts)


async def _recipients(uow: UnitOfWork) -> list[Person]:
    """Who gets a digest, each once: staff, and committee members who contact at least one deputy; only
    people who have written to the bot (their Telegram language was seen, or they have a chat session):
    Telegram refuses a bot's first message, and a roster entry is no sign they ever wrote. Chosen in SQL
    (`PeopleRepo.digest_recipients`)."""
    return list(await uow.people.digest_recipients())


async def _locked(uow: UnitOfWork) -> bool:
    """Take the digest's transaction-scoped advisory lock on PostgreSQL; always True elsewhere."""
    return await uow.try_lock(_LOCK_KEY)


async def send_digests(
    uow: UnitOfWork, settings: Settings, now: datetime, *, policy: SlaPolicy | None = None
) -> int:
    """Queue today's digest for every staff and committee member not yet served; returns how many.

    Nothing before 08:30 local; each person at most once per local day (audited as `digest.sent`).
    The caller commits (the audit rows and outbox rows commit together).
    """
    policy = policy or SlaPolicy(zone=settings.timezone)
    if policy.zone != settings.timezone:
        policy = dataclasses.replace(policy, zone=settings.timezone)
    if now.astimezone(policy.tz) < digest_moment(now, policy):
        return 0
    day = policy.local_today(now)
    sent = await _sent_today(uow, day)
    waiting = [p for p in await _recipients(uow) if p.id not in sent]
    if not waiting or not await _locked(uow):
        return 0
    sent = await _sent_today(uow, day)  # re-read under the lock
    counts: StaffCounts | None = None
    done = 0
    for person in waiting:
        if person.id in sent or person.telegram_id is None:
            continue
        roles = person.role_set
        lines = await committee_lines(uow, person.id, now, policy) if Role.COMMITTEE_MEMBER in roles else None
        is_staff = Role.STAFF in roles
        if not is_staff and not lines:
            continue  # a committee member who contacts nobody: nothing to report
        if is_staff and counts is None:
            counts = await staff_counts(uow, now, policy)
        tr = translator(locale_of(person, None, settings))
        body = compose(tr, day, counts if is_staff else None, lines or None)
        await send_text(uow, person.telegram_id, body, not_before=deliver_at(now, policy))
        await uow.audit.record(
            DIGEST_ACTION,
            actor_person_id=None,
            object_type="digest",
            object_id=_day_key(day, person.id),
            person_id=person.id,
            date=day.isoformat(),
        )
        done += 1
    return done

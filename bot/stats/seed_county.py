"""A seeded three-year county of stations at work, at the product notes' scale: "代表进站履职4500余人次，接待
选民1.1万余人次，收集意见建议1209条，推动办理各类问题1462个".

For `liaison demo` and the statistics tests: a deterministic plan (`random.Random(seed)`) over the
network in the database, written in bulk through the models (storage/repos/county_seed.py). The demo's
county is the example network itself (examples/network.yaml: five county homes, 31 township work
stations, 292 village liaison stations, 291 deputies serving at 210 of them) — a prefecture-sized
network, large enough that no county had to be generated; the notes' three-year county figures are
spread over all of it.

The magnitudes are the plan's, not chance's: `TARGETS` are met exactly (tolerance 0) — 4,532 duty visits,
11,046 visitors, 1,209 opinions collected, 1,462 problems resolved as bot/stats/stations.py defines them —
and the plan distributes them at random over deputies, stations, days and outcomes. `CountySummary`
prints them.

Consistent with the lifecycles, as the chat flows would have left them:
- duty days (bot/duty/lifecycle.py): each put on the roster by staff from a monthly sheet before the day
  (`add`, guard not_past), reminded the evening before; checked in on the day by the deputy on duty
  (`check_in`, guard on_the_day) — that is the duty visit; a few rostered days are never checked in;
  a deputy is on duty at one station a day;
- diary entries (bot/receptions/lifecycle.py): on most checked-in days the deputy keeps the day's entry
  at that station (a home visit, 走访, on other days at a place), registers its visitors — by name (a
  phone only with consent) or anonymous — and what each raised, then closes it; each matter answered on
  the spot (resolved at reception) or sent on as an opinion for the visitor (`source` station_reception
  or home_visit). As bot/receptions/links.py has it, the deputy hands the visitor a one-time link with
  the first: most open it within hours and become the opinions' sender (a person in Telegram); the
  others' opinions stay with a stand-in named by the place, day and number, who can give no verdict;
- opinions (bot/opinions/lifecycle.py, through bot/stats/seed_courses.py): besides those, people in
  Telegram send opinions from their station; each is routed by `routing.route` as on its day (the
  roster read for `station_duty`); every one ends in a terminal state — closed (satisfied, basically
  satisfied, or without a verdict), rejected, or a duplicate — with its timeline, the follow-up (回访)
  of a resolved one included, and exactly `problems_resolved - resolved at reception` of them end
  resolved, all with a sender in Telegram. Tracking numbers continue each year's counter.

The people it adds (senders, link openers) get Telegram user ids above every one the database knows;
no message is queued for anyone. Every event is before `as_of`, which must be on or after 1 April after
the last year (`seed_years_for`): a month after the last closing, every follow-up is asked already.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot.opinions.sla import SlaPolicy
from bot.stats.seed_courses import BY_SENDER, ORIGINAL_PENDING
from bot.stats.seed_plan import DIRECT_SHARE, RESOLVED_SHARE, TARGETS, YEARS, CountyPlan, Targets, allocate
from bot.stats.seed_planner import CountyPlanner
from bot.stats.stations import problems_resolved
from storage.models import Role
from storage.models.opinions import OpinionState
from storage.models.receptions import DiaryKind, MatterOutcome
from storage.repos.county_seed import CountyNetwork, CountySeedRepo
from storage.unit_of_work import UnitOfWork

__all__ = [
    "TARGETS",
    "CountyPlan",
    "CountySummary",
    "Targets",
    "allocate",
    "plan_county",
    "seed_county",
    "seed_if_fresh",
    "seed_years_for",
    "summarize",
]


def seed_years_for(today: date) -> tuple[int, ...]:
    """The three whole years the demo seeds: the last ones whose opinions are all closed — and followed up
    a month later — by `today` (from 1 April of the next year)."""
    last = today.year - 1 if today >= date(today.year, 4, 1) else today.year - 2
    return tuple(range(last - YEARS + 1, last + 1))


@dataclass(frozen=True)
class CountySummary:
    years: tuple[int, ...]
    duty_visits: int
    missed_days: int
    receptions: int
    home_visits: int
    visitors: int
    matters: int
    resolved_at_reception: int
    routed: int
    opinions: int
    direct: int
    opinions_resolved: int
    problems_resolved: int
    events: int
    people: int  # in Telegram: who sent opinions themselves, and visitors who opened their link
    links_opened: int
    links: int

    def __str__(self) -> str:
        return (
            f"seeded county {self.years[0]}–{self.years[-1]}: {self.duty_visits} duty visits "
            f"(+{self.missed_days} rostered days missed), {self.visitors} visitors at {self.receptions} "
            f"receptions and {self.home_visits} home visits, {self.matters} matters ({self.resolved_at_reception} "
            f"resolved at reception, {self.routed} sent as opinions), {self.opinions} opinions collected "
            f"({self.direct} sent directly), {self.opinions_resolved} resolved, {self.problems_resolved} "
            f"problems resolved; {self.events} timeline entries, {self.people} people in Telegram, "
            f"{self.links_opened} of {self.links} visitors' links opened (targets met exactly: tolerance 0)"
        )


def summarize(plan: CountyPlan, years: tuple[int, ...]) -> CountySummary:
    """The plan's figures, counted from its rows (what the statistics must find once it is written)."""
    kinds = Counter(e["kind"] for e in plan.entries)
    outcomes = Counter(m["outcome"] for m in plan.matters)
    resolved = sum(
        1
        for p in plan.opinions
        if p.row["state"] == OpinionState.CLOSED.value and p.row["satisfaction"] in ("satisfied", "basic")
    )
    at_reception = outcomes[MatterOutcome.RESOLVED.value]
    return CountySummary(
        years=years,
        duty_visits=sum(1 for d in plan.duty if d["checked_in_at"] is not None),
        missed_days=sum(1 for d in plan.duty if d["checked_in_at"] is None),
        receptions=kinds[DiaryKind.STATION.value],
        home_visits=kinds[DiaryKind.HOME_VISIT.value],
        visitors=len(plan.visitors),
        matters=len(plan.matters),
        resolved_at_reception=at_reception,
        routed=outcomes[MatterOutcome.ROUTED.value],
        opinions=len(plan.opinions),
        direct=sum(1 for p in plan.opinions if p.row["source"] is None),
        opinions_resolved=resolved,
        problems_resolved=problems_resolved(at_reception, resolved),
        events=sum(len(p.events) for p in plan.opinions),
        people=len(plan.residents),
        links_opened=sum(1 for link in plan.links if link["_resident"] is not None),
        links=len(plan.links),
    )


def plan_county(
    network: CountyNetwork,
    years: tuple[int, ...],
    as_of: datetime,
    *,
    seed: int = 24,
    policy: SlaPolicy | None = None,
    prefix: str = "LX",
    targets: Targets = TARGETS,
) -> tuple[CountyPlan, dict[str, int]]:
    """The county's rows (pure: the same arguments give the same rows) and the counters they take."""
    policy = policy or SlaPolicy()
    planner = CountyPlanner(network, years, as_of, seed=seed, policy=policy, prefix=prefix, targets=targets)
    opinions = targets.opinions
    direct = round(opinions * DIRECT_SHARE)
    resolved = round(opinions * RESOLVED_SHARE)
    on_the_spot = targets.problems_resolved - resolved
    if on_the_spot < 0:
        raise ValueError("more opinions resolved than problems resolved")
    planner.entries(planner.duty())
    planner.visitors()
    planner.matters(opinions - direct, on_the_spot)
    planner.direct(direct)
    planner.courses(resolved)
    for entry in planner.plan.entries:
        entry.pop("_deputy")
    return planner.plan, planner.counters


async def seed_county(
    uow: UnitOfWork,
    years: tuple[int, ...],
    as_of: datetime,
    *,
    seed: int = 24,
    policy: SlaPolicy | None = None,
    prefix: str = "LX",
    targets: Targets = TARGETS,
) -> CountySummary:
    """Plan the county over the network in the database and write it in bulk (the caller commits)."""
    repo = CountySeedRepo(uow.session)
    plan, counters = plan_county(
        await repo.network(), years, as_of, seed=seed, policy=policy, prefix=prefix, targets=targets
    )
    await write(repo, plan, counters)
    return summarize(plan, years)


async def write(repo: CountySeedRepo, plan: CountyPlan, counters: dict[str, int]) -> None:
    """The plan's rows, table by table, each reference resolved to the ids the rows before it got."""
    await repo.add("duty", plan.duty)
    residents = await repo.add("person", plan.residents, ids=True)
    await repo.add("role", [{"person_id": i, "role": Role.CONSTITUENT.value} for i in residents])
    stand_ins = await repo.add("person", plan.stand_ins, ids=True)
    entries = await repo.add("reception", plan.entries, ids=True)

    def person_of(row: dict[str, Any]) -> int | None:
        if row["_resident"] is not None:
            return residents[row["_resident"]]
        return None if row["_stand_in"] is None else stand_ins[row["_stand_in"]]

    # Written without RETURNING (eleven thousand rows: several times faster), then found by entry and number.
    await repo.add(
        "visitor",
        [
            {**_plain(v), "reception_id": entries[v["_entry"]], "person_id": person_of(v)}
            for v in plan.visitors
        ],
    )
    found = await repo.visitor_ids(entries)
    visitors = [found[(entries[v["_entry"]], v["number"])] for v in plan.visitors]
    await repo.add(
        "link",
        [
            {
                **_plain(link),
                "visitor_id": visitors[link["_visitor"]],
                "used_by_person_id": None if link["_resident"] is None else residents[link["_resident"]],
            }
            for link in plan.links
        ],
    )
    senders = [
        residents[p.resident] if p.resident is not None else stand_ins[p.stand_in or 0] for p in plan.opinions
    ]
    opinions = await repo.add(
        "opinion",
        [{**p.row, "sender_person_id": sender} for p, sender in zip(plan.opinions, senders, strict=True)],
        ids=True,
    )
    await repo.mark_duplicates(
        [
            (opinions[i], opinions[p.duplicate_of])
            for i, p in enumerate(plan.opinions)
            if p.duplicate_of is not None
        ]
    )
    await repo.add(
        "matter",
        [
            {
                **_plain(m),
                "reception_id": entries[m["_entry"]],
                "visitor_id": visitors[m["_visitor"]],
                "opinion_id": None if m["_opinion"] is None else opinions[m["_opinion"]],
            }
            for m in plan.matters
        ],
    )
    events = []
    for opinion_id, sender, planned in zip(opinions, senders, plan.opinions, strict=True):
        target = None if planned.duplicate_of is None else opinions[planned.duplicate_of]
        for event in planned.events:
            row = {k: v for k, v in event.items() if k != BY_SENDER}
            if event[BY_SENDER]:
                row["actor_person_id"] = sender
            if row["reason"] == ORIGINAL_PENDING:
                row["reason"] = f"duplicate_of:{target}"
            events.append({**row, "opinion_id": opinion_id})
    await repo.add("event", events)
    followers = []  # a duplicate's sender follows the original (bot/opinions/service.py `mark_duplicate`)
    for i, planned in enumerate(plan.opinions):
        if planned.duplicate_of is not None and senders[i] != senders[planned.duplicate_of]:
            followers.append({"opinion_id": opinions[planned.duplicate_of], "person_id": senders[i]})
    await repo.add("subscriber", _unique(followers))
    await repo.raise_counters(counters)


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith("_")}


def _unique(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for row in rows:
        key = (row["opinion_id"], row["person_id"])
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


async def seed_if_fresh(
    uow: UnitOfWork, now: datetime, policy: SlaPolicy | None = None, prefix: str = "LX"
) -> CountySummary | None:
    """The demo's county (`seed_years_for` today), written only into a database with no opinion, duty day
    or diary entry before the end of its last year and with deputies at stations; None when nothing was
    written (the caller commits)."""
    policy = policy or SlaPolicy()
    years = seed_years_for(now.astimezone(policy.tz).date())
    after = date(years[-1] + 1, 1, 1)
    repo = CountySeedRepo(uow.session)
    if await repo.anything_before(datetime.combine(after, time(0), tzinfo=policy.tz), after):
        return None
    network = await repo.network()
    if not any(d.station_ids for d in network.deputies):
        return None
    return await seed_county(uow, years, now, policy=policy, prefix=prefix)

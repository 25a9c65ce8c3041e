"""The seeded county's opinions (bot/stats/seed_county.py says what and why): who sends them — people in
Telegram, visitors who opened their one-time link, stand-ins of those who did not — how routing places
each, and each one's outcome, walked through bot/stats/seed_courses.py."""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.opinions.routing import DeputyInfo, RoutingSnapshot, StationInfo, route
from bot.opinions.service import format_tracking_no
from bot.receptions.links import LINK_TTL
from bot.receptions.service import SOURCES, stand_in_name
from bot.stats.seed_courses import TRANSFER_SHARE, Course, Outcome, PlannedOpinion, walk
from bot.stats.seed_diary import PHONE_SHARE
from bot.stats.seed_plan import YEAR_WEIGHTS, PlannerState, allocate
from bot.stats.seed_texts import MATTERS
from storage.models.core import StationKind
from storage.models.opinions import OpinionState
from storage.models.receptions import DiaryKind
from storage.repos.county_seed import SeedDeputy

__all__ = ["OpinionPlanner"]

OTHER_OUTCOMES = {  # how the other opinions end
    Outcome.AUTO_CLOSED: 0.55,
    Outcome.DISSATISFIED: 0.10,
    Outcome.REJECTED: 0.20,
    Outcome.DUPLICATE: 0.15,
}
# How the opinions of a visitor who never opened their link end: nobody can give a verdict on them.
UNHEARD_OUTCOMES = {Outcome.AUTO_CLOSED: 0.60, Outcome.REJECTED: 0.25, Outcome.DUPLICATE: 0.15}
LINK_OPENED_SHARE = 0.85  # visitors not in Telegram who open the one-time link they were handed
SENDERS_PER_DIRECT = 0.7  # people who sent opinions themselves, per such opinion (some sent several)


class OpinionPlanner(PlannerState):
    """The opinions: routed from the matters, sent directly, then each one's course (fills `plan`)."""

    # -- who sends the opinions ----------------------------------------------------------------------

    def resident(self, name: str, phone: str | None, station_id: int | None, at: datetime) -> int:
        """A person in Telegram (a constituent since their first /start, `at`)."""
        self.plan.residents.append(
            {
                "name": name,
                "phone": phone,
                "telegram_id": self.network.telegram_base + len(self.plan.residents),
                "telegram_language": "zh-hans",
                "station_id": station_id,
                "created_at": at,
            }
        )
        return len(self.plan.residents) - 1

    def sender_of(self, visitor: dict[str, Any], entry: dict[str, Any], at: datetime) -> tuple[str, int]:
        """Whom a visitor's opinions are filed for (bot/receptions/service.py, links.py): a stand-in and a
        one-time link handed over with the first; most open it within hours and become the sender."""
        rng = self.rng
        if visitor["_link"] is None:
            opened = rng.random() < LINK_OPENED_SHARE
            who = None
            if opened:
                moment = at + timedelta(minutes=rng.randint(60, 180))
                name = visitor["name"] or self.name()
                who = self.resident(name, visitor["phone"], entry["station_id"], moment)
                visitor.update(_resident=who, stand_in=False)
            else:
                place = entry["place"] or self.stations[entry["station_id"]].name
                name = stand_in_name(place, entry["day"], visitor["number"])
                self.plan.stand_ins.append({"name": name, "created_at": at})
                visitor.update(_stand_in=len(self.plan.stand_ins) - 1, stand_in=True)
            digest = hashlib.sha256(f"seeded county {self.seed} link {len(self.plan.links)}".encode())
            self.plan.links.append(
                {
                    "token_hash": digest.hexdigest(),  # of no token anyone holds
                    "created_by_person_id": entry["recorded_by_person_id"],
                    "created_at": at,
                    "expires_at": at + LINK_TTL,
                    "used_at": self.plan.residents[who]["created_at"] if who is not None else None,
                    "_visitor": visitor["_index"],
                    "_resident": who,
                }
            )
            visitor["_link"] = len(self.plan.links) - 1
        if visitor["_resident"] is not None:
            return "resident", int(visitor["_resident"])
        return "stand_in", int(visitor["_stand_in"])

    def route(self, station_id: int | None, day: date, category: str) -> tuple[SeedDeputy, str]:
        """The holder and the stored reason, as `routing.route` decides on that local day (loads left
        out: the seeded opinions are closed within days, so the lowest deputy id wins a tie)."""
        stations: dict[int, StationInfo] = {}
        current, seen = station_id, set[int]()
        while current is not None and current in self.stations and current not in seen:
            seen.add(current)
            on_duty = self.on_duty.get((current, day), set())
            stations[current] = StationInfo(
                current,
                self.stations[current].parent_id,
                tuple(
                    DeputyInfo(d.id, frozenset(d.fields), 0, d.id in on_duty)
                    for d in self.members.get(current, [])
                ),
            )
            current = self.stations[current].parent_id
        decision = route(RoutingSnapshot(category, station_id, (), stations))
        if decision.holder_deputy_id is None:  # pragma: no cover - every sender's station has deputies
            raise AssertionError(f"a seeded opinion at station {station_id} would go to staff triage")
        return self.by_deputy[decision.holder_deputy_id], decision.code

    def routed(
        self, visitor: dict[str, Any], entry: dict[str, Any], code: str, text: str, at: datetime, topic: str
    ) -> int:
        """A matter sent on as an opinion: routed at the entry's station (a home visit: the keeper's first
        station) on the entry's day."""
        deputy: SeedDeputy = entry["_deputy"]
        station_id = entry["station_id"] or deputy.station_ids[0]
        holder, reason = self.route(station_id, entry["day"], code)
        kind, index = self.sender_of(visitor, entry, at)
        self.opinion(
            created=at,
            sender=(kind, index),
            station_id=station_id,
            holder=holder,
            reason=reason,
            code=code,
            text=text,
            anonymous=visitor["anonymous"],
            source=SOURCES[DiaryKind(entry["kind"])],
            recorded_by=entry["recorded_by_person_id"],
            topic=topic,
        )
        return len(self.plan.opinions) - 1

    def opinion(
        self,
        *,
        created: datetime,
        sender: tuple[str, int],
        station_id: int | None,
        holder: SeedDeputy,
        reason: str,
        code: str,
        text: str,
        anonymous: bool,
        source: str | None,
        recorded_by: int | None,
        topic: str,
        public: bool = False,
    ) -> PlannedOpinion:
        row: dict[str, Any] = {
            "tracking_no": "",
            "station_id": station_id,
            "category": code,
            "text": text,
            "anonymous": anonymous,
            "public": public and not anonymous,
            "state": OpinionState.SUBMITTED.value,
            "holder_deputy_id": holder.id,
            "route_reason": reason,
            "supervisor_person_id": holder.supervisor_person_id,
            "created_at": created,
            "accepted_at": None,
            "answered_at": None,
            "closed_at": None,
            "accept_deadline": None,
            "answer_deadline": None,
            "answer_text": None,
            "satisfaction": None,
            "last_warning": None,
            "next_warning_at": None,
            # Set as the course is walked (bot/stats/seed_courses.py), as the service sets them.
            "first_accepted_at": None,
            "first_answered_at": None,
            "reopen_count": 0,
            "closing_action": None,
            "source": source,
            "recorded_by_person_id": recorded_by,
            "_topic": topic,
            "_holder_person": holder.person_id,
        }
        kind, index = sender
        planned = PlannedOpinion(
            row,
            resident=index if kind == "resident" else None,
            stand_in=index if kind == "stand_in" else None,
        )
        self.plan.opinions.append(planned)
        return planned

    def direct(self, count: int) -> None:
        """Opinions people in Telegram sent themselves from their station, routed there that day."""
        rng = self.rng
        homes = [sid for sid in self.members if self.stations[sid].kind == StationKind.VILLAGE.value] or list(
            self.members
        )
        homes.sort()
        pool = max(1, round(count * SENDERS_PER_DIRECT))
        senders: dict[int, int] = {}  # a sender of the pool → the resident, made at their first opinion
        for year, share in zip(self.years, allocate(count, YEAR_WEIGHTS), strict=True):
            start = date(year, 1, 1)
            span = (date(year + 1, 1, 1) - start).days
            for _ in range(share):
                one = rng.randrange(pool)
                day = start + timedelta(days=rng.randrange(span))
                created = self.at(day, time(7, 0), 16 * 60 - 1)
                joined = created - timedelta(days=rng.randint(0, 5), minutes=rng.randint(5, 600))
                if one not in senders:
                    phone = f"+86157{rng.randint(0, 99999999):08d}" if rng.random() < PHONE_SHARE else None
                    senders[one] = self.resident(self.name(), phone, rng.choice(homes), joined)
                who = senders[one]
                person = self.plan.residents[who]
                # Joined the bot before their first opinion (the years are planned in turn, not in order).
                person["created_at"] = min(person["created_at"], joined)
                code, topic = self.category()
                station_id = person["station_id"]
                holder, reason = self.route(station_id, day, code)
                place = self.stations[station_id].name.removesuffix("人大代表联络站")
                self.opinion(
                    created=created,
                    sender=("resident", who),
                    station_id=station_id,
                    holder=holder,
                    reason=reason,
                    code=code,
                    text=rng.choice(MATTERS).format(place=place, topic=topic),
                    anonymous=rng.random() < 0.10,
                    source=None,
                    recorded_by=None,
                    topic=topic,
                    public=rng.random() < 0.25,
                )

    # -- outcomes ---------------------------------------------------------------------------------------

    def courses(self, resolved: int) -> None:
        """Number the opinions in order of receipt, draw each one's outcome and walk it."""
        rng, opinions = self.rng, self.plan.opinions
        planned_order = list(opinions)
        opinions.sort(key=lambda p: p.row["created_at"])
        position = {id(p): i for i, p in enumerate(opinions)}
        for matter in self.plan.matters:  # the matters named opinions by their place in the old order
            if matter["_opinion"] is not None:
                matter["_opinion"] = position[id(planned_order[matter["_opinion"]])]
        numbers: Counter[int] = Counter()
        for planned in opinions:
            year = planned.row["created_at"].astimezone(self.tz).year
            numbers[year] += 1
            planned.row["tracking_no"] = format_tracking_no(self.prefix, year, numbers[year])
        self.counters = {f"opinion:{y}": n for y, n in numbers.items()}
        outcomes = self.outcomes(resolved)
        originals: dict[tuple[int | None, str], list[int]] = defaultdict(list)
        fallback: list[int] = []
        for index, planned in enumerate(opinions):
            outcome = outcomes[index]
            row = planned.row
            key = (row["station_id"], row["category"])
            if outcome is Outcome.DUPLICATE:
                pool = originals.get(key) or fallback
                if pool:
                    planned.duplicate_of = pool[-1]
                else:
                    outcome = Outcome.AUTO_CLOSED  # nothing earlier to join: the first opinions never are
            if outcome not in (Outcome.REJECTED, Outcome.DUPLICATE):
                originals[key].append(index)
                fallback.append(index)
            walk(planned, self.course(planned, outcome), rng, self.policy, self.as_of, row.pop("_topic"))
            row.pop("_holder_person")

    def outcomes(self, resolved: int) -> list[Outcome]:
        """Each opinion's outcome, in order: exactly `resolved` resolved, all among opinions whose sender is
        in Telegram — an unopened link's stand-in can give no verdict, so its opinions end otherwise."""
        rng, opinions = self.rng, self.plan.opinions
        heard = [i for i, p in enumerate(opinions) if p.resident is not None]
        unheard = [i for i, p in enumerate(opinions) if p.resident is None]
        others = len(opinions) - resolved
        if not 0 <= resolved <= len(heard) or len(unheard) > others:
            raise ValueError(
                f"{resolved} resolved of {len(opinions)} opinions, {len(unheard)} of them with no sender in Telegram"
            )
        drawn: list[Outcome] = [Outcome.RESOLVED] * resolved
        for outcome, n in zip(
            OTHER_OUTCOMES, allocate(others - len(unheard), list(OTHER_OUTCOMES.values())), strict=True
        ):
            drawn += [outcome] * n
        quiet: list[Outcome] = []
        for outcome, n in zip(
            UNHEARD_OUTCOMES, allocate(len(unheard), list(UNHEARD_OUTCOMES.values())), strict=True
        ):
            quiet += [outcome] * n
        rng.shuffle(drawn)
        rng.shuffle(quiet)
        out: list[Outcome] = [Outcome.AUTO_CLOSED] * len(opinions)
        for i, outcome in zip(heard, drawn, strict=True):
            out[i] = outcome
        for i, outcome in zip(unheard, quiet, strict=True):
            out[i] = outcome
        return out

    def course(self, planned: PlannedOpinion, outcome: Outcome) -> Course:
        row = planned.row
        transfer = None
        if (
            outcome in (Outcome.RESOLVED, Outcome.AUTO_CLOSED, Outcome.DISSATISFIED)
            and self.rng.random() < TRANSFER_SHARE
        ):
            others = [
                d for d in self.members.get(row["station_id"] or 0, []) if d.id != row["holder_deputy_id"]
            ]
            if others:
                to = self.rng.choice(others)
                transfer = (to.id, to.person_id, to.supervisor_person_id)
        return Course(
            outcome,
            row["_holder_person"],
            transfer,
            self.network.staff_person_id,
            may_ask=row["source"] is None,  # a visitor's sender is found only after the handover
        )

"""The seeded county's duty days and diary (bot/stats/seed_county.py says what and why): duty days walked
through the duty lifecycle, diary entries and their visitors and matters through the diary's."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from bot.duty.lifecycle import ActorKind as DutyActor
from bot.duty.lifecycle import DayAction, DayState, decide_day
from bot.duty.lifecycle import Facts as DayFacts
from bot.duty.lifecycle import Refusal as DutyRefusal
from bot.receptions.lifecycle import Action as DiaryAction
from bot.receptions.lifecycle import Refusal as DiaryRefusal
from bot.receptions.lifecycle import Relation
from bot.receptions.lifecycle import decide as decide_diary
from bot.receptions.rules import MAX_MATTERS, MAX_VISITORS
from bot.stats.seed_plan import YEAR_WEIGHTS, PlannerState, allocate
from bot.stats.seed_texts import MATTERS, ON_THE_SPOT
from storage.models.receptions import DiaryKind, DiaryState, MatterOutcome
from storage.repos.county_seed import SeedDeputy

__all__ = ["PHONE_SHARE", "DiaryPlanner"]

DUTY_SOURCE = "sheet"  # rosters came from the stations' monthly sheets
RECEPTION_SHARE = 0.93  # checked-in days with a diary entry (visitors registered)
HOME_VISIT_SHARE = 0.09  # home visits per station reception
MISSED_SHARE = 0.03  # rostered days never checked in, per checked-in day
ANONYMOUS_SHARE = 0.15
PHONE_SHARE = 0.40  # of named visitors, those who gave a phone (with consent)
SECOND_MATTER_SHARE = 0.08  # matters raised by a visitor who raised one already


class DiaryPlanner(PlannerState):
    """Duty days, then the diary's entries, visitors and matters (each step fills `plan`)."""

    # -- duty -----------------------------------------------------------------------------------------

    def duty(self) -> list[tuple[SeedDeputy, int, date, datetime]]:
        """The duty days: each year's share of check-ins (and a few missed days), one station a deputy a
        day; returns the checked-in ones (deputy, station, day, check-in time)."""
        rng = self.rng
        pairs: list[tuple[SeedDeputy, int]] = []
        weights: list[float] = []
        for deputy in self.deputies:
            activity = rng.lognormvariate(0, 0.5)
            for n, station_id in enumerate(deputy.station_ids):
                pairs.append((deputy, station_id))
                weights.append(activity * (0.7 if n == 0 else 0.3 / (len(deputy.station_ids) - 1)))
        taken: set[tuple[int, date]] = set()
        checked: list[tuple[SeedDeputy, int, date, datetime]] = []
        for year, visits in zip(self.years, allocate(self.targets.duty_visits, YEAR_WEIGHTS), strict=True):
            days = self.workdays(year)
            missed = round(visits * MISSED_SHARE)
            for i in range(visits + missed):
                while True:
                    deputy, station_id = rng.choices(pairs, weights)[0]
                    day = rng.choice(days)
                    if (deputy.id, day) not in taken:
                        taken.add((deputy.id, day))
                        break
                checked_in = self.roster(deputy, station_id, day, checks_in=i < visits)
                if checked_in is not None:
                    checked.append((deputy, station_id, day, checked_in))
        self.plan.duty.sort(key=lambda d: (d["date"], d["station_id"], d["deputy_id"]))
        checked.sort(key=lambda c: (c[2], c[1], c[0].id))
        return checked

    def roster(self, deputy: SeedDeputy, station_id: int, day: date, *, checks_in: bool) -> datetime | None:
        """One duty day: put on the roster from the month's sheet, reminded, and (maybe) checked in."""
        published = (day.replace(day=1) - timedelta(days=6)).replace(day=25)
        facts = DayFacts(today=published, day=day)
        _granted(decide_day(None, DayAction.ADD, DutyActor.STAFF, facts))
        added = self.at(published, time(10, 0), 120)
        reminded = self.at(day - timedelta(days=1), time(18, 0), 30)
        checked_in = None
        if checks_in:
            _granted(decide_day(DayState.ROSTERED, DayAction.CHECK_IN, DutyActor.DEPUTY, DayFacts(day, day)))
            checked_in = self.at(day, time(8, 30), 90)
        self.on_duty[(station_id, day)].add(deputy.id)
        self.plan.duty.append(
            {
                "deputy_id": deputy.id,
                "station_id": station_id,
                "date": day,
                "source": DUTY_SOURCE,
                "added_by_person_id": self.network.staff_person_id,
                "added_at": added,
                "reminded_at": reminded,
                "checked_in_at": checked_in,
            }
        )
        return checked_in

    # -- the diary ------------------------------------------------------------------------------------

    def entries(self, checked: list[tuple[SeedDeputy, int, date, datetime]]) -> None:
        """A station entry on most checked-in days, and home visits on other days; all closed."""
        rng = self.rng
        for deputy, station_id, day, checked_in in checked:
            if rng.random() < RECEPTION_SHARE:
                opened = checked_in + timedelta(minutes=rng.randint(5, 30))
                self.entry(deputy, DiaryKind.STATION, day, opened, station_id=station_id)
        stations = sum(1 for e in self.plan.entries)
        weights = [rng.lognormvariate(0, 0.5) for _ in self.deputies]
        for year, count in zip(
            self.years, allocate(round(stations * HOME_VISIT_SHARE), YEAR_WEIGHTS), strict=True
        ):
            days = self.workdays(year)
            for _ in range(count):
                deputy = rng.choices(self.deputies, weights)[0]
                day = rng.choice(days)
                place = f"{rng.choice(self.villages).removesuffix('人大代表联络站')}{rng.randint(1, 9)}组"
                self.entry(deputy, DiaryKind.HOME_VISIT, day, self.at(day, time(14, 0), 120), place=place)
        self.plan.entries.sort(key=lambda e: (e["day"], e["created_at"]))

    def entry(
        self,
        deputy: SeedDeputy,
        kind: DiaryKind,
        day: date,
        opened: datetime,
        *,
        station_id: int | None = None,
        place: str | None = None,
    ) -> None:
        self.plan.entries.append(
            {
                "deputy_id": deputy.id,
                "kind": kind.value,
                "station_id": station_id,
                "place": place,
                "day": day,
                "people": None,
                "opinions_paper": 0,
                "legacy": False,
                "state": DiaryState.OPEN.value,
                "recorded_by_person_id": deputy.person_id,
                "created_at": opened,
                "closed_at": None,
                "closed_by_person_id": None,
                "_deputy": deputy,
            }
        )

    def visitors(self) -> None:
        """`TARGETS.visitors` shared over the entries (at least one each), registered in order."""
        rng, entries = self.rng, self.plan.entries
        total = self.targets.visitors
        if total < len(entries):
            raise ValueError(f"{total} visitors cannot fill {len(entries)} diary entries")
        busy = defaultdict(lambda: rng.lognormvariate(0, 0.6))
        weights = [busy[e["station_id"]] if e["station_id"] else 1.2 for e in entries]
        counts = [1] * len(entries)
        for index in rng.choices(range(len(entries)), weights, k=total - len(entries)):
            counts[index] += 1
        if max(counts) > MAX_VISITORS:  # pragma: no cover - thousands of entries share eleven thousand
            raise ValueError("an entry would hold more visitors than the diary allows")
        for index, (entry, count) in enumerate(zip(entries, counts, strict=True)):
            moment = entry["created_at"]
            keeper = entry["recorded_by_person_id"]
            for number in range(1, count + 1):
                _granted(decide_diary(DiaryState.OPEN, DiaryAction.REGISTER, Relation.KEEPER))
                moment += timedelta(minutes=rng.randint(2, 15))
                anonymous = rng.random() < ANONYMOUS_SHARE
                phone = (
                    None
                    if anonymous or rng.random() >= PHONE_SHARE
                    else f"+86157{rng.randint(0, 99999999):08d}"
                )
                self.plan.visitors.append(
                    {
                        "_index": len(self.plan.visitors),
                        "number": number,
                        "anonymous": anonymous,
                        "name": None if anonymous else self.name(),
                        "phone": phone,
                        "phone_consent": phone is not None,
                        "phone_consent_at": moment if phone else None,
                        "stand_in": False,
                        "registered_by_person_id": keeper,
                        "created_at": moment,
                        "_entry": index,
                        "_stand_in": None,
                        "_resident": None,
                        "_link": None,
                    }
                )
            _granted(decide_diary(DiaryState.OPEN, DiaryAction.CLOSE, Relation.KEEPER))
            closed = max(moment, self.at(entry["day"], time(16, 30), 90)) + timedelta(minutes=5)
            entry.update(state=DiaryState.CLOSED.value, closed_at=closed, closed_by_person_id=keeper)

    def matters(self, routed: int, on_the_spot: int) -> None:
        """What visitors raised: `routed` sent on as opinions, `on_the_spot` answered there."""
        rng, visitors = self.rng, self.plan.visitors
        total = routed + on_the_spot
        seconds = round(total * SECOND_MATTER_SHARE)
        if total - seconds > len(visitors):
            raise ValueError(f"{total} matters are too many for {len(visitors)} visitors")
        raisers = sorted(rng.sample(range(len(visitors)), total - seconds))
        raised = list(raisers) + [rng.choice(raisers) for _ in range(seconds)]
        per_visitor = Counter(raised)
        if max(per_visitor.values(), default=0) > MAX_MATTERS:  # pragma: no cover
            raise ValueError("a visitor would raise more matters than the diary allows")
        sent = set(rng.sample(range(total), routed))
        seen: Counter[int] = Counter()
        for n, v in enumerate(sorted(raised)):
            visitor, entry = visitors[v], self.plan.entries[visitors[v]["_entry"]]
            seen[v] += 1
            at = visitor["created_at"] + timedelta(minutes=seen[v] * rng.randint(1, 4))
            code, topic = self.category()
            place = entry["place"] or self.stations[entry["station_id"]].name.removesuffix("人大代表联络站")
            text = rng.choice(MATTERS).format(place=place, topic=topic)
            matter: dict[str, Any] = {
                "text": text,
                "category": code,
                "answer": None,
                "registered_by_person_id": entry["recorded_by_person_id"],
                "created_at": at,
                "_entry": visitor["_entry"],
                "_visitor": v,
                "_opinion": None,
            }
            if n in sent:
                matter["outcome"] = MatterOutcome.ROUTED.value
                matter["_opinion"] = self.routed(visitor, entry, code, text, at, topic)
            else:
                matter["outcome"] = MatterOutcome.RESOLVED.value
                matter["answer"] = rng.choice(ON_THE_SPOT).format(topic=topic)
            self.plan.matters.append(matter)


def _granted(decided: object) -> None:
    if isinstance(decided, (DutyRefusal, DiaryRefusal)):
        raise AssertionError(f"seed plan broke a lifecycle: {decided}")

"""What the seeded county's planners share (bot/stats/seed_county.py says what the county is and why): the
targets and how they are shared out, the plan's rows, and the state both planners draw on — the network,
the years, one random stream."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.network.categories import CATEGORIES
from bot.opinions.sla import SlaPolicy
from bot.stats.seed_courses import PlannedOpinion
from bot.stats.seed_texts import CATEGORY_WEIGHTS, GIVEN, SURNAMES, TOPICS
from storage.models.core import StationKind
from storage.repos.county_seed import CountyNetwork, SeedDeputy

__all__ = [
    "DIRECT_SHARE",
    "RESOLVED_SHARE",
    "TARGETS",
    "YEARS",
    "CountyPlan",
    "PlannerState",
    "Targets",
    "allocate",
]

YEARS = 3


@dataclass(frozen=True)
class Targets:
    duty_visits: int
    visitors: int
    opinions: int
    problems_resolved: int


TARGETS = Targets(duty_visits=4532, visitors=11046, opinions=1209, problems_resolved=1462)

# How the targets are shared out.
YEAR_WEIGHTS = (0.31, 0.33, 0.36)  # the work grows a little year on year
DIRECT_SHARE = 0.35  # opinions sent by people themselves through the bot; the rest registered at receptions
RESOLVED_SHARE = 0.83  # opinions that end satisfied or basically satisfied


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """`total` shared out in proportion to `weights`, largest remainders first (the parts sum to it)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    parts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))[: total - sum(parts)]:
        parts[i] += 1
    return parts


@dataclass
class CountyPlan:
    """Every row of the county before it is written; references between rows are indexes."""

    duty: list[dict[str, Any]] = field(default_factory=list)
    residents: list[dict[str, Any]] = field(default_factory=list)  # people in Telegram (constituents)
    stand_ins: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    visitors: list[dict[str, Any]] = field(default_factory=list)  # `_entry`, `_stand_in`, `_resident`
    links: list[dict[str, Any]] = field(default_factory=list)  # `_visitor`, `_resident` (who opened it)
    matters: list[dict[str, Any]] = field(default_factory=list)  # `_entry`, `_visitor`, `_opinion`
    opinions: list[PlannedOpinion] = field(default_factory=list)


class PlannerState:
    """The network, the years and the one random stream the planners draw on, and the plan they fill."""

    def __init__(
        self,
        network: CountyNetwork,
        years: tuple[int, ...],
        as_of: datetime,
        *,
        seed: int,
        policy: SlaPolicy,
        prefix: str,
        targets: Targets,
    ) -> None:
        self.network, self.years, self.as_of = network, years, as_of
        self.rng = random.Random(seed)
        self.policy, self.tz, self.prefix, self.targets = policy, policy.tz, prefix, targets
        self.deputies = [d for d in network.deputies if d.station_ids]
        if not self.deputies:
            raise ValueError("a seeded county needs deputies who serve at stations")
        if as_of.astimezone(self.tz).date() < date(years[-1] + 1, 4, 1):
            raise ValueError(
                f"as_of must be on or after {years[-1] + 1}-04-01 for every opinion to be closed and followed up"
            )
        self.by_deputy = {d.id: d for d in network.deputies}
        self.stations = {s.id: s for s in network.stations}
        self.members: dict[int, list[SeedDeputy]] = defaultdict(list)
        for deputy in self.deputies:
            for station_id in deputy.station_ids:
                self.members[station_id].append(deputy)
        self.villages = [s.name for s in network.stations if s.kind == StationKind.VILLAGE.value] or [
            s.name for s in network.stations
        ]
        self.plan = CountyPlan()
        self.on_duty: dict[tuple[int, date], set[int]] = defaultdict(set)  # the roster routing reads
        self.seed = seed
        self.counters: dict[str, int] = {}  # the tracking-number counters the plan takes

    # -- time -----------------------------------------------------------------------------------------

    def at(self, day: date, start: time, minutes: int) -> datetime:
        """A local moment of the day, `start` plus up to `minutes`, in UTC."""
        local = datetime.combine(day, start, tzinfo=self.tz) + timedelta(minutes=self.rng.randint(0, minutes))
        return local.astimezone(UTC)

    def workdays(self, year: int) -> list[date]:
        first, days = date(year, 1, 1), []
        while first.year == year:
            if first.weekday() < 5:
                days.append(first)
            first += timedelta(days=1)
        return days

    def name(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def category(self) -> tuple[str, str]:
        codes = [c for c in CATEGORY_WEIGHTS if c in CATEGORIES]
        code = self.rng.choices(codes, [CATEGORY_WEIGHTS[c] for c in codes])[0]
        return code, self.rng.choice(TOPICS[code])

    def routed(
        self, visitor: dict[str, Any], entry: dict[str, Any], code: str, text: str, at: datetime, topic: str
    ) -> int:
        """A matter sent on as an opinion (bot/stats/seed_opinions.py); the index of its opinion."""
        raise NotImplementedError

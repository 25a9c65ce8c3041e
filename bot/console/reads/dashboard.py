"""The dashboard's and the statistics page's figures: counts now, colours on the running clocks, and the
report's series (bot.stats.service, the same figures as /stats and `liaison stats`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.console.reads.base import Reads
from bot.kit.i18n import Translator
from bot.opinions.sla import colour_clock
from bot.stats.service import COUNTING, compute_stats
from bot.suggestions.figures import suggestion_totals
from bot.suggestions.report import YearReport, year_report
from storage.models import LOAD_STATES, OpinionState, WarningColour
from storage.repos.opinion_figures import OpinionFiguresRepo

__all__ = ["Dashboard", "DashboardReads"]


@dataclass(frozen=True)
class Dashboard:
    received: int
    open: int
    triage: int
    answered: int
    closed: int
    green: int
    yellow: int
    red: int
    broadcasts_sending: int
    by_month: list[dict[str, Any]]
    by_category: list[dict[str, Any]]
    suggestions: dict[str, Any]  # deputies' suggestions, all time (bot.suggestions.figures)


class DashboardReads(Reads):
    """The office's figures."""

    async def colours(self) -> dict[str, int]:
        """How many open opinions are green, yellow and red now (on their running clock), counted in SQL."""
        return await self.uow.colours.counts(colour_clock(self.policy, self.clock.now()))

    async def dashboard(self) -> Dashboard:
        """The office's figures now, the last twelve months' and the categories' (all time): counted in
        one pass over the opinions (`OpinionFiguresRepo.overview`) rather than the whole report, which a
        province's million opinions make take many seconds."""
        months = self._last_months()
        groups = await OpinionFiguresRepo(self.uow.session).overview(months)
        load = {s.value for s in LOAD_STATES}
        handled = set(COUNTING.handled_states)
        states: Counter[str] = Counter()
        triage = 0
        categories: Counter[str] = Counter()
        received: Counter[str] = Counter()
        done: Counter[str] = Counter()
        for category, state, unheld, month, n in groups:
            states[state] += n
            categories[category] += n
            if unheld and state in load:
                triage += n
            if month is not None:
                received[month] += n
                if state in handled:
                    done[month] += n
        shades = await self.colours()
        sending = await self.uow.console.broadcasts_sending()
        return Dashboard(
            received=sum(states.values()),
            open=sum(n for state, n in states.items() if state in load),
            triage=triage,
            answered=states[OpinionState.ANSWERED.value],
            closed=states[OpinionState.CLOSED.value],
            green=shades[WarningColour.GREEN],
            yellow=shades[WarningColour.YELLOW],
            red=shades[WarningColour.RED],
            broadcasts_sending=sending,
            by_month=[{"key": k, "received": received[k], "handled": done[k]} for k, _, _ in months],
            # The report's order: most received first, then by code.
            by_category=[
                {"key": k, "received": n}
                for k, n in sorted(categories.items(), key=lambda kv: (-kv[1], kv[0] is None, str(kv[0])))
            ],
            suggestions=await suggestion_totals(self.uow.suggestion_figures, None, None),
        )

    def _last_months(self, count: int = 12) -> list[tuple[str, datetime, datetime]]:
        """The last `count` local months up to this one, oldest first, as ("YYYY-MM", UTC lo, UTC hi)."""
        zone = self.settings.zone
        local = self.clock.now().astimezone(zone)
        year, month = local.year, local.month
        out = []
        for _ in range(count):
            following = (year + 1, 1) if month == 12 else (year, month + 1)
            lo = datetime(year, month, 1, tzinfo=zone).astimezone(UTC)
            out.append((f"{year:04d}-{month:02d}", lo, datetime(*following, 1, tzinfo=zone).astimezone(UTC)))
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        return out[::-1]

    async def statistics(self, start: date | None, end: date | None) -> dict[str, Any]:
        """The report's figures (bot.stats.service, the same as /stats and `liaison stats`), with every
        deputy's work at the stations (as the page's table of deputies lists every one)."""
        return await compute_stats(self.uow.session, start, end, self.settings.timezone, top_deputies=None)

    async def report_years(self) -> list[int]:
        """The years with numbered suggestions, newest first; this year when there are none."""
        years = await self.uow.suggestion_figures.years()
        return years or [self.clock.now().astimezone(self.settings.zone).year]

    async def suggestion_report(
        self, tr: Translator, year: int, *, unit: str | None = None, committee: str | None = None
    ) -> YearReport | None:
        """The yearly report of suggestions (one unit's or committee's when its code is given; None when
        there is no such unit or committee)."""
        return await year_report(
            self.uow.suggestion_figures,
            tr,
            year,
            self.settings.zone,
            unit_code=unit,
            committee_code=committee,
        )

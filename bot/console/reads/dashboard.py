"""The dashboard's and the statistics page's figures: counts now, colours on the running clocks, and the
report's series (bot.stats.service, the same figures as /stats and `liaison stats`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.console.reads.base import Reads
from bot.kit.i18n import Translator
from bot.opinions.sla import colour_clock
from bot.stats.service import compute_stats
from bot.suggestions.report import YearReport, year_report
from storage.models import LOAD_STATES, OpinionState, WarningColour

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
        """The office's figures now, and the report's monthly and per-category series (all time)."""
        load = [s.value for s in LOAD_STATES]
        count = self.uow.console.opinion_count
        stats = await compute_stats(self.uow.session, None, None, self.settings.timezone)
        shades = await self.colours()
        sending = await self.uow.console.broadcasts_sending()
        return Dashboard(
            received=await count(),
            open=await count(states=load),
            triage=await count(states=load, unheld=True),
            answered=await count(states=[OpinionState.ANSWERED.value]),
            closed=await count(states=[OpinionState.CLOSED.value]),
            green=shades[WarningColour.GREEN],
            yellow=shades[WarningColour.YELLOW],
            red=shades[WarningColour.RED],
            broadcasts_sending=sending,
            by_month=self._last_months(stats["by_month"]),
            by_category=stats["by_category"],
            suggestions=stats["suggestions"],
        )

    def _last_months(self, rows: Sequence[Mapping[str, Any]], count: int = 12) -> list[dict[str, Any]]:
        """The last `count` local months up to this one, months without opinions included as zeros."""
        local = self.clock.now().astimezone(self.settings.zone)
        year, month = local.year, local.month
        keys = []
        for _ in range(count):
            keys.append(f"{year:04d}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        found = {str(r["key"]): r for r in rows}
        return [
            {
                "key": k,
                "received": found.get(k, {}).get("received", 0),
                "handled": found.get(k, {}).get("handled", 0),
            }
            for k in reversed(keys)
        ]

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

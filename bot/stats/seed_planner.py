"""The seeded county's plan, row by row (bot/stats/seed_county.py says what it is and why): the duty days
and the diary (bot/stats/seed_diary.py), then the opinions (bot/stats/seed_opinions.py). Pure: the same
network, years, moment and seed give the same rows."""

from __future__ import annotations

from bot.stats.seed_diary import DiaryPlanner
from bot.stats.seed_opinions import OpinionPlanner

__all__ = ["CountyPlanner"]


class CountyPlanner(DiaryPlanner, OpinionPlanner):
    """Draws the plan; each step fills `plan` (the order of the steps is plan_county's)."""

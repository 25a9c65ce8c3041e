"""Result classes (办理结果 A/B/C), the deputy's ratings, the A-share and the 回头看 date.

A-share: the notes give "358 of 549 = 65.22%". Exactly, 358/549 = 65.2094…%, which shows as 65.21%
(rounded half up to two places); 65.22% is the target share, and the count that comes nearest to it
in 549 is 358 (the nearest rank, 0.6522 × 549 = 358.06). `a_share` gives the exact fraction and the
shown percentage; `count_for_share` the nearest rank, which is what a seeded year has to reach.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from bot.kit.i18n import N_
from bot.suggestions.deadlines import add_months

__all__ = [
    "RATING_LABELS",
    "RESULT_LABELS",
    "RESULT_MEANINGS",
    "Rating",
    "RecheckPolicy",
    "ResultClass",
    "Share",
    "a_share",
    "answer_problem",
    "count_for_share",
    "recheck_due",
]


class ResultClass(enum.StrEnum):
    A = "A"  # 已解决或基本解决
    B = "B"  # 列入计划逐步解决: carries the planned date
    C = "C"  # 因条件限制需以后解决 / 留作参考: carries the reason


RESULT_LABELS: dict[ResultClass, str] = {
    ResultClass.A: N_("Result A: solved"),
    ResultClass.B: N_("Result B: in plan"),
    ResultClass.C: N_("Result C: kept for reference"),
}
RESULT_MEANINGS: dict[ResultClass, str] = {
    ResultClass.A: N_("The matter has been solved or basically solved."),
    ResultClass.B: N_("The matter is in the plan and is being solved step by step, by the planned date."),
    ResultClass.C: N_("The matter cannot be solved now for the reason given, and is kept for reference."),
}


class Rating(enum.StrEnum):
    """The deputy's rating of an answer."""

    SATISFIED = "satisfied"
    BASIC = "basic"
    DISSATISFIED = "dissatisfied"

    @property
    def closes(self) -> bool:
        """A satisfied or basically satisfied rating closes (销号); dissatisfied sends it back."""
        return self is not Rating.DISSATISFIED


RATING_LABELS: dict[Rating, str] = {
    Rating.SATISFIED: N_("Satisfied with the answer"),
    Rating.BASIC: N_("Basically satisfied with the answer"),
    Rating.DISSATISFIED: N_("Dissatisfied with the answer"),
}


def answer_problem(
    result_class: ResultClass | str | None,
    planned_on: date | None,
    reason: str,
    answered_on: date | None = None,
) -> str | None:
    """Why an answer is incomplete, or None: a class; B a planned date not before the answer; C a reason."""
    try:
        klass = ResultClass(result_class) if result_class is not None else None
    except ValueError:
        klass = None
    if klass is None:
        return "an answer needs its result class A, B or C"
    if klass is ResultClass.B:
        if planned_on is None:
            return "a B answer needs the planned date"
        if answered_on is not None and planned_on < answered_on:
            return "the planned date is before the answer"
    if klass is ResultClass.C and not reason.strip():
        return "a C answer needs the reason"
    return None


@dataclass(frozen=True)
class Share:
    count: int
    total: int

    @property
    def exact(self) -> Fraction:
        return Fraction(self.count, self.total) if self.total else Fraction(0)

    @property
    def percent(self) -> Decimal:
        """Percent, two places, rounded half up: 358 of 549 → 65.21."""
        value = Decimal(self.exact.numerator * 100) / Decimal(self.exact.denominator)
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def __str__(self) -> str:
        return f"{self.percent}%"


def a_share(counts: dict[ResultClass, int] | dict[str, int]) -> Share:
    """The share of A among answered suggestions, from counts per class (missing classes count 0)."""
    by_class = {ResultClass(k): v for k, v in counts.items()}
    if any(v < 0 for v in by_class.values()):
        raise ValueError("negative count")
    return Share(by_class.get(ResultClass.A, 0), sum(by_class.values()))


def count_for_share(percent: Decimal | str, total: int) -> int:
    """The nearest rank: how many of `total` come nearest to `percent` (65.22 of 549 → 358)."""
    value = Decimal(percent) * total / 100
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class RecheckPolicy:
    a_after_months: int = 6  # 回头看 of A answers; configurable by the congress


def recheck_due(
    result_class: ResultClass | str,
    closed_on: date,
    planned_on: date | None = None,
    policy: RecheckPolicy | None = None,
) -> date | None:
    """When the answer is re-visited: A after `a_after_months` from closing, B on its planned date, C never."""
    policy = policy or RecheckPolicy()
    klass = ResultClass(result_class)
    if klass is ResultClass.A:
        return add_months(closed_on, policy.a_after_months)
    if klass is ResultClass.B:
        return planned_on
    return None

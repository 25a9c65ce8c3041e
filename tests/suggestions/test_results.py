"""Result classes and their labels, ratings, the A-share and the 回头看 date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.kit.i18n import translator
from bot.suggestions.results import (
    RATING_LABELS,
    RESULT_LABELS,
    RESULT_MEANINGS,
    Rating,
    RecheckPolicy,
    ResultClass,
    Share,
    a_share,
    answer_problem,
    count_for_share,
    recheck_due,
)


class TestLabels:
    def test_every_class_and_rating_has_a_label(self) -> None:
        assert set(RESULT_LABELS) == set(RESULT_MEANINGS) == set(ResultClass)
        assert set(RATING_LABELS) == set(Rating)

    def test_the_glossary_meanings_in_chinese(self) -> None:
        zh = translator("zh_Hans")
        assert zh(RESULT_LABELS[ResultClass.A]) == "A类：已解决或基本解决"
        assert zh(RESULT_LABELS[ResultClass.B]) == "B类：列入计划逐步解决"
        assert "留作参考" in zh(RESULT_LABELS[ResultClass.C])
        assert zh(RATING_LABELS[Rating.BASIC]) == "对答复基本满意"

    @pytest.mark.parametrize("locale", ["zh_Hans", "en"])
    def test_labels_are_distinct_in_each_language(self, locale: str) -> None:
        t = translator(locale)
        for table in (RESULT_LABELS, RESULT_MEANINGS, RATING_LABELS):
            texts = [t(m) for m in table.values()]
            assert len(set(texts)) == len(texts)

    def test_english_is_the_message_id(self) -> None:
        assert translator("en")(RESULT_LABELS[ResultClass.A]) == "Result A: solved"


class TestRatings:
    def test_only_dissatisfied_keeps_it_open(self) -> None:
        assert Rating.SATISFIED.closes and Rating.BASIC.closes and not Rating.DISSATISFIED.closes


class TestAnswer:
    answered = date(2026, 5, 1)

    @pytest.mark.parametrize(
        ("klass", "planned", "reason", "ok"),
        [
            ("A", None, "", True),
            (ResultClass.A, None, "", True),
            ("B", date(2026, 9, 30), "", True),
            ("B", date(2026, 5, 1), "", True),  # the answer's own day
            ("B", None, "in the plan", False),
            ("B", date(2026, 4, 30), "", False),  # before the answer
            ("C", None, "no land available", True),
            ("C", None, "  ", False),
            (None, None, "x", False),
            ("a", None, "", False),
            ("D", None, "", False),
        ],
    )
    def test_b_carries_a_planned_date_c_a_reason(self, klass, planned, reason, ok) -> None:  # type: ignore[no-untyped-def]
        assert (answer_problem(klass, planned, reason, self.answered) is None) == ok


class TestAShare:
    def test_the_notes_figures(self) -> None:
        """358 A of 549: exactly 358/549, shown 65.21%; 65.22% is the target whose nearest rank is 358."""
        share = a_share({ResultClass.A: 358, ResultClass.B: 120, ResultClass.C: 71})
        assert (share.count, share.total) == (358, 549)
        assert share.exact == Fraction(358, 549)
        assert share.percent == Decimal("65.21")
        assert str(share) == "65.21%"
        assert count_for_share(Decimal("65.22"), 549) == 358
        assert count_for_share("65.22", 549) == 358

    def test_counts_keyed_by_strings_and_missing_classes(self) -> None:
        assert a_share({"A": 3, "C": 1}).percent == Decimal("75.00")
        assert a_share({"B": 2}).percent == Decimal("0.00")

    def test_nothing_answered_is_zero_not_an_error(self) -> None:
        assert a_share({}).exact == 0 and a_share({}).percent == Decimal("0.00")

    def test_rounding_is_half_up(self) -> None:
        assert Share(1, 8).percent == Decimal("12.50")
        assert Share(1, 200 * 8).percent == Decimal("0.06")  # 0.0625 → 0.06
        assert Share(5, 80000).percent == Decimal("0.01")  # 0.00625 → 0.01, half up
        assert Share(2, 3).percent == Decimal("66.67")

    def test_bad_input(self) -> None:
        with pytest.raises(ValueError):
            a_share({"A": -1})
        with pytest.raises(ValueError):
            a_share({"E": 1})

    @given(st.integers(0, 5000), st.integers(0, 5000))
    def test_nearest_rank_round_trips(self, a: int, rest: int) -> None:
        """The count nearest the shown percentage is the count itself while 0.01% is finer than one item."""
        total = a + rest
        assume(0 < total <= 10_000)
        share = Share(a, total)
        assert abs(share.percent - Decimal(a * 100) / total) <= Decimal("0.005")
        assert count_for_share(share.percent, total) == a


class TestRecheck:
    def test_a_after_six_months_by_default(self) -> None:
        assert recheck_due(ResultClass.A, date(2026, 8, 31)) == date(2027, 2, 28)
        assert recheck_due("A", date(2026, 3, 10)) == date(2026, 9, 10)

    def test_configurable(self) -> None:
        assert recheck_due("A", date(2026, 3, 10), policy=RecheckPolicy(a_after_months=12)) == date(
            2027, 3, 10
        )

    def test_b_on_its_planned_date_c_never(self) -> None:
        assert recheck_due("B", date(2026, 3, 10), date(2026, 12, 1)) == date(2026, 12, 1)
        assert recheck_due("C", date(2026, 3, 10)) is None

"""'Join it instead?': the pure part of the similarity hint."""

from __future__ import annotations

from bot.opinions.similar import most_similar, similarity


def test_alike_texts_score_high_and_unrelated_ones_low() -> None:
    assert similarity("路灯坏了很久没人修", "路灯坏了很久没有人修") > 0.5
    assert similarity("路灯坏了", "学校门口堵车") == 0.0
    assert similarity("", "anything") == 0.0


def test_the_best_match_above_the_threshold_wins_and_the_oldest_on_a_tie() -> None:
    text = "street light broken on main road"
    candidates = [
        (1, "street light broken on main road"),
        (2, "the school bus is late"),
        (3, "street light broken on main road"),
        (4, "street light broken"),
    ]
    assert most_similar(text, candidates) == 1  # same score as 3: the older one, which others join
    assert most_similar(text, [(2, "the school bus is late")]) is None
    assert most_similar(text, []) is None

"""The constituent's button kinds: the data strings sent before keep working (byte-identical to what
views and the old handlers packed), round trips, and forged data parsed to nothing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from telegram.ext import CallbackQueryHandler

from bot.kit.callbacks import Button, pack
from bot.kit.dialogs import Dialog, at
from bot.kit.i18n import translator
from bot.opinions import views
from bot.opinions.buttons import (
    VERDICT_ACTIONS,
    FollowUpAnswer,
    FollowUpPress,
    InfoPress,
    MyPress,
    Verdict,
    VerdictPress,
)
from bot.opinions.draft_views import (
    CategoryPress,
    CategorySubmitPress,
    DraftAction,
    DraftPress,
    JoinPress,
    draft_keyboard,
    similar_keyboard,
)
from bot.opinions.drafts import CATEGORIES, Draft
from bot.opinions.lifecycle import Action
from bot.opinions.submission import RECEIPT_NOTICE
from bot.people.views import LanguagePress, StationAction, StationPress, language_keyboard, station_keyboard
from bot.runtime import wiring
from handlers.constituent import DIALOG, STATES, ConstituentDialog

KINDS: list[type[Button]] = [
    MyPress,
    VerdictPress,
    InfoPress,
    FollowUpPress,
    DraftPress,
    CategoryPress,
    CategorySubmitPress,
    JoinPress,
    LanguagePress,
    StationPress,
]


def test_sender_kinds_pack_as_views_does() -> None:
    """views.py still packs these with `pack(MY, …)` etc.: the kinds must produce the same strings."""
    assert MyPress(42).pack() == pack(views.MY, 42) == "my:42"
    assert InfoPress(42).pack() == pack(views.INFO, 42) == "in:42"
    for verdict, code in [
        (Verdict.SATISFIED, "sat"),
        (Verdict.BASIC, "basic"),
        (Verdict.DISSATISFIED, "dis"),
    ]:
        assert VerdictPress(verdict, 42).pack() == pack(views.CONFIRM, code, 42)
    for answer, code in [(FollowUpAnswer.SOLVED, "ok"), (FollowUpAnswer.BACK, "back")]:
        assert FollowUpPress(answer, 42).pack() == pack(views.FOLLOW, code, 42)


def test_views_confirm_keyboard_parses_as_verdicts() -> None:
    opinion: Any = SimpleNamespace(id=7)
    markup = views.OpinionViews.confirm_keyboard(None, opinion, translator("en"))  # type: ignore[arg-type]
    parsed = [VerdictPress.parse(b.callback_data) for row in markup.inline_keyboard for b in row]
    assert parsed == [VerdictPress(v, 7) for v in (Verdict.SATISFIED, Verdict.BASIC, Verdict.DISSATISFIED)]
    assert {VERDICT_ACTIONS[v] for v in Verdict} == {
        Action.CONFIRM_SATISFIED,
        Action.CONFIRM_BASIC,
        Action.CONFIRM_DISSATISFIED,
    }


def test_draft_and_station_data_strings_are_the_old_ones() -> None:
    assert DraftPress(DraftAction.ANONYMOUS).pack() == "dr:anon"
    assert DraftPress(DraftAction.SUBMIT_ANYWAY).pack() == "dr:new"
    assert CategoryPress("transport").pack() == "dr:cat:transport"
    assert CategorySubmitPress("health").pack() == "dr:cs:health"
    assert JoinPress(5).pack() == "dr:join:5"
    assert StationPress(StationAction.OPEN, 3).pack() == "st:open:3"
    assert StationPress(StationAction.NONE).pack() == "st:none"
    assert LanguagePress("zh_Hans").pack() == "lang:zh_Hans"


def test_every_drawn_button_parses_as_exactly_one_kind_of_its_handler() -> None:
    """The "dr" family shares a prefix: each string parses as one kind only, and the kinds with the
    longer prefixes come first in the handler table, so the first handler that matches is its kind's."""
    table = [h for h in wiring.handlers() if isinstance(h, CallbackQueryHandler) and h.pattern is not None]
    tr = translator("zh_Hans")
    markups = [
        draft_keyboard(tr, Draft()),
        draft_keyboard(tr, Draft(anonymous=True)),
        draft_keyboard(tr, Draft(category="transport", category_picked=True)),
        similar_keyboard(tr, SimpleNamespace(id=9)),  # type: ignore[arg-type]
        language_keyboard("en"),
        station_keyboard(tr, [SimpleNamespace(id=4, name="V1")], 2),  # type: ignore[list-item]
        station_keyboard(tr, [], None),
    ]
    # Cards drawn before one-tap filing are still on screens: their data still finds its handler.
    old_cards = ["dr:cs:health", "dr:cats", "dr:back"]
    drawn = [str(b.callback_data) for markup in markups for row in markup.inline_keyboard for b in row]
    for data in [*drawn, *old_cards]:
        kinds = [k for k in KINDS if k.parse(data) is not None]
        assert len(kinds) == 1, (data, kinds)
        handler = next(h for h in table if h.pattern.match(data))
        assert handler.pattern.pattern == kinds[0].pattern(), (data, handler.pattern)
    codes = {
        CategoryPress.parse(str(b.callback_data))
        for row in draft_keyboard(tr, Draft()).inline_keyboard
        for b in row
    }
    assert {c.category for c in codes if c is not None} == set(CATEGORIES)


@pytest.mark.parametrize(
    "data",
    [
        "my:x",
        "my:-1",
        "my:1:2",
        "cf:zzz:1",
        "cf:sat",
        "in:",
        "fu:maybe:1",
        "dr:zzz",
        "dr:join:abc",
        "dr:join",
        "st:open:x",
        "st:fly:1",
        "dr:cat:a:b",
        "lang:a b",
        "my:" + "9" * 40,
    ],
)
def test_forged_data_parses_to_nothing_of_its_family(data: str) -> None:
    prefix = data.split(":")[0]
    family = [k for k in KINDS if k.prefix.split(":")[0] == prefix and data.startswith(k.prefix + ":")]
    exact = [k for k in family if k.parse(data) is not None]
    # "dr:cat:a:b" is not a category press; "dr:zzz" is no card action; "lang:a b" holds a space.
    assert exact == [], (data, exact)


@given(st.text(max_size=80))
def test_parse_never_raises(data: str) -> None:
    for kind in KINDS:
        kind.parse(data)


def test_the_dialog_declares_one_step_per_state() -> None:
    assert set(DIALOG) == set(ConstituentDialog)
    assert at(ConstituentDialog.INFO, 42) == "info:42" and at(ConstituentDialog.DRAFT) == "draft"
    parsed = Dialog.parse("info:42", None, STATES)
    assert parsed.state is ConstituentDialog.INFO and parsed.int_arg() == 42
    assert Dialog.parse("draft", {"draft": {}}, STATES).state is ConstituentDialog.DRAFT
    assert not DIALOG[ConstituentDialog.DRAFT].full and not DIALOG[ConstituentDialog.INFO].full


def test_the_receipt_takes_the_routed_notice_views_names() -> None:
    assert RECEIPT_NOTICE == views.ROUTED_NOTICE

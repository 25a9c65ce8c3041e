"""How 办理 reads: every notice the handling and rating rules declare is rendered for each audience in both
languages, within Telegram's limits, with user text escaped; followers never see the deputy's words or
names; the deputy's answer carries the rating buttons, a contact the verdict buttons; the task card
shows what the lifecycle allows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.kit.i18n import translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.suggestions.buttons import RatePress, StepPress, TaskPress, VerdictPress
from bot.suggestions.deadlines import WarningColour
from bot.suggestions.handling import TaskCard
from bot.suggestions.handling_forms import Kind, Step, Work
from bot.suggestions.handling_notices import handling_notice
from bot.suggestions.handling_views import prompt, refused, task_card
from bot.suggestions.lifecycle import TRANSITIONS, Action, ActorKind, Audience, Refusal, RefusalReason
from bot.suggestions.notices import render
from bot.suggestions.service import Notice
from bot.suggestions.sweep import WARNING_KEY
from bot.suggestions.views import NoticeContext
from storage.models.suggestions import Suggestion, SuggestionContact, SuggestionState

HANDLING = {
    Action.SIGN_FOR,
    Action.REASSIGN,
    Action.DENY_REASSIGN,
    Action.GRANT_EXTENSION,
    Action.DENY_EXTENSION,
    Action.CO_OPINION,
    Action.RECORD_CONTACT,
    Action.CONFIRM_CONTACT,
    Action.DISPUTE_CONTACT,
    Action.ANSWER,
    Action.RATE_SATISFIED,
    Action.RATE_BASIC,
    Action.RATE_DISSATISFIED,
}
FILER, COSIGNER, FOLLOWER, OFFICER, MEMBER, STAFF = 1, 2, 3, 4, 5, 6
EVIL = "<b>破坏</b> & “引号”"
LONG = "长" * 3000
PARAMS = {
    "by": 4,
    "reason": LONG[:500],
    "due": "2026-07-19",
    "months": 5,
    "contact_id": 7,
    "stage": "during",
    "form": "visit",
    "held_on": "2026-03-12",
    "summary": "摘" * 1000,
    "answer_id": 9,
    "round": 2,
    "result_class": "B",
    "planned_on": "2026-09-30",
    "text": LONG,
    "attachments": [{"kind": "photo", "file_id": "P"}],
    "unit_name": "公路局",
    "rating": "basic",
    "level": 2,
    "colour": "red",
    "unit": True,
}


def suggestion(state: SuggestionState = SuggestionState.ANSWERED) -> Suggestion:
    return Suggestion(
        id=42,
        number="S-2026-0042",
        title=EVIL + "长" * 80,
        text=LONG,
        category="transport",
        filer_person_id=FILER,
        state=state.value,
        due_on=date(2026, 6, 11),
        term_months=3,
    )


def ctx(recipient: int, s: Suggestion | None = None) -> NoticeContext:
    return NoticeContext(s or suggestion(), "孙建国", "王科长", ("交通局", ["公路局"]), recipient)


def audience_params(audience: Audience) -> tuple[int, dict[str, object]]:
    """A recipient of this audience and what the service's audience lookup adds to its notice."""
    if audience is Audience.FILER:
        return FILER, {}
    if audience is Audience.COSIGNERS:
        return COSIGNER, {}
    if audience is Audience.FOLLOWERS:
        return FOLLOWER, {"tracking_no": "LX-2026-000001"}
    if audience in (Audience.LEAD_UNIT, Audience.CO_UNITS, Audience.PREVIOUS_UNIT):
        return OFFICER, {"unit_id": 3}
    if audience is Audience.COMMITTEE:
        return MEMBER, {"committee_id": 8}
    return STAFF, {}


CASES = [
    (rule.action, notice.audience, notice.key, state)
    for rule in TRANSITIONS
    if rule.action in HANDLING
    for notice in rule.notifies
    for state in ([rule.target] if rule.target else sorted(rule.sources))
]


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
@pytest.mark.parametrize(("action", "audience", "key", "state"), CASES, ids=lambda v: str(v))
def test_every_handling_notice_is_rendered_within_limits(
    locale: str, action: Action, audience: Audience, key: str, state: SuggestionState
) -> None:
    recipient, extra = audience_params(audience)
    notice = Notice(recipient, key, 42, {**PARAMS, **extra})
    rendered = render(translator(locale), notice, ctx(recipient, suggestion(state)))
    assert rendered is not None, (action, audience, key)
    text, _markup = rendered
    assert visible_len(text) <= MESSAGE_LIMIT
    assert "<b>破坏</b>" not in text  # the title is escaped
    if audience is Audience.FOLLOWERS:
        assert "长长长" not in text and "孙建国" not in text and "摘摘" not in text


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_the_committees_card_and_the_reminders_are_rendered(locale: str) -> None:
    tr = translator(locale)
    for key, recipient, params in (
        ("suggestion.assigned_committee", MEMBER, {"committee_id": 8}),
        (WARNING_KEY, OFFICER, {"level": 0, "colour": "yellow", "due": "2026-06-11", "unit": True}),
        (WARNING_KEY, STAFF, {"level": 2, "colour": "red", "due": "2026-06-11", "unit": False}),
    ):
        rendered = handling_notice(tr, Notice(recipient, key, 42, params), ctx(recipient))
        assert rendered is not None and "S-2026-0042" in rendered[0]
    unit = handling_notice(
        tr, Notice(OFFICER, WARNING_KEY, 42, {"colour": "yellow", "unit": True}), ctx(OFFICER)
    )
    assert unit is not None and unit[1] is not None  # the officer's reminder opens the card
    assert handling_notice(tr, Notice(OFFICER, "suggestion.nonsense", 42, {}), ctx(OFFICER)) is None


def test_the_deputy_rates_the_answer_and_judges_the_contact_by_buttons() -> None:
    tr = translator("zh_Hans")
    answer = handling_notice(tr, Notice(FILER, "suggestion.answered", 42, PARAMS), ctx(FILER))
    assert answer is not None and answer[1] is not None
    text, markup = answer
    assert "B类" in text and "计划解决时间：2026-09-30" in text and "重新办理后" in text
    datas = [b.callback_data for row in markup.inline_keyboard for b in row]
    assert [RatePress.parse(str(d)) is not None for d in datas] == [True, True, True]
    assert {RatePress.parse(str(d)).answer_id for d in datas} == {9}  # type: ignore[union-attr]
    cosigner = handling_notice(tr, Notice(COSIGNER, "suggestion.answered", 42, PARAMS), ctx(COSIGNER))
    assert cosigner is not None and cosigner[1] is None and "您附议的建议" in cosigner[0]
    contact = handling_notice(tr, Notice(FILER, "suggestion.contact_recorded", 42, PARAMS), ctx(FILER))
    assert contact is not None and contact[1] is not None
    verdicts = [VerdictPress.parse(str(b.callback_data)) for row in contact[1].inline_keyboard for b in row]
    assert [v.contact_id for v in verdicts if v] == [7, 7]


def test_the_task_card_carries_the_buttons_the_lifecycle_allows() -> None:
    tr = translator("en")
    s = suggestion(SuggestionState.HANDLING)
    contact = SuggestionContact(
        stage="before",
        form="phone",
        held_on=date(2026, 3, 12),
        summary="电话沟通",
        verdict="disputed",
        verdict_reason="没有通话",
    )
    card = TaskCard(
        s,
        "孙建国",
        "交通局",
        ("公路局",),
        WarningColour.YELLOW,
        (contact,),
        (),
        (),
        frozenset({ActorKind.LEAD_OFFICER}),
    )
    text, markup = task_card(tr, card)
    assert "due soon" in text and "disputed" in text and "没有通话" in text and "2026-06-11" in text
    assert visible_len(text) <= MESSAGE_LIMIT
    assert markup is not None
    labels = [b.text for row in markup.inline_keyboard for b in row]
    assert labels == ["🙅 Not ours", "⏳ More time", "🤝 Record contact", "📝 Answer"]
    assigned = TaskCard(
        suggestion(SuggestionState.ASSIGNED),
        "孙建国",
        "交通局",
        (),
        WarningColour.GREEN,
        (),
        (),
        (),
        frozenset({ActorKind.LEAD_OFFICER}),
    )
    _text, first = task_card(tr, assigned)
    assert first is not None and [b.text for row in first.inline_keyboard for b in row] == [
        "✍️ Sign for",
        "🙅 Not ours",
    ]
    closed = TaskCard(
        suggestion(SuggestionState.CLOSED),
        "孙建国",
        "交通局",
        (),
        None,
        (),
        (),
        (),
        frozenset({ActorKind.LEAD_OFFICER}),
    )
    assert task_card(tr, closed)[1] is None
    presses = [TaskPress.parse(str(b.callback_data)) for row in markup.inline_keyboard for b in row]
    assert all(p is None or p.suggestion_id == 42 for p in presses)


def test_the_answer_dialog_asks_in_steps() -> None:
    tr = translator("zh_Hans")
    now = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)
    work = Work.start(Kind.ANSWER, 42, now)
    text, markup = prompt(tr, work, suggestion())
    assert "选择办理结果类别" in text
    classes = [StepPress.parse(str(b.callback_data)) for row in markup.inline_keyboard for b in row]
    assert [p.value for p in classes if p][:3] == ["A", "B", "C"]
    assert work.choose(Step.CLASS, "B", now) is None and work.step is Step.TEXT
    assert work.type("答复正文", date(2026, 3, 12), now) is None and work.step is Step.PLANNED
    assert work.type("2026-03-11", date(2026, 3, 12), now) == "date"
    assert work.type("明年", date(2026, 3, 12), now) == "date_format"
    assert work.type("2026年9月30日", date(2026, 3, 12), now) is None and work.step is Step.ATTACH
    assert work.attach("photo", "P1", now) is None
    assert work.answer().planned_on == date(2026, 9, 30) and len(work.answer().attachments) == 1
    assert Work.from_dict(work.to_dict()) == work
    assert Work.from_dict({"kind": "nonsense"}) is None
    text, _ = prompt(tr, work, suggestion())
    assert "已附 1 个附件" in text and "计划解决时间：2026-09-30" in text


def test_refusals_are_said_plainly() -> None:
    tr = translator("en")
    assert refused(tr, Refusal(RefusalReason.NO_RELATION)) == "This is not yours to do."
    assert "signed for" in refused(tr, Refusal(RefusalReason.STALE_STATE, "co_opinion not from assigned"))
    assert "newer answer" in refused(tr, Refusal(RefusalReason.STALE_STATE, "old_answer"))
    assert "future" in refused(tr, Refusal(RefusalReason.INVALID_ARGUMENT, "date"))
    assert refused(tr, None) == refused(tr, Refusal(RefusalReason.FINAL))


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_the_fullest_task_card_fits_one_message(locale: str) -> None:
    """Every contact and opinion at its longest, with HTML-heavy text: the card still fits."""
    from storage.models.suggestions import SuggestionAnswer, SuggestionUnitOpinion

    s = suggestion(SuggestionState.REHANDLING)
    s.text = "<&>" * 1000
    contacts = tuple(
        SuggestionContact(
            stage="after",
            form="meeting",
            held_on=date(2026, 3, 12),
            summary="<" * 1000,
            verdict="disputed",
            verdict_reason="&" * 500,
        )
        for _ in range(12)
    )
    opinions = tuple(("公" * 100, SuggestionUnitOpinion(text=">" * 3000)) for _ in range(9))
    answers = tuple(
        SuggestionAnswer(round=r, result_class="C", text="x", rating="dissatisfied") for r in (1, 2, 3)
    )
    card = TaskCard(
        s,
        "名" * 50,
        "交" * 100,
        ("协" * 100,) * 5,
        WarningColour.RED,
        contacts,
        opinions,
        answers,
        frozenset({ActorKind.LEAD_OFFICER}),
    )
    text, _ = task_card(translator(locale), card)
    assert visible_len(text) <= MESSAGE_LIMIT

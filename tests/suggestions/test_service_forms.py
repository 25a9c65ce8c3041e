"""The /suggest form's rules as plain data (bot/suggestions/forms.py): steps, limits, the opinion's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.suggestions.forms import FORM_TTL, Form, Problem, Step, split_codes

NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def test_codes_are_split_on_any_separator_each_once() -> None:
    assert split_codes(" d2，D3、d2;D4  D5 ") == ["D2", "D3", "D4", "D5"]
    assert split_codes("   ") == []


def test_steps_in_order_with_limits() -> None:
    form = Form(person_id=1, touched=NOW)
    assert form.type_title("  ", NOW) is Problem.EMPTY
    assert form.type_title("长" * 101, NOW) is Problem.TOO_LONG
    assert form.type_title(" 修缮\n村道 ", NOW) is None and form.title == "修缮 村道"
    assert form.step is Step.TEXT
    assert form.skip(NOW) is Problem.WRONG_STEP  # no opinion text to keep
    assert form.type_text("😀" * 1501, NOW) is Problem.TOO_LONG  # 3002 UTF-16 units
    assert form.type_text("正文", NOW) is None
    assert form.choose_category("nope", NOW) is Problem.CATEGORY
    assert form.choose_category("transport", NOW) is None
    assert form.choose_category("transport", NOW) is Problem.WRONG_STEP  # a second press
    assert form.set_cosigners(list(range(11)), [], NOW) is Problem.TOO_MANY
    assert form.skip(NOW) is None and form.step is Step.ATTACH
    for i in range(10):
        assert form.attach("photo", f"f{i}", NOW) is None
    assert form.attach("photo", "f10", NOW) is Problem.TOO_MANY
    assert form.skip(NOW) is None and form.step is Step.PREVIEW
    draft = form.draft()
    assert draft.dialog_key == form.key and len(draft.attachments) == 10 and draft.source_opinion_ids == ()
    assert Form.from_dict(form.to_dict()) == form
    assert not form.expired(NOW + FORM_TTL) and form.expired(NOW + FORM_TTL + timedelta(seconds=1))


def test_a_form_from_an_opinion_offers_its_text_and_links_it() -> None:
    form = Form.from_opinion(1, NOW, 42, "  路坏了  " + "长" * 3100, "disputes")
    assert form.category == "disputes" and form.opinion_id == 42
    assert len(form.text) == 3000 and form.text.startswith("路坏了")
    form.type_title("标题", NOW)
    assert form.skip(NOW) is None and form.step is Step.CATEGORY  # kept the opinion's text
    assert form.draft().source_opinion_ids == (42,)
    assert Form.from_opinion(1, NOW, 42, "x", "unknown").category is None


def test_damaged_data_is_no_form() -> None:
    assert Form.from_dict(None) is None
    assert Form.from_dict({"person_id": "x"}) is None
    assert Form.from_dict({**Form(person_id=1, touched=NOW).to_dict(), "step": "zzz"}) is None

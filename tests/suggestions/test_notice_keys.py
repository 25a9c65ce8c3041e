"""Every notice the suggestion lifecycle declares is rendered, in both languages: a key nobody renders
would be dropped silently by `notices.deliver`."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.kit.i18n import translator
from bot.suggestions.lifecycle import TRANSITIONS, Audience
from bot.suggestions.notices import render
from bot.suggestions.service import Notice
from bot.suggestions.views import NoticeContext
from storage.models.suggestions import Suggestion

FILER, OTHER = 1, 2


def _suggestion() -> Suggestion:
    return Suggestion(
        id=7,
        number="S-2026-0042",
        title="Bus stop <shelter>",
        text="Please & thanks",
        category="transport",
        filer_person_id=FILER,
        state="answered",
        due_on=date(2027, 3, 1),
        planned_on=date(2027, 6, 1),
        result_class="B",
        assigned_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


_DECLARED = sorted({(n.key, n.audience) for rule in TRANSITIONS for n in rule.notifies})


@pytest.mark.parametrize("locale", ["en", "zh_Hans"])
@pytest.mark.parametrize(("key", "audience"), _DECLARED, ids=[f"{k}-{a}" for k, a in _DECLARED])
def test_every_declared_notice_is_rendered(key: str, audience: Audience, locale: str) -> None:
    recipient = FILER if audience is Audience.FILER else OTHER
    params = {"reason": "why", "tracking_no": "LX-1", "by": OTHER, "unit_id": 3, "committee_id": 4}
    notice = Notice(recipient, key, 7, params)
    ctx = NoticeContext(_suggestion(), "Deputy", "Someone", ("Unit A", ["Unit B"]), recipient)
    rendered = render(translator(locale), notice, ctx)
    assert rendered is not None, f"{key} for {audience} is never rendered"
    assert rendered[0].strip()

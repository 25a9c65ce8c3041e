"""Delivering a suggestion outcome's notices: each rendered in its recipient's language and queued.

The service returns untranslated `Notice`s (person, key, params). Each part of the loop renders its own
keys — filing and assignment in `views`, handling and supervision in their views modules — as a
`Renderer`; `RENDERERS` is asked in order and the first that knows the key renders it. A key nobody
renders is not sent (a test checks that every key the lifecycle declares has a renderer).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from bot.kit.i18n import Translator, translator
from bot.opinions.sla import SlaPolicy, deliver_at
from bot.people.identity import locale_of
from bot.runtime.replies import esc, send_text
from bot.runtime.settings import Settings
from bot.suggestions import filing_views, handling_notices, supervise_views, views
from bot.suggestions.service import Notice, Suggestion
from bot.suggestions.views import NoticeContext, Rendered
from storage.unit_of_work import UnitOfWork

__all__ = ["RENDERERS", "Renderer", "deliver", "render"]

Renderer = Callable[[Translator, Notice, NoticeContext], Rendered | None]

RENDERERS: tuple[Renderer, ...] = (
    views.filing_notice,
    views.assignment_notice,
    supervise_views.supervision_notice,
    filing_views.refiling_notice,  # merge, refile, withdraw, the co-signers' reminder and lapse
    handling_notices.handling_notice,
)


def render(tr: Translator, notice: Notice, ctx: NoticeContext) -> Rendered | None:
    """The first renderer's text and buttons for this notice, or None when no renderer knows its key."""
    for renderer in RENDERERS:
        rendered = renderer(tr, notice, ctx)
        if rendered is not None:
            return rendered
    return None


async def deliver(
    uow: UnitOfWork,
    notices: Iterable[Notice],
    suggestion: Suggestion,
    settings: Settings,
    policy: SlaPolicy,
    now: datetime,
) -> None:
    """Render each notice for its recipient, in their language, and queue it (quiet hours unless urgent)."""
    filer = await uow.people.get(suggestion.filer_person_id)
    filer_name = esc(filer.name) if filer is not None else "—"
    units = await views.unit_names(uow, suggestion)
    group = await uow.network.group(suggestion.group_id) if suggestion.group_id is not None else None
    for notice in notices:
        person = await uow.people.get(notice.recipient_person_id)
        if person is None or person.telegram_id is None:
            continue
        tr = translator(locale_of(person, None, settings))
        by_id = notice.params.get("by")
        by = await uow.people.get(by_id) if isinstance(by_id, int) else None
        ctx = NoticeContext(
            suggestion,
            filer_name,
            esc(by.name) if by else "—",
            units,
            person.id,
            esc(group.name) if group else "",
        )
        rendered = render(tr, notice, ctx)
        if rendered is None:
            continue
        text, markup = rendered
        when = deliver_at(now, policy, urgent=notice.urgent)
        await send_text(uow, person.telegram_id, text, markup=markup, not_before=when)

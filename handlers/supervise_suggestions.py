"""/supervise and /ledger: the supervising committee's 督办 and the congress office's 销号 and ledger, and the
filer's 回头看 card.

```mermaid
stateDiagram-v2
    [*] --> view: /supervise (special committee members, staff)
    view --> view: ◀️ ▶️ pages
    view --> [*]: 🔔 Remind (the lead unit's officers, urgent)
    view --> text: 💬 Comment, ⬆️ Ask the office, 🏁 Close (staff), ☑️ Conclude a re-check
    card --> [*]: ✅ Still solved (the filer)
    card --> text: 🔁 Reopen (the filer)
    text --> [*]: typed (≤ 1000 characters), recorded in the ledger; /cancel
```
Every press is checked by the service through the lifecycle (the supervising committee's member or
staff; the filer for the card; the state now): a forged or stale one is refused with an alert and
audited. The typed text waits in the chat session (`SuperviseDialog.NOTE`), as the assignment dialogs do.
`/ledger [year]` sends staff the 立项—督办—销号 ledger as an XLSX workbook (suggestions, events).
The rules are in bot/suggestions/supervise.py and ledger.py, the look in supervise_views.py.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from telegram import Message, Update

from bot.console.export import Table, to_xlsx
from bot.kit.dialogs import Dialog
from bot.kit.i18n import Translator
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext, UnitOfWork
from bot.runtime.replies import edit_message, send_file, send_text
from bot.suggestions import ledger, notices, supervise
from bot.suggestions import supervise_views as show
from bot.suggestions.buttons import RecheckAction, RecheckPress, SupervisePagePress, SupervisePress
from bot.suggestions.lifecycle import Action, RefusalReason
from bot.suggestions.results import RecheckPolicy
from bot.suggestions.service import Outcome
from bot.suggestions.supervise import SuperviseDialog, SupervisionService
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.dialogs import Step as DialogStep

__all__ = [
    "DIALOG",
    "ledger_command",
    "page_pressed",
    "recheck_pressed",
    "suggestion_progress",
    "supervise_command",
    "supervise_pressed",
]

AUDIT = "suggestion.refused"


def supervision(context: LiaisonContext) -> SupervisionService:
    settings = context.services.settings
    return SupervisionService(
        context.uow,
        zone=context.services.policy.zone,
        recheck=RecheckPolicy(a_after_months=settings.recheck_a_after_months),
    )


async def tell(context: LiaisonContext, outcome: Outcome) -> None:
    """Queue the outcome's notices, each in its recipient's language."""
    services = context.services
    if outcome.suggestion is not None and outcome.notices:
        await notices.deliver(
            context.uow,
            outcome.notices,
            outcome.suggestion,
            services.settings,
            services.policy,
            services.clock.now(),
        )


def page_arg(args: list[str] | None) -> int:
    """`/supervise 2` opens the second page."""
    first = (args or [""])[0]
    return int(first) - 1 if first.isdigit() and 0 < len(first) < 4 else 0


async def supervise_command(update: Update, context: LiaisonContext) -> None:
    """/supervise: the presser's committees' suggestions with colours and buttons (staff: every one)."""
    who = await actor(update, context)
    if who is None:
        return
    board = await supervision(context).board(who.person.id, context.services.clock.now())
    if board is None:
        await context.uow.audit.record(
            "suggestion.supervise", actor_person_id=who.person.id, allowed=False, reason="not_supervising"
        )
        await send_text(context.uow, who.chat_id, show.not_supervising(who.tr))
        return
    zone = context.services.settings.zone
    text, markup = show.board_page(who.tr, board, page_arg(context.args), zone)
    await send_text(context.uow, who.chat_id, text, markup=markup)


@button(SupervisePagePress, audit=AUDIT)
async def page_pressed(press: Press[SupervisePagePress]) -> None:
    """◀️ ▶️: the view read again for the presser, who must still supervise."""
    board = await supervision(press.context).board(press.who.person.id, press.context.services.clock.now())
    if board is None:
        await press.refuse(show.not_supervising(press.who.tr), reason="not_supervising")
        return
    await press.answer()
    zone = press.context.services.settings.zone
    text, markup = show.board_page(press.who.tr, board, press.data.page, zone)
    if press.message_id is None:
        await press.say(text, markup=markup)
    else:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text, markup=markup)


@button(SupervisePress, audit=AUDIT)
async def supervise_pressed(press: Press[SupervisePress]) -> None:
    """🔔 reminds at once; 💬 ⬆️ 🏁 ☑️ ask for the text next. The service checks relation and state."""
    action = show.ACTION_OF[press.data.action]
    service, sid = supervision(press.context), press.data.suggestion_id
    if action is Action.REMIND:
        outcome = await service.remind(sid, press.who.person.id, press.context.services.clock.now())
        if outcome.refusal is not None or outcome.suggestion is None:
            await press.refuse(show.refused(press.who.tr, outcome.refusal), audited=True)
            return
        await press.answer()
        await press.say(show.done(press.who.tr, outcome.suggestion, action))
        await tell(press.context, outcome)
        return
    await ask_for_text(press, service, sid, action)


async def ask_for_text(press: Press[Any], service: SupervisionService, sid: int, action: Action) -> None:
    """Check the press as the step will be judged, then keep the dialog and ask for the text."""
    checked = await service.check(sid, press.who.person.id, action)
    if isinstance(checked, Outcome):
        filer_only = action is Action.RECHECK_REOPEN
        await press.refuse(show.refused(press.who.tr, checked.refusal, filer_only=filer_only), audited=True)
        return
    await press.answer()
    card = (press.message_id or 0) if action is Action.RECHECK_REOPEN else 0
    await supervise.open_note(press.uow, press.who.chat_id, checked.id, action, card)
    await press.say(show.ask_text(press.who.tr, checked, action))


@button(RecheckPress, audit=AUDIT)
async def recheck_pressed(press: Press[RecheckPress]) -> None:
    """✅ Still solved ends the 回头看; 🔁 Reopen asks what is wrong. Only the filer, while it is re-checked."""
    service, sid = supervision(press.context), press.data.suggestion_id
    if press.data.action is RecheckAction.REOPEN:
        await ask_for_text(press, service, sid, Action.RECHECK_REOPEN)
        return
    outcome = await service.recheck_confirm(sid, press.who.person.id, press.context.services.clock.now())
    if outcome.refusal is not None or outcome.suggestion is None:
        await press.refuse(show.refused(press.who.tr, outcome.refusal, filer_only=True), audited=True)
        return
    await press.answer()
    text = show.recheck_answered(press.who.tr, outcome.suggestion)
    if press.message_id is None:
        await press.say(text)
    else:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text)
    await tell(press.context, outcome)


async def note_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """The typed comment or reason: the service checks relation, state and text again."""
    action, sid = supervise.pending_action(dialog.args), dialog.int_arg()
    if action is None or sid is None:
        await supervise.end_note(context.uow, who.chat_id)
        return False
    if not message.text:
        await send_text(context.uow, who.chat_id, show.type_text(who.tr))
        return True
    await supervise.end_note(context.uow, who.chat_id)
    now = context.services.clock.now()
    outcome = await supervision(context).with_text(action, sid, who.person.id, message.text, now)
    if outcome.refusal is not None or outcome.suggestion is None:
        if outcome.refusal is not None and outcome.refusal.reason is RefusalReason.REASON_REQUIRED:
            await supervise.open_note(context.uow, who.chat_id, sid, action, dialog.int_arg(2) or 0)
        await send_text(context.uow, who.chat_id, show.refused(who.tr, outcome.refusal))
        return True
    card = dialog.int_arg(2)
    if card:  # the 回头看 card: its buttons go, and it says what was decided
        await edit_message(context.uow, who.chat_id, card, show.recheck_answered(who.tr, outcome.suggestion))
    else:
        await send_text(context.uow, who.chat_id, show.done(who.tr, outcome.suggestion, action))
    await tell(context, outcome)
    return True


DIALOG = {SuperviseDialog.NOTE: DialogStep(note_message)}


# -- the ledger ----------------------------------------------------------------------------------------


def series_arg(args: list[str] | None) -> str | None:
    """`/ledger 2026` (or `S-2026`): that year's series; anything else, every suggestion."""
    first = (args or [""])[0].upper().removeprefix("S-")
    return f"S-{first}-" if len(first) == 4 and first.isdigit() else None


async def ledger_command(update: Update, context: LiaisonContext) -> None:
    """/ledger: the 立项—督办—销号 ledger as an XLSX workbook, for staff (anyone else refused, audited)."""
    who = await actor(update, context)
    if who is None:
        return
    if not await supervision(context).is_staff(who.person.id):
        await context.uow.audit.record(
            "suggestion.ledger", actor_person_id=who.person.id, allowed=False, reason="not_staff"
        )
        await send_text(context.uow, who.chat_id, show.ledger_staff_only(who.tr))
        return
    series, tr, chat_id = series_arg(context.args), who.tr, who.chat_id
    zone = context.services.settings.zone

    async def send(later: UnitOfWork, made: tuple[int, bytes | None]) -> None:
        rows, data = made
        if data is None:
            await send_text(later, chat_id, show.ledger_empty(tr))
            return
        name = f"ledger-{series.strip('-')}.xlsx" if series else "ledger.xlsx"
        caption = show.ledger_caption(tr, rows, series.strip("-") if series else None)
        await send_file(later, chat_id, data, name, caption)

    # Every suggestion and its events, and the workbook: after this update, on the report worker.
    context.services.report_later(lambda reads: _ledger_file(reads, series, tr, zone), send)


async def _ledger_file(
    uow: UnitOfWork, series: str | None, tr: Translator, zone: ZoneInfo
) -> tuple[int, bytes | None]:
    """The ledger's rows and workbook (None when it has no rows)."""
    book = await ledger.build(uow, series)
    if not book.rows:
        return 0, None
    sheets = ledger.sheets(tr, book, zone)
    return len(book.rows), to_xlsx([Table(sheet.title, sheet.headers, sheet.rows) for sheet in sheets])


# -- the opinion's /my ----------------------------------------------------------------------------------


async def suggestion_progress(context: LiaisonContext, opinion_id: int, tr: Translator) -> list[str]:
    """The line an opinion's timeline shows for the suggestion it became (number, state, class)."""
    found = await supervision(context).made_from_opinion(opinion_id)
    return [show.opinion_progress(tr, found)] if found is not None else []

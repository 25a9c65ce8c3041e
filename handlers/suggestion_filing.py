"""Filing after the first File: staff's 🔗 Merge, the filer's ✏️ Revise / 🗑 Withdraw / file without the
silent co-signers, a deputy group's joint filing and a paper suggestion's deputy in the /suggest form.

```mermaid
stateDiagram-v2
    [*] --> number: 🔗 Merge on a queue card (staff; filed, prepared or returned)
    number --> confirm: a number typed (S-2026-0003), or a candidate of the same category pressed
    confirm --> [*]: 🔗 Yes, merge (filers told; its co-signers and followers follow the target)
    number --> [*]: /cancel
```
✏️ Revise on the filer's returned notice opens the form filled from the suggestion (handlers/suggestions.py
files it again under the same number); 🗑 Withdraw asks to confirm; 📨 File without those who did not
answer works from seven days after the invitation. Every press is checked by the service (staff for
merging; the filer, and only the filer, for their card; the state; the form this chat holds) and a
refusal is answered and audited. Rules in bot/suggestions/filing.py and merge.py, looks in filing_views.py.
"""

from __future__ import annotations

from telegram import Message

from bot.kit.dialogs import Dialog
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import remove_keyboard, send_text
from bot.suggestions import filing_views
from bot.suggestions.assign import check_press
from bot.suggestions.filing_buttons import (
    DeputyPress,
    FilerAction,
    FilerPress,
    GroupPress,
    MergeAction,
    MergePress,
)
from bot.suggestions.forms import Form, SuggestDialog
from bot.suggestions.lifecycle import Action, RefusalReason
from bot.suggestions.merge import MergeService, end_merge, open_merge, parse_number
from bot.suggestions.service import Outcome
from handlers.buttons import Press, button
from handlers.common import Actor
from handlers.dialogs import Step as DialogStep
from handlers.suggestions import AUDIT, filer, moved_on, open_form, pressed_form, tell, tell_all

__all__ = ["DIALOG", "deputy_pressed", "filer_pressed", "group_pressed", "merge_pressed"]


def merger(context: LiaisonContext) -> MergeService:
    return MergeService(context.uow, zone=context.services.policy.zone)


# -- 🔗 Merge (staff) ------------------------------------------------------------------------------


@button(MergePress, audit=AUDIT)
async def merge_pressed(press: Press[MergePress]) -> None:
    """🔗 Merge asks which suggestion it joins; a candidate shows the confirmation; Yes merges."""
    if press.data.action is MergeAction.CONFIRM:
        await confirm_merge(press)
    elif press.data.action is MergeAction.CHOOSE:
        await choose_merge(press)
    else:
        await start_merge(press)


async def start_merge(press: Press[MergePress]) -> None:
    """🔗 Merge on a queue card: staff, and a state it may be merged from; the next message is a number."""
    checked = await check_press(
        merger(press.context), press.data.suggestion_id, press.who.person.id, Action.MERGE
    )
    if isinstance(checked, Outcome):
        await press.refuse(audited=True)
        return
    await press.answer()
    await open_merge(press.uow, press.who.chat_id, checked.id)
    candidates = await merger(press.context).candidates(checked)
    text, markup = filing_views.merge_prompt(press.who.tr, checked, candidates)
    await press.say(text, markup=markup)


async def choose_merge(press: Press[MergePress]) -> None:
    """A candidate pressed: checked like a typed number, then the confirmation is shown."""
    data = press.data
    checked = await merger(press.context).check(data.suggestion_id, press.who.person.id, data.target_id)
    if isinstance(checked, Outcome):
        await press.refuse(filing_views.merge_refused(press.who.tr, checked.refusal), audited=True)
        return
    await press.answer()
    await end_merge(press.uow, press.who.chat_id)  # the choice is on the confirmation now
    text, markup = filing_views.merge_confirm(press.who.tr, *checked)
    await press.say(text, markup=markup)


async def confirm_merge(press: Press[MergePress]) -> None:
    """🔗 Yes, merge: the service checks staff, both states and the target again, then merges."""
    services = press.context.services
    outcome = await merger(press.context).merge(
        press.data.suggestion_id,
        press.who.person.id,
        press.data.target_id or 0,
        services.clock.now(),
        services.settings.tracking_prefix,
    )
    if outcome.refusal is not None or outcome.suggestion is None:
        await press.refuse(filing_views.merge_refused(press.who.tr, outcome.refusal), audited=True)
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    into = await merger(press.context).number_of(outcome.suggestion.merged_into_id)
    await press.say(filing_views.merged(press.who.tr, outcome.suggestion, into))
    await tell(press, outcome)


async def merge_message(
    context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message
) -> bool:
    """The typed number of the suggestion it joins: checked, then the confirmation is shown."""
    number = parse_number(message.text or "")
    if number is None:
        await send_text(context.uow, who.chat_id, filing_views.merge_refused(who.tr, None))
        return True
    checked = await merger(context).check(dialog.int_arg() or 0, who.person.id, None, number)
    if isinstance(checked, Outcome):
        await send_text(context.uow, who.chat_id, filing_views.merge_refused(who.tr, checked.refusal))
        return True
    await end_merge(context.uow, who.chat_id)
    text, markup = filing_views.merge_confirm(who.tr, *checked)
    await send_text(context.uow, who.chat_id, text, markup=markup)
    return True


DIALOG = {SuggestDialog.MERGE: DialogStep(merge_message)}


# -- the filer's card ------------------------------------------------------------------------------


@button(FilerPress, audit=AUDIT)
async def filer_pressed(press: Press[FilerPress]) -> None:
    """✏️ Revise opens the form filled from it; 🗑 Withdraw asks to confirm; the filer only."""
    action, sid = press.data.action, press.data.suggestion_id
    if action is FilerAction.WITHDRAW_SURE:
        outcome = await filer(press.context).withdraw(
            sid, press.who.person.id, press.context.services.clock.now()
        )
        await done(press, outcome, filing_views.withdrawn)
        return
    if action is FilerAction.WITHOUT:
        await file_without(press)
        return
    wanted = Action.REFILE if action is FilerAction.REVISE else Action.WITHDRAW
    checked = await filer(press.context).check_filer_press(sid, press.who.person.id, wanted)
    if isinstance(checked, Outcome):
        await press.refuse(audited=True)
        return
    await press.answer()
    if action is FilerAction.WITHDRAW:
        text, markup = filing_views.ask_withdraw(press.who.tr, checked)
        await press.say(text, markup=markup)
        return
    names = await filer(press.context).cosigner_names(checked.id)
    form = Form.for_revision(press.who.person.id, press.context.services.clock.now(), checked, names)
    await open_form(press.context, press.who, form, filing_views.revising(press.who.tr, checked))


async def file_without(press: Press[FilerPress]) -> None:
    """📨 File without those who did not answer: seven days after the invitation (else: from when)."""
    now = press.context.services.clock.now()
    outcome = await filer(press.context).file_without_silent(
        press.data.suggestion_id, press.who.person.id, now
    )
    refusal = outcome.refusal
    if refusal is not None and refusal.reason is RefusalReason.COSIGNERS_NOT_OVERDUE and refusal.detail:
        await press.refuse(filing_views.too_early(press.who.tr, refusal.detail), audited=True)
        return
    await done(press, outcome, filing_views.filed_without)


async def done(press: Press[FilerPress], outcome: Outcome, said: filing_views.Said) -> None:
    """After a filer's request: refused (answered, audited by the service), or the keyboard off, the
    answer, and everyone the rule tells."""
    if outcome.refusal is not None or outcome.suggestion is None:
        await press.refuse(audited=True)
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    await press.say(said(press.who.tr, outcome.suggestion))
    await tell_all(press.context, outcome)


# -- the form: a deputy group's joint filing, a paper suggestion's deputy ---------------------------


@button(GroupPress, audit=AUDIT)
async def group_pressed(press: Press[GroupPress]) -> None:
    """👥 Jointly with a group: its other members are invited; only a member may choose it."""
    form = await pressed_form(press, press.data.key)
    if form is None:
        return
    choice = await filer(press.context).group_choice(press.who.person.id, press.data.group_id)
    if choice is None:
        await press.refuse(reason="not_group_member", group=press.data.group_id)
        return
    problem = form.set_group(
        choice.group_id,
        choice.name,
        list(choice.person_ids),
        list(choice.names),
        press.context.services.clock.now(),
    )
    await moved_on(press, form, problem)


@button(DeputyPress, audit=AUDIT)
async def deputy_pressed(press: Press[DeputyPress]) -> None:
    """Staff filing from paper chose the deputy; anyone else's press, or a person who is no deputy, is
    refused."""
    form = await pressed_form(press, press.data.key)
    if form is None:
        return
    name = await filer(press.context).deputy_named(press.data.person_id)
    if not await filer(press.context).is_staff(press.who.person.id) or name is None:
        await press.refuse(reason="not_paper_deputy", person=press.data.person_id)
        return
    await moved_on(
        press, form, form.choose_deputy(press.data.person_id, name, press.context.services.clock.now())
    )

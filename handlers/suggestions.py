"""/suggest and /suggestions: a deputy files a formal suggestion (代表建议); co-signers confirm or decline.

```mermaid
stateDiagram-v2
    [*] --> title: /suggest (deputies only)
    title --> text: typed (≤ 100 characters)
    text --> cat: typed (≤ 3000 characters)
    cat --> cos: a category button
    cos --> att: deputy codes typed (D2 D3), or Skip
    att --> pre: photos / documents sent, then Next
    pre --> [*]: File (numbered S-YYYY-NNNN, or sent to the co-signers first)
    title --> [*]: Cancel (at every step), /cancel
```
A form opened from an opinion (⬆️ Escalate on its card) starts with its text and category filled in.
Co-signers get a card with ✅ Co-sign / ❌ Decline: only an invited co-signer, once, while it waits for
them; anything else is refused, answered and audited by the service. `/suggestions` lists the
deputy's own. The form lives in the chat session (bot/suggestions/forms.py); its rules in
bot/suggestions/service.py, its look in bot/suggestions/views.py.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update

from bot.kit.dialogs import Dialog
from bot.people.entities import Person
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, remove_keyboard, send_text
from bot.suggestions import forms, views
from bot.suggestions.buttons import CategoryPress, CosignAction, CosignPress, FormAction, FormPress
from bot.suggestions.forms import Form, Problem, Step, SuggestDialog
from bot.suggestions.service import Outcome, SuggestionService
from handlers.buttons import Press, button
from handlers.common import Actor, actor
from handlers.constituent import ConstituentDialog
from handlers.dialogs import Step as DialogStep

__all__ = ["DIALOG", "open_form", "suggest_command", "suggestions_command"]

AUDIT = "suggestion.refused"


def service(context: LiaisonContext) -> SuggestionService:
    return SuggestionService(context.uow, zone=context.services.policy.zone)


async def ask(context: LiaisonContext, who: Actor[Any], form: Form, intro: str = "") -> None:
    """Keep the form and ask what its current step needs."""
    await forms.keep(context.uow, who.chat_id, form)
    text, markup = views.prompt(who.tr, form, intro)
    await send_text(context.uow, who.chat_id, text, markup=markup)


async def open_form(context: LiaisonContext, who: Actor[Any], form: Form, intro: str) -> None:
    """Start a form (a new /suggest, or one from an opinion); an unsent opinion draft is kept for after."""
    await forms.open_in(context.uow, who.chat_id, form, ConstituentDialog.DRAFT)
    await ask(context, who, form, intro)


async def suggest_command(update: Update, context: LiaisonContext) -> None:
    """/suggest: a new form, for deputies only (anyone else is refused and audited)."""
    who = await actor(update, context)
    if who is None:
        return
    if who.person.deputy is None:
        await context.uow.audit.record(
            AUDIT, actor_person_id=who.person.id, allowed=False, reason="not_deputy"
        )
        await send_text(context.uow, who.chat_id, views.not_deputy(who.tr))
        return
    form = Form(person_id=who.person.id, touched=context.services.clock.now())
    await open_form(context, who, form, views.opening(who.tr))


async def suggestions_command(update: Update, context: LiaisonContext) -> None:
    """/suggestions: the deputy's own suggestions with their numbers and states."""
    who = await actor(update, context)
    if who is None:
        return
    if who.person.deputy is None:
        await send_text(context.uow, who.chat_id, views.not_deputy(who.tr))
        return
    mine = await service(context).mine(who.person.id)
    await send_text(context.uow, who.chat_id, views.suggestion_list(who.tr, mine))


# -- typed answers --------------------------------------------------------------------------------


async def typed_cosigners(context: LiaisonContext, who: Actor[Person], form: Form, text: str) -> None:
    ids, names, unknown = await service(context).deputies_by_codes(forms.split_codes(text))
    if unknown:
        await send_text(context.uow, who.chat_id, views.unknown_codes(who.tr, unknown))
    elif who.person.id in ids:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, "cosigner_is_filer"))
    else:
        await answered(context, who, form, form.set_cosigners(ids, names, context.services.clock.now()))


async def answered(context: LiaisonContext, who: Actor[Any], form: Form, problem: Problem | None) -> None:
    if problem is not None:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, problem))
        return
    await ask(context, who, form)


async def attachment(context: LiaisonContext, who: Actor[Any], form: Form, message: Message) -> bool:
    """A photo or document at the attachments step; False for anything else."""
    kind, file_id = ("photo", message.photo[-1].file_id) if message.photo else ("document", None)
    if message.document is not None:
        file_id = message.document.file_id
    if form.step is not Step.ATTACH or file_id is None:
        return False
    problem = form.attach(kind, file_id, context.services.clock.now())
    if problem is not None:
        await send_text(context.uow, who.chat_id, views.problem_text(who.tr, problem))
        return True
    await forms.keep(context.uow, who.chat_id, form)
    await send_text(context.uow, who.chat_id, views.attached(who.tr, len(form.attachments)))
    return True


async def form_message(context: LiaisonContext, who: Actor[Person], dialog: Dialog, message: Message) -> bool:
    """A message while the chat is in a /suggest form; False (it goes on) when the form is gone."""
    form, now = await forms.held(context.uow, who.chat_id), context.services.clock.now()
    if form is None or form.person_id != who.person.id or form.expired(now):
        back = await forms.end(context.uow, who.chat_id)
        if form is not None and form.expired(now):
            await send_text(
                context.uow, who.chat_id, views.with_draft_back(who.tr, views.expired(who.tr), back)
            )
        return False
    if await attachment(context, who, form, message):
        return True
    text = message.text
    if text is None or form.step not in (Step.TITLE, Step.TEXT, Step.COSIGNERS):
        await send_text(context.uow, who.chat_id, views.waiting(who.tr))
    elif form.step is Step.COSIGNERS:
        await typed_cosigners(context, who, form, text)
    else:
        typed = form.type_title if form.step is Step.TITLE else form.type_text
        await answered(context, who, form, typed(text, now))
    return True


DIALOG = {SuggestDialog.FORM: DialogStep(form_message)}


# -- the form's buttons ---------------------------------------------------------------------------


async def pressed_form(press: Press[Any], key: str) -> Form | None:
    """The chat's open form when this press belongs to it (its key, its deputy); else refused."""
    form = await forms.held(press.uow, press.who.chat_id)
    if form is None or form.key != key or form.person_id != press.who.person.id:
        await press.refuse(reason="stale_form", key=key)
        return None
    if form.expired(press.context.services.clock.now()):
        back = await forms.end(press.uow, press.who.chat_id)
        await press.refuse(views.expired(press.who.tr), reason="expired", key=key)
        if back:
            await press.say(views.with_draft_back(press.who.tr, "", back).strip())
        return None
    return form


async def moved_on(press: Press[Any], form: Form, problem: Problem | None) -> None:
    """After a form button: refused with what was wrong, or the keyboard off and the next question."""
    if problem is not None:
        await press.refuse(views.problem_text(press.who.tr, problem), reason=problem.value)
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    await ask(press.context, press.who, form)


@button(CategoryPress, audit=AUDIT)
async def category_pressed(press: Press[CategoryPress]) -> None:
    form = await pressed_form(press, press.data.key)
    if form is not None:
        await moved_on(
            press, form, form.choose_category(press.data.category, press.context.services.clock.now())
        )


@button(FormPress, audit=AUDIT)
async def form_pressed(press: Press[FormPress]) -> None:
    """Cancel, Skip / Next, File."""
    form = await pressed_form(press, press.data.key)
    if form is None:
        return
    if press.data.action is FormAction.SKIP:
        await moved_on(press, form, form.skip(press.context.services.clock.now()))
        return
    if press.data.action is FormAction.FILE and form.step is not Step.PREVIEW:
        await press.refuse(reason="wrong_step")
        return
    await press.answer()
    if press.message_id is not None:
        await remove_keyboard(press.uow, press.who.chat_id, press.message_id)
    back = await forms.end(press.uow, press.who.chat_id)
    if press.data.action is FormAction.CANCEL:
        await press.say(views.with_draft_back(press.who.tr, views.cancelled(press.who.tr), back))
    else:
        await file(press, form, back)


async def file(press: Press[FormPress], form: Form, back: bool) -> None:
    """✅ File: the service checks everything again, numbers it or invites the co-signers."""
    now = press.context.services.clock.now()
    outcome = await service(press.context).file(press.who.person.id, form.draft(), now)
    if outcome.refusal is not None or outcome.suggestion is None:
        detail = outcome.refusal.detail if outcome.refusal is not None else ""
        await press.say(views.with_draft_back(press.who.tr, views.problem_text(press.who.tr, detail), back))
        return
    text = views.filed(press.who.tr, outcome.suggestion, form.cosigner_names)
    await press.say(views.with_draft_back(press.who.tr, text, back))
    await tell(press, outcome)


async def tell(press: Press[Any], outcome: Outcome) -> None:
    """Queue the outcome's notices, each in its recipient's language."""
    services, suggestion = press.context.services, outcome.suggestion
    if suggestion is not None and outcome.notices:
        now = services.clock.now()
        await views.deliver(press.uow, outcome.notices, suggestion, services.settings, services.policy, now)


# -- the co-signer's card -------------------------------------------------------------------------


@button(CosignPress, audit=AUDIT)
async def cosign_pressed(press: Press[CosignPress]) -> None:
    """✅ Co-sign / ❌ Decline: the service checks the presser was invited, answers once, and the state."""
    confirm = press.data.action is CosignAction.CONFIRM
    now = press.context.services.clock.now()
    outcome = await service(press.context).answer_cosign(
        press.data.suggestion_id, press.who.person.id, confirm, now
    )
    if outcome.refusal is not None or outcome.suggestion is None:
        await press.refuse(audited=True)
        return
    await press.answer()
    text = views.cosign_answered(press.who.tr, outcome.suggestion, confirm)
    if press.message_id is not None:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text)
    else:
        await press.say(text)
    await tell(press, outcome)

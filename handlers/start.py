"""/help and /language: what the bot does and the language choice."""

from __future__ import annotations

from telegram import Update

from bot.kit.i18n import Translator, translator
from bot.people.entities import Person
from bot.people.identity import set_language
from bot.people.views import LANGUAGE_NAMES, LanguagePress, command_menu, language_keyboard, menu_scope
from bot.runtime.context import LiaisonContext, UnitOfWork
from bot.runtime.replies import edit_message, send_text
from handlers.buttons import Press, button
from handlers.common import actor


async def help_command(update: Update, context: LiaisonContext) -> None:
    who = await actor(update, context)
    if who is None:
        return
    _ = who.tr
    lines = [
        _("What I can do:"),
        _(
            "Just write to me: text, photos, voice messages, documents or a location become a draft opinion, "
            "which you send with Submit."
        ),
    ]
    # The same commands as this person's menu, so /help never lists what their role cannot use.
    lines += [f"/{item['command']} – {item['description']}" for item in command_menu(who.person, _)]
    await send_text(context.uow, who.chat_id, "\n".join(lines))


async def publish_menu(uow: UnitOfWork, chat_id: int, person: Person, tr: Translator) -> None:
    """setMyCommands scoped to this chat (through the outbox, like every call), so each role sees its
    own menu in its own language: sent whenever the roles or the language may have changed."""
    payload = {"commands": command_menu(person, tr), "scope": menu_scope(chat_id)}
    await uow.outbox.add(chat_id, "setMyCommands", payload)


async def language(update: Update, context: LiaisonContext) -> None:
    """Offer the language choice as buttons."""
    who = await actor(update, context)
    if who is None:
        return
    await send_text(
        context.uow, who.chat_id, who.tr("Choose your language:"), markup=language_keyboard(who.tr.locale)
    )


@button(LanguagePress, audit="language.refused")
async def language_chosen(press: Press[LanguagePress]) -> None:
    """Save the chosen language; unknown values are refused and audited."""
    who, code = press.who, press.data.code
    if not await set_language(press.uow, who.person, code):
        await press.refuse(reason="unknown_language", data=press.data.pack())
        return
    tr = translator(code)
    await press.answer()
    await publish_menu(press.uow, who.chat_id, who.person, tr)
    text = tr("I will speak {language} with you from now on.", language=LANGUAGE_NAMES[code])
    if press.message_id is not None:
        await edit_message(press.uow, who.chat_id, press.message_id, text)
    else:
        await press.say(text)

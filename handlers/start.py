"""/help and /language: what the bot does and the language choice."""

from __future__ import annotations

from telegram import Update

from bot.kit.i18n import Translator, translator
from bot.people.entities import Person
from bot.people.identity import set_language
from bot.people.roles import is_staff
from bot.people.views import LANGUAGE_NAMES, LanguagePress, language_keyboard
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
    lines += [f"/{item['command']} – {item['description']}" for item in menu_for(who.person, _)]
    await send_text(context.uow, who.chat_id, "\n".join(lines))


def menu_for(person: Person, tr: Translator) -> list[dict[str, str]]:
    """The command menu of this person's roles (only commands that exist)."""
    commands = [("my", tr("My opinions"))]
    if person.deputy is not None:
        commands.append(("tasks", tr("Opinions I am handling")))
        commands.append(("reception", tr("Record a reception of constituents")))
    if is_staff(person):
        commands.append(("invite", tr("Invite people to a role")))
        commands.append(("queue", tr("Opinions waiting for a deputy")))
        commands.append(("overdue", tr("Yellow and red items")))
        commands.append(("broadcast", tr("Send a notice")))
        commands.append(("stats", tr("Figures for the report")))
        commands.append(("console", tr("Open the web console")))
    commands += [
        ("cancel", tr("Cancel the unfinished draft or answer")),
        ("language", tr("Choose your language")),
        ("help", tr("What I can do")),
        ("start", tr("Start")),
    ]
    return [{"command": c, "description": d} for c, d in commands]


async def publish_menu(uow: UnitOfWork, chat_id: int, person: Person, tr: Translator) -> None:
    """setMyCommands scoped to this chat, so each role sees its own menu in its own language."""
    payload = {"commands": menu_for(person, tr), "scope": {"type": "chat", "chat_id": chat_id}}
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

"""Staff onboarding: /invite makes one-time links for a role; /start inv_<token> opens one.

```mermaid
flowchart LR
    invite["/invite (staff, admin)"] --> pick{role button or text args}
    pick -- deputy --> code["/invite deputy CODE [72h]"] --> link
    pick -- unit officer --> unit{unit button or /invite unit CODE} --> link
    pick -- station head / liaison --> station["/invite station_head CODE, /invite liaison CODE"] --> link
    pick -- committee member / staff --> link["https://t.me/bot?start=inv_TOKEN"]
    link --> open["/start inv_TOKEN"] -- valid --> granted[role granted, record linked, unit joined, menu published]
    open -- unknown / used / expired --> refused[refused and audited]
```
The rules are bot/people/invitations.py's, the texts and the role buttons bot/people/views.py's. In
bot/runtime/wiring.py the invitation /start comes before the generic /start, which takes any argument.
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import filters

from bot.kit.i18n import Translator, translator
from bot.network.units import all_units
from bot.people.entities import Role
from bot.people.identity import locale_of
from bot.people.invitations import (
    PAYLOAD_PREFIX,
    STATION_ROLES,
    InvitationService,
    Issued,
    Refusal,
    Refused,
    invitable_roles,
)
from bot.people.views import (
    InvitePress,
    UnitInvitePress,
    issued_text,
    refusal,
    role_keyboard,
    role_welcome_text,
    unit_picker,
)
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, send_text
from handlers.buttons import Press, button
from handlers.common import actor
from handlers.start import publish_menu

__all__ = ["START_FILTER", "invite", "role_pressed", "start_invitation", "unit_pressed"]

# "/start inv_…": the invitation's /start, seen before the generic one.
START_FILTER = filters.Regex(rf"^/start(@\w+)?\s+{PAYLOAD_PREFIX}")


def service(context: LiaisonContext) -> InvitationService:
    return InvitationService(context.uow, context.services.clock)


def link_text(context: LiaisonContext, tr: Translator, issued: Issued) -> str:
    return issued_text(tr, issued, context.bot.username, context.services.settings.zone)


async def invite(update: Update, context: LiaisonContext) -> None:
    """/invite [role [code] [ttl]]: role buttons, or a link at once from text arguments."""
    who = await actor(update, context)
    if who is None:
        return
    roles, words = invitable_roles(who.person), list(context.args or [])
    if roles and not words:
        keyboard = role_keyboard(who.tr, roles)
        await send_text(context.uow, who.chat_id, who.tr("Invite someone as:"), markup=keyboard)
        return
    result = await service(context).issue_from_words(who.person, words, telegram_id=who.account.telegram_id)
    if isinstance(result, Refused) and result.reason is Refusal.UNIT_REQUIRED:
        text, keyboard = unit_picker(who.tr, await all_units(context.uow))
        await send_text(context.uow, who.chat_id, text, markup=keyboard)
        return
    if isinstance(result, Refused):
        await send_text(context.uow, who.chat_id, refusal(who.tr, result.reason))
        return
    await send_text(context.uow, who.chat_id, link_text(context, who.tr, result))


@button(InvitePress, audit="invitation.refused")
async def role_pressed(press: Press[InvitePress]) -> None:
    """A role button under /invite: a link at once (a deputy's needs the code, so it asks for it)."""
    who, role = press.who, press.data.role
    if role is Role.DEPUTY and role in invitable_roles(who.person):
        await press.answer()
        await press.say(refusal(who.tr, Refusal.TARGET_REQUIRED))
        return
    if role in STATION_ROLES and role in invitable_roles(who.person):  # a station's code is typed (#24)
        await press.answer()
        await press.say(refusal(who.tr, Refusal.STATION_REQUIRED))
        return
    if role is Role.UNIT_OFFICER and role in invitable_roles(who.person):
        await press.answer()
        await show(press, *unit_picker(who.tr, await all_units(press.uow)))
        return
    result = await service(press.context).issue(who.person, role, telegram_id=who.account.telegram_id)
    await show_issued(press, result)


@button(UnitInvitePress, audit="invitation.refused")
async def unit_pressed(press: Press[UnitInvitePress]) -> None:
    """A unit button after "Unit officer": the link for that unit (an unknown unit is refused)."""
    who = press.who
    result = await service(press.context).issue(
        who.person, Role.UNIT_OFFICER, unit_id=press.data.unit_id, telegram_id=who.account.telegram_id
    )
    await show_issued(press, result)


async def show_issued(press: Press[InvitePress] | Press[UnitInvitePress], result: Issued | Refused) -> None:
    """The pressed message turns into the link, or the press is refused (the service audited it)."""
    if isinstance(result, Refused):
        await press.refuse(refusal(press.who.tr, result.reason), audited=True)
        return
    await press.answer()
    await show(press, link_text(press.context, press.who.tr, result))


async def show(
    press: Press[InvitePress] | Press[UnitInvitePress], text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the pressed message into `text` (a new message when it cannot be edited)."""
    if press.message_id is not None:
        await edit_message(press.context.uow, press.who.chat_id, press.message_id, text, markup=markup)
    else:
        await press.say(text, markup=markup)


async def start_invitation(update: Update, context: LiaisonContext) -> None:
    """/start inv_<token>: grant the invitation's role, or refuse an unknown, used or expired link."""
    who = await actor(update, context)
    if who is None:
        return
    payload = context.args[0] if context.args else ""
    result = await service(context).accept(who.person, payload, telegram_id=who.account.telegram_id)
    if isinstance(result, Refused):
        await send_text(context.uow, who.chat_id, refusal(who.tr, result.reason))
        return
    tr = translator(locale_of(result.person, who.account, context.services.settings))
    # The menu first: by the time the welcome arrives, the new commands are there.
    await publish_menu(context.uow, who.chat_id, result.person, tr)
    await send_text(context.uow, who.chat_id, role_welcome_text(tr, result))

"""Staff onboarding: /invite makes one-time links for a role; /start inv_<token> opens one.

```mermaid
flowchart LR
    invite["/invite (staff, admin)"] --> pick{role button or text args}
    pick -- deputy --> code["/invite deputy CODE [72h]"] --> link
    pick -- committee member / unit officer / staff --> link["https://t.me/bot?start=inv_TOKEN"]
    link --> open["/start inv_TOKEN"] -- valid --> granted[role granted, record linked, menu published]
    open -- unknown / used / expired --> refused[refused and audited]
```
`register(app)` must run before the generic handlers of group 0, so the invitation /start and
/invite are seen before `/start` and the unknown-command fallback.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.kit.callbacks import pack, pattern, unpack
from bot.kit.i18n import N_, Translator, translator
from bot.opinions.views import when
from bot.people.identity import locale_of
from bot.people.invitations import (
    DEFAULT_TTL,
    PAYLOAD_PREFIX,
    Accepted,
    InvitationService,
    Issued,
    Refusal,
    Refused,
    invitable_roles,
    invitation_link,
    is_ttl_word,
    parse_role,
    parse_ttl,
)
from bot.runtime.context import LiaisonApp, LiaisonContext
from bot.runtime.replies import answer_query, edit_message, esc, send_text
from handlers.common import Actor, actor
from handlers.start import menu_for
from storage.models import Person, Role
from storage.unit_of_work import UnitOfWork

INVITE = "inv"

ROLE_LABELS: dict[Role, str] = {
    Role.DEPUTY: N_("Deputy"),
    Role.COMMITTEE_MEMBER: N_("Committee member"),
    Role.UNIT_OFFICER: N_("Unit officer"),
    Role.STAFF: N_("Staff"),
}

REFUSALS: dict[Refusal, str] = {
    Refusal.NOT_PERMITTED: N_(
        "Only congress staff can invite people, and only administrators can invite staff."
    ),
    Refusal.UNKNOWN_ROLE: N_("Unknown role. Choose one of the buttons, or write e.g. /invite deputy D0001."),
    Refusal.TARGET_REQUIRED: N_(
        "Which deputy? Send /invite deputy followed by the deputy's code, e.g. /invite deputy D0001."
    ),
    Refusal.UNKNOWN_TARGET: N_("There is no imported record with this code."),
    Refusal.TARGET_LINKED: N_("This record is already linked to a Telegram account."),
    Refusal.BAD_TTL: N_("The validity must be between 1h and 30d, e.g. 24h or 7d."),
    Refusal.UNKNOWN: N_("This invitation link is not valid. Ask the congress staff for a new one."),
    Refusal.EXPIRED: N_("This invitation link has expired. Ask the congress staff for a new one."),
    Refusal.USED: N_("This invitation link has already been used. Ask the congress staff for a new one."),
    Refusal.ACCOUNT_LINKED: N_(
        "Your Telegram account is already linked to another record; please contact the congress staff."
    ),
}

WELCOME: dict[Role, str] = {
    Role.DEPUTY: N_(
        "Welcome, deputy {name}! Your Telegram account is now linked to your record. Opinions for you "
        "arrive here as task cards with buttons; /tasks lists the ones you are handling."
    ),
    Role.COMMITTEE_MEMBER: N_("Welcome, {name}! You are now registered as a standing-committee member."),
    Role.UNIT_OFFICER: N_("Welcome, {name}! You are now registered as an officer of a handling unit."),
    Role.STAFF: N_(
        "Welcome, {name}! You are now registered as congress staff. /invite creates invitation links."
    ),
}


def staff_menu(person: Person, tr: Translator) -> list[dict[str, str]]:
    """`start.menu_for` plus /invite for those who may invite."""
    commands = menu_for(person, tr)
    if invitable_roles(person):
        at = next((i for i, c in enumerate(commands) if c["command"] == "language"), len(commands))
        commands.insert(at, {"command": "invite", "description": tr("Invite people to a role")})
    return commands


async def publish_staff_menu(uow: UnitOfWork, chat_id: int, person: Person, tr: Translator) -> None:
    """setMyCommands scoped to this chat, with the commands of the person's new roles."""
    payload = {"commands": staff_menu(person, tr), "scope": {"type": "chat", "chat_id": chat_id}}
    await uow.outbox.add(chat_id, "setMyCommands", payload)


def role_keyboard(tr: Translator, roles: tuple[Role, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr(ROLE_LABELS[r]), callback_data=pack(INVITE, r.value))] for r in roles]
    )


def service(context: LiaisonContext) -> InvitationService:
    return InvitationService(context.uow, context.services.clock)


def issued_text(tr: Translator, context: LiaisonContext, issued: Issued) -> str:
    role = Role(issued.invitation.role)
    link = invitation_link(context.bot.username, issued.token)
    lines = [
        tr("Invitation for: {role}", role=tr(ROLE_LABELS[role]))
        + (f" – {esc(issued.target_name)}" if issued.target_name else ""),
        tr(
            "Valid until {time}, for one person only. Forward this link to them:",
            time=when(issued.invitation.expires_at, context.services.settings.zone),
        ),
        esc(link),
    ]
    return "\n".join(lines)


async def invite(update: Update, context: LiaisonContext) -> None:
    """/invite [role [code] [ttl]]: role buttons, or a link at once from text arguments."""
    who = await actor(update, context)
    if who is None:
        return
    roles = invitable_roles(who.person)
    if not roles:
        await refuse_issue(context, who, Refusal.NOT_PERMITTED)
        return
    args = list(context.args or [])
    if not args:
        keyboard = role_keyboard(who.tr, roles)
        await send_text(context.uow, who.chat_id, who.tr("Invite someone as:"), markup=keyboard)
        return
    role = parse_role(args.pop(0))
    ttl: timedelta | None = DEFAULT_TTL
    if args and is_ttl_word(args[-1]):
        ttl = parse_ttl(args.pop())
    if ttl is None:
        await refuse_issue(context, who, Refusal.BAD_TTL)
        return
    code = args[0] if args else None
    result = await service(context).issue(
        who.person, role, target_code=code, ttl=ttl, telegram_id=who.account.telegram_id
    )
    if isinstance(result, Refused):
        await send_text(context.uow, who.chat_id, who.tr(REFUSALS[result.reason]))
        return
    await send_text(context.uow, who.chat_id, issued_text(who.tr, context, result))


async def refuse_issue(context: LiaisonContext, who: Actor, reason: Refusal) -> None:
    """Answer and audit an /invite that is refused before the service sees it."""
    await context.uow.audit.record(
        "invitation.refused",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        stage="issue",
        reason=reason.value,
    )
    await send_text(context.uow, who.chat_id, who.tr(REFUSALS[reason]))


async def role_pressed(update: Update, context: LiaisonContext) -> None:
    """A role button under /invite: a link at once (a deputy's needs the code, so it asks for it)."""
    query, who = update.callback_query, await actor(update, context)
    if query is None or who is None:
        return
    parsed = unpack(query.data)
    role = parse_role(parsed.fields[0]) if parsed and parsed.fields else None
    if role is Role.DEPUTY and role in invitable_roles(who.person):
        await answer_query(context.uow, who.chat_id, query.id)
        await send_text(context.uow, who.chat_id, who.tr(REFUSALS[Refusal.TARGET_REQUIRED]))
        return
    result = await service(context).issue(who.person, role, telegram_id=who.account.telegram_id)
    if isinstance(result, Refused):
        await answer_query(context.uow, who.chat_id, query.id, who.tr(REFUSALS[result.reason]), alert=True)
        return
    await answer_query(context.uow, who.chat_id, query.id)
    text = issued_text(who.tr, context, result)
    if query.message is not None:
        await edit_message(context.uow, who.chat_id, query.message.message_id, text)
    else:
        await send_text(context.uow, who.chat_id, text)


async def start_invitation(update: Update, context: LiaisonContext) -> None:
    """/start inv_<token>: grant the invitation's role, or refuse an unknown, used or expired link."""
    who = await actor(update, context)
    if who is None:
        return
    payload = context.args[0] if context.args else ""
    result = await service(context).accept(who.person, payload, telegram_id=who.account.telegram_id)
    if isinstance(result, Refused):
        await send_text(context.uow, who.chat_id, who.tr(REFUSALS[result.reason]))
        return
    await welcome(context, who, result)


async def welcome(context: LiaisonContext, who: Actor, accepted: Accepted) -> None:
    person = accepted.person
    tr = translator(locale_of(person, who.account, context.services.settings))
    if accepted.already:
        text = tr("You already have this role: {role}.", role=tr(ROLE_LABELS[accepted.role]))
    else:
        text = tr(WELCOME[accepted.role], name=esc(person.name))
    # The menu first: by the time the welcome arrives, the new commands are there.
    await publish_staff_menu(context.uow, who.chat_id, person, tr)
    await send_text(context.uow, who.chat_id, text)


def register(app: LiaisonApp) -> None:
    """Add the handlers; call before the generic handlers of group 0 (the generic /start takes any args)."""
    app.add_handler(
        CommandHandler(
            "start", start_invitation, filters=filters.Regex(rf"^/start(@\w+)?\s+{PAYLOAD_PREFIX}")
        )
    )
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CallbackQueryHandler(role_pressed, pattern=pattern(INVITE)))

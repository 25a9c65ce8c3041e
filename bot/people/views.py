"""How staff onboarding looks in chat: the role names, the /invite keyboard and its button kind, the
issued link, the welcome and the refusals."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import N_, Translator
from bot.opinions.views import when
from bot.people.entities import Role
from bot.people.invitations import Accepted, Issued, Refusal, invitation_link
from bot.runtime.replies import esc

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


@dataclass(frozen=True)
class InvitePress(Button, prefix="inv"):
    """A role button under /invite ("inv:<role>"); the role is checked again by the service."""

    role: Role


def refusal(tr: Translator, reason: Refusal) -> str:
    return tr(REFUSALS[reason])


def role_keyboard(tr: Translator, roles: tuple[Role, ...]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr(ROLE_LABELS[r]), callback_data=InvitePress(r).pack())] for r in roles]
    )


def issued_text(tr: Translator, issued: Issued, bot_username: str, zone: ZoneInfo) -> str:
    """The link to forward, with whom it is for and until when."""
    role = Role(issued.invitation.role)
    link = invitation_link(bot_username, issued.token)
    lines = [
        tr("Invitation for: {role}", role=tr(ROLE_LABELS[role]))
        + (f" – {esc(issued.target_name)}" if issued.target_name else ""),
        tr(
            "Valid until {time}, for one person only. Forward this link to them:",
            time=when(issued.invitation.expires_at, zone),
        ),
        esc(link),
    ]
    return "\n".join(lines)


def welcome_text(tr: Translator, accepted: Accepted) -> str:
    if accepted.already:
        return tr("You already have this role: {role}.", role=tr(ROLE_LABELS[accepted.role]))
    return tr(WELCOME[accepted.role], name=esc(accepted.person.name))

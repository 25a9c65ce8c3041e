"""How people look in chat: the station picker, the language buttons and the /start greeting
(binding), and staff onboarding — the role names, the /invite keyboard and its button kind, the issued
link, the welcome and the refusals. Rendering only; the data strings are the ones sent before
("st:open:7", "lang:en", "inv:staff").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import N_, Translator
from bot.kit.times import when
from bot.network.entities import Station, Unit
from bot.people.binding import Bound
from bot.people.entities import Person, Role
from bot.people.invitations import Accepted, Issued, Refusal, invitable_roles, invitation_link
from bot.runtime.replies import esc

ROLE_LABELS: dict[Role, str] = {
    Role.DEPUTY: N_("Deputy"),
    Role.COMMITTEE_MEMBER: N_("Committee member"),
    Role.UNIT_OFFICER: N_("Unit officer"),
    Role.STAFF: N_("Staff"),
    Role.STATION_HEAD: N_("Station head"),
    Role.LIAISON: N_("Station liaison officer"),
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
    Refusal.UNIT_REQUIRED: N_(
        "Which unit? Choose one below, or send /invite unit followed by the unit's code, e.g. /invite unit JTJ."
    ),
    Refusal.UNKNOWN_UNIT: N_("There is no handling unit with this code (any more)."),
    Refusal.STATION_REQUIRED: N_(
        "Which station? Send /invite station_head or /invite liaison followed by the station's code, "
        "e.g. /invite station_head V0001."
    ),
    Refusal.UNKNOWN_STATION: N_("There is no station with this code (any more)."),
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
    Role.STATION_HEAD: N_("Welcome, {name}! You are now registered as a station head."),
    Role.LIAISON: N_("Welcome, {name}! You are now registered as a station liaison officer."),
}


@dataclass(frozen=True)
class InvitePress(Button, prefix="inv"):
    """A role button under /invite ("inv:<role>"); the role is checked again by the service."""

    role: Role


@dataclass(frozen=True)
class UnitInvitePress(Button, prefix="invu"):
    """A unit button after "Unit officer" ("invu:<unit id>"); the service looks the unit up again."""

    unit_id: int


# More units than this make a keyboard no one can scan: staff type the code instead.
UNIT_PICKER_MAX = 40


def unit_picker(tr: Translator, units: Sequence[Unit]) -> tuple[str, InlineKeyboardMarkup | None]:
    """The question and the unit buttons for a unit officer's invitation (no buttons when too many)."""
    if not units:
        return tr("There are no handling units yet: they come with the network file's units section."), None
    text = tr(REFUSALS[Refusal.UNIT_REQUIRED])
    if len(units) > UNIT_PICKER_MAX:
        return text, None
    rows = [
        [InlineKeyboardButton(f"{unit.name} ({unit.code})", callback_data=UnitInvitePress(unit.id).pack())]
        for unit in units
    ]
    return text, InlineKeyboardMarkup(rows)


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
        + (f" – {esc(issued.target_name)}" if issued.target_name else "")
        + (" " + tr("(head of the unit)") if issued.invitation.unit_head else ""),
        tr(
            "Valid until {time}, for one person only. Forward this link to them:",
            time=when(issued.invitation.expires_at, zone),
        ),
        esc(link),
    ]
    return "\n".join(lines)


def role_welcome_text(tr: Translator, accepted: Accepted) -> str:
    """What an accepted invitation says: the new role, or that it was already held."""
    if accepted.already and accepted.unit_name:
        return tr("You are already an officer of {unit}.", unit=esc(accepted.unit_name))
    if accepted.station_name:
        return station_welcome_text(tr, accepted)
    if accepted.already:
        return tr("You already have this role: {role}.", role=tr(ROLE_LABELS[accepted.role]))
    if accepted.unit_name:
        text = tr(
            "Welcome, {name}! You are now registered as an officer of {unit}. The deputies' suggestions "
            "assigned to your unit reach you here.",
            name=esc(accepted.person.name),
            unit=esc(accepted.unit_name),
        )
        return text + ("\n\n" + tr("You are the unit's head officer.") if accepted.head else "")
    return tr(WELCOME[accepted.role], name=esc(accepted.person.name))


def station_welcome_text(tr: Translator, accepted: Accepted) -> str:
    """A station head's or liaison officer's welcome names the station (#24)."""
    station = esc(accepted.station_name or "")
    if accepted.already:
        return tr(
            "You are already {role} of {station}.", role=tr(ROLE_LABELS[accepted.role]), station=station
        )
    if accepted.role is Role.STATION_HEAD:
        return tr(
            "Welcome, {name}! You are now the head of {station}. /roster shows its duty roster, where you "
            "add and remove duty days; you approve the swaps its deputies agree on.",
            name=esc(accepted.person.name),
            station=station,
        )
    return tr(
        "Welcome, {name}! You are now a liaison officer of {station}. /duty shows who is on duty there.",
        name=esc(accepted.person.name),
        station=station,
    )


LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}


@dataclass(frozen=True)
class LanguagePress(Button, prefix="lang"):
    """A language of the /language buttons (checked against the supported ones when saved)."""

    code: str


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if code == current else "") + name, callback_data=LanguagePress(code).pack()
                )
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


class StationAction(StrEnum):
    OPEN = "open"  # show the level below (or pick it, when it has none)
    PICK = "pick"  # "This one"
    NONE = "none"  # "No stations yet": nothing to pick
    BACK = "back"  # up from the level under this station to the level it is listed in


@dataclass(frozen=True)
class StationPress(Button, prefix="st"):
    """A button of the station picker."""

    action: StationAction
    station_id: int | None = None


def station_keyboard(tr: Translator, rows: Sequence[Station], parent_id: int | None) -> InlineKeyboardMarkup:
    """One level of the station tree (homes, then their townships, then villages); every level
    below the top has "This one" first and Back last."""
    buttons = [
        [InlineKeyboardButton(s.name, callback_data=StationPress(StationAction.OPEN, s.id).pack())]
        for s in rows
    ]
    if parent_id is None:
        none = StationPress(StationAction.NONE).pack()
        return InlineKeyboardMarkup(
            buttons or [[InlineKeyboardButton(tr("No stations yet"), callback_data=none)]]
        )
    pick = StationPress(StationAction.PICK, parent_id).pack()
    back = StationPress(StationAction.BACK, parent_id).pack()
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr("✔️ This one"), callback_data=pick)],
            *buttons,
            [InlineKeyboardButton(tr("⬅️ Back"), callback_data=back)],
        ]
    )


def station_level_text(tr: Translator, parent: Station | None) -> str:
    """The heading of one level of the picker."""
    return tr("Stations in {name}:", name=esc(parent.name)) if parent is not None else tr("Stations:")


def share_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    """Share a location (nearest station) or the phone number (the station's records)."""
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(tr("📍 Share my location"), request_location=True)],
            [KeyboardButton(tr("📱 Share my phone number"), request_contact=True)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


# What each official role is told by /start, in this order (a person may hold several).
ROLE_GREETINGS: dict[Role, str] = {
    Role.STAFF: N_(
        "You are registered as congress staff. /queue lists the opinions waiting for a deputy and "
        "/overdue the yellow and red ones; /broadcast sends a notice, /stats gives the figures for the "
        "report, /console opens the web console and /invite makes invitation links."
    ),
    Role.PRESIDIUM: N_(
        "You are registered as a presidium member. Opinions that stay unanswered past the committee "
        "members who contact their deputies climb to you here."
    ),
    Role.COMMITTEE_MEMBER: N_(
        "You are registered as a standing-committee member. Each morning I send you a digest of the "
        "overdue opinions of the deputies you contact; items that climb past them reach you here."
    ),
    Role.DEPUTY: N_(
        "You are registered as a deputy. Opinions for you arrive here as task cards with buttons; "
        "/tasks lists the ones you are handling and /reception records a reception at your station."
    ),
    Role.UNIT_OFFICER: N_(
        "You are registered as an officer of a handling unit. The deputies' suggestions assigned to "
        "your unit reach you here."
    ),
    Role.STATION_HEAD: N_(
        "You are registered as a station head. /roster shows your station's duty roster, where you add "
        "and remove duty days; swaps between its deputies come to you for approval."
    ),
    Role.LIAISON: N_("You are registered as a station liaison officer. /duty shows who is on duty there."),
}


def official_roles(person: Person) -> list[Role]:
    """The roles beyond "constituent" that /start greets, in the greeting's order (ADMIN is staff)."""
    held = person.role_set
    if Role.ADMIN in held:
        held = held | {Role.STAFF}
    if person.deputy is not None:
        held = held | {Role.DEPUTY}
    return [role for role in ROLE_GREETINGS if role in held]


def welcome_text(
    tr: Translator, person: Person, *, linked: bool, bound: Bound | None, units: Sequence[str] = ()
) -> str:
    """/start's greeting for this person's roles: what a deep link (`linked`) bound to, and what to
    do next. Officials are greeted for their work, constituents for writing to their deputy; a unit
    officer is told the `units` they work for."""
    roles = official_roles(person)
    name = esc(person.name)
    if roles:
        text = tr("Hello, {name}! I am Liaison, the people's congress assistant in chat.", name=name)
    else:
        text = tr(
            "Hello, {name}! I am Liaison, the assistant that connects you with your people's congress "
            "deputies.",
            name=name,
        )
    if linked and bound is None:
        text += "\n\n" + tr("This link is not valid (any more). You can still write to me.")
    elif bound is not None and bound.deputy_name:
        text += "\n\n" + tr(
            "You are now connected with deputy {deputy} ({station}).",
            deputy=esc(bound.deputy_name),
            station=esc(bound.station_name or "—"),
        )
    elif bound is not None:
        text += "\n\n" + tr(
            "You are now connected with the station {station}.", station=esc(bound.station_name)
        )
    if roles:
        paragraphs = [tr(ROLE_GREETINGS[role]) for role in roles]
        # units (#23): a unit officer's greeting names the units they are an officer of.
        if units and Role.UNIT_OFFICER in roles:
            paragraphs.append(tr("Your unit: {units}.", units=esc("、".join(units))))
        return "\n\n".join([text, *paragraphs, tr("Send /help to see all your commands.")])
    return (
        text
        + "\n\n"
        + tr(
            "Write your opinion or suggestion here and I will pass it to the deputy responsible. "
            "Send /help to see what I can do."
        )
    )


def asks_for_station(person: Person) -> bool:
    """Only a constituent without a station is asked where they live (officials are not)."""
    return person.station_id is None and not official_roles(person)


def command_menu(person: Person, tr: Translator) -> list[dict[str, str]]:
    """The command menu of this person's roles (only commands that exist), for setMyCommands and /help."""
    roles = official_roles(person)
    commands = [("my", tr("My opinions"))]
    if Role.DEPUTY in roles:
        commands.append(("tasks", tr("Opinions I am handling")))
        commands.append(("reception", tr("Record a reception of constituents")))
        commands.append(("suggest", tr("File a suggestion")))
        commands.append(("suggestions", tr("My suggestions")))
        commands.append(("station", tr("My station: profile, 六有 and rectification list")))
    if Role.COMMITTEE_MEMBER in roles:
        commands.append(("supervise", tr("Supervise suggestions (督办)")))
    if Role.COMMITTEE_MEMBER in roles or Role.STAFF in roles:
        commands.append(("inspect", tr("Record a station inspection (分片包抓)")))
    if Role.STAFF in roles:
        commands.append(("queue", tr("Opinions waiting for a deputy")))
        commands.append(("overdue", tr("Yellow and red items")))
        commands.append(("broadcast", tr("Send a notice")))
        commands.append(("stats", tr("Figures for the report")))
        commands.append(("console", tr("Open the web console")))
        commands.append(("ledger", tr("The suggestions ledger (XLSX)")))
        if Role.DEPUTY not in roles:  # a deputy's menu has them already (their own suggestions)
            commands.append(("suggest", tr("File a deputy's paper suggestion")))
            commands.append(("suggestions", tr("Suggestions awaiting assignment")))
            commands.append(("reception", tr("Reception diary: register visitors at a station")))
            commands.append(("station", tr("A station's profile: /station CODE")))
    # Duty rosters (#24): a deputy's coming duty days; for everyone else, who is on duty at their station.
    if Role.DEPUTY in roles:
        commands.append(("duty", tr("My duty days at the station")))
    else:
        commands.append(("duty", tr("Who is on duty at my station")))
    if Role.STATION_HEAD in roles or Role.STAFF in roles:
        commands.append(("roster", tr("The station's duty roster")))
    # Performance points (#24): a deputy's own year; staff look a deputy up by code.
    if Role.DEPUTY in roles:
        commands.append(("points", tr("My performance points")))
    elif Role.STAFF in roles:
        commands.append(("points", tr("A deputy's performance points")))
    # The reception diary (#24): a station's liaison officer or head keeps it too.
    officer = Role.LIAISON in roles or Role.STATION_HEAD in roles
    if officer and Role.DEPUTY not in roles and Role.STAFF not in roles:
        commands.append(("reception", tr("Reception diary: register visitors at a station")))
    if invitable_roles(person):
        commands.append(("invite", tr("Invite people to a role")))
    commands += [
        ("cancel", tr("Cancel the unfinished draft or answer")),
        ("language", tr("Choose your language")),
        ("help", tr("What I can do")),
        ("start", tr("Start")),
    ]
    return [{"command": c, "description": d} for c, d in commands]


def menu_scope(chat_id: int) -> dict[str, object]:
    """setMyCommands for one chat (BotCommandScopeChat): each person sees their roles' menu."""
    return {"type": "chat", "chat_id": chat_id}

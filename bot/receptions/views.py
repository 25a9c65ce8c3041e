"""How the reception diary looks in chat: the dialog's prompts and keyboards, the entry's card and
summary, the list of recent entries, the visitor's link card, and what refusals say.

User text (names, places, matters, answers) is escaped here and cut as Telegram counts (UTF-16 units);
a summary too long for one message lists what fits and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, cut, visible_len
from bot.kit.times import when
from bot.network.categories import CATEGORIES
from bot.opinions.views import category_label
from bot.receptions.buttons import (
    CategoryPick,
    DiaryAction,
    DiaryPress,
    ListPress,
    StationPick,
    StepAction,
    StepPress,
)
from bot.receptions.entities import DiaryKind, DiaryState, Reception
from bot.receptions.lifecycle import Refusal, RefusalReason
from bot.receptions.links import LinkRefusal
from bot.receptions.reading import DiaryView, MatterView, VisitorView
from bot.receptions.rules import MAX_MATTER, MAX_NAME, MAX_PLACE, Counts, Invalid, Problem
from bot.runtime.replies import esc

Rows = list[list[InlineKeyboardButton]]

MAX_STATION_BUTTONS = 8
BUTTON_CHARS = 40
PREVIEW = 60  # a matter in the summary, UTF-16 units
LIST_ARGS = frozenset({"list", "ls", "列表"})

REFUSALS = {
    RefusalReason.NO_RELATION: N_("This diary is not yours to use."),
    RefusalReason.NOT_PERMITTED: N_("Only the deputy who keeps this diary, or staff, may do that."),
    RefusalReason.FINAL: N_("This day is already closed."),
    RefusalReason.STALE_STATE: N_("This day is already closed."),
    RefusalReason.NOT_FOUND: N_("This diary entry does not exist."),
    RefusalReason.NOT_THEIR_STATION: N_("You can open a diary only at your own stations."),
    RefusalReason.NOT_A_RECEIVER: N_(
        "Sorry, only deputies, stations' liaison officers and heads, and staff keep a reception diary."
    ),
    RefusalReason.WRONG_VISITOR: N_("This visitor is not in this diary."),
    RefusalReason.UNKNOWN_ACTION: N_("This button is not valid here."),
}
LINK_REFUSALS = {
    LinkRefusal.UNKNOWN: N_("This link is not valid. Ask the deputy who registered you for a new card."),
    LinkRefusal.USED: N_("This link has already been used. Your opinions reach the account that opened it."),
    LinkRefusal.EXPIRED: N_("This link has expired. Ask the deputy who registered you for a new card."),
    LinkRefusal.OWN: N_("This card is for the visitor: hand it over to them; it is not for you to open."),
}


def refusal_text(tr: Translator, refusal: Refusal) -> str:
    return tr(REFUSALS.get(refusal.reason, N_("This button is not valid here.")))


def not_receiver(tr: Translator) -> str:
    return tr(REFUSALS[RefusalReason.NOT_A_RECEIVER])


def problem_text(tr: Translator, invalid: Invalid) -> str:
    """What to tell the registrar about a refused input."""
    match invalid.problem:
        case Problem.EMPTY:
            return tr("That is empty. Please type it again.")
        case Problem.TOO_LONG:
            return tr(
                "That has {given} characters; at most {limit} fit. Please shorten it.",
                given=invalid.given,
                limit=invalid.limit,
            )
        case Problem.NOT_A_PHONE:
            return tr(
                "That is not a phone number we can record. Type a mobile (11 digits, 1xxxxxxxxxx), a "
                "landline with its area code, or + and the country code; or press ⏭ No phone."
            )
        case Problem.TOO_MANY:
            return tr("This diary holds no more of these (at most {limit}).", limit=invalid.limit)
        case Problem.UNKNOWN_CATEGORY:
            return tr("That category does not exist.")
        case Problem.NOT_TEXT:
            return tr("Please type your answer as text, or use the buttons above.")
        case _:
            return tr("This button is not valid here.")


# -- keyboards -------------------------------------------------------------------------------------


def step_button(tr: Translator, label: str, action: StepAction, key: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr(label), callback_data=StepPress(action, key).pack())


def diary_button(tr: Translator, label: str, action: DiaryAction, diary_id: int) -> InlineKeyboardButton:
    return InlineKeyboardButton(tr(label), callback_data=DiaryPress(action, diary_id).pack())


def leave_row(tr: Translator, key: str) -> list[InlineKeyboardButton]:
    return [step_button(tr, N_("✖️ Leave the diary"), StepAction.LEAVE, key)]


def markup(rows: Rows) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(rows)


# -- choosing where --------------------------------------------------------------------------------


def choose(
    tr: Translator, key: str, stations: Sequence[tuple[int, str]], staff: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """Where the day's diary is kept: one of the registrar's stations (staff type any code) or a home visit."""
    rows: Rows = [
        [InlineKeyboardButton(cut(name, BUTTON_CHARS), callback_data=StationPick(key, station_id).pack())]
        for station_id, name in stations[:MAX_STATION_BUTTONS]
    ]
    rows.append(
        [
            step_button(tr, N_("🏠 Home visit"), StepAction.HOME, key),
            InlineKeyboardButton(tr("📋 Recent entries"), callback_data=ListPress().pack()),
        ]
    )
    rows.append(leave_row(tr, key))
    text = tr("📒 Reception diary. Where are you receiving constituents today?")
    if staff:
        text += "\n" + tr("Press a station, or type a station's code; or record a home visit.")
    elif not stations:
        text += "\n" + tr("You belong to no station; you can record a home visit.")
    return text, markup(rows)


def unknown_code(tr: Translator, typed: str) -> str:
    return tr(
        "There is no station with the code {code}. Type another code.", code=esc(cut(typed.strip(), 32))
    )


def place_prompt(tr: Translator, key: str) -> tuple[str, InlineKeyboardMarkup]:
    text = tr(
        "🏠 Home visit. Where are you? Type the place (a village, a household; up to {limit} characters).",
        limit=MAX_PLACE,
    )
    return text, markup([leave_row(tr, key)])


def location_prompt(tr: Translator, key: str, place: str) -> tuple[str, InlineKeyboardMarkup]:
    text = tr(
        "Place: {place}. Share its location (📎 → Location) if you like, or press Skip.", place=esc(place)
    )
    rows = [[step_button(tr, N_("Skip"), StepAction.NO_LOCATION, key)], leave_row(tr, key)]
    return text, markup(rows)


# -- the entry's card --------------------------------------------------------------------------------


def counts_line(tr: Translator, counts: Counts) -> str:
    if counts.legacy:
        return tr(
            "Older record: {people} people received, {paper} opinions on paper (typed counts).",
            people=counts.people,
            paper=counts.paper,
        )
    return tr(
        "Visitors {visitors} · matters {matters}: answered on the spot {resolved}, sent as opinions {routed}",
        visitors=counts.people,
        matters=counts.matters,
        resolved=counts.resolved,
        routed=counts.routed,
    )


def heading(tr: Translator, diary: Reception, place: str) -> str:
    if diary.kind == DiaryKind.HOME_VISIT:
        title = tr("📒 Home visit · {place} · {day}", place=esc(place), day=diary.day.isoformat())
    else:
        title = tr("📒 Reception diary · {place} · {day}", place=esc(place), day=diary.day.isoformat())
    if diary.state == DiaryState.CLOSED:
        title += " · " + tr("closed")
    return title


def hub(
    tr: Translator, diary: Reception, place: str, counts: Counts, key: str, *, intro: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    """The open entry, between visitors: ➕ Visitor, 🏁 Close the day, or a home visit instead."""
    rows: Rows = [
        [
            diary_button(tr, N_("➕ Visitor"), DiaryAction.VISITOR, diary.id),
            diary_button(tr, N_("🏁 Close the day"), DiaryAction.CLOSE, diary.id),
        ],
        [
            step_button(tr, N_("🏠 Home visit"), StepAction.HOME, key),
            InlineKeyboardButton(tr("📋 Recent entries"), callback_data=ListPress().pack()),
        ],
        leave_row(tr, key),
    ]
    text = "\n".join([heading(tr, diary, place), counts_line(tr, counts)])
    return (f"{intro}\n\n{text}" if intro else text), markup(rows)


# -- a visitor -------------------------------------------------------------------------------------


def name_prompt(tr: Translator, key: str, number: int) -> tuple[str, InlineKeyboardMarkup]:
    text = tr(
        "👤 Visitor {number}: their name? Type it (up to {limit} characters), or press 🙈 Anonymous.",
        number=number,
        limit=MAX_NAME,
    )
    rows = [[step_button(tr, N_("🙈 Anonymous"), StepAction.ANONYMOUS, key)], leave_row(tr, key)]
    return text, markup(rows)


def consent_prompt(tr: Translator, key: str, name: str) -> tuple[str, InlineKeyboardMarkup]:
    text = tr(
        "{name}: a phone number is optional. Record it only if the visitor agrees; it reaches you "
        "and the congress office only.",
        name=esc(name),
    )
    rows = [
        [step_button(tr, N_("📞 They agree: record the phone"), StepAction.CONSENT, key)],
        [step_button(tr, N_("⏭ No phone"), StepAction.NO_PHONE, key)],
        leave_row(tr, key),
    ]
    return text, markup(rows)


def phone_prompt(tr: Translator, key: str) -> tuple[str, InlineKeyboardMarkup]:
    text = tr("Type the visitor's phone number (their consent is recorded with it).")
    return text, markup([[step_button(tr, N_("⏭ No phone"), StepAction.NO_PHONE, key)], leave_row(tr, key)])


def registered_line(tr: Translator, number: int, name: str | None, phone: str | None, bound: bool) -> str:
    """Who was registered, for the registrar (who may see the name and phone)."""
    who = esc(name) if name is not None else tr("🙈 anonymous")
    if phone:
        who += f" · {esc(phone)}"
    line = tr("👤 Visitor {number} registered: {who}.", number=number, who=who)
    if bound:
        line += "\n" + tr("They are in Telegram: the opinions filed for them reach them there.")
    return line


def matter_prompt(
    tr: Translator, key: str, diary_id: int, *, first: bool, intro: str = ""
) -> tuple[str, InlineKeyboardMarkup]:
    text = (
        tr("What did they raise? Type one matter (up to {limit} characters).", limit=MAX_MATTER)
        if first
        else tr("Another matter from this visitor? Type it; or the next visitor, or close the day.")
    )
    rows = [
        [
            step_button(tr, N_("👤 Next visitor"), StepAction.NEXT, key),
            diary_button(tr, N_("🏁 Close the day"), DiaryAction.CLOSE, diary_id),
        ],
        leave_row(tr, key),
    ]
    return (f"{intro}\n\n{text}" if intro else text), markup(rows)


def category_rows(tr: Translator, key: str, current: str | None) -> Rows:
    rows: Rows = []
    for code, label in CATEGORIES.items():
        text = ("✓ " if code == current else "") + tr(label)
        button = InlineKeyboardButton(text, callback_data=CategoryPick(key, code).pack())
        if rows and len(rows[-1]) < 3:
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


def decide_card(
    tr: Translator, key: str, matter: str, category: str, guessed: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """The matter with its category (guessed, buttons to change), and its two ways on."""
    label = category_label(tr, category)
    line = (
        tr("Category: {category} (guessed from the text; change it below)", category=label)
        if guessed
        else tr("Category: {category}", category=label)
    )
    question = tr("Answered on the spot, or send it on as an opinion on the visitor's behalf?")
    title = tr("Matter:")
    chrome = visible_len(f"{title}\n\n\n{line}\n{question}")
    text = f"{title}\n{esc(cut(matter, MESSAGE_LIMIT - chrome))}\n\n{line}\n{question}"
    rows = [
        *category_rows(tr, key, category),
        [
            step_button(tr, N_("✅ Answered on the spot"), StepAction.RESOLVE, key),
            step_button(tr, N_("📨 Send as opinion"), StepAction.ROUTE, key),
        ],
        leave_row(tr, key),
    ]
    return text, markup(rows)


def answer_prompt(tr: Translator, key: str) -> tuple[str, InlineKeyboardMarkup]:
    return tr("Type the answer you gave on the spot."), markup([leave_row(tr, key)])


def resolved_text(tr: Translator, category: str) -> str:
    return tr("✅ Recorded as answered on the spot ({category}).", category=category_label(tr, category))


def routed_text(
    tr: Translator, tracking_no: str, category: str, holder: str, *, bound: bool, covered: bool
) -> str:
    text = tr(
        "📨 Sent as opinion {tracking_no} ({category}); it is with {holder}.",
        tracking_no="<b>" + esc(tracking_no) + "</b>",
        category=category_label(tr, category),
        holder=holder,
    )
    if bound:
        text += "\n" + tr("The visitor got the opinion’s card in Telegram and follows it there.")
    elif covered:
        text += "\n" + tr("The link card you handed over earlier covers this opinion too.")
    return text


def visitor_card(tr: Translator, link: str, expires_at: datetime, zone: ZoneInfo) -> str:
    """The card for the deputy to hand over: the visitor opens the link to follow their opinions."""
    return "\n".join(
        [
            tr("🎫 For the visitor: hand this over (forward it, or let them open the link)."),
            tr(
                "Open this link in Telegram to follow the opinions registered for you at the reception "
                "and to rate the answer. It works once, until {time}:",
                time=when(expires_at, zone),
            ),
            esc(link),
        ]
    )


def bound_header(tr: Translator, place: str, day: str) -> str:
    """Above the usual card, for a visitor bound in Telegram."""
    return tr(
        "📒 Registered for you at the reception: {place}, {day}. You will hear of every step here.",
        place=esc(place),
        day=day,
    )


def followed_text(tr: Translator, place: str, day: str, count: int) -> str:
    return tr(
        "✅ You now follow the opinions registered for you at the reception ({place}, {day}): {count}. "
        "You will hear of every step here; /my lists them.",
        place=esc(place),
        day=day,
        count=count,
    )


def link_refused(tr: Translator, reason: LinkRefusal) -> str:
    return tr(LINK_REFUSALS[reason])


# -- the summary ------------------------------------------------------------------------------------


def _matter_line(tr: Translator, matter: MatterView) -> str:
    text = esc(cut(matter.text, PREVIEW)) if matter.text is not None else tr("(for the deputy handling it)")
    line = f"   • {category_label(tr, matter.category)} — {text}"
    if matter.tracking_no is not None:
        return line + f" → 📨 {esc(matter.tracking_no)}"
    if matter.answer is not None:
        return line + " → " + tr("✅ on the spot: {answer}", answer=esc(cut(matter.answer, PREVIEW)))
    return line + " → " + tr("✅ on the spot")


def _visitor_lines(tr: Translator, visitor: VisitorView) -> list[str]:
    if visitor.anonymous:
        who = tr("🙈 anonymous")
    elif visitor.name is not None:
        who = esc(visitor.name) + (f" · {esc(visitor.phone)}" if visitor.phone else "")
    else:
        who = tr("visitor")
    lines = [f"{visitor.number}. {who}"]
    lines += [_matter_line(tr, m) for m in visitor.matters] or ["   " + tr("(no matter raised)")]
    return lines


def summary(tr: Translator, view: DiaryView, *, intro: str = "") -> tuple[str, InlineKeyboardMarkup | None]:
    """The entry with its visitors and matters (what fits in one message), and its buttons."""
    head = [intro, ""] if intro else []
    head += [heading(tr, view.diary, view.place), counts_line(tr, view.counts)]
    if view.diary.note:
        head.append(tr("Note: {note}", note=esc(cut(view.diary.note, 300))))
    lines = list(head)
    for index, visitor in enumerate(view.visitors):
        block = ["", *_visitor_lines(tr, visitor)]
        more = tr("… and {count} more visitors.", count=len(view.visitors) - index)
        if visible_len("\n".join([*lines, *block, more])) > MESSAGE_LIMIT:
            lines += ["", more]
            break
        lines += block
    rows: Rows = []
    if view.can_register:
        rows.append(
            [
                diary_button(tr, N_("➕ Visitor"), DiaryAction.VISITOR, view.diary.id),
                diary_button(tr, N_("🏁 Close the day"), DiaryAction.CLOSE, view.diary.id),
            ]
        )
    return "\n".join(lines), (markup(rows) if rows else None)


def recent_list(
    tr: Translator, rows: Sequence[tuple[Reception, str, Counts]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The registrar's recent entries, numbered, each with a 📖 button."""
    if not rows:
        return tr("You have no diary entries yet. Send /reception to start today's."), None
    lines = [tr("Your recent diary entries:")]
    buttons: list[InlineKeyboardButton] = []
    for number, (diary, place, counts) in enumerate(rows, 1):
        where = ("🏠 " if diary.kind == DiaryKind.HOME_VISIT else "") + esc(cut(place, BUTTON_CHARS))
        state = " · " + tr("open") if diary.state == DiaryState.OPEN else ""
        lines.append(f"{number}. {diary.day.isoformat()} · {where}{state}\n    {counts_line(tr, counts)}")
        buttons.append(
            InlineKeyboardButton(f"📖 {number}", callback_data=DiaryPress(DiaryAction.VIEW, diary.id).pack())
        )
    return "\n".join(lines), markup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])


def left(tr: Translator, back: bool) -> str:
    text = tr("You left the diary; it stays open. Send /reception to go on.")
    return text + ("\n" + draft_back(tr) if back else "")


def draft_back(tr: Translator) -> str:
    return tr("Your unsent opinion draft is open again: what you write now joins it.")


def expired(tr: Translator, back: bool) -> str:
    text = tr(
        "The diary dialog was left after two hours without an answer; what was registered is kept. "
        "Send /reception to go on."
    )
    return text + ("\n" + draft_back(tr) if back else "")


def waiting_hint(tr: Translator) -> str:
    return tr("The diary is waiting for a button above (or send /reception to see it again).")

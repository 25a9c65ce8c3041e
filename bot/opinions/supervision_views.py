"""How supervision looks in chat: the /queue and /overdue lists, the deputy picker, the reminder.
Rendering only: what is listed and in which order is `bot.opinions.supervision`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import cut
from bot.kit.times import when
from bot.opinions.candidates import Candidate
from bot.opinions.card_buttons import OpenCard
from bot.opinions.entities import Opinion
from bot.opinions.supervision import MAX_ITEMS, Overdue, OverdueGroup, Queue
from bot.opinions.supervision_buttons import AssignPress, PickPress, RemindPress
from bot.opinions.views import COLOUR_MARKS, OpinionViews, category_label
from bot.people.entities import Person
from bot.runtime.replies import esc

STAFF_ONLY = N_("Sorry, this is only for congress office staff.")
QUEUE_EMPTY = N_("The triage queue is empty. 🎉")
NOTHING_OVERDUE = N_("Nothing is near or past its deadline. 🎉")

Listing = tuple[str, InlineKeyboardMarkup]


def age(since: datetime | None, now: datetime, tr: Translator) -> str:
    """How long ago, coarse: minutes, hours or days."""
    if since is None:
        return "—"
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 3600:
        return tr("{n} min", n=seconds // 60)
    if seconds < 86400:
        return tr("{n} h", n=seconds // 3600)
    return tr("{n} d", n=seconds // 86400)


def _reassign(tr: Translator, opinion: Opinion) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        tr("↪️ Reassign {tracking_no}", tracking_no=opinion.tracking_no),
        callback_data=AssignPress(opinion.id, opinion.holder_deputy_id or 0).pack(),
    )


async def queue_listing(views: OpinionViews, queue: Queue, tr: Translator, now: datetime) -> Listing:
    """Cards Telegram refused (with Reassign), then the triage queue (with Assign)."""
    lines: list[str] = []
    buttons: list[list[InlineKeyboardButton]] = []
    if queue.undelivered:
        lines.append(tr("⚠️ <b>Cards Telegram refused</b>: the deputy may not have seen these opinions"))
        for item in queue.undelivered:
            opinion = item.opinion
            lines.append(
                f"• <b>{esc(opinion.tracking_no)}</b> · {await views.holder_name(opinion, tr)} · "
                f"{esc(cut(item.error, 120))}"
            )
            buttons.append([_reassign(tr, opinion)])
        lines.append("")
    lines.append(
        tr(QUEUE_EMPTY)
        if not queue.triage
        else tr("📥 <b>Triage queue</b>: opinions no routing rule could place")
    )
    for opinion in queue.triage:
        lines.append(
            f"• <b>{esc(opinion.tracking_no)}</b> · {category_label(tr, opinion.category)} · "
            f"{await views.station_name(opinion, tr)} · {age(opinion.created_at, now, tr)}"
        )
        assign = tr("👤 Assign {tracking_no}", tracking_no=opinion.tracking_no)
        buttons.append([InlineKeyboardButton(assign, callback_data=AssignPress(opinion.id, 0).pack())])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def overdue_listing(views: OpinionViews, overdue: Overdue, tr: Translator) -> Listing:
    """Yellow and red opinions under their station and holder, each with Remind (when held) and Reassign."""
    lines = [tr("⏰ <b>Near or past the deadline</b>")]
    if overdue.cut:
        lines.append(tr("(the oldest {n} of {total})", n=MAX_ITEMS, total=overdue.total))
    buttons: list[list[InlineKeyboardButton]] = []
    for group in overdue.groups:
        lines += ["", _group_head(group, tr)]
        for item in group.items:
            opinion = item.opinion
            lines.append(
                f"{COLOUR_MARKS[item.shade.value]} <b>{esc(opinion.tracking_no)}</b> · "
                f"{category_label(tr, opinion.category)} · "
                + tr("deadline {deadline}", deadline=when(item.deadline, views.zone))
            )
            row = [_reassign(tr, opinion)]
            if opinion.holder_deputy_id:
                remind = tr("⏰ Remind {tracking_no}", tracking_no=opinion.tracking_no)
                data = RemindPress(opinion.id, opinion.holder_deputy_id).pack()
                row.insert(0, InlineKeyboardButton(remind, callback_data=data))
            buttons.append(row)
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def _group_head(group: OverdueGroup, tr: Translator) -> str:
    station = esc(group.station) if group.station is not None else tr("no station")
    holder = esc(group.holder) if group.holder is not None else tr("the congress office")
    return f"🏠 <b>{station}</b> · 👤 {holder}"


def picker(opinion: Opinion, found: Sequence[Candidate], tr: Translator) -> Listing:
    """Which deputy gets the opinion: 🎯 marks a matching field, the number is the open load."""
    held = opinion.holder_deputy_id or 0
    buttons = [
        [
            InlineKeyboardButton(
                ("🎯 " if c.field_match else "") + tr("{name} · {count} open", name=c.name, count=c.load),
                callback_data=PickPress(opinion.id, c.deputy_id, held).pack(),
            )
        ]
        for c in found
    ]
    text = tr(
        "Give {tracking_no} ({category}) to which deputy? 🎯 marks a matching field; "
        "the number is each one's open load.",
        tracking_no=esc(opinion.tracking_no),
        category=category_label(tr, opinion.category),
    )
    return text, InlineKeyboardMarkup(buttons)


def no_candidates(opinion: Opinion, tr: Translator) -> str:
    return tr("No deputy could be found for {tracking_no}.", tracking_no=esc(opinion.tracking_no))


def assigned(tr: Translator, tracking_no: str, holder: str) -> str:
    return tr("{tracking_no} is now with {holder}.", tracking_no=esc(tracking_no), holder=holder)


def reminder(
    views: OpinionViews, holder: Person, opinion: Opinion, now: datetime, deadline: datetime
) -> Listing:
    """The reminder in the holder's language (overdue, or due soon), with a button to open the card."""
    tr = views.translator_for(holder)
    params = {
        "tracking_no": esc(opinion.tracking_no),
        "category": category_label(tr, opinion.category),
        "deadline": when(deadline, views.zone),
    }
    if now > deadline:
        text = tr(
            "The congress office reminds you: opinion <b>{tracking_no}</b> ({category}) is overdue; "
            "the deadline was {deadline}. Please handle it now.",
            **params,
        )
    else:
        text = tr(
            "The congress office reminds you: opinion <b>{tracking_no}</b> ({category}) is due by "
            "{deadline}. Please handle it in time.",
            **params,
        )
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr("📝 Open the card"), callback_data=OpenCard(opinion.id).pack())]]
    )
    return f"{views.colour_mark(opinion, now)} {text}", markup

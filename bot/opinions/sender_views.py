"""How the sender's side looks in chat: the /my list and the thanks for a verdict. Rendering only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.i18n import Translator
from bot.opinions.buttons import MyPress, Verdict
from bot.opinions.entities import Opinion
from bot.opinions.views import STATE_LABELS, OpinionViews, category_label
from bot.runtime.replies import esc

MY_LIST = 20  # opinions listed by /my


def my_list(
    views: OpinionViews, tr: Translator, opinions: Sequence[Opinion], now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The sender's opinions with status and colour, and a button that opens each timeline."""
    lines = [tr("Your opinions:")]
    buttons = []
    for opinion in opinions[:MY_LIST]:
        lines.append(
            f"{views.colour_mark(opinion, now)} <b>{esc(opinion.tracking_no)}</b> · "
            f"{category_label(tr, opinion.category)} · {tr(STATE_LABELS[opinion.state])}"
        )
        buttons.append([InlineKeyboardButton(opinion.tracking_no, callback_data=MyPress(opinion.id).pack())])
    return "\n".join(lines), InlineKeyboardMarkup(buttons)


def verdict_thanks(tr: Translator, verdict: Verdict, *, tracking_no: str, holder: str, deadline: str) -> str:
    """What the sender hears after ✅ / 🆗 (closed) or ❌ (reopened to the same deputy)."""
    if verdict is Verdict.SATISFIED:
        text = tr("Thank you! Opinion <b>{tracking_no}</b> is closed: satisfied.")
    elif verdict is Verdict.BASIC:
        text = tr("Thank you! Opinion <b>{tracking_no}</b> is closed: basically satisfied.")
    else:
        text = tr(
            "Opinion <b>{tracking_no}</b> is reopened to deputy {holder}, and their "
            "supervisor is informed. You will hear again by {deadline}."
        )
    return text.format(tracking_no=esc(tracking_no), holder=holder, deadline=deadline)

"""How `/points` looks in chat: a deputy's year — total, each kind's count and points, then the lines, the
newest first, each with its source ("✅ 2026-03-05 进站履职 · 丙村人大代表联络站 +2") — paged within
Telegram's 4096 UTF-16 units, with ◀️ ▶️ carrying `PointsPress`. Refusals said plainly.

Button data is untrusted: the handler checks the presser is the deputy or staff before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.points.reading import Entry, Statement
from bot.points.rules import KIND_LABELS, PointKind
from bot.points.service import Problem
from bot.runtime.replies import esc

__all__ = [
    "LINE_LABELS",
    "PAGE_LINES",
    "PointsPress",
    "entry_line",
    "page",
    "parse_args",
    "refusal_text",
    "staff_usage",
    "usage",
]

PAGE_LINES = 25  # lines on a page at most; the 4096 units decide first for long titles and reasons


@dataclass(frozen=True)
class PointsPress(Button, prefix="pt"):
    """◀️ ▶️ under a deputy's year: which deputy, which year, which page (0: the newest lines)."""

    deputy_id: int
    year: int
    page: int = 0


# A line in chat: what it was, and where from ({ref}: a station, a tracking number, a number, a title).
LINE_LABELS: dict[str, str] = {
    PointKind.DUTY_CHECK_IN: N_("Duty check-in · {ref}"),
    PointKind.VISITOR: N_("Received {n} constituent(s) · {ref}"),
    PointKind.OPINION_ON_TIME: N_("Opinion {ref} answered on time"),
    PointKind.OPINION_SATISFIED: N_("Opinion {ref}: the sender was satisfied"),
    PointKind.SUGGESTION_FILED: N_("Suggestion {ref} filed"),
    PointKind.MEETING: N_("Meeting: {ref}"),
    PointKind.TRAINING: N_("Training: {ref}"),
    PointKind.DUTY_MISSED: N_("Duty day missed · {ref}"),
    PointKind.OPINION_RED: N_("Opinion {ref} overdue (red) while you held it"),
}

REFUSALS: dict[str, str] = {
    Problem.NOT_STAFF: N_("Only congress staff may look at another deputy's points."),
    Problem.NOT_DEPUTY: N_(
        "Performance points are kept for deputies: only deputies and congress staff see them."
    ),
    Problem.NOT_FOUND: N_("There is no deputy with this code."),
    Problem.BAD_YEAR: N_("Points are kept for the years from 2000 to next year."),
    Problem.PAST_YEAR: N_(
        "A past year's rules stay as its points were computed by them; change this year's or next year's."
    ),
    Problem.POINTS_RANGE: N_("Points must be a whole number from −100 to 100 a unit."),
    Problem.DEDUCTION_POSITIVE: N_("A deduction cannot add points: give 0 or less."),
    Problem.AWARD_NEGATIVE: N_("An award cannot take points away: give 0 or more."),
    Problem.CAP_RANGE: N_("A cap is a whole number from 1 to 10000, or empty for no cap."),
    Problem.NO_LAST_YEAR: N_("Last year has no rule table to copy."),
    Problem.BAD_ADJUSTMENT: N_("An adjustment is a whole number of points from −1000 to 1000, not 0."),
    Problem.BAD_REASON: N_("Give the reason for the adjustment (at most 300 characters)."),
    Problem.BAD_DAY: N_("Give the day it was held (not a day still to come)."),
    Problem.BAD_TITLE: N_("Give a title (at most 200 characters)."),
    Problem.NO_ATTENDEES: N_("Give the codes of the deputies who attended."),
    Problem.UNKNOWN_CODES: N_("No deputy has these codes: {codes}"),
}


def refusal_text(
    tr: Translator, problem: str | None, codes: tuple[str, ...] = (), *, html: bool = True
) -> str:
    """A refusal said plainly (`codes`: the unknown deputy codes, for UNKNOWN_CODES), escaped for chat
    (`html`) or left to the console's autoescaping templates."""
    if problem == Problem.UNKNOWN_CODES:
        listed = ", ".join(codes[:20])
        return tr(REFUSALS[Problem.UNKNOWN_CODES], codes=esc(listed) if html else listed)
    return tr(REFUSALS.get(problem or "", N_("This button is not for you.")))


def usage(tr: Translator) -> str:
    return tr("Usage: /points (this year) or /points 2025; staff: /points D12 or /points D12 2025.")


def staff_usage(tr: Translator) -> str:
    return tr(
        "Send /points with a deputy's code to see their points, e.g. /points D12 (or /points D12 2025)."
    )


def parse_args(args: list[str]) -> tuple[str | None, int | None] | None:
    """(deputy code, year) from `/points [CODE] [YEAR]` in any order; None for anything else."""
    code: str | None = None
    year: int | None = None
    if len(args) > 2:
        return None
    for arg in args:
        if arg.isascii() and arg.isdigit() and len(arg) == 4:
            if year is not None:
                return None
            year = int(arg)
        elif code is None and arg.isprintable() and 0 < len(arg) <= 32:
            code = arg
        else:
            return None
    return code, year


def _signed(points: int) -> str:
    return f"+{points}" if points > 0 else "−" + str(-points) if points < 0 else "±0"


def _mark(entry: Entry) -> str:
    if entry.kind is None:
        return "✏️"
    return "✅" if entry.points > 0 else "➖" if entry.points < 0 else "⏸"


def entry_line(tr: Translator, entry: Entry) -> str:
    """One line: mark, local day, what and where from, points (a capped one says so)."""
    if entry.kind is None:
        what = tr("Adjustment by the office: {reason}", reason=esc(entry.reason or ""))
    else:
        ref = esc(entry.ref or "—")
        what = tr(LINE_LABELS[entry.kind], ref=ref, n=entry.quantity)
    tail = _signed(entry.points)
    if entry.capped:
        tail += " " + tr("(the year's cap reached)")
    return f"{_mark(entry)} {entry.day.isoformat()} {what} <b>{tail}</b>"


def _head(tr: Translator, s: Statement) -> str:
    """The first page's head: whose year, the total, each kind's count and points, the adjustments."""
    name = esc(s.deputy.name) + (f" ({esc(s.deputy.code)})" if s.deputy.code else "")
    lines = [
        tr("📊 <b>Performance points {year}</b> · {name}", year=s.year, name=name),
        tr("Total: <b>{total}</b>", total=s.total),
    ]
    for sub in s.subtotals:
        lines.append(f"· {tr(KIND_LABELS[sub.kind])}: {sub.count} → {_signed(sub.points)}")
    if s.adjustments:
        lines.append(
            "· "
            + tr("Adjustments by the office: {n} → {points}", n=s.adjustments, points=_signed(s.adjusted))
        )
    if not s.entries:
        lines.append(tr("Nothing recorded for {year} yet.", year=s.year))
    else:
        lines.append("\n" + tr("Latest lines:"))
    return "\n".join(lines)


def _short_head(tr: Translator, s: Statement, number: int, pages: int) -> str:
    name = esc(s.deputy.name)
    return tr(
        "📊 Performance points {year} · {name} — page {page} of {pages}",
        year=s.year,
        name=name,
        page=number,
        pages=pages,
    )


def _pages(tr: Translator, s: Statement) -> list[list[int]]:
    """Indexes of the entries on each page: at most `PAGE_LINES`, the page's text within 4096 units."""
    room = [
        MESSAGE_LIMIT - visible_len(_head(tr, s)) - 2,
        MESSAGE_LIMIT - visible_len(_short_head(tr, s, 999, 999)) - 2,
    ]
    pages: list[list[int]] = [[]]
    used = 0
    for i, entry in enumerate(s.entries):
        size = visible_len(entry_line(tr, entry)) + 1
        budget = room[0] if len(pages) == 1 else room[1]
        if pages[-1] and (len(pages[-1]) >= PAGE_LINES or used + size > budget):
            pages.append([])
            used = 0
        pages[-1].append(i)
        used += size
    return pages


def page(tr: Translator, s: Statement, number: int) -> tuple[str, InlineKeyboardMarkup | None]:
    """Page `number` (clamped) of the deputy's year, with ◀️ ▶️ between pages."""
    pages = _pages(tr, s)
    number = min(max(number, 0), len(pages) - 1)
    head = _head(tr, s) if number == 0 else _short_head(tr, s, number + 1, len(pages))
    body = [entry_line(tr, s.entries[i]) for i in pages[number]]
    text = "\n".join([head, *body])
    nav = []
    if number > 0:
        nav.append(
            InlineKeyboardButton(
                "◀️", callback_data=PointsPress(s.deputy.deputy_id, s.year, number - 1).pack()
            )
        )
    if number < len(pages) - 1:
        nav.append(
            InlineKeyboardButton(
                "▶️", callback_data=PointsPress(s.deputy.deputy_id, s.year, number + 1).pack()
            )
        )
    return text, InlineKeyboardMarkup([nav]) if nav else None

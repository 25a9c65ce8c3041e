"""How the suggestion figures read: the section /stats adds in chat (HTML, in the reader's language) and
the lines `liaison stats` prints (English, for operators). The figures are `figures.py`'s."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from bot.kit.i18n import N_, Translator
from bot.network.categories import CATEGORIES
from bot.suggestions.figures import shown

__all__ = [
    "NOT_ASSIGNED",
    "NO_COMMITTEE",
    "category_label",
    "chat_section",
    "row_name",
    "series_name",
    "table_lines",
]

TITLE = N_("Deputies' suggestions")
NOT_ASSIGNED = N_("not assigned yet")
NO_COMMITTEE = N_("no supervising committee")
SESSION = N_("Session {code}")
RECESS = N_("{year}, between sessions")
BY_SERIES = N_("By series:")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def series_name(row: Mapping[str, Any], tr: Translator) -> str:
    """A series as people say it: "Session 16-4" or "2025, between sessions"."""
    if row["kind"] == "recess":
        return tr(RECESS, year=row["key"])
    return tr(SESSION, code=row["key"])


def category_label(code: str | None, tr: Translator) -> str:
    return tr(CATEGORIES[code]) if code in CATEGORIES else (code or "-")


def row_name(section: str, row: Mapping[str, Any], tr: Translator) -> str:
    """A breakdown row's name in the reader's language (plain text)."""
    if section == "by_series":
        return series_name(row, tr)
    if section == "by_category":
        return category_label(row["key"], tr)
    if row["key"] is None:
        missing = NOT_ASSIGNED if section == "by_unit" else NO_COMMITTEE
        return tr(missing)
    return str(row["name"] or row["code"] or row["key"])


def _with(count: int, share: Mapping[str, Any]) -> str:
    return f"{count} ({shown(share)})"


def summary_lines(t: Mapping[str, Any], tr: Translator) -> list[str]:
    """The totals as chat lines (plain text, to be escaped by the caller)."""
    s, c = t["satisfaction"], t["contacts"]
    return [
        tr(
            "Filed {filed}, assigned {assigned}, answered {answered}, closed {closed}",
            filed=t["filed"],
            assigned=t["assigned"],
            answered=t["answered"],
            closed=t["closed"],
        ),
        tr(
            "Results: A {a}, B {b}, C {c}; A-share {share} ({a} of {answered})",
            a=t["class_a"],
            b=t["class_b"],
            c=t["class_c"],
            share=shown(t["a_share"]),
            answered=t["answered"],
        ),
        tr(
            "First answer on time: {n} of {total} ({share})",
            n=t["on_time"],
            total=t["answered"],
            share=shown(t["on_time_rate"]),
        ),
        tr(
            "Ratings of {rated}: satisfied {satisfied}, basically satisfied {basic}, dissatisfied {dissatisfied}",
            rated=t["rated"],
            satisfied=_with(t["satisfied"], s["satisfied"]),
            basic=_with(t["basic"], s["basic"]),
            dissatisfied=_with(t["dissatisfied"], s["dissatisfied"]),
        ),
        tr(
            "Dissatisfied at least once: {n}; re-handled: {rehandled}",
            n=t["ever_dissatisfied"],
            rehandled=t["rehandled"],
        ),
        tr(
            "Contacts the deputy confirmed, of {answered} answered: before handling {before}, during "
            "{during}, after {after}, all three {all}",
            answered=t["answered"],
            before=_with(t["contact_before"], c["before"]),
            during=_with(t["contact_during"], c["during"]),
            after=_with(t["contact_after"], c["after"]),
            all=_with(t["contact_all"], c["all"]),
        ),
    ]


def _unit_line(name: str, r: Mapping[str, Any], tr: Translator) -> str:
    return tr(
        "{name}: answered {answered}, A-share {a_share}, on time {on_time}, satisfied or basically {satisfied}",
        name=_esc(name),
        answered=r["answered"],
        a_share=shown(r["a_share"]),
        on_time=shown(r["on_time_rate"]),
        satisfied=shown(r["satisfaction"]["satisfied_or_basic"]),
    )


def chat_section(figures: Mapping[str, Any], tr: Translator, *, top: int = 5) -> str:
    """The suggestions part of /stats (HTML; names escaped): totals, series, the `top` units and committees."""
    lines = [f"<b>{_esc(tr(TITLE))}</b>", *(_esc(line) for line in summary_lines(figures["totals"], tr))]
    series = figures["by_series"]
    if series:
        lines += ["", f"<b>{_esc(tr(BY_SERIES))}</b>"]
        for r in series:
            lines.append(
                tr(
                    "{name}: filed {filed}, answered {answered}, A-share {a_share}",
                    name=_esc(series_name(r, tr)),
                    filed=r["filed"],
                    answered=r["answered"],
                    a_share=shown(r["a_share"]),
                )
            )
    for title, key in ((N_("By lead unit:"), "by_unit"), (N_("By supervising committee:"), "by_committee")):
        rows = [r for r in figures[key] if r["key"] is not None][:top]
        if not rows:
            continue
        lines += ["", f"<b>{_esc(tr(title))}</b>"]
        lines += [_unit_line(row_name(key, r, tr), r, tr) for r in rows]
        more = len([r for r in figures[key] if r["key"] is not None]) - len(rows)
        if more > 0:
            lines.append(_esc(tr("… and {n} more: see the web console.", n=more)))
    return "\n".join(lines)


def _cols(r: Mapping[str, Any]) -> list[Any]:
    return [
        r["filed"],
        r["answered"],
        r["class_a"],
        r["class_b"],
        r["class_c"],
        shown(r["a_share"]),
        shown(r["on_time_rate"]),
        shown(r["satisfaction"]["satisfied_or_basic"]),
        r["ever_dissatisfied"],
        r["rehandled"],
        r["closed"],
        shown(r["contacts"]["all"]),
    ]


TABLE_HEADERS = [
    "filed",
    "answered",
    "A",
    "B",
    "C",
    "A-share",
    "on time",
    "satisfied+basic",
    "dissatisfied",
    "re-handled",
    "closed",
    "contacts: all three",
]


def table_lines(
    figures: Mapping[str, Any],
    tr: Translator,
    table: Any,
    *,
    heading: str = "Suggestions (by day filed)",
    sections: Sequence[str] | None = None,
) -> list[str]:
    """`liaison stats` lines: the totals, then one table per breakdown (`table(headers, rows)` draws it)."""
    t = figures["totals"]
    out = [heading, *summary_lines(t, tr)]
    for key in sections or ("by_series", "by_unit", "by_committee", "by_category"):
        out += ["", key.removeprefix("by_").replace("_", " ").capitalize()]
        out += table(["name", *TABLE_HEADERS], [[row_name(key, r, tr), *_cols(r)] for r in figures[key]])
    return out

"""How the stations' figures read (bot/stats/stations.py): the /stats view in chat, fitted to one
message, and the terminal table of `liaison stats`. The console draws the same figures as tables
(bot/console/pages/reports.py) under the same labels (`FIELD_LABELS`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from bot.kit.i18n import N_, Translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.stats.stations import FIELDS

__all__ = ["CHAT_TOP", "render_stations", "row_name", "table_lines"]

CHAT_TOP = 5  # townships, stations and deputies shown in chat at most (fewer when the message is full)
NO_TOWNSHIP = N_("outside the townships (homes, home visits)")
NO_STATION = N_("no station (home visits)")
NO_DEPUTY = N_("no deputy (staff queue, staff's entries)")
PROBLEMS_NOTE = N_(
    "Problems resolved = matters resolved at reception + opinions closed satisfied or basically satisfied "
    "(a matter sent on as an opinion counts once)."
)
ROW = N_(
    "{name}: duty visits {visits}, visitors {visitors}, opinions {opinions}, problems resolved {problems}"
)
SECTIONS = (
    ("by_township", N_("By township:"), NO_TOWNSHIP),
    ("by_station", N_("By station:"), NO_STATION),
    ("by_deputy", N_("By deputy:"), NO_DEPUTY),
)
FALLBACKS = {"by_township": NO_TOWNSHIP, "by_station": NO_STATION, "by_deputy": NO_DEPUTY, "by_year": ""}


def _esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def row_name(section: str, row: dict[str, Any], tr: Translator) -> str:
    """A row's name in the reader's words (plain text): its name, else its code, else what None means."""
    if row["key"] is None:
        return tr(FALLBACKS[section]) if FALLBACKS[section] else "-"
    return str(row["name"] or row["code"] or row["key"])


def _row(section: str, row: dict[str, Any], tr: Translator) -> str:
    return tr(
        ROW,
        name=_esc(row_name(section, row, tr)),
        visits=row["duty_visits"],
        visitors=row["visitors"],
        opinions=row["opinions_collected"],
        problems=row["problems_resolved"],
    )


def _text(stations: dict[str, Any], title: str, tr: Translator, top: int) -> str:
    t = stations["totals"]
    lines = [
        f"<b>{_esc(title)}</b>",
        tr("Duty visits (check-ins): {n}", n=t["duty_visits"]),
        tr(
            "Visitors received: {n} ({receptions} receptions, {home} home visits)",
            n=t["visitors"],
            receptions=t["receptions"],
            home=t["home_visits"],
        ),
        tr(
            "Matters registered: {n}; resolved at reception {resolved}, sent as opinions {routed}",
            n=t["matters_registered"],
            resolved=t["resolved_at_reception"],
            routed=t["matters_routed"],
        ),
        tr(
            "Opinions collected: {n}; from receptions {receptions}, sent directly {direct}; resolved {resolved}",
            n=t["opinions_collected"],
            receptions=t["opinions_from_receptions"],
            direct=t["opinions_direct"],
            resolved=t["opinions_resolved"],
        ),
        tr("Problems resolved: {n}", n=t["problems_resolved"]),
    ]
    if stations["by_year"]:
        heading = tr("By year:")
        lines += ["", f"<b>{_esc(heading)}</b>"]
        lines += [_row("by_year", r, tr) for r in stations["by_year"]]
    for section, heading, _none in SECTIONS:
        rows = stations[section][:top]
        if rows:
            lines += ["", f"<b>{_esc(tr(heading))}</b>"]
            lines += [_row(section, r, tr) for r in rows]
    lines += ["", f"<i>{_esc(tr(PROBLEMS_NOTE))}</i>"]
    return "\n".join(lines)


def render_stations(stations: dict[str, Any], title: str, tr: Translator, *, top: int = CHAT_TOP) -> str:
    """The stations' view for /stats (HTML, names escaped): the totals, every year, and the busiest
    townships, stations and deputies — as many as one message holds (4,096 UTF-16 units as shown)."""
    for shown in range(top, -1, -1):
        text = _text(stations, title, tr, shown)
        if visible_len(text) <= MESSAGE_LIMIT:
            return text
    return text  # pragma: no cover - the totals and a few dozen years always fit


def table_lines(
    stations: dict[str, Any], tr: Translator, table: Callable[[list[str], list[list[Any]]], list[str]]
) -> list[str]:
    """The stations' figures for the terminal: the totals, then one table per breakdown (every row)."""
    t = stations["totals"]
    out = ["Stations at work", *(f"{key:26}{t[key]}" for key in FIELDS)]
    for section, title in (
        ("by_year", "By year"),
        ("by_township", "By township"),
        ("by_station", "By station"),
        ("by_deputy", "By deputy"),
    ):
        rows = stations[section]
        out += ["", title]
        out += table(["name", *FIELDS], [[row_name(section, r, tr), *(r[k] for k in FIELDS)] for r in rows])
    for what in ("deputies", "stations"):
        listed = stations.get(what)
        if listed and listed["shown"] < listed["of"]:
            out.append(
                f"({what}: the busiest {listed['shown']} of {listed['of']}; --deputies all lists every one)"
            )
    return out

"""Statistics for congress reports: pure queries and computations (no Telegram), plus text renderers.

Definitions (they are what the report prints, so they are spelled out here once):

- **Period.** `start`/`end` are local calendar days (inclusive) in the congress's zone (settings
  `TIMEZONE`, default Asia/Shanghai). The period selects opinions by the moment they were *received*
  (`created_at`); every other figure describes that cohort as it stands now. Either bound may be open.
- **received**: opinions created in the period. **handled**: those now `answered` or `closed`.
- **accepted on time**: `accepted_at` at or before `accept_deadline` (the current holder accepted within
  the window running when they got it); denominator **accepted** = opinions with `accepted_at`.
- **answered on time**: `answered_at` (the latest answer) at or before `answer_deadline`; denominator
  **answered** = opinions with `answered_at`. At the deadline itself counts as on time, as in
  `sla.colour` where overdue means strictly after. An opinion without the deadline is never on time.
- **satisfied / basic**: opinions now closed with that verdict. **auto_closed**: closed by the SLA sweep
  without a verdict (`closing_action` auto_close). **dissatisfied**: opinions the sender reopened at least
  once (`confirm_dissatisfied`, counted on the row as `reopen_count`); **reopened**: the number of such
  reopenings (one opinion may count twice).
- **resolved** (problems resolved): closed satisfied or basically satisfied.
- **rejected / duplicate**: opinions now in those states.
- **Durations** in hours from `created_at`: to accept = the first accept (`first_accepted_at`, recorded
  at the transition; else `accepted_at`), to first answer = the first answer (`first_answered_at`; else
  `answered_at`), to close = `closed_at` of opinions now closed. Median and p90 use the nearest-rank
  method: sort the n values and take the value at rank ceil(p/100 * n) (1-based); so the median of an
  even count is the lower of the two middle values.
- **Where they are counted**: every opinion figure in SQL over the `opinion` table alone
  (storage/repos/opinion_figures.py: one GROUP BY per breakdown, conditional counts, the percentiles in
  SQL), never the timeline: the milestones above are kept on the row when they happen
  (bot/opinions/milestones.py); tests/test_stats_sql.py holds them to the timeline-based definitions.
  Reports say p90 as what it means to an office clerk: "90% within N h" (nine in ten took at most that).
- **Categories** are stored as codes (`urban_construction`) and always shown by their label in the
  reader's language (`category_name`; the CLI table in English); JSON keeps the codes.
- **By deputy** means the current holder (NULL = the staff triage queue); **by station** the station the
  opinion was sent to; **by month** the local month of receipt. Deputies and stations are listed the
  busiest first (opinions collected through the bot and on paper, then receptions), `--deputies N`
  (default 10; `all`: every one, as `--xlsx` and the console's pages have them); `listed` says how many
  of how many. **By area** (`by_area`, bot/stats/areas.py): per top-level home and the homes right
  beneath it (a province: prefecture → county), received, handled, resolved and on time.
- **duty_days** (duty visits, 进站履职): distinct days in the period on which the deputy on the duty roster
  (`duty`) checked in at the station (the ✅ Check in button, bot/duty) — check-ins, not roster days: a
  rostered day nobody checked in on is no visit. Per deputy and per station; the total is the sum over
  deputies.
- **receptions** / **people_received** / **opinions_paper**: receptions in the reception diary
  (`reception`, bot/receptions/figures.py) whose local day is in the period, deleted ones left out: how many,
  the people received, and the opinions collected on paper there; per deputy who received and per
  station where. They are derived from the visitors registered (a reception is an entry with at least one
  visitor); entries from before registration keep their typed counts (the only ones with paper counts).
- **home_visits** (走访, with at least one visitor; their visitors are among people_received),
  **matters_registered** (what visitors raised at receptions and home visits), of which
  **resolved_at_reception** (answered on the spot) and **matters_routed** (sent on as opinions, which
  are also among the opinions received).
- **opinions collected** are shown as two figures, never added up: **opinions_bot**, opinions sent through
  the bot (= `received` of the row: by current holder / by the station sent to) and **opinions_paper**.
- **problems resolved** per deputy and station is `resolved` of the row.
- **stations** (the stations at work, `--json` as `stations`, the 🏠 Stations view in chat, the console's
  "Stations at work" tables): duty visits (check-ins), visitors, receptions, home visits, matters
  registered / resolved at reception / sent as opinions, opinions collected (from receptions, direct) and
  resolved, and **problems resolved** (推动办理各类问题) = matters resolved at reception + opinions closed
  satisfied or basically satisfied — in all, per year, township, station and deputy (the busiest
  `--deputies N`, default 10, or `all`), counted in SQL; definitions in bot/stats/stations.py.
- **suggestions**: deputies' suggestions *filed* in the same local days, with their own definitions in
  bot/suggestions/figures.py (A-share, on-time rate, satisfaction, 三见面; by series, unit, committee);
  /stats adds them after the opinions, the console below them, `--json` as `suggestions`.
  `--suggestions-report YEAR` prints or writes (`--xlsx`) the yearly report (bot/suggestions/report.py).
"""

from __future__ import annotations

import argparse
import asyncio
import calendar
import html
import json
import sys
import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.i18n import N_, Translator, translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.opinions.drafts import CATEGORIES
from bot.opinions.lifecycle import Action
from bot.people.roles import is_staff
from bot.receptions.figures import Figures, figures
from bot.stats.areas import AREA_FIELDS, area_rows
from bot.stats.station_texts import table_lines as station_table_lines
from bot.stats.stations import TOP_DEPUTIES, station_figures
from bot.suggestions.figures import suggestion_figures
from bot.suggestions.figures_views import chat_section, table_lines
from bot.suggestions.report import to_xlsx, year_report
from storage.models import Person
from storage.models.core import StationKind
from storage.models.opinions import OpinionState, Satisfaction
from storage.repos.duty import DutyRepo
from storage.repos.opinion_figures import (
    COUNT_FIELDS,
    DURATIONS,
    Counting,
    Grouping,
    OpinionFigureRow,
    OpinionFiguresRepo,
)
from storage.repos.suggestion_figures import SuggestionFiguresRepo
from storage.unit_of_work import UnitOfWork

__all__ = [
    "BUCKET_FIELDS",
    "add_stats_command",
    "compute_stats",
    "main_stats",
    "may_view",
    "nearest_rank",
    "parse_day",
    "parse_period",
    "period_bounds",
    "render_chat",
    "render_json",
    "render_table",
    "viewed",
]

# The opinion figures, counted in SQL (storage/repos/opinion_figures.py) and defined above.
BUCKET_FIELDS = COUNT_FIELDS
ACTIVITY_FIELDS = ("duty_days", "receptions", "people_received", "opinions_bot", "opinions_paper")
# What the reception diary registers (bot/receptions/figures.py), after the fields above.
DIARY_FIELDS = ("home_visits", "matters_registered", "resolved_at_reception", "matters_routed")
OPINIONS_NOTE = (
    "opinions collected: opinions_bot = sent through the bot (received), "
    "opinions_paper = collected on paper at receptions; shown apart, never added"
)


def nearest_rank(values: Sequence[float], percent: int) -> float | None:
    """The nearest-rank percentile: the value at 1-based rank ceil(percent/100 * n) of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))
    return ordered[rank - 1]


def _empty() -> dict[str, int]:
    return dict.fromkeys(BUCKET_FIELDS, 0)


def period_bounds(
    start: date | None, end: date | None, zone: ZoneInfo
) -> tuple[datetime | None, datetime | None]:
    """UTC [lo, hi) of the local days start..end inclusive (None for an open bound)."""
    lo = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC) if start else None
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC) if end else None
    return lo, hi


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


async def _duty_days(
    session: AsyncSession, start: date | None, end: date | None
) -> tuple[dict[int, int], dict[int, int]]:
    """Distinct checked-in duty days (duty visits) per deputy and per station in the period."""
    return await DutyRepo(session).checked_in_days(start, end)


def _activity(row: dict[str, Any], duty: dict[int, int], seen: dict[int, Figures]) -> None:
    """A deputy's or station's work besides the opinions: duty days, receptions, both opinion counts."""
    got = seen.get(row["key"], Figures())
    row.update(
        duty_days=duty.get(row["key"], 0),
        receptions=got.receptions,
        people_received=got.people,
        opinions_bot=row["received"],
        opinions_paper=got.paper,
        **diary_figures(got),
    )


def diary_figures(got: Figures) -> dict[str, int]:
    """The reception diary's registrations: home visits, matters and what became of them."""
    return dict(zip(DIARY_FIELDS, (got.home_visits, got.matters, got.resolved, got.routed), strict=True))


COUNTING = Counting(
    handled_states=(OpinionState.ANSWERED.value, OpinionState.CLOSED.value),
    closed_state=OpinionState.CLOSED.value,
    auto_close_action=Action.AUTO_CLOSE.value,
    satisfied=Satisfaction.SATISFIED.value,
    basic=Satisfaction.BASIC.value,
    rejected_state=OpinionState.REJECTED.value,
    duplicate_state=OpinionState.DUPLICATE.value,
)


def local_months(first: datetime, last: datetime, zone: ZoneInfo) -> list[tuple[str, datetime, datetime]]:
    """Each local month from `first`'s to `last`'s as ("YYYY-MM", UTC start, UTC end): [start, end)."""
    year, month = first.astimezone(zone).year, first.astimezone(zone).month
    end = last.astimezone(zone)
    out = []
    while (year, month) <= (end.year, end.month):
        following = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append(
            (
                f"{year:04d}-{month:02d}",
                datetime(year, month, 1, tzinfo=zone).astimezone(UTC),
                datetime(*following, 1, tzinfo=zone).astimezone(UTC),
            )
        )
        year, month = following
    return out


def _summary_of(count: int, median: timedelta | None, p90: timedelta | None) -> dict[str, Any]:
    def hours(value: timedelta | None) -> float | None:
        return None if value is None else round(value.total_seconds() / 3600, 2)

    return {"count": count, "median_h": hours(median), "p90_h": hours(p90)}


def _figure_rows(
    rows: list[OpinionFigureRow], names: dict[Any, str] | None = None
) -> dict[Any, dict[str, Any]]:
    """Rows by key, each {key, name, counts…}: the name joined, else from `names`, else the key."""
    names = names or {}
    return {
        r.key: {
            "key": r.key,
            "name": r.name if r.name is not None else names.get(r.key, "" if r.key is None else str(r.key)),
            **r.counts,
        }
        for r in rows
    }


def _ranked(rows: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    """Most opinions received first; then by key (None last)."""
    return sorted(rows.values(), key=lambda r: (-r["received"], r["key"] is None, str(r["key"])))


def _top(rows: list[dict[str, Any]], count: int | None) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The busiest `count` rows (None: all) and how many of how many are listed."""
    shown = rows if count is None else _busiest(rows)[: max(0, count)]
    if count is not None:  # listed in the report's order, as every one is
        keep = {id(r) for r in shown}
        shown = [r for r in rows if id(r) in keep]
    return shown, {"shown": len(shown), "of": len(rows)}


async def compute_stats(
    session: AsyncSession,
    start: date | None,
    end: date | None,
    zone: ZoneInfo | str,
    *,
    top_deputies: int | None = TOP_DEPUTIES,
) -> dict[str, Any]:
    """Every figure of the report as a JSON-ready dict (see the module docstring for the definitions);
    `top_deputies` is how many deputies and stations the tables list, the busiest first (None: all) —
    `listed` says how many of how many."""
    tz = _zone(zone)
    if start is not None and end is not None and start > end:
        raise ValueError("the period starts after it ends")
    lo, hi = period_bounds(start, end, tz)
    repo = OpinionFiguresRepo(session)
    await repo.report_memory()
    first, last = await repo.span(lo, hi)
    months = local_months(first, last, tz) if first is not None and last is not None else []
    found = await repo.breakdowns(COUNTING, lo, hi, months=months)
    by_category = _figure_rows(found[Grouping.CATEGORY])
    # Every opinion has a category: the totals are the sum of its rows.
    totals = {f: sum(r[f] for r in by_category.values()) for f in BUCKET_FIELDS}
    by_month = sorted(_figure_rows(found[Grouping.MONTH]).values(), key=lambda r: r["key"])
    tree = await repo.stations(StationKind.HOME.value)
    station_names: dict[Any, str] = {n.id: n.name for n in tree}
    by_station = _figure_rows(found[Grouping.STATION], station_names)
    by_deputy = _figure_rows(found[Grouping.DEPUTY])
    durations = await repo.durations(COUNTING, lo, hi)

    duty_by_deputy, duty_by_station = await _duty_days(session, start, end)
    seen_by_deputy, seen_by_station, seen_total = await figures(session, start, end)
    at_work = {*duty_by_deputy, *seen_by_deputy} - set(by_deputy)
    deputy_names = await repo.deputy_names_at_work(start, end) if at_work else {}
    for deputy_id in sorted(at_work):
        by_deputy[deputy_id] = {
            "key": deputy_id,
            "name": deputy_names.get(deputy_id, str(deputy_id)),
            **_empty(),
        }
    for station_id in sorted({*duty_by_station, *seen_by_station} - set(by_station)):
        by_station[station_id] = {
            "key": station_id,
            "name": station_names.get(station_id, str(station_id)),
            **_empty(),
        }

    deputies = _ranked(by_deputy)
    for row in deputies:
        _activity(row, duty_by_deputy, seen_by_deputy)
    stations = _ranked(by_station)
    for row in stations:
        _activity(row, duty_by_station, seen_by_station)
    shown_deputies, deputies_listed = _top(deputies, top_deputies)
    shown_stations, stations_listed = _top(stations, top_deputies)
    totals_out: dict[str, Any] = {
        **totals,
        "duty_days": sum(duty_by_deputy.values()),
        "receptions": seen_total.receptions,
        "people_received": seen_total.people,
        "opinions_paper": seen_total.paper,
        **diary_figures(seen_total),
    }
    return {
        "period": {
            "from": start.isoformat() if start else None,
            "to": end.isoformat() if end else None,
            "zone": tz.key,
        },
        "totals": totals_out,
        "durations": {k: _summary_of(*durations[k]) for k in DURATIONS},
        "by_category": _ranked(by_category),
        "by_station": shown_stations,
        "by_deputy": shown_deputies,
        "listed": {"by_station": stations_listed, "by_deputy": deputies_listed},
        "by_month": by_month,
        # Per top-level home and the homes beneath (a province: prefecture → county), bot/stats/areas.py.
        "by_area": area_rows(tree, by_station),
        # The stations' work: duty visits, visitors, matters, problems resolved (bot/stats/stations.py).
        "stations": await station_figures(session, start, end, lo, hi, tz, deputies=top_deputies),
        # Deputies' suggestions filed in the same local days (bot/suggestions/figures.py).
        "suggestions": await suggestion_figures(SuggestionFiguresRepo(session), lo, hi),
        "notes": [OPINIONS_NOTE],
    }


# -- renderers ------------------------------------------------------------------------------------


def render_json(stats: dict[str, Any]) -> str:
    return json.dumps(stats, ensure_ascii=False, indent=2, sort_keys=False)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def _h(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _width(text: str) -> int:
    """Terminal columns: CJK (wide) characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[str(c) for c in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def render_table(stats: dict[str, Any], tr: Translator | None = None) -> str:
    """A plain-text report for the terminal (operators' tool, English; category codes shown by their
    label in `tr`'s language, English by default)."""
    tr = tr or translator("en")
    p, t, d = stats["period"], stats["totals"], stats["durations"]
    out = [f"Statistics {p['from'] or '…'} – {p['to'] or '…'} ({p['zone']})", ""]
    out += [
        f"received          {t['received']}",
        f"handled           {t['handled']} ({_pct(t['handled'], t['received'])})",
        f"accepted on time  {t['accepted_on_time']}/{t['accepted']} ({_pct(t['accepted_on_time'], t['accepted'])})",
        f"answered on time  {t['answered_on_time']}/{t['answered']} ({_pct(t['answered_on_time'], t['answered'])})",
        f"closed            satisfied {t['satisfied']}, basic {t['basic']}, auto {t['auto_closed']}",
        f"dissatisfied      {t['dissatisfied']} (reopenings: {t['reopened']})",
        f"rejected          {t['rejected']}, duplicate {t['duplicate']}",
        f"duty days         {t['duty_days']}",
        f"receptions        {t['receptions']} (people {t['people_received']}, "
        f"opinions on paper {t['opinions_paper']})",
        f"home visits       {t['home_visits']}",
        f"matters           {t['matters_registered']} (resolved at reception {t['resolved_at_reception']}, "
        f"sent as opinions {t['matters_routed']})",
        "",
    ]
    out += _table(
        ["hours", "count", "median", "90% within"],
        [[k, v["count"], _h(v["median_h"]), _h(v["p90_h"])] for k, v in d.items()],
    )
    cols = ["received", "handled", "answered_on_time", "satisfied", "basic", "dissatisfied", "reopened"]
    for title, key, extra in (
        ("By category", "by_category", []),
        ("By station", "by_station", ["resolved", *ACTIVITY_FIELDS, *DIARY_FIELDS]),
        ("By deputy", "by_deputy", ["resolved", *ACTIVITY_FIELDS, *DIARY_FIELDS]),
        ("By month", "by_month", []),
    ):
        listed = stats.get("listed", {}).get(key)
        cut = listed is not None and listed["shown"] < listed["of"]
        out += [
            "",
            f"{title} (the busiest {listed['shown']} of {listed['of']}; --deputies all lists every one)"
            if cut
            else title,
        ]
        heads = ["name", *cols, *extra]
        rows = [[_row_name(key, r, tr), *(r[c] for c in cols + extra)] for r in stats[key]]
        out += _table(heads, rows)
    if "by_area" in stats:
        out += ["", "By area (each top-level home, then the homes beneath it)"]
        out += _table(
            ["name", "code", "level", *AREA_FIELDS],
            [
                [
                    r["name"] if r["level"] == 1 else f"  {r['name']}",
                    r["code"],
                    r["level"],
                    *(r[f] for f in AREA_FIELDS),
                ]
                for r in stats["by_area"]["rows"]
            ],
        )
    if "stations" in stats:
        out += ["", *station_table_lines(stats["stations"], tr, _table)]
    suggestions = stats.get("suggestions")
    if suggestions and suggestions["totals"]["filed"]:
        out += ["", *table_lines(suggestions, tr, _table)]
    notes = [
        *stats["notes"],
        TABLE_DURATIONS_NOTE,
        *stats.get("stations", {}).get("notes", []),
        *(suggestions or {}).get("notes", []),
    ]
    out += ["", *(f"note: {n}" for n in notes)]
    return "\n".join(out) + "\n"


def _row_name(section: str, row: dict[str, Any], tr: Translator) -> str:
    """A table row's name: a category by its label; others by name, else key, else "-"."""
    if section == "by_category":
        return category_name(tr, row["key"])
    return str(row["name"] or ("-" if row["key"] is None else row["key"]))


def esc(text: object) -> str:
    """HTML-escape like bot.runtime.replies.esc (kept here so this module needs no Telegram import)."""
    return html.escape(str(text), quote=False)


def category_name(tr: Translator, code: str | None) -> str:
    """A category code's label in the reader's language (plain text); an unknown code as it is stored."""
    return tr(CATEGORIES[code]) if code in CATEGORIES else (code or "-")


def _duration(summary: dict[str, Any], tr: Translator) -> str:
    """ "median 2.5 h, 90% within 30 h": p90 said as what it means for an office clerk."""
    if not summary["count"]:
        return tr("none yet")
    return tr(
        "median {median} h, 90% within {p90} h", median=_h(summary["median_h"]), p90=_h(summary["p90_h"])
    )


AUDIT_REFUSED = "stats.refused"
UNASSIGNED = N_("staff queue")
FIGURE = N_("{what}: {figure}")
DURATION_NAMES = (
    ("to_accept", N_("Time to accept")),
    ("to_first_answer", N_("Time to first answer")),
    ("to_close", N_("Time to close")),
)
DURATIONS_NOTE = N_(
    "Median: half of the opinions took at most this long. 90% within: nine in ten took at most this long."
)
TABLE_DURATIONS_NOTE = (
    "hours from receipt; median = half took at most this long; "
    "90% within = nine in ten took at most this long (p90, nearest rank)"
)
NO_STATION = N_("no station")


def period_title(stats: dict[str, Any], tr: Translator) -> str:
    """ "Statistics 2026-03-01 – 2026-03-31" or "Statistics, all time" (plain text)."""
    p = stats["period"]
    if p["from"] or p["to"]:
        return tr("Statistics {start} – {end}", start=p["from"] or "…", end=p["to"] or "…")
    return tr("Statistics, all time")


def render_chat(stats: dict[str, Any], tr: Translator, *, top: int = 5) -> str:
    """A concise summary for /stats in the reader's language (HTML; names escaped)."""
    t, d = stats["totals"], stats["durations"]
    lines = [
        f"<b>{esc(period_title(stats, tr))}</b>",
        tr("Received: {n}", n=t["received"]),
        tr("Handled: {n} ({pct})", n=t["handled"], pct=_pct(t["handled"], t["received"])),
        tr("Accepted on time: {n} of {total}", n=t["accepted_on_time"], total=t["accepted"]),
        tr("Answered on time: {n} of {total}", n=t["answered_on_time"], total=t["answered"]),
        tr(
            "Closed: satisfied {satisfied}, basically satisfied {basic}, without a verdict {auto}",
            satisfied=t["satisfied"],
            basic=t["basic"],
            auto=t["auto_closed"],
        ),
        tr("Dissatisfied: {n}; reopenings: {times}", n=t["dissatisfied"], times=t["reopened"]),
        *(tr(FIGURE, what=tr(name), figure=_duration(d[key], tr)) for key, name in DURATION_NAMES),
        f"<i>{esc(tr(DURATIONS_NOTE))}</i>",
        tr("Duty days: {n}", n=t["duty_days"]),
        tr(
            "Receptions: {n}, people received {people}, opinions collected on paper {paper}",
            n=t["receptions"],
            people=t["people_received"],
            paper=t["opinions_paper"],
        ),
        tr(
            "Home visits: {home}; matters registered {matters}: resolved at reception {resolved}, "
            "sent as opinions {routed}",
            home=t["home_visits"],
            matters=t["matters_registered"],
            resolved=t["resolved_at_reception"],
            routed=t["matters_routed"],
        ),
    ]
    rows = [r for r in stats["by_category"] if r["received"]][:top]
    if rows:
        title = tr("By category:")
        lines += ["", f"<b>{esc(title)}</b>"]
        for r in rows:
            lines.append(
                tr(
                    "{name}: received {received}, resolved {resolved}",
                    name=esc(category_name(tr, r["key"])),
                    received=r["received"],
                    resolved=r["resolved"],
                )
            )
    for title, key, fallback in (
        (tr("By station:"), "by_station", NO_STATION),
        (tr("By deputy:"), "by_deputy", UNASSIGNED),
    ):
        rows = _busiest(stats[key])[:top]
        if not rows:
            continue
        lines += ["", f"<b>{esc(title)}</b>"]
        every = stats.get("listed", {}).get(key, {}).get("of", len(stats[key]))
        if every > len(rows):
            busiest = tr("the busiest {shown} of {total}", shown=len(rows), total=every)
            lines.append(f"<i>{esc(busiest)}</i>")
        for r in rows:
            lines.append(
                tr(
                    "{name}: opinions via the bot {bot}, on paper {paper}, resolved {resolved}; "
                    "duty days {duty}, receptions {receptions} ({people} people)",
                    name=esc(r["name"] or tr(fallback)),
                    bot=r["opinions_bot"],
                    paper=r["opinions_paper"],
                    resolved=r["resolved"],
                    duty=r["duty_days"],
                    receptions=r["receptions"],
                    people=r["people_received"],
                )
            )
    return _with_suggestions("\n".join(lines), stats, tr, top)


def _with_suggestions(text: str, stats: dict[str, Any], tr: Translator, top: int) -> str:
    """The opinions' summary followed by the suggestions' section, with as many units and committees as
    one message holds (Telegram's 4,096 UTF-16 units, counted as it shows them)."""
    suggestions = stats.get("suggestions")
    if not suggestions or not suggestions["totals"]["filed"]:
        return text
    for shown_top in range(top, -1, -1):
        full = f"{text}\n\n{chat_section(suggestions, tr, top=shown_top)}"
        if visible_len(full) <= MESSAGE_LIMIT:
            return full
    return text


def _busiest(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with any activity, most opinions collected (bot and paper) first, then most receptions."""
    active = [r for r in rows if r["received"] or r["receptions"] or r["duty_days"] or r["opinions_paper"]]
    return sorted(
        active,
        key=lambda r: (
            -(r["received"] + r["opinions_paper"]),
            -r["receptions"],
            r["key"] is None,
            str(r["key"]),
        ),
    )


# -- command line ---------------------------------------------------------------------------------


def parse_period(args: Sequence[str]) -> tuple[date | None, date | None]:
    """`/stats` arguments: `[]` all time, `[YYYY-MM]` one month, `[D]` from D on, `[D1, D2]` D1..D2
    (local days, inclusive); ValueError otherwise."""
    if not args:
        return None, None
    if len(args) == 1 and len(args[0]) == 7:
        year, month = (int(x) for x in args[0].split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if len(args) > 2:
        raise ValueError("too many arguments")
    start = date.fromisoformat(args[0])
    end = date.fromisoformat(args[1]) if len(args) == 2 else None
    if end is not None and start > end:
        raise ValueError("start after end")
    return start, end


async def may_view(uow: UnitOfWork, person: Person, *, telegram_id: int | None, **detail: object) -> bool:
    """Whether the person may see the figures in chat (staff only); a refusal is audited (with
    `detail`, e.g. the button pressed)."""
    if is_staff(person):
        return True
    await uow.audit.record(
        AUDIT_REFUSED, actor_telegram_id=telegram_id, actor_person_id=person.id, allowed=False, **detail
    )
    return False


async def viewed(
    uow: UnitOfWork,
    person: Person,
    start: date | None,
    end: date | None,
    zone: ZoneInfo | str,
    *,
    telegram_id: int | None,
) -> dict[str, Any]:
    """The figures for a staff member who asked in chat (see `may_view`), audited as seen."""
    stats = await compute_stats(uow.session, start, end, zone)
    await uow.audit.record(
        "stats.viewed",
        actor_telegram_id=telegram_id,
        actor_person_id=person.id,
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
    )
    return stats


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parse_deputies(text: str) -> int | None:
    """`--deputies`: a count of deputies to list, or `all` (None)."""
    if text.strip().lower() == "all":
        return None
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number or 'all': {text!r}") from None
    if count < 0:
        raise argparse.ArgumentTypeError("--deputies takes a count of 0 or more, or 'all'")
    return count


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", type=parse_day, help="first local day YYYY-MM-DD (inclusive)")
    parser.add_argument("--to", dest="end", type=parse_day, help="last local day YYYY-MM-DD (inclusive)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument(
        "--deputies",
        type=parse_deputies,
        default=TOP_DEPUTIES,
        metavar="N|all",
        help=f"deputies and stations listed, busiest first (default {TOP_DEPUTIES}; all: every one)",
    )
    parser.add_argument("--database", help="database URL for this command (overrides DATABASE_URL)")
    report = parser.add_argument_group("the yearly report of suggestions")
    report.add_argument(
        "--suggestions-report",
        dest="suggestions_report",
        type=int,
        metavar="YEAR",
        help="the year's suggestions by lead unit and by supervising committee (numbers S-YEAR-…)",
    )
    report.add_argument("--unit", help="one lead unit's report (its code)")
    report.add_argument("--committee", help="one supervising committee's report (its code)")
    report.add_argument(
        "--xlsx",
        metavar="PATH",
        help="write the report as an XLSX workbook (without --suggestions-report: the statistics, every "
        "deputy and station)",
    )
    report.add_argument(
        "--lang",
        choices=["zh_Hans", "en"],
        help="the report's language (default: DEFAULT_LOCALE for --xlsx, else English)",
    )


async def _report(args: argparse.Namespace) -> int:
    from bot.runtime.database_line import command_settings
    from storage.db import create_engine, create_sessionmaker

    settings = command_settings(getattr(args, "database", None))  # says which database, on stderr
    engine = create_engine(settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            if args.suggestions_report is not None:
                # The workbook in the office's language; the terminal in English, as `liaison stats` is.
                tr = translator(args.lang or (settings.default_locale if args.xlsx else "en"))
                return await _suggestions_report(args, SuggestionFiguresRepo(session), tr, settings.zone)
            # The workbook has every deputy and station; the terminal and JSON the busiest --deputies.
            top = None if args.xlsx else args.deputies
            stats = await compute_stats(session, args.start, args.end, settings.timezone, top_deputies=top)
    finally:
        await engine.dispose()
    if args.xlsx:
        return await _stats_workbook(stats, args.xlsx, translator(args.lang or settings.default_locale))
    sys.stdout.write(render_json(stats) + "\n" if args.json else render_table(stats))
    return 0


async def _stats_workbook(stats: dict[str, Any], path: str, tr: Translator) -> int:
    """`liaison stats --xlsx PATH`: the report's tables as the console's statistics page downloads them."""
    from bot.kit.sheets import to_xlsx as sheets_to_xlsx
    from bot.stats.tables import report_tables

    tables = report_tables(tr, stats)
    await asyncio.to_thread(Path(path).write_bytes, sheets_to_xlsx(tables))
    listed = stats["listed"]
    print(
        f"{len(tables)} sheets written to {path}: {listed['by_deputy']['of']} deputies, "
        f"{listed['by_station']['of']} stations, {len(stats['by_area']['rows'])} areas"
    )
    return 0


async def _suggestions_report(
    args: argparse.Namespace, repo: SuggestionFiguresRepo, tr: Translator, zone: ZoneInfo
) -> int:
    """`liaison stats --suggestions-report YEAR [--unit CODE | --committee CODE] [--xlsx PATH | --json]`."""
    year = args.suggestions_report
    report = await year_report(repo, tr, year, zone, unit_code=args.unit, committee_code=args.committee)
    if report is None:
        print(f"liaison stats: no unit or committee {args.unit or args.committee!r}", file=sys.stderr)
        return 2
    if args.xlsx:
        body = to_xlsx(report)
        await asyncio.to_thread(Path(args.xlsx).write_bytes, body)
        rows = sum(len(t.rows) for t in report.tables)
        print(f"{report.title}: {len(report.tables)} sheets, {rows} rows written to {args.xlsx}")
    elif args.json:
        sys.stdout.write(render_json(report.figures) + "\n")
    else:
        lines = table_lines(report.figures, tr, _table, heading=report.title, sections=report.breakdowns)
        sys.stdout.write("\n".join(lines) + "\n")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        print("liaison stats: --from is after --to", file=sys.stderr)
        return 2
    if (args.unit or args.committee) and args.suggestions_report is None:
        print("liaison stats: --unit and --committee go with --suggestions-report YEAR", file=sys.stderr)
        return 2
    if args.lang and not args.xlsx and args.suggestions_report is None:
        print("liaison stats: --lang goes with --xlsx or --suggestions-report YEAR", file=sys.stderr)
        return 2
    if args.xlsx and args.json:
        print("liaison stats: give --xlsx or --json, not both", file=sys.stderr)
        return 2
    if args.unit and args.committee:
        print("liaison stats: give --unit or --committee, not both", file=sys.stderr)
        return 2
    if args.suggestions_report is not None:
        if args.start or args.end:
            print(
                "liaison stats: the yearly report is of a year's series: no --from or --to", file=sys.stderr
            )
            return 2
        if not 1000 <= args.suggestions_report <= 9999:
            print("liaison stats: --suggestions-report takes a year (YYYY)", file=sys.stderr)
            return 2
    return asyncio.run(_report(args))


def add_stats_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add `stats` to the `liaison` command's subparsers (bot/runtime/cli.py: `add_stats_command(sub)`)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "stats", help="figures for congress reports: received, handled, on time, satisfaction"
    )
    _arguments(parser)
    parser.set_defaults(func=cmd_stats)
    return parser


def main_stats(argv: Sequence[str] | None = None) -> int:
    """`liaison stats` on its own: `python -m bot.stats.service [--from D --to D] [--json]`."""
    parser = argparse.ArgumentParser(prog="liaison stats", description="Figures for congress reports.")
    _arguments(parser)
    return cmd_stats(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main_stats())

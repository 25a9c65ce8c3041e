"""The notice pages: every notice with its progress, and one notice's report with who it did not reach
(both exportable). Audiences are described by bot.broadcasts.service, which escapes their user part."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import datetime

from aiohttp import web
from markupsafe import Markup

from bot.console.export import Table
from bot.console.labels import BROADCAST_STATUS_LABELS, label
from bot.console.pages.base import (
    download,
    export_format,
    link,
    not_found,
    reads,
    services,
    staff_page,
    tr_of,
    when_of,
)
from bot.console.reads.base import Page, page_number, parse_id
from bot.console.reads.broadcasts import BroadcastReads, BroadcastRow
from bot.kit.i18n import N_, Translator

__all__ = ["broadcast", "broadcasts"]


NOTICE_COLUMNS = (
    N_("Number"),
    N_("Created"),
    N_("Scheduled for"),
    N_("Finished"),
    N_("Sent by"),
    N_("Audience"),
    N_("Status"),
    N_("Recipients"),
    N_("Sent"),
    N_("Blocked"),
    N_("Failed"),
    N_("Cancelled"),
    N_("Waiting"),
    N_("Text"),
)


def _broadcast_table(
    tr: Translator, rows: Sequence[BroadcastRow], when: Callable[[datetime | None], str]
) -> Table:
    return Table(
        tr("Notices"),
        [tr(c) for c in NOTICE_COLUMNS],
        [
            [
                r.id,
                when(r.created_at),
                when(r.scheduled_for) if r.scheduled_for else "",
                when(r.finished_at) if r.finished_at else "",
                r.sender or "",
                html.unescape(r.audience),
                label(tr, BROADCAST_STATUS_LABELS, r.status),
                r.total,
                r.sent,
                r.blocked,
                r.failed,
                r.cancelled,
                r.pending,
                r.text,
            ]
            for r in rows
        ],
    )


async def broadcasts(request: web.Request) -> web.Response:
    tr = tr_of(request)
    rows = await reads(request, BroadcastReads).broadcasts(tr)
    kind = export_format(request)
    if kind is not None:
        when = when_of(services(request).settings)
        return await download(request, "broadcasts", kind, [_broadcast_table(tr, rows, when)])
    size = 50
    paging = Page(page_number(request.query.get("page")), size, len(rows))
    shown = rows[paging.offset : paging.offset + size]
    return staff_page(
        request,
        "broadcasts.html",
        nav="broadcasts",
        rows=shown,
        audiences={r.id: Markup(r.audience) for r in shown},  # describe() escapes its user part
        paging=paging,
        prev_url=link("/broadcasts", {}, page=paging.number - 1),
        next_url=link("/broadcasts", {}, page=paging.number + 1),
        xlsx_url=link("/broadcasts", {}, format="xlsx"),
        csv_url=link("/broadcasts", {}, format="csv"),
    )


async def broadcast(request: web.Request) -> web.Response:
    tr = tr_of(request)
    broadcast_id = request.match_info["broadcast_id"]
    wanted = parse_id(broadcast_id)
    found = await reads(request, BroadcastReads).broadcast(wanted, tr) if wanted is not None else None
    if found is None:
        return not_found(request, tr, tr("This notice does not exist."))
    row, undelivered = found
    kind = export_format(request)
    if kind is not None:
        when = when_of(services(request).settings)
        tables = [
            _broadcast_table(tr, [row], when),
            Table(
                tr("Not delivered"),
                [tr("Telegram id"), tr("Name"), tr("Result"), tr("Error")],
                [
                    [
                        u.chat_id,
                        u.name or "",
                        tr("blocked") if u.status == "blocked" else tr("failed"),
                        u.error or "",
                    ]
                    for u in undelivered
                ],
            ),
        ]
        return await download(request, f"notice-{row.id}", kind, tables)
    return staff_page(
        request,
        "broadcast.html",
        nav="broadcasts",
        b=row,
        audience=Markup(row.audience),  # describe() escapes its user part
        undelivered=undelivered,
        xlsx_url=link(f"/broadcasts/{row.id}", {}, format="xlsx"),
        csv_url=link(f"/broadcasts/{row.id}", {}, format="csv"),
    )

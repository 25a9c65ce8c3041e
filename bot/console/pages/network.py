"""The network page: stations, deputies, contact links and handling units in four tabs, searchable, each exportable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from bot.console.export import Table
from bot.console.labels import CATEGORIES, KIND_LABELS, LEVEL_LABELS, TIER_LABELS, UNIT_KIND_LABELS, label
from bot.console.pages.base import download, export_format, link, off_loop, reads, staff_page, tr_of
from bot.console.reads.base import Page, clean_query, page_number
from bot.console.reads.network import NetworkReads
from bot.kit.i18n import N_, Translator

__all__ = ["network"]

NETWORK_TABS = ("stations", "deputies", "contacts", "units")
PAGE_SIZE = 100


DEPUTY_COLUMNS = (
    N_("Code"),
    N_("Name"),
    N_("Level"),
    N_("Stations"),
    N_("Fields"),
    N_("On Telegram"),
    N_("Open opinions"),
    N_("Contacted by"),
)


def _network_table(tr: Translator, tab: str, rows: Sequence[Any]) -> Table:
    if tab == "stations":
        return Table(
            tr("Stations"),
            [tr("Code"), tr("Name"), tr("Kind"), tr("Parent station"), tr("Deputies")],
            [[r.code, r.name, label(tr, KIND_LABELS, r.kind), r.parent or "", r.deputies] for r in rows],
        )
    if tab == "deputies":
        return Table(
            tr("Deputies"),
            [tr(c) for c in DEPUTY_COLUMNS],
            [
                [
                    r.code or "",
                    r.name,
                    label(tr, LEVEL_LABELS, r.level),
                    "; ".join(r.stations),
                    "; ".join(label(tr, CATEGORIES, c) for c in r.fields),
                    tr("yes") if r.linked else tr("no"),
                    r.load,
                    "; ".join(r.contacted_by),
                ]
                for r in rows
            ],
        )
    if tab == "units":
        return Table(
            tr("Units"),
            [tr("Code"), tr("Name"), tr("Kind"), tr("Categories"), tr("Parent unit"), tr("Officers")],
            [
                [
                    r.code,
                    r.name,
                    label(tr, UNIT_KIND_LABELS, r.kind),
                    "; ".join(label(tr, CATEGORIES, c) for c in r.categories),
                    r.parent or "",
                    "; ".join(r.officers),
                ]
                for r in rows
            ],
        )
    return Table(
        tr("Contacts"),
        [tr("Link"), tr("Contacting"), tr("Contacting code"), tr("Contacted"), tr("Contacted code")],
        [
            [label(tr, TIER_LABELS, r.tier), r.source, r.source_code or "", r.target, r.target_code or ""]
            for r in rows
        ],
    )


async def network(request: web.Request) -> web.Response:
    """One page of a tab (its rows and their count read in SQL), or the whole tab as a file (?format=,
    read and written on the report worker)."""
    tr = tr_of(request)
    tab = request.query.get("tab", "stations")
    if tab not in NETWORK_TABS:
        tab = "stations"
    q = clean_query(request.query.get("q"))
    kind = export_format(request)
    if kind is not None:
        rows = await off_loop(request, NetworkReads, lambda found: found.network_rows(tab, q))
        return await download(request, f"network-{tab}", kind, [_network_table(tr, tab, rows)])
    service = reads(request, NetworkReads)
    total = await service.network_count(tab, q)
    paging = Page(page_number(request.query.get("page")), PAGE_SIZE, total)
    paging = Page(min(paging.number, paging.pages), PAGE_SIZE, total)
    rows = await service.network_rows(tab, q, offset=paging.offset, limit=PAGE_SIZE)
    query = {"tab": tab, "q": q}
    return staff_page(
        request,
        "network.html",
        nav="network",
        tab=tab,
        tabs=NETWORK_TABS,
        q=q,
        rows=rows,
        paging=paging,
        tab_url=lambda t: link("/network", {"q": q}, tab=t),
        prev_url=link("/network", query, page=paging.number - 1),
        next_url=link("/network", query, page=paging.number + 1),
        xlsx_url=link("/network", query, format="xlsx"),
        csv_url=link("/network", query, format="csv"),
    )

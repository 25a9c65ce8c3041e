"""Deep links and QR codes: one per deputy (for the people they contact) and one per station poster,
as labelled PNG cards (`qr_cards`) and, on request, one PDF page per station (`station_sheets`).

These links are permanent and public (they only say whom a constituent writes to); one-time links
(invitations, console logins) are never made here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kit.csv_safe import safe_writer
from bot.people.binding import deputy_payload, station_payload
from bot.people.qr_cards import CjkFont, labelled_card
from bot.people.station_sheets import Entry, StationSheet
from storage.repos.network import NetworkRepo
from storage.repos.network_export import station_deputies
from storage.repos.people import PeopleRepo


@dataclass(frozen=True)
class Link:
    kind: str  # deputy | station
    code: str
    name: str
    url: str


def start_url(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


async def all_links(sessionmaker: async_sessionmaker[AsyncSession], bot_username: str) -> list[Link]:
    async with sessionmaker() as session:
        deputies = await PeopleRepo(session).deputy_codes()
        stations = await NetworkRepo(session).station_codes()
    links = [Link("deputy", c, n, start_url(bot_username, deputy_payload(c))) for c, n in deputies if c]
    links += [Link("station", c, n, start_url(bot_username, station_payload(c))) for c, n in stations]
    return links


async def station_sheets(
    sessionmaker: async_sessionmaker[AsyncSession], bot_username: str
) -> list[StationSheet]:
    """Every station by code with the deputies who belong to it (a deputy of two stations is on both)."""
    async with sessionmaker() as session:
        stations = await NetworkRepo(session).station_codes()
        members = await station_deputies(session)
    return [
        StationSheet(
            Entry(code, name, start_url(bot_username, station_payload(code))),
            [Entry(c, n, start_url(bot_username, deputy_payload(c))) for c, n in members.get(code, [])],
        )
        for code, name in stations
    ]


def card_file_name(link: Link) -> str:
    """`deputy-D0001.png`; a code may hold `/` or `\\` (the format allows them), which a file name may not."""
    return f"{link.kind}-{link.code}.png".replace("/", "_").replace("\\", "_")


def write_links(links: list[Link], out: Path, font: CjkFont | None = None) -> int:
    """A QR card PNG per link (`deputy-D0001.png`, `station-LS-001.png`) and `links.csv` listing them.

    Each card has the name and code printed under the code; without `font` (no CJK font on the
    machine) only the code, and names of Latin letters, are printed.
    """
    out.mkdir(parents=True, exist_ok=True)
    with (out / "links.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = safe_writer(fh)  # names come from the network file: no cell may become a formula
        writer.writerow(["kind", "code", "name", "url", "qr"])
        for link in links:
            name = card_file_name(link)
            card = labelled_card(link.url, link.name, link.code, font)
            card.save(out / name, optimize=True, dpi=(150, 150))  # prints 8 cm wide
            writer.writerow([link.kind, link.code, link.name, link.url, name])
    return len(links)

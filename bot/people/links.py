"""Deep links and QR codes: one per deputy (for the people they contact) and one per station poster."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import qrcode
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kit.csv_safe import safe_writer
from bot.people.binding import deputy_payload, station_payload
from storage.repos.network import NetworkRepo
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


def write_links(links: list[Link], out: Path) -> int:
    """A QR code PNG per link (`deputy-D0001.png`, `station-LS-001.png`) and `links.csv` listing them."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "links.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = safe_writer(fh)  # names come from the network file: no cell may become a formula
        writer.writerow(["kind", "code", "name", "url", "qr"])
        for link in links:
            name = f"{link.kind}-{link.code}.png"
            qrcode.make(link.url).save(out / name)
            writer.writerow([link.kind, link.code, link.name, link.url, name])
    return len(links)

"""Importing a network file: read (`sources`), check each row (`schema`), load the stored rows the
file names and check the whole (`checks`) before the first write; a refused file writes nothing.
The write itself is storage's (`storage.repos.network_writer`), in the same transaction.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network.checks import check_network
from bot.network.schema import NetworkFileError, Parsed, parse_sections
from bot.network.sources import DEFAULT_MAX_BYTES, read_sections
from storage.repos.network_bulk import Progress, analyze
from storage.repos.network_writer import ImportSummary, NetworkWriter, load_known
from storage.unit_of_work import UnitOfWork

__all__ = ["ImportSummary", "import_network"]


def _read(source: Path, max_bytes: int | None, progress: Progress | None) -> tuple[Parsed, list[str]]:
    """Read and check each row, a sheet's rows parsed as they are read (off the event loop)."""
    sections, reader_problems = read_sections(source, max_bytes)
    parsed, problems = parse_sections(sections, progress)
    if reader_problems:
        raise NetworkFileError(reader_problems)
    return parsed, problems


async def import_network(
    sessionmaker: async_sessionmaker[AsyncSession],
    source: Path,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    progress: Progress | None = None,
) -> ImportSummary:
    """Create or update the network from a file, in one transaction, by code.

    Args:
        sessionmaker: the process's session factory.
        source: a .yaml file, a folder of `<section>.csv` sheets or an .xlsx workbook.
        max_bytes: a larger file is refused before it is parsed (NETWORK_IMPORT_MAX_MB).

    Raises:
        NetworkFileError: with every problem found; nothing has been written.
    """
    parsed, problems = await asyncio.to_thread(_read, source, max_bytes, progress)
    summary = ImportSummary(source=source.name)
    async with UnitOfWork(sessionmaker) as uow:
        known = await load_known(uow.session, parsed, progress)
        more, edges = check_network(parsed, known)
        problems += more
        if problems:
            raise NetworkFileError(problems)
        await NetworkWriter(uow.session, parsed, known, summary, progress).write(edges)
        await uow.commit()
    if summary.changed:  # the planner's statistics of what was written (unchanged: nothing was)
        async with UnitOfWork(sessionmaker) as uow:
            await analyze(uow.session)
            await uow.commit()
    return summary

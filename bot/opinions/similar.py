"""'Join it instead?': find an open opinion at the same station and category that reads alike."""

from __future__ import annotations

import re
from collections.abc import Iterable

from storage.models import FINAL_STATES, Opinion
from storage.unit_of_work import UnitOfWork

THRESHOLD = 0.5
_WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str) -> set[str]:
    """Character bigrams of the words: works for Chinese (no spaces) and for English alike."""
    compact = "".join(_WORD.findall(text.lower()))
    if len(compact) < 2:
        return {compact} if compact else set()
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of bigram sets, 0..1."""
    return _jaccard(shingles(a), shingles(b))


def _jaccard(sa: set[str], sb: set[str]) -> float:
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def most_similar(text: str, candidates: Iterable[tuple[int, str]]) -> int | None:
    """The id of the candidate (id, text) most like `text` above THRESHOLD; the oldest on a tie."""
    mine = shingles(text)
    best: tuple[float, int] | None = None
    for opinion_id, other in candidates:
        score = _jaccard(mine, shingles(other))
        if score >= THRESHOLD and (best is None or (score, -opinion_id) > best):
            best = (score, -opinion_id)
    return -best[1] if best else None


async def find_similar(
    uow: UnitOfWork, station_id: int | None, category: str, text: str, exclude_sender: int
) -> Opinion | None:
    """An open opinion someone else sent at the same station and category that reads like `text`."""
    if station_id is None or not text.strip():
        return None
    # Ids and texts only: the one that matches (rarely any) is loaded whole afterwards.
    rows = await uow.opinions.open_texts_at(station_id, category, exclude_sender=exclude_sender)
    best = most_similar(text, ((opinion_id, other) for opinion_id, other in rows))
    return None if best is None else await uow.opinions.get(best)


async def joinable(
    uow: UnitOfWork,
    opinion_id: int | None,
    *,
    offered: int | None,
    person_id: int,
    station_id: int | None,
    category: str,
    text: str,
) -> Opinion | None:
    """The opinion a draft may join, or None: callback data is forgeable, so a join is accepted only
    for the id the bot itself offered in this draft, and only while that offer still holds (open, at
    the person's station, same category, someone else's, and still reading alike).

    Args:
        opinion_id: from the pressed button (untrusted).
        offered: the id the bot offered, kept in the draft's stored state.
    """
    if opinion_id is None or offered is None or opinion_id != offered or station_id is None:
        return None
    opinion = await uow.opinions.get(opinion_id)
    if (
        opinion is None
        or opinion.state in FINAL_STATES
        or opinion.station_id != station_id
        or opinion.category != category
        or opinion.sender_person_id == person_id
        or similarity(text, opinion.text) < THRESHOLD
    ):
        return None
    return opinion

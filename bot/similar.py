"""'Join it instead?': find an open opinion at the same station and category that reads alike."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select

from storage.models import FINAL_STATES, Opinion
from storage.repositories import UnitOfWork

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
    sa, sb = shingles(a), shingles(b)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


def most_similar(text: str, candidates: Sequence[Opinion]) -> Opinion | None:
    best: tuple[float, int, Opinion] | None = None
    for opinion in candidates:
        score = similarity(text, opinion.text)
        if score >= THRESHOLD and (best is None or (score, -opinion.id) > best[:2]):
            best = (score, -opinion.id, opinion)
    return best[2] if best else None


async def find_similar(
    uow: UnitOfWork, station_id: int | None, category: str, text: str, exclude_sender: int
) -> Opinion | None:
    """An open opinion someone else sent at the same station and category that reads like `text`."""
    if station_id is None or not text.strip():
        return None
    rows = await uow.session.scalars(
        select(Opinion)
        .where(
            Opinion.station_id == station_id,
            Opinion.category == category,
            Opinion.state.not_in([s.value for s in FINAL_STATES]),
            Opinion.sender_person_id != exclude_sender,
        )
        .order_by(Opinion.id.desc())
        .limit(200)
    )
    return most_similar(text, rows.all())

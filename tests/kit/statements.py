"""Counting the prebuilt statements `storage.fast` runs (they skip SQLAlchemy's cursor events)."""

from __future__ import annotations

import pytest

from storage import fast


def count_fast_statements(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The parameters of every statement storage.fast runs from now on, in order."""
    seen: list[object] = []
    real = fast.run

    async def counted(session, prepared, params):  # type: ignore[no-untyped-def]
        seen.append(params)
        return await real(session, prepared, params)

    monkeypatch.setattr(fast, "run", counted)
    return seen

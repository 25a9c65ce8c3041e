"""Rows that hold a one-time secret's hash (invitations, console logins and sessions): stored, found
by hash, spent once. Generic over the model: each has `id`, `token_hash` and `used_at` columns."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, update

from storage.repos.base import Repo

T = TypeVar("T")


class TokenRepo(Repo):
    async def add(self, row: T) -> T:
        """Store a new row and flush, so its id is known."""
        self.session.add(row)
        await self.session.flush()
        return row

    async def find(self, model: type[T], token_hash: str) -> T | None:
        return await self.session.scalar(
            select(model).where(model.token_hash == token_hash)  # type: ignore[attr-defined]
        )

    async def spend(self, model: type[Any], row_id: int, **values: Any) -> bool:
        """Set `values` on the row only if it is unused; True for the one caller that wins a race."""
        claimed = await self.session.execute(
            update(model)
            .where(model.id == row_id, model.used_at.is_(None))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(claimed.rowcount or 0) == 1  # type: ignore[attr-defined]

"""Migration 0019 fills `opinion.next_warning_at` for the opinions already there, by the sweep's own rule."""

from __future__ import annotations

import ast
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.opinions.sla import SlaPolicy, next_warning_at
from storage import migrate
from storage.db import create_engine

VERSIONS = Path(__file__).resolve().parents[2] / "storage" / "migrations" / "versions"


def _revisions() -> tuple[str, str]:
    """(down_revision, revision) of the migration that adds `next_warning_at`, whatever its number."""
    (path,) = VERSIONS.glob("*_opinion_warning.py")
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    found[target.id] = str(node.value.value)
    return found["down_revision"], found["revision"]


T0 = datetime(2026, 3, 2, 2, 0, 0, 123456, tzinfo=UTC)
WHEN = sa.DateTime(timezone=True)
person = sa.table(
    "person", sa.column("id", sa.Integer()), sa.column("name", sa.String()), sa.column("created_at", WHEN)
)
opinion = sa.table(
    "opinion",
    sa.column("id", sa.Integer()),
    sa.column("tracking_no", sa.String()),
    sa.column("sender_person_id", sa.Integer()),
    sa.column("category", sa.String()),
    sa.column("text", sa.Text()),
    sa.column("anonymous", sa.Boolean()),
    sa.column("public", sa.Boolean()),
    sa.column("state", sa.String()),
    sa.column("created_at", WHEN),
    sa.column("accept_deadline", WHEN),
    sa.column("answer_deadline", WHEN),
    sa.column("last_warning", sa.String()),
)
STATES = ["submitted", "routed", "transferred", "accepted", "awaiting_info", "reopened", "answered",
          "escalated", "closed"]  # fmt: skip
WARNINGS = [None, "yellow:0", "red:1", "red:2"]


def _rows() -> list[dict[str, object]]:
    rows = []
    cases = itertools.product(
        STATES, WARNINGS, [None, T0 + timedelta(hours=24)], [None, T0 + timedelta(days=7)]
    )
    for n, (state, warning, accept, answer) in enumerate(cases, start=1):
        rows.append(
            {"id": n, "tracking_no": f"T-{n}", "sender_person_id": 1, "category": "water", "text": "t",
             "anonymous": False, "public": False, "state": state, "created_at": T0, "accept_deadline": accept,
             "answer_deadline": answer, "last_warning": warning}
        )  # fmt: skip
    return rows


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def test_existing_opinions_get_their_next_look(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        before, mine = _revisions()
        await migrate.upgrade(engine, before)
        rows = _rows()
        async with engine.begin() as conn:
            await conn.execute(sa.insert(person), [{"id": 1, "name": "sender", "created_at": T0}])
            await conn.execute(sa.insert(opinion), rows)
        await migrate.upgrade(engine, mine)
        async with engine.connect() as conn:
            armed = sa.table("opinion", sa.column("id", sa.Integer()), sa.column("next_warning_at", WHEN))
            stored = dict((await conn.execute(sa.select(armed.c.id, armed.c.next_warning_at))).all())
        expected = {
            r["id"]: next_warning_at(
                SlaPolicy(),
                r["state"],
                r["accept_deadline"],
                r["answer_deadline"],
                "water",
                r["last_warning"],
            )
            for r in rows
        }
        assert {k: _utc(v) for k, v in stored.items()} == expected
        assert sum(v is not None for v in expected.values()) > 20  # the rule is exercised, not just None
    finally:
        await engine.dispose()

"""opinions' milestones on the row: first accept, first answer, reopenings and the closing action

The statistics read them from `opinion` alone instead of hashing every opinion's timeline (4.2 million
events at province size, issue #25). Existing rows are filled here from `opinion_event`, set-based on both
backends: the first `accept` and `answer` (else `accepted_at` / `answered_at`, as the statistics fell back
to for an opinion without those events), the number of `confirm_dissatisfied`, and the latest of the
actions that end an opinion. The indexes the statistics' period and the deletes need came with 0019.

Revision ID: 0023 (after 0022_points)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# The lifecycle's actions as of this revision (bot/opinions/lifecycle.py), frozen here.
_CLOSING = ("confirm_satisfied", "confirm_basic", "auto_close", "reject", "mark_duplicate")
_FINAL = ("closed", "rejected", "duplicate")


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


# One pass over the timeline grouped by opinion (UPDATE … FROM: PostgreSQL, and SQLite since 3.33); only the
# opinions with a milestone are written (a province: 1M opinions, 4M events). PostgreSQL takes the closing
# action in the same pass; SQLite (a prefecture's tens of thousands) looks it up per ended opinion after.
_LATEST_CLOSING = f"""(array_agg(action ORDER BY at DESC, id DESC)
            FILTER (WHERE action IN ({_quoted(_CLOSING)})))[1]"""


def _from_events(postgresql: bool) -> str:
    closing = _LATEST_CLOSING if postgresql else "NULL"
    return f"""
UPDATE opinion SET
    first_accepted_at = COALESCE(m.accepted, opinion.accepted_at),
    first_answered_at = COALESCE(m.answered, opinion.answered_at),
    reopen_count = m.reopened,
    closing_action = CASE WHEN opinion.state IN ({_quoted(_FINAL)}) THEN m.closing END
FROM (
    SELECT opinion_id,
        MIN(at) FILTER (WHERE action = 'accept') AS accepted,
        MIN(at) FILTER (WHERE action = 'answer') AS answered,
        COUNT(*) FILTER (WHERE action = 'confirm_dissatisfied') AS reopened,
        {closing} AS closing
    FROM opinion_event
    GROUP BY opinion_id
) AS m
WHERE m.opinion_id = opinion.id
    AND (m.accepted IS NOT NULL OR m.answered IS NOT NULL OR m.reopened > 0 OR m.closing IS NOT NULL
         OR opinion.accepted_at IS NOT NULL OR opinion.answered_at IS NOT NULL)
"""


# An opinion without those events (or without any): the latest columns stand in for the first ones.
_WITHOUT_EVENTS = [
    "UPDATE opinion SET first_accepted_at = accepted_at WHERE first_accepted_at IS NULL AND accepted_at IS NOT NULL",
    "UPDATE opinion SET first_answered_at = answered_at WHERE first_answered_at IS NULL AND answered_at IS NOT NULL",
]
_CLOSING_ACTION = f"""
UPDATE opinion SET closing_action = (
    SELECT e.action FROM opinion_event AS e
    WHERE e.opinion_id = opinion.id AND e.action IN ({_quoted(_CLOSING)})
    ORDER BY e.at DESC, e.id DESC
    LIMIT 1
)
WHERE state IN ({_quoted(_FINAL)})
"""


def upgrade() -> None:
    with op.batch_alter_table("opinion") as batch:
        batch.add_column(sa.Column("first_accepted_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first_answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("closing_action", sa.String(length=32), nullable=True))
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.execute(_from_events(postgresql))
    for statement in _WITHOUT_EVENTS:
        op.execute(statement)
    if not postgresql:
        op.execute(_CLOSING_ACTION)


def downgrade() -> None:
    with op.batch_alter_table("opinion") as batch:
        batch.drop_column("closing_action")
        batch.drop_column("reopen_count")
        batch.drop_column("first_answered_at")
        batch.drop_column("first_accepted_at")

"""opinions' reminder sweep by an indexed next-warning time; indexes for the statistics' period and for
the foreign keys deletes follow

`opinion.next_warning_at`: when the sweep looks at an opinion again (the start of the next rung of its
warning ladder), so the sweep selects what is due in SQL instead of reading the oldest overdue rows and
skipping the warned ones (issue #25). Existing rows are filled here by the default policy, the one the
bot runs (accept within 24 h, answer within 7 days, yellow in the last fifth, the presidium after 3 days
overdue) — the same rule as `bot.opinions.sla.next_warning_at`, which a test holds them to.

Revision ID: 0019 (after 0018_duty_rosters)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# (table, column) of every index added besides next_warning_at's; named by the naming convention.
_INDEXED = (
    ("opinion", "created_at"),
    ("opinion", "supervisor_person_id"),
    ("opinion", "duplicate_of_id"),
    ("opinion_event", "actor_person_id"),
    ("opinion_event", "from_holder_id"),
    ("opinion_event", "to_holder_id"),
    ("reception", "recorded_by_person_id"),
    ("audit_log", "actor_person_id"),
)

# The default SLA policy, frozen as of this revision (bot/opinions/sla.py SlaPolicy).
_ACCEPT_STATES = ("routed", "transferred")
_ANSWER_STATES = ("accepted", "awaiting_info", "reopened")
_ACCEPT_WITHIN = timedelta(hours=24)
_ANSWER_WITHIN = timedelta(days=7)
_YELLOW_FRACTION = 0.2
_PRESIDIUM_AFTER = timedelta(days=3)
_TICK = timedelta(microseconds=1)
_BATCH = 5_000


def _states(states: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in states)


# On PostgreSQL in one statement: a province's million opinions in seconds, no row through Python.
_BACKFILL_POSTGRESQL = f"""
UPDATE opinion AS o SET next_warning_at = CASE r.rung
        WHEN 0 THEN r.deadline - r.win * {_YELLOW_FRACTION} + interval '1 microsecond'
        WHEN 1 THEN r.deadline + interval '1 microsecond'
        WHEN 2 THEN r.deadline + interval '{_PRESIDIUM_AFTER.days} days'
    END
FROM (
    SELECT id,
        CASE WHEN state IN ({_states(_ACCEPT_STATES)}) THEN accept_deadline ELSE answer_deadline END AS deadline,
        CASE WHEN state IN ({_states(_ACCEPT_STATES)}) THEN interval '{_ACCEPT_WITHIN.days * 24 + _ACCEPT_WITHIN.seconds // 3600} hours'
             ELSE interval '{_ANSWER_WITHIN.days} days' END AS win,
        CASE WHEN last_warning ~ ':[0-9]+$' THEN split_part(last_warning, ':', 2)::int + 1 ELSE 0 END AS rung
    FROM opinion
    WHERE state IN ({_states(_ACCEPT_STATES + _ANSWER_STATES)})
) AS r
WHERE o.id = r.id AND r.deadline IS NOT NULL AND r.rung <= 2
"""


def _rungs(last_warning: str | None) -> int:
    _, _, level = (last_warning or "").partition(":")
    return int(level) + 1 if level.isdigit() else 0


def _next_warning_at(
    state: str, accept: datetime | None, answer: datetime | None, last: str | None
) -> datetime | None:
    deadline, window = (accept, _ACCEPT_WITHIN) if state in _ACCEPT_STATES else (answer, _ANSWER_WITHIN)
    if deadline is None:
        return None
    starts = (deadline - window * _YELLOW_FRACTION + _TICK, deadline + _TICK, deadline + _PRESIDIUM_AFTER)
    rung = _rungs(last)
    return starts[rung] if rung < len(starts) else None


def _backfill_in_batches(bind: sa.Connection) -> None:
    """Elsewhere (SQLite: a prefecture's tens of thousands at most) row by row, a batch at a time."""
    when = sa.DateTime(timezone=True)
    opinion = sa.table(
        "opinion",
        sa.column("id", sa.Integer()),
        sa.column("state", sa.String()),
        sa.column("accept_deadline", when),
        sa.column("answer_deadline", when),
        sa.column("last_warning", sa.String()),
        sa.column("next_warning_at", when),
    )
    update = (
        opinion.update().where(opinion.c.id == sa.bindparam("key")).values(next_warning_at=sa.bindparam("at"))
    )
    after = 0
    while True:
        rows = bind.execute(
            sa.select(
                opinion.c.id,
                opinion.c.state,
                opinion.c.accept_deadline,
                opinion.c.answer_deadline,
                opinion.c.last_warning,
            )
            .where(opinion.c.id > after, opinion.c.state.in_(_ACCEPT_STATES + _ANSWER_STATES))
            .order_by(opinion.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        changes = []
        for key, state, accept, answer, last in rows:
            at = _next_warning_at(state, _utc(accept), _utc(answer), last)
            if at is not None:
                changes.append({"key": key, "at": at})
        if changes:
            bind.execute(update, changes)
        after = rows[-1][0]


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def upgrade() -> None:
    with op.batch_alter_table("opinion") as batch:
        batch.add_column(sa.Column("next_warning_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_opinion_next_warning_at"), ["next_warning_at"], unique=False)
    for table, column in _INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(_BACKFILL_POSTGRESQL)
    else:
        _backfill_in_batches(bind)


def downgrade() -> None:
    for table, column in reversed(_INDEXED):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    with op.batch_alter_table("opinion") as batch:
        batch.drop_index(batch.f("ix_opinion_next_warning_at"))
        batch.drop_column("next_warning_at")

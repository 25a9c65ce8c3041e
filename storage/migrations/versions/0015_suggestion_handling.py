"""suggestion handling and supervision (办理、监督): 三见面 contacts, co-unit opinions, answers and ratings,
the supervising committee, the reminder ladder, 销号 and 回头看 on the suggestion row

Revision ID: 0015 (after 0014_suggestion_assignment)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)
_ADDED: tuple[tuple[str, sa.types.TypeEngine, bool], ...] = (
    ("committee_id", sa.Integer(), True),
    ("signed_at", _WHEN, True),
    ("warned_rung", sa.Integer(), False),
    ("next_warning_at", _WHEN, True),
    ("result_class", sa.String(length=1), True),
    ("planned_on", sa.Date(), True),
    ("answered_at", _WHEN, True),
    ("first_answered_at", _WHEN, True),
    ("first_answer_on_time", sa.Boolean(), True),
    ("rehandle_count", sa.Integer(), False),
    ("rating", sa.String(length=16), True),
    ("rated_at", _WHEN, True),
    ("closed_at", _WHEN, True),
    ("closing_action", sa.String(length=32), True),
    ("closing_reason", sa.Text(), True),
    ("recheck_due_on", sa.Date(), True),
    ("rechecked_at", _WHEN, True),
    ("recheck_outcome", sa.String(length=16), True),
)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    with op.batch_alter_table("suggestion") as batch:
        for name, type_, nullable in _ADDED:
            default = sa.text("0") if not nullable else None
            batch.add_column(sa.Column(name, type_, nullable=nullable, server_default=default))
        batch.create_foreign_key(
            batch.f("fk_suggestion_committee_id_special_committee"),
            "special_committee",
            ["committee_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(batch.f("ix_suggestion_committee_id"), ["committee_id"], unique=False)
        batch.create_index(batch.f("ix_suggestion_next_warning_at"), ["next_warning_at"], unique=False)
        batch.create_index(batch.f("ix_suggestion_result_class"), ["result_class"], unique=False)
        batch.create_index(batch.f("ix_suggestion_recheck_due_on"), ["recheck_due_on"], unique=False)
    with op.batch_alter_table("suggestion") as batch:  # the defaults only filled existing rows
        batch.alter_column("warned_rung", server_default=None)
        batch.alter_column("rehandle_count", server_default=None)

    op.create_table(
        "suggestion_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("form", sa.String(length=8), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("recorded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", _WHEN, nullable=False),
        sa.Column("verdict", sa.String(length=10), nullable=False),
        sa.Column("verdict_reason", sa.Text(), nullable=True),
        sa.Column("verdict_at", _WHEN, nullable=True),
        _fk("suggestion_contact", "suggestion_id", "suggestion", "CASCADE"),
        _fk("suggestion_contact", "unit_id", "unit", "SET NULL"),
        _fk("suggestion_contact", "recorded_by_person_id", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_contact")),
    )
    with op.batch_alter_table("suggestion_contact") as batch:
        batch.create_index("ix_suggestion_contact_suggestion", ["suggestion_id", "stage"], unique=False)

    op.create_table(
        "suggestion_unit_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("at", _WHEN, nullable=False),
        _fk("suggestion_unit_opinion", "suggestion_id", "suggestion", "CASCADE"),
        _fk("suggestion_unit_opinion", "unit_id", "unit", "SET NULL"),
        _fk("suggestion_unit_opinion", "person_id", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_unit_opinion")),
    )
    with op.batch_alter_table("suggestion_unit_opinion") as batch:
        batch.create_index(
            batch.f("ix_suggestion_unit_opinion_suggestion_id"), ["suggestion_id"], unique=False
        )

    op.create_table(
        "suggestion_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("result_class", sa.String(length=1), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("planned_on", sa.Date(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("answered_by_person_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", _WHEN, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rating_reason", sa.Text(), nullable=True),
        sa.Column("rated_at", _WHEN, nullable=True),
        _fk("suggestion_answer", "suggestion_id", "suggestion", "CASCADE"),
        _fk("suggestion_answer", "unit_id", "unit", "SET NULL"),
        _fk("suggestion_answer", "answered_by_person_id", "person", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_answer")),
        sa.UniqueConstraint("suggestion_id", "round", name=op.f("uq_suggestion_answer_suggestion_id")),
    )


def downgrade() -> None:
    op.drop_table("suggestion_answer")
    op.drop_table("suggestion_unit_opinion")
    op.drop_table("suggestion_contact")
    with op.batch_alter_table("suggestion") as batch:
        for index in ("recheck_due_on", "result_class", "next_warning_at", "committee_id"):
            batch.drop_index(batch.f(f"ix_suggestion_{index}"))
        batch.drop_constraint(batch.f("fk_suggestion_committee_id_special_committee"), type_="foreignkey")
        for name, _type, _nullable in reversed(_ADDED):
            batch.drop_column(name)

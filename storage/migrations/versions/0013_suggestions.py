"""suggestions: deputies' formal suggestions (代表建议), their ledger and their co-signers

Revision ID: 0013 (after 0012_units)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=True),
        sa.Column("series_session", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("filer_person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("on_behalf_of_paper", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("source_opinion_ids", sa.JSON(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=True),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("filed_at", _WHEN, nullable=True),
        sa.Column("dialog_key", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["filer_person_id"], ["person.id"], name=op.f("fk_suggestion_filer_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_person_id"],
            ["person.id"],
            name=op.f("fk_suggestion_recorded_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion")),
        sa.UniqueConstraint("number", name=op.f("uq_suggestion_number")),
        sa.UniqueConstraint("dialog_key", name=op.f("uq_suggestion_dialog_key")),
    )
    with op.batch_alter_table("suggestion") as batch:
        batch.create_index(batch.f("ix_suggestion_category"), ["category"], unique=False)
        batch.create_index("ix_suggestion_filer_state", ["filer_person_id", "state"], unique=False)
    op.create_table(
        "suggestion_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_person_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestion.id"],
            name=op.f("fk_suggestion_event_suggestion_id_suggestion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_person_id"],
            ["person.id"],
            name=op.f("fk_suggestion_event_actor_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_event")),
    )
    with op.batch_alter_table("suggestion_event") as batch:
        batch.create_index("ix_suggestion_event_suggestion_at", ["suggestion_id", "at"], unique=False)
    op.create_table(
        "suggestion_cosigner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("suggestion_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("invited_at", _WHEN, nullable=False),
        sa.Column("answered_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["suggestion_id"],
            ["suggestion.id"],
            name=op.f("fk_suggestion_cosigner_suggestion_id_suggestion"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_suggestion_cosigner_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suggestion_cosigner")),
        sa.UniqueConstraint("suggestion_id", "person_id", name=op.f("uq_suggestion_cosigner_suggestion_id")),
    )
    with op.batch_alter_table("suggestion_cosigner") as batch:
        batch.create_index(batch.f("ix_suggestion_cosigner_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("suggestion_cosigner") as batch:
        batch.drop_index(batch.f("ix_suggestion_cosigner_person_id"))
    op.drop_table("suggestion_cosigner")
    with op.batch_alter_table("suggestion_event") as batch:
        batch.drop_index("ix_suggestion_event_suggestion_at")
    op.drop_table("suggestion_event")
    with op.batch_alter_table("suggestion") as batch:
        batch.drop_index("ix_suggestion_filer_state")
        batch.drop_index(batch.f("ix_suggestion_category"))
    op.drop_table("suggestion")

"""broadcast schedule: scheduled_for, started_at, a document instead of a photo, the paid tier

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.add_column(sa.Column("document_file_id", sa.String(length=256), nullable=True))
        batch.add_column(sa.Column("paid", sa.Boolean(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("scheduled_for", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index(op.f("ix_broadcast_scheduled_for"), ["scheduled_for"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_index(op.f("ix_broadcast_scheduled_for"))
        batch.drop_column("started_at")
        batch.drop_column("scheduled_for")
        batch.drop_column("paid")
        batch.drop_column("document_file_id")

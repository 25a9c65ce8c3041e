"""broadcast receipts: a notice may ask for "received" (broadcast.receipt, acked, reminded_at) and
each recipient's acknowledgement is a broadcast_ack row (one per notice and recipient)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("broadcast") as batch:
        # Existing notices never asked: receipt stays NULL.
        batch.add_column(sa.Column("receipt", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("acked", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "broadcast_ack",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("acked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcast.id"],
            name=op.f("fk_broadcast_ack_broadcast_id_broadcast"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_broadcast_ack_person_id_person"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_ack")),
        sa.UniqueConstraint("broadcast_id", "telegram_id", name=op.f("uq_broadcast_ack_broadcast_id")),
    )
    with op.batch_alter_table("broadcast_ack") as batch:
        batch.create_index(op.f("ix_broadcast_ack_broadcast_id"), ["broadcast_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("broadcast_ack") as batch:
        batch.drop_index(op.f("ix_broadcast_ack_broadcast_id"))
    op.drop_table("broadcast_ack")
    with op.batch_alter_table("broadcast") as batch:
        batch.drop_column("reminded_at")
        batch.drop_column("acked")
        batch.drop_column("receipt")

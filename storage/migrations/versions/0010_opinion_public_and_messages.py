"""opinion.public (may others see and follow it) and opinion.message_ids (the sender's messages in it)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("opinion") as batch:
        # Existing opinions were filed without the switch: private, as the default is now.
        batch.add_column(sa.Column("public", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("message_ids", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("opinion") as batch:
        batch.drop_column("message_ids")
        batch.drop_column("public")

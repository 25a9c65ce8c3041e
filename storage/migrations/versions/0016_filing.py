"""suggestion filing (提出, 合并): the suggestion a merged one joined, the deputy group that filed jointly,
and when an invited co-signer was reminded

Revision ID: 0016 (after 0015_suggestion_handling)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("suggestion") as batch:
        batch.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("group_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_suggestion_merged_into_id_suggestion"),
            "suggestion",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_foreign_key(
            batch.f("fk_suggestion_group_id_deputy_group"),
            "deputy_group",
            ["group_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("suggestion_cosigner") as batch:
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("suggestion_cosigner") as batch:
        batch.drop_column("reminded_at")
    with op.batch_alter_table("suggestion") as batch:
        batch.drop_constraint(batch.f("fk_suggestion_group_id_deputy_group"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_suggestion_merged_into_id_suggestion"), type_="foreignkey")
        batch.drop_column("group_id")
        batch.drop_column("merged_into_id")

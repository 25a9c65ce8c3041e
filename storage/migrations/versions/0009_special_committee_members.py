"""special committee members: the people a red warning's committee copy reaches

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "special_committee_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("committee_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"],
            ["special_committee.id"],
            name=op.f("fk_special_committee_member_committee_id_special_committee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_special_committee_member_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_committee_member")),
        sa.UniqueConstraint(
            "committee_id", "person_id", name=op.f("uq_special_committee_member_committee_id")
        ),
    )
    with op.batch_alter_table("special_committee_member") as batch:
        batch.create_index(
            batch.f("ix_special_committee_member_committee_id"), ["committee_id"], unique=False
        )
        batch.create_index(batch.f("ix_special_committee_member_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("special_committee_member") as batch:
        batch.drop_index(batch.f("ix_special_committee_member_person_id"))
        batch.drop_index(batch.f("ix_special_committee_member_committee_id"))
    op.drop_table("special_committee_member")

"""handling units (承办单位): unit, its 归口 categories (unit_category), its officers (unit_officer),
and the unit an officer's invitation names (invitation.unit_id, unit_head)

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["unit.id"], name=op.f("fk_unit_parent_id_unit"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    with op.batch_alter_table("unit") as batch:
        batch.create_index(batch.f("ix_unit_parent_id"), ["parent_id"], unique=False)
    op.create_table(
        "unit_category",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_unit_category_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_category")),
        sa.UniqueConstraint("unit_id", "category", name=op.f("uq_unit_category_unit_id")),
    )
    with op.batch_alter_table("unit_category") as batch:
        batch.create_index(batch.f("ix_unit_category_unit_id"), ["unit_id"], unique=False)
        batch.create_index(batch.f("ix_unit_category_category"), ["category"], unique=False)
    op.create_table(
        "unit_officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("head", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_unit_officer_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_unit_officer_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_officer")),
        sa.UniqueConstraint("unit_id", "person_id", name=op.f("uq_unit_officer_unit_id")),
    )
    with op.batch_alter_table("unit_officer") as batch:
        batch.create_index(batch.f("ix_unit_officer_unit_id"), ["unit_id"], unique=False)
        batch.create_index(batch.f("ix_unit_officer_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("unit_head", sa.Boolean(), server_default="0", nullable=False))
        batch.create_foreign_key(
            batch.f("fk_invitation_unit_id_unit"), "unit", ["unit_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("invitation") as batch:
        batch.drop_constraint(batch.f("fk_invitation_unit_id_unit"), type_="foreignkey")
        batch.drop_column("unit_head")
        batch.drop_column("unit_id")
    with op.batch_alter_table("unit_officer") as batch:
        batch.drop_index(batch.f("ix_unit_officer_person_id"))
        batch.drop_index(batch.f("ix_unit_officer_unit_id"))
    op.drop_table("unit_officer")
    with op.batch_alter_table("unit_category") as batch:
        batch.drop_index(batch.f("ix_unit_category_category"))
        batch.drop_index(batch.f("ix_unit_category_unit_id"))
    op.drop_table("unit_category")
    with op.batch_alter_table("unit") as batch:
        batch.drop_index(batch.f("ix_unit_parent_id"))
    op.drop_table("unit")

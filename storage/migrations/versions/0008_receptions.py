"""receptions: the reception diary (民情日记) of deputies at stations

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reception",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("opinions_paper", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_by_person_id", sa.Integer(), nullable=True),
        sa.Column("dialog_key", sa.String(length=16), nullable=True),
        sa.CheckConstraint("people >= 1", name=op.f("ck_reception_people_positive")),
        sa.CheckConstraint("opinions_paper >= 0", name=op.f("ck_reception_opinions_paper_not_negative")),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["deputy.id"], name=op.f("fk_reception_deputy_id_deputy"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_reception_station_id_station"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_person_id"],
            ["person.id"],
            name=op.f("fk_reception_recorded_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_person_id"],
            ["person.id"],
            name=op.f("fk_reception_deleted_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception")),
        sa.UniqueConstraint("dialog_key", name=op.f("uq_reception_dialog_key")),
    )
    with op.batch_alter_table("reception") as batch:
        batch.create_index("ix_reception_deputy_day", ["deputy_id", "day"], unique=False)
        batch.create_index("ix_reception_station_day", ["station_id", "day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reception") as batch:
        batch.drop_index("ix_reception_station_day")
        batch.drop_index("ix_reception_deputy_day")
    op.drop_table("reception")

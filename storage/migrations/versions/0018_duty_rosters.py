"""duty rosters (进站值班): a station's head and liaison officers (station_officer), the station a
station role's invitation names, how a duty day came onto the roster, its reminder and check-in, and
the swaps of duty days between a station's deputies (duty_swap)

Revision ID: 0018 (after 0017_sessions)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_officer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_officer_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_station_officer_person_id_person"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_officer")),
        sa.UniqueConstraint("station_id", "person_id", "role", name=op.f("uq_station_officer_station_id")),
    )
    with op.batch_alter_table("station_officer") as batch:
        batch.create_index(batch.f("ix_station_officer_station_id"), ["station_id"], unique=False)
        batch.create_index(batch.f("ix_station_officer_person_id"), ["person_id"], unique=False)
    with op.batch_alter_table("invitation") as batch:
        batch.add_column(sa.Column("station_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_invitation_station_id_station"),
            "station",
            ["station_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("duty") as batch:
        batch.add_column(sa.Column("source", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("added_by_person_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("added_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("check_in_latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("check_in_longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("located_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_duty_added_by_person_id_person"),
            "person",
            ["added_by_person_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_duty_deputy_date", ["deputy_id", "date"], unique=False)
        batch.create_index("ix_duty_date_reminded", ["date", "reminded_at"], unique=False)
    op.create_table(
        "duty_swap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("requester_deputy_id", sa.Integer(), nullable=False),
        sa.Column("partner_deputy_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["duty.id"], name=op.f("fk_duty_swap_duty_id_duty"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_duty_swap_station_id_station"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requester_deputy_id"],
            ["deputy.id"],
            name=op.f("fk_duty_swap_requester_deputy_id_deputy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_deputy_id"],
            ["deputy.id"],
            name=op.f("fk_duty_swap_partner_deputy_id_deputy"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_person_id"],
            ["person.id"],
            name=op.f("fk_duty_swap_decided_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_swap")),
    )
    with op.batch_alter_table("duty_swap") as batch:
        batch.create_index("ix_duty_swap_duty_state", ["duty_id", "state"], unique=False)
        batch.create_index(batch.f("ix_duty_swap_station_id"), ["station_id"], unique=False)
        batch.create_index(batch.f("ix_duty_swap_requester_deputy_id"), ["requester_deputy_id"], unique=False)
        batch.create_index(batch.f("ix_duty_swap_partner_deputy_id"), ["partner_deputy_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("duty_swap") as batch:
        batch.drop_index(batch.f("ix_duty_swap_partner_deputy_id"))
        batch.drop_index(batch.f("ix_duty_swap_requester_deputy_id"))
        batch.drop_index(batch.f("ix_duty_swap_station_id"))
        batch.drop_index("ix_duty_swap_duty_state")
    op.drop_table("duty_swap")
    with op.batch_alter_table("duty") as batch:
        batch.drop_index("ix_duty_date_reminded")
        batch.drop_index("ix_duty_deputy_date")
        batch.drop_constraint(batch.f("fk_duty_added_by_person_id_person"), type_="foreignkey")
        for column in (
            "located_at",
            "check_in_longitude",
            "check_in_latitude",
            "checked_in_at",
            "reminded_at",
            "added_at",
            "source",
            "added_by_person_id",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("invitation") as batch:
        batch.drop_constraint(batch.f("fk_invitation_station_id_station"), type_="foreignkey")
        batch.drop_column("station_id")
    with op.batch_alter_table("station_officer") as batch:
        batch.drop_index(batch.f("ix_station_officer_person_id"))
        batch.drop_index(batch.f("ix_station_officer_station_id"))
    op.drop_table("station_officer")

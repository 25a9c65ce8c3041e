"""performance points (履职积分): the yearly rule table (point_rule), the computed lines (point_line) and
the years computed (point_year), staff adjustments (point_adjustment), and the meetings and trainings
with their attendees (activity_record, attendance)

Revision ID: 0022 (after 0021_reception_diary)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def _person_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["person.id"], name=op.f(f"fk_{table}_{column}_person"), ondelete="SET NULL"
    )


def _deputy_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["deputy_id"], ["deputy.id"], name=op.f(f"fk_{table}_deputy_id_deputy"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "point_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_person_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("cap IS NULL OR cap > 0", name=op.f("ck_point_rule_cap_positive")),
        _person_fk("point_rule", "updated_by_person_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_rule")),
        sa.UniqueConstraint("year", "kind", name=op.f("uq_point_rule_year")),
    )
    with op.batch_alter_table("point_rule") as batch:
        batch.create_index(
            batch.f("ix_point_rule_updated_by_person_id"), ["updated_by_person_id"], unique=False
        )
    op.create_table(
        "point_year",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_point_year")),
    )
    op.create_table(
        "point_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("capped", sa.Boolean(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("ref", sa.String(length=200), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=False),
        sa.Column("rule_revision", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        _deputy_fk("point_line"),
        sa.ForeignKeyConstraint(
            ["station_id"], ["station.id"], name=op.f("fk_point_line_station_id_station"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["point_rule.id"], name=op.f("fk_point_line_rule_id_point_rule"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_line")),
        sa.UniqueConstraint(
            "year", "kind", "source_type", "source_id", "deputy_id", name=op.f("uq_point_line_year")
        ),
    )
    with op.batch_alter_table("point_line") as batch:
        batch.create_index("ix_point_line_deputy_year", ["deputy_id", "year"], unique=False)
        batch.create_index(batch.f("ix_point_line_station_id"), ["station_id"], unique=False)
        batch.create_index(batch.f("ix_point_line_rule_id"), ["rule_id"], unique=False)
    op.create_table(
        "point_adjustment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("points <> 0", name=op.f("ck_point_adjustment_points_not_zero")),
        _deputy_fk("point_adjustment"),
        _person_fk("point_adjustment", "created_by_person_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_adjustment")),
    )
    with op.batch_alter_table("point_adjustment") as batch:
        batch.create_index("ix_point_adjustment_deputy_year", ["deputy_id", "year"], unique=False)
        batch.create_index(
            batch.f("ix_point_adjustment_created_by_person_id"), ["created_by_person_id"], unique=False
        )
    op.create_table(
        "activity_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        _person_fk("activity_record", "created_by_person_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_record")),
    )
    with op.batch_alter_table("activity_record") as batch:
        batch.create_index("ix_activity_record_day", ["day"], unique=False)
        batch.create_index(
            batch.f("ix_activity_record_created_by_person_id"), ["created_by_person_id"], unique=False
        )
    op.create_table(
        "attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activity_record.id"],
            name=op.f("fk_attendance_activity_id_activity_record"),
            ondelete="CASCADE",
        ),
        _deputy_fk("attendance"),
        _person_fk("attendance", "recorded_by_person_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance")),
        sa.UniqueConstraint("activity_id", "deputy_id", name=op.f("uq_attendance_activity_id")),
    )
    with op.batch_alter_table("attendance") as batch:
        batch.create_index(batch.f("ix_attendance_deputy_id"), ["deputy_id"], unique=False)
        batch.create_index(
            batch.f("ix_attendance_recorded_by_person_id"), ["recorded_by_person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("attendance") as batch:
        batch.drop_index(batch.f("ix_attendance_recorded_by_person_id"))
        batch.drop_index(batch.f("ix_attendance_deputy_id"))
    op.drop_table("attendance")
    with op.batch_alter_table("activity_record") as batch:
        batch.drop_index(batch.f("ix_activity_record_created_by_person_id"))
        batch.drop_index("ix_activity_record_day")
    op.drop_table("activity_record")
    with op.batch_alter_table("point_adjustment") as batch:
        batch.drop_index(batch.f("ix_point_adjustment_created_by_person_id"))
        batch.drop_index("ix_point_adjustment_deputy_year")
    op.drop_table("point_adjustment")
    with op.batch_alter_table("point_line") as batch:
        batch.drop_index(batch.f("ix_point_line_rule_id"))
        batch.drop_index(batch.f("ix_point_line_station_id"))
        batch.drop_index("ix_point_line_deputy_year")
    op.drop_table("point_line")
    op.drop_table("point_year")
    with op.batch_alter_table("point_rule") as batch:
        batch.drop_index(batch.f("ix_point_rule_updated_by_person_id"))
    op.drop_table("point_rule")

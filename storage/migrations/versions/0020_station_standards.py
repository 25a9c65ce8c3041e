"""station standards and inspection: the station's profile, rules (制度) and "六有" checklist, evidence
files, inspectors (分片包抓), inspections and their rectification lists (整改清单)

Revision ID: 0020 (after 0019_opinion_warning)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "station_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_rule_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_rule")),
    )
    op.create_index(
        "ix_station_rule_station_position", "station_rule", ["station_id", "position"], unique=False
    )
    op.create_table(
        "station_inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("inspector_person_id", sa.Integer(), nullable=True),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dialog_key", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspector_person_id"],
            ["person.id"],
            name=op.f("fk_station_inspection_inspector_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_person_id"],
            ["person.id"],
            name=op.f("fk_station_inspection_recorded_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_inspection_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_inspection")),
        sa.UniqueConstraint("dialog_key", name=op.f("uq_station_inspection_dialog_key")),
    )
    op.create_index(
        "ix_station_inspection_station_day", "station_inspection", ["station_id", "held_on"], unique=False
    )
    op.create_table(
        "station_inspector",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_person_id"],
            ["person.id"],
            name=op.f("fk_station_inspector_assigned_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_station_inspector_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_inspector_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_inspector")),
        sa.UniqueConstraint("station_id", "person_id", name=op.f("uq_station_inspector_station_id")),
    )
    op.create_index(op.f("ix_station_inspector_person_id"), "station_inspector", ["person_id"], unique=False)
    op.create_index(
        op.f("ix_station_inspector_station_id"), "station_inspector", ["station_id"], unique=False
    )
    op.create_table(
        "station_profile",
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("hours_note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_profile_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_person_id"],
            ["person.id"],
            name=op.f("fk_station_profile_updated_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_station_profile")),
    )
    op.create_table(
        "station_standard",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=16), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_standard_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_person_id"],
            ["person.id"],
            name=op.f("fk_station_standard_updated_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_standard")),
        sa.UniqueConstraint("station_id", "item", name=op.f("uq_station_standard_station_id")),
    )
    op.create_table(
        "station_rectification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("responsible_person_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("report_note", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.Column("reminded_for", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["station_inspection.id"],
            name=op.f("fk_station_rectification_inspection_id_station_inspection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["responsible_person_id"],
            ["person.id"],
            name=op.f("fk_station_rectification_responsible_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_rectification_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_rectification")),
    )
    op.create_index(
        op.f("ix_station_rectification_inspection_id"),
        "station_rectification",
        ["inspection_id"],
        unique=False,
    )
    op.create_index(
        "ix_station_rectification_state_due", "station_rectification", ["state", "due_on"], unique=False
    )
    op.create_index(
        "ix_station_rectification_station_state",
        "station_rectification",
        ["station_id", "state"],
        unique=False,
    )
    op.create_table(
        "station_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("standard_item", sa.String(length=16), nullable=True),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("rectification_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=256), nullable=True),
        sa.Column("telegram_unique_id", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("uploaded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(telegram_file_id IS NULL) <> (data IS NULL)", name=op.f("ck_station_file_one_source")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["station_inspection.id"],
            name=op.f("fk_station_file_inspection_id_station_inspection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["station_rectification.id"],
            name=op.f("fk_station_file_rectification_id_station_rectification"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["station.id"],
            name=op.f("fk_station_file_station_id_station"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_person_id"],
            ["person.id"],
            name=op.f("fk_station_file_uploaded_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_file")),
    )
    op.create_index(op.f("ix_station_file_inspection_id"), "station_file", ["inspection_id"], unique=False)
    op.create_index(
        op.f("ix_station_file_rectification_id"), "station_file", ["rectification_id"], unique=False
    )
    op.create_index(
        "ix_station_file_station_created", "station_file", ["station_id", "created_at"], unique=False
    )
    op.create_table(
        "station_rectification_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rectification_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_person_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_person_id"],
            ["person.id"],
            name=op.f("fk_station_rectification_event_actor_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["rectification_id"],
            ["station_rectification.id"],
            name=op.f("fk_station_rectification_event_rectification_id_station_rectification"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_station_rectification_event")),
    )
    op.create_index(
        op.f("ix_station_rectification_event_rectification_id"),
        "station_rectification_event",
        ["rectification_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_station_rectification_event_rectification_id"), table_name="station_rectification_event"
    )
    op.drop_table("station_rectification_event")
    op.drop_index("ix_station_file_station_created", table_name="station_file")
    op.drop_index(op.f("ix_station_file_rectification_id"), table_name="station_file")
    op.drop_index(op.f("ix_station_file_inspection_id"), table_name="station_file")
    op.drop_table("station_file")
    op.drop_index("ix_station_rectification_station_state", table_name="station_rectification")
    op.drop_index("ix_station_rectification_state_due", table_name="station_rectification")
    op.drop_index(op.f("ix_station_rectification_inspection_id"), table_name="station_rectification")
    op.drop_table("station_rectification")
    op.drop_table("station_standard")
    op.drop_table("station_profile")
    op.drop_index(op.f("ix_station_inspector_station_id"), table_name="station_inspector")
    op.drop_index(op.f("ix_station_inspector_person_id"), table_name="station_inspector")
    op.drop_table("station_inspector")
    op.drop_index("ix_station_inspection_station_day", table_name="station_inspection")
    op.drop_table("station_inspection")
    op.drop_index("ix_station_rule_station_position", table_name="station_rule")
    op.drop_table("station_rule")

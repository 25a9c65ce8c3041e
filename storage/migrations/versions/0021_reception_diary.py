"""reception diary (民情日记) with registration: visitors and their matters, home visits (走访), the
visitors' one-time links, and where an opinion came from

Existing receptions keep their typed counts as they are, marked legacy (and closed).

Revision ID: 0021 (after 0020)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reception") as batch:
        batch.alter_column("deputy_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("station_id", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("people", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("kind", sa.String(length=16), server_default="station", nullable=False))
        batch.add_column(sa.Column("place", sa.Text(), nullable=True))
        batch.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("legacy", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("state", sa.String(length=16), server_default="open", nullable=False))
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("closed_by_person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_reception_closed_by_person_id_person"),
            "person",
            ["closed_by_person_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_check_constraint(
            batch.f("ck_reception_station_has_station"), "kind <> 'station' OR station_id IS NOT NULL"
        )
        batch.create_check_constraint(
            batch.f("ck_reception_home_visit_has_place"), "kind <> 'home_visit' OR place IS NOT NULL"
        )
        batch.create_index("ix_reception_keeper_state", ["recorded_by_person_id", "state"], unique=False)
        batch.create_index(batch.f("ix_reception_closed_by_person_id"), ["closed_by_person_id"], unique=False)
    # What was recorded before registration existed: its typed counts stand, and it is finished.
    op.execute(
        sa.text("UPDATE reception SET legacy = :yes, state = 'closed', closed_at = created_at").bindparams(
            yes=True
        )
    )

    op.create_table(
        "reception_visitor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reception_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("phone_consent", sa.Boolean(), nullable=False),
        sa.Column("phone_consent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("stand_in", sa.Boolean(), nullable=False),
        sa.Column("registered_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "NOT anonymous OR (name IS NULL AND phone IS NULL)",
            name=op.f("ck_reception_visitor_anonymous_unnamed"),
        ),
        sa.CheckConstraint(
            "phone IS NULL OR phone_consent", name=op.f("ck_reception_visitor_phone_with_consent")
        ),
        sa.ForeignKeyConstraint(
            ["reception_id"],
            ["reception.id"],
            name=op.f("fk_reception_visitor_reception_id_reception"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_reception_visitor_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_person_id"],
            ["person.id"],
            name=op.f("fk_reception_visitor_registered_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_visitor")),
        sa.UniqueConstraint("reception_id", "number", name=op.f("uq_reception_visitor_reception_id")),
    )
    with op.batch_alter_table("reception_visitor") as batch:
        batch.create_index(batch.f("ix_reception_visitor_reception_id"), ["reception_id"], unique=False)
        batch.create_index(batch.f("ix_reception_visitor_person_id"), ["person_id"], unique=False)
        batch.create_index(
            batch.f("ix_reception_visitor_registered_by_person_id"), ["registered_by_person_id"], unique=False
        )

    op.create_table(
        "reception_matter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reception_id", sa.Integer(), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("opinion_id", sa.Integer(), nullable=True),
        sa.Column("registered_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('resolved', 'routed')", name=op.f("ck_reception_matter_known_outcome")
        ),
        sa.CheckConstraint(
            "outcome <> 'resolved' OR answer IS NOT NULL",
            name=op.f("ck_reception_matter_resolved_has_answer"),
        ),
        sa.ForeignKeyConstraint(
            ["reception_id"],
            ["reception.id"],
            name=op.f("fk_reception_matter_reception_id_reception"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["reception_visitor.id"],
            name=op.f("fk_reception_matter_visitor_id_reception_visitor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["opinion.id"],
            name=op.f("fk_reception_matter_opinion_id_opinion"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_person_id"],
            ["person.id"],
            name=op.f("fk_reception_matter_registered_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_matter")),
    )
    with op.batch_alter_table("reception_matter") as batch:
        batch.create_index(batch.f("ix_reception_matter_reception_id"), ["reception_id"], unique=False)
        batch.create_index(batch.f("ix_reception_matter_visitor_id"), ["visitor_id"], unique=False)
        batch.create_index(batch.f("ix_reception_matter_opinion_id"), ["opinion_id"], unique=False)
        batch.create_index(
            batch.f("ix_reception_matter_registered_by_person_id"), ["registered_by_person_id"], unique=False
        )

    op.create_table(
        "reception_visitor_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("visitor_id", sa.Integer(), nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["visitor_id"],
            ["reception_visitor.id"],
            name=op.f("fk_reception_visitor_link_visitor_id_reception_visitor"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_person_id"],
            ["person.id"],
            name=op.f("fk_reception_visitor_link_created_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["used_by_person_id"],
            ["person.id"],
            name=op.f("fk_reception_visitor_link_used_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reception_visitor_link")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_reception_visitor_link_token_hash")),
    )
    with op.batch_alter_table("reception_visitor_link") as batch:
        batch.create_index(batch.f("ix_reception_visitor_link_visitor_id"), ["visitor_id"], unique=False)
        batch.create_index(
            batch.f("ix_reception_visitor_link_created_by_person_id"), ["created_by_person_id"], unique=False
        )
        batch.create_index(
            batch.f("ix_reception_visitor_link_used_by_person_id"), ["used_by_person_id"], unique=False
        )

    with op.batch_alter_table("opinion") as batch:
        batch.add_column(sa.Column("source", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("recorded_by_person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_opinion_recorded_by_person_id_person"),
            "person",
            ["recorded_by_person_id"],
            ["id"],
            ondelete="SET NULL",
        )
        # A stand-in's deletion (bot/receptions/links.py) follows these keys: indexed, as every such key is.
        batch.create_index(
            batch.f("ix_opinion_recorded_by_person_id"), ["recorded_by_person_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("opinion") as batch:
        batch.drop_index(batch.f("ix_opinion_recorded_by_person_id"))
        batch.drop_constraint(batch.f("fk_opinion_recorded_by_person_id_person"), type_="foreignkey")
        batch.drop_column("recorded_by_person_id")
        batch.drop_column("source")
    op.drop_table("reception_visitor_link")
    op.drop_table("reception_matter")
    op.drop_table("reception_visitor")
    # Diaries kept with registrations cannot be told as typed counts: they go, the legacy rows stay.
    op.execute(
        sa.text(
            "DELETE FROM reception WHERE NOT legacy OR people IS NULL OR station_id IS NULL OR deputy_id IS NULL"
        )
    )
    with op.batch_alter_table("reception") as batch:
        batch.drop_index(batch.f("ix_reception_closed_by_person_id"))
        batch.drop_index("ix_reception_keeper_state")
        batch.drop_constraint(batch.f("ck_reception_home_visit_has_place"), type_="check")
        batch.drop_constraint(batch.f("ck_reception_station_has_station"), type_="check")
        batch.drop_constraint(batch.f("fk_reception_closed_by_person_id_person"), type_="foreignkey")
        batch.drop_column("closed_by_person_id")
        batch.drop_column("closed_at")
        batch.drop_column("state")
        batch.drop_column("legacy")
        batch.drop_column("longitude")
        batch.drop_column("latitude")
        batch.drop_column("place")
        batch.drop_column("kind")
        batch.alter_column("people", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("station_id", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("deputy_id", existing_type=sa.Integer(), nullable=False)

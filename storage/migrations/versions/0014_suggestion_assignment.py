"""suggestion assignment (交办): lead unit, co-units, term and its reason, prepared and published times

Revision ID: 0014 (after 0013_suggestions)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("suggestion") as batch:
        batch.add_column(sa.Column("lead_unit_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("co_unit_ids", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("term_months", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("term_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("prepared_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("assigned_at", _WHEN, nullable=True))
        batch.add_column(sa.Column("due_on", sa.Date(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_suggestion_lead_unit_id_unit"), "unit", ["lead_unit_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("suggestion") as batch:
        batch.drop_constraint(batch.f("fk_suggestion_lead_unit_id_unit"), type_="foreignkey")
        for column in ("due_on", "assigned_at", "prepared_at", "term_reason", "term_months", "co_unit_ids"):
            batch.drop_column(column)
        batch.drop_column("lead_unit_id")

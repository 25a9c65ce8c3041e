"""the sessions calendar (congress_session: 届次/会议, numbering's series) and the 归口 table's lead
unit per category (unit_category.lead)

Revision ID: 0017 (after 0016_filing)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "congress_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("opens", sa.Date(), nullable=False),
        sa.Column("closes", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_congress_session")),
        sa.UniqueConstraint("code", name=op.f("uq_congress_session_code")),
    )
    with op.batch_alter_table("congress_session") as batch:
        batch.create_index(batch.f("ix_congress_session_opens"), ["opens"], unique=False)
    with op.batch_alter_table("unit_category") as batch:
        batch.add_column(sa.Column("lead", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("unit_category") as batch:
        batch.drop_column("lead")
    with op.batch_alter_table("congress_session") as batch:
        batch.drop_index(batch.f("ix_congress_session_opens"))
    op.drop_table("congress_session")

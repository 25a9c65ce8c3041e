"""the period's indexes: reception diary entries by day, suggestions by the moment they were filed

A report for one month reads that month's entries and suggestions through these (issue #25: at a
province's size a month's statistics must not scan two years of diary and suggestions); the opinions'
and duty days' period indexes came with 0019 (`opinion.created_at`, `duty(date, reminded_at)`).

Revision ID: 0024 (after 0023_opinion_milestones)
"""

from __future__ import annotations

from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_reception_day", "reception", ["day"])
    op.create_index("ix_suggestion_filed_at", "suggestion", ["filed_at"])


def downgrade() -> None:
    op.drop_index("ix_suggestion_filed_at", table_name="suggestion")
    op.drop_index("ix_reception_day", table_name="reception")

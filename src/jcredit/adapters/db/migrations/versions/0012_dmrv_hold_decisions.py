"""dmrv hold decisions: the verifier's decision on each HOLD finding of a settled period
(docs/dmrv.md §12)

Accept (the intervals earn) or reject (they are taken out at the next settlement), with a
comment; the latest decision per finding is kept here, every decision in the journal.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dmrv_hold_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("period_number", sa.Integer(), nullable=False),
        sa.Column("finding_key", sa.String(length=200), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("rule_id", sa.String(length=8), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.String(length=40), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"],
                                name=op.f("fk_dmrv_hold_decisions_project_id_projects")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dmrv_hold_decisions")),
        sa.UniqueConstraint("project_id", "period_number", "finding_key",
                            name=op.f("uq_dmrv_hold_decisions_project_id")),
    )


def downgrade() -> None:
    op.drop_table("dmrv_hold_decisions")

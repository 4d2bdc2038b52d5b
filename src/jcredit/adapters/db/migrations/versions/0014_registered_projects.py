"""registered_projects: projects registered before jcredit, from the official list (issue 16)

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registered_projects",
        sa.Column("no", sa.String(length=32), nullable=False),
        sa.Column("applied_on", sa.String(length=10), nullable=True),
        sa.Column("implementer", sa.String(length=200), nullable=False),
        sa.Column("implementer_corporate_number", sa.String(length=13), nullable=True),
        sa.Column("location", sa.String(length=500), nullable=False),
        sa.Column("prefecture", sa.String(length=8), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("holder_corporate_number", sa.String(length=13), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("methodology_id", sa.String(length=16), nullable=False),
        sa.Column("methodology_version", sa.String(length=16), nullable=False),
        sa.Column("methodology_text", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.String(length=40), nullable=False),
        sa.Column("journal_seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("no", name=op.f("pk_registered_projects")),
    )
    op.create_index("ix_registered_projects_methodology", "registered_projects",
                    ["methodology_id"])


def downgrade() -> None:
    op.drop_index("ix_registered_projects_methodology", table_name="registered_projects")
    op.drop_table("registered_projects")

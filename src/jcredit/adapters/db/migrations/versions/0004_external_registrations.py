"""external registrations: sites registered in similar schemes (double-registration check)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_registrations",
        sa.Column("site_key", sa.String(length=300), nullable=False),
        sa.Column("scheme", sa.String(length=100), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("imported_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("site_key", "scheme", name=op.f("pk_external_registrations")),
    )


def downgrade() -> None:
    op.drop_table("external_registrations")

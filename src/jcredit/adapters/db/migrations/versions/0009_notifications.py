"""notifications: an organisation is told when the secretariat corrects its holdings

A registry correction (登録簿の訂正, ``credits.correct``) moves a holder's credits without the
holder's instruction. Each one now leaves a row per organisation concerned, naming the
account and the journal entry that records what moved and why; the holder sees it on the
account page.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("journal_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_notifications_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_organisation", "notifications",
                    ["organisation_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_organisation", table_name="notifications")
    op.drop_table("notifications")

"""dmrv batches: the batches devices sent (accepted or held) and the refusals

The digital creation system (docs/dmrv.md §3) keeps readings in Parquet and raw batches in a
content-addressed store; the database keeps one small row per batch, what a replay, the hash
chain and the conflict check look up, and the refusals an operator must see.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dmrv_batches",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=100), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("prev", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("form", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("first_start", sa.BigInteger(), nullable=False),
        sa.Column("last_end", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.String(length=40), nullable=False),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.Column("parquet_group", sa.String(length=32), nullable=True),
        sa.Column("conflicts", sa.Text(), nullable=True),
        sa.Column("raw", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_dmrv_batches")),
    )
    op.create_index("ux_dmrv_batches_device_seq", "dmrv_batches", ["device_id", "seq"],
                    unique=True)
    op.create_index("ix_dmrv_batches_device_end", "dmrv_batches", ["device_id", "last_end"])
    op.create_index("ix_dmrv_batches_site", "dmrv_batches", ["site", "first_start"])
    op.create_table(
        "dmrv_refusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("batch_hash", sa.String(length=64), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("rule_id", sa.String(length=8), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("reason_ja", sa.String(length=500), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("received_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dmrv_refusals")),
    )
    op.create_index("ix_dmrv_refusals_device", "dmrv_refusals", ["device_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_dmrv_refusals_device", table_name="dmrv_refusals")
    op.drop_table("dmrv_refusals")
    op.drop_index("ix_dmrv_batches_site", table_name="dmrv_batches")
    op.drop_index("ix_dmrv_batches_device_end", table_name="dmrv_batches")
    op.drop_index("ux_dmrv_batches_device_seq", table_name="dmrv_batches")
    op.drop_table("dmrv_batches")

"""invalidation_applications.published: the holder's consent to the public list; an index
of an issuance's blocks by serial, for the public lineage (issue 16)

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invalidation_applications") as batch:
        batch.add_column(sa.Column("published", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_index("ix_blocks_root", "blocks", ["root_id", "serial_start"])


def downgrade() -> None:
    op.drop_index("ix_blocks_root", table_name="blocks")
    with op.batch_alter_table("invalidation_applications") as batch:
        batch.drop_column("published")

"""an index of the live blocks by issuance, covering what the statistics sum (issue 16)

The public statistics sum each issuance's live blocks by account and reservation; with 10^6
journal entries the blocks table holds about 1.1 million rows, of which 10^5 are live. This
partial index holds only the live ones, with every column the sum reads, so the statistics
read 10^5 index entries instead of scanning the table (benchmarks/public.py: 1.0 s → 50 ms).

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_INDEX = ("CREATE INDEX ix_blocks_live_root ON blocks "
          "(root_id, account_id, reservation_id, serial_start, serial_end) "
          "WHERE closed_seq IS NULL")


def upgrade() -> None:
    op.execute(_INDEX)


def downgrade() -> None:
    op.execute("DROP INDEX ix_blocks_live_root")

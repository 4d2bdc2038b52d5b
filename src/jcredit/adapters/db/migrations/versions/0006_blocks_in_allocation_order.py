"""blocks carry their vintage, and the live-blocks index is in allocation order

A move by total quantity (総量指定方式) takes an account's blocks oldest vintage first, then
lowest serial (``domain.ledger.blocks.allocation_order``). The vintage was only on the
issuance, so every transfer joined each live block of the account to its issuance and sorted
them all: a transfer out of an account of 100,000 blocks sorted 100,000 rows to take one.

This revision copies the vintage (an attribute of the issuance, never changed) onto each
block and makes ``ix_blocks_account_live`` ``(account_id, vintage, serial_start)``, still
partial on live blocks: the database reads an account's blocks in allocation order straight
from the index and stops when the quantity is reached. It replaces the old index instead of
adding one, so a move writes no more index pages than before. ``ledger check`` compares
every block's vintage with its issuance's.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_INDEX_0006 = ("CREATE INDEX ix_blocks_account_live ON blocks (account_id, vintage, serial_start) "
               "WHERE closed_seq IS NULL")
_INDEX_0005 = "CREATE INDEX ix_blocks_account_live ON blocks (account_id) WHERE closed_seq IS NULL"
_RESERVED_INDEX = ("CREATE INDEX ix_blocks_reservation ON blocks (reservation_id) "
                   "WHERE reservation_id IS NOT NULL AND closed_seq IS NULL")
_COLUMNS = ("id, root_id, account_id, serial_start, serial_end, reservation_id, created_seq, "
            "closed_seq")


def _blocks_sqlite(vintage: str) -> str:
    return f"""
        CREATE TABLE blocks_new (
            id INTEGER NOT NULL,
            root_id BIGINT NOT NULL,
            account_id INTEGER NOT NULL,
            serial_start BIGINT NOT NULL,
            serial_end BIGINT NOT NULL,
            reservation_id INTEGER,
            created_seq BIGINT NOT NULL,
            closed_seq BIGINT,{vintage}
            CONSTRAINT pk_blocks PRIMARY KEY (id),
            CONSTRAINT fk_blocks_root_id_issuances FOREIGN KEY(root_id)
                REFERENCES issuances (root_id),
            CONSTRAINT fk_blocks_account_id_accounts FOREIGN KEY(account_id)
                REFERENCES accounts (id)
        )"""


def _swap_sqlite(*indexes: str) -> None:
    op.execute("DROP TABLE blocks")  # its indexes go with it
    op.execute("ALTER TABLE blocks_new RENAME TO blocks")
    for index in indexes:
        op.execute(index)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a NOT NULL column only with a default: copy into the new shape instead
        op.execute(_blocks_sqlite("\n            vintage INTEGER NOT NULL,"))
        op.execute(f"INSERT INTO blocks_new ({_COLUMNS}, vintage) SELECT "
                   + ", ".join(f"b.{c.strip()}" for c in _COLUMNS.split(","))
                   + ", i.vintage FROM blocks b JOIN issuances i ON i.root_id = b.root_id")
        _swap_sqlite(_INDEX_0006, _RESERVED_INDEX)
        return
    op.execute("ALTER TABLE blocks ADD COLUMN vintage INTEGER")
    op.execute("UPDATE blocks SET vintage = i.vintage FROM issuances i "
               "WHERE i.root_id = blocks.root_id")
    op.execute("ALTER TABLE blocks ALTER COLUMN vintage SET NOT NULL")
    op.execute("DROP INDEX ix_blocks_account_live")
    op.execute(_INDEX_0006)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_blocks_sqlite(""))
        op.execute(f"INSERT INTO blocks_new ({_COLUMNS}) SELECT {_COLUMNS} FROM blocks")
        _swap_sqlite(_INDEX_0005, _RESERVED_INDEX)
        return
    op.execute("DROP INDEX ix_blocks_account_live")
    op.execute("ALTER TABLE blocks DROP COLUMN vintage")
    op.execute(_INDEX_0005)

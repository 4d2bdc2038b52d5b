"""ledger page economy: fewer index pages written per command

Every command writes a journal row, block rows and an idempotency row, and with
``synchronous=FULL`` each dirty page is written to the WAL and synced at commit. This
revision removes index pages that bought nothing:

* SQLite: ``journal.seq`` and ``blocks.id`` become ``INTEGER PRIMARY KEY`` (the rowid
  itself, no separate primary-key index); ``idempotency_keys`` becomes a WITHOUT ROWID
  table (its primary key *is* the table).
* Both: the unique index on ``journal.hash`` goes (the chain is verified by replaying it,
  ``jcredit ledger check``; the primary key on ``seq`` already makes it linear); the block
  indexes become partial: live blocks by account, reserved blocks by reservation; the
  unique constraint that repeated ``api_tokens``' primary key goes.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_TRIGGERS_SQLITE = [
    "CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END",
    "CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal "
    "BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END",
]

_INDEXES = [
    "CREATE INDEX ix_blocks_account_live ON blocks (account_id) WHERE closed_seq IS NULL",
    "CREATE INDEX ix_blocks_reservation ON blocks (reservation_id) "
    "WHERE reservation_id IS NOT NULL AND closed_seq IS NULL",
]


def _upgrade_sqlite() -> None:
    op.execute("""
        CREATE TABLE journal_new (
            seq INTEGER NOT NULL,
            recorded_at VARCHAR(40) NOT NULL,
            actor VARCHAR(200) NOT NULL,
            request_id VARCHAR(200) NOT NULL,
            idempotency_key VARCHAR(200),
            command VARCHAR(64) NOT NULL,
            payload TEXT NOT NULL,
            postings TEXT NOT NULL,
            prev_hash VARCHAR(64) NOT NULL,
            hash VARCHAR(64) NOT NULL,
            CONSTRAINT pk_journal PRIMARY KEY (seq)
        )""")
    op.execute("INSERT INTO journal_new SELECT seq, recorded_at, actor, request_id, "
               "idempotency_key, command, payload, postings, prev_hash, hash FROM journal")
    op.execute("DROP TABLE journal")  # its triggers go with it
    op.execute("ALTER TABLE journal_new RENAME TO journal")
    for trigger in _TRIGGERS_SQLITE:
        op.execute(trigger)

    op.execute("""
        CREATE TABLE blocks_new (
            id INTEGER NOT NULL,
            root_id BIGINT NOT NULL,
            account_id INTEGER NOT NULL,
            serial_start BIGINT NOT NULL,
            serial_end BIGINT NOT NULL,
            reservation_id INTEGER,
            created_seq BIGINT NOT NULL,
            closed_seq BIGINT,
            CONSTRAINT pk_blocks PRIMARY KEY (id),
            CONSTRAINT fk_blocks_root_id_issuances FOREIGN KEY(root_id)
                REFERENCES issuances (root_id),
            CONSTRAINT fk_blocks_account_id_accounts FOREIGN KEY(account_id)
                REFERENCES accounts (id)
        )""")
    op.execute("INSERT INTO blocks_new SELECT id, root_id, account_id, serial_start, "
               "serial_end, reservation_id, created_seq, closed_seq FROM blocks")
    op.execute("DROP TABLE blocks")
    op.execute("ALTER TABLE blocks_new RENAME TO blocks")
    for index in _INDEXES:
        op.execute(index)

    op.execute("""
        CREATE TABLE idempotency_keys_new (
            actor_key VARCHAR(200) NOT NULL,
            "key" VARCHAR(200) NOT NULL,
            fingerprint VARCHAR(64) NOT NULL,
            status_code INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at VARCHAR(40) NOT NULL,
            CONSTRAINT pk_idempotency_keys PRIMARY KEY (actor_key, "key")
        ) WITHOUT ROWID""")
    op.execute('INSERT INTO idempotency_keys_new SELECT actor_key, "key", fingerprint, '
               "status_code, body, created_at FROM idempotency_keys")
    op.execute("DROP TABLE idempotency_keys")
    op.execute("ALTER TABLE idempotency_keys_new RENAME TO idempotency_keys")

    op.execute("""
        CREATE TABLE api_tokens_new (
            token_hash VARCHAR(64) NOT NULL,
            user_id INTEGER NOT NULL,
            created_at VARCHAR(40) NOT NULL,
            expires_at VARCHAR(40) NOT NULL,
            CONSTRAINT pk_api_tokens PRIMARY KEY (token_hash),
            CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY(user_id) REFERENCES users (id)
        )""")
    op.execute("INSERT INTO api_tokens_new SELECT token_hash, user_id, created_at, expires_at "
               "FROM api_tokens")
    op.execute("DROP TABLE api_tokens")
    op.execute("ALTER TABLE api_tokens_new RENAME TO api_tokens")


def _upgrade_postgresql() -> None:
    op.execute("ALTER TABLE journal DROP CONSTRAINT uq_journal_hash")
    op.execute("ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS uq_api_tokens_token_hash")
    op.execute("DROP INDEX ix_blocks_account_live")
    op.execute("DROP INDEX ix_blocks_reservation")
    for index in _INDEXES:
        op.execute(index)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    raise NotImplementedError("0002 is not reversible; restore from a backup instead")

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
_INDEXES_0001 = [
    "CREATE INDEX ix_blocks_account_live ON blocks (account_id, closed_seq)",
    "CREATE INDEX ix_blocks_reservation ON blocks (reservation_id)",
]

_COLUMNS = {
    "journal": "seq, recorded_at, actor, request_id, idempotency_key, command, payload, "
               "postings, prev_hash, hash",
    "blocks": "id, root_id, account_id, serial_start, serial_end, reservation_id, created_seq, "
              "closed_seq",
    "idempotency_keys": 'actor_key, "key", fingerprint, status_code, body, created_at',
    "api_tokens": "token_hash, user_id, created_at, expires_at",
}


def _journal(seq_type: str, extra: str = "") -> str:
    return f"""
        CREATE TABLE journal_new (
            seq {seq_type} NOT NULL,
            recorded_at VARCHAR(40) NOT NULL,
            actor VARCHAR(200) NOT NULL,
            request_id VARCHAR(200) NOT NULL,
            idempotency_key VARCHAR(200),
            command VARCHAR(64) NOT NULL,
            payload TEXT NOT NULL,
            postings TEXT NOT NULL,
            prev_hash VARCHAR(64) NOT NULL,
            hash VARCHAR(64) NOT NULL,
            CONSTRAINT pk_journal PRIMARY KEY (seq){extra}
        )"""


def _blocks(id_type: str) -> str:
    return f"""
        CREATE TABLE blocks_new (
            id {id_type} NOT NULL,
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
        )"""


def _idempotency_keys(table_options: str) -> str:
    return f"""
        CREATE TABLE idempotency_keys_new (
            actor_key VARCHAR(200) NOT NULL,
            "key" VARCHAR(200) NOT NULL,
            fingerprint VARCHAR(64) NOT NULL,
            status_code INTEGER NOT NULL,
            body TEXT NOT NULL,
            created_at VARCHAR(40) NOT NULL,
            CONSTRAINT pk_idempotency_keys PRIMARY KEY (actor_key, "key")
        ){table_options}"""


def _api_tokens(extra: str = "") -> str:
    return f"""
        CREATE TABLE api_tokens_new (
            token_hash VARCHAR(64) NOT NULL,
            user_id INTEGER NOT NULL,
            created_at VARCHAR(40) NOT NULL,
            expires_at VARCHAR(40) NOT NULL,
            CONSTRAINT pk_api_tokens PRIMARY KEY (token_hash),
            CONSTRAINT fk_api_tokens_user_id_users FOREIGN KEY(user_id) REFERENCES users (id){extra}
        )"""


def _rebuild(table: str, create_sql: str) -> None:
    """SQLite cannot change a primary key or drop a constraint in place: copy the rows into
    a table of the new shape, drop the old one (its triggers and indexes go with it) and
    rename."""
    op.execute(create_sql)
    op.execute(f"INSERT INTO {table}_new SELECT {_COLUMNS[table]} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")


def _upgrade_sqlite() -> None:
    _rebuild("journal", _journal("INTEGER"))
    for trigger in _TRIGGERS_SQLITE:
        op.execute(trigger)
    _rebuild("blocks", _blocks("INTEGER"))
    for index in _INDEXES:
        op.execute(index)
    _rebuild("idempotency_keys", _idempotency_keys(" WITHOUT ROWID"))
    _rebuild("api_tokens", _api_tokens())


def _downgrade_sqlite() -> None:
    _rebuild("journal", _journal("BIGINT", ",\n            CONSTRAINT uq_journal_hash UNIQUE (hash)"))
    for trigger in _TRIGGERS_SQLITE:
        op.execute(trigger)
    _rebuild("blocks", _blocks("BIGINT"))
    for index in _INDEXES_0001:
        op.execute(index)
    _rebuild("idempotency_keys", _idempotency_keys(""))
    _rebuild("api_tokens", _api_tokens(
        ",\n            CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash)"))


def _upgrade_postgresql() -> None:
    op.execute("ALTER TABLE journal DROP CONSTRAINT uq_journal_hash")
    op.execute("ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS uq_api_tokens_token_hash")
    op.execute("DROP INDEX ix_blocks_account_live")
    op.execute("DROP INDEX ix_blocks_reservation")
    for index in _INDEXES:
        op.execute(index)


def _downgrade_postgresql() -> None:
    op.execute("ALTER TABLE journal ADD CONSTRAINT uq_journal_hash UNIQUE (hash)")
    op.execute("DROP INDEX ix_blocks_account_live")
    op.execute("DROP INDEX ix_blocks_reservation")
    for index in _INDEXES_0001:
        op.execute(index)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    """Back to the 0001 shape, rows kept (the journal keeps its append-only triggers)."""
    if op.get_bind().dialect.name == "sqlite":
        _downgrade_sqlite()
    else:
        _downgrade_postgresql()

"""derived journal head, small idempotency rows: fewer pages written per command

Measured on a transfer (``benchmarks/ledger.py``), every command wrote 7.5 WAL pages, of
which 3.0 were ``idempotency_keys`` (each row carried the whole response, ~500 bytes, so the
WITHOUT ROWID b-tree split every few inserts) and 1.0 was ``registry_state`` (rewritten to
move the journal head and the next block id). This revision:

* drops ``head_seq``, ``head_hash`` and ``next_block_id`` from ``registry_state``: the head is
  the journal's last row and the next block id follows the largest block id, both read by
  the same statement that locks the state row (journal and blocks are append-only, and
  writers are serialised, so the derived values are exact). The row keeps the counters
  that only issuance and account opening move, and stays the lock of write units on
  PostgreSQL;
* adds ``idempotency_keys.journal_seq`` and lets ``body`` be NULL: when a response is the
  journal entry's payload plus ``journal_seq`` (transfers, issuance, invalidations...), the
  row stores the sequence number and a replay rebuilds the same bytes from the journal.

Revision ID: 0005
Revises: 0004
"""

import json

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _rebuild_sqlite(table: str, create_sql: str, columns: str) -> None:
    op.execute(create_sql.replace(f"CREATE TABLE {table}", f"CREATE TABLE {table}_new", 1))
    op.execute(f"INSERT INTO {table}_new ({columns}) SELECT {columns} FROM {table}")
    op.execute(f"DROP TABLE {table}")
    op.execute(f"ALTER TABLE {table}_new RENAME TO {table}")


_STATE_0005 = """CREATE TABLE registry_state (
    id INTEGER NOT NULL,
    next_serial BIGINT NOT NULL,
    next_account_seq INTEGER NOT NULL,
    CONSTRAINT pk_registry_state PRIMARY KEY (id)
)"""
_STATE_0004 = """CREATE TABLE registry_state (
    id INTEGER NOT NULL,
    next_serial BIGINT NOT NULL,
    next_block_id BIGINT NOT NULL,
    next_account_seq INTEGER NOT NULL,
    head_seq BIGINT NOT NULL,
    head_hash VARCHAR(64) NOT NULL,
    CONSTRAINT pk_registry_state PRIMARY KEY (id)
)"""


def _idempotency_sqlite(body_null: str, journal_seq: str) -> str:
    return f"""CREATE TABLE idempotency_keys (
    actor_key VARCHAR(200) NOT NULL,
    "key" VARCHAR(200) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    status_code INTEGER NOT NULL,{journal_seq}
    body TEXT{body_null},
    created_at VARCHAR(40) NOT NULL,
    CONSTRAINT pk_idempotency_keys PRIMARY KEY (actor_key, "key")
) WITHOUT ROWID"""


_IDEMPOTENCY_COLUMNS = 'actor_key, "key", fingerprint, status_code, body, created_at'


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite("registry_state", _STATE_0005, "id, next_serial, next_account_seq")
        _rebuild_sqlite("idempotency_keys",
                        _idempotency_sqlite("", "\n    journal_seq BIGINT,"),
                        _IDEMPOTENCY_COLUMNS)
    else:
        op.execute("ALTER TABLE registry_state DROP COLUMN next_block_id, "
                   "DROP COLUMN head_seq, DROP COLUMN head_hash")
        op.execute("ALTER TABLE idempotency_keys ADD COLUMN journal_seq BIGINT, "
                   "ALTER COLUMN body DROP NOT NULL")


def _response_body(payload_json: str, seq: int) -> str:
    # the canonical JSON of the messagebus (sorted keys, no spaces, UTF-8 kept)
    return json.dumps(json.loads(payload_json) | {"journal_seq": seq}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)


def downgrade() -> None:
    """Back to the 0004 shape: the head and next block id are stored again, and responses
    kept by reference are written out in full."""
    bind = op.get_bind()
    by_reference = bind.exec_driver_sql(
        'SELECT i.actor_key, i."key", j.payload, j.seq FROM idempotency_keys i '
        "JOIN journal j ON j.seq = i.journal_seq WHERE i.body IS NULL").fetchall()
    for actor_key, key, payload, seq in by_reference:
        bind.exec_driver_sql(
            'UPDATE idempotency_keys SET body = %(body)s WHERE actor_key = %(a)s AND "key" = %(k)s'
            if bind.dialect.name != "sqlite" else
            'UPDATE idempotency_keys SET body = :body WHERE actor_key = :a AND "key" = :k',
            {"body": _response_body(payload, seq), "a": actor_key, "k": key})
    head = ("COALESCE((SELECT seq FROM journal ORDER BY seq DESC LIMIT 1), 0)",
            "COALESCE((SELECT hash FROM journal ORDER BY seq DESC LIMIT 1), '" + "0" * 64 + "')",
            "COALESCE((SELECT max(id) FROM blocks), 0) + 1")
    if bind.dialect.name == "sqlite":
        _rebuild_sqlite("idempotency_keys", _idempotency_sqlite(" NOT NULL", ""),
                        _IDEMPOTENCY_COLUMNS)
        op.execute(_STATE_0004.replace("CREATE TABLE registry_state",
                                       "CREATE TABLE registry_state_new", 1))
        op.execute("INSERT INTO registry_state_new (id, next_serial, next_block_id, "
                   "next_account_seq, head_seq, head_hash) SELECT id, next_serial, "
                   f"{head[2]}, next_account_seq, {head[0]}, {head[1]} FROM registry_state")
        op.execute("DROP TABLE registry_state")
        op.execute("ALTER TABLE registry_state_new RENAME TO registry_state")
    else:
        op.execute("ALTER TABLE idempotency_keys DROP COLUMN journal_seq, "
                   "ALTER COLUMN body SET NOT NULL")
        op.execute("ALTER TABLE registry_state ADD COLUMN next_block_id BIGINT, "
                   "ADD COLUMN head_seq BIGINT, ADD COLUMN head_hash VARCHAR(64)")
        op.execute(f"UPDATE registry_state SET next_block_id = {head[2]}, "
                   f"head_seq = {head[0]}, head_hash = {head[1]}")
        op.execute("ALTER TABLE registry_state ALTER COLUMN next_block_id SET NOT NULL, "
                   "ALTER COLUMN head_seq SET NOT NULL, ALTER COLUMN head_hash SET NOT NULL")

"""The migrations build exactly the schema that ``tables.py`` declares, on both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlalchemy import inspect

from jcredit.adapters.db import tables
from jcredit.adapters.db.engine import build_engine
from jcredit.adapters.db.migrate import upgrade


def schema_differences(engine: Engine) -> list[Any]:
    """What Alembic's autogenerate finds between the database and ``tables.py`` (its own
    version table and the case search's full-text index, made by migration 0016 and not
    declared in tables.py, aside)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        return [d for d in compare_metadata(context, tables.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table"
                        and (d[1].name == "alembic_version"
                             or d[1].name.startswith("cases_fts")))
                and not (isinstance(d, tuple) and d[0] == "remove_index"
                         and d[1].name == "ix_cases_search_trgm")]


def test_migrated_schema_matches_the_table_declarations(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        assert schema_differences(engine) == []
        indexes = {i["name"]: i for i in inspect(engine).get_indexes("blocks")}
        assert set(indexes) >= {"ix_blocks_account_live", "ix_blocks_reservation"}
    finally:
        engine.dispose()


def test_the_journal_stays_append_only_after_the_rebuild(database_url: str) -> None:
    engine = build_engine(database_url)
    try:
        with engine.connect() as connection:
            triggers = (
                connection.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                    "AND tbl_name = 'journal'").scalars().all()
                if engine.dialect.name == "sqlite" else
                connection.exec_driver_sql(
                    "SELECT tgname FROM pg_trigger WHERE tgrelid = 'journal'::regclass "
                    "AND NOT tgisinternal").scalars().all()
            )
        assert triggers
    finally:
        engine.dispose()


def test_upgrading_a_0001_database_keeps_its_rows(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    try:
        upgrade(engine, "0001")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO journal VALUES (1, 't', 'a', 'r', NULL, 'c', '{}', '[]', 'p', 'h')")
            connection.exec_driver_sql(
                "INSERT INTO idempotency_keys VALUES ('a', 'k', 'f', 200, '{}', 't')")
            connection.exec_driver_sql("INSERT INTO organisations VALUES (1, 'o', '7000012050002')")
            connection.exec_driver_sql(
                "INSERT INTO accounts VALUES (1, 'H-0000001-8', 'HOLDING', 1, 'n', 't')")
            connection.exec_driver_sql(
                "INSERT INTO issuances VALUES (1, 'JC', 'ER', 'FOREST', 'P', 'M', 'v', 'c', 2025, "
                "1, 10, 1)")
            connection.exec_driver_sql("INSERT INTO blocks VALUES (1, 1, 1, 1, 10, NULL, 1, NULL)")
        upgrade(engine)
        with engine.connect() as connection:
            counts = [connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                      for table in ("journal", "idempotency_keys", "blocks")]
        assert counts == [1, 1, 1]
        with engine.connect() as connection:  # 0006 copied the issuance's vintage
            assert connection.exec_driver_sql("SELECT vintage FROM blocks").scalar() == 2025
    finally:
        engine.dispose()


def test_every_migration_goes_down_to_0001_and_up_again_keeping_rows(
        database_url: str) -> None:
    from alembic import command

    from jcredit.adapters.db.migrate import alembic_config

    engine = build_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO journal VALUES (1, 't', 'a', 'r', NULL, 'c', '{}', '[]', 'p', 'h')")
            connection.exec_driver_sql(
                'INSERT INTO idempotency_keys (actor_key, "key", fingerprint, status_code, '
                "body, created_at) VALUES ('a', 'k', 'f', 200, '{}', 't')")
            # a response kept by reference to its journal entry (0005)
            connection.exec_driver_sql(
                'INSERT INTO idempotency_keys (actor_key, "key", fingerprint, status_code, '
                "journal_seq, body, created_at) VALUES ('a', 'r', 'f', 200, 1, NULL, 't')")
            connection.execute(tables.organisations.insert().values(
                id=1, name="o", corporate_number="7000012050002"))
            connection.execute(tables.accounts.insert().values(
                id=1, number="H-0000001-8", kind="HOLDING", organisation_id=1, name="n",
                opened_at="t"))
            connection.execute(tables.issuances.insert().values(
                root_id=1, scheme="JC", credit_type="ER", category="FOREST", project_id="P",
                methodology_id="M", methodology_version="v", certification_number="c",
                vintage=2021, serial_start=1, serial_end=10, issued_seq=1))
            connection.execute(tables.blocks.insert().values(
                id=1, root_id=1, account_id=1, serial_start=1, serial_end=10, created_seq=1,
                vintage=2021))
        config = alembic_config(engine.url.render_as_string(hide_password=False))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with engine.connect() as connection:
            counts = [connection.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar()
                      for table in ("journal", "idempotency_keys")]
            rebuilt = connection.exec_driver_sql(
                "SELECT body FROM idempotency_keys WHERE \"key\" = 'r'").scalar()
        assert counts == [1, 2]
        assert rebuilt == '{"journal_seq":1}'  # the entry's payload {} plus its seq
        upgrade(engine)
        assert schema_differences(engine) == []
        with engine.connect() as connection:  # the block is back, with its vintage (0006)
            assert connection.exec_driver_sql(
                "SELECT id, vintage FROM blocks").all() == [(1, 2021)]
    finally:
        engine.dispose()

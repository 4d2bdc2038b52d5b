"""SQLAlchemy 2 (Core) persistence for SQLite and PostgreSQL, with Alembic migrations."""

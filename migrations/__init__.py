"""Alembic migrations; they run on Postgres and on SQLite (batch mode)."""

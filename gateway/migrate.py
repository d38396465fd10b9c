"""Apply Alembic migrations programmatically (what `linkgate migrate` and embedded `serve` do)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_to_head(database_url: str) -> None:
    """Bring the database at `database_url` to the newest revision. Safe to run repeatedly."""
    command.upgrade(alembic_config(database_url), "head")

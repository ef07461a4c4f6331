"""Alembic's environment for the desk: the engine comes from ``desk._db`` (so SQLite gets
its pragmas) or is made from the configured URL."""

from __future__ import annotations

from alembic import context

from desk._db import make_engine
from desk._models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=connection.dialect.name == "sqlite",
                          compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()

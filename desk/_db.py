"""The database: an engine for a URL, sessions, and the check that its schema is current.

The embedded default is a SQLite file in the data directory, in WAL mode (readers do not
wait for the writer) with ``synchronous=FULL`` (a committed upload survives a power cut,
not only a killed process) and foreign keys on.  PostgreSQL by URL
(``postgresql+psycopg://user@host:port/db``).  The schema is Alembic's
(``desk/migrations``): ``upgrade(url)`` applies what is missing, and ``Desk`` refuses to
open a database whose revision is not the newest (``DatabaseNotMigrated``).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .errors import DatabaseNotMigrated, DatabaseUnavailable

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # every connection, not only the first
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str, engine: Engine | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as e:
        raise DatabaseUnavailable(f"无法连接数据库：{_short(e)}",
                                  f"cannot reach the database: {_short(e)}") from None


def upgrade(engine: Engine, url: str) -> tuple[str | None, str]:
    """Apply every missing migration; returns (revision before, revision after)."""
    from alembic import command

    before = current_revision(engine)
    command.upgrade(alembic_config(url, engine), "head")
    return before, head_revision()


def check_migrated(engine: Engine) -> None:
    current, head = current_revision(engine), head_revision()
    if current != head:
        empty = not inspect(engine).get_table_names()
        state_zh = "是空的" if empty else f"的版本是 {current}，需要 {head}"
        state_en = "is empty" if empty else f"is at revision {current}, this xieyi needs {head}"
        raise DatabaseNotMigrated(
            f"数据库{state_zh}：请先运行 xieyi db upgrade（scripts/serve.sh 会自动运行）",
            f"the database {state_en}: run `xieyi db upgrade` first (scripts/serve.sh does)")


def _short(e: SQLAlchemyError) -> str:
    return str(getattr(e, "orig", e)).strip().splitlines()[0][:200]

"""The review desk: cases, documents, corrections, decisions and the audit trail, stored.

>>> from desk import Desk, DeskSettings, Actor, upgrade_database
>>> settings = DeskSettings.from_env()            # SQLite in the data directory by default
>>> upgrade_database(settings)                     # xieyi db upgrade
>>> desk = Desk(settings)
>>> admin = Actor("admin", "admin")
>>> inst = desk.register_institution(admin, name="景德镇市第一人民医院",
...     credit_code="91350100M000100Y43", category="medical", jurisdiction="jingdezhen")

Between ``api/`` (HTTP, the command line) and the pure cores (``forms``, ``parser``,
``rules``, ``scoring``, ``sources``): only this package knows the database and the file
store.  SQLAlchemy 2 models (``_models``) with Alembic migrations (``migrations/``);
files kept by content (``_store``); the audit trail hash-chained (``_audit``).
"""

from ._audit import SYSTEM, Actor
from ._db import check_migrated, current_revision, head_revision, make_engine
from ._desk import (
    SIGNED_AGREEMENT,
    STATUS_ZH,
    STATUSES,
    TRANSITIONS,
    Desk,
    DeskSettings,
    default_data_dir,
)
from ._store import BlobStore, LocalStore, store_from_url
from ._users import ROLE_ZH, ROLES
from .errors import (
    AccountLocked,
    Conflict,
    DatabaseNotMigrated,
    DatabaseUnavailable,
    DeskError,
    Forbidden,
    InstitutionInvalid,
    NotFound,
    StoreError,
    TransitionNotAllowed,
    Unauthenticated,
)

__all__ = [
    "SYSTEM", "Actor", "Desk", "DeskSettings", "default_data_dir", "upgrade_database",
    "ROLES", "ROLE_ZH", "SIGNED_AGREEMENT", "STATUSES", "STATUS_ZH", "TRANSITIONS",
    "BlobStore", "LocalStore", "store_from_url",
    "check_migrated", "current_revision", "head_revision", "make_engine",
    "AccountLocked", "Unauthenticated", "Conflict", "DatabaseNotMigrated", "DatabaseUnavailable", "DeskError", "Forbidden",
    "InstitutionInvalid", "NotFound", "StoreError", "TransitionNotAllowed",
]


def upgrade_database(settings: DeskSettings) -> tuple[str | None, str]:
    """Apply the missing migrations to the settings' database: (revision before, after)."""
    from ._db import upgrade

    engine = make_engine(settings.database_url)
    try:
        return upgrade(engine, settings.database_url)
    finally:
        engine.dispose()

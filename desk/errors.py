"""The desk's errors: one reason a user can act on each, bilingual, with HTTP and exit codes."""

from __future__ import annotations

from forms.errors import InputInvalid, XieyiError

__all__ = ["DeskError", "DatabaseNotMigrated", "DatabaseUnavailable", "StoreError",
           "NotFound", "TransitionNotAllowed", "InstitutionInvalid", "Conflict", "Forbidden",
           "Unauthenticated", "AccountLocked"]


class DeskError(XieyiError):
    """Base of the desk's errors."""

    code = "desk_error"


class DatabaseNotMigrated(DeskError):
    """The database's schema is not the one this version of xieyi needs."""

    code = "database_not_migrated"
    exit_status = 2
    http_status = 503


class DatabaseUnavailable(DeskError):
    code = "database_unavailable"
    exit_status = 2
    http_status = 503


class StoreError(DeskError):
    """The file store cannot keep or give back a file (configuration, disk, a missing blob)."""

    code = "store_error"
    exit_status = 2
    http_status = 503


class NotFound(DeskError):
    code = "not_found"
    exit_status = 2
    http_status = 404


class TransitionNotAllowed(DeskError):
    """A case was asked to move along a transition its status does not allow."""

    code = "transition_not_allowed"
    exit_status = 2
    http_status = 409


class Conflict(DeskError):
    """Someone else changed the object first: reload and try again."""

    code = "conflict"
    exit_status = 2
    http_status = 409


class Forbidden(DeskError):
    """The actor's role may not do this (whatever the object)."""

    code = "forbidden"
    exit_status = 2
    http_status = 403


class Unauthenticated(DeskError):
    """No log-in, a wrong password, or a token that is not (or no longer) valid."""

    code = "unauthenticated"
    exit_status = 2
    http_status = 401


class AccountLocked(DeskError):
    code = "account_locked"
    exit_status = 2
    http_status = 429


class InstitutionInvalid(InputInvalid):
    code = "institution_invalid"

"""The desk's tables (SQLAlchemy 2, typed declarative).  Alembic migrations in
``desk/migrations`` create them; a test checks that the migrations and these models agree.

Times are UTC (``DateTime(timezone=True)``); JSON columns hold plain data (records,
findings, the items of a return for correction) exactly as the pure cores give them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# constraint names fixed, so a migration written on SQLite names them as PostgreSQL does
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aware(t: dt.datetime) -> dt.datetime:
    """``t`` with its time zone: SQLite gives back naive datetimes, written in UTC."""
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Institution(Base):
    """An applicant: a hospital, a rehabilitation centre or an assistive-device provider."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    #: 统一社会信用代码, checked (GB 32100-2015) before it is stored
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    #: rules.CATEGORIES: medical / rehab / assistive
    category: Mapped[str] = mapped_column(String(20))
    #: for assistive-device providers, rules.KINDS (假肢矫形器, 助听器…)
    sub_kind: Mapped[str | None] = mapped_column(String(40))
    #: rules.JURISDICTIONS
    jurisdiction: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    cases: Mapped[list[Case]] = relationship(back_populates="institution")


class Case(Base):
    """An application for a service agreement, and everything done with it."""

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_status_deadline", "status", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(20))
    #: desk.STATUSES
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: the next deadline the case waits on (the agency's or the institution's), and what it is
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    deadline_step: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: bumped by every change: two reviewers acting at once cannot both win (409)
    row_version: Mapped[int] = mapped_column(Integer, default=1)

    institution: Mapped[Institution] = relationship(back_populates="cases")
    documents: Mapped[list[Document]] = relationship(back_populates="case",
                                                     order_by="Document.id")
    events: Mapped[list[CaseEvent]] = relationship(back_populates="case",
                                                   order_by="CaseEvent.id")

    __mapper_args__ = {"version_id_col": row_version}


class Blob(Base):
    """A file's bytes, kept once in the store under their SHA-256 whoever uploads them."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(100))
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Document(Base):
    """One upload to a case: a version of one of its documents.  A resubmission is a new
    version; earlier ones stay, and their originals stay in the store."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "slot", "version",
                                       name="uq_documents_case_slot_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    #: which of the case's documents this is a version of: a form id, or ``material:<name>``
    slot: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(ForeignKey("blobs.sha256"))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: stored → read | unreadable: the original is committed before anything reads it
    state: Mapped[str] = mapped_column(String(20), default="stored")
    #: the parser's result (``ParseResult.to_dict``) or its typed error.  The result and
    #: the report are tens of KB each: loaded only when one document is shown, not when a
    #: case lists its versions
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: the rules' report on the record (``rules.validate``), recomputed after corrections
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON, deferred=True)
    #: the report's outcome, for lists
    outcome: Mapped[str | None] = mapped_column(String(20))

    case: Mapped[Case] = relationship(back_populates="documents")
    blob: Mapped[Blob] = relationship(lazy="joined")
    corrections: Mapped[list[Correction]] = relationship(back_populates="document",
                                                         order_by="Correction.id")


class Correction(Base):
    """A reviewer's correction of one value read from a document: the parsed value stays."""

    __tablename__ = "corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    field: Mapped[str] = mapped_column(String(200))
    parsed: Mapped[Any] = mapped_column(JSON)
    corrected: Mapped[Any] = mapped_column(JSON)
    by: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    reason: Mapped[str] = mapped_column(Text)

    document: Mapped[Document] = relationship(back_populates="corrections")


class CaseEvent(Base):
    """A move of a case from one status to another, with what came with it."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: why: the reviewer's words; for a rejection, the reasons with their articles
    reason: Mapped[str | None] = mapped_column(Text)
    #: a return for correction: the items to correct; a rejection: the reasons
    items: Mapped[list[Any] | None] = mapped_column(JSON)
    deadline: Mapped[dt.date | None] = mapped_column(Date)

    case: Mapped[Case] = relationship(back_populates="events")


class AuditEntry(Base):
    """One entry of the append-only audit trail; ``hash`` covers the entry and the previous
    entry's hash, so an edit or a deletion anywhere breaks the chain (``desk.verify_audit``)."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: unique: two writers that read the same last entry cannot both append after it
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class User(Base):
    """An account: an institution's user, an agency reviewer, an admin or an auditor."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    #: desk.ROLES
    role: Mapped[str] = mapped_column(String(20))
    #: an institution user's institution
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    #: a reviewer's jurisdiction
    jurisdiction: Mapped[str | None] = mapped_column(String(20))
    #: argon2id
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A token for the REST API; only its SHA-256 is kept (the token is shown once)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()

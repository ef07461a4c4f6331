"""The audit trail: append-only, each entry hashed with the one before it.

Entries are written by the desk's operations themselves (``Desk``), in the same
transaction as the change they record: a change without its entry, or an entry
without its change, cannot be committed.  ``entry_hash`` covers every column but the
id and the hash; ``prev_hash`` is unique, so two writers that read the same last entry
cannot both append after it (the second retries).  ``verify`` walks the chain and
names the first entry that does not follow from the one before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ._models import AuditEntry, aware, utcnow

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who acts: a user with a role (``institution``, ``reviewer``, ``admin``, ``auditor``),
    the institution an institution user belongs to, the jurisdiction a reviewer works for,
    and the address the request came from."""

    name: str
    role: str
    institution_id: int | None = None
    jurisdiction: str | None = None
    address: str | None = None


#: what the command line acts as: the operator of the machine
SYSTEM = Actor("system", "admin")


def _utc(at: dt.datetime) -> str:
    return aware(at).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(e: AuditEntry) -> str:
    body = {"at": _utc(e.at), "actor": e.actor, "role": e.role, "address": e.address,
            "action": e.action, "object_type": e.object_type, "object_id": e.object_id,
            "before": e.before, "after": e.after, "prev_hash": e.prev_hash}
    canon = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                       default=str)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def append(session: Session, actor: Actor, action: str, object_type: str, object_id: Any,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    last = session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
                           ).scalar()
    e = AuditEntry(at=utcnow(), actor=actor.name, role=actor.role, address=actor.address,
                   action=action, object_type=object_type, object_id=str(object_id),
                   before=before, after=after, prev_hash=last or GENESIS)
    e.hash = entry_hash(e)
    session.add(e)
    session.flush()  # the unique prev_hash is checked now, inside the caller's transaction
    return e


def verify(session: Session) -> dict:
    """``{"entries": n, "ok": bool, "broken": None | {"id", "reason_zh", "reason_en"}}``."""
    prev = GENESIS
    n = 0
    for e in session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars():
        n += 1
        if e.prev_hash != prev:
            return {"entries": n, "ok": False, "broken": {
                "id": e.id, "reason_zh": "与前一条记录不相接（有记录被删除或改动）",
                "reason_en": "does not follow the entry before it (an entry was deleted or "
                             "altered)"}}
        if entry_hash(e) != e.hash:
            return {"entries": n, "ok": False, "broken": {
                "id": e.id, "reason_zh": "内容与其哈希不符（此记录被改动）",
                "reason_en": "its content does not match its hash (this entry was altered)"}}
        prev = e.hash
    return {"entries": n, "ok": True, "broken": None}

"""Accounts: who may act, as what, and how they prove it.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second
recommended parameters).  After ``MAX_FAILURES`` wrong passwords in a row an account is
locked for ``LOCK_MINUTES``; an unknown name costs the same hashing time as a known one,
so a response time does not tell which names exist.  API tokens are 256 random bits
shown once; only their SHA-256 is kept, so a copy of the database holds no usable token.
Every account change, log-in failure and lock is written to the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import string
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forms.errors import FieldProblem, InputInvalid

from . import _audit
from ._audit import Actor
from ._models import ApiToken, Institution, User, aware, utcnow
from .errors import AccountLocked, Forbidden, Unauthenticated

#: who may act: an institution's user (its own cases), an agency reviewer (the cases of
#: one jurisdiction), an admin (accounts), an auditor (the audit trail, read only)
ROLES = ("institution", "reviewer", "signer", "admin", "auditor")
ROLE_ZH = {"institution": "申请机构", "reviewer": "经办机构审查人员",
           "signer": "经办机构签约人员", "admin": "管理员",
           "auditor": "审计人员"}
MAX_FAILURES = 5
LOCK_MINUTES = 15
TOKEN_DAYS = 90
TOKEN_PREFIX = "xy_"


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


_DUMMY: str | None = None


def _dummy_hash() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _hasher().hash(secrets.token_hex(16))
    return _DUMMY


def new_password() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(16))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_view(u: User) -> dict:
    return {"id": u.id, "name": u.name, "role": u.role, "institution_id": u.institution_id,
            "jurisdiction": u.jurisdiction, "active": u.active,
            "locked": bool(u.locked_until and aware(u.locked_until) > utcnow()),
            "created_at": u.created_at.isoformat() if u.created_at else None}


def actor_of(u: User, address: str | None = None) -> Actor:
    return Actor(u.name, u.role, institution_id=u.institution_id, jurisdiction=u.jurisdiction,
                 address=address)


def add_user(s: Session, actor: Actor, *, name: str, role: str,
             institution_id: int | None = None, jurisdiction: str | None = None,
             password: str | None = None) -> tuple[dict, str]:
    """A new account: (its view, its password: the one given or a new one, shown once)."""
    from rules import JURISDICTIONS

    if actor.role != "admin":
        raise Forbidden("您的角色无权管理账户", "your role may not manage accounts")
    problems = []
    name = (name or "").strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        problems.append(FieldProblem("name", "name_invalid", "账户名：1 至 100 个字符，不含空白",
                                     "name: 1 to 100 characters, no spaces"))
    if role not in ROLES:
        problems.append(FieldProblem("role", "not_a_choice", f"角色：应为 {'、'.join(ROLES)} 之一",
                                     f"role: one of {', '.join(ROLES)}"))
    if role == "institution" and institution_id is None:
        problems.append(FieldProblem("institution_id", "required", "机构用户须指定机构",
                                     "an institution user needs institution_id"))
    if role == "institution" and institution_id is not None and s.get(
            Institution, institution_id) is None:
        problems.append(FieldProblem("institution_id", "not_found", f"没有编号为 {institution_id} 的机构",
                                     f"no institution {institution_id}"))
    if role in ("reviewer", "signer") and jurisdiction not in JURISDICTIONS:
        problems.append(FieldProblem("jurisdiction", "not_a_choice",
                                     f"审查人员与签约人员须指定地区：{'、'.join(JURISDICTIONS)}",
                                     f"a {role} needs a jurisdiction: {', '.join(JURISDICTIONS)}"))
    if role != "institution" and institution_id is not None:
        problems.append(FieldProblem("institution_id", "unexpected", "只有机构用户属于机构",
                                     "only institution users belong to an institution"))
    if role not in ("reviewer", "signer") and jurisdiction is not None:
        problems.append(FieldProblem("jurisdiction", "unexpected", "只有审查人员与签约人员属于地区",
                                     "only reviewers and signers belong to a jurisdiction"))
    if password is not None and len(password) < 10:
        problems.append(FieldProblem("password", "too_short", "密码至少 10 个字符",
                                     "password: at least 10 characters"))
    if problems:
        raise InputInvalid(f"账户信息有 {len(problems)} 处错误",
                           f"the account has {len(problems)} error(s)", problems)
    if s.execute(select(User.id).where(User.name == name)).first():
        from .errors import Conflict

        raise Conflict(f"账户名 {name} 已存在", f"the account {name} exists already")
    password = password or new_password()
    u = User(name=name, role=role, institution_id=institution_id, jurisdiction=jurisdiction,
             password_hash=_hasher().hash(password))
    s.add(u)
    s.flush()
    view = user_view(u)
    _audit.append(s, actor, "user.add", "user", u.id, after=view)
    return view, password


def has_users(s: Session) -> bool:
    return bool(s.execute(select(func.count(User.id))).scalar())


def authenticate(s: Session, name: str, password: str, address: str | None) -> User:
    """The account ``name`` if ``password`` is its password; counts failures and locks."""
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    u = s.execute(select(User).where(User.name == (name or ""))).scalar_one_or_none()
    now = utcnow()
    if u is not None and u.locked_until and aware(u.locked_until) > now:
        raise AccountLocked(
            f"连续输错密码 {MAX_FAILURES} 次，账户已锁定至 {aware(u.locked_until):%H:%M}（UTC）",
            f"too many wrong passwords: the account is locked until "
            f"{aware(u.locked_until):%H:%M} UTC")
    try:
        _hasher().verify(u.password_hash if u else _dummy_hash(), password or "")
        ok = u is not None and u.active
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    if ok:
        if u.failed_logins:
            u.failed_logins = 0
        return u
    if u is not None:
        u.failed_logins += 1
        who = actor_of(u, address)
        if u.failed_logins >= MAX_FAILURES:
            u.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            u.failed_logins = 0
            _audit.append(s, who, "user.locked", "user", u.id,
                          after={"locked_until": u.locked_until.isoformat()})
        else:
            _audit.append(s, who, "user.login_failed", "user", u.id,
                          after={"failed_logins": u.failed_logins})
    raise Unauthenticated("账户名或密码不对", "wrong account name or password")


def issue_token(s: Session, u: User, label: str, address: str | None = None) -> dict:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    t = ApiToken(user=u, token_hash=token_hash(token), label=(label or "api")[:100],
                 expires_at=utcnow() + dt.timedelta(days=TOKEN_DAYS))
    s.add(t)
    s.flush()
    _audit.append(s, actor_of(u, address), "token.issue", "token", t.id,
                  after={"label": t.label, "expires_at": t.expires_at.isoformat()})
    return {"token": token, "expires_at": t.expires_at.isoformat(), "user": user_view(u)}


def user_for_token(s: Session, token: str) -> User:
    t = s.execute(select(ApiToken).where(ApiToken.token_hash == token_hash(token or ""))
                  ).scalar_one_or_none()
    if t is None or t.revoked_at is not None or aware(t.expires_at) <= utcnow() \
            or not t.user.active:
        raise Unauthenticated("令牌无效或已过期，请重新登录", "the token is not valid (expired, "
                              "revoked or unknown): log in again")
    return t.user


def list_users(s: Session, actor: Actor) -> list[dict[str, Any]]:
    if actor.role != "admin":
        raise Forbidden("您的角色无权管理账户", "your role may not manage accounts")
    return [user_view(u) for u in s.execute(select(User).order_by(User.id)).scalars()]

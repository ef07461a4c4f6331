"""The review desk: institutions, their application cases, the documents of a case, the
moves of a case through its review, every step audited.

``Desk(settings)`` opens the database (refusing one that is not migrated) and the store.
Each operation takes the ``Actor`` who acts, checks what that actor may do and see, does
its work in one transaction together with its audit entry, and returns plain data (the
same dicts the API and the command line print).  A case another actor may not see is
``NotFound``, exactly as a case that does not exist: its existence is not disclosed.

Uploads: the bytes go to the store (fsync'd) and the document row is committed with
state ``stored`` *before* anything reads the file; reading (the parser, in its worker
process under its limits) and checking (the rules, on the record) follow and are
recorded as the document's ``read`` or ``unreadable`` state.  The original is never
altered: corrections are kept beside the parsed value, and a resubmission is a new
version of the document.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from forms.errors import FieldProblem, InputInvalid, XieyiError

from . import _audit, _users
from ._audit import Actor
from ._db import check_migrated, make_engine
from ._models import (Blob, Case, CaseEvent, Correction, Document, Institution, User, aware,
                      utcnow)
from ._store import BlobStore, sha256_of, store_from_url
from .errors import (AccountLocked, Conflict, Forbidden, InstitutionInvalid, NotFound,
                     StoreError, TransitionNotAllowed, Unauthenticated)

# ---------------------------------------------------------------- the workflow

STATUSES = ("submitted", "in_review", "returned", "resubmitted", "approved", "rejected",
            "signed")
STATUS_ZH = {"submitted": "已提交", "in_review": "审查中", "returned": "需补正",
             "resubmitted": "已补正", "approved": "通过", "rejected": "不予通过",
             "signed": "已签约"}


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    action: str
    roles: frozenset[str]
    zh: str


TRANSITIONS = (
    Transition("submitted", "in_review", "start_review", frozenset({"reviewer"}), "开始审查"),
    Transition("resubmitted", "in_review", "start_review", frozenset({"reviewer"}), "开始审查"),
    Transition("in_review", "returned", "return", frozenset({"reviewer"}), "退回补正"),
    Transition("returned", "resubmitted", "resubmit", frozenset({"institution"}), "提交补正材料"),
    Transition("in_review", "approved", "approve", frozenset({"reviewer"}), "审查通过"),
    Transition("in_review", "rejected", "reject", frozenset({"reviewer"}), "不予通过"),
    # 逾期不补正的视作放弃申请 (湖南 第十一条（二）, 景德镇 二、2.)
    Transition("returned", "rejected", "reject", frozenset({"reviewer"}), "不予通过"),
    Transition("approved", "signed", "sign", frozenset({"reviewer", "signer"}), "签订协议"),
)
_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}
#: statuses in which the institution may add or replace documents
UPLOAD_STATUSES = {"institution": {"submitted", "returned"},
                   "reviewer": {"submitted", "in_review", "returned", "resubmitted", "approved"},
                   "signer": {"approved"}}
#: roles that work for one jurisdiction and see its cases
JURISDICTION_ROLES = ("reviewer", "signer")
#: the slot of the signed agreement, which a case needs before it is signed, and of the
#: drafts xieyi generates for signature
SIGNED_AGREEMENT = "agreement:signed"
AGREEMENT_DRAFT = "agreement:draft"
#: the rules' steps that give a case's deadline: the agency's notice of missing materials
#: from receipt, the institution's reply from the notice
INTAKE_STEP = "supplement_notice"
REPLY_STEP = "supplement_reply"
#: and the evaluation's limit from acceptance, while the case is in review
EVALUATION_STEP = "evaluation"
#: the widths page images are drawn at (a screen's, a wide screen's): few, so the cache
#: holds few images of each page
PAGE_WIDTHS = (1000, 1600)
#: the scoring tables a panel fills for an application (not the annual assessment)
SCORED_PURPOSES = ("admission", "entered", "checklist")


# ---------------------------------------------------------------- settings

def default_data_dir() -> Path:
    env = os.environ.get("XIEYI_DATA_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "xieyi"


@dataclass(frozen=True)
class DeskSettings:
    """Where the desk keeps its data; checked when made.

    ``database_url``: SQLAlchemy URL (default: ``sqlite:///<data dir>/xieyi.sqlite3``);
    ``store_url``: where originals go (default: ``<data dir>/store``)."""

    database_url: str
    store_url: str
    #: where page images of stored documents are kept, by content hash ("" keeps none)
    cache_dir: str = ""

    def __post_init__(self) -> None:
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql+psycopg:// URL, "
                             f"not {self.database_url!r}")
        if not self.store_url:
            raise ValueError("store_url must not be empty")

    @classmethod
    def from_mapping(cls, m, prefix: str = "") -> DeskSettings:
        data_dir = Path(m.get(f"{prefix}DATA_DIR") or default_data_dir())
        return cls(database_url=m.get(f"{prefix}DATABASE_URL")
                   or f"sqlite:///{data_dir / 'xieyi.sqlite3'}",
                   store_url=m.get(f"{prefix}STORE_URL") or str(data_dir / "store"),
                   cache_dir=m.get(f"{prefix}CACHE_DIR") or str(data_dir / "cache"))

    @classmethod
    def from_env(cls) -> DeskSettings:
        return cls.from_mapping(os.environ, "XIEYI_")


# ---------------------------------------------------------------- helpers

def _iso(v: dt.datetime | dt.date | None) -> str | None:
    if v is None:
        return None
    return (aware(v) if isinstance(v, dt.datetime) else v).isoformat()


def _problem(field: str, code: str, zh: str, en: str) -> FieldProblem:
    return FieldProblem(field, code, zh, en)


def _case_not_found(case_id: Any) -> NotFound:
    return NotFound(f"没有编号为 {case_id} 的案件", f"no case {case_id}")


def _today() -> dt.date:
    return dt.date.today()


#: unique constraints two concurrent writers may both reach (SQLite and PostgreSQL name
#: them differently); the loser retries
_RETRIED = ("prev_hash", "uq_documents_case_slot_version", "documents.case_id",
            "blobs.sha256", "pk_blobs")


class Desk:
    """The review desk over one database and one store (see the module doc)."""

    def __init__(self, settings: DeskSettings, *, store: BlobStore | None = None,
                 check: bool = True):
        self.settings = settings
        self.engine = make_engine(settings.database_url)
        if check:
            check_migrated(self.engine)
        self.store = store or store_from_url(settings.store_url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ transactions

    @contextmanager
    def _session(self):
        s: Session = self._sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def _run(self, work: Callable[[Session], Any]) -> Any:
        """``work`` in a transaction, retried when another writer appended to the audit trail
        first or held SQLite's write lock; a concurrent change of the same case is a 409."""
        for attempt in range(8):
            try:
                with self._session() as s:
                    return work(s)
            except IntegrityError as e:
                # another writer took the same next audit entry or document version, or
                # stored the same bytes first: the retry sees what it committed
                if not any(k in str(e.orig) for k in _RETRIED) or attempt == 7:
                    raise
            except OperationalError as e:
                if "locked" not in str(e.orig) or attempt == 7:
                    raise
            except StaleDataError:
                raise Conflict("案件已被他人修改，请刷新后重试",
                               "the case was changed by someone else: reload and try again"
                               ) from None
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ visibility

    @staticmethod
    def _sees(actor: Actor, case: Case) -> bool:
        if actor.role in ("admin", "auditor"):
            return True
        if actor.role == "institution":
            return actor.institution_id is not None and case.institution_id == actor.institution_id
        if actor.role in JURISDICTION_ROLES:
            return actor.jurisdiction is not None and case.jurisdiction == actor.jurisdiction
        return False

    def _case(self, s: Session, actor: Actor, case_id: Any) -> Case:
        cid = _int(case_id)
        case = s.get(Case, cid) if cid > 0 else None
        if case is None or not self._sees(actor, case):
            raise _case_not_found(case_id)
        return case

    # ------------------------------------------------------------ institutions

    def register_institution(self, actor: Actor, *, name: str, credit_code: str,
                             category: str, jurisdiction: str,
                             sub_kind: str | None = None) -> dict:
        from forms import check_text
        from forms._credit_code import credit_code_problem
        from rules import CATEGORIES, JURISDICTIONS, KINDS

        if actor.role not in ("admin", "reviewer"):
            raise _forbidden("登记申请机构", "register an institution")
        check_text({"name": name, "credit_code": credit_code}, "机构信息", "the institution")
        problems = []
        name = (name or "").strip()
        if not name or len(name) > 200:
            problems.append(_problem("name", "name_invalid", "机构名称：应为 1 至 200 个字",
                                     "name: 1 to 200 characters"))
        code = (credit_code or "").strip().upper()
        why = credit_code_problem(code)
        if why:
            problems.append(_problem("credit_code", "credit_code_invalid",
                                     f"统一社会信用代码：{why[0]}", f"credit_code: {why[1]}"))
        if category not in CATEGORIES:
            problems.append(_problem("category", "category_unknown",
                                     f"机构类别：应为 {'、'.join(CATEGORIES)} 之一",
                                     f"category: one of {', '.join(CATEGORIES)}"))
        if jurisdiction not in JURISDICTIONS:
            problems.append(_problem("jurisdiction", "jurisdiction_unknown",
                                     f"地区：应为 {'、'.join(JURISDICTIONS)} 之一",
                                     f"jurisdiction: one of {', '.join(JURISDICTIONS)}"))
        if category == "assistive" and sub_kind not in KINDS:
            problems.append(_problem("sub_kind", "sub_kind_unknown",
                                     f"辅助器具配置机构的类型：应为 {'、'.join(KINDS)} 之一",
                                     f"sub_kind: one of {', '.join(KINDS)}"))
        if category != "assistive" and sub_kind is not None:
            problems.append(_problem("sub_kind", "sub_kind_unexpected",
                                     "只有辅助器具配置机构填写类型",
                                     "sub_kind is for assistive-device providers only"))
        if actor.role == "reviewer" and jurisdiction != actor.jurisdiction:
            problems.append(_problem("jurisdiction", "jurisdiction_not_yours",
                                     "只能登记本地区的机构", "only institutions of your "
                                     "jurisdiction"))
        if problems:
            raise InstitutionInvalid(f"机构信息有 {len(problems)} 处错误",
                                     f"the institution has {len(problems)} error(s)", problems)

        def work(s: Session) -> dict:
            if s.execute(select(Institution.id).where(Institution.credit_code == code)).first():
                raise Conflict(f"统一社会信用代码 {code} 已登记", f"credit code {code} is "
                               "already registered")
            inst = Institution(name=name, credit_code=code, category=category,
                               sub_kind=sub_kind, jurisdiction=jurisdiction)
            s.add(inst)
            s.flush()
            view = institution_view(inst)
            _audit.append(s, actor, "institution.register", "institution", inst.id,
                          after=view)
            return view

        return self._run(work)

    # ------------------------------------------------------------ cases

    def open_case(self, actor: Actor, institution_id: Any) -> dict:
        if actor.role not in ("institution", "reviewer", "admin"):
            raise _forbidden("提交申请", "open a case")

        def work(s: Session) -> dict:
            iid = _int(institution_id)
            inst = s.get(Institution, iid) if iid > 0 else None
            visible = inst is not None and (
                actor.role == "admin"
                or (actor.role == "institution" and actor.institution_id == inst.id)
                or (actor.role == "reviewer" and actor.jurisdiction == inst.jurisdiction))
            if not visible:
                raise NotFound(f"没有编号为 {institution_id} 的机构",
                               f"no institution {institution_id}")
            now = utcnow()
            case = Case(institution=inst, jurisdiction=inst.jurisdiction,
                        category=inst.category, status="submitted", opened_at=now,
                        updated_at=now)
            _set_deadline(case, INTAKE_STEP, now.date())
            s.add(case)
            s.flush()
            s.add(CaseEvent(case=case, from_status=None, to_status="submitted",
                            actor=actor.name, at=now, deadline=case.deadline))
            view = case_view(case, actor)
            _audit.append(s, actor, "case.open", "case", case.id,
                          after={"status": case.status, "institution_id": inst.id,
                                 "deadline": _iso(case.deadline)})
            return view

        return self._run(work)

    def case(self, actor: Actor, case_id: Any) -> dict:
        with self._session() as s:
            return case_view(self._case(s, actor, case_id), actor, full=True)

    def cases(self, actor: Actor, *, status: str | None = None,
              jurisdiction: str | None = None, deadline_before: dt.date | None = None,
              page: int = 1, per_page: int = 20) -> dict:
        """The cases ``actor`` may see, closest deadline first, a page at a time."""
        q = select(Case)
        if actor.role == "institution":
            q = q.where(Case.institution_id == (actor.institution_id or -1))
        elif actor.role in JURISDICTION_ROLES:
            q = q.where(Case.jurisdiction == (actor.jurisdiction or ""))
        elif actor.role not in ("admin", "auditor"):
            q = q.where(Case.id == -1)
        if status is not None:
            q = q.where(Case.status == status)
        if jurisdiction is not None:
            q = q.where(Case.jurisdiction == jurisdiction)
        if deadline_before is not None:
            q = q.where(Case.deadline < deadline_before)
        with self._session() as s:
            total = s.execute(select(func.count()).select_from(q.subquery())).scalar_one()
            rows = s.execute(q.order_by(Case.deadline.is_(None), Case.deadline, Case.id)
                             .offset((page - 1) * per_page).limit(per_page)).scalars().all()
            return {"total": total, "page": page, "per_page": per_page,
                    "items": [case_view(c, actor) for c in rows]}

    def move(self, actor: Actor, case_id: Any, to: str, *, reason: str | None = None,
             items: list | None = None, working_days: int | None = None,
             expected_version: int | None = None) -> dict:
        """Move a case to status ``to`` along an allowed transition (see ``TRANSITIONS``).

        ``returned`` needs ``items`` (what to correct) and gets its deadline from the
        jurisdiction's rules (``supplement_reply``), or from ``working_days`` where the
        rules set none; ``rejected`` needs ``items``: reasons, each citing an article;
        ``signed`` needs the signed agreement among the case's documents."""
        if to not in STATUSES:
            raise InputInvalid(f"状态 {to} 不存在（可用：{'、'.join(STATUSES)}）",
                               f"no status {to!r} (one of {', '.join(STATUSES)})")

        def work(s: Session) -> dict:
            case = self._case(s, actor, case_id)
            if expected_version is not None and case.row_version != expected_version:
                raise Conflict("案件已被他人修改，请刷新后重试",
                               "the case was changed by someone else: reload and try again")
            t = _BY_PAIR.get((case.status, to))
            if t is None:
                allowed = [STATUS_ZH[x.target] for x in TRANSITIONS if x.source == case.status]
                raise TransitionNotAllowed(
                    f"案件当前为“{STATUS_ZH[case.status]}”，不能改为“{STATUS_ZH[to]}”"
                    + (f"（可改为：{'、'.join(allowed)}）" if allowed else "（已是最终状态）"),
                    f"the case is {case.status}: it cannot move to {to}"
                    + (f" (allowed: {', '.join(x.target for x in TRANSITIONS if x.source == case.status)})"
                       if allowed else " (a final status)"))
            if actor.role not in t.roles:
                raise _forbidden(t.zh, t.action)
            before = {"status": case.status, "deadline": _iso(case.deadline)}
            now = utcnow()
            event_items = None
            if to == "returned":
                event_items = _correction_items(items)
                if not _set_deadline(case, REPLY_STEP, now.date()):
                    _set_working_days(case, working_days, now.date())
            elif to == "rejected":
                event_items = _rejection_reasons(items, case.jurisdiction)
                case.deadline, case.deadline_step = None, None
            elif to == "signed":
                if not any(d.slot == SIGNED_AGREEMENT for d in case.documents):
                    raise TransitionNotAllowed(
                        "请先上传双方签字盖章的协议文本，再标记为已签约",
                        "upload the signed agreement before marking the case signed")
                event_items = [_agreement_term(case, now.date())]
                term = event_items[0]
                case.deadline = dt.date.fromisoformat(term["to"])
                case.deadline_step = {"step": "agreement_term", "step_name": "协议期满",
                                      "due": term["to"], "explanation_zh":
                                      f"协议期限 {term['term_years']} 年：{term['from']} 至 "
                                      f"{term['to']}", "citation": None,
                                      "provisional": False}
            elif to in ("resubmitted", "submitted"):
                _set_deadline(case, INTAKE_STEP, now.date()) or _clear(case)
            elif to == "in_review":
                _set_deadline(case, EVALUATION_STEP, now.date()) or _clear(case)
            else:
                _clear(case)
            source = case.status
            case.status = to
            case.updated_at = now
            event = CaseEvent(case=case, from_status=source, to_status=to, actor=actor.name,
                              at=now, reason=reason, items=event_items, deadline=case.deadline)
            s.add(event)
            s.flush()
            _audit.append(s, actor, f"case.{t.action}", "case", case.id, before=before,
                          after={"status": to, "deadline": _iso(case.deadline),
                                 "reason": reason, "items": event.items})
            return case_view(case, actor, full=True)

        return self._run(work)

    # ------------------------------------------------------------ documents

    def attach(self, actor: Actor, case_id: Any, *, slot: str, filename: str,
               data: bytes, media_type: str = "application/pdf",
               read: Callable[[bytes], Any] | None = None, _generated: bool = False) -> dict:
        """Keep an upload as the next version of the case's document ``slot`` (a form id of
        the case's jurisdiction, ``material:<name>`` or ``agreement:signed``), then read
        and check it.  Returns the document's view."""
        from forms import check_text

        if actor.role not in UPLOAD_STATUSES:
            raise _forbidden("上传文件", "upload documents")
        check_text({"slot": slot, "filename": filename}, "上传信息", "the upload")
        if (slot == AGREEMENT_DRAFT or slot.startswith("score:")) and not _generated:
            raise InputInvalid("协议草稿由 xieyi 生成，不能上传；签字盖章后的协议请上传到 "
                               f"{SIGNED_AGREEMENT}",
                               f"drafts are generated, not uploaded; upload the signed copy to "
                               f"{SIGNED_AGREEMENT}",
                               [_problem("slot", "slot_generated", "不能上传到此类别",
                                         "not an upload slot")])
        if not data:
            raise InputInvalid("文件是空的", "the file is empty")
        from parser import is_image

        if data.startswith(b"%PDF-"):
            media_type = "application/pdf"  # what the bytes are, whatever the browser said
        elif is_image(data) and not media_type.startswith("image/"):
            media_type = "image/" + {b"\x89P": "png", b"\xff\xd8": "jpeg"}.get(data[:2], "tiff")

        def keep(s: Session) -> tuple[int, str]:
            case = self._case(s, actor, case_id)
            allowed = UPLOAD_STATUSES.get(actor.role, set())
            if case.status not in allowed:
                raise TransitionNotAllowed(
                    f"案件为“{STATUS_ZH[case.status]}”时不能上传文件",
                    f"no uploads while the case is {case.status}")
            _check_slot(slot, case)
            if actor.role == "signer" and slot != SIGNED_AGREEMENT and not _generated:
                raise _forbidden("上传申请材料", "upload anything but the signed agreement")
            digest = sha256_of(data)
            if s.get(Blob, digest) is None:
                s.add(Blob(sha256=digest, size=len(data), media_type=media_type))
            version = (s.execute(select(func.max(Document.version)).where(
                Document.case_id == case.id, Document.slot == slot)).scalar() or 0) + 1
            # the case row is left alone: uploads to one case do not contend with each other
            # nor with a reviewer's move (the case's version counts its moves)
            doc = Document(case=case, slot=slot, version=version, filename=filename[:255],
                           sha256=digest, uploaded_by=actor.name, state="stored")
            s.add(doc)
            s.flush()
            _audit.append(s, actor, "document.upload", "document", doc.id,
                          after={"case_id": case.id, "slot": slot, "version": version,
                                 "sha256": digest, "size": len(data), "filename": filename})
            return doc.id, case.jurisdiction

        # the original first: in the store (fsync'd), then its row committed
        self.store.put(data)
        doc_id, _ = self._run(keep)
        if slot.startswith(("material:", "agreement:", "score:")):
            return self.document(actor, doc_id)
        if not (data.startswith(b"%PDF") or is_image(data)):
            return self.document(actor, doc_id)
        self._read(actor, doc_id, data, read)
        return self.document(actor, doc_id)

    def _read(self, actor: Actor, doc_id: int, data: bytes,
              read: Callable[[bytes], Any] | None) -> None:
        """Parse the stored upload (a PDF, or a scan of a form we printed: its values read by
        OCR) and check its record; the outcome is recorded."""
        if read is None:
            from parser import parse_pdf as read
        try:
            result = read(data).to_dict()
            error = None
        except XieyiError as e:
            result, error = None, e.to_dict()

        def record(s: Session) -> None:
            doc = s.get(Document, doc_id)
            if result is not None and result["form"] != doc.slot:
                doc.state, doc.result = "unreadable", result
                doc.error = {"code": "wrong_form",
                             "message_zh": f"上传的是“{result['title']}”（{result['form']}），"
                                           f"不是此处要求的表单 {doc.slot}",
                             "message_en": f"the file is {result['form']}, not {doc.slot}",
                             "details": []}
            elif result is not None:
                doc.state, doc.result, doc.error = "read", result, None
                doc.report = _check(doc)
                doc.outcome = (doc.report or {}).get("outcome")
            else:
                doc.state, doc.error = "unreadable", error
            _audit.append(s, actor, "document.read", "document", doc.id,
                          after={"state": doc.state,
                                 "error": (doc.error or {}).get("code"),
                                 "outcome": (doc.report or {}).get("outcome")})

        self._run(record)

    def document(self, actor: Actor, doc_id: Any) -> dict:
        with self._session() as s:
            doc = self._document(s, actor, doc_id)
            return document_view(doc, full=True)

    def _document(self, s: Session, actor: Actor, doc_id: Any) -> Document:
        did = _int(doc_id)
        doc = s.get(Document, did) if did > 0 else None
        if doc is None or not self._sees(actor, doc.case):
            raise NotFound(f"没有编号为 {doc_id} 的文件", f"no document {doc_id}")
        return doc

    def original(self, actor: Actor, doc_id: Any) -> tuple[str, str, bytes]:
        """(file name, media type, the bytes exactly as uploaded)."""
        with self._session() as s:
            doc = self._document(s, actor, doc_id)
            name, sha, media = doc.filename, doc.sha256, doc.blob.media_type
        data = self.store.get(sha)
        if sha256_of(data) != sha:
            raise StoreError(f"文件库中的文件 {sha} 已损坏", f"the stored blob {sha} is damaged")
        return name, media, data

    # ------------------------------------------------------------ page images

    def page_sizes(self, actor: Actor, doc_id: Any) -> list[tuple[float, float]]:
        """Each page's (width, height) in points of a stored PDF or scan (cached by its
        hash)."""
        return self._sizes(*self._stored_pages(actor, doc_id))

    def _sizes(self, sha: str, data: Callable[[], bytes]) -> list[tuple[float, float]]:
        import json

        from parser import page_sizes

        cached = self._cached(sha, "sizes.json")
        if cached is not None:
            return [tuple(p) for p in json.loads(cached)]
        sizes = page_sizes(data())
        self._cache(sha, "sizes.json", json.dumps(sizes).encode())
        return sizes

    def page_image(self, actor: Actor, doc_id: Any, page: int, width: int) -> bytes:
        """Page ``page`` (1-based) of a stored PDF as a PNG ``width`` pixels wide, drawn in
        a parse worker under its limits; kept by the file's hash, so a file seen once is
        not drawn again (the original never changes)."""
        from parser import page_image

        if width not in PAGE_WIDTHS:
            raise InputInvalid(f"图像宽度只能是 {'、'.join(map(str, PAGE_WIDTHS))} 像素",
                               f"the width must be one of {PAGE_WIDTHS}")
        sha, data = self._stored_pages(actor, doc_id)
        pages = len(self._sizes(sha, data))
        if not 1 <= int(page) <= pages:
            raise NotFound(f"文件没有第 {page} 页（共 {pages} 页）",
                           f"the file has no page {page} (it has {pages})")
        name = f"{int(page)}-{width}.png"
        cached = self._cached(sha, name)
        if cached is not None:
            return cached
        png = page_image(data(), int(page), width=width)
        self._cache(sha, name, png)
        return png

    def _stored_pages(self, actor: Actor, doc_id: Any) -> tuple[str, Callable[[], bytes]]:
        """A stored document that has pages to draw (a PDF or a scan's image): its hash, and
        its bytes on demand (checked against the hash)."""
        with self._session() as s:
            doc = self._document(s, actor, doc_id)
            sha, media = doc.sha256, doc.blob.media_type
        if media != "application/pdf" and not media.startswith("image/"):
            raise InputInvalid("只有 PDF 与扫描图片有页面图像",
                               "only a PDF or a scanned image has page images")

        def data() -> bytes:
            raw = self.store.get(sha)
            if sha256_of(raw) != sha:
                raise StoreError(f"文件库中的文件 {sha} 已损坏", f"the stored blob {sha} is damaged")
            return raw

        return sha, data

    def _cached(self, sha: str, name: str) -> bytes | None:
        if not self.settings.cache_dir:
            return None
        try:
            return (Path(self.settings.cache_dir) / "pages" / sha / name).read_bytes()
        except OSError:
            return None

    def _cache(self, sha: str, name: str, data: bytes) -> None:
        if not self.settings.cache_dir:
            return
        folder = Path(self.settings.cache_dir) / "pages" / sha
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f".{name}.{os.getpid()}.{threading.get_ident()}"
            tmp.write_bytes(data)
            os.replace(tmp, folder / name)
        except OSError:  # a cache that cannot be written only costs a redraw
            pass

    def correct(self, actor: Actor, doc_id: Any, field: str, value: Any, reason: str) -> dict:
        """A reviewer's correction of one value of a document's record: the parsed value
        stays, the correction is kept beside it with who, when and why, and the document's
        findings are recomputed on the corrected record."""
        from forms import check_text, get_form, validate_record

        if actor.role != "reviewer":
            raise _forbidden("更正读取的值", "correct a value")
        check_text({"field": field, "value": value, "reason": reason}, "更正", "the correction")
        if not (reason or "").strip():
            raise InputInvalid("请说明更正的理由", "say why the value is corrected",
                               [_problem("reason", "required", "理由：必填", "reason: required")])

        def work(s: Session) -> dict:
            doc = self._document(s, actor, doc_id)
            if doc.state != "read" or not doc.result or "record" not in doc.result:
                raise TransitionNotAllowed("此文件没有读出的记录，无法更正",
                                           "the document has no record to correct")
            if doc.case.status not in ("in_review", "submitted", "resubmitted"):
                raise TransitionNotAllowed(
                    f"案件为“{STATUS_ZH[doc.case.status]}”时不能更正",
                    f"no corrections while the case is {doc.case.status}")
            spec = get_form(doc.slot)
            if field not in spec.field_ids:
                raise InputInvalid(f"表单 {spec.id} 没有字段 {field}",
                                   f"form {spec.id} has no field {field}",
                                   [_problem("field", "unknown_field", f"字段 {field} 不存在",
                                             f"no field {field}")])
            record = _corrected_record(doc)
            previous = record.get(field)
            record[field] = value
            validate_record(spec, {k: v for k, v in record.items() if v is not None},
                            complete=False)  # RecordInvalid (422) names the field
            parsed = doc.result["record"].get(field)
            c = Correction(document=doc, field=field, parsed=parsed, corrected=value,
                           by=actor.name, reason=reason.strip())
            s.add(c)
            s.flush()
            doc.report = _check(doc)
            doc.outcome = (doc.report or {}).get("outcome")
            _audit.append(s, actor, "document.correct", "document", doc.id,
                          before={"field": field, "value": previous},
                          after={"field": field, "value": value, "reason": c.reason})
            return document_view(doc, full=True)

        return self._run(work)

    # ------------------------------------------------------------ the agreement

    def draft_agreement(self, actor: Actor, case_id: Any, *, party_a: dict,
                        party_b: dict | None = None, city: str | None = None,
                        term_years: int = 1, fmt: str = "pdf") -> dict:
        """The jurisdiction's service agreement for an approved case, filled from the case
        (乙方: the institution's name, legal representative, address and telephone as read
        from its application form, overridden by ``party_b``) and kept as the next version
        of the case's ``agreement:draft`` document, ready to print and sign."""
        from generator.agreement import PARTY_FIELDS, render_agreement

        if actor.role not in JURISDICTION_ROLES:
            raise _forbidden("生成服务协议", "draft the agreement")
        with self._session() as s:
            case = self._case(s, actor, case_id)
            if case.status != "approved":
                raise TransitionNotAllowed(
                    f"案件为“{STATUS_ZH[case.status]}”，审查通过后才能生成服务协议",
                    f"the case is {case.status}: the agreement comes after approval")
            if _agreement_of(case) is None:
                raise TransitionNotAllowed(
                    "本地区的文件没有附服务协议文本，xieyi 无法生成",
                    f"{case.jurisdiction}'s documents attach no agreement text for "
                    f"{case.category}")
            derived = _party_b_from_case(case)
            jurisdiction, category = case.jurisdiction, case.category
        b = {**derived, **(party_b or {})}
        b = {k: v for k, v in b.items() if k in PARTY_FIELDS or k == "signed_on"}
        parties = {"party_a": party_a, "party_b": b, "city": city, "term_years": term_years}
        data = render_agreement(jurisdiction, category, parties, fmt)  # 422 per field
        media = "application/pdf" if fmt == "pdf" else (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        doc = self.attach(actor, case_id, slot=AGREEMENT_DRAFT,
                          filename=f"服务协议-{b.get('name') or case_id}.{fmt}", data=data,
                          media_type=media, _generated=True)

        def remember(s: Session) -> None:
            d = s.get(Document, doc["id"])
            d.state = "read"
            d.result = {"agreement": f"{jurisdiction}-{category}", "parties": parties,
                        "term_years": term_years, "format": fmt, "derived_from_case": derived}
            _audit.append(s, actor, "agreement.draft", "document", d.id,
                          after={"case_id": d.case_id, "term_years": term_years,
                                 "party_b": b.get("name")})

        self._run(remember)
        return self.document(actor, doc["id"])

    def agreement_defaults(self, actor: Actor, case_id: Any) -> dict:
        """What the case's agreement would say of 乙方 (from its application form,
        corrections applied) and which text it is (``None``: the jurisdiction's documents
        attach no agreement text for the case's kind of institution)."""
        with self._session() as s:
            case = self._case(s, actor, case_id)
            return {"agreement": _agreement_of(case), "party_b": _party_b_from_case(case)}

    # ------------------------------------------------------------ scoring

    def scoring_tables(self, actor: Actor, case_id: Any) -> list[str]:
        """The evaluation tables a case may be scored on: its jurisdiction's, for its kind
        of institution (none for jurisdictions whose documents give no table)."""
        from scoring import all_tables

        with self._session() as s:
            case = self._case(s, actor, case_id)
            return _usable_tables(all_tables(), case)

    def score_case(self, actor: Actor, case_id: Any, table_id: str, data: Any) -> dict:
        """The panel's scoring of a case in review on one of its jurisdiction's evaluation
        tables (``scoring.score``: totals, vetoes, the pass mark with its article), kept as
        the case's ``score:<table>`` document: the scored table as a PDF, the result beside
        it, and whether it passed as the document's outcome."""
        from forms import get_form, validate_record
        from generator.pdf import render_pdf
        from scoring import all_tables, get_table, record_from_result, score

        if actor.role != "reviewer":
            raise _forbidden("评分", "score a case")
        with self._session() as s:
            case = self._case(s, actor, case_id)
            if case.status != "in_review":
                raise TransitionNotAllowed(
                    f"案件为“{STATUS_ZH[case.status]}”，审查中才能评分",
                    f"the case is {case.status}: scoring happens in review")
            usable = _usable_tables(all_tables(), case)
            kind = case.institution.sub_kind or case.category
            title_of = case.institution.name
        if table_id not in usable:
            raise InputInvalid(
                f"评分表 {table_id} 不适用于此案件（可用：{'、'.join(usable) or '无'}）",
                f"table {table_id!r} does not apply to this case (usable: "
                f"{', '.join(usable) or 'none'})",
                [_problem("table", "table_not_applicable", "评分表不适用", "not applicable")])
        table = get_table(table_id)
        data = dict(data or {})
        data.setdefault("institution", title_of)
        result = score(table_id, data, kind)  # ScoreInputInvalid (422) names each item
        spec = get_form(table.form)
        pdf = render_pdf(spec, validate_record(spec, record_from_result(result)))
        doc = self.attach(actor, case_id, slot=f"score:{table_id}",
                          filename=f"{table.title}.pdf", data=pdf, _generated=True)
        passed = result.get("passed")

        def remember(s: Session) -> None:
            d = s.get(Document, doc["id"])
            d.state = "read"
            d.result = {"score": result, "input": data}
            d.outcome = "passed" if passed else "undetermined" if passed is None else "failed"
            _audit.append(s, actor, "case.score", "document", d.id,
                          after={"case_id": d.case_id, "table": table_id,
                                 "total": result.get("total"), "outcome": d.outcome})

        self._run(remember)
        return self.document(actor, doc["id"])

    # ------------------------------------------------------------ accounts

    def add_user(self, actor: Actor, *, name: str, role: str, institution_id: int | None = None,
                 jurisdiction: str | None = None, password: str | None = None
                 ) -> tuple[dict, str]:
        """A new account and its password (the one given, or a new one to show once)."""
        return self._run(lambda s: _users.add_user(
            s, actor, name=name, role=role, institution_id=institution_id,
            jurisdiction=jurisdiction, password=password))

    def whoami(self, actor: Actor) -> dict:
        with self._session() as s:
            u = s.execute(select(User).where(User.name == actor.name)).scalar_one_or_none()
            if u is None:
                raise NotFound(f"没有账户 {actor.name}", f"no account {actor.name}")
            return _users.user_view(u)

    def users(self, actor: Actor) -> list[dict]:
        with self._session() as s:
            return _users.list_users(s, actor)

    def set_user_active(self, actor: Actor, user_id: Any, active: bool) -> dict:
        """Disable an account (its sessions and tokens stop working at once) or enable it
        again; an admin's, never their own."""
        if actor.role != "admin":
            raise _forbidden("管理账户", "manage accounts")

        def work(s: Session) -> dict:
            uid = _int(user_id)
            u = s.get(User, uid) if uid > 0 else None
            if u is None:
                raise NotFound(f"没有编号为 {user_id} 的账户", f"no account {user_id}")
            if u.name == actor.name and not active:
                raise InputInvalid("不能停用自己的账户", "you cannot disable your own account")
            before = {"active": u.active}
            u.active = bool(active)
            _audit.append(s, actor, "user.enable" if active else "user.disable", "user", u.id,
                          before=before, after={"active": u.active})
            return _users.user_view(u)

        return self._run(work)

    def institutions(self, actor: Actor) -> list[dict]:
        """The institutions ``actor`` may open cases for: all for an admin, the
        jurisdiction's for a reviewer."""
        if actor.role not in ("admin", "reviewer"):
            raise _forbidden("查看机构", "list institutions")
        q = select(Institution).order_by(Institution.id)
        if actor.role == "reviewer":
            q = q.where(Institution.jurisdiction == (actor.jurisdiction or ""))
        with self._session() as s:
            return [institution_view(i) for i in s.execute(q).scalars()]

    def first_admin(self) -> tuple[dict, str] | None:
        """On a desk with no account yet: an ``admin`` account with a new password (to be
        printed once); else None."""
        def work(s: Session):
            if _users.has_users(s):
                return None
            return _users.add_user(s, _audit.SYSTEM, name="admin", role="admin")

        return self._run(work)

    def log_in(self, name: str, password: str, *, label: str = "api",
               address: str | None = None, token: bool = True) -> dict:
        """The account, if the password is right (see ``_users``): with ``token``, a new
        API token ``{"token", "expires_at", "user"}``; without, the user's view (a page's
        session)."""
        outcome: dict = {}

        def work(s: Session):
            try:
                u = _users.authenticate(s, name, password, address)
            except (Unauthenticated, AccountLocked) as e:
                outcome["error"] = e  # the failure count and the lock are committed
                return None
            if not token:
                _audit.append(s, _users.actor_of(u, address), "user.login", "user", u.id)
                return _users.user_view(u)
            return _users.issue_token(s, u, label, address)

        got = self._run(work)
        if "error" in outcome:
            raise outcome["error"]
        return got

    def actor_for_user(self, user_id: Any, address: str | None = None) -> Actor | None:
        """The actor of a page's session (None when the account is gone or disabled)."""
        with self._session() as s:
            uid = _int(user_id)
            u = s.get(User, uid) if uid > 0 else None
            return _users.actor_of(u, address) if u is not None and u.active else None

    def actor_for_token(self, token: str, address: str | None = None) -> Actor:
        with self._session() as s:
            return _users.actor_of(_users.user_for_token(s, token), address)

    # ------------------------------------------------------------ audit and store

    def verify_audit(self, actor: Actor) -> dict:
        if actor.role not in ("admin", "auditor"):
            raise _forbidden("查看审计记录", "read the audit trail")
        with self._session() as s:
            return _audit.verify(s)

    def audit_entries(self, actor: Actor, *, object_type: str | None = None,
                      object_id: str | None = None, case_id: Any = None,
                      actor_name: str | None = None, action: str | None = None,
                      since: dt.date | None = None, until: dt.date | None = None,
                      newest_first: bool = False, page: int = 1, per_page: int = 50) -> dict:
        """The audit trail, filtered: by object, by case (the case and its documents), by
        who acted, by action (``case.move``; ``case.`` for every action on cases), by day
        (``since`` and ``until`` included, UTC)."""
        from sqlalchemy import and_, or_

        from ._models import AuditEntry

        if actor.role not in ("admin", "auditor"):
            raise _forbidden("查看审计记录", "read the audit trail")
        q = select(AuditEntry)
        if object_type:
            q = q.where(AuditEntry.object_type == object_type)
        if object_id:
            q = q.where(AuditEntry.object_id == str(object_id))
        if actor_name:
            q = q.where(AuditEntry.actor == actor_name)
        if action:
            q = q.where(AuditEntry.action.startswith(action, autoescape=True)
                        if action.endswith(".") else AuditEntry.action == action)
        if since:
            q = q.where(AuditEntry.at >= dt.datetime.combine(since, dt.time(), dt.timezone.utc))
        if until:
            q = q.where(AuditEntry.at < dt.datetime.combine(until + dt.timedelta(days=1),
                                                            dt.time(), dt.timezone.utc))
        with self._session() as s:
            if case_id is not None:
                cid = str(_int(case_id))
                docs = [str(d) for d in s.execute(select(Document.id).where(
                    Document.case_id == _int(case_id))).scalars()]
                q = q.where(or_(and_(AuditEntry.object_type == "case",
                                     AuditEntry.object_id == cid),
                                and_(AuditEntry.object_type == "document",
                                     AuditEntry.object_id.in_(docs))))
            total = s.execute(select(func.count()).select_from(q.subquery())).scalar_one()
            order = AuditEntry.id.desc() if newest_first else AuditEntry.id
            rows = s.execute(q.order_by(order).offset((page - 1) * per_page)
                             .limit(per_page)).scalars().all()
            return {"total": total, "page": page, "per_page": per_page, "items": [
                {"id": e.id, "at": _iso(e.at), "actor": e.actor, "role": e.role,
                 "address": e.address, "action": e.action, "object_type": e.object_type,
                 "object_id": e.object_id, "before": e.before, "after": e.after,
                 "hash": e.hash} for e in rows]}

    def check_store(self) -> dict:
        """Blobs the database names that the store lacks or holds damaged; blobs the store
        holds that no row names (an upload whose transaction did not commit); unfinished
        writes."""
        with self._session() as s:
            known = {sha: size for sha, size in s.execute(select(Blob.sha256, Blob.size))}
        stored = set(self.store.list())
        missing = sorted(set(known) - stored)
        damaged = []
        for sha in sorted(set(known) & stored):
            data = self.store.get(sha)
            if len(data) != known[sha] or sha256_of(data) != sha:
                damaged.append(sha)
        orphans = sorted(stored - set(known))
        leftovers = self.store.leftovers()
        return {"store": self.store.describe(), "blobs": len(known), "missing": missing,
                "damaged": damaged, "orphans": orphans, "unfinished_writes": leftovers,
                "ok": not (missing or damaged)}


# ---------------------------------------------------------------- pieces of the operations

def _forbidden(what_zh: str, what_en: str) -> Forbidden:
    return Forbidden(f"您的角色无权{what_zh}", f"your role may not {what_en}")


#: ids are database integers: anything outside is no row (never an overflow in the driver)
MAX_ID = 2**31 - 1


def _int(v: Any) -> int:
    try:
        n = int(v)
    except (TypeError, ValueError):
        return -1
    return n if 0 < n <= MAX_ID else -1


def _clear(case: Case) -> bool:
    case.deadline, case.deadline_step = None, None
    return True


def _set_deadline(case: Case, step_id: str, start: dt.date) -> bool:
    """The case's deadline from the jurisdiction's step ``step_id`` counted from ``start``,
    when the rules have that step."""
    from rules import get_rule_set, step_deadline

    if get_rule_set(case.jurisdiction).step(step_id) is None:
        return False
    d = step_deadline(case.jurisdiction, step_id, start.isoformat())
    case.deadline = dt.date.fromisoformat(d["due"])
    case.deadline_step = {"step": d["step"], "step_name": d["step_name"], "due": d["due"],
                          "explanation_zh": d["explanation_zh"], "citation": d["citation"],
                          "provisional": bool(d.get("provisional"))}
    return True


def _set_working_days(case: Case, n: Any, start: dt.date) -> None:
    from rules import working_days_deadline

    if n is None:
        raise InputInvalid(
            "此地区的文件未规定补正期限，请给出补正的工作日数",
            "this jurisdiction's rules set no period for corrections: give working_days",
            [_problem("working_days", "required", "补正期限（工作日）：必填",
                      "working_days: required")])
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 60:
        raise InputInvalid("补正期限应为 1 至 60 个工作日", "working_days: 1 to 60",
                           [_problem("working_days", "range", "补正期限：1 至 60 个工作日",
                                     "working_days: 1 to 60")])
    d = working_days_deadline(n, start.isoformat())
    case.deadline = dt.date.fromisoformat(d["due"])
    case.deadline_step = {"step": None, "step_name": "补正期限（审查人员确定）", "due": d["due"],
                          "explanation_zh": d.get("explanation_zh"), "citation": None,
                          "provisional": bool(d.get("provisional"))}


def _correction_items(items: Any) -> list:
    if not isinstance(items, list) or not items or not all(
            isinstance(i, str) and i.strip() for i in items):
        raise InputInvalid("退回补正时请列出需补正的事项（至少一项）",
                           "list the items to correct (at least one)",
                           [_problem("items", "required", "补正事项：至少一项",
                                     "items: at least one")])
    return [i.strip() for i in items]


def _rejection_reasons(items: Any, jurisdiction: str) -> list:
    """Each reason: ``{"reason": text, "article": key}``, the article resolved in the
    jurisdiction's document (``sources.reference``)."""
    from sources import ArticleNotFound, cite

    if not isinstance(items, list) or not items:
        raise InputInvalid("不予通过时请给出理由及所依据的条款",
                           "give the reasons, each with the article it rests on",
                           [_problem("items", "required", "理由：至少一条", "items: at least one")])
    out, problems = [], []
    for i, item in enumerate(items):
        where = f"items.{i}"
        if not isinstance(item, dict) or set(item) - {"reason", "article"} or not str(
                item.get("reason", "")).strip() or not str(item.get("article", "")).strip():
            problems.append(_problem(where, "reason_invalid", "应为 {reason, article}，两项都要填",
                                     "must be {reason, article}, both given"))
            continue
        try:
            c = cite(jurisdiction, str(item["article"]))
        except ArticleNotFound as e:
            problems.append(_problem(f"{where}.article", "article_not_found", e.zh, e.en))
            continue
        ref = {"jurisdiction": jurisdiction, "key": c["key"], "exact": c["exact"],
               "url": c["url"]}
        out.append({"reason": item["reason"].strip(), "article": c["key"], "reference": ref})
    if problems:
        raise InputInvalid(f"不予通过的理由有 {len(problems)} 处错误",
                           f"the reasons have {len(problems)} error(s)", problems)
    return out


def _check_slot(slot: str, case: Case) -> None:
    from forms import all_forms

    if slot in (SIGNED_AGREEMENT, AGREEMENT_DRAFT) or (
            slot.startswith(("material:", "score:")) and len(slot) > 9):
        return
    ids = [f.id for f in all_forms() if f.jurisdiction == case.jurisdiction
           and case.category in f.categories]
    if slot not in ids:
        raise InputInvalid(
            f"文件类别 {slot} 不对：应为本地区的表单（{'、'.join(ids)}）、material:<名称> "
            f"或 {SIGNED_AGREEMENT}",
            f"slot {slot!r}: one of this jurisdiction's forms ({', '.join(ids)}), "
            f"material:<name> or {SIGNED_AGREEMENT}",
            [_problem("slot", "slot_unknown", "文件类别不对", "unknown slot")])


#: where an application form's values go in the agreement's 乙方 lines, per form field
_PARTY_B_FIELDS = {"institution_name": "name", "name": "name", "legal_rep": "representative",
                   "legal_representative": "representative", "representative": "representative",
                   "address": "address", "institution_address": "address",
                   "postcode": "postcode", "legal_rep_phone": "telephone",
                   "telephone": "telephone", "phone": "telephone"}


def _agreement_of(case: Case) -> str | None:
    """The agreement text of the case's jurisdiction and kind (None: its documents attach
    none)."""
    from generator.agreement import all_agreements

    return next((t.id for t in all_agreements() if (t.jurisdiction, t.category)
                 == (case.jurisdiction, case.category)), None)


def _usable_tables(tables, case: Case) -> list[str]:
    kind = case.institution.sub_kind or case.category
    return [t.id for t in tables if t.jurisdiction == case.jurisdiction
            and t.purpose in SCORED_PURPOSES and kind in t.kinds]


def _party_b_from_case(case: Case) -> dict:
    """乙方 from the newest readable application form of the case (corrections applied),
    else the institution's registered name."""
    out = {"name": case.institution.name}
    forms = [d for d in case.documents if d.state == "read"
             and not d.slot.startswith(("material:", "agreement:", "score:")) and d.result]
    for d in forms:  # oldest first, so the newest wins
        record = _corrected_record(d)
        for field, key in _PARTY_B_FIELDS.items():
            v = record.get(field)
            if isinstance(v, str) and v.strip():
                out[key] = v.strip()
    return out


def _agreement_term(case: Case, signed_on: dt.date) -> dict:
    """The term of the agreement: the newest draft's years, from the signing date."""
    drafts = [d for d in case.documents if d.slot == AGREEMENT_DRAFT and d.result]
    years = int(drafts[-1].result.get("term_years") or 1) if drafts else 1
    try:
        end = signed_on.replace(year=signed_on.year + years) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        end = signed_on.replace(year=signed_on.year + years, day=28)
    return {"term_years": years, "from": signed_on.isoformat(), "to": end.isoformat()}


def _corrected_record(doc: Document) -> dict:
    record = dict(doc.result["record"])
    for c in doc.corrections:
        record[c.field] = c.corrected
    return record


def _check(doc: Document) -> dict | None:
    """The rules' report on the document's record, corrections applied."""
    from rules import facts_from_record, validate

    case = doc.case
    record = {k: v for k, v in _corrected_record(doc).items() if v is not None}
    try:
        facts = facts_from_record(doc.slot, record, case.category, via="pdf")
        return validate(facts, case.jurisdiction, case.category,
                        kind=case.institution.sub_kind, on=case.opened_at.date(),
                        channel="http")
    except XieyiError as e:  # a record the rules cannot judge: said, not hidden
        return {"outcome": "error", "error": e.to_dict()}


# ---------------------------------------------------------------- views

def institution_view(inst: Institution) -> dict:
    return {"id": inst.id, "name": inst.name, "credit_code": inst.credit_code,
            "category": inst.category, "sub_kind": inst.sub_kind,
            "jurisdiction": inst.jurisdiction, "created_at": _iso(inst.created_at)}


def document_view(doc: Document, full: bool = False) -> dict:
    out = {"id": doc.id, "case_id": doc.case_id, "slot": doc.slot, "version": doc.version,
           "filename": doc.filename, "sha256": doc.sha256, "size": doc.blob.size,
           "uploaded_by": doc.uploaded_by, "uploaded_at": _iso(doc.uploaded_at),
           "state": doc.state, "error": doc.error, "outcome": doc.outcome}
    if full:
        out["result"] = doc.result
        out["record"] = (_corrected_record(doc) if doc.result and "record" in doc.result
                         else None)
        out["corrections"] = [{"id": c.id, "field": c.field, "parsed": c.parsed,
                               "corrected": c.corrected, "by": c.by, "at": _iso(c.at),
                               "reason": c.reason} for c in doc.corrections]
        out["report"] = doc.report
    return out


def case_view(case: Case, actor: Actor, full: bool = False) -> dict:
    out = {"id": case.id, "institution": institution_view(case.institution),
           "jurisdiction": case.jurisdiction, "category": case.category,
           "status": case.status, "status_zh": STATUS_ZH[case.status],
           "opened_at": _iso(case.opened_at), "updated_at": _iso(case.updated_at),
           "deadline": _iso(case.deadline), "deadline_step": case.deadline_step,
           "version": case.row_version,
           "allowed": [t.target for t in TRANSITIONS
                       if t.source == case.status and actor.role in t.roles]}
    if full:
        latest: dict[str, Document] = {}
        for d in case.documents:
            latest[d.slot] = d
        out["documents"] = [document_view(d) for d in latest.values()]
        out["versions"] = [document_view(d) for d in case.documents]
        out["events"] = [{"from": e.from_status, "to": e.to_status, "actor": e.actor,
                          "at": _iso(e.at), "reason": e.reason, "items": e.items,
                          "deadline": _iso(e.deadline)} for e in case.events]
    return out

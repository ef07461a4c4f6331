"""Log-in for pages: ``/login``, ``/logout`` (the desk's pages are ``api/pages_desk.py``).

Pages authenticate by a session cookie (Flask-Login; HttpOnly, SameSite=Lax, 8 hours);
every form they post carries a CSRF token (Flask-WTF's ``CSRFProtect``, checked only on
these pages: the REST API takes no cookie, only ``Authorization: Bearer``, so a forged
cross-site request has nothing to ride on).  Passwords, lock-out and the audit entry of
each log-in are the desk's (``desk.Desk.log_in``), the same as ``POST /api/tokens``.
The session's secret is ``SECRET_KEY``, or one made once and kept in the data directory.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for

bp = Blueprint("session", __name__)

SESSION_HOURS = 8


class SessionUser:
    """What Flask-Login keeps for a page's user: the desk's actor."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, user_id: int, actor):
        self.id = user_id
        self.actor = actor

    def get_id(self) -> str:
        return str(self.id)


def _secret_key(app) -> str:
    if app.config.get("SECRET_KEY"):
        return app.config["SECRET_KEY"]
    from desk import default_data_dir

    data_dir = Path(app.config.get("DATA_DIR") or default_data_dir())
    path = data_dir / "secret_key"
    try:
        return path.read_text().strip()
    except OSError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def init_app(app) -> None:
    from flask_login import LoginManager
    from flask_wtf.csrf import CSRFProtect

    app.config["SECRET_KEY"] = _secret_key(app)
    # Flask's defaults (no SameSite, 31 days) are not a working tool's: unless configured
    if app.config.get("SESSION_COOKIE_SAMESITE") is None:
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("PERMANENT_SESSION_LIFETIME") == dt.timedelta(days=31):
        app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(hours=SESSION_HOURS)
    # CSRF is checked on the pages' forms only (csrf.protect() below), never on the API
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", SESSION_HOURS * 3600)
    CSRFProtect(app)
    login = LoginManager(app)
    login.login_view = "session.login_page"
    login.login_message = "请先登录"
    login.session_protection = "strong"

    @login.user_loader
    def _load(user_id: str):
        from .desk import desk

        a = desk().actor_for_user(user_id, request.remote_addr)
        return SessionUser(int(user_id), a) if a is not None else None

    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def _csrf_error(e):
        return render_template("error.html", title="表单已过期",
                               message="表单已过期或来源不明（缺少有效的 CSRF 令牌），请返回刷新页面后重试。",
                               message_en="The form expired or did not come from this site "
                                          "(CSRF token missing or invalid): reload and retry."), 400


def check_csrf() -> None:
    """Every form the pages post carries its CSRF token (a 400 page otherwise): a
    ``before_request`` of each blueprint of pages."""
    if request.method == "POST":
        from flask import current_app

        current_app.extensions["csrf"].protect()


bp.before_request(check_csrf)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host): never an open redirect."""
    # browsers read "/\\host" as "//host": a backslash anywhere disqualifies the target
    if target and target.startswith("/") and not target.startswith("//") \
            and "\\" not in target and not urlsplit(target).netloc:
        return target
    return url_for("desk_pages.cases_page")


@bp.route("/login", methods=["GET", "POST"])
def login_page():
    from flask_login import current_user, login_user

    from desk import AccountLocked, Unauthenticated

    from .desk import desk

    nxt = request.values.get("next")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(_safe_next(nxt))
        return render_template("login.html", error=None, name="", next=nxt or "")
    name = (request.form.get("name") or "").strip()
    try:
        user = desk().log_in(name, request.form.get("password") or "", token=False,
                             address=request.remote_addr)
    except (Unauthenticated, AccountLocked) as e:
        return render_template("login.html", error=e.message_zh, name=name,
                               next=nxt or ""), e.http_status
    a = desk().actor_for_user(user["id"], request.remote_addr)
    from flask import session

    session.permanent = True
    login_user(SessionUser(user["id"], a))
    return redirect(_safe_next(nxt))


@bp.route("/logout", methods=["POST"])
def logout_page():
    from flask import session
    from flask_login import logout_user

    logout_user()
    session.clear()
    return redirect(url_for("session.login_page"))

"""Log-in for pages: a session cookie, a CSRF token on every form, the desk's lock-out,
no open redirect, the user's own cases only, log-out that ends the session."""

from __future__ import annotations

import pytest

from api import create_app
from pages import PASSWORD, csrf_token


@pytest.fixture
def site(tmp_path):
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    settings = DeskSettings.from_mapping({"DATA_DIR": str(tmp_path)})
    upgrade_database(settings)
    d = Desk(settings)
    a = d.register_institution(SYSTEM, name="景德镇市第一人民医院",
                               credit_code="91350100M000100Y43", category="medical",
                               jurisdiction="jingdezhen")
    b = d.register_institution(SYSTEM, name="景德镇市第二人民医院",
                               credit_code="91440300708461136T", category="medical",
                               jurisdiction="jingdezhen")
    d.add_user(SYSTEM, name="hospital_a", role="institution", institution_id=a["id"],
               password=PASSWORD)
    d.add_user(SYSTEM, name="hospital_b", role="institution", institution_id=b["id"],
               password=PASSWORD)
    d.open_case(SYSTEM, a["id"])
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    yield app.test_client()
    ext = app.extensions.get("xieyi-desk")
    if ext:
        ext.close()


def _log_in(client, name, password=PASSWORD, next_=""):
    page = client.get("/login")
    return client.post("/login", data={"name": name, "password": password, "next": next_,
                                       "csrf_token": csrf_token(page.get_data(as_text=True))})


def test_a_page_behind_the_log_in_sends_you_there_and_back(site):
    r = site.get("/desk")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=%2Fdesk")
    r = _log_in(site, "hospital_a", next_="/desk")
    assert r.status_code == 302 and r.headers["Location"] == "/desk"
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = site.get("/desk").get_data(as_text=True)
    assert "景德镇市第一人民医院" in page and "已提交" in page and "hospital_a" in page


def test_an_institution_sees_only_its_own_cases(site):
    _log_in(site, "hospital_b")
    page = site.get("/desk").get_data(as_text=True)
    assert "景德镇市第一人民医院" not in page and "暂无案件" in page


def test_a_form_without_its_csrf_token_is_refused_in_chinese(site):
    r = site.post("/login", data={"name": "hospital_a", "password": PASSWORD})
    assert r.status_code == 400
    text = r.get_data(as_text=True)
    assert "表单已过期" in text and "CSRF" in text and "Traceback" not in text
    assert site.get("/desk").status_code == 302  # not logged in


def test_a_wrong_password_says_so_and_five_lock_the_account(site):
    for _ in range(5):
        r = _log_in(site, "hospital_a", password="wrong password")
        assert r.status_code == 401 and "账户名或密码不对" in r.get_data(as_text=True)
    r = _log_in(site, "hospital_a")
    assert r.status_code == 429 and "已锁定" in r.get_data(as_text=True)


def test_the_next_page_is_never_another_site(site):
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil"):
        r = _log_in(site, "hospital_a", next_=target)
        assert r.status_code == 302 and r.headers["Location"] == "/desk"
        site.post("/logout", data={"csrf_token": csrf_token(site.get("/desk").get_data(
            as_text=True))})


def test_log_out_ends_the_session_and_needs_its_csrf_token(site):
    _log_in(site, "hospital_a")
    assert site.post("/logout").status_code == 400  # without the token: refused
    assert site.get("/desk").status_code == 200
    token = csrf_token(site.get("/desk").get_data(as_text=True))
    r = site.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert site.get("/desk").status_code == 302


def test_the_api_takes_no_session_cookie(site):
    _log_in(site, "hospital_a")
    r = site.get("/api/cases")
    assert r.status_code == 401  # a cookie is not a bearer token: no CSRF to ride on


def test_every_page_links_to_the_log_in_or_to_the_users_cases(site):
    home = site.get("/").get_data(as_text=True)
    assert 'href="/login"' in home and "我的案件" not in home
    _log_in(site, "hospital_a")
    home = site.get("/").get_data(as_text=True)
    assert 'href="/desk"' in home and 'href="/login"' not in home

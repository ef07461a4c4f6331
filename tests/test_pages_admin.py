"""The administration's pages: accounts (admins only), institutions (admins, and reviewers
for their jurisdiction), the audit trail with filters and the hash chain's verdict (admins
and auditors).  Every page as each role and anonymously."""

from __future__ import annotations

import re

import pytest

from api import create_app
from pages import PASSWORD, client_as, csrf_token

ROLES_OF = {"admin": "admin", "auditor": "auditor", "reviewer": "reviewer",
            "hospital": "institution"}
PAGES = {"/admin/users": {"admin"}, "/admin/institutions": {"admin", "reviewer"},
         "/admin/audit": {"admin", "auditor"}}


@pytest.fixture
def site(tmp_path):
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    settings = DeskSettings.from_mapping({"DATA_DIR": str(tmp_path)})
    upgrade_database(settings)
    d = Desk(settings)
    inst = d.register_institution(SYSTEM, name="景德镇市第一人民医院",
                                  credit_code="91350100M000100Y43", category="medical",
                                  jurisdiction="jingdezhen")
    d.add_user(SYSTEM, name="admin", role="admin", password=PASSWORD)
    d.add_user(SYSTEM, name="auditor", role="auditor", password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer", role="reviewer", jurisdiction="jingdezhen",
               password=PASSWORD)
    d.add_user(SYSTEM, name="hospital", role="institution", institution_id=inst["id"],
               password=PASSWORD)
    d.register_institution(SYSTEM, name="太原市第一人民医院", credit_code="91440300708461136T",
                           category="medical", jurisdiction="shanxi")
    case = d.open_case(SYSTEM, inst["id"])
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    app.case_id = case["id"]
    app.data_dir = tmp_path
    yield app
    ext = app.extensions.get("xieyi-desk")
    if ext:
        ext.close()


@pytest.mark.parametrize("name", [None, *ROLES_OF])
def test_each_page_answers_each_role(site, name):
    c = client_as(site, name)
    for url, allowed in PAGES.items():
        r = c.get(url)
        if name is None:
            assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")
        elif ROLES_OF[name] in allowed:
            assert r.status_code == 200, (name, url)
        else:
            assert r.status_code == 403, (name, url)
            assert "Traceback" not in r.get_data(as_text=True)
    # the navigation offers only what the role may open
    html = c.get("/desk").get_data(as_text=True) if name else ""
    for url, allowed in PAGES.items():
        if name:
            assert (f'href="{url}"' in html) is (ROLES_OF[name] in allowed), (name, url)


def test_an_admin_adds_an_account_sees_its_password_once_and_disables_it(site):
    c = client_as(site, "admin")
    token = csrf_token(c.get("/admin/users").get_data(as_text=True))
    r = c.post("/admin/users", data={"csrf_token": token, "name": "reviewer_sx",
                                     "role": "reviewer", "jurisdiction": "shanxi"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "已新建账户" in html
    password = re.search(r'id="new-password">([^<]+)<', html).group(1)
    assert len(password) >= 12
    assert password not in c.get("/admin/users").get_data(as_text=True)  # once
    assert "password" not in str(r.headers.get("Set-Cookie", "")).lower()
    sx = client_as(site, "reviewer_sx", password)
    assert sx.get("/desk").status_code == 200
    # a bad account is refused with every reason, the page kept
    r = c.post("/admin/users", data={"csrf_token": token, "name": "x", "role": "reviewer",
                                     "jurisdiction": ""})
    assert r.status_code == 422 and "地区" in r.get_data(as_text=True)
    # disabled: the session it had stops working
    users = c.get("/admin/users").get_data(as_text=True)
    uid = re.search(r'id="user-reviewer_sx".*?/admin/users/(\d+)/active', users, re.S).group(1)
    c.post(f"/admin/users/{uid}/active", data={"csrf_token": token, "active": "0"})
    assert "已停用" in re.search(r'id="user-reviewer_sx".*?</tr>', c.get("/admin/users")
                                 .get_data(as_text=True), re.S).group(0)
    assert sx.get("/desk").status_code == 302
    # an admin cannot disable themself: no button, and the desk refuses
    users = c.get("/admin/users").get_data(as_text=True)
    row = re.search(r'id="user-admin".*?</tr>', users, re.S).group(0)
    assert "停用" not in row


def test_a_reviewer_registers_institutions_of_their_jurisdiction_only(site):
    c = client_as(site, "reviewer")
    html = c.get("/admin/institutions").get_data(as_text=True)
    assert "景德镇市第一人民医院" in html and "太原市第一人民医院" not in html
    token = csrf_token(html)
    r = c.post("/admin/institutions", data={"csrf_token": token, "name": "景德镇市昌江区医院",
                                            "credit_code": "91360200MA35GYXY0M",
                                            "category": "medical", "jurisdiction": "shanxi"})
    assert r.status_code == 422 and "只能登记本地区的机构" in r.get_data(as_text=True)
    r = c.post("/admin/institutions", data={"csrf_token": token, "name": "景德镇市昌江区医院",
                                            "credit_code": "91360200MA35GYXY0M",
                                            "category": "medical", "jurisdiction": "jingdezhen"})
    assert r.status_code == 302
    assert "景德镇市昌江区医院" in c.get("/admin/institutions").get_data(as_text=True)


def test_the_audit_trail_filters_and_says_the_chain_is_whole(site):
    rev = client_as(site, "reviewer")
    case = f"/desk/cases/{site.case_id}"
    token = csrf_token(rev.get(case).get_data(as_text=True))
    rev.post(f"{case}/move", data={"csrf_token": token, "to": "in_review", "version": "1"})
    c = client_as(site, "auditor")
    html = c.get(f"/admin/audit?case={site.case_id}").get_data(as_text=True)
    assert "哈希链完整" in html
    actions = re.findall(r'<td class="action">([^<]+)</td>', html)
    assert actions == ["case.start_review", "case.open"]  # newest first
    assert "status：submitted → in_review" in html
    html = c.get("/admin/audit?actor=reviewer&action=case.").get_data(as_text=True)
    assert re.findall(r'<td class="action">([^<]+)</td>', html) == ["case.start_review"]
    html = c.get("/admin/audit?action=user.login").get_data(as_text=True)
    assert set(re.findall(r'<td class="action">([^<]+)</td>', html)) == {"user.login"}
    html = c.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "没有符合条件的记录" in html
    # an entry altered behind the desk's back breaks the chain, and the page says where
    import sqlite3

    db = sqlite3.connect(site.data_dir / "xieyi.sqlite3")
    db.execute("UPDATE audit SET actor = 'someone' WHERE id = 2")
    db.commit()
    db.close()
    html = c.get("/admin/audit").get_data(as_text=True)
    assert "哈希链已断：第 2 条记录" in html

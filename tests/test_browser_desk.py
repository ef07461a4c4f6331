"""The review desk in a real browser (Debian's Chromium under Playwright), as its users work:
an institution opens an application and fills the 景德镇 申请表 in the browser straight
into it, with a material missing; a reviewer sees a box around each value on the page
image, corrects one, returns the case with the deadline the rules give; the institution
supplies the material and resubmits; the reviewer approves.  Another jurisdiction's
reviewer gets a 404, an anonymous visitor the log-in page.  Screenshots of the main pages
go to docs/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest

from api import create_app
from desk import SYSTEM, Desk, DeskSettings, upgrade_database
from parser import parse_pdf

from browser import DESKTOP, PHONE, chromium, chromium_path, done, live_server, log_in, shot
from pages import PASSWORD

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Chromium not installed (scripts/setup.sh --with-chromium)")

NAME = "景德镇市珠山区堃喆康复医院"
TYPED = {"institution_name": NAME, "legal_rep_contact": "王喆 0798-8223344",
         "license_date": "2015-03-01", "address": "景德镇市珠山区莲社北路 88 号",
         "contact_person_phone": "李堃 13907981234", "rated_beds": "120",
         "fill_date": "2026-12-01"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("desk-site")
    settings = DeskSettings.from_mapping({"DATA_DIR": str(data)})
    upgrade_database(settings)
    d = Desk(settings)
    inst = d.register_institution(SYSTEM, name=NAME, credit_code="91350100M000100Y43",
                                  category="medical", jurisdiction="jingdezhen")
    d.add_user(SYSTEM, name="hospital", role="institution", institution_id=inst["id"],
               password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer", role="reviewer", jurisdiction="jingdezhen",
               password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer_sx", role="reviewer", jurisdiction="shanxi",
               password=PASSWORD)
    d.add_user(SYSTEM, name="admin", role="admin", password=PASSWORD)
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _status(page) -> str:
    return page.locator("#case-status").inner_text()


def test_an_application_from_filling_to_approval(site, browser):
    inst = log_in(browser, site, "hospital", PASSWORD)
    inst.get_by_role("button", name="新建申请").click()
    done(inst)
    case_url = inst.url
    assert _status(inst) == "已提交"
    # the application form is a material: filled in the browser, straight into the case
    inst.locator("#material-application_form").get_by_role("link", name="在线填写").click()
    for name, value in TYPED.items():
        inst.fill(f"#in-{name}", value)
    inst.select_option("#in-profit_nature", "非营利性")
    inst.select_option("#in-ownership", "民营")
    inst.get_by_role("button", name="提交到案件").click()
    inst.wait_for_url(case_url)
    assert "已将“工伤保险定点服务机构申请表”提交到案件" in inst.locator(".flash-ok").inner_text()
    assert "未上传" not in inst.locator("#material-application_form").inner_text()
    assert "未上传" in inst.locator("#material-medical_insurance_agreement").inner_text()
    shot(inst, "case-institution")

    rev = log_in(browser, site, "reviewer", PASSWORD)
    assert NAME in rev.locator("tbody").inner_text()
    shot(rev, "desk-reviewer")
    rev.goto(case_url)
    rev.get_by_role("button", name="开始审查").click()
    done(rev)
    assert _status(rev) == "审查中"
    rev.locator("#material-application_form a.document-link").click()
    # a box on the page image around every value read, and the value beside it
    rev.locator(".page img").first.wait_for()
    rev.wait_for_function("document.querySelector('.page img').complete")
    values = rev.locator("#values tbody tr[id^=v-]")
    boxes = rev.locator(".box")
    assert boxes.count() == values.count() > 20
    img = rev.locator("#page-1 img").bounding_box()
    box = rev.locator("#box-institution_name").bounding_box()
    assert img["x"] <= box["x"] and box["x"] + box["width"] <= img["x"] + img["width"]
    assert img["y"] <= box["y"] and box["y"] + box["height"] <= img["y"] + img["height"]
    assert rev.locator("#v-institution_name").inner_text().count(NAME) == 1
    # the box's place on the page is where the parser read the value
    doc_id = int(rev.url.rsplit("/", 1)[1].split("#")[0])
    original = rev.request.get(f"{site}/desk/documents/{doc_id}/original").body()
    x0, top, x1, bottom = parse_pdf(original).fields["institution_name"]["bbox"]
    scale = img["width"] / 595.28
    assert abs(box["x"] - (img["x"] + x0 * scale)) < 2
    assert abs(box["y"] - (img["y"] + top * scale)) < 2
    # clicking a value highlights its box
    rev.locator("#v-rated_beds a").click()
    assert "hl" in rev.locator("#box-rated_beds").get_attribute("class")
    shot(rev, "document-review")
    # a correction keeps the value read beside it
    rev.get_by_text("更正 医疗、康复机构额定床位").click()
    rev.fill("#c-rated_beds", "150")
    rev.fill("#r-rated_beds", "按执业许可证核对")
    rev.get_by_role("button", name="保存更正").first.click()
    done(rev)
    row = rev.locator("#v-rated_beds")
    assert row.locator("s").inner_text() == "120" and row.locator(".corrected").inner_text() == "150"
    # returned for correction: the missing material ticked, the deadline from the rules
    rev.goto(case_url)
    form = rev.locator("#return-form")
    assert form.get_by_label("与医保部门签订的服务协议复印件（未上传）").is_checked()
    form.get_by_role("button", name="退回补正").click()
    done(rev)
    import rules

    due = rules.step_deadline("jingdezhen", "supplement_reply", dt.date.today().isoformat())["due"]
    assert _status(rev) == "需补正" and rev.locator("#case-deadline").inner_text() == due
    assert "5个工作日" in rev.locator("#deadline-explanation").inner_text()

    # the institution sees what to correct and by when, supplies it, resubmits
    inst.goto(case_url)
    assert "与医保部门签订的服务协议复印件" in inst.locator("#to-correct").inner_text()
    assert due in inst.locator("#to-correct").inner_text()
    shot(inst, "case-returned")
    inst.select_option("#slot", "material:medical_insurance_agreement")
    inst.set_input_files("#file", files=[{"name": "医保协议.pdf", "mimeType": "application/pdf",
                                          "buffer": original}])
    inst.get_by_role("button", name="上传").click()
    done(inst)
    assert "未上传" not in inst.locator("#material-medical_insurance_agreement").inner_text()
    inst.get_by_role("button", name="提交补正材料").click()
    done(inst)
    assert _status(inst) == "已补正"

    rev.goto(case_url)
    rev.get_by_role("button", name="开始审查").click()
    done(rev)
    rev.get_by_role("button", name="审查通过").click()
    done(rev)
    assert _status(rev) == "通过"
    history = rev.locator("#history").inner_text()
    for step in ("已提交 → 审查中", "审查中 → 需补正", "需补正 → 已补正", "已补正 → 审查中",
                 "审查中 → 通过"):
        assert step in history
    shot(rev, "case-approved")

    # an admin finds every step in the audit trail, the chain whole
    admin = log_in(browser, site, "admin", PASSWORD)
    case_id = case_url.rsplit("/", 1)[1]
    admin.goto(f"{site}/admin/audit?case={case_id}")
    assert "哈希链完整" in admin.locator("#chain").inner_text()
    actions = admin.locator("#audit td.action").all_inner_texts()[::-1]  # oldest first
    steps = ["case.open", "document.upload", "document.read", "case.start_review",
             "document.correct", "case.return", "document.upload", "case.resubmit",
             "case.start_review", "case.approve"]
    assert [a for a in actions if a in steps] == steps
    who = admin.locator("#audit tbody tr").all_inner_texts()
    assert any("hospital" in r and "case.resubmit" in r for r in who)
    assert any("reviewer" in r and "document.correct" in r and "150" in r for r in who)
    inst.context.close()
    rev.context.close()
    admin.context.close()


def test_another_jurisdictions_reviewer_gets_a_404_and_a_visitor_the_log_in(site, browser):
    inst = log_in(browser, site, "hospital", PASSWORD)
    inst.get_by_role("button", name="新建申请").click()
    done(inst)
    case_url = inst.url
    other = log_in(browser, site, "reviewer_sx", PASSWORD)
    r = other.goto(case_url)
    assert r.status == 404 and other.locator("h1").inner_text() == "页面不存在"
    assert NAME not in other.content()
    context = browser.new_context(viewport=DESKTOP)
    anon = context.new_page()
    anon.goto(case_url)
    assert anon.url.startswith(site + "/login?next=")
    assert anon.locator("h1").inner_text() == "登录"
    for p in (inst, other, anon):
        p.context.close()


def test_the_desk_pages_work_at_phone_width(site, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    p = context.new_page()
    try:
        p.goto(site + "/login")
        p.get_by_label("账户名").fill("reviewer")
        p.get_by_label("密码").fill(PASSWORD)
        p.get_by_role("button", name="登录").click()
        p.wait_for_url(site + "/desk")
        first_case = p.locator("tbody a").first.get_attribute("href")
        for path, name in (("/desk", "desk-phone"), (first_case, "case-phone")):
            p.goto(site + path)
            # nothing wider than the screen but what scrolls in its own box
            overflow = p.evaluate("document.documentElement.scrollWidth")
            assert overflow <= PHONE["width"] + 1, (path, overflow)
            shot(p, name, full_page=False)
    finally:
        context.close()

"""Everyone's pages in a real browser (Debian's Chromium under Playwright): the catalogue,
a form's page, the materials a jurisdiction asks for, and filling the 景德镇 申请表 in the
browser down to a PDF whose values read back exactly.  Each main page is saved to
docs/screenshots/ at desk and phone width."""

from __future__ import annotations

import pytest

from api import create_app
from parser import parse_pdf

from browser import DESKTOP, PHONE, chromium, chromium_path, live_server, shot

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Chromium not installed (scripts/setup.sh --with-chromium)")

NAME = "景德镇市昌江区堃喆康复医院有限公司"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path_factory.mktemp("site"))})
    with live_server(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, accept_downloads=True, locale="zh-CN")
    p = context.new_page()
    yield p
    context.close()


def test_the_catalogue_tells_every_form_apart(site, page):
    page.goto(site + "/")
    assert page.title() == "工伤保险协议服务机构文书 · xieyi"
    rows = page.locator("#shanxi tbody tr")
    titles = [rows.nth(i).locator("td").nth(1).locator("a").first.inner_text()
              for i in range(rows.count())]
    assert len(titles) == len(set(titles))  # 假眼, 助听器, 光学助视器, 假肢矫形器 told apart
    assert any("(假眼配置机构)" in t for t in titles)
    assert page.locator("#shanxi h2 .expired").inner_text() == "已失效"
    shot(page, "catalogue")
    page.get_by_role("link", name="山西省工伤保险辅助器具配置协议服务机构准入评估表(助听器配置机构)",
                     exact=True).click()
    assert page.locator("h1").inner_text().endswith("(助听器配置机构)")
    assert "第十五条" in page.locator("dl").inner_text()
    shot(page, "form-page")


def test_materials_for_a_jurisdiction_and_kind_with_their_articles(site, page):
    page.goto(site + "/materials")
    page.select_option("#jurisdiction", "jingdezhen")
    page.select_option("#category", "rehab")
    page.get_by_role("button", name="查看").click()
    items = page.locator("ol > li")
    text = items.all_inner_texts()
    assert any("工伤康复特色项目介绍" in t and "二、1.（八）" in t for t in text)
    # the application form is one of the materials, and can be filled from there
    page.get_by_role("link", name="在线填写 工伤保险定点服务机构申请表", exact=True).click()
    assert page.locator("h1").inner_text() == "在线填写：工伤保险定点服务机构申请表"
    page.goto(site + "/materials?jurisdiction=jingdezhen&category=rehab")
    shot(page, "materials")


def test_an_institution_fills_the_jingdezhen_form_in_the_browser(site, page):
    page.goto(site + "/forms/jingdezhen-application/fill")
    name = page.get_by_label("机构名称", exact=False).first
    name.fill(NAME)
    beds = page.locator("#in-rated_beds")
    # a wrong value is told as it is typed, in the API's words
    beds.fill("-3")
    beds.blur()
    problem = page.locator("#problem-rated_beds")
    problem.filter(has_text="不能为负数").wait_for()
    assert beds.get_attribute("aria-invalid") == "true"
    beds.fill("120")
    beds.blur()
    page.wait_for_function(
        "document.getElementById('problem-rated_beds').textContent === ''")
    page.select_option("#in-profit_nature", "非营利性")
    page.fill("#in-license_date", "2015-03-01")
    shot(page, "fill")
    with page.expect_download() as dl:
        page.get_by_role("button", name="下载 PDF").click()
    download = dl.value
    assert download.suggested_filename.endswith("工伤保险定点服务机构申请表.pdf")
    record = parse_pdf(open(download.path(), "rb").read()).record
    assert record["institution_name"] == NAME
    assert record["rated_beds"] == 120 and record["profit_nature"] == "非营利性"
    assert str(record["license_date"]) == "2015-03-01"


def test_a_submitted_problem_is_listed_and_nothing_typed_is_lost(site, page):
    page.goto(site + "/forms/jingdezhen-application/fill")
    page.fill("#in-institution_name", NAME)
    page.fill("#in-rated_beds", "1.5")
    page.get_by_role("button", name="下载 PDF").click()
    alert = page.locator("#problems")
    assert "应为整数" in alert.inner_text()
    assert page.input_value("#in-institution_name") == NAME  # kept
    alert.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "in-rated_beds" \
        or page.url.endswith("#in-rated_beds")


def test_the_pages_work_at_phone_width(site, browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    p = context.new_page()
    try:
        for path, name in (("/", "catalogue-phone"), ("/forms/jingdezhen-application/fill",
                                                      "fill-phone")):
            p.goto(site + path)
            # nothing wider than the screen but what scrolls in its own box
            overflow = p.evaluate("document.documentElement.scrollWidth")
            assert overflow <= PHONE["width"] + 1, (path, overflow)
            shot(p, name, full_page=False)
    finally:
        context.close()


def test_an_unknown_form_is_a_page_in_chinese(site, page):
    r = page.goto(site + "/forms/no-such-form/fill")
    assert r.status == 404
    assert page.locator("h1").inner_text() == "页面不存在"
    assert "Traceback" not in page.content()

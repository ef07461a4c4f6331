"""The agreement in a real browser (Debian's Chromium under Playwright): for an approved
Shanxi case the agency's signing office types 甲方, drafts the agreement, sees its pages, uploads the
signed copy and marks the case signed; a batch of approved cases runs with its progress
bar to a zip; an admin finds every step in the audit trail.  Screenshots go to
docs/screenshots/."""

from __future__ import annotations

import io
import zipfile

import pytest

from api import create_app
from desk import SYSTEM, Desk, DeskSettings, upgrade_database

from browser import chromium, chromium_path, done, live_server, log_in, shot
from pages import PASSWORD, approved_shanxi_cases

pytestmark = pytest.mark.skipif(chromium_path() is None,
                                reason="Chromium not installed (scripts/setup.sh --with-chromium)")

PARTY_A = {"name": "太原市社会保险中心", "representative": "张三",
           "address": "山西省太原市小店区长治路 123 号", "postcode": "030001",
           "telephone": "0351-4123456"}
HOSPITALS = ("太原市堃喆医院", "大同市第三人民医院", "晋中市第一人民医院")
CODES = ("91350100M000100Y43", "91440300708461136T", "91360200MA35GYXY0M")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("agreement-site")
    settings = DeskSettings.from_mapping({"DATA_DIR": str(data)})
    upgrade_database(settings)
    d = Desk(settings)
    d.add_user(SYSTEM, name="reviewer", role="reviewer", jurisdiction="shanxi", password=PASSWORD)
    d.add_user(SYSTEM, name="signer", role="signer", jurisdiction="shanxi", password=PASSWORD)
    d.add_user(SYSTEM, name="admin", role="admin", password=PASSWORD)
    reviewer = d.actor_for_token(d.log_in("reviewer", PASSWORD)["token"])
    cases = approved_shanxi_cases(d, reviewer, dict(zip(HOSPITALS, CODES)))
    inst = d.register_institution(SYSTEM, name="阳泉市康复医院", credit_code="91110108MA01KPGK0L",
                                  category="medical", jurisdiction="shanxi")
    in_review = d.open_case(SYSTEM, inst["id"])["id"]
    d.move(reviewer, in_review, "in_review")
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(data)})
    app.in_review = in_review
    with live_server(app) as url:
        yield url, cases + [in_review]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def test_draft_preview_sign_then_a_batch_and_the_audit_trail(site, browser):
    url, cases = site
    cases = cases[:3]
    # the agency's signing office: it drafts, prints, keeps the signed copy, signs
    rev = log_in(browser, url, "signer", PASSWORD)
    rev.goto(f"{url}/desk/cases/{cases[0]}")
    form = rev.locator("#agreement-form")
    assert form.locator("#party_b-name").input_value() == HOSPITALS[0]
    for f, v in PARTY_A.items():
        form.locator(f"#party_a-{f}").fill(v)
    form.locator("#party_b-representative").fill("李四")
    form.locator("#party_b-address").fill("山西省太原市迎泽大街 1 号")
    form.locator("#party_b-postcode").fill("030002")
    form.locator("#party_b-telephone").fill("13812345678")
    form.locator("#city").select_option("太原")
    form.get_by_role("button", name="生成服务协议").click()
    assert "已生成服务协议" in done(rev)
    rev.locator("#page-1 img").wait_for()
    rev.wait_for_function("document.querySelector('#page-1 img').complete && "
                          "document.querySelector('#page-1 img').naturalWidth > 0")
    assert HOSPITALS[0] in rev.locator("#parties").inner_text()
    shot(rev, "agreement-preview")
    with rev.expect_download() as dl:
        rev.get_by_role("link", name="下载原件").click()
    signed = open(dl.value.path(), "rb").read()
    assert signed.startswith(b"%PDF-")
    # the signed copy, then signed
    rev.goto(f"{url}/desk/cases/{cases[0]}")
    rev.select_option("#slot", "agreement:signed")
    rev.set_input_files("#file", files=[{"name": "签字盖章的协议.pdf", "mimeType": "application/pdf",
                                         "buffer": signed}])
    rev.get_by_role("button", name="上传").click()
    done(rev)
    rev.get_by_role("button", name="签订协议").click()
    done(rev)
    assert rev.locator("#case-status").inner_text() == "已签约"
    shot(rev, "case-signed")

    # the other two at once: 甲方 remembered, 乙方's missing postcodes typed in the table
    rev.get_by_role("link", name="批量生成协议").click()
    assert rev.locator("#party_a-name").input_value() == PARTY_A["name"]
    for cid in cases[1:]:
        rev.locator(f"#b{cid}-representative").fill("王五")
        rev.locator(f"#b{cid}-address").fill("山西省某市某路 8 号")
        rev.locator(f"#b{cid}-postcode").fill("037000")
        rev.locator(f"#b{cid}-telephone").fill("13912345678")
    shot(rev, "agreements-batch")
    rev.get_by_role("button", name="生成所选案件的协议").click()
    rev.locator("#job-zip").wait_for(timeout=60000)
    assert rev.locator("#job-done").inner_text() == "2"
    assert rev.locator("#job-progress").get_attribute("value") == "2"
    shot(rev, "agreements-job")
    with rev.expect_download() as dl:
        rev.locator("#job-zip").click()
    names = zipfile.ZipFile(io.BytesIO(open(dl.value.path(), "rb").read())).namelist()
    assert sorted(names) == sorted(f"{n}.pdf" for n in HOSPITALS[1:])

    # the admin finds every step of the first case in the audit trail
    admin = log_in(browser, url, "admin", PASSWORD)
    admin.get_by_role("link", name="审计记录").click()
    assert "哈希链完整" in admin.locator("#chain").inner_text()
    admin.fill("#f-case", str(cases[0]))
    admin.get_by_role("button", name="筛选").click()
    actions = admin.locator("#audit td.action").all_inner_texts()
    for step in ("case.open", "document.upload", "document.read", "case.start_review",
                 "case.approve", "agreement.draft", "case.sign"):
        assert step in actions
    shot(admin, "audit")
    rev.context.close()
    admin.context.close()


def test_the_panel_scores_a_case_in_the_browser(site, browser):
    from scoring import example_input, get_table, score

    url, cases = site
    case = cases[3]
    rev = log_in(browser, url, "reviewer", PASSWORD)
    rev.goto(f"{url}/desk/cases/{case}")
    rev.get_by_role("link", name="填写山西省工伤保险医疗协议服务机构准入评估表").click()
    table = get_table("shanxi-eval-medical")
    data = example_input(table, "full", "medical")
    data["items"]["7"]["stock_rate"] = 60  # below the 70 % the standard asks: 5 points off
    form = rev.locator("#score-form")
    for item_id, given in data["items"].items():
        for key, v in given.items():
            name = f"item.{item_id}.{key}"
            if isinstance(v, bool):
                if v:
                    form.locator(f'input[name="{name}"]').check()
            elif isinstance(v, list):
                for e in v:
                    form.locator(f'input[name="{name}"][value="{e}"]').check()
            else:
                form.locator(f'[name="{name}"]').fill(str(v))
    shot(rev, "score")
    form.get_by_role("button", name="计算并保存评分").click()
    assert "已评分" in done(rev)
    expected = score(table.id, data, "medical")
    assert rev.locator("#score-total").inner_text() == expected["total"]
    assert expected["result_zh"] in rev.locator("#score-verdict").inner_text()
    rev.wait_for_function("document.querySelector('#page-1 img').complete && "
                          "document.querySelector('#page-1 img').naturalWidth > 0")
    assert rev.locator("h1").inner_text() == "山西省工伤保险医疗协议服务机构准入评估表"
    shot(rev, "score-result")
    rev.context.close()

"""The agreement's pages: for an approved case, the reviewer drafts the agreement (乙方 from
the application form, 甲方 typed once), previews it as page images, downloads it, uploads
the signed copy and marks the case signed; many approved cases at once as a job with its
progress and a zip.  Each page as each role and anonymously."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pdfplumber
import pytest

from api import create_app
from pages import PASSWORD, approved_shanxi_cases, client_as, csrf_token

PARTY_A = {"name": "太原市社会保险中心", "representative": "张三",
           "address": "山西省太原市小店区长治路 123 号", "postcode": "030001",
           "telephone": "0351-4123456"}
HOSPITALS = ("太原市堃喆医院", "大同市第三人民医院")


@pytest.fixture
def site(tmp_path):
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    settings = DeskSettings.from_mapping({"DATA_DIR": str(tmp_path)})
    upgrade_database(settings)
    d = Desk(settings)
    d.add_user(SYSTEM, name="reviewer", role="reviewer", jurisdiction="shanxi", password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer2", role="reviewer", jurisdiction="shanxi", password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer_jdz", role="reviewer", jurisdiction="jingdezhen",
               password=PASSWORD)
    reviewer = d.log_in("reviewer", PASSWORD)
    reviewer = d.actor_for_token(reviewer["token"])
    cases = approved_shanxi_cases(d, reviewer, dict(zip(HOSPITALS, ("91350100M000100Y43", "91440300708461136T"))))
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    app.cases = cases
    yield app
    ext = app.extensions.get("xieyi-desk")
    if ext:
        ext.close()


def _party_a_form() -> dict:
    return {f"party_a.{k}": v for k, v in PARTY_A.items()}


def _value(html: str, id_: str) -> str:
    return re.search(rf'id="{re.escape(id_)}"[^>]*value="([^"]*)"', html).group(1)


def test_the_reviewer_drafts_previews_and_the_case_is_signed(site):
    c = client_as(site, "reviewer")
    case = f"/desk/cases/{site.cases[0]}"
    page = c.get(case).get_data(as_text=True)
    assert 'id="agreement-form"' in page
    # 乙方 from the application form; 甲方 still to type
    assert _value(page, "party_b-name") == HOSPITALS[0]
    assert _value(page, "party_a-name") == ""
    token = csrf_token(page)
    # an incomplete form: every problem named, nothing typed lost
    r = c.post(f"{case}/agreement", data={"csrf_token": token, "party_a.name": PARTY_A["name"],
                                          "party_a.postcode": "0300"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    problems = re.search(r'id="agreement-problems">(.*?)</div>', html, re.S).group(1)
    assert "甲方·邮政编码" in problems and "甲方·法定代表人或委托代理人" in problems
    assert _value(html, "party_a-name") == PARTY_A["name"] and _value(html, "party_a-postcode") == "0300"
    # complete: drafted, kept in the case, shown as pages
    form = {**_party_a_form(), "csrf_token": token, "party_b.name": HOSPITALS[0],
            "party_b.representative": "李四", "party_b.address": "太原市迎泽大街 1 号",
            "party_b.postcode": "030002", "party_b.telephone": "13812345678",
            "city": "太原", "term_years": "2", "format": "pdf"}
    r = c.post(f"{case}/agreement", data=form)
    assert r.status_code == 302 and "/desk/documents/" in r.headers["Location"]
    doc_url = r.headers["Location"]
    html = c.get(doc_url).get_data(as_text=True)
    assert "已生成服务协议" in html and "协议双方" in html
    assert len(re.findall(r'<div class="page" id="page-\d+"', html)) >= 5
    assert c.get(f"{doc_url}/pages/1.png").data.startswith(b"\x89PNG")
    pdf = c.get(f"{doc_url}/original").data
    with pdfplumber.open(io.BytesIO(pdf)) as p:
        text = "".join(pg.extract_text() or "" for pg in p.pages).replace(" ", "")
    assert HOSPITALS[0] in text and PARTY_A["name"] in text
    # 甲方 is remembered for the next agreement
    assert _value(c.get(f"/desk/cases/{site.cases[1]}").get_data(as_text=True),
                  "party_a-name") == PARTY_A["name"]
    # the signed copy, then signed
    r = c.post(f"{case}/documents", data={"csrf_token": token, "slot": "agreement:signed",
                                          "file": (io.BytesIO(pdf), "签字盖章的协议.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 302
    page = c.get(case).get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    c.post(f"{case}/move", data={"csrf_token": token, "to": "signed", "version": version})
    page = c.get(case).get_data(as_text=True)
    assert re.search(r'id="case-status">([^<]+)<', page).group(1) == "已签约"
    assert 'id="agreement-form"' not in page


def test_only_the_jurisdictions_reviewer_drafts(site):
    case = f"/desk/cases/{site.cases[0]}"
    inst = client_as(site, "hospital0")
    page = inst.get(case).get_data(as_text=True)
    assert 'id="agreement-form"' not in page
    token = csrf_token(inst.get("/desk").get_data(as_text=True))
    r = inst.post(f"{case}/agreement", data={**_party_a_form(), "csrf_token": token})
    assert r.status_code == 422 and "无权" in r.get_data(as_text=True)
    other = client_as(site, "reviewer_jdz")
    token = csrf_token(other.get("/desk").get_data(as_text=True))
    assert other.post(f"{case}/agreement", data={**_party_a_form(), "csrf_token": token}
                      ).status_code == 404
    assert client_as(site, None).post(f"{case}/agreement").status_code in (302, 400)


def _wait(c, url: str) -> str:
    for _ in range(300):
        html = c.get(url).get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return html
        time.sleep(0.05)
    raise AssertionError("the job did not end")


def test_a_batch_drafts_every_ticked_case_and_lists_the_one_it_could_not(site):
    c = client_as(site, "reviewer")
    page = c.get("/desk/agreements").get_data(as_text=True)
    for cid, name in zip(site.cases, HOSPITALS):
        assert _value(page, f"b{cid}-name") == name
        assert 'class="low"' in re.search(rf'id="b{cid}-postcode"[^>]*>', page).group(0)
    first, second = site.cases
    form = {**_party_a_form(), "csrf_token": csrf_token(page), "case": [str(first), str(second)],
            "city": "太原", "term_years": "1", "format": "pdf"}
    for cid, name in zip(site.cases, HOSPITALS):
        form.update({f"b{cid}.name": name, f"b{cid}.representative": "李四",
                     f"b{cid}.address": "山西省某市某路 1 号", f"b{cid}.telephone": "13812345678"})
    form[f"b{first}.postcode"] = "030002"  # the second case's postcode left out
    r = c.post("/desk/agreements", data=form)
    assert r.status_code == 302
    job = r.headers["Location"]
    html = _wait(c, job)
    assert re.search(r'id="job-done">(\d+)<', html).group(1) == "1"
    assert re.search(r'<progress[^>]*value="(\d+)"', html).group(1) == "2"
    skipped = re.search(r'id="job-skipped">(.*?)</ul>', html, re.S).group(1)
    assert f"案件 {second}" in skipped and "乙方·邮政编码" in skipped
    z = c.get(re.search(r'id="job-zip" href="([^"]+)"', html).group(1))
    assert zipfile.ZipFile(io.BytesIO(z.data)).namelist() == [f"{HOSPITALS[0]}.pdf"]
    assert 'data-slot="agreement:draft">服务协议草稿' in c.get(f"/desk/cases/{first}").get_data(as_text=True)
    assert 'data-slot="agreement:draft"' not in c.get(f"/desk/cases/{second}").get_data(as_text=True)
    # the job is its starter's alone
    assert client_as(site, "reviewer2").get(job).status_code == 404
    assert client_as(site, "reviewer2").get(job + "/zip").status_code == 404
    assert client_as(site, None).get(job).status_code == 302


def test_the_batch_page_is_a_reviewers(site):
    assert client_as(site, "hospital0").get("/desk/agreements").status_code == 403
    assert client_as(site, None).get("/desk/agreements").status_code == 302
    other = client_as(site, "reviewer_jdz").get("/desk/agreements").get_data(as_text=True)
    assert 'id="no-cases"' in other and HOSPITALS[0] not in other
    # the navigation offers the batch page where the documents attach an agreement text
    assert 'href="/desk/agreements"' not in other
    assert 'href="/desk/agreements"' in client_as(site, "reviewer").get("/desk").get_data(as_text=True)
    c = client_as(site, "reviewer")
    r = c.post("/desk/agreements", data={**_party_a_form(),
                                         "csrf_token": csrf_token(c.get("/desk").get_data(as_text=True))})
    assert r.status_code == 422 and "请至少选择一个案件" in r.get_data(as_text=True)


def test_the_signing_office_drafts_and_signs_and_nothing_else(site):
    from desk import SYSTEM, Desk, DeskSettings

    d = Desk(DeskSettings.from_mapping({"DATA_DIR": site.config["DATA_DIR"]}))
    d.add_user(SYSTEM, name="signer", role="signer", jurisdiction="shanxi", password=PASSWORD)
    d.add_user(SYSTEM, name="signer_jdz", role="signer", jurisdiction="jingdezhen",
               password=PASSWORD)
    d.close()
    c = client_as(site, "signer")
    case = f"/desk/cases/{site.cases[0]}"
    page = c.get(case).get_data(as_text=True)
    assert 'id="agreement-form"' in page and "签订协议" in page
    # the upload form offers the signed agreement only, and the desk refuses anything else
    slots = re.findall(r'<option value="([^"]+)">', re.search(r'<select id="slot".*?</select>',
                                                             page, re.S).group(0))
    assert slots == ["agreement:signed"]
    token = csrf_token(page)
    r = c.post(f"{case}/documents", data={"csrf_token": token, "slot": "material:medical_license",
                                          "file": (io.BytesIO(b"%PDF-1.4\n"), "x.pdf")},
               content_type="multipart/form-data")
    assert "无权" in c.get(case).get_data(as_text=True)
    form = {**_party_a_form(), "csrf_token": token, "party_b.name": HOSPITALS[0],
            "party_b.representative": "李四", "party_b.address": "太原市迎泽大街 1 号",
            "party_b.postcode": "030002", "party_b.telephone": "13812345678",
            "term_years": "1", "format": "pdf"}
    r = c.post(f"{case}/agreement", data=form)
    assert r.status_code == 302, re.findall(r"<li>([^<]*)</li>", r.get_data(as_text=True))
    pdf = c.get(r.headers["Location"] + "/original").data
    c.post(f"{case}/documents", data={"csrf_token": token, "slot": "agreement:signed",
                                      "file": (io.BytesIO(pdf), "签字盖章的协议.pdf")},
           content_type="multipart/form-data")
    version = re.search(r'name="version" value="(\d+)"', c.get(case).get_data(as_text=True)).group(1)
    c.post(f"{case}/move", data={"csrf_token": token, "to": "signed", "version": version})
    assert re.search(r'id="case-status">([^<]+)<', c.get(case).get_data(as_text=True)).group(1) == "已签约"
    # the batch page is theirs too; another jurisdiction's signing office sees nothing
    assert c.get("/desk/agreements").status_code == 200
    other = client_as(site, "signer_jdz")
    assert other.get(case).status_code == 404
    assert HOSPITALS[1] not in other.get("/desk").get_data(as_text=True)


def test_a_signer_needs_a_jurisdiction(site):
    from desk import SYSTEM, Desk, DeskSettings
    from forms import XieyiError

    d = Desk(DeskSettings.from_mapping({"DATA_DIR": site.config["DATA_DIR"]}))
    with pytest.raises(XieyiError) as e:
        d.add_user(SYSTEM, name="signer", role="signer", password=PASSWORD)
    d.close()
    assert "签约人员须指定地区" in str(e.value)

"""The desk's pages (api/pages_desk.py) through Flask's test client: every page as each role
and anonymously, another institution's or jurisdiction's case a 404, CSRF on every form,
the list's filters and pages, the review page's boxes, corrections and the return with its
deadline computed by the rules."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import rules
from api import create_app
from forms import get_form, sample_record
from generator.pdf import render_pdf
from pages import PASSWORD, client_as, csrf_token

NAME_A = "景德镇市第一人民医院"
USERS = ("hospital_a", "hospital_b", "reviewer", "reviewer_sx", "admin", "auditor")


@pytest.fixture
def site(tmp_path):
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    settings = DeskSettings.from_mapping({"DATA_DIR": str(tmp_path)})
    upgrade_database(settings)
    d = Desk(settings)
    a = d.register_institution(SYSTEM, name=NAME_A, credit_code="91350100M000100Y43",
                               category="medical", jurisdiction="jingdezhen")
    b = d.register_institution(SYSTEM, name="景德镇市第二人民医院",
                               credit_code="91440300708461136T", category="medical",
                               jurisdiction="jingdezhen")
    user_a, _ = d.add_user(SYSTEM, name="hospital_a", role="institution",
                           institution_id=a["id"], password=PASSWORD)
    d.add_user(SYSTEM, name="hospital_b", role="institution", institution_id=b["id"],
               password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer", role="reviewer", jurisdiction="jingdezhen",
               password=PASSWORD)
    d.add_user(SYSTEM, name="reviewer_sx", role="reviewer", jurisdiction="shanxi",
               password=PASSWORD)
    d.add_user(SYSTEM, name="admin", role="admin", password=PASSWORD)
    d.add_user(SYSTEM, name="auditor", role="auditor", password=PASSWORD)
    case = d.open_case(SYSTEM, a["id"])
    spec = get_form("jingdezhen-application")
    record = sample_record(spec)
    record["institution_name"] = NAME_A
    doc = d.attach(d.actor_for_user(user_a["id"]), case["id"], slot=spec.id, filename="申请表.pdf",
                   data=render_pdf(spec, record))
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    app.case_id, app.doc_id = case["id"], doc["id"]
    yield app
    ext = app.extensions.get("xieyi-desk")
    if ext:
        ext.close()


def _flash(c, url: str) -> str:
    return " ".join(re.findall(r'<p class="flash flash-\w+"[^>]*>([^<]*)</p>',
                               c.get(url).get_data(as_text=True)))


def _pages(app) -> list[str]:
    cid, did = app.case_id, app.doc_id
    return [f"/desk/cases/{cid}", f"/desk/documents/{did}",
            f"/desk/documents/{did}/pages/1.png", f"/desk/documents/{did}/original"]


# ------------------------------------------------------------------ who sees what

SEES = {"hospital_a": True, "hospital_b": False, "reviewer": True, "reviewer_sx": False,
        "admin": True, "auditor": True}


@pytest.mark.parametrize("name", USERS)
def test_each_role_sees_the_case_or_a_404(site, name):
    c = client_as(site, name)
    listing = c.get("/desk").get_data(as_text=True)
    assert (NAME_A in listing) is SEES[name]
    for url in _pages(site):
        r = c.get(url)
        if SEES[name]:
            assert r.status_code == 200, url
        else:
            assert r.status_code == 404, url
            text = r.get_data(as_text=True)
            assert "页面不存在" in text and NAME_A not in text


def test_a_visitor_is_sent_to_log_in_from_every_page(site):
    c = client_as(site, None)
    for url in ["/desk"] + _pages(site):
        r = c.get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next="), url
    for url in (f"/desk/cases/{site.case_id}/move", f"/desk/cases/{site.case_id}/documents",
                f"/desk/documents/{site.doc_id}/corrections", "/desk/cases"):
        assert c.post(url).status_code in (302, 400), url


def test_every_form_needs_its_csrf_token(site):
    c = client_as(site, "reviewer")
    for url, data in ((f"/desk/cases/{site.case_id}/move", {"to": "in_review", "version": "1"}),
                      (f"/desk/documents/{site.doc_id}/corrections",
                       {"field": "rated_beds", "value": "1", "reason": "x"}),
                      ("/desk/cases", {})):
        r = c.post(url, data=data)
        assert r.status_code == 400 and "表单已过期" in r.get_data(as_text=True), url
    assert "审查中" not in c.get(f"/desk/cases/{site.case_id}").get_data(as_text=True)


def test_another_institution_cannot_upload_to_or_move_a_case(site):
    c = client_as(site, "hospital_b")
    token = csrf_token(c.get("/desk").get_data(as_text=True))
    r = c.post(f"/desk/cases/{site.case_id}/move",
               data={"to": "in_review", "version": "1", "csrf_token": token})
    assert r.status_code == 404
    import io

    r = c.post(f"/desk/cases/{site.case_id}/documents",
               data={"slot": "material:medical_license", "csrf_token": token,
                     "file": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf")},
               content_type="multipart/form-data")
    assert r.status_code == 404


def test_an_institution_cannot_correct_a_value(site):
    c = client_as(site, "hospital_a")
    page = c.get(f"/desk/documents/{site.doc_id}").get_data(as_text=True)
    assert "保存更正" not in page
    token = csrf_token(c.get(f"/desk/cases/{site.case_id}").get_data(as_text=True))
    r = c.post(f"/desk/documents/{site.doc_id}/corrections",
               data={"field": "rated_beds", "value": "4321", "reason": "改", "csrf_token": token})
    assert r.status_code == 302
    page = c.get(f"/desk/documents/{site.doc_id}").get_data(as_text=True)
    assert "4321" not in page and "无权" in page


# ------------------------------------------------------------------ the review page

def test_the_review_page_boxes_every_value_read_on_its_page(site):
    c = client_as(site, "reviewer")
    html = c.get(f"/desk/documents/{site.doc_id}").get_data(as_text=True)
    boxes = re.findall(r'class="box[^"]*" id="box-([\w-]+)"', html)
    rows = re.findall(r'<tr id="v-([\w-]+)"', html)
    assert len(boxes) == len(rows) > 20 and set(boxes) == set(rows)
    assert NAME_A in html and "工伤保险定点服务机构申请表" in html
    style = re.search(r'id="box-institution_name"[^>]*style="([^"]+)"', html).group(1)
    left, top, width, height = (float(v) for v in re.findall(r"([\d.]+)%", style))
    assert 0 <= left < 100 and 0 <= top < 100 and 0 < width <= 100 - left and 0 < height < 10


def test_a_page_image_is_drawn_once_and_then_served_from_the_cache(site, tmp_path):
    c = client_as(site, "reviewer")
    url = f"/desk/documents/{site.doc_id}/pages/1.png"
    first = c.get(url)
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert first.data.startswith(b"\x89PNG") and "private" in first.headers["Cache-Control"]
    cached = list((tmp_path / "cache" / "pages").glob("*/1-1000.png"))
    assert len(cached) == 1 and cached[0].read_bytes() == first.data
    assert c.get(url).data == first.data
    assert c.get(url + "?w=1600").status_code == 200
    r = c.get(url + "?w=7")
    assert r.status_code == 422 and "图像宽度" in r.get_data(as_text=True)
    r = c.get(f"/desk/documents/{site.doc_id}/pages/9.png")
    assert r.status_code == 404 and "第 9 页" in r.get_data(as_text=True)


def test_a_correction_is_kept_beside_the_value_read(site):
    c = client_as(site, "reviewer")
    case = f"/desk/cases/{site.case_id}"
    token = csrf_token(c.get(case).get_data(as_text=True))
    c.post(f"{case}/move", data={"to": "in_review", "version": "1", "csrf_token": token})
    doc = f"/desk/documents/{site.doc_id}"
    r = c.post(f"{doc}/corrections", data={"field": "rated_beds", "value": "150",
                                           "reason": "按执业许可证核对", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("#v-rated_beds")
    html = c.get(doc).get_data(as_text=True)
    row = re.search(r'<tr id="v-rated_beds".*?</tr>', html, re.S).group(0)
    assert '<strong class="corrected">150</strong>' in row and "按执业许可证核对" in row
    # a value the form cannot hold is refused with the form's own message, nothing kept
    r = c.post(f"{doc}/corrections", data={"field": "rated_beds", "value": "很多",
                                           "reason": "试", "csrf_token": token})
    assert "150" in _flash(c, doc) or "150" in c.get(doc).get_data(as_text=True)


def test_returning_a_case_computes_the_deadline_and_the_institution_sees_it(site):
    rev = client_as(site, "reviewer")
    case = f"/desk/cases/{site.case_id}"
    token = csrf_token(rev.get(case).get_data(as_text=True))
    rev.post(f"{case}/move", data={"to": "in_review", "version": "1", "csrf_token": token})
    r = rev.post(f"{case}/move", data={
        "to": "returned", "version": "2", "csrf_token": token,
        "item": ["与医保部门签订的服务协议复印件"], "items_text": "执业许可证副本页不清晰\n"})
    assert r.status_code == 302
    due = rules.step_deadline("jingdezhen", "supplement_reply",
                              dt.date.today().isoformat())["due"]
    inst = client_as(site, "hospital_a").get(case).get_data(as_text=True)
    block = re.search(r'id="to-correct">.*?</div>', inst, re.S).group(0)
    assert due in block and "执业许可证副本页不清晰" in block and "与医保部门签订的服务协议复印件" in block
    assert re.search(r'id="case-deadline">([^<]+)<', inst).group(1) == due


def test_a_stale_form_says_the_case_moved_on(site):
    rev = client_as(site, "reviewer")
    case = f"/desk/cases/{site.case_id}"
    token = csrf_token(rev.get(case).get_data(as_text=True))
    rev.post(f"{case}/move", data={"to": "in_review", "version": "1", "csrf_token": token})
    r = rev.post(f"{case}/move", data={"to": "in_review", "version": "1", "csrf_token": token})
    assert r.status_code == 302
    assert "刷新" in _flash(rev, case) or "不能" in _flash(rev, case)


def test_a_rejection_needs_an_article_for_each_reason(site):
    rev = client_as(site, "reviewer")
    case = f"/desk/cases/{site.case_id}"
    token = csrf_token(rev.get(case).get_data(as_text=True))
    rev.post(f"{case}/move", data={"to": "in_review", "version": "1", "csrf_token": token})
    rev.post(f"{case}/move", data={"to": "rejected", "version": "2", "csrf_token": token,
                                   "reason_0": "床位不足"})
    assert "审查中" in rev.get(case).get_data(as_text=True)
    rev.post(f"{case}/move", data={"to": "rejected", "version": "2", "csrf_token": token,
                                   "reason_0": "床位不足", "article_0": "五"})
    inst = client_as(site, "hospital_a").get(case).get_data(as_text=True)
    assert "不予通过" in inst and "床位不足（依据 五）" in inst


# ------------------------------------------------------------------ the list

def test_the_list_filters_by_status_and_pages_through(site):
    from desk import SYSTEM, Desk, DeskSettings

    d = Desk(DeskSettings.from_mapping({"DATA_DIR": site.config["DATA_DIR"]}))
    for _ in range(24):
        d.open_case(SYSTEM, 1)
    d.close()
    c = client_as(site, "reviewer")
    first = c.get("/desk").get_data(as_text=True)
    second = c.get("/desk?page=2").get_data(as_text=True)
    ids = lambda html: re.findall(r'href="/desk/cases/(\d+)"', html)  # noqa: E731
    assert len(ids(first)) == 20 and len(ids(second)) == 5
    assert not set(ids(first)) & set(ids(second))
    assert "第 2 页" in second or "2 / 2" in second
    assert ids(c.get("/desk?status=returned").get_data(as_text=True)) == []
    assert len(ids(c.get("/desk?status=bogus").get_data(as_text=True))) == 20


def _scan_of(form_id: str) -> bytes:
    """A printed page of ``form_id`` as a scanner gives it: 150 dpi, a little skewed, JPEG."""
    import io

    import pypdfium2 as pdfium

    spec = get_form(form_id)
    doc = pdfium.PdfDocument(render_pdf(spec, sample_record(spec)))
    doc.init_forms()  # the values as printed
    image = doc[0].render(scale=150 / 72, may_draw_forms=True).to_pil().convert("L").rotate(
        2, expand=True, fillcolor=255)
    doc.close()
    out = io.BytesIO()
    image.save(out, "JPEG", quality=60, dpi=(150, 150))
    return out.getvalue()


def _upload(c, case_id: int, slot: str, data: bytes, name: str):
    import io

    token = csrf_token(c.get(f"/desk/cases/{case_id}").get_data(as_text=True))
    return c.post(f"/desk/cases/{case_id}/documents",
                  data={"csrf_token": token, "slot": slot, "file": (io.BytesIO(data), name)},
                  content_type="multipart/form-data")


def test_a_scanned_form_is_identified_and_shown_as_pages(site):
    c = client_as(site, "hospital_a")
    assert _upload(c, site.case_id, "jingdezhen-application", _scan_of("jingdezhen-application"),
                   "扫描件.jpg").status_code == 302
    case = c.get(f"/desk/cases/{site.case_id}").get_data(as_text=True)
    doc_id = re.search(r'href="/desk/documents/(\d+)">扫描件.jpg', case).group(1)
    rev = client_as(site, "reviewer")
    html = rev.get(f"/desk/documents/{doc_id}").get_data(as_text=True)
    # the values are read off the scan (OCR), each with its box on the scan's page image
    assert "扫描件文字识别（OCR）" in html and 'id="page-1"' in html
    from forms import get_form, sample_record

    name = sample_record(get_form("jingdezhen-application"))["institution_name"]
    assert f'value="{name}"' in html or f">{name}<" in html
    png = rev.get(f"/desk/documents/{doc_id}/pages/1.png")
    assert png.status_code == 200 and png.data.startswith(b"\x89PNG")
    original = rev.get(f"/desk/documents/{doc_id}/original")
    assert original.data == _scan_of("jingdezhen-application") and original.mimetype == "image/jpeg"


def test_a_scan_of_another_form_in_a_forms_place_is_said_to_be_so(site):
    c = client_as(site, "hospital_a")
    _upload(c, site.case_id, "jingdezhen-application", _scan_of("jingdezhen-commitment"),
            "承诺书.png")
    html = c.get(f"/desk/cases/{site.case_id}").get_data(as_text=True)
    doc_id = re.search(r'href="/desk/documents/(\d+)">承诺书.png', html).group(1)
    page = c.get(f"/desk/documents/{doc_id}").get_data(as_text=True)
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    assert "不是此处要求的表单 jingdezhen-application" in page, said[-1500:]
    assert "jingdezhen-commitment" in page

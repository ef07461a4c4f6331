"""The panel's scoring in the browser's form (api/pages_scoring.py): the form generated from
the table's data, the total, vetoes and pass mark computed by the server, the scored table
kept in the case; every table a case may be scored on renders and scores; each role."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from api import create_app
from scoring import all_tables, example_input, get_table, score
from pages import PASSWORD, client_as, csrf_token

SCORED = ("admission", "entered", "checklist")


@pytest.fixture
def site(tmp_path):
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    settings = DeskSettings.from_mapping({"DATA_DIR": str(tmp_path)})
    upgrade_database(settings)
    d = Desk(settings)
    cases = {}
    codes = iter(["91350100M000100Y43", "91440300708461136T", "91360200MA35GYXY0M",
                  "91110108MA01KPGK0L", "913101153245861437"])
    for jurisdiction, category, kind in (("shanxi", "medical", None),
                                         ("shanxi", "assistive", "hearing_aid"),
                                         ("tianjin", "medical", None),
                                         ("jilin", "rehab", None)):
        inst = d.register_institution(SYSTEM, name=f"{jurisdiction}{category}测试机构",
                                      credit_code=next(codes), category=category,
                                      jurisdiction=jurisdiction, sub_kind=kind)
        case = d.open_case(SYSTEM, inst["id"])
        cases[(jurisdiction, kind or category)] = case["id"]
    for j in ("shanxi", "tianjin", "jilin"):
        d.add_user(SYSTEM, name=f"rev_{j}", role="reviewer", jurisdiction=j, password=PASSWORD)
    d.add_user(SYSTEM, name="hospital", role="institution", institution_id=1,
               password=PASSWORD)
    for (j, _), cid in cases.items():
        d.move(d.actor_for_token(d.log_in(f"rev_{j}", PASSWORD)["token"]), cid, "in_review")
    d.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    app.cases = cases
    yield app
    ext = app.extensions.get("xieyi-desk")
    if ext:
        ext.close()


def _form_of(data: dict, table) -> MultiDict:
    """What a person ticks and types in the page for a scoring input ``data``."""
    form = MultiDict()
    for item_id, given in data["items"].items():
        for key, v in given.items():
            name = f"item.{item_id}.{key}"
            if v is True:
                form.add(name, "on")
            elif isinstance(v, list):
                for e in v:
                    form.add(name, e)
            elif v is not False:
                form.add(name, str(v))
    for item_id, choice in (data.get("resolve") or {}).items():
        form.add(f"resolve.{item_id}", str(choice))
    for c, v in (data.get("one_vote_veto") or {}).items():
        if v:
            form.add(f"ovv.{c}", "on")
    for f, v in (data.get("facts") or {}).items():
        if v:
            form.add(f"fact.{f}", "on")
    return form


@pytest.mark.parametrize("key, table_id", [
    (("shanxi", "medical"), "shanxi-eval-medical"),
    (("shanxi", "hearing_aid"), "shanxi-eval-hearing"),
    (("tianjin", "medical"), "tianjin-eval-medical"),
    (("jilin", "rehab"), "jilin-eval"),
])
def test_the_form_scores_as_the_scorer_does_and_keeps_the_table(site, key, table_id):
    """The example input ticked into the page gives the same total and verdict as
    ``scoring.score`` on the same input, and the scored table is kept in the case."""
    c = client_as(site, f"rev_{key[0]}")
    case = site.cases[key]
    page = c.get(f"/desk/cases/{case}").get_data(as_text=True)
    assert f"/desk/cases/{case}/scores/{table_id}" in page
    url = f"/desk/cases/{case}/scores/{table_id}"
    html = c.get(url).get_data(as_text=True)
    table = get_table(table_id)
    kind = key[1]
    for it in table.items:
        assert (f'id="item-{it.id}"' in html) is it.applies(kind)
    data = example_input(table, kind=kind)
    expected = score(table_id, data, kind)
    form = _form_of(data, table)
    form.add("csrf_token", csrf_token(html))
    r = c.post(url, data=form)
    assert r.status_code == 302, re.findall(r"<li>([^<]*)</li>", r.get_data(as_text=True))
    doc = c.get(r.headers["Location"]).get_data(as_text=True)
    total = re.search(r'id="score-total">([^<]+)<', doc).group(1)
    assert total == (expected["total"] if expected["total"] is not None else "待定")
    assert expected["result_zh"] in re.search(r'id="score-verdict"[^>]*>(.*?)</p>', doc, re.S).group(1)
    case_page = c.get(f"/desk/cases/{case}").get_data(as_text=True)
    assert f'data-slot="score:{table_id}"' in case_page


def test_a_missed_tick_fails_the_veto_and_the_number_left_empty_is_named(site):
    c = client_as(site, "rev_shanxi")
    case = site.cases[("shanxi", "medical")]
    url = f"/desk/cases/{case}/scores/shanxi-eval-medical"
    table = get_table("shanxi-eval-medical")
    data = example_input(table, kind="medical")
    form = _form_of(data, table)
    form.add("csrf_token", csrf_token(c.get(url).get_data(as_text=True)))
    stock = next(k for k in form if k.startswith("item.7.stock_rate"))
    form.setlist(stock, [""])
    r = c.post(url, data=form)
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "第7项" in html
    # what was ticked stays ticked
    assert re.search(r'name="item\.1\.met"[^>]*checked', html)
    form.setlist(stock, ["80"])
    form.setlist("item.3.met", [])  # 安全信誉 not met: a single-item veto
    r = c.post(url, data=form)
    doc = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "否决：第3项" in doc
    assert "不合格" in c.get(f"/desk/cases/{case}").get_data(as_text=True)


def test_only_the_jurisdictions_reviewer_scores_a_case_in_review(site):
    case = site.cases[("shanxi", "medical")]
    url = f"/desk/cases/{case}/scores/shanxi-eval-medical"
    assert client_as(site, None).get(url).status_code == 302
    assert client_as(site, "rev_tianjin").get(url).status_code == 404
    # a table of another jurisdiction or kind has no page under this case
    assert client_as(site, "rev_shanxi").get(
        f"/desk/cases/{case}/scores/shanxi-eval-hearing").status_code == 404
    inst = client_as(site, "hospital")
    html = inst.get(url)
    assert html.status_code in (403, 404)


@pytest.mark.parametrize("table", [t for t in all_tables() if t.purpose in SCORED],
                         ids=lambda t: t.id)
def test_every_tables_form_posts_what_the_scorer_reads(table):
    """For every table a case may be scored on and every kind it serves: the page's inputs
    cover every input the scorer reads, so what a person enters scores as the data does."""
    from api.pages_scoring import scoring_input

    for kind in table.kinds:
        for style in ("full", "missing"):  # full marks, and nothing met at all
            data = example_input(table, style, kind)
            posted = scoring_input(table, kind, _form_of(data, table))
            expected = score(table.id, data, kind)
            got = score(table.id, posted, kind)
            assert (got["total"], got["passed"]) == (expected["total"], expected["passed"])
            assert posted["items"] == {
                k: {kk: (str(vv) if not isinstance(vv, (bool, list)) else vv)
                    for kk, vv in v.items()} for k, v in data["items"].items()}


def test_a_number_in_a_gap_of_the_printed_bands_asks_the_panel_before_anything_is_kept(site):
    c = client_as(site, "rev_shanxi")
    case = site.cases[("shanxi", "hearing_aid")]
    url = f"/desk/cases/{case}/scores/shanxi-eval-hearing"
    table = get_table("shanxi-eval-hearing")
    html = c.get(url).get_data(as_text=True)
    assert 'name="resolve.6.2"' in html  # 6.2's bands leave a gap: the decision is offered
    data = example_input(table, "missing", "hearing_aid")
    choice = data.pop("resolve")["6.2"]
    form = _form_of(data, table)
    form.add("csrf_token", csrf_token(html))
    r = c.post(url, data=form)
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "须由评估小组决定" in text and "第6.2项" in text
    assert "data-slot=\"score:" not in c.get(f"/desk/cases/{case}").get_data(as_text=True)
    form.add("resolve.6.2", choice)
    r = c.post(url, data=form)
    assert r.status_code == 302
    doc = c.get(r.headers["Location"]).get_data(as_text=True)
    expected = score(table.id, {**data, "resolve": {"6.2": choice}}, "hearing_aid")
    assert re.search(r'id="score-total">([^<]+)<', doc).group(1) == expected["total"]

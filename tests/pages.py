"""What the tests of the pages share: the test users' password, the CSRF token of a
page's form, a test client logged in as a user."""

from __future__ import annotations

import re

PASSWORD = "correct horse battery"


def csrf_token(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def client_as(app, name: str | None, password: str = PASSWORD):
    """A test client with the session of ``name`` (anonymous for None)."""
    c = app.test_client()
    if name:
        page = c.get("/login")
        r = c.post("/login", data={"name": name, "password": password,
                                   "csrf_token": csrf_token(page.get_data(as_text=True))})
        assert r.status_code == 302, (name, r.status_code)
    return c



def approved_shanxi_cases(desk, reviewer, hospitals: dict[str, str]) -> list[int]:
    """For each Shanxi hospital (name → credit code): the institution, its user
    ``hospital<i>``, a case with its application form uploaded by that user, reviewed and
    approved by ``reviewer``: the cases an agreement is drafted for."""
    from desk import SYSTEM
    from forms import get_form, sample_record
    from generator.pdf import render_pdf

    spec = get_form("shanxi-application")
    cases = []
    for i, (name, code) in enumerate(hospitals.items()):
        inst = desk.register_institution(SYSTEM, name=name, credit_code=code,
                                         category="medical", jurisdiction="shanxi")
        user, _ = desk.add_user(SYSTEM, name=f"hospital{i}", role="institution",
                                institution_id=inst["id"], password=PASSWORD)
        case = desk.open_case(SYSTEM, inst["id"])
        record = sample_record(spec)
        record["institution_name"] = name
        desk.attach(desk.actor_for_user(user["id"]), case["id"], slot=spec.id,
                    filename="申请书.pdf", data=render_pdf(spec, record))
        desk.move(reviewer, case["id"], "in_review")
        desk.move(reviewer, case["id"], "approved")
        cases.append(case["id"])
    return cases

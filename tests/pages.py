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


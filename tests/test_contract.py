"""The OpenAPI document, checked by a contract tester (Schemathesis): for every operation,
requests generated from the document (valid and invalid) get answers whose status is
declared, whose body matches its declared schema (no undeclared properties, enums hold),
and never a 5xx.  A client generated from the document can rely on it.

One check is left out: ``positive_data_acceptance`` expects every request that fits the
schema to succeed, but xieyi also judges what a schema cannot say (a credit code's check
digit, a record against its form, a date against the calendar) and answers such requests
422 with the field named, which is the documented answer.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from api import create_app  # noqa: E402

#: examples per operation (Hypothesis); seeded, so a failure repeats
EXAMPLES = 15


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from desk import SYSTEM, Desk, DeskSettings, upgrade_database

    d = tmp_path_factory.mktemp("contract")
    settings_ = DeskSettings.from_mapping({"DATA_DIR": str(d)})
    upgrade_database(settings_)
    desk = Desk(settings_)
    desk.add_user(SYSTEM, name="admin", role="admin", password="admin-password-1")
    token = desk.log_in("admin", "admin-password-1")["token"]
    desk.close()
    app = create_app({"TESTING": True, "DATA_DIR": str(d)})
    return app, token


def _operations():
    app = create_app({"TESTING": True})
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    return [(f"{op.ok().method.upper()} {op.ok().path}") for op in schema.get_all_operations()]


@pytest.mark.parametrize("operation", _operations())
def test_every_operation_keeps_its_contract(world, operation):
    app, token = world
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    method, path = operation.split(" ", 1)
    op = schema[path][method]

    from hypothesis import given, seed

    @seed(20261207)
    @given(op.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()

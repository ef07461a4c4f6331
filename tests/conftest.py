"""Shared fixtures (Flask tutorial style). Add fixtures here; keep each one small."""

import os

import pytest

from api import create_app


@pytest.fixture(scope="session", autouse=True)
def data_dir(tmp_path_factory):
    """Every test, and every process a test starts (``xieyi serve``…), keeps its data in a
    migrated data directory of its own, never in the user's."""
    d = tmp_path_factory.mktemp("xieyi-data")
    saved = {k: os.environ.get(k) for k in ("XIEYI_DATA_DIR", "XIEYI_DATABASE_URL",
                                            "XIEYI_STORE_URL")}
    os.environ["XIEYI_DATA_DIR"] = str(d)
    os.environ.pop("XIEYI_DATABASE_URL", None)
    os.environ.pop("XIEYI_STORE_URL", None)
    from desk import DeskSettings, upgrade_database

    upgrade_database(DeskSettings.from_env())
    yield d
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture
def app():
    """The service on its embedded defaults, in testing mode."""
    app = create_app({"TESTING": True})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()

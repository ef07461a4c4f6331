"""Shared fixtures (Flask tutorial style). Add fixtures here; keep each one small."""

import pytest

from api import create_app


@pytest.fixture
def app():
    """The service on its embedded defaults, in testing mode."""
    app = create_app({"TESTING": True})
    yield app


@pytest.fixture
def client(app):
    return app.test_client()

"""xieyi's service: a Flask application factory (``create_app``) and the command line (``api.cli``).

Configuration, from lowest to highest precedence: the embedded defaults
below, then either ``test_config`` (tests) or the environment variables
``XIEYI_<NAME>`` (``XIEYI_MAX_CONTENT_LENGTH=2097152``; values are read as
JSON when they parse, as strings otherwise).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask

DEFAULTS: dict[str, Any] = {
    # a record is a few KB; 1 MiB leaves room and refuses anything else early
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "API_TITLE": "xieyi",
    "API_VERSION": "0.1.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    # the UI page; its assets are served locally (api/docs.py), see create_app
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    "OPENAPI_SWAGGER_UI_CONFIG": {"validatorUrl": None, "tryItOutEnabled": True},
    "API_SPEC_OPTIONS": {
        "info": {
            "description": "工伤保险协议服务机构文书：表单说明、空白表与预填表。"
                           " / Work-injury insurance service-agreement forms: descriptions, "
                           "blank and pre-filled renderings.",
        },
    },
}


#: further feature modules of api/, each exposing a flask-smorest Blueprint ``bp``
FEATURE_BLUEPRINTS: tuple[str, ...] = ("agreements", "rules", "parse", "scoring", "sources",
                                       "desk")


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the application: embedded defaults, then ``test_config`` or ``XIEYI_*``."""
    from flask import Flask  # here, so the command line starts without loading Flask

    app = Flask(__name__)
    app.json.sort_keys = False  # keep the schemas' order (id first, fields in form order)
    app.json.ensure_ascii = False  # Chinese as itself, UTF-8
    app.config.from_mapping(DEFAULTS)
    try:
        from importlib.metadata import version

        app.config["API_VERSION"] = version("xieyi")
    except Exception:  # not installed (a bare checkout): keep the default
        pass
    if test_config is None:
        app.config.from_prefixed_env("XIEYI")
    else:
        app.config.from_mapping(test_config)

    from . import docs

    if app.config.get("OPENAPI_SWAGGER_UI_PATH") and "OPENAPI_SWAGGER_UI_URL" not in app.config:
        if docs.assets_dir() is not None:
            app.config["OPENAPI_SWAGGER_UI_URL"] = docs.ASSETS_URL
            app.register_blueprint(docs.bp)

    from forms import all_forms, record_schema

    from . import forms as forms_feature
    from . import pages
    from .errors import Api, register_error_handlers

    app.url_map.converters["formid"] = forms_feature.FormIdConverter
    api = Api(app)
    api.register_converter(forms_feature.FormIdConverter, forms_feature.form_id_param)
    api.register_blueprint(forms_feature.bp)
    for name in FEATURE_BLUEPRINTS:
        api.register_blueprint(importlib.import_module(f"api.{name}").bp)
    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer",
                       "description": "POST /api/tokens 取得的令牌 / a token from POST /api/tokens"})
    # every form's record schema, derived from its description, in components.schemas
    for spec in all_forms():
        api.spec.components.schema("Record_" + spec.id.replace("-", "_"),
                                   schema=record_schema(spec))
    register_error_handlers(app)
    app.register_blueprint(pages.bp)
    from . import session as page_session

    page_session.init_app(app)
    app.register_blueprint(page_session.bp)
    from . import pages_admin, pages_desk, pages_scoring

    app.register_blueprint(pages_desk.bp)
    app.register_blueprint(pages_scoring.bp)
    app.register_blueprint(pages_admin.bp)

    @app.context_processor
    def _docs_links() -> dict:
        from flask import url_for

        def link(endpoint: str) -> str | None:
            return url_for(endpoint) if endpoint in app.view_functions else None

        return {"openapi_json": link("api-docs.openapi_json"),
                "docs_ui": link("api-docs.openapi_swagger_ui")}

    @app.context_processor
    def _agreement_jurisdictions() -> dict:
        """The jurisdictions whose documents attach an agreement text: the navigation
        offers the agreements' batch page to their reviewers and signing offices only."""
        from generator.agreement import all_agreements

        return {"agreement_jurisdictions": {t.jurisdiction for t in all_agreements()}}

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        return resp

    app.extensions["xieyi-api"] = api
    return app

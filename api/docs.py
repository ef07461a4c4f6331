"""The OpenAPI UI, served from this machine: no page of xieyi loads anything from a CDN.

flask-smorest serves ``/api/openapi.json`` and the Swagger UI page
(``/api/docs``); the page's scripts and style come from the
``swagger-ui-bundle`` package, served here under ``/api/docs/assets/``.
Without that package the UI is simply left out (the JSON document stays).
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

ASSETS_URL = "/api/docs/assets/"
#: the only files the UI page loads
_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
           "favicon-16x16.png", "favicon-32x32.png"}


def assets_dir() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    path = Path(str(swagger_ui_path))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


bp = Blueprint("docs_assets", __name__, url_prefix=ASSETS_URL.rstrip("/"))


@bp.route("/<name>")
def asset(name: str):
    folder = assets_dir()
    if folder is None or name not in _ASSETS:
        abort(404)
    return send_from_directory(folder, name, max_age=86400)

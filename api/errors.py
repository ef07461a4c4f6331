"""One error shape for every error the service returns.

``{"code", "message_zh", "message_en", "details": [{"field", "code",
"message_zh", "message_en"}]}`` — for xieyi's own errors (``XieyiError``),
for HTTP errors (404, 405, 413…), for flask-smorest's own 422s (a bad query
parameter) and for anything unexpected (500, logged, never shown).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, jsonify
from flask_smorest import Api as _Api
from werkzeug.exceptions import HTTPException

from forms import FieldProblem, XieyiError

from .schemas import ErrorSchema

# status -> (code, Chinese, English)
_HTTP = {
    400: ("bad_request", "请求有误", "bad request"),
    404: ("not_found", "找不到该地址", "not found"),
    405: ("method_not_allowed", "该地址不支持此请求方法", "method not allowed"),
    406: ("not_acceptable", "无法提供所要求的内容类型", "not acceptable"),
    413: ("payload_too_large", "提交的内容过大（上限 {limit} 字节）",
          "payload too large (limit {limit} bytes)"),
    415: ("unsupported_media_type",
          "不支持的内容类型，请以 JSON 提交（Content-Type: application/json）",
          "unsupported media type: send JSON (Content-Type: application/json)"),
    422: ("input_invalid", "输入的数据不合要求", "the input is not valid"),
    500: ("internal_error", "服务内部错误", "internal server error"),
}

# codes of field messages (marshmallow/webargs) -> (Chinese, English)
_FIELD_CODES = {
    "not_a_choice": ("只能选择：{choices}", "must be one of: {choices}"),
    "Unknown field.": ("不认识的参数", "unknown parameter"),
    "Missing data for required field.": ("缺少必填参数", "missing required parameter"),
    "Not a valid string.": ("应为文字", "must be text"),
}


def error_body(code: str, message_zh: str, message_en: str,
               details: list[dict] | None = None) -> dict:
    return {"code": code, "message_zh": message_zh, "message_en": message_en,
            "details": list(details or [])}


def _webargs_details(messages: Any) -> list[dict]:
    """webargs' ``{"query": {"format": ["not_a_choice"]}}`` as per-field details."""
    from .schemas import FORMATS

    out: list[dict] = []

    def walk(m: Any, path: list[str]) -> None:
        if isinstance(m, dict):
            for k, v in m.items():
                walk(v, path + [str(k)])
            return
        if isinstance(m, list):
            for x in m:
                walk(x, path)
            return
        # the first level is the location (query, json…): keep only the field path
        field = ".".join(path[1:]) if len(path) > 1 else ".".join(path)
        text = str(m)
        zh, en = _FIELD_CODES.get(text, ("参数不合要求：" + text, text))
        choices = FORMATS if field == "format" else ()
        code = text if text in ("not_a_choice",) else (
            "unknown" if text == "Unknown field." else
            "required" if text.startswith("Missing data") else "invalid")
        out.append(FieldProblem(field, code, f"{field}：{zh.format(choices='、'.join(choices))}",
                                f"{field}: {en.format(choices=', '.join(choices))}").to_dict())

    walk(messages, [])
    return out


class Api(_Api):
    """flask-smorest's Api, with xieyi's error shape for every HTTP error."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        code, zh, en = _HTTP.get(status, (None, None, None))
        if code is None:  # a status xieyi does not name itself
            code = (error.name or "error").lower().replace(" ", "_").replace("'", "")
            zh, en = f"请求未能完成（HTTP {status}）", (error.name or "error").lower()
        if status == 413:
            limit = current_app.config.get("MAX_CONTENT_LENGTH")
            zh, en = zh.format(limit=limit), en.format(limit=limit)
        details: list[dict] = []
        data = getattr(error, "data", None) or {}
        if status == 422 and "messages" in data:  # webargs (flask-smorest @arguments)
            details = _webargs_details(data["messages"])
            zh, en = "请求参数不合要求", "the request parameters are not valid"
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        if for_page():
            resp = error_page(status, zh, en)
            resp.headers.extend(headers)
            return resp
        resp = jsonify(error_body(code, zh, en, details))
        resp.status_code = status
        resp.headers.extend(headers)
        return resp


def for_page() -> bool:
    """Whether the request is a page's (people read the answer), not the API's."""
    from flask import request

    return not request.path.startswith("/api/")


#: a page's error title by status
_PAGE_TITLES = {400: "请求有误", 401: "请先登录", 403: "无权访问", 404: "页面不存在",
                405: "不支持的操作", 409: "状态已变化", 413: "文件太大", 422: "内容不合要求",
                429: "操作太频繁"}


def error_page(status: int, message_zh: str, message_en: str):
    """An error as a page in Chinese (never a traceback), with its status."""
    from flask import make_response, render_template

    title = _PAGE_TITLES.get(status, "出错了")
    return make_response(render_template("error.html", title=title, message=message_zh,
                                         message_en=message_en), status)


def _handle_xieyi_error(error: XieyiError):
    if error.http_status >= 500:
        current_app.logger.error("%s: %s", error.code, error.message_en)
    if for_page():
        return error_page(error.http_status, error.message_zh, error.message_en)
    resp = jsonify(error.to_dict())
    resp.status_code = error.http_status
    if error.http_status == 401:
        resp.headers["WWW-Authenticate"] = 'Bearer realm="xieyi"'
    return resp


def register_error_handlers(app: Flask) -> None:
    """xieyi's errors; HTTP errors go through ``Api.handle_http_exception``.

    An exception no view caught is logged by Flask with its traceback and
    turned into ``InternalServerError``, which that handler answers with the
    same shape (code ``internal_error``), showing nothing of the exception.
    """
    app.register_error_handler(XieyiError, _handle_xieyi_error)

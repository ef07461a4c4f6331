"""``POST /api/score`` and ``POST /api/settle``: the same JSON as ``xieyi score/settle --json``.

Body of ``/api/score``: ``{"table": TABLE_ID, "kind": …, "items": {…}, …}`` (the CLI's
INPUT plus the table id).  Body of ``/api/settle``: ``{"mode": "month"|"year", …}``.
Bad input is a ``ScoreInputInvalid`` (HTTP 422, one detail per item).
"""

from __future__ import annotations

from flask import jsonify, request
from flask_smorest import Blueprint

from forms import FieldProblem, InputInvalid, check_text

from .schemas import ErrorSchema

bp = Blueprint("scoring", __name__, url_prefix="/api",
               description="评估表评分与结算 / scoring tables and settlement")


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InputInvalid("请以 JSON 对象提交", "send a JSON object",
                           [FieldProblem("", "not_json", "请求体应为 JSON 对象", "the body must be a JSON object")])
    return check_text(data, "请求体", "the request body")


@bp.route("/score", methods=["POST"])
@bp.alt_response(422, schema=ErrorSchema, description="输入有误 / bad input")
def post_score():
    """按评估表/考核表评分 / score a table

    Body: the input of ``xieyi score`` with ``table`` (the table id) added.
    """
    from scoring import score

    data = _body()
    table = data.pop("table", None)
    if not isinstance(table, str):
        raise InputInvalid("缺少 table（评分表编号）", "table (the table id) missing",
                           [FieldProblem("table", "missing", "缺少评分表编号", "table id missing")])
    return jsonify(score(table, data))


@bp.route("/settle", methods=["POST"])
@bp.alt_response(422, schema=ErrorSchema, description="输入有误 / bad input")
def post_settle():
    """月度结算或年终清算 / monthly or year-end settlement"""
    from scoring import settle

    return jsonify(settle(_body()))

"""Rendering a form for the command line and the service: one path for both.

The renderers (``generator.pdf``, ``generator.docx``) are imported when first
used, so listing and describing forms never pays for them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from forms import FormSpec, InputInvalid, validate_record

from .schemas import FORMATS

MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


class JsonInvalid(InputInvalid):
    """A record that is not JSON at all (the command line's --data file, a request body)."""

    code = "json_invalid"
    http_status = 400


class MediaTypeUnsupported(InputInvalid):
    """A body of a type the route does not take; the message names the ones it does."""

    code = "unsupported_media_type"
    http_status = 415

    def __init__(self, *accepted: str):
        super().__init__(f"不支持的内容类型，请以 {' 或 '.join(accepted)} 提交（Content-Type）",
                         f"unsupported media type: send {' or '.join(accepted)} (Content-Type)")


def parse_json(raw: bytes | str, source_zh: str, source_en: str) -> Any:
    """Parse a JSON document given by a user; ``source_*`` name it in the messages.  Its
    text is checked here, once for every route and command (``forms.check_text``)."""
    from forms import check_text

    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise JsonInvalid(
            f"{source_zh}不是有效的 JSON：第 {e.lineno} 行第 {e.colno} 列，{e.msg}",
            f"{source_en} is not valid JSON: line {e.lineno} column {e.colno}: {e.msg}",
        ) from None
    except UnicodeDecodeError:
        raise JsonInvalid(f"{source_zh}不是 UTF-8 编码的 JSON",
                          f"{source_en} is not UTF-8 JSON") from None
    except RecursionError:
        raise JsonInvalid(f"{source_zh}嵌套层数过多", f"{source_en} is nested too deeply") from None
    return check_text(data, source_zh.strip(), source_en)


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InputInvalid(
            f"不支持的格式：{fmt}（可选：{'、'.join(FORMATS)}）",
            f"unsupported format: {fmt} (one of: {', '.join(FORMATS)})",
        )
    return fmt


#: the font a viewer types new values with, unless asked otherwise: embedded, so any
#: viewer and any tool that redraws a field (pypdf flattening a form, for one) draws the
#: characters typed; "viewer" (the viewer's own Song, not embedded) makes files ~40x smaller
DEFAULT_TYPING_FONT = "embedded"


def render(spec: FormSpec, fmt: str, data: Any = None,
           typing_font: str = DEFAULT_TYPING_FONT) -> bytes:
    """Validate ``data`` (a partial record; ``None`` for a blank form) and render it.

    Raises ``RecordInvalid`` for a record that does not fit the form, before
    anything is rendered.
    """
    check_format(fmt)
    return render_record(spec, fmt, check_record(spec, data), typing_font)


def check_record(spec: FormSpec, data: Any) -> dict[str, Any] | None:
    """The typed record for ``data`` (partial allowed); ``None`` stays ``None`` (blank form)."""
    return None if data is None else validate_record(spec, data, complete=False)


def render_record(spec: FormSpec, fmt: str, record: dict[str, Any] | None,
                  typing_font: str = DEFAULT_TYPING_FONT) -> bytes:
    """Render a typed record (from ``check_record``), or the blank form for ``None``."""
    check_format(fmt)
    if fmt == "pdf":
        from generator.pdf import render_pdf

        return render_pdf(spec, record, typing_font=typing_font)
    from generator.docx import render_docx

    return render_docx(spec, record)


def download_name(spec: FormSpec, fmt: str) -> str:
    """The Chinese name a download carries (江西省景德镇市-附件1-工伤保险定点服务机构申请表.pdf)."""
    parts = [spec.jurisdiction_name, spec.attachment, spec.title]
    name = "-".join(p for p in parts if p)
    # a file name holds no path separators nor control characters
    name = "".join("_" if (c in '/\\:*?"<>|' or ord(c) < 32) else c for c in name)
    return f"{name}.{fmt}"


def content_disposition(spec: FormSpec, fmt: str) -> str:
    """``attachment`` with an ASCII fallback name and the Chinese name per RFC 5987/6266."""
    return (f'attachment; filename="{spec.id}.{fmt}"; '
            f"filename*=UTF-8''{quote(download_name(spec, fmt), safe='')}")

"""The DOCX of each form: a docxtpl template built from the description, rendered blank
or pre-filled.

>>> from forms import get_form
>>> from generator.docx import render_docx
>>> data = render_docx(get_form("jingdezhen-application"))

``python -m generator.docx write-templates`` writes ``templates/<form id>.docx``;
``python -m generator.docx check-templates`` exits non-zero when one differs from a
fresh build.
"""

from ._build import apply_stamp, build_template
from ._render import docx_context, render_docx
from ._templates import TEMPLATE_DIR, check_templates, template_differences, write_templates

__all__ = [
    "apply_stamp", "build_template",
    "docx_context", "render_docx",
    "TEMPLATE_DIR", "check_templates", "template_differences", "write_templates",
]

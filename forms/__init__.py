"""Form descriptions: one description per official form, as data.

>>> from forms import get_form
>>> spec = get_form("jingdezhen-application")
"""

from ._loader import all_forms, get_form, load_spec_file, parse_spec
from ._model import (
    DATE_PARTS,
    Cell,
    Field,
    FieldRef,
    FormSpec,
    PageBreak,
    Paragraph,
    Row,
    Source,
    Spacer,
    Table,
    Text,
)
from .errors import (
    FieldProblem,
    InputInvalid,
    OutputError,
    RecordInvalid,
    SpecError,
    UnknownForm,
    XieyiError,
)

__all__ = [
    "all_forms", "get_form", "load_spec_file", "parse_spec",
    "DATE_PARTS", "Cell", "Field", "FieldRef", "FormSpec", "PageBreak", "Paragraph", "Row",
    "Source", "Spacer", "Table", "Text",
    "FieldProblem", "InputInvalid", "OutputError", "RecordInvalid", "SpecError",
    "UnknownForm", "XieyiError",
]

from ._record import record_schema, record_to_json, validate_record  # noqa: E402

__all__ += ["record_schema", "record_to_json", "validate_record"]

from ._samples import SPECIAL_TEXTS, sample_record  # noqa: E402

__all__ += ["SPECIAL_TEXTS", "sample_record"]

from ._errata import form_errata  # noqa: E402

__all__ += ["form_errata"]

from ._stamp import STAMP_AUTHOR, Stamp, read_stamp, stamp_keywords, stamp_subject  # noqa: E402
from ._mark import PageMark, mark_text, read_mark  # noqa: E402

__all__ += ["STAMP_AUTHOR", "Stamp", "read_stamp", "stamp_keywords", "stamp_subject"]
__all__ += ["PageMark", "mark_text", "read_mark"]

from ._text import TextInvalid, check_text, text_problems  # noqa: E402

__all__ += ["TextInvalid", "check_text", "text_problems"]

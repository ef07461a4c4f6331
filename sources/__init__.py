"""Sources: the five regulation texts xieyi works from, as printed and as corrected.

>>> from sources import cite
>>> cite("shanxi", "34")["key"]
'第三十四条'

Each text lives in ``sources/data/<jurisdiction>.txt``: its metadata (issuing body, 文号,
dates, validity, where it was published, the transcription's checksum) as front matter,
then the transcription exactly as printed.  ``sources/data/errata.yaml`` is the layer of
corrections over it; what xieyi reproduces or cites is the corrected text.  Pure Python.
"""

from ._loader import JURISDICTIONS, all_sources, by_document, by_seed, errata, get_source
from ._model import CERTAINTIES, CERTAINTY_ZH, STATUS_ZH, Erratum, Section, SourceText, validity_on
from ._resolve import cite, reference, resolve, url_of
from .errors import ArticleNotFound, SourceDataError, SourceError, UnknownSource

__all__ = [
    "CERTAINTIES", "CERTAINTY_ZH", "JURISDICTIONS", "STATUS_ZH", "ArticleNotFound", "Erratum", "Section",
    "SourceDataError", "SourceError", "SourceText", "UnknownSource", "all_sources",
    "by_document", "by_seed", "cite", "errata", "get_source", "reference", "resolve",
    "url_of", "validity_on",
]

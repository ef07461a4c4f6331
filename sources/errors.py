"""The one error hierarchy of ``sources``: every failure says what in Chinese and English."""

from __future__ import annotations


class SourceError(Exception):
    """Base of every error of this package."""

    code = "source_error"

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


class UnknownSource(SourceError):
    code = "unknown_source"


class ArticleNotFound(SourceError):
    code = "article_not_found"


class SourceDataError(SourceError):
    """The data under sources/data is inconsistent (a defect of the project, not of input)."""

    code = "source_data"

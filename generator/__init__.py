"""Rendering form descriptions to PDF and DOCX, blank or pre-filled from a record."""

from ._context import display_context, pdf_values

__all__ = ["display_context", "pdf_values"]

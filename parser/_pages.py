"""Page images of a PDF for people to look at (the review page draws a box on them around
each value read): each page's size in points, and one page as a PNG, drawn by PDFium
(pypdfium2, the engine of Chrome's viewer).  Run in a parse worker, under the same time
and memory limits as a parse: the file is an upload, hostile until proven otherwise."""

from __future__ import annotations

import io

from forms.errors import PdfEncrypted, PdfMalformed, PdfNoPages, PdfTooManyPages

#: widest image drawn, in pixels (an A4 page 1000 px wide is about 120 dpi)
MAX_WIDTH = 2000


def _image_pages(data: bytes, max_pages: int) -> list:
    """The pages of a JPEG, PNG or TIFF scan (a frame a page), each with its size in points
    at the resolution the file states (150 dpi where it states none)."""
    from ._scan import _image_pages as frames

    return list(frames(data, max_pages, grey=False))


def _open(data: bytes, max_pages: int):
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        if "password" in str(e).lower():
            raise PdfEncrypted("文件已加密，不能生成页面图像", "the file is encrypted: no page "
                               "images can be drawn") from None
        raise PdfMalformed("文件无法打开为 PDF，不能生成页面图像",
                           f"the file cannot be opened as a PDF ({e})") from None
    if len(pdf) == 0:
        pdf.close()
        raise PdfNoPages("文件没有页面", "the file has no pages")
    pdf.init_forms()  # before a page is loaded: its fields are then drawn as a viewer does
    if len(pdf) > max_pages:
        n = len(pdf)
        pdf.close()
        raise PdfTooManyPages(f"文件有 {n} 页，超过上限 {max_pages} 页",
                              f"the file has {n} pages, more than {max_pages}")
    return pdf


def page_sizes(data: bytes, max_pages: int) -> list[tuple[float, float]]:
    """Each page's (width, height) in points, as shown (its rotation applied)."""
    from ._scan import is_image, points

    if is_image(data):
        return [points(im) for im in _image_pages(data, max_pages)]
    pdf = _open(data, max_pages)
    try:
        return [tuple(round(v, 2) for v in pdf[i].get_size()) for i in range(len(pdf))]
    finally:
        pdf.close()


def page_png(data: bytes, page: int, width: int, max_pages: int) -> bytes:
    """Page ``page`` (1-based) as a PNG ``width`` pixels wide, on white."""
    if not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"width must be between 1 and {MAX_WIDTH}")
    from ._scan import is_image

    if is_image(data):
        frames = _image_pages(data, max_pages)
        if not 1 <= page <= len(frames):
            raise PdfMalformed(f"文件没有第 {page} 页（共 {len(frames)} 页）",
                               f"the file has no page {page} (it has {len(frames)})")
        im = frames[page - 1]
        im = im.convert("RGB").resize((width, max(1, round(im.height * width / im.width))))
        out = io.BytesIO()
        im.save(out, "PNG", compress_level=6)
        return out.getvalue()
    pdf = _open(data, max_pages)
    try:
        if not 1 <= page <= len(pdf):
            raise PdfMalformed(f"文件没有第 {page} 页（共 {len(pdf)} 页）",
                               f"the file has no page {page} (it has {len(pdf)})")
        p = pdf[page - 1]
        scale = width / p.get_width()
        image = p.render(scale=scale, may_draw_forms=True).to_pil()
        out = io.BytesIO()
        image.convert("RGB").save(out, "PNG", optimize=False, compress_level=6)
        return out.getvalue()
    finally:
        pdf.close()

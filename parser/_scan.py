"""Scans and photographs of printed forms: which of xieyi's forms and pages each page is,
from the page mark every page of our PDFs carries (forms/_mark.py), read by ZXing (the
zxing-cpp wheel: no model, no download), or, for a page without it, from its printed
labels (``_labels``).  Pages are image-only PDF pages, drawn by PDFium,
or JPEG, PNG and TIFF files (a multi-page TIFF is a page a frame).

Run in a parse worker under its limits: the file is an upload, hostile until proven
otherwise (Pillow's decompression-bomb check is set to the largest page we take)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

from forms.errors import NotPdf, ParseResourceLimit, PdfMalformed, PdfTooManyPages

#: the resolution pages of a PDF are drawn at to find their mark (the mark's modules are
#: 4 pixels there)
MARK_DPI = 200
#: the largest image taken: an A4 page at 600 dpi is 35 million pixels
MAX_PIXELS = 40_000_000
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")


def is_image(data: bytes) -> bool:
    return data.startswith(_IMAGE_MAGIC)


def _pdf_pages(data: bytes, max_pages: int) -> Iterator:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        raise PdfMalformed("文件无法打开为 PDF", f"the file cannot be opened as a PDF ({e})") \
            from None
    try:
        if len(pdf) > max_pages:
            raise PdfTooManyPages(f"文件有 {len(pdf)} 页，超过上限 {max_pages} 页",
                                  f"the file has {len(pdf)} pages, more than {max_pages}")
        for i in range(len(pdf)):
            image = pdf[i].render(scale=MARK_DPI / 72).to_pil()
            image.info["dpi"] = (MARK_DPI, MARK_DPI)  # so its points are the page's
            yield image
    finally:
        pdf.close()


def points(image) -> tuple[float, float]:
    """An image's size in points at the resolution it states (150 dpi where it states
    none, or states nonsense)."""
    dpi = image.info.get("dpi") or (150, 150)
    try:
        dx, dy = (float(dpi[0]) or 150.0), (float(dpi[1]) or 150.0)
    except (TypeError, ValueError, IndexError):
        dx = dy = 150.0
    if not (50 <= dx <= 2400 and 50 <= dy <= 2400):
        dx = dy = 150.0
    return round(image.width * 72 / dx, 2), round(image.height * 72 / dy, 2)


def _image_pages(data: bytes, max_pages: int, grey: bool = True) -> Iterator:
    import io

    from PIL import Image, ImageSequence, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        for n, frame in enumerate(ImageSequence.Iterator(image)):
            if n >= max_pages:
                raise PdfTooManyPages(f"图片超过 {max_pages} 页", f"more than {max_pages} pages")
            if frame.width * frame.height > MAX_PIXELS:
                raise Image.DecompressionBombError("too many pixels")
            page = frame.convert("L" if grey else "RGB")
            page.info["dpi"] = frame.info.get("dpi") or image.info.get("dpi")
            yield page
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ParseResourceLimit(f"图片过大（超过 {MAX_PIXELS // 1_000_000} 百万像素）",
                                 f"the image is too large (over {MAX_PIXELS:,} pixels)") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as e:
        raise NotPdf("图片无法读取（已损坏或不是 JPEG、PNG、TIFF）",
                     f"the image cannot be read ({type(e).__name__})") from None


def codes(image) -> list:
    """The QR codes on a page: read in grey, then, for a colour page, in its red channel,
    where a red seal stamped across the mark fades to paper and the black print stays."""
    import zxingcpp

    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    if not found and image.mode == "RGB":
        found = zxingcpp.read_barcodes(image.getchannel("R"),
                                       formats=zxingcpp.BarcodeFormat.QRCode)
    return found


def register(text: str, position) -> list[float]:
    """The page's place in the image, from where its mark was found: ``[a, b, c, d, e, f]``
    taking a point of the form (points, from the page's top left) to the image's pixels,
    ``(a·x + b·y + c, d·x + e·y + f)``.  The mark's four corners (ZXing gives them in the
    symbol's own orientation, so any rotation is in the numbers) against where the form
    prints them.  Coarse: the mark is small, and its corners are whole pixels."""
    from forms._mark import MARK_BOTTOM, MARK_RIGHT, MODULE_PT, mark_modules
    from forms.layout import PAGE_H, PAGE_W

    pts = [(float(q.x), float(q.y)) for q in (
        position.top_left, position.top_right, position.bottom_right, position.bottom_left)]
    # ZXing's corners are whole pixels, one past the symbol on its right and lower sides
    # (in the image's axes, whatever the rotation): measured on unrotated renders
    mx, my = sum(p[0] for p in pts) / 4, sum(p[1] for p in pts) / 4
    tl, tr, br, bl = ((x - (x > mx), y - (y > my)) for x, y in pts)
    side = len(mark_modules(text)) * MODULE_PT
    x0, y0 = PAGE_W - MARK_RIGHT - side, PAGE_H - MARK_BOTTOM - side
    # a page step along x, and along y, in pixels: each the mean of the mark's two edges
    a, d = ((tr[0] - tl[0] + br[0] - bl[0]) / 2 / side, (tr[1] - tl[1] + br[1] - bl[1]) / 2 / side)
    b, e = ((bl[0] - tl[0] + br[0] - tr[0]) / 2 / side, (bl[1] - tl[1] + br[1] - tr[1]) / 2 / side)
    corners = ((x0, y0, tl), (x0 + side, y0, tr), (x0 + side, y0 + side, br), (x0, y0 + side, bl))
    c = sum(px[0] - a * x - b * y for x, y, px in corners) / 4
    f = sum(px[1] - d * x - e * y for x, y, px in corners) / 4
    return [round(v, 4) for v in (a, b, c, d, e, f)]


def pages(data: bytes, max_pages: int) -> Iterator:
    """A scan's pages as images: an image-only PDF's drawn by PDFium (at ``MARK_DPI``), an
    image file's frames (colour kept: a red seal is read through in the red channel).
    Each is opened with warnings as errors: Pillow's decompression-bomb warning stops
    it."""
    if data.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return _opened(_pdf_pages(data, max_pages))
    if is_image(data):
        return _opened(_image_pages(data, max_pages, grey=False))
    raise NotPdf("文件既不是 PDF，也不是图片（JPEG、PNG、TIFF）",
                 "the file is neither a PDF nor an image (JPEG, PNG, TIFF)")


def _opened(frames: Iterator) -> Iterator:
    """``frames``, each opened with warnings as errors (and only that: what is done with
    a page is not)."""
    import warnings

    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("error", category=Warning)
            page = next(frames, None)
        if page is None:
            return
        yield page


def find_mark(image):
    """The page's mark (``forms.Mark``) and its place in the image (``register``), or None
    where no QR code on it is our mark."""
    from forms import read_mark

    for code in codes(image):
        mark = read_mark(code.text)
        if mark is not None:
            return mark, register(code.text, code.position)
    return None


@dataclass(frozen=True)
class PageId:
    """Which form page an image is: ``form``, ``version`` (None where the page does not
    say), ``form_page``, ``transform`` (``register``'s: form points to image pixels; None
    where the page's labels are not where our PDF prints them: laid out otherwise, as a
    DOCX printed) and ``by``: ``mark`` (the page mark) or ``text`` (the labels printed,
    ``_labels``)."""

    form: str
    version: str | None
    form_page: int
    transform: list[float] | None
    by: str


def identify(image, loading=contextlib.nullcontext, granted=lambda pages: None
             ) -> PageId | None:
    """The page by its mark, else by its printed labels (read by OCR within ``loading``,
    in a page's more time: ``granted(1)``); None where it is neither."""
    found = find_mark(image)
    if found is not None:
        mark, transform = found
        return PageId(mark.form, mark.version, mark.page, transform, "mark")
    from forms import all_forms

    from . import _labels

    granted(1)
    got = _labels.identify(image, all_forms(), loading)
    if got is None:
        return None
    return PageId(got.form, None, got.form_page, got.transform, "text")


def identify_pages(data: bytes, max_pages: int, granted=lambda pages: None,
                   loading=contextlib.nullcontext) -> list[dict]:
    """Each page: ``{"page", "form", "version", "form_page", "title", "transform",
    "identified_by"}`` where its mark or its printed labels say which form and page it is
    (``version`` None where only the labels do), ``{"page", "form": None}`` where neither
    does.  ``granted(1)``: told of each page (each gets its own time to be read)."""
    from forms import UnknownForm, get_form

    out = []
    for i, image in enumerate(pages(data, max_pages), 1):
        granted(1)
        found = identify(image, loading, granted)
        if found is None:
            out.append({"page": i, "form": None})
            continue
        try:
            title = get_form(found.form).full_title
        except UnknownForm:
            title = None
        out.append({"page": i, "form": found.form, "version": found.version,
                    "form_page": found.form_page, "title": title,
                    "transform": found.transform, "identified_by": found.by})
    return out


# ---------------------------------------------------------------- a scan, whole

def read_scan(data: bytes, limits, granted=lambda pages: None,
              loading=contextlib.nullcontext, recognizer=None) -> dict:
    """A scan (an image-only PDF, or JPEG/PNG/TIFF pages) read as a parse's result
    (``ParseResult.to_dict()``, method ``ocr``): the pages their marks, or else their
    printed labels (``_labels``), name as one form's, each registered and its boxes read
    (``_ocr``).  ``granted(1)``: told of each page as it is opened
    (the parse pool gives each page its own time); ``loading``: what the engine's first
    load and its runs are done within (``engine``, ``read_page``); ``recognizer``: another
    reader of the line images in the engine's place (the benchmark's comparison with
    Tesseract).

    Raises ``UnknownTemplate`` when no page is one of our forms'."""
    from forms import UnknownForm, get_form
    from forms.errors import UnknownTemplate
    from forms.layout import layout_geometry

    from ._ocr import (
        CHECK_BELOW,
        Affine,
        alphabets,
        engine,
        pen_ink,
        read_page,
        readings_of,
        refine,
        scan_box,
    )
    from ._result import _label, assemble, warning
    from ._seal import unseal

    images = []
    for image in pages(data, limits.max_pages):
        images.append(image)
        granted(1)  # each page its own time, to be found and read
    ids = [identify(image, loading, granted) for image in images]
    forms = [p.form for p in ids if p]
    if not forms:
        raise UnknownTemplate(
            "扫描件的页面既没有本系统表单的页面标记（右下角的二维码），也无法按标题和标签认出是"
            "本系统的哪张表；请上传由本系统打印的表单的扫描件",
            "no page of the scan carries the mark of one of our forms (the QR code at the "
            "bottom right) or can be told by its title and labels to be one of them")
    # the form most pages say: marked pages first (a mark is surer than labels), then
    # pages that can be read
    form = max(set(forms), key=lambda f: (
        sum(1 for p in ids if p and p.form == f and p.by == "mark"),
        sum(1 for p in ids if p and p.form == f and p.transform is not None), forms.count(f)))
    try:
        spec = get_form(form)
    except UnknownForm:
        raise UnknownTemplate(f"页面标记指向未知的表单“{form}”",
                              f"the page mark names an unknown form {form!r}") from None
    notes = []
    for i, p in enumerate(ids, 1):
        if p is None:
            notes.append(warning(None, "page_not_identified",
                                 f"第 {i} 页既没有页面标记，也认不出是哪张表的哪一页，未读取",
                                 f"page {i} has no mark and its labels do not tell which page "
                                 "it is: it was not read"))
        elif p.form != form:
            notes.append(warning(None, "page_other_form",
                                 f"第 {i} 页属于另一张表（{p.form}），未读取",
                                 f"page {i} belongs to another form ({p.form}) and was not "
                                 "read"))
        elif p.transform is None:
            notes.append(warning(None, "layout_differs",
                                 f"第 {i} 页按标题和标签认出是“{spec.title}”第 {p.form_page} 页，"
                                 "但版面与本系统打印的 PDF 不同（可能由 DOCX 打印），无法定位"
                                 "各值，未读取", f"page {i} is page {p.form_page} of {form} by its "
                                 "title and labels, but it is laid out otherwise than our PDF "
                                 "(printed from the DOCX?): its values cannot be located and "
                                 "were not read"))
        elif p.by == "text":
            notes.append(warning(None, "identified_by_text",
                                 f"第 {i} 页没有页面标记，按标题和标签识别为“{spec.title}”第 "
                                 f"{p.form_page} 页，按现行版本 {spec.version} 读取，请核对",
                                 f"page {i} has no mark; identified by its title and labels as "
                                 f"page {p.form_page} of {form}, read with the current version "
                                 f"{spec.version}: check the values"))
        elif p.version != spec.version:
            notes.append(warning(None, "version_differs",
                                 f"第 {i} 页由表单 {p.version} 版打印，现行为 {spec.version} 版，"
                                 "请核对", f"page {i} was printed from version {p.version}; "
                                 f"the current is {spec.version}: check the values"))
    geo = layout_geometry(spec)
    alphabet = alphabets(spec)
    rec = recognizer or engine(loading)
    mine = [(i, image, p) for i, (image, p) in enumerate(zip(images, ids), 1)
            if p and p.form == form and p.transform is not None]
    if not mine:
        raise UnknownTemplate(
            f"扫描件按标题和标签认出是“{spec.title}”，但版面与本系统打印的 PDF 不同（可能由 "
            "DOCX 打印），无法定位各值；请上传由本系统打印的 PDF 表单的扫描件",
            f"the scan is {form} by its title and labels, but laid out otherwise than our "
            "PDF (printed from the DOCX?): its values cannot be located; upload a scan of "
            "the form printed from xieyi's PDF")
    boxes: dict = {}
    where: dict = {}
    for i, image, p in mine:
        if not 1 <= p.form_page <= len(geo["pages"]):
            continue
        gpage = geo["pages"][p.form_page - 1]
        # OpenCV (the seal search here, the seal edges in read_page) maps its libraries on
        # first use, past a file's cap: it is first used here, within loading
        with loading():
            channel, crossed = unseal(image)
        fine = refine(channel, Affine(*p.transform), gpage, geo["page_size"])
        w_pt, h_pt = points(image)
        px_to_pt = (w_pt / image.width, h_pt / image.height)
        for name, got in read_page(channel, fine, gpage, rec, alphabet, loading,
                                   crossed, pen_ink(image)).items():
            boxes[name] = got
            where[name] = (i, scan_box(fine, gpage["fields"][name]["bbox"], px_to_pt))
    readings = readings_of(spec, boxes, where)
    for r in readings.values():
        if r.problem is None and r.confidence < CHECK_BELOW:
            notes.append(warning(r.name, "ocr_uncertain",
                                 f"{_label(spec, r.name)}：扫描件上的文字识别不确定（{r.raw or ''}），"
                                 "请核对", f"{r.name}: the scan's text was read with low "
                                 f"confidence ({r.raw or ''}): check it"))
    by = "mark" if any(p.by == "mark" for _, _, p in mine) else "text"
    return assemble(spec, readings, method="ocr", identified_by=by, warnings=notes,
                    pages=len(images)).to_dict()

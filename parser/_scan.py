"""Scans and photographs of printed forms: which of xieyi's forms and pages each page is,
from the page mark every page of our PDFs carries (forms/_mark.py), read by ZXing (the
zxing-cpp wheel: no model, no download).  Pages are image-only PDF pages, drawn by PDFium,
or JPEG, PNG and TIFF files (a multi-page TIFF is a page a frame).

Run in a parse worker under its limits: the file is an upload, hostile until proven
otherwise (Pillow's decompression-bomb check is set to the largest page we take)."""

from __future__ import annotations

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
    image file's frames (colour kept: a red seal is read through in the red channel)."""
    if data.startswith(b"%PDF-") or b"%PDF-" in data[:1024]:
        return _pdf_pages(data, max_pages)
    if is_image(data):
        return _image_pages(data, max_pages, grey=False)
    raise NotPdf("文件既不是 PDF，也不是图片（JPEG、PNG、TIFF）",
                 "the file is neither a PDF nor an image (JPEG, PNG, TIFF)")


def find_mark(image):
    """The page's mark (``forms.Mark``) and its place in the image (``register``), or None
    where no QR code on it is our mark."""
    from forms import read_mark

    for code in codes(image):
        mark = read_mark(code.text)
        if mark is not None:
            return mark, register(code.text, code.position)
    return None


def identify_pages(data: bytes, max_pages: int) -> list[dict]:
    """Each page: ``{"page", "form", "version", "form_page", "title"}`` where its mark says
    which form and page it is, ``{"page", "form": None}`` where it has none."""
    import warnings

    from forms import UnknownForm, get_form

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=Warning)  # Pillow's bomb warning stops it
        for i, image in enumerate(pages(data, max_pages), 1):
            found = find_mark(image)
            if found is None:
                out.append({"page": i, "form": None})
                continue
            mark, transform = found
            try:
                title = get_form(mark.form).full_title
            except UnknownForm:
                title = None
            out.append({"page": i, "form": mark.form, "version": mark.version,
                        "form_page": mark.page, "title": title, "transform": transform})
    return out

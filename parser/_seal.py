"""A round seal lifted off a scanned page before its boxes are read (issue 16, point 3).

A colour scan is read in its red channel (``_ocr.channel_of``), where red ink is light;
not paper, though: a red star over a value is a grey plate there, the more so where JPEG
kept the colour at half resolution.  So the red ink, told by its redness, is divided out
of the red channel (``_red_lifted``).  A grey scan has no red channel: its seal's ring
and star are as dark as the print, and a ring crossing a line of text reads as strokes.
A box alone cannot tell a ring's arc from print, but the page can: a seal is a ring of
even tone, 24-52 mm across.  So the circle is found on the whole page (OpenCV's Hough
transform on the page drawn at 4 px a millimetre), measured (its centre fitted to the
ring's darkest points, its tone and width from the median over all angles), and lifted:
a stamp's ink multiplies with the paper and the print under it, so each pixel of the
ring is divided by the ring's tone at its distance from the centre.  The ring alone
turns to paper, print over it stays print.

Where print crossed the ring, a thin stroke may have gone with it: those pixels are
returned, and a value they fall in is never taken as sure (``_ocr.read_page``).

A circle is taken for a seal only where its ring is dark all round (a row of characters
or a table's corner makes no closed ring of even tone); otherwise the page is left as
it is.  The star at a seal's centre is left to each box (``_ocr._flatten``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a seal's radius, in millimetres (official seals are 38-45 mm across; an
#: institution's may be smaller)
RADIUS_MM = (12.0, 26.0)
#: the page is searched for circles drawn at this many pixels a millimetre
SEARCH_PX_PER_MM = 4.0
#: the short side of the pages we print (A4), in millimetres
PAGE_SHORT_MM = 210.0
#: a seal's ring is at least this dark (0-255, median over all its angles)...
RING_TONE = 160
#: ...and dark at this share of its angles at least (print crosses it, a page's edge cuts it)
RING_SHARE = 0.7
#: after the division, what is lighter than this share of the paper was the seal's
#: edge (a blurred, JPEG-ridden ring is not one even tone), not print
LIFTED = 0.75
#: how far a ring's edge may lie off its median circle, as a share of its width
EDGE = 0.05
#: print crossing a ring is darker than this share of the ring's tone
CROSSING = 0.7
#: in a colour page, red ink over paper is this much redder than green and blue
#: (0-255)...
RED_INK = 100
#: ...and tints a pixel (its edge, print under it) this much at least
RED_TINT = 20
#: the least red ink (pixels) taken for a stamp
RED_PIXELS = 500
#: circles looked at, the surest first
CANDIDATES = 5

_ANGLES = np.linspace(0, 2 * np.pi, 720, endpoint=False)


@dataclass(frozen=True)
class Seal:
    """A seal found on a page: its ring's centre and radius (pixels), the ring's tone and
    the paper's (0-255), and the radial profile of the ring (median over angles)."""

    cx: float
    cy: float
    r: float
    tone: float
    paper: float
    radii: np.ndarray
    profile: np.ndarray


def unseal(image):
    """The grey a page is read in (``_ocr.channel_of``) with every seal found on it
    lifted, and the pixels (x, y: an n x 2 array) where a ring crossed print: a stroke
    there may have gone with the ring.  The page's own grey, and no pixels, where there
    is no seal."""
    from PIL import Image

    from ._ocr import channel_of

    channel = channel_of(image)
    if image.mode == "RGB":
        channel = _red_lifted(image) or channel
    a = np.asarray(channel)  # one 8-bit channel either way
    seals = find_seals(a)
    if not seals:
        return channel, np.zeros((0, 2))
    a = a.copy()
    crossed = [_lift(a, seal) for seal in seals]
    return Image.fromarray(a), np.concatenate(crossed)


def _red_lifted(image):
    """A colour page's red channel with its red ink divided out, or None where the page
    has none.  Red ink on paper is light in the red channel, but not paper: a seal's star
    over a value is a grey plate there, more so where JPEG has halved the colour's
    resolution.  Print under the ink was multiplied by the ink's red, so dividing by it
    gives the print back."""
    from PIL import Image

    rgb = np.asarray(image)
    red = rgb[..., 0]
    redness = red.astype(np.int16) - np.maximum(rgb[..., 1], rgb[..., 2])
    inked = redness > RED_INK
    if int(inked.sum()) < RED_PIXELS:
        return None
    tone = _quantile(red[inked], 0.5)
    paper = _quantile(red, 0.95)
    if tone <= 0 or paper <= tone:
        return None
    tinted = redness > RED_TINT
    out = red.astype(np.float32)
    out[tinted] = np.minimum(out[tinted] * (paper / tone), 255)
    return Image.fromarray(np.rint(out).astype(np.uint8))


def _quantile(values: np.ndarray, q: float) -> float:
    """The ``q`` quantile of uint8 ``values`` (by their histogram: a page has millions)."""
    counts = np.cumsum(np.bincount(values.ravel(), minlength=256))
    return float(np.searchsorted(counts, q * counts[-1]))


def find_seals(a: np.ndarray) -> list[Seal]:
    """The seals on a page's grey (``a``, uint8)."""
    out = []
    for cx, cy, r in _circles(a):
        seal = _measure(a, cx, cy, r)
        if seal is not None and not any(
                np.hypot(seal.cx - s.cx, seal.cy - s.cy) < s.r / 2 for s in out):
            out.append(seal)
    return out


def _circles(a: np.ndarray) -> list[tuple[float, float, float]]:
    from ._ocr import opencv

    cv2 = opencv()
    h, w = a.shape
    px_per_mm = min(h, w) / PAGE_SHORT_MM
    k = min(1.0, SEARCH_PX_PER_MM / px_per_mm)
    small = cv2.resize(a, (max(1, round(w * k)), max(1, round(h * k))),
                       interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 1.2)
    mm = px_per_mm * k
    found = cv2.HoughCircles(small, cv2.HOUGH_GRADIENT, dp=1, minDist=10 * mm, param1=120,
                             param2=40, minRadius=int(RADIUS_MM[0] * mm),
                             maxRadius=int(RADIUS_MM[1] * mm))
    if found is None:
        return []
    return [(float(cx) / k, float(cy) / k, float(r) / k) for cx, cy, r in found[0][:CANDIDATES]]


def _samples(a: np.ndarray, cx: float, cy: float, radii: np.ndarray) -> np.ndarray:
    """The page's grey along circles of ``radii`` round (cx, cy): radii x angles; paper
    off the page."""
    h, w = a.shape
    xs = np.rint(cx + np.outer(radii, np.cos(_ANGLES))).astype(np.int64)
    ys = np.rint(cy + np.outer(radii, np.sin(_ANGLES))).astype(np.int64)
    on = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    v = np.full(xs.shape, 255, np.uint8)
    v[on] = a[ys[on], xs[on]]
    return v


def _fit_circle(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """The circle nearest the points (least squares, Kasa's algebraic fit)."""
    m = np.c_[2 * x, 2 * y, np.ones_like(x)]
    (cx, cy, c), *_ = np.linalg.lstsq(m, x * x + y * y, rcond=None)
    return float(cx), float(cy), float(np.sqrt(max(c + cx * cx + cy * cy, 0.0)))


def _measure(a: np.ndarray, cx: float, cy: float, r: float) -> Seal | None:
    """The seal whose ring the Hough transform put near (cx, cy, r), fitted to the ring's
    darkest points; None where no ring of even tone runs round it."""
    for _ in range(2):
        radii = np.arange(r * 0.9, r * 1.1, 0.5)
        v = _samples(a, cx, cy, radii)
        least = v.min(axis=0)
        dark = least < RING_TONE
        if dark.mean() < RING_SHARE:
            return None
        # each angle's ring: the middle of the dark run round its darkest point
        near = np.abs(radii[:, None] - radii[v.argmin(axis=0)][None, :]) <= 0.04 * r
        inked = near & (v <= (least[None, :].astype(np.float64) + 255) / 2)
        at = (radii[:, None] * inked).sum(axis=0) / np.maximum(inked.sum(axis=0), 1)
        x = cx + at * np.cos(_ANGLES)
        y = cy + at * np.sin(_ANGLES)
        keep = dark
        for _ in range(3):  # print crossing the ring pulls a few points off it
            fcx, fcy, fr = _fit_circle(x[keep], y[keep])
            off = np.abs(np.hypot(x - fcx, y - fcy) - fr)
            keep = dark & (off < max(2.0, float(np.percentile(off[keep], 80))))
            if keep.sum() < 10:
                return None
        cx, cy, r = fcx, fcy, fr
    radii = np.arange(r * 0.85, r * 1.15, 0.5)
    v = _samples(a, cx, cy, radii)
    profile = np.median(v, axis=1).astype(np.float64)
    tone = float(profile.min())
    if tone > RING_TONE:
        return None
    at_ring = v[np.abs(radii - r) <= 1.5].min(axis=0)
    if (at_ring < (tone + 255) / 2).mean() < RING_SHARE:
        return None
    paper = float(np.median(profile[[0, 1, 2, -3, -2, -1]]))
    if paper - tone < 40:
        return None
    return Seal(cx, cy, r, tone, paper, radii, profile)


def _lift(a: np.ndarray, seal: Seal) -> np.ndarray:
    """``seal``'s ring lifted off ``a`` (in place); the pixels where it crossed print
    (x, y).  Its star is left to each box's own paper (``_ocr._flatten``)."""
    step = seal.radii[1] - seal.radii[0]
    # the ring's edge wanders round the circle (JPEG, resampling): each distance takes
    # the darkest of the profile within EDGE of the ring's width
    width = np.count_nonzero(seal.profile < (seal.paper + seal.tone) / 2) * step
    reach = round(float(EDGE * width / step))
    profile = np.lib.stride_tricks.sliding_window_view(
        np.pad(seal.profile, reach, mode="edge"), 2 * reach + 1).min(axis=1)
    span = np.nonzero(profile < seal.paper - 0.1 * (seal.paper - seal.tone))[0]
    r0, r1 = seal.radii[span.min()] - 1, seal.radii[span.max()] + 1
    h, w = a.shape
    y0, y1 = int(max(0, seal.cy - r1 - 1)), int(min(h, seal.cy + r1 + 2))
    x0, x1 = int(max(0, seal.cx - r1 - 1)), int(min(w, seal.cx + r1 + 2))
    if y1 <= y0 or x1 <= x0:
        return np.zeros((0, 2))
    yy, xx = np.mgrid[y0:y1, x0:x1]
    d = np.hypot(xx - seal.cx, yy - seal.cy)
    part = a[y0:y1, x0:x1].astype(np.float32)
    # print crossing the ring is darker than the ring alone (the stamp's ink multiplied it)
    core = np.abs(d - seal.r) <= width / 2
    expected = np.interp(d, seal.radii, profile)
    ys, xs = np.nonzero(core & (part < CROSSING * expected))
    crossed = np.c_[xs + x0, ys + y0].astype(np.float64)
    # each pixel of the ring over the ring's tone at its distance from the centre
    ring = (d >= r0) & (d <= r1)
    lifted = _divided(part, expected, seal.paper)
    a[y0:y1, x0:x1] = np.rint(np.where(ring, lifted, part)).astype(np.uint8)
    return crossed


def _divided(part: np.ndarray, tone, paper: float) -> np.ndarray:
    """``part`` with a stamp of ``tone`` taken out of it (the stamp multiplied the page by
    tone/paper); what comes out lighter than ``LIFTED`` of the paper is paper."""
    out = np.clip(part * paper / np.maximum(tone, 1.0), 0, 255)
    return np.where(out > paper * LIFTED, 255, out)

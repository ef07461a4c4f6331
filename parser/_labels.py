"""Pages without our mark (printed before pages carried one, or with the mark cut off or
covered): which form and page each is, from the labels printed on it, and where the page
lies in the image, from where those labels are.

The page's text lines are found and read by PP-OCR (the ``rapidocr`` wheel: detection,
direction and recognition models inside it, run by onnxruntime; nothing is downloaded).
Each form page is known by the labels our layout prints on it; the page whose labels are
found most, by a clear margin, is the one.  The labels found whole, each at one place on
the page, then give the page's place in the image (an affine transform, least squares,
the worst fits dropped), which ``_ocr.refine`` makes exact from the ruled lines as it does
a mark's.  Where no form page's labels are found well enough the page is not one of ours:
it is reported as not identified, never guessed."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ._normalize import key

#: share of the label characters read that the page's own labels must account for
MATCH = 0.6
#: label characters read that a page must account for to be named, and by how many more
#: than the next best page
MIN_SCORE = 16
MARGIN = 8
#: the sides the page is drawn at for finding its lines: small first (most pages are told
#: from it, in two thirds of the time), larger where a page was not told and placed from
#: it (PP-OCR's detector finds print of 10 pt and more at 960; the labels are 10.5–18
#: pt); and the side it is drawn at for reading them
DETECT_SIDES = (640, 960)
READ_SIDE = 1600
#: labels found whole and at one place, needed to place the page
MIN_ANCHORS = 4
#: a page placed by its labels: scaled alike across and down, and square, within this
#: share; its labels within so many points of where the layout prints them (the median),
#: and so many of them
SIMILAR = 0.025
FIT_PT = 2.5
KEPT = 0.6


@dataclass(frozen=True)
class Found:
    """A page identified by its labels: the form, its page, the transform from the form's
    points to the image's pixels (``[a, b, c, d, e, f]`` as ``_scan.register``; None where
    its labels are not where our PDF prints them)."""

    form: str
    form_page: int
    transform: list[float] | None


_detector = None
_detector_lock = threading.Lock()


def detector(loading=contextlib.nullcontext):
    """PP-OCR's text detector (its lines' places only: they are read by ``_ocr``'s
    recogniser), loaded once a process within ``loading()``, on one thread as the
    recogniser is."""
    global _detector
    with _detector_lock:
        if _detector is None:
            with loading():
                from rapidocr import RapidOCR

                _detector = RapidOCR(params={
                    "Global.log_level": "error",
                    "Global.use_cls": False,
                    "Global.use_rec": False,
                    # the page is found in as drawn (``_drawn``), never redrawn larger
                    "Global.max_side_len": max(DETECT_SIDES),
                    "Det.limit_type": "max",
                    "Det.limit_side_len": max(DETECT_SIDES),
                    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
                })
                logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        return _detector


class Direction:
    """PP-OCR's line direction classifier (the rapidocr wheel's ``cls`` model): how likely
    a line's image is upside down.  A few milliseconds a line, where reading lines both
    ways costs the recogniser's hundreds."""

    #: the model's input: lines drawn this tall, at most this wide
    HEIGHT, WIDTH = 48, 192

    def __init__(self, model_path: str) -> None:
        from ._ocr import session

        self.session = session(model_path)
        self.input = self.session.get_inputs()[0].name

    def upside_down(self, lines: list[np.ndarray]) -> float:
        """The mean probability that ``lines`` (grey, ink dark) are upside down."""
        from ._ocr import _resize

        tensor = np.zeros((len(lines), 3, self.HEIGHT, self.WIDTH), dtype=np.float32)
        for row, line in enumerate(lines):
            w = min(self.WIDTH, max(1, int(np.ceil(self.HEIGHT * line.shape[1] / line.shape[0]))))
            tensor[row, :, :, :w] = _resize(line, w, self.HEIGHT).astype(np.float32) / 127.5 - 1
        probs = self.session.run(None, {self.input: tensor})[0]  # (0°, 180°) a line
        return float(probs[:, 1].mean())


_direction = None


def direction(loading=contextlib.nullcontext) -> Direction:
    """The direction classifier, loaded once a process within ``loading()``."""
    global _direction
    with _detector_lock:
        if _direction is None:
            from ._ocr import model_path

            with loading():
                _direction = Direction(model_path("cls"))
        return _direction


_LINES: dict = {}


def page_labels(spec) -> list[list[tuple[str, tuple[float, float]]]]:
    """Each page's printed lines: ``(key, centre)``, the centre in the form's points."""
    cached = _LINES.get((spec.id, spec.spec_hash))
    if cached is not None:
        return cached
    from forms.layout import ASCENT, layout, prepared_font

    pages = []
    for page in layout(spec, prepared_font("song")).pages:
        lines = []
        for t in page.texts:
            k = key(t.text)
            if len(k) < 2:
                continue
            top = t.baseline - ASCENT * t.size  # as layout_geometry puts a text's box
            lines.append((k, (t.x + t.width / 2, top + t.size / 2)))
        pages.append(lines)
    _LINES[(spec.id, spec.spec_hash)] = pages
    return pages


def read_lines(image, loading=contextlib.nullcontext, side: int = DETECT_SIDES[-1]
               ) -> Iterator[list[tuple[str, np.ndarray]]]:
    """The page's text lines read, ``(key, centre)`` with the centre in the image's
    pixels: the lines read so far after each of ``READ_ROUNDS``, the shortest first
    (labels are short; paragraphs are slow to read), the page's top lines (its title) in
    the second.  Lines are found on the page drawn small (``side``) and read from
    it drawn larger (``READ_SIDE``).  The page may lie any way round: on its side where
    most lines found stand taller than wide (found again turned a quarter), upside down
    where the direction model finds a few short lines so."""
    from . import _ocr

    grey = _ocr.channel_of(image)
    small = _drawn(grey, side)
    found = _detect(small, loading)
    turns = 0
    if sum(1 for q in found if _side(q, 1) > 1.5 * _side(q, 0)) > len(found) / 2:
        # on its side: found again turned a quarter (np.rot90: counter-clockwise), the
        # detector finds standing lines poorly
        turns = 1
        found = _detect(np.rot90(small), loading)
    found = [q for q in found if _side(q, 1) >= MIN_LINE]
    if not found:
        return
    big = _drawn(grey, READ_SIDE)
    upright = np.ascontiguousarray(np.rot90(big, turns))
    k = big.shape[1] / small.shape[1]
    quads = [q * k for q in found]
    rec = _ocr.engine(loading)
    ratio = [_side(q, 0) / _side(q, 1) for q in quads]
    shortest = sorted(range(len(quads)), key=lambda i: ratio[i])
    # upside down? as a few short lines of some characters are, by the direction model
    some = [_crop(upright, quads[i]) for i in shortest if ratio[i] >= 2.5][:ORIENT_LINES]
    turned = direction(loading)
    with loading():
        flip = bool(some) and turned.upside_down(some) > 0.5
    top = sorted(range(len(quads)), key=lambda i: quads[i][:, 1].min() * (-1 if flip else 1))
    out: list[tuple[str, np.ndarray]] = []
    taken: set[int] = set()
    spent = 0.0
    for n, budget in enumerate(READ_ROUNDS):
        batch = [i for i in top[:TOP_LINES] if i not in taken] if n == 1 else []
        spent += sum(ratio[i] for i in batch)
        for i in shortest:
            if i in taken or i in batch:
                continue
            if spent + ratio[i] > budget:
                break
            batch.append(i)
            spent += ratio[i]
        if not batch:
            continue
        taken.update(batch)
        crops = [_crop(upright, quads[i]) for i in batch]
        with loading():
            read = rec.read([c[::-1, ::-1] for c in crops] if flip else crops)
        for (text, _), i in zip(read, batch):
            got = key(text)
            if not got:
                continue
            x, y = quads[i].mean(axis=0)
            if turns:  # back to the page as scanned: (x, y) turned is (w - 1 - y, x) there
                x, y = big.shape[1] - 1 - y, x
            out.append((got, np.array([x * grey.width / big.shape[1],
                                       y * grey.height / big.shape[0]])))
        yield list(out)
        if len(taken) == len(quads):
            break


#: the fewest pixels a line found must stand (on the page drawn to find lines) to be read
MIN_LINE = 7
#: lines the direction model looks at to tell a page upside down
ORIENT_LINES = 12
#: the page's top lines, read in the second round (its title)
TOP_LINES = 3
#: the lines read in rounds, until their lengths come to so many heights (about so many
#: characters): most pages are told in the first
READ_ROUNDS = (60, 220, 600)


def _drawn(grey, side: int) -> np.ndarray:
    """The page drawn with its longer side ``side`` pixels (never enlarged)."""
    scale = min(1.0, side / max(grey.size))
    if scale < 1:
        grey = grey.resize((round(grey.width * scale), round(grey.height * scale)))
    return np.asarray(grey)


def _detect(arr: np.ndarray, loading) -> list[np.ndarray]:
    found = detector(loading)  # loaded within loading(), once: not nested in a run's
    with loading():
        out = found(np.stack([np.ascontiguousarray(arr)] * 3, axis=-1))
    if out.boxes is None:
        return []
    return [np.asarray(b, dtype=float) for b in out.boxes]


def _side(q: np.ndarray, which: int) -> float:
    """A found line's length (0) or height (1), in pixels."""
    return float(np.hypot(*(q[1] - q[0]))) if which == 0 else float(np.hypot(*(q[3] - q[0])))


def _crop(page: np.ndarray, q: np.ndarray) -> np.ndarray:
    """A found line, cut out upright (the corners clockwise from its top left)."""
    from PIL import Image

    w, h = max(1, round(_side(q, 0))), max(1, round(_side(q, 1)))
    data = [*q[0], *q[3], *q[2], *q[1]]  # PIL's QUAD: top left, bottom left, bottom right, top right
    img = Image.fromarray(page).transform((w, h), Image.QUAD, data, Image.BILINEAR,
                                          fillcolor=255)
    return np.asarray(img)


def _explained(k: str, labels: frozenset[str]) -> int:
    """How many of a read line's characters a page's labels account for: all of them where
    the line is a label or part of one, else the longest label in it (a label and the
    value typed after it)."""
    if k in labels:
        return len(k)
    if len(k) >= 3 and any(k in lab for lab in labels):
        return len(k)
    return max((len(lab) for lab in labels if lab in k), default=0)


def best_page(lines: list[tuple[str, np.ndarray]], specs
              ) -> list[tuple[int, float, str, int]]:
    """Every form page's score, best first: ``(score, share, form id, page)``; the score
    is the read characters its labels account for, the share that part of what any
    form's labels account for (a page's own lines are its labels, and values no form
    prints)."""
    keys = [k for k, _ in lines if len(k) >= 2]
    per_page = []
    label_like = [0] * len(keys)
    for spec in specs:
        for n, labels in enumerate(page_labels(spec), 1):
            own = frozenset(k for k, _ in labels)
            got = [_explained(k, own) for k in keys]
            label_like = [max(a, b) for a, b in zip(label_like, got)]
            per_page.append((sum(got), spec.id, n))
    total = sum(label_like)
    ranked = [(score, score / total if total else 0.0, form, n)
              for score, form, n in per_page]
    ranked.sort(reverse=True)
    return ranked


def place(lines: list[tuple[str, np.ndarray]], labels) -> list[float] | None:
    """The transform from the form's points to the image's pixels, from the labels read
    whole (a line that is the label and nothing else) and printed once on the page."""
    count: dict[str, int] = {}
    for k, _ in labels:
        count[k] = count.get(k, 0) + 1
    where = {k: c for k, c in labels if count[k] == 1}
    read: dict[str, list[np.ndarray]] = {}
    for k, q in lines:
        read.setdefault(k, []).append(q)
    pairs = [(where[k], qs[0]) for k, qs in read.items()
             if k in where and len(qs) == 1]
    if len(pairs) < MIN_ANCHORS:
        return None
    src = np.array([[x, y, 1.0] for (x, y), _ in pairs])
    dst = np.array([p for _, p in pairs])
    keep = np.ones(len(pairs), dtype=bool)
    for _ in range(3):
        coef, *_ = np.linalg.lstsq(src[keep], dst[keep], rcond=None)
        resid = np.hypot(*(src @ coef - dst).T)
        scale = float(np.sqrt(abs(np.linalg.det(coef[:2, :2]))))  # pixels a point
        keep = resid <= max(4.0 * scale, float(np.median(resid[keep])) * 3)
        if keep.sum() < MIN_ANCHORS:
            return None
    (a, d), (b, e), (c, f) = coef
    # a print scanned is the page turned and scaled alike both ways, never sheared nor
    # mirrored; the labels sit where our layout prints them.  Else the page was laid out
    # otherwise (printed from the DOCX, say) and our boxes are not where its values are
    across, down = float(np.hypot(a, d)), float(np.hypot(b, e))
    if (abs(across / down - 1) > SIMILAR or abs(a * b + d * e) / (across * down) > SIMILAR
            or a * e - b * d <= 0 or keep.sum() < KEPT * len(pairs)
            or float(np.median(resid[keep])) > FIT_PT * scale):
        return None
    return [round(float(v), 4) for v in (a, b, c, d, e, f)]


def identify(image, specs, loading=contextlib.nullcontext) -> Found | None:
    """Which form page ``image`` is, from its printed labels, and where it lies (its lines
    found on the page drawn at each of ``DETECT_SIDES`` in turn, and read in rounds, until
    it is placed; a page showing too few of any form's labels is not looked at larger);
    None where it is none of ``specs``' pages (or too little of it can be read to tell)."""
    told = None
    for side in DETECT_SIDES:
        seen = 0
        for lines in read_lines(image, loading, side):
            ranked = best_page(lines, specs)
            found = decide(lines, specs, ranked)
            if found is not None and found.transform is not None:
                return found
            told = found or told
            seen = max(seen, ranked[0][0] if ranked else 0)
        if told is None and seen < MIN_SCORE / 2:
            break  # too few of any form's labels to look closer for (another document)
    return told


def decide(lines: list[tuple[str, np.ndarray]], specs, ranked=None) -> Found | None:
    """``identify`` from the page's lines read (``read_lines``) and the form pages'
    scores for them (``best_page``'s, made here if not given)."""
    if ranked is None:
        ranked = best_page(lines, specs)
    if not ranked or ranked[0][1] < MATCH or ranked[0][0] < MIN_SCORE:
        return None
    score, _, form, page = ranked[0]
    if len(ranked) > 1 and score - ranked[1][0] < MARGIN:
        return None
    spec = next(s for s in specs if s.id == form)
    return Found(form, page, place(lines, page_labels(spec)[page - 1]))

"""Reading a scan's values where the form puts them (issue 16, point 3).

A scanned page's mark says which form and page it is and where the page lies in the
image (``_scan.identify_pages``: a coarse affine transform from the mark's corners).  The
form's own geometry (``forms.layout.layout_geometry``: every value box, every table cell)
refines that transform from the table's ruled lines, then each box is cut out of the
image, upright and at a fixed scale, and read:

* text by the PP-OCR recognition model that the ``rapidocr`` wheel carries (run by
  onnxruntime here: no model is downloaded, nothing leaves the machine), a line at a
  time; a box's lines are found from the ink, as our own appearances wrap and shrink;
* checkboxes and choices by the ink inside their boxes.

The red channel is read wherever the scan has colour: a red seal fades to paper there and
the black print stays.  A seal is lifted off the page before the boxes are cut (``_seal``:
a colour page's red ink, a grey page's ring).  Each value keeps the recogniser's
confidence (its least certain character), and goes through the same type checks as every
other route, so a misread value is flagged, never silently accepted.

The engine is loaded once per process (a parse worker), on its first scan.
"""

from __future__ import annotations

import contextlib
import re
import threading
from dataclasses import dataclass

import numpy as np

from forms import DATE_PARTS, FormSpec

from ._acroform import _join_lines
from ._normalize import clean_text, digits, make_date, parse_choice, parse_number, problem
from ._result import Reading

#: pixels per point of the registered page and of every cut-out box (216 dpi)
SCALE = 3.0
#: a pixel darker than this (0-255) is ink
INK = 150
#: points left off a box's sides (our values sit inside their box's padding; a printed
#: 年 月 日 right beside a date's part stays out, with the registration's last point)
TRIM = 0.4
#: what a single flat stroke may be read as
STROKES = ("一", "-", "—", "_", "－")
#: print is at least this dark (0-255) somewhere in a box that holds any
DARKEST_PRINT = 200
#: a gap in a line's ink this share of its height wide is a space
SPACE = 0.45
#: what a number's box and a date's part may hold
DIGITS = "0123456789"
NUMBER = "0123456789.,-"
#: a stroke's core is within this much (0-255) of the line's darkest
CORE = 35
#: the widest line the recogniser takes, in heights
MAX_RATIO = 60
#: the least height of a line of text, in pixels (a value shrunk to fit its box is still
#: 5 pt tall; ink shorter than this is a speck)
MIN_TEXT = 2.5 * SCALE
#: a box whose paper, closed, is dark over this many squares of the closing's size holds a
#: seal's shape (a star, a ring), not only print
SEAL_AREA = 4
#: the band along the edge of a seal's shape a box turned to paper, in pixels across
STAR_EDGE = 7
#: a mark of this many pixels of ink lying in that band makes its value never sure
STAR_EDGE_INK = 10
#: a pen's ink, averaged over cells PEN_CELL_MM square (a pen's stroke is about half a
#: millimetre wide, a scanner's fringes each a fraction of that): bluer or greener than
#: red by this much, its darker of green and blue under this (paper is light)
PEN_CELL_MM = 0.8
PEN_COLOUR = 35
PEN_DARK = 200
#: a value whose box holds this many such cells was written by hand (or corrected by
#: hand), and is never sure, however clear its print
PEN_INK = 6
#: a value whose box holds this many pixels where a lifted seal's ring crossed print is
#: never sure
SEAL_CROSSED = 4
#: the most a doubtful read may be sure of (a line the checks found print unread in, no
#: two views agreed on, a stroke taken for 一, a seal crossed): under CHECK_BELOW, for
#: the reviewer
DOUBTFUL = 0.6
#: a Chinese character (CJK Unified Ideographs)
_HAN = re.compile(r"[\u4e00-\u9fff]")
#: a row between two lines of text run together holds under this share of their
#: usual ink a row
VALLEY = 0.2
#: the recogniser's input height, in pixels
REC_HEIGHT = 48
#: a value read with less confidence than this is reported for the reviewer to check (and
#: its lines are read again first)
CHECK_BELOW = 0.9
#: a tick fills at least this share of its box's inside; an empty box under EMPTY_INK
TICK_INK = 0.12
EMPTY_INK = 0.04


# ---------------------------------------------------------------- the recogniser

def session(model_path: str):
    """An onnxruntime session of a model, on one thread (the parse pool already runs a
    worker a core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.enable_cpu_mem_arena = False
    return ort.InferenceSession(model_path, options, providers=["CPUExecutionProvider"])


class Recognizer:
    """PP-OCR's text-line recogniser: a line's image in, its text and each character's
    probability out (CTC, greedy)."""

    def __init__(self, model_path: str) -> None:
        self.session = session(model_path)
        meta = self.session.get_modelmeta().custom_metadata_map
        self.chars = ["\0"] + meta["character"].splitlines() + [" "]
        self.input = self.session.get_inputs()[0].name
        self._index = {c: i for i, c in enumerate(self.chars)}
        self._alphabets: dict[str, np.ndarray] = {}

    def _classes(self, alphabet: str) -> np.ndarray:
        """The model's classes of ``alphabet``'s characters, blank first."""
        got = self._alphabets.get(alphabet)
        if got is None:
            got = np.array([0] + [self._index[c] for c in alphabet if c in self._index])
            self._alphabets[alphabet] = got
        return got

    def read_checked(self, lines: list[np.ndarray],
                     alphabets: list[str | None] | None = None,
                     more=lambda i: None) -> list[tuple[str, list[float]]]:
        """Each line read as ``read`` reads it, but a line read with less confidence than
        ``CHECK_BELOW`` is read three times more (``_views``): the text most reads agree
        on is kept (of two texts as often read, the one read surest), with the
        probabilities of its second surest read (one view alone makes no certainty); a
        text no two reads agree on, or other views agreeing against the first, is kept
        as doubtful.  ``more(i)``: one more view of line ``i`` where the caller has one
        (the line cut from the page anew, bicubic), else None."""
        alphabets = alphabets or [None] * len(lines)
        first = self.read(lines, alphabets)
        doubtful = [i for i, (_, scores) in enumerate(first)
                    if scores and min(scores) < CHECK_BELOW]
        if not doubtful:
            return first
        views = [[*_views(lines[i]), *[v for v in [more(i)] if v is not None]]
                 for i in doubtful]
        again = self.read([v for vs in views for v in vs],
                          [alphabets[i] for i, vs in zip(doubtful, views) for _ in vs])
        out = list(first)
        at = 0
        for i, vs in zip(doubtful, views):
            reads = [r for r in (first[i], *again[at:at + len(vs)]) if r[1]]
            at += len(vs)
            if not reads:
                continue
            texts = [t for t, _ in reads]
            votes = max(texts.count(t) for t in texts)
            agreed = sorted((r for r in reads if texts.count(r[0]) == votes),
                            key=lambda r: min(r[1]), reverse=True)
            text = agreed[0][0]
            mine = [r for r in agreed if r[0] == text]
            if votes >= 2 and text == first[i][0]:
                out[i] = mine[1]
            else:
                out[i] = (text, [min(p, DOUBTFUL) for p in mine[0][1]])
        return out

    def read(self, lines: list[np.ndarray], alphabets: list[str | None] | None = None
             ) -> list[tuple[str, list[float]]]:
        """Each line (a grey uint8 array, ink dark) read: its text and each character's
        probability.  ``alphabets``: per line, the characters it may hold (a number's box
        holds digits: the model's best among them is read, with its own probability, so
        a doubtful digit stays doubtful), None for any.  The model reads no space it
        cannot see between a Chinese character and a digit: a gap in the ink as wide as
        a space puts one there."""
        alphabets = alphabets or [None] * len(lines)
        out: list[tuple[str, list[float]] | None] = [None] * len(lines)
        order = sorted(range(len(lines)), key=lambda i: lines[i].shape[1] / lines[i].shape[0])
        for start in range(0, len(order), 8):
            batch = order[start:start + 8]
            # a line is at most MAX_RATIO times as wide as it is tall (a box's widest line
            # is a third of that): the tensor, and the model's memory, stay bounded
            widths = [min(REC_HEIGHT * MAX_RATIO, max(8, int(np.ceil(
                REC_HEIGHT * lines[i].shape[1] / lines[i].shape[0])))) for i in batch]
            tensor = np.zeros((len(batch), 3, REC_HEIGHT, max(widths)), dtype=np.float32)
            for row, (i, w) in enumerate(zip(batch, widths)):
                img = _resize(lines[i], w, REC_HEIGHT).astype(np.float32) / 127.5 - 1.0
                tensor[row, :, :, :w] = img
            probs = self.session.run(None, {self.input: tensor})[0]
            for row, (i, w) in enumerate(zip(batch, widths)):
                # a time step covers this many of the line's own pixels
                step = tensor.shape[3] / probs.shape[1] * lines[i].shape[1] / w
                out[i] = _spaced(*self._decode(probs[row], alphabets[i]), lines[i], step)
        return out  # type: ignore[return-value]

    def _decode(self, probs: np.ndarray, alphabet: str | None = None
                ) -> tuple[list[str], list[float], list[float]]:
        if alphabet is not None:
            allowed = self._classes(alphabet)
            sub = probs[:, allowed]
            best = allowed[sub.argmax(axis=1)]
            conf = sub.max(axis=1)
        else:
            best = probs.argmax(axis=1)
            conf = probs.max(axis=1)
        text, scores, at, prev = [], [], [], 0
        for t, k in enumerate(best):
            if k != 0 and k != prev:
                text.append(self.chars[k] if k < len(self.chars) else "")
                scores.append(float(conf[t]))
                at.append(float(t))
            elif k != 0 and k == prev:
                scores[-1] = max(scores[-1], float(conf[t]))
                at[-1] += 0.5  # the middle of the character's run of steps
            prev = k
        return text, scores, at


def _views(line: np.ndarray) -> list[np.ndarray]:
    """Three other views of a line for the model: set on more paper (a quarter of its
    height all round), cut to its ink's rows with 2 pixels to spare (the model sees its
    print smaller, then larger), and sharpened (an unsharp mask: a blurred scan's
    strokes stand apart, as 4 from 1 in 4279)."""
    from PIL import Image, ImageFilter

    h, w = line.shape
    m = max(2, h // 4)
    wider = np.full((h + 2 * m, w + 2 * m), 255, dtype=np.uint8)
    wider[m:m + h, m:m + w] = line
    rows = np.nonzero(_ink(line).sum(axis=1))[0]
    tight = line[max(0, rows[0] - 2):rows[-1] + 3] if len(rows) else line
    sharp = Image.fromarray(line).filter(ImageFilter.UnsharpMask(2, 80, 2))
    return [wider, tight, np.asarray(sharp)]


#: characters a space never parts when the ink shows a gap (a "1" is narrow: its gaps are
#: wide)
_NUMERIC = frozenset("0123456789-.,:/")


def _spaced(chars: list[str], scores: list[float], at: list[float], line: np.ndarray,
            step: float) -> tuple[str, list[float]]:
    """The characters joined, with a space where the ink has a gap a space wide (``SPACE``
    of the line's height) between two of them and the model read none.  Ink that no
    character read accounts for (a seal's arc over a digit the model then skipped) makes
    every character of the line doubtful."""
    ink = line < INK  # the strokes' cores: a blurred scan's grey halo would close a gap
    rows = np.nonzero(ink.sum(axis=1))[0]
    height = rows[-1] - rows[0] + 1 if len(rows) else line.shape[0]
    gaps, run = [], 0
    for x, on in enumerate(ink.sum(axis=0) > 0):
        if not on:
            run += 1
        else:
            if run and run >= height * SPACE and x - run > 0:
                gaps.append(x - run / 2)
            run = 0
    out = []
    for i, ch in enumerate(chars):
        if i and gaps and ch != " " and out[-1] != " " and not (
                ch in _NUMERIC and out[-1] in _NUMERIC):
            x0, x1 = (at[i - 1] + 0.5) * step, (at[i] + 0.5) * step
            if any(x0 < g < x1 for g in gaps):
                out.append(" ")
        out.append(ch)
    if chars and height >= MIN_TEXT:  # (a single flat stroke, 一, is read_page's to judge)
        centres = [(t + 0.5) * step for t in at]
        core = _print_core(line)
        rows = np.nonzero(core.sum(axis=1))[0]
        # the print's cores (a seal's grey over the value is no character), and all the
        # ink within the print's rows (a thin 一 or 二 is grey where black print is not)
        band = np.zeros_like(core)
        if len(rows):
            band[rows[0]:rows[-1] + 1] = _ink(line)[rows[0]:rows[-1] + 1]
        if _unexplained(core, centres) or _unexplained(band, centres) \
                or _unread_print(core, chars, centres) or _crossed(line):
            scores = [min(p, DOUBTFUL) for p in scores]
    return "".join(out), scores


def _print_core(line: np.ndarray) -> np.ndarray:
    """The cores of the line's darkest strokes: print, not a seal's grey over it (a grey
    scan keeps a red seal's strokes a shade lighter than black print)."""
    return line < _darkest(line) + CORE


def _unexplained(ink: np.ndarray, centres: list[float]) -> bool:
    """Whether the line holds ink a character wide that lies beyond every character read
    (farther from each one's centre than a character's width: the pitch read, never more
    than the ink's height, as two characters read far apart over unread ones would
    make it)."""
    cols = np.nonzero(ink.sum(axis=0) > 0)[0]
    rows = np.nonzero(ink.sum(axis=1) > 0)[0]
    if len(cols) == 0:
        return False
    height = float(rows[-1] - rows[0] + 1)
    pitch = float(np.median(np.diff(centres))) if len(centres) > 1 else height * 0.6
    reach = min(max(pitch, height * 0.5), height)
    far = np.min(np.abs(cols[:, None] - np.array(centres)[None, :]), axis=1) > reach
    return int(far.sum()) > reach * 0.8


def _crossed(line: np.ndarray) -> bool:
    """Whether a stroke crosses the line's print, reaching far above and below it (a
    seal's ring, as dark as print in a grey scan)."""
    ink = _ink(line)
    per_row = ink.sum(axis=1)
    rows = np.nonzero(per_row)[0]
    if len(rows) == 0:
        return False
    # the print's own rows: where the line holds a quarter of its fullest row's ink
    band = np.nonzero(per_row >= 0.25 * per_row.max())[0]
    tall = band[-1] - band[0] + 1
    outside = int(per_row[:band[0]].sum() + per_row[band[-1] + 1:].sum())
    return rows[-1] - rows[0] + 1 > 1.6 * tall and outside > tall * tall * 0.3


def _unread_print(core: np.ndarray, chars: list[str], centres: list[float]) -> bool:
    """Whether a line with Chinese in it holds print where no character read can be: past
    each character's own half width (a Chinese character's is half the print's height, a
    digit's or letter's about a quarter) and a margin, over more than a third of a
    character's width (a character the model skipped at the line's end or between two
    it read)."""
    kept = [(c, x) for c, x in zip(chars, centres) if c.strip()]
    wide = [ord(c) >= 0x2E80 for c, _ in kept]
    rows = np.nonzero(core.sum(axis=1) > 0)[0]
    cols = np.nonzero(core.sum(axis=0) > 0)[0]
    if not any(w and c not in "一二" for w, (c, _) in zip(wide, kept)):
        return False  # no character as tall as the font: the print's height is no measure
    # a Chinese character's advance is 1.05 times its print's height (measured over the
    # scan set's lines read right: 0.96-1.13 from the 5th to the 95th percentile)
    em = float(rows[-1] - rows[0] + 1) * 1.05
    half = np.array([(0.5 if w else 0.28) * em for w in wide]) + 0.25 * em
    at = np.array([x for _, x in kept])
    far = np.all(np.abs(cols[:, None] - at[None, :]) > half[None, :], axis=1)
    return int(far.sum()) > 0.35 * em


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(img).resize((w, h), Image.BILINEAR))


_engine: Recognizer | None = None
_engine_lock = threading.Lock()


def model_path(kind: str = "rec") -> str:
    """A model the rapidocr wheel carries: ``rec`` its recogniser, ``cls`` its line
    direction classifier (found without importing rapidocr, which would import OpenCV for
    nothing)."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("rapidocr is not installed: pip install rapidocr")
    models = Path(list(spec.submodule_search_locations)[0]) / "models"
    found = sorted(models.glob(f"*{kind}*.onnx"))
    if not found:
        raise RuntimeError(f"no {kind} model in {models}")
    return str(found[-1])


def engine(loading=contextlib.nullcontext) -> Recognizer:
    """The process's recogniser, loaded on first use within ``loading()`` (a parse
    worker lifts its file's memory cap for it: our model, not the file's work)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            with loading():
                _engine = Recognizer(model_path())
        return _engine


# ---------------------------------------------------------------- registration

@dataclass(frozen=True)
class Affine:
    """``(a·x + b·y + c, d·x + e·y + f)``."""

    a: float
    b: float
    c: float
    d: float
    e: float
    f: float

    def __call__(self, x: float, y: float) -> tuple[float, float]:
        return self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f

    def inverse(self) -> Affine:
        """The map back (an image's pixel to the form's point)."""
        det = self.a * self.e - self.b * self.d
        a, b, d, e = self.e / det, -self.b / det, -self.d / det, self.a / det
        return Affine(a, b, -(a * self.c + b * self.f), d, e, -(d * self.c + e * self.f))

    def many(self, points: np.ndarray) -> np.ndarray:
        """Points (an n x 2 array) mapped."""
        x, y = points[:, 0], points[:, 1]
        return np.c_[self.a * x + self.b * y + self.c, self.d * x + self.e * y + self.f]

    def then(self, outer: Affine) -> Affine:
        """``outer(self(p))``."""
        o = outer
        return Affine(o.a * self.a + o.b * self.d, o.a * self.b + o.b * self.e,
                      o.a * self.c + o.b * self.f + o.c,
                      o.d * self.a + o.e * self.d, o.d * self.b + o.e * self.e,
                      o.d * self.c + o.e * self.f + o.f)


def cut(channel, to_image: Affine, box, scale: float = SCALE, bicubic: bool = False
        ) -> np.ndarray:
    """The part of the page in ``box`` (points), upright, ``scale`` pixels a point
    (drawn bilinear, or ``bicubic``: sharper, and another view for the recogniser)."""
    from PIL import Image

    x0, top, x1, bottom = box
    w, h = max(1, round((x1 - x0) * scale)), max(1, round((bottom - top) * scale))
    # output pixel (u, v) is the form's point (x0 + u/scale, top + v/scale)
    t = to_image
    coeffs = (t.a / scale, t.b / scale, t.a * x0 + t.b * top + t.c,
              t.d / scale, t.e / scale, t.d * x0 + t.e * top + t.f)
    resample = Image.BICUBIC if bicubic else Image.BILINEAR
    return np.asarray(channel.transform((w, h), Image.AFFINE, coeffs, resample=resample,
                                        fillcolor=255))


def _ruled_lines(gpage: dict) -> tuple[list[tuple], list[tuple]]:
    """The table's lines the page prints where its value boxes sit: ``(y, x0, x1)``
    across, ``(x, top, bottom)`` down (the edges of every cell holding a value)."""
    across, down = set(), set()
    for g in gpage["fields"].values():
        cell = g.get("cell")
        if not cell:
            continue
        x0, top, x1, bottom = (round(v, 1) for v in cell)
        across.update({(top, x0, x1), (bottom, x0, x1)})
        down.update({(x0, top, bottom), (x1, top, bottom)})
    return sorted(across), sorted(down)


def _line_at(profile: np.ndarray, want: float, reach: int, fill: float) -> float | None:
    """Where a ruled line crosses a strip: the centre of the run of rows (of the strip's
    ink profile, each a share 0-1) inked beyond ``fill`` nearest to ``want``."""
    lo, hi = max(0, int(want) - reach), min(len(profile), int(want) + reach + 1)
    rows = np.nonzero(profile[lo:hi] >= fill)[0] + lo
    if len(rows) == 0:
        return None
    runs = np.split(rows, np.nonzero(np.diff(rows) > 1)[0] + 1)
    centres = [(r[0] + r[-1]) / 2 for r in runs if len(r) <= 4 * SCALE]
    if not centres:
        return None
    return min(centres, key=lambda c: abs(c - want))


def refine(channel, coarse: Affine, gpage: dict, size: tuple[float, float]) -> Affine:
    """The page's transform made exact from its ruled lines: the page drawn upright by
    ``coarse``, each line found near where the form prints it, and the form-to-page
    correction fitted to them (least squares, the worst fits dropped).  ``coarse`` where
    too few lines are found."""
    across, down = _ruled_lines(gpage)
    if len(across) < 3 or len(down) < 3:
        return coarse
    page = cut(channel, coarse, (0, 0, size[0], size[1]))
    ink = page < INK
    s = SCALE
    # a whole-page shift first (the coarse transform's error is a few points): the offset
    # at which the expected lines meet the most ink, across and down
    shift = []
    for lines, axis in ((across, 1), (down, 0)):
        profile = ink.mean(axis=axis)
        best, best_score = 0, -1.0
        for off in range(-int(12 * s), int(12 * s) + 1):
            score = 0.0
            for pos, a, b in lines:
                i = int(round(pos * s)) + off
                if 1 <= i < len(profile) - 1:
                    score += (b - a) * profile[i - 1:i + 2].max()
            if score > best_score:
                best, best_score = off, score
        shift.append(best / s)
    dy, dx = shift
    # then each line where it crosses strips of the page
    pts_y, pts_x = [], []
    for y, x0, x1 in across:
        for x in np.linspace(x0 + 6, x1 - 6, max(2, int((x1 - x0) // 60) + 1)):
            u0, u1 = int((x - 5) * s), int((x + 5) * s)
            if u0 < 0 or u1 > ink.shape[1]:
                continue
            got = _line_at(ink[:, u0:u1].mean(axis=1), (y + dy) * s, int(4 * s), 0.6)
            if got is not None:
                pts_y.append((x, y, got / s))
    for x, y0, y1 in down:
        for y in np.linspace(y0 + 6, y1 - 6, max(2, int((y1 - y0) // 60) + 1)):
            v0, v1 = int((y - 5) * s), int((y + 5) * s)
            if v0 < 0 or v1 > ink.shape[0]:
                continue
            got = _line_at(ink[v0:v1, :].mean(axis=0), (x + dx) * s, int(4 * s), 0.6)
            if got is not None:
                pts_x.append((x, y, got / s))
    fit_y = _fit(pts_y)
    fit_x = _fit(pts_x)
    if fit_x is None or fit_y is None:
        correction = Affine(1, 0, dx, 0, 1, dy)
    else:
        correction = Affine(*fit_x, *fit_y)
    return correction.then(coarse)


def _fit(points: list[tuple[float, float, float]]) -> tuple[float, float, float] | None:
    """``(p, q, r)`` with ``p·x + q·y + r`` ≈ the measured place, least squares, twice:
    the second time without the points more than a point off the first fit."""
    if len(points) < 6:
        return None
    arr = np.array(points)
    keep = np.ones(len(arr), dtype=bool)
    for _ in range(2):
        a = np.c_[arr[keep, 0], arr[keep, 1], np.ones(keep.sum())]
        coef, *_ = np.linalg.lstsq(a, arr[keep, 2], rcond=None)
        resid = np.abs(np.c_[arr[:, 0], arr[:, 1], np.ones(len(arr))] @ coef - arr[:, 2])
        keep = resid <= max(1.0, float(np.median(resid)) * 3)
        if keep.sum() < 6:
            return None
    p, q, r = coef
    # a correction, not a new transform: anything far from the identity is a wrong fit
    if abs(p - 1) + abs(q) > 0.05 and abs(p) + abs(q - 1) > 0.05:
        return None
    return float(p), float(q), float(r)


# ---------------------------------------------------------------- reading boxes

def _flatten(crop: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """The box's image over its own paper: each pixel divided by the brightest near it (a
    few points around), so the flat grey of a seal's fill in a grey scan turns to paper
    and the black print on it stays black; and, where a seal's shape was turned to paper,
    the band along its edge (None where there was none)."""
    size = int(4 * SCALE) | 1
    paper = _max_filter(crop, size)
    # where something dark and wider than any stroke covers a good part of the box (a
    # seal's star in a grey scan), the paper follows it to its edges (a closing):
    # its whole shape turns to paper, the print over it stays.  A dense character alone
    # closes a blob too small to count, and is left whole
    closed = _min_filter(paper, size)
    edge = None
    shape = closed < 200
    if int(shape.sum()) >= SEAL_AREA * size * size:
        paper = closed
        # a blurred edge is darker than the closing's sharp one: a grey trace of it
        # stays, as dark as the print where the scan is faint
        mask = shape.astype(np.uint8)
        grown = _max_filter(mask, STAR_EDGE) > 0
        edge = grown & ~(_min_filter(mask, STAR_EDGE) > 0)
    paper = paper.astype(np.float32)
    flat = np.clip(crop.astype(np.float32) * 255.0 / np.maximum(paper, 1.0), 0, 255)
    return flat.astype(np.uint8), edge


def _max_filter(img: np.ndarray, size: int) -> np.ndarray:
    """Each pixel's brightest neighbour within a ``size`` square: a row pass, then a column
    pass (a square's maximum is separable; Pillow's MaxFilter looks at the whole square)."""
    from numpy.lib.stride_tricks import sliding_window_view

    half = size // 2
    rows = np.pad(img, ((0, 0), (half, half)), mode="edge")
    img = sliding_window_view(rows, size, axis=1).max(axis=-1)
    cols = np.pad(img, ((half, half), (0, 0)), mode="edge")
    return sliding_window_view(cols, size, axis=0).max(axis=-1)


def _min_filter(img: np.ndarray, size: int) -> np.ndarray:
    """Each pixel's darkest neighbour within a ``size`` square."""
    return 255 - _max_filter(255 - img, size)


def _longest_run(line: np.ndarray) -> int:
    """The longest run of True in a 1-D array."""
    if not line.any():
        return 0
    edges = np.diff(np.r_[0, line.astype(np.int8), 0])
    return int((np.nonzero(edges == -1)[0] - np.nonzero(edges == 1)[0]).max())


def _whiten_rules(img: np.ndarray) -> None:
    """Printed rules the box's image caught near its edges (a cell's line, a blank's
    underline) turned to paper: an unbroken run of ink across most of the box, within a
    few points of an edge.  Text never makes one: its strokes break between characters,
    and a "1" is not as tall as the box."""
    ink = _ink(img)  # a blurred rule is grey
    h, w = ink.shape
    near = int(3 * SCALE)
    for y in [*range(min(near, h)), *range(max(0, h - near), h)]:
        if _longest_run(ink[y]) >= 0.7 * w:
            img[y] = 255
    for x in [*range(min(near, w)), *range(max(0, w - near), w)]:
        if _longest_run(ink[:, x]) >= 0.85 * h:  # a seal's arc is not this straight
            img[:, x] = 255


def _darkest(img: np.ndarray) -> float:
    """The box's darkest grey that is not a speck: its 20th darkest pixel (its darkest,
    where it has fewer)."""
    flat = img.ravel()
    n = min(19, flat.size - 1)
    return float(np.partition(flat, n)[n])


def _ink_level(img: np.ndarray) -> float | None:
    """The grey under which a pixel of this box is ink: halfway between its darkest
    (the 20th darkest pixel: not a speck) and paper, so a blurred scan's grey strokes are
    whole; None when nothing in the box is dark enough to be print."""
    if img.size < 20:
        return None
    dark = _darkest(img)
    if dark > DARKEST_PRINT:
        return None
    return min(225.0, dark + 0.7 * (255.0 - dark))


def _ink(img: np.ndarray) -> np.ndarray:
    """Where the box or line holds ink, at its own ink level (``INK`` where nothing in it
    is dark enough to be print)."""
    return img < (_ink_level(img) or INK)


def opencv():
    """OpenCV, on one thread (as every parse worker runs).  Imported when first needed:
    a worker imports it within ``loading()``, its libraries being mapped on first use."""
    import cv2

    cv2.setNumThreads(1)
    return cv2


def pen_ink(image) -> np.ndarray:
    """The places (x, y in the page's pixels: an n x 2 array) of a colour page where the
    ink is a pen's, not a printer's: coloured, and not red (a seal's).  Our values are
    printed black; blue or green ink in a box was written by hand.  Looked for on the
    page averaged over cells ``PEN_CELL_MM`` square: a scanner's colour fringes (blue on
    one side of a black stroke, orange on the other) average out to grey, a pen's stroke
    stays blue.  No places on a grey page, where a pen cannot be told from print."""
    if image.mode != "RGB":
        return np.zeros((0, 2))
    # the page's short side is an A4's, 210 mm (as _seal measures a page)
    cell = max(2, round(PEN_CELL_MM * min(image.size) / 210.0))
    a = np.asarray(image.reduce(cell)).astype(np.int16)
    gb = np.maximum(a[..., 1], a[..., 2])
    pen = (gb - a[..., 0] > PEN_COLOUR) & (np.minimum(a[..., 1], a[..., 2]) < PEN_DARK)
    ys, xs = np.nonzero(pen)
    return (np.column_stack([xs, ys]) * cell + (cell - 1) / 2).astype(np.float64)


def channel_of(image):
    """The grey a page is read in: a colour page's red channel (a red seal fades to paper
    there and black print stays), a grey page as it is."""
    return image.getchannel("R") if image.mode == "RGB" else image.convert("L")


def _paper(crop: np.ndarray) -> tuple[np.ndarray, bool]:
    """A box's image made ready to find its print in: flattened against its own paper, the
    rules at its edges whitened; and whether a mark of ink lies along the edge of a
    seal's shape that was turned to paper (its trace: a value there may have gained a
    mark, a "，", or lost a stroke, and is never sure)."""
    img, edge = _flatten(crop)
    _whiten_rules(img)
    level = _ink_level(img)
    return img, edge is not None and level is not None and _traced(img < level, edge)


def _traced(ink: np.ndarray, edge: np.ndarray) -> bool:
    """Whether a mark of ink lies along a seal's edge, not crossing it: a connected piece
    of ink of ``STAR_EDGE_INK`` pixels or more, most of it in the band (print that crosses
    the edge lies mostly beside it).  Such a mark is not turned to paper: as often as
    not it is a piece of print (the top of a 景), and only the reviewer can tell."""
    if int((ink & edge).sum()) < STAR_EDGE_INK:
        return False
    n, labels = opencv().connectedComponents(ink.astype(np.uint8), connectivity=8)
    size = np.bincount(labels.ravel(), minlength=n)
    inside = np.bincount(labels[edge].ravel(), minlength=n)
    return bool(np.any((inside[1:] >= STAR_EDGE_INK) & (inside[1:] >= 0.7 * size[1:])))


def _text_lines(img: np.ndarray) -> list[tuple[np.ndarray, bool, bool]]:
    """The lines of text in a box's image, each cut to its ink with a margin, all as tall
    as the tallest (a line of "一" is a thin stroke, not a speck), each with whether it
    fills the box's width (a line the box wrapped, not one its writer ended) and whether
    it is a single flat stroke.  ``img``: the box's image as ``_paper`` makes it."""
    level = _ink_level(img)
    if level is None:
        return []
    ink = img < level
    inked = np.nonzero(ink.sum(axis=1) >= 2)[0]
    if len(inked) == 0:
        return []
    runs = _parted([(int(r[0]), int(r[-1])) for r in
                    np.split(inked, np.nonzero(np.diff(inked) > 2)[0] + 1)], ink)
    tallest = max(b - a + 1 for a, b in runs)
    if tallest < MIN_TEXT:
        return []
    height = img.shape[0]

    def width(a: int, b: int) -> int:
        cols = np.nonzero(ink[a:b + 1].sum(axis=0))[0]
        return int(cols[-1] - cols[0] + 1) if len(cols) else 0

    lines: list[list[int]] = []
    small = []
    for a, b in runs:
        h = b - a + 1
        cut_off = a == 0 or b == height - 1
        if h >= tallest * 0.5 and not (cut_off and h < tallest * 0.7):
            lines.append([a, b])
        elif not cut_off:
            small.append((a, b))
    # strokes close together that fit in one line's height are one character's (the two
    # of a 二 wrapped to a line of its own)
    grouped: list[list[int]] = []
    strokes: list[list[tuple[int, int]]] = []  # each group's runs
    for a, b in small:
        if grouped and b - grouped[-1][0] + 1 <= tallest:
            grouped[-1][1] = b
            strokes[-1].append((a, b))
        else:
            grouped.append([a, b])
            strokes.append([(a, b)])
    for (a, b), parts in zip(grouped, strokes):
        near = [ln for ln in lines if a - ln[1] <= tallest * 0.4 and ln[0] - b <= tallest * 0.4
                and max(ln[1], b) - min(ln[0], a) + 1 <= tallest * 1.15]
        if near:  # a stroke of a line the gap split off
            ln = min(near, key=lambda ln: abs((ln[0] + ln[1]) - (a + b)))
            ln[0], ln[1] = min(ln[0], a), max(ln[1], b)
        elif width(a, b) <= tallest * 1.3 and all(
                width(*part) >= tallest * 0.5 for part in parts):
            # a line of "一" or "二": each stroke long (a longer one is a printed rule; a
            # short one, the tip of a seal's star the box's closing left, is no stroke)
            lines.append([a, b])
    lines.sort()
    out = []
    m = max(4, tallest // 4)
    for i, (a, b) in enumerate(lines):
        cols = np.nonzero(ink[a:b + 1].sum(axis=0))[0]
        if len(cols) < 3:
            continue
        # the line's own rows (and the grey edge of its strokes), on white paper as tall
        # as the tallest line: a neighbour's stroke never comes with it (a 一 read with
        # the foot of the line above is a 二)
        lo = lines[i - 1][1] + 1 if i else 0
        hi = lines[i + 1][0] - 1 if i + 1 < len(lines) else height - 1
        top, bottom = max(lo, a - 2), min(hi, b + 2)
        left, right = max(0, cols[0] - m), min(img.shape[1], cols[-1] + 1 + m)
        own = img[top:bottom + 1, left:right]
        tall = max(own.shape[0], tallest) + 2 * m
        line = np.full((tall, own.shape[1]), 255, dtype=np.uint8)
        at = (tall - own.shape[0]) // 2
        line[at:at + own.shape[0]] = own
        full = cols[-1] - cols[0] + 1 >= img.shape[1] - 2 * tallest
        # one flat stroke is "一" or a dash, whatever the recogniser makes of it
        stroke = b - a + 1 <= max(3, tallest * 0.25)
        out.append((line, bool(full), bool(stroke)))
    return out


def _parted(runs: list[tuple[int, int]], ink: np.ndarray) -> list[tuple[int, int]]:
    """The box's runs of inked rows, a run that holds two lines of text parted between
    them (a blurred scan, or a seal's edge, leaves a little ink between the lines): at
    the run's sparsest row, in its middle, where the run is taller by half than another
    line of the box and that row holds under ``VALLEY`` of the run's usual ink, or the
    run is as wide as a line of text three characters tall, or twice as wide as tall
    and filling the box (its first line wrapped), and that row is bare.  (A line of 李
    and 喆, of two parts one over the other, is twice as wide as it is tall and may have
    a bare row between its parts.)"""
    rows = ink.sum(axis=1)
    heights = [b - a + 1 for a, b in runs if b - a + 1 >= MIN_TEXT]
    out: list[tuple[int, int]] = []
    todo = list(runs)
    while todo:
        a, b = todo.pop(0)
        h = b - a + 1
        cols = np.nonzero(ink[a:b + 1].sum(axis=0))[0]
        span = cols[-1] - cols[0] + 1 if len(cols) else 0
        # (a line the box wrapped fills its width, to a line's height, h / 2, a side)
        wide = span >= 2.5 * h or (span >= 2 * h and span >= ink.shape[1] - h)
        tall = any(h >= 1.5 * other for other in heights)
        lo, hi = a + int(h * 0.3), b - int(h * 0.3)
        if h >= 2 * MIN_TEXT and (wide or tall) and hi > lo:
            at = lo + int(np.argmin(rows[lo:hi + 1]))
            usual = float(np.median(rows[a:b + 1]))
            if rows[at] <= VALLEY * usual if tall else rows[at] <= 2:
                todo[:0] = [(a, at - 1), (at + 1, b)]
                continue
        out.append((a, b))
    return out


def _has_print(img: np.ndarray) -> bool:
    """Whether a box's image (as ``_paper`` makes it) holds any print."""
    level = _ink_level(img)
    return level is not None and float((img < level).mean()) > 0.002


def _inside_ink(channel, to_image: Affine, box) -> float:
    """The share of ink inside a checkbox (its outline left out)."""
    x0, top, x1, bottom = box
    w, h = x1 - x0, bottom - top
    inner = (x0 + w * 0.22, top + h * 0.22, x1 - w * 0.22, bottom - h * 0.22)
    return float((cut(channel, to_image, inner) < INK).mean())


@dataclass
class _Text:
    raw: str | None
    confidence: float


def _reach(g: dict) -> tuple:
    """Where a box's text may lie: the box, a little taller (our appearances put a shrunk
    value's first line at the very top of its box), never past its cell's lines; no wider
    (a date's part has its 年 月 日 printed right beside it)."""
    x0, top, x1, bottom = g["bbox"]
    reach = [x0 + TRIM, top - 1.5, x1 - TRIM, bottom + 1.5]
    if g.get("cell"):
        c0, ctop, c1, cbottom = g["cell"]
        reach = [max(reach[0], c0 + 0.6), max(reach[1], ctop + 0.6),
                 min(reach[2], c1 - 0.6), min(reach[3], cbottom - 0.6)]
    return tuple(reach)


def read_page(channel, to_image: Affine, gpage: dict, rec: Recognizer,
              alphabet=lambda name: None, own_work=contextlib.nullcontext,
              crossed: np.ndarray | None = None, pen: np.ndarray | None = None) -> dict:
    """Every box of one page read: ``{name: _Text or ink share}``; ``alphabet(name)``:
    the characters the box may hold (None: any); ``own_work()``: what the recogniser runs
    within (a worker lifts its file's memory cap: the lines' sizes are bounded by the
    form's boxes and ``MAX_RATIO``, not by the file); ``crossed``: the pixels where a
    seal lifted off the page (``_seal.unseal``) crossed print: a value there may have
    lost a stroke with the seal, and is never sure; ``pen``: the places of a pen's ink
    (``pen_ink``): a value written or corrected by hand is never sure."""
    out: dict = {}
    papers: dict[str, np.ndarray] = {}
    texts: dict[str, list[tuple[np.ndarray, bool, bool]]] = {}
    edged: set[str] = set()  # boxes with ink along a seal's edge
    for name, g in gpage["fields"].items():
        if g["kind"] == "checkbox":
            out[name] = _inside_ink(channel, to_image, g["bbox"])
        elif g["kind"] == "radio":
            out[name] = {label: _inside_ink(channel, to_image, b)
                         for label, b in g["options"].items()}
        else:
            papers[name], traced = _paper(cut(channel, to_image, _reach(g)))
            texts[name] = _text_lines(papers[name])
            if traced:
                edged.add(name)
    # every line of every box: the box, the line's place in it, its image, whether it
    # fills the box's width, whether it is one flat stroke
    flat = [(name, j, line, full, stroke) for name, lines in texts.items()
            for j, (line, full, stroke) in enumerate(lines)]
    again: dict[str, list] = {}

    def recut(name: str, j: int):
        """Line ``j`` of a box cut from the page anew, bicubic: where the box parts into
        as many lines so, another view for the recogniser of a doubtful one."""
        if name not in again:
            paper, _ = _paper(cut(channel, to_image, _reach(gpage["fields"][name]),
                                  bicubic=True))
            again[name] = _text_lines(paper)
        lines = again[name]
        return lines[j][0] if len(lines) == len(texts[name]) else None

    read = []
    if flat:
        with own_work():
            read = rec.read_checked([f[2] for f in flat], [alphabet(f[0]) for f in flat],
                                    lambda i: recut(*flat[i][:2]))
    # each box's lines: text, probabilities, fills the box's width, is one flat stroke
    got: dict[str, list[tuple[str, list[float], bool, bool]]] = {name: [] for name in texts}
    for (name, _, _, full, stroke), (text, scores) in zip(flat, read):
        if stroke and not set(alphabet(name) or STROKES) & set(STROKES):
            continue  # a flat stroke is no digit: a blank's underline the rules left
        if stroke and text.strip() not in STROKES:
            scores = [min(p, 0.5) for p in scores] or [0.5]  # it read a stroke as more
        got[name].append((text.strip(), scores, full, stroke))
    for name, read_lines in got.items():
        # a flat stroke the box wrapped onto a line of its own (after a line of Chinese
        # that fills the box) is 一, whatever else it was read as ("1", or nothing);
        # still for the reviewer
        lines = list(read_lines)
        for i in range(1, len(lines)):
            t, _, full, stroke = lines[i]
            before, _, wrapped, _ = lines[i - 1]
            if stroke and t not in STROKES and wrapped and _HAN.search(before):
                lines[i] = ("一", [DOUBTFUL], full, stroke)
        # a line of ink read as nothing is print the value lost (a lone 一 the box wrapped)
        unread = any(not text for text, _, _, _ in lines)
        lines = [ln[:3] for ln in lines if ln[0]]
        if not lines:
            # empty, surely only when the box holds no print at all
            out[name] = _Text(None, 0.5 if texts[name] or _has_print(papers[name]) else 0.95)
            continue
        scores = [p for _, ps, _ in lines for p in ps] + ([0.5] if unread else [])
        if gpage["fields"][name].get("multiline"):
            # a line that fills the box's width was wrapped by the box: it goes on
            text = lines[0][0]
            for (_, _, full), (nxt, _, _) in zip(lines, lines[1:]):
                if full:
                    head, sep, last = text.rpartition("\n")
                    text = head + sep + _join_lines(f"{last}\n{nxt}")
                else:
                    text = f"{text}\n{nxt}"
        else:
            text = "\n".join(t for t, _, _ in lines)
        confidence = min(scores) if scores else 0.0
        out[name] = _Text(text, min(confidence, DOUBTFUL) if name in edged else confidence)
    # a box holding pen ink is doubtful even where nothing was read in it (a scrawl is no
    # line of print): never a sure empty value
    for pixels, least, empty_too in ((crossed, SEAL_CROSSED, False), (pen, PEN_INK, True)):
        if pixels is None or not len(pixels):
            continue
        at = to_image.inverse().many(pixels)
        for name, value in out.items():
            if isinstance(value, _Text) and (value.raw or empty_too):
                x0, top, x1, bottom = _reach(gpage["fields"][name])
                inside = ((at[:, 0] >= x0) & (at[:, 0] <= x1) & (at[:, 1] >= top)
                          & (at[:, 1] <= bottom))
                if int(inside.sum()) >= least:
                    out[name] = _Text(value.raw, min(value.confidence, DOUBTFUL))
    return out


# ---------------------------------------------------------------- values

def _tick(share: float) -> tuple[bool, float]:
    if share >= TICK_INK:
        return True, 0.95 if share >= 2 * TICK_INK else 0.7
    return False, 0.95 if share <= EMPTY_INK else 0.7


def readings_of(spec: FormSpec, boxes: dict, where: dict) -> dict[str, Reading]:
    """Readings of the form's values from what each box holds (``read_page``'s answers
    for all pages, by box name) and where each box is (``{name: (page, bbox)}``, the
    bbox on the scan)."""
    out: dict[str, Reading] = {}
    for ref in spec.field_refs():
        f = spec.field(ref.field)
        col = f.column(ref.column) if ref.column else None
        fd = col or f
        name = ref.name
        if fd.type == "date":
            parts = [boxes.get(f"{name}.{p}") for p in DATE_PARTS]
            if all(p is None for p in parts):
                continue
            texts = [digits(p.raw or "") if p else "" for p in parts]
            conf = min(p.confidence for p in parts if p is not None)
            value, prob = make_date(*texts)
            raw = None if not any(texts) else f"{texts[0]}年{texts[1]}月{texts[2]}日"
            page, box = _union([where[f"{name}.{p}"] for p in DATE_PARTS
                                if f"{name}.{p}" in where])
            out[name] = Reading(name, value, raw, page, box, "ocr", conf, prob)
            continue
        if name not in boxes:
            continue
        got = boxes[name]
        page, box = where[name]
        if fd.type == "checkbox":
            on, conf = _tick(got)
            out[name] = Reading(name, on, "☑" if on else "□", page, box, "ocr", conf)
        elif isinstance(got, dict):  # a choice's boxes
            chosen = [label for label, share in got.items() if share >= TICK_INK]
            unsure = any(EMPTY_INK < share < 2 * TICK_INK for share in got.values())
            conf = 0.7 if unsure else 0.95
            if len(chosen) > 1:
                out[name] = Reading(name, None, "、".join(chosen), page, box, "ocr", conf,
                                    problem("choice_ambiguous"))
            else:
                out[name] = Reading(name, chosen[0] if chosen else None,
                                    chosen[0] if chosen else None, page, box, "ocr", conf)
        else:
            raw, conf = got.raw, got.confidence
            if raw is None:
                out[name] = Reading(name, None, None, page, box, "ocr", conf)
            elif fd.type in ("integer", "decimal"):
                lines = raw.split("\n")
                if len(lines) > 1:
                    # a number is printed on one line: the others are marks over its box
                    # (a seal's arc read as "1"), and the value is for the reviewer
                    lines, conf = [max(lines, key=len)], min(conf, DOUBTFUL)
                num, prob, _ = parse_number(lines[0], fd.unit, fd.type == "integer")
                out[name] = Reading(name, num, raw, page, box, "ocr", conf, prob)
            elif fd.type == "choice":
                v, prob = parse_choice(raw, f.choices)
                out[name] = Reading(name, v, raw, page, box, "ocr", conf, prob)
            else:
                text = raw if fd.type == "multiline" else _join_lines(raw)
                value, _ = clean_text(text, multiline=fd.type == "multiline")
                out[name] = Reading(name, value or None, raw, page, box, "ocr", conf)
    return out


def _union(places: list[tuple[int, tuple]]) -> tuple[int | None, tuple | None]:
    if not places:
        return None, None
    page = places[0][0]
    boxes = [b for p, b in places if p == page]
    return page, (min(b[0] for b in boxes), min(b[1] for b in boxes),
                  max(b[2] for b in boxes), max(b[3] for b in boxes))


def scan_box(to_image: Affine, box, px_to_pt: tuple[float, float]) -> tuple:
    """A form box as it lies on the scan, in the scan's points from its top left (the
    upright box around it, the scan may be turned)."""
    x0, top, x1, bottom = box
    corners = [to_image(x, y) for x, y in ((x0, top), (x1, top), (x1, bottom), (x0, bottom))]
    xs, ys = [c[0] * px_to_pt[0] for c in corners], [c[1] * px_to_pt[1] for c in corners]
    return (min(xs), min(ys), max(xs), max(ys))


def alphabets(spec: FormSpec):
    """``alphabet(name)`` for ``read_page``: a number's box holds a number's characters, a
    date's part digits, a text box anything."""
    kinds: dict[str, str | None] = {}
    for ref in spec.field_refs():
        f = spec.field(ref.field)
        fd = f.column(ref.column) if ref.column else f
        if fd.type in ("integer", "decimal"):
            kinds[ref.name] = NUMBER
        elif fd.type == "date":
            for part in DATE_PARTS:
                kinds[f"{ref.name}.{part}"] = DIGITS
    return kinds.get

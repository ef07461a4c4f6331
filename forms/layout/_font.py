"""The one font of every PDF: a Song (宋体-like) font prepared for Type0 / Identity-H.

Why a prepared font (DESIGN §2): one CID-keyed TrueType font with every
character the forms may meet, sliced by hand at render time.  Glyph ids follow
Unicode order, so the whole font's /W and ToUnicode (the embedded typing font)
collapse to about a hundred ranges.  A document embeds a renumbered subset:
the glyphs its form or agreement always prints, prepared once, extended by the
glyphs of its values (``ExtensibleSubset``).

Preparation (slow, done once, cached on disk):

* start from AR PL UMing CN (Debian ``fonts-arphic-uming``), the Song face;
* cut to GBK coverage (every character Python's ``gbk`` codec encodes), plus
  what the sources have of CJK Extension A and a few symbol blocks
  (``EXTRA_RANGES``: a subset embeds only what it draws, so this is free);
* characters UMing lacks (about 2,200 rare GBK characters) take their outline
  from WenQuanYi Zen Hei (``fonts-wqy-zenhei``), and the 12 CJK compatibility
  ideographs neither has (U+FA0E…) from WenQuanYi Micro Hei
  (``fonts-wqy-microhei``), scaled to UMing's units per em;
* composite glyphs are expanded, hinting and layout tables dropped;
* glyph 0 is .notdef, glyph *i* the *i*-th covered code point in Unicode order.

The result is cached under ``$XIEYI_CACHE_DIR`` or ``~/.cache/xieyi/``, keyed by
the source files' size and mtime and ``PREP_VERSION``; it is written to a
temporary file and renamed, so two processes preparing at once never see a
half-written file.  At render time the file is read once per process and
sliced by hand (no fontTools): a subset is a few table copies and a join.
"""

from __future__ import annotations

import hashlib
import os
import struct
from itertools import accumulate
import sys
import tempfile
import threading
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from forms.errors import FontUnavailable

#: bump when the prepared font changes in any way, so stale caches are rebuilt
PREP_VERSION = 3
#: PostScript names of the prepared fonts (and /BaseFont in the PDF)
SONG_NAME = "XieyiSong"
TYPING_NAME = "XieyiTypingHei"


@dataclass(frozen=True)
class FontSource:
    file: str
    #: the face's family or full name inside the collection
    face: str
    package: str
    default_dir: str


SOURCES = (
    FontSource("uming.ttc", "AR PL UMing CN", "fonts-arphic-uming",
               "/usr/share/fonts/truetype/arphic"),
    FontSource("wqy-zenhei.ttc", "WenQuanYi Zen Hei", "fonts-wqy-zenhei",
               "/usr/share/fonts/truetype/wqy"),
    FontSource("wqy-microhei.ttc", "WenQuanYi Micro Hei", "fonts-wqy-microhei",
               "/usr/share/fonts/truetype/wqy"),
)


def _source_path(src: FontSource) -> Path:
    """Where a source font is: ``$XIEYI_FONT_DIR`` first (tests, other systems), then Debian's."""
    candidates = []
    env = os.environ.get("XIEYI_FONT_DIR")
    if env:
        candidates.append(Path(env) / src.file)
    candidates.append(Path(src.default_dir) / src.file)
    for p in candidates:
        if p.is_file():
            return p
    raise FontUnavailable(
        f"找不到字体文件 {src.file}（{src.face}）。请安装 Debian 软件包 {src.package}："
        f"apt-get install {src.package}",
        f"font file {src.file} ({src.face}) not found; install the Debian package "
        f"{src.package} (apt-get install {src.package})",
    )


def cache_dir() -> Path:
    env = os.environ.get("XIEYI_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "xieyi"


def covered_codepoints() -> list[int]:
    """GBK's characters (ASCII included), in Unicode order."""
    cps = []
    for cp in range(0x20, 0x10000):
        if 0xD800 <= cp < 0xE000 or cp == 0x7F:
            continue
        try:
            chr(cp).encode("gbk")
        except UnicodeEncodeError:
            continue
        cps.append(cp)
    return cps


#: beyond GBK, the page font also takes whatever its sources have in these blocks: CJK
#: Extension A (GB 18030's rare name characters, 䶮), newer unified ideographs, and the
#: symbols forms use.  It costs no PDF anything: only the glyphs a document draws are
#: embedded.  (The typing font, embedded whole, stays GBK.)
EXTRA_RANGES = (
    (0x00A0, 0x017F),  # Latin-1 supplement, Latin extended-A
    (0x2000, 0x206F),  # general punctuation
    (0x2100, 0x27BF),  # letterlike, number forms, arrows, maths, technical, enclosed, dingbats
    (0x3000, 0x303F),  # CJK symbols and punctuation
    (0x3200, 0x33FF),  # enclosed CJK, CJK compatibility
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # half- and full-width forms
)


def _song_codepoints(cmaps: list[dict]) -> list[int]:
    cps = set(covered_codepoints())
    for cmap in cmaps:
        cps.update(c for c in cmap if any(a <= c <= b for a, b in EXTRA_RANGES))
    return sorted(cps)


# ---------------------------------------------------------------- preparation

def _open_face(path: Path, face: str):
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() in (".ttc", ".otc"):
        fonts = TTCollection(str(path)).fonts
    else:
        fonts = [TTFont(str(path))]
    for f in fonts:
        if face in (f["name"].getDebugName(1), f["name"].getDebugName(4)):
            return f
    raise FontUnavailable(
        f"字体文件 {path} 中没有字型 {face}",
        f"font file {path} holds no face named {face}",
    )


def _simple_glyph(font, name: str, scale: float):
    """A copy of one glyph as a simple glyph: components expanded, hinting dropped, scaled."""
    from fontTools.ttLib.tables import ttProgram
    from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphCoordinates

    glyf = font["glyf"]
    src = glyf[name]
    out = Glyph()
    if src.numberOfContours == 0:
        out.numberOfContours = 0
        return out
    coords, end_pts, flags = src.getCoordinates(glyf)
    coords = GlyphCoordinates(coords)
    if scale != 1.0:
        coords.scale((scale, scale))
    coords.toInt()
    out.coordinates = coords
    out.endPtsOfContours = list(end_pts)
    out.flags = array("B", [f & 0x01 for f in flags])  # keep on-curve bit only
    out.numberOfContours = len(end_pts)
    out.program = ttProgram.Program()
    out.program.fromBytecode(b"")
    out.recalcBounds(glyf)
    return out


_LICENSE_NOTE = (
    "Derived by xieyi from AR PL UMing CN (Arphic Public License), WenQuanYi Zen Hei "
    "(GPL-2 with font embedding exception) and WenQuanYi Micro Hei (Apache-2.0): "
    "cut to GBK, glyphs reordered, outlines merged."
)


def _build_font(name: str, upem: int, primary, order, glyphs, metrics, cmap, faces,
                out: Path) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.misc.timeTools import timestampFromString

    fb = FontBuilder(upem, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupGlyf(glyphs)
    fb.setupHorizontalMetrics(metrics)
    hhea = primary["hhea"]
    fb.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent, lineGap=hhea.lineGap)
    copyright_ = "; ".join(
        dict.fromkeys(str(f["name"].getDebugName(0) or "").strip() for f in faces)
    )
    fb.setupNameTable({
        "copyright": copyright_,
        "familyName": name,
        "styleName": "Regular",
        "uniqueFontIdentifier": f"{name}-prep{PREP_VERSION}",
        "fullName": name,
        "psName": name,
        "version": f"Version {PREP_VERSION}.0",
        "description": _LICENSE_NOTE,
        "licenseDescription": _LICENSE_NOTE,
    }, windows=True, mac=False)
    os2 = primary["OS/2"]
    fb.setupOS2(
        sTypoAscender=os2.sTypoAscender, sTypoDescender=os2.sTypoDescender,
        sTypoLineGap=os2.sTypoLineGap, usWinAscent=os2.usWinAscent,
        usWinDescent=os2.usWinDescent, fsType=0, achVendID="XYEI",
        ulCodePageRange1=os2.ulCodePageRange1, ulUnicodeRange1=os2.ulUnicodeRange1,
        ulUnicodeRange2=os2.ulUnicodeRange2, panose=os2.panose,
    )
    fb.setupPost(keepGlyphNames=False)
    fb.font["head"].fontRevision = float(PREP_VERSION)
    # a fixed date: the same sources give the same bytes
    fb.font["head"].created = fb.font["head"].modified = timestampFromString(
        "Mon Jan  1 00:00:00 2024")

    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name + ".", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fb.font.save(fh)
        os.chmod(tmp, 0o644)  # a shared cache: others may read it
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _prepare_song(faces, out: Path) -> None:
    """The page font: UMing, gaps filled from the WenQuanYi fonts, every glyph simple."""
    primary = faces[0]
    upem = primary["head"].unitsPerEm
    cmaps = [f.getBestCmap() for f in faces]
    scales = [upem / f["head"].unitsPerEm for f in faces]

    notdef = primary.getGlyphOrder()[0]
    order = [".notdef"]
    glyphs = {".notdef": _simple_glyph(primary, notdef, 1.0)}
    metrics = {".notdef": (primary["hmtx"][notdef][0], 0)}
    cmap = {}
    for cp in _song_codepoints(cmaps):
        for face, fcmap, scale in zip(faces, cmaps, scales):
            if cp in fcmap:
                break
        else:
            continue  # nowhere to be had: stays unmapped (.notdef), reported by prepare-fonts
        src_name = fcmap[cp]
        name = f"uni{cp:04X}"
        g = _simple_glyph(face, src_name, scale)
        adv = round(face["hmtx"][src_name][0] * scale)
        order.append(name)
        glyphs[name] = g
        metrics[name] = (adv, g.xMin if g.numberOfContours else 0)
        cmap[cp] = name
    _build_font(SONG_NAME, upem, primary, order, glyphs, metrics, cmap, faces, out)


def _prepare_typing(faces, out: Path) -> None:
    """The typing font: Micro Hei cut to GBK, composites kept (it is embedded whole, so
    sharing components keeps it near 1.5 MB where expanded UMing outlines take 7 MB)."""
    import copy

    primary = faces[2]
    upem = primary["head"].unitsPerEm
    glyf = primary["glyf"]
    hmtx = primary["hmtx"]
    pcmap = primary.getBestCmap()
    others = [(f, f.getBestCmap(), upem / f["head"].unitsPerEm) for f in faces[:2]]

    cps = covered_codepoints()
    # a glyph several characters share, or a component, is named after its first character
    renamed: dict[str, str] = {}
    for cp in cps:
        if cp in pcmap:
            renamed.setdefault(pcmap[cp], f"uni{cp:04X}")
    comps: list[str] = []

    def comp_name(orig: str) -> str:
        if orig not in renamed:
            renamed[orig] = f"c{len(comps):05d}"
            comps.append(orig)
        return renamed[orig]

    def take(orig: str):
        g = copy.deepcopy(glyf[orig])
        g.removeHinting()
        if g.isComposite():
            for c in g.components:
                c.glyphName = comp_name(c.glyphName)
        return g

    notdef = primary.getGlyphOrder()[0]
    order = [".notdef"]
    glyphs = {".notdef": take(notdef)}
    metrics = {".notdef": tuple(hmtx[notdef])}
    cmap = {}
    for cp in cps:
        name = f"uni{cp:04X}"
        if cp in pcmap:
            orig = pcmap[cp]
            glyphs[name] = take(orig)
            metrics[name] = tuple(hmtx[orig])
        else:
            for face, fcmap, scale in others:
                if cp in fcmap:
                    g = _simple_glyph(face, fcmap[cp], scale)
                    glyphs[name] = g
                    metrics[name] = (round(face["hmtx"][fcmap[cp]][0] * scale),
                                     g.xMin if g.numberOfContours else 0)
                    break
            else:
                continue
        order.append(name)
        cmap[cp] = name
    i = 0
    while i < len(comps):  # components may have components
        orig = comps[i]
        glyphs[renamed[orig]] = take(orig)
        metrics[renamed[orig]] = tuple(hmtx[orig])
        order.append(renamed[orig])
        i += 1
    _build_font(TYPING_NAME, upem, primary, order, glyphs, metrics, cmap, faces, out)


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_prep_lock = threading.Lock()
_PREPARE = {"song": (SONG_NAME, _prepare_song), "typing": (TYPING_NAME, _prepare_typing)}


def prepared_font_path(kind: str = "song") -> Path:
    """The prepared font file (``song`` or ``typing``), prepared now if not cached."""
    name, prepare = _PREPARE[kind]
    paths = [_source_path(s) for s in SOURCES]
    h = hashlib.sha256(f"prep{PREP_VERSION}".encode())
    for p in paths:
        st = p.stat()
        h.update(f"|{p.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    out = cache_dir() / f"{name}-{h.hexdigest()[:16]}.ttf"
    if out.is_file():
        return out
    with _prep_lock:
        if not out.is_file():
            try:
                faces = [_open_face(p, s.face) for p, s in zip(paths, SOURCES)]
                prepare(faces, out)
                for stale in out.parent.glob(f"{name}-*.ttf*"):
                    # earlier versions or sources: a cache, not an archive
                    if not stale.name.startswith(out.name):
                        stale.unlink(missing_ok=True)
            except OSError as e:
                from forms.errors import OutputError
                raise OutputError(
                    f"无法写入字体缓存目录 {out.parent}：{e}",
                    f"cannot write the font cache {out.parent}: {e}",
                ) from None
    return out


# ------------------------------------------------------------- the prepared font


def _be32(data: bytes) -> array:
    a = array("I", data)
    if sys.byteorder == "little":
        a.byteswap()
    return a


def _checksum(data: bytes) -> int:
    if len(data) % 4:
        data = data + b"\0" * (4 - len(data) % 4)
    return sum(_be32(data)) & 0xFFFFFFFF


_CMAP_HEAD = (
    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
)
#: 4-digit upper-case hex of every 16-bit number (glyph ids, BMP code points)
HEX4 = [f"{i:04X}" for i in range(0x10000)]
_CMAP_TAIL = "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n"


class PreparedFont:
    """The prepared font, sliced for fast subsetting and measuring."""

    def __init__(self, path: Path):
        self.path = path
        data = path.read_bytes()
        self.data = data
        num_tables = struct.unpack_from(">H", data, 4)[0]
        self.tables: dict[str, bytes] = {}
        for i in range(num_tables):
            tag, _cs, off, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            self.tables[tag.decode("latin-1")] = data[off:off + length]
        head = self.tables["head"]
        self.upem = struct.unpack_from(">H", head, 18)[0]
        self.bbox = struct.unpack_from(">hhhh", head, 36)
        loc_format = struct.unpack_from(">h", head, 50)[0]
        self.num_glyphs = struct.unpack_from(">H", self.tables["maxp"], 4)[0]
        hhea = self.tables["hhea"]
        self.ascent, self.descent = struct.unpack_from(">hh", hhea, 4)
        n_hm = struct.unpack_from(">H", hhea, 34)[0]

        if loc_format == 0:
            loca = array("H", self.tables["loca"])
            if sys.byteorder == "little":
                loca.byteswap()
            loca = [2 * x for x in loca]
        else:
            loca = _be32(self.tables["loca"]).tolist()
        self._loca = loca
        self._glyf = self.tables["glyf"]

        hmtx = self.tables["hmtx"]
        adv = array("H", hmtx[: 4 * n_hm])
        if sys.byteorder == "little":
            adv.byteswap()
        advances = adv.tolist()[0::2]
        lsb_all = array("h", hmtx[: 4 * n_hm])
        if sys.byteorder == "little":
            lsb_all.byteswap()
        lsbs = lsb_all.tolist()[1::2]
        rest = array("h", hmtx[4 * n_hm: 4 * n_hm + 2 * (self.num_glyphs - n_hm)])
        if sys.byteorder == "little":
            rest.byteswap()
        advances += [advances[-1]] * (self.num_glyphs - n_hm)
        lsbs += rest.tolist()
        self.advances = advances
        self.lsbs = lsbs
        #: advance per glyph in PDF glyph space (1/1000 em), the unit of /W and of layout
        self.widths = [round(a * 1000 / self.upem) for a in advances]

        #: code point of glyph i+1; glyphs past these are components only
        self.codepoints = self._read_cmap()
        #: character -> glyph id
        self.gid: dict[str, int] = {chr(cp): i + 1 for i, cp in enumerate(self.codepoints)}
        #: character -> width in 1/1000 em (characters the font lacks: .notdef's)
        self.width: dict[str, int] = {chr(cp): self.widths[i + 1]
                                      for i, cp in enumerate(self.codepoints)}
        self.notdef_width = self.widths[0]
        self._full_z: bytes | None = None
        self._entry_cache: dict[int, tuple] = {}

    def _read_cmap(self) -> list[int]:
        """Code points of glyphs 1..n, from the (format 4) cmap the preparation wrote."""
        cm = self.tables["cmap"]
        n = struct.unpack_from(">H", cm, 2)[0]
        for i in range(n):
            pid, eid, off = struct.unpack_from(">HHI", cm, 4 + 8 * i)
            if pid == 3 and eid == 1 and struct.unpack_from(">H", cm, off)[0] == 4:
                break
        else:
            raise ValueError("prepared font lacks a format 4 cmap")
        seg2 = struct.unpack_from(">H", cm, off + 6)[0]
        segs = seg2 // 2
        ends = struct.unpack_from(f">{segs}H", cm, off + 14)
        starts = struct.unpack_from(f">{segs}H", cm, off + 16 + seg2)
        deltas = struct.unpack_from(f">{segs}h", cm, off + 16 + 2 * seg2)
        ro_off = off + 16 + 3 * seg2
        ranges = struct.unpack_from(f">{segs}H", cm, ro_off)
        pairs = []
        for k in range(segs):
            s, e = starts[k], ends[k]
            if s == 0xFFFF:
                continue
            for cp in range(s, e + 1):
                if ranges[k] == 0:
                    g = (cp + deltas[k]) & 0xFFFF
                else:
                    addr = ro_off + 2 * k + ranges[k] + 2 * (cp - s)
                    g = struct.unpack_from(">H", cm, addr)[0]
                    if g:
                        g = (g + deltas[k]) & 0xFFFF
                if g:
                    pairs.append((g, cp))
        pairs.sort()
        if [g for g, _cp in pairs] != list(range(1, len(pairs) + 1)) or \
                [cp for _g, cp in pairs] != sorted(cp for _g, cp in pairs):
            raise ValueError(f"{self.path}: glyphs are not in Unicode order")
        return [cp for _g, cp in pairs]

    # ---- measuring

    def text_width(self, text: str) -> int:
        """Width of ``text`` in 1/1000 em."""
        w = self.width
        nd = self.notdef_width
        return sum(w.get(c, nd) for c in text)

    def glyph_ids(self, text: str) -> list[int]:
        g = self.gid
        return [g.get(c, 0) for c in text]

    # ---- embedding

    def _glyph_entry(self, g: int) -> tuple:
        """What a subset needs of glyph ``g`` (memoised: made once per glyph and process):
        its outline padded to 4 bytes, the outline's length and checksum, its hmtx entry
        and that entry's checksum share, the outline as raw deflate blocks ending in a
        sync flush (byte-aligned, not final: blocks of any glyphs concatenate into one
        valid deflate stream), the end of its ToUnicode line and its /W entry."""
        s, e = self._loca[g], self._loca[g + 1]
        piece = self._glyf[s:e]
        piece += b"\0" * (-len(piece) % 4)
        block = b""
        if piece:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            block = c.compress(piece) + c.flush(zlib.Z_SYNC_FLUSH)
        a, b = self.advances[g], self.lsbs[g]
        cps = self.codepoints
        tail = f"> <{HEX4[cps[g - 1]]}>\n" if 0 < g <= len(cps) else ""
        row = (len(piece), _checksum(piece) if piece else 0, struct.pack(">Hh", a, b),
               (a << 16) | (b & 0xFFFF), piece, block, tail, str(self.widths[g]))
        self._entry_cache[g] = row
        return row

    def full_compressed(self) -> bytes:
        """The whole prepared font, zlib-compressed (cached on disk beside it)."""
        if self._full_z is None:
            zpath = self.path.with_suffix(".ttf.z")
            try:
                self._full_z = zpath.read_bytes()
            except OSError:
                self._full_z = zlib.compress(self.data, 9)
                try:
                    _atomic_write(zpath, self._full_z)
                except OSError:
                    pass  # a read-only cache still renders, just slower
        return self._full_z

    def w_array(self, gids=None, default: int = 1000) -> str:
        """The /W array for ``gids`` (all glyphs when None): runs of equal width."""
        widths = self.widths
        seq = range(self.num_glyphs) if gids is None else sorted(gids)
        parts = []
        run_start = run_end = None
        run_w = None
        for g in seq:
            w = widths[g]
            if run_start is not None and g == run_end + 1 and w == run_w:
                run_end = g
                continue
            if run_start is not None and run_w != default:
                parts.append(f"{run_start} {run_end} {run_w}")
            run_start = run_end = g
            run_w = w
        if run_start is not None and run_w != default:
            parts.append(f"{run_start} {run_end} {run_w}")
        return "[" + " ".join(parts) + "]"

    def to_unicode(self, gids=None) -> bytes:
        """A ToUnicode CMap for ``gids`` (all glyphs when None) as bfranges."""
        cps = self.codepoints
        n = len(cps)
        seq = range(1, n + 1) if gids is None else sorted(g for g in gids if 0 < g <= n)
        ranges = []
        lo = prev = None
        for g in seq:
            if (lo is not None and g == prev + 1 and cps[g - 1] == cps[prev - 1] + 1
                    and g & 0xFF and cps[g - 1] & 0xFF):
                prev = g
                continue
            if lo is not None:
                ranges.append((lo, prev, cps[lo - 1]))
            lo = prev = g
        if lo is not None:
            ranges.append((lo, prev, cps[lo - 1]))
        out = [_CMAP_HEAD]
        for i in range(0, len(ranges), 100):
            chunk = ranges[i:i + 100]
            out.append(f"{len(chunk)} beginbfrange\n")
            out.extend(f"<{a:04X}> <{b:04X}> <{u:04X}>\n" for a, b, u in chunk)
            out.append("endbfrange\n")
        out.append(_CMAP_TAIL)
        return "".join(out).encode("ascii")


# ------------------------------------------------------------------ extensible subsets

_ADLER_BASE = 65521


def adler32_combine(a1: int, a2: int, len2: int) -> int:
    """The Adler-32 of ``A + B`` from ``adler32(A)``, ``adler32(B)`` and ``len(B)``
    (zlib's ``adler32_combine``, which Python's zlib does not expose)."""
    base = _ADLER_BASE
    rem = len2 % base
    s1 = a1 & 0xFFFF
    s2 = (rem * s1) % base
    s1 += (a2 & 0xFFFF) + base - 1
    s2 += (a1 >> 16) + (a2 >> 16) + base - rem
    s1 %= base
    s2 %= base
    return s1 | (s2 << 16)


def _stored(data: bytes) -> bytes:
    """``data`` as stored (uncompressed, not final) deflate blocks: a few bytes made per
    document cost less to store than to start a compressor for."""
    out = []
    for i in range(0, len(data), 0xFFFF):
        chunk = data[i:i + 0xFFFF]
        out.append(struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF))
        out.append(chunk)
    return b"".join(out)


def _deflated(data: bytes) -> bytes:
    """``data`` as raw deflate blocks ending byte-aligned and not final (a sync flush),
    so it can sit anywhere in a deflate stream of blocks made apart."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)


#: an empty final block (fixed Huffman, end of block only): ends a stream of blocks
_FINAL_BLOCK = b"\x03\x00"
_ZLIB_HEADER = b"\x78\x9c"
_FONT_TAGS = ("glyf", "head", "hhea", "hmtx", "loca", "maxp")  # the directory's order


@dataclass(frozen=True)
class FontStreams:
    """A font ready to embed as Type0 / CIDFontType2: its PostScript name, the program
    Flate-compressed (bytes, or parts to be written one after another) and its length,
    the /W array, the ToUnicode CMap Flate-compressed."""

    name: str
    file_z: bytes | tuple[bytes, ...]
    file_len: int
    widths: str
    to_unicode_z: bytes


class ExtensibleSubset:
    """A renumbered subset of a fixed set of glyphs (the text a form or an agreement
    always prints), compressed once, that each document extends with the glyphs its
    values need beyond it.

    A document then embeds one font: the fixed glyphs keep their numbers (so the
    cached page streams stay valid), the extra glyphs are numbered after them.
    Extending costs about a microsecond per extra glyph: the fixed tables are kept
    as deflate blocks compressed once, each extra glyph's outline as its own block
    (``PreparedFont._glyph_entry``), and the few bytes that differ per document (the
    table directory, ``hhea``, ``maxp``, the new ``loca`` and ``hmtx`` entries, the
    new ToUnicode lines) are stored uncompressed; one Adler-32 is combined from
    the parts'.  The table data follow the directory in the order
    head hhea maxp glyf loca hmtx, so each table's fixed part comes before its new
    part.
    """

    def __init__(self, font: "PreparedFont", gids) -> None:
        self.font = font
        order = [0] + sorted({g for g in gids if g})
        self.gids: tuple[int, ...] = tuple(order)
        #: prepared-font glyph id -> number in this subset
        self.number: dict[int, int] = {g: i for i, g in enumerate(order)}
        rows = [font._entry_cache.get(g) or font._glyph_entry(g) for g in order]
        lengths, sums, hmtx_rows, hsums, outlines, _blocks, tails, wstrs = zip(*rows)
        glyf = b"".join(outlines)
        loca = array("I", [0])
        loca.extend(accumulate(lengths))  # starts of glyphs 0..m-1, then where extras start
        if sys.byteorder == "little":
            loca.byteswap()
        loca_b = loca.tobytes()
        hmtx = b"".join(hmtx_rows)
        m = 0xFFFFFFFF
        self._glyf = (_deflated(glyf), zlib.adler32(glyf), len(glyf), sum(sums) & m)
        self._loca = (_deflated(loca_b), zlib.adler32(loca_b), len(loca_b), _checksum(loca_b))
        self._hmtx = (_deflated(hmtx), zlib.adler32(hmtx), len(hmtx), sum(hsums) & m)
        t = font.tables
        head = bytearray(t["head"])
        struct.pack_into(">h", head, 50, 1)  # long loca offsets
        struct.pack_into(">I", head, 8, 0)
        self._head = bytes(head)
        self._head_sum = _checksum(self._head)
        self._hhea = t["hhea"]
        self._maxp = t["maxp"]
        self._widths = " ".join(wstrs[1:])
        lines = ["<" + HEX4[i] + tail for i, tail in enumerate(tails) if tail]
        cmap = _CMAP_HEAD + _bfchar(lines)
        cmap_b = cmap.encode("ascii")
        self._cmap = (_deflated(cmap_b), zlib.adler32(cmap_b))
        self._plain: FontStreams | None = None

    def added(self, gids) -> dict[int, int]:
        """The glyph ids among ``gids`` the subset lacks, each with the number it takes
        when they are appended (``streams(list(added))``): after the subset's own, in
        glyph-id order."""
        extra = sorted(set(gids).difference(self.number))
        base = len(self.gids)
        return dict(zip(extra, range(base, base + len(extra))))

    def streams(self, extra=()) -> FontStreams:
        """The subset with ``extra`` glyphs (prepared-font ids not in it, distinct, in the
        order they are to be numbered: ``len(self.gids) + i``) appended."""
        if not extra and self._plain is not None:
            return self._plain
        font = self.font
        entry = font._glyph_entry
        cache = font._entry_cache
        base_n = len(self.gids)
        k = len(extra)
        n = base_n + k
        if k:
            rows = [cache.get(g) or entry(g) for g in extra]
            lengths, sums, hmtx_rows, hsums, outlines, blocks, tails, wstrs = zip(*rows)
        else:
            lengths = sums = hmtx_rows = hsums = outlines = blocks = tails = wstrs = ()
        m = 0xFFFFFFFF
        gz, g_adler, g_len, g_sum = self._glyf
        lz, l_adler, l_len, l_sum = self._loca
        hz, h_adler, h_len, h_sum = self._hmtx
        new_glyf = b"".join(outlines)
        new_loca = array("I", accumulate(lengths, initial=g_len))[1:] if k else array("I")
        if sys.byteorder == "little":
            new_loca.byteswap()
        new_loca_b = new_loca.tobytes()
        new_hmtx = b"".join(hmtx_rows)
        hhea = bytearray(self._hhea)
        struct.pack_into(">H", hhea, 34, n)
        maxp = bytearray(self._maxp)
        struct.pack_into(">H", maxp, 4, n)
        hhea = bytes(hhea)
        maxp = bytes(maxp)

        sizes = {"head": len(self._head), "hhea": len(hhea), "maxp": len(maxp),
                 "glyf": g_len + len(new_glyf), "loca": l_len + len(new_loca_b),
                 "hmtx": h_len + len(new_hmtx)}
        table_sums = {
            "head": self._head_sum, "hhea": _checksum(hhea), "maxp": _checksum(maxp),
            "glyf": (g_sum + sum(sums)) & m,
            "loca": (l_sum + _checksum(new_loca_b)) & m,
            "hmtx": (h_sum + sum(hsums)) & m,
        }
        n_tables = len(_FONT_TAGS)
        es = 1 << (n_tables.bit_length() - 1)
        directory = [struct.pack(">IHHHH", 0x00010000, n_tables, es * 16, es.bit_length() - 1,
                                 n_tables * 16 - es * 16)]
        offsets = {}
        offset = 12 + 16 * n_tables
        for tag in ("head", "hhea", "maxp", "glyf", "loca", "hmtx"):
            offsets[tag] = offset
            offset += (sizes[tag] + 3) & ~3
        for tag in _FONT_TAGS:
            directory.append(struct.pack(">4sIII", tag.encode("latin-1"), table_sums[tag],
                                         offsets[tag], sizes[tag]))
        directory_b = b"".join(directory)
        total = (sum(table_sums.values()) + _checksum(directory_b)) & m
        head = bytearray(self._head)
        struct.pack_into(">I", head, 8, (0xB1B0AFBA - total) & m)

        def pad(b: bytes) -> bytes:
            return b + b"\0" * (-len(b) % 4)

        front = directory_b + pad(bytes(head)) + pad(hhea) + pad(maxp)
        adler = zlib.adler32(front)
        adler = adler32_combine(adler, g_adler, g_len)
        adler = zlib.adler32(new_glyf, adler)  # outlines are padded to 4 already
        adler = adler32_combine(adler, l_adler, l_len)
        adler = zlib.adler32(new_loca_b, adler)
        adler = adler32_combine(adler, h_adler, h_len)
        adler = zlib.adler32(new_hmtx, adler)
        # in parts, never joined here: the writer writes them out one after another
        file_z = (_ZLIB_HEADER, _stored(front), gz, *blocks, lz, _stored(new_loca_b),
                  hz, _stored(new_hmtx), _FINAL_BLOCK, struct.pack(">I", adler))
        file_len = len(front) + sizes["glyf"] + sizes["loca"] + sizes["hmtx"]

        ws = self._widths
        if k:
            ws = (ws + " " if ws else "") + " ".join(wstrs)
        w_array = f"[1 [{ws}]]" if ws else "[]"

        cz, c_adler = self._cmap
        lines = [f"<{h}{t}" for h, t in zip(HEX4[base_n:n], tails)]
        tail = (_bfchar(lines) + _CMAP_TAIL).encode("ascii")
        cmap_adler = zlib.adler32(tail, c_adler)
        to_unicode_z = b"".join([_ZLIB_HEADER, cz, _stored(tail), _FINAL_BLOCK,
                                 struct.pack(">I", cmap_adler)])
        # the subset tag (six capitals) from the program's own checksum and length
        key = adler ^ (file_len << 7)
        tag = "".join(chr(65 + (key // 26 ** i) % 26) for i in range(6))
        out = FontStreams(f"{tag}+{SONG_NAME}", file_z, file_len, w_array, to_unicode_z)
        if not extra:
            self._plain = out
        return out


def _bfchar(lines: list[str]) -> str:
    out = []
    for i in range(0, len(lines), 100):
        chunk = lines[i:i + 100]
        out.append(f"{len(chunk)} beginbfchar\n")
        out.extend(chunk)
        out.append("endbfchar\n")
    return "".join(out)


_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(path: Path) -> PreparedFont:
    return PreparedFont(path)


_paths: dict[tuple, Path] = {}


def prepared_font(kind: str = "song") -> PreparedFont:
    """A prepared font (``song`` for pages and values, ``typing`` for /DR), parsed once
    per process (the source fonts are looked at once, not per render)."""
    key = (kind, os.environ.get("XIEYI_CACHE_DIR"), os.environ.get("XIEYI_FONT_DIR"))
    path = _paths.get(key)
    if path is None or not path.is_file():
        path = prepared_font_path(kind)
        _paths[key] = path
    with _load_lock:
        return _load(path)


def reset_cache() -> None:
    """Forget the in-process font (tests that point ``XIEYI_CACHE_DIR`` elsewhere)."""
    _load.cache_clear()
    _paths.clear()

"""``python -m generator.pdf prepare-fonts``: prepare (or find cached) the PDF fonts.

Prints where the prepared fonts are and how much of GBK they cover.  Setup
scripts run it once so the first rendered PDF does not pay the ~30 s
preparation.
"""

from __future__ import annotations

import sys
import time

from forms.errors import XieyiError


def _prepare() -> int:
    from forms.layout import cache_dir, covered_codepoints, prepared_font, prepared_font_path

    t0 = time.perf_counter()
    gbk = covered_codepoints()
    for kind in ("song", "typing"):
        path = prepared_font_path(kind)
        font = prepared_font(kind)
        if kind == "typing":
            font.full_compressed()  # cache the compressed copy the embedded variant uses
        missing = [cp for cp in gbk if chr(cp) not in font.gid]
        print(f"{kind}: {path} ({path.stat().st_size // 1024} KB, {font.num_glyphs} glyphs, "
              f"GBK {len(gbk) - len(missing)}/{len(gbk)})")
        if missing:
            shown = "".join(chr(c) for c in missing[:20])
            print(f"  缺字 / without a glyph: {len(missing)}: {shown}", file=sys.stderr)
    print(f"cache: {cache_dir()} ({time.perf_counter() - t0:.1f} s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv != ["prepare-fonts"]:
        print("用法 / usage: python -m generator.pdf prepare-fonts", file=sys.stderr)
        return 2
    try:
        return _prepare()
    except XieyiError as e:
        print(str(e), file=sys.stderr)
        return e.exit_status


if __name__ == "__main__":
    sys.exit(main())

"""Form rendering benchmark: our PDF against the docxtpl + LibreOffice route.

For every form, in one run on this machine:
  * blank PDF (render_pdf with no record) and pre-filled PDF, where each timed
    pre-filled call renders a record not rendered before in the run (a
    different institution's names, addresses and people, made from real place
    names, institution kinds and common name characters); the per-glyph caches
    are warmed first by other records of the same kind, as a running service
    has them warm.  Two measurements:
      - interleaved: blank, pre-filled, blank, pre-filled, … (each call with
        the other's cache footprint, as mixed traffic has it; drift of the
        machine falls on both alike),
      - in blocks: all blank calls, then all pre-filled calls (each path with
        its own caches hot);
    the ratio target is checked on both, and the worse one counts; also
    reported: what a record adds per value it puts on the page, in µs;
  * pre-filled, stress: every text 12 random characters of the 3,755 common
    characters of GB 2312 level 1 (about 150 distinct glyphs per record);
  * pre-filled with one record over and over (the best case, for reference);
  * a blank form's first render in the process (per-form caches empty: the
    first request for that form), for reference;
  * the baseline: the same record rendered to DOCX by docxtpl, then converted
    to PDF by LibreOffice headless (one soffice process per document, the way
    a person or a naive service would do it).

Targets (issues 2 and 13): pre-filled ≥ 100× faster than the LibreOffice route; a
record costs ≤ 25 µs per value it puts on the page (the worse of the interleaved and the
block measurement; the ratio of pre-filled to blank says little since blank forms are
prepared once per form, and is reported for reference only); pre-filled file ≤ 200 KB
with the viewer's typing font, ≤ 2 MB with an embedded typing font.

Run:  .venv/bin/python benchmarks/bench_forms.py [--repeat N] [--lo-repeat N] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forms import all_forms, sample_record, validate_record  # noqa: E402
from generator import pdf_values  # noqa: E402
from generator.docx import render_docx  # noqa: E402
from generator.pdf import _render, render_pdf  # noqa: E402

TARGET_LO_RATIO = 100.0
TARGET_US_PER_VALUE = 25.0
TARGET_VIEWER_KB = 200
TARGET_EMBEDDED_KB = 2048


# GB 2312 level 1 (rows 16-55): the common characters, in the standard's order
COMMON_CHARS = [bytes([0xA0 + row, 0xA0 + col]).decode("gb2312")
                for row in range(16, 56) for col in range(1, 95)
                if not (row == 55 and col > 89)]


# what an institution's record is made of: place names, institution names, people
PLACES = ["景德镇市", "浮梁县", "乐平市", "珠山区", "昌江区", "太原市", "大同市", "长治市",
          "晋中市", "运城市", "长沙市", "株洲市", "湘潭市", "衡阳市", "长春市", "吉林市",
          "延边州", "天津市", "滨海新区", "和平区"]
KINDS = ["人民医院", "中医院", "妇幼保健院", "康复医院", "骨科医院", "职业病防治院",
         "康复中心", "假肢矫形器有限公司", "眼科医院", "口腔医院"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰春梅海燕晓东文博宇浩然子涵欣怡梓轩一诺堃喆"
STREETS = ["人民路", "解放路", "建设路", "中山路", "迎宾大道", "瓷都大道", "新华街", "朝阳路"]


def _realistic_text(rng: random.Random, f) -> str:
    label = f.label
    if "地址" in label:
        text = (rng.choice(PLACES) + rng.choice(PLACES[3:6]) + rng.choice(STREETS)
                + f"{rng.randint(1, 999)}号")
    elif "名称" in label or "单位" in label:
        text = rng.choice(PLACES) + rng.choice(["第一", "第二", "第三", "", "市", "中心"]) + rng.choice(KINDS)
    elif any(k in label for k in ("编码", "编号", "代码", "号")):
        text = f"{rng.randint(0, 10**18):018d}"
    elif "电话" in label:
        text = rng.choice(SURNAMES) + rng.choice(GIVEN) + f" 1{rng.randint(3, 9)}{rng.randint(0, 999999999):09d}"
    elif f.type == "multiline":
        text = ("申请成为" + rng.choice(PLACES) + "工伤保险协议" + rng.choice(["医疗", "康复", "辅助器具配置"])
                + "服务机构，开展" + rng.choice(KINDS) + "相关服务。")
    else:
        text = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
    return text[: f.max_length]


def _random_text(rng: random.Random, f) -> str:
    return "".join(rng.choice(COMMON_CHARS) for _ in range(min(f.max_length, 12)))


def _varied_records(spec, n: int, make_text, seed: int = 7) -> list[dict]:
    """``n`` valid typical records whose text values differ record to record."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        raw = sample_record(spec, "typical")
        for f in spec.fields:
            if f.type in ("text", "multiline") and f.id in raw:
                raw[f.id] = make_text(rng, f)
        out.append(validate_record(spec, raw))
    return out


def _median_each_ms(fn, items) -> float:
    """Median of ``fn(item)`` over items, each called once (warm caches beforehand)."""
    times = []
    for it in items:
        t0 = time.perf_counter()
        fn(it)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _blank_and_filled_ms(spec, records) -> dict:
    """Blank and pre-filled medians, interleaved and in blocks (see the module's doc)."""
    blank_i, filled_i = [], []
    half = len(records) // 2
    for r in records[:half]:
        t0 = time.perf_counter()
        render_pdf(spec)
        t1 = time.perf_counter()
        render_pdf(spec, r)
        t2 = time.perf_counter()
        blank_i.append((t1 - t0) * 1000)
        filled_i.append((t2 - t1) * 1000)
    blank_b = []
    for _ in records[half:]:
        t0 = time.perf_counter()
        render_pdf(spec)
        blank_b.append((time.perf_counter() - t0) * 1000)
    filled_b = _median_each_ms(lambda r: render_pdf(spec, r), records[half:])
    m = statistics.median
    return {"interleaved": (m(blank_i), m(filled_i)), "blocks": (m(blank_b), filled_b)}


def _first_render_ms(spec) -> float:
    """A blank form's first render in the process: layout, page streams and font subset
    built (the prepared font itself is already loaded)."""
    _render._static_cache.clear()
    t0 = time.perf_counter()
    render_pdf(spec)
    return (time.perf_counter() - t0) * 1000


def _median_ms(fn, repeat: int) -> float:
    fn()  # warm caches (prepared font, built template)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        sys.exit("LibreOffice (soffice) is needed for the baseline: bash scripts/setup.sh --with-libreoffice")
    return exe


def _lo_route_ms(spec, record, repeat: int, exe: str, workdir: Path) -> float:
    def once() -> None:
        docx = render_docx(spec, record)
        src = workdir / f"{spec.id}.docx"
        src.write_bytes(docx)
        subprocess.run(
            [exe, "--headless", f"-env:UserInstallation=file://{workdir}/profile",
             "--convert-to", "pdf", "--outdir", str(workdir), str(src)],
            check=True, capture_output=True, timeout=120,
        )
        if not (workdir / f"{spec.id}.pdf").exists():
            raise RuntimeError("LibreOffice wrote no PDF")

    return _median_ms(once, repeat)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=100)
    ap.add_argument("--lo-repeat", type=int, default=3)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    exe = _soffice()
    rows = []
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for spec in all_forms():
            record = validate_record(spec, sample_record(spec, "typical"))
            first_ms = _first_render_ms(spec)
            # warm the per-glyph caches with records of the same kind, then measure on
            # records never rendered before
            for r in _varied_records(spec, args.repeat, _realistic_text, seed=1):
                render_pdf(spec, r)
                render_pdf(spec)
            measured = _varied_records(spec, 2 * args.repeat, _realistic_text, seed=2)
            runs = _blank_and_filled_ms(spec, measured)
            # the values a record puts on the page (text, date parts, ticks)
            n_values = statistics.median(
                sum(1 for v in pdf_values(spec, r).values() if v not in (None, "", False))
                for r in measured)
            blank_ms, fill_ms = runs["interleaved"]
            blank_b_ms, fill_b_ms = runs["blocks"]
            for r in _varied_records(spec, args.repeat, _random_text, seed=3):
                render_pdf(spec, r)
            stress_ms = _median_each_ms(lambda r: render_pdf(spec, r),
                                        _varied_records(spec, args.repeat, _random_text, seed=4))
            same_ms = _median_ms(lambda: render_pdf(spec, record), args.repeat)
            viewer_kb = len(render_pdf(spec, record)) / 1024
            embedded_kb = len(render_pdf(spec, record, typing_font="embedded")) / 1024
            lo_ms = _lo_route_ms(spec, record, args.lo_repeat, exe, workdir)
            ratio = fill_ms / blank_ms
            ratio_b = fill_b_ms / blank_b_ms
            row = {
                "form": spec.id,
                "blank_pdf_ms": round(blank_ms, 3),
                "filled_pdf_ms": round(fill_ms, 3),
                "filled_over_blank": round(ratio, 2),
                "blank_pdf_blocks_ms": round(blank_b_ms, 3),
                "filled_pdf_blocks_ms": round(fill_b_ms, 3),
                "filled_over_blank_blocks": round(ratio_b, 2),
                "values_per_record": n_values,
                "added_per_value_us": round((fill_ms - blank_ms) * 1000 / n_values, 1),
                "added_per_value_blocks_us": round((fill_b_ms - blank_b_ms) * 1000 / n_values, 1),
                "filled_same_record_ms": round(same_ms, 3),
                "filled_stress_ms": round(stress_ms, 3),
                "blank_first_render_ms": round(first_ms, 1),
                "docxtpl_libreoffice_ms": round(lo_ms, 1),
                "speedup_vs_libreoffice": round(lo_ms / fill_ms, 1),
                "filled_kb_viewer_font": round(viewer_kb, 1),
                "filled_kb_embedded_font": round(embedded_kb, 1),
            }
            row["meets_targets"] = (
                row["speedup_vs_libreoffice"] >= TARGET_LO_RATIO
                and max(row["added_per_value_us"], row["added_per_value_blocks_us"])
                <= TARGET_US_PER_VALUE
                and viewer_kb <= TARGET_VIEWER_KB
                and embedded_kb <= TARGET_EMBEDDED_KB
            )
            ok &= row["meets_targets"]
            rows.append(row)
            print(
                f"{spec.id:24} blank {blank_ms:5.2f} filled {fill_ms:5.2f} ms ×{ratio:4.2f} "
                f"(+{row['added_per_value_us']:4.1f} / {row['added_per_value_blocks_us']:4.1f} µs "
                f"× {n_values:g} values) "
                f"(blocks {blank_b_ms:5.2f} {fill_b_ms:5.2f} ×{ratio_b:4.2f}; same record "
                f"{same_ms:5.2f}, stress {stress_ms:5.2f}, first {first_ms:5.1f})  "
                f"LibreOffice {lo_ms:7.1f} ms ×{row['speedup_vs_libreoffice']:7.1f}  "
                f"{viewer_kb:6.1f} KB / {embedded_kb:7.1f} KB  "
                f"{'ok' if row['meets_targets'] else 'MISSES TARGET'}",
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

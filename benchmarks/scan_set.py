"""The scan test set (issue 16): every form pre-filled with realistic values, printed by
our PDF and "scanned" as an agency receives it: 150, 200 and 300 dpi, rotated a quarter
turn or not, skewed up to ±5°, blurred, JPEG at quality 40–70 (or PNG, or TIFF), a red
round seal stamped over a value, grey or colour.  Each image comes with its truth: the
form, its version, the page, the record that was printed, and how it was scanned.

Deterministic: the same seed writes the same images and truth.

Run:  .venv/bin/python benchmarks/scan_set.py OUT_DIR [--forms ID …] [--dpi 150 200 300]
      [--seed 16]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DPIS = (150, 200, 300)
#: names with the rare characters institutions' staff do have (GBK and beyond)
PEOPLE = ("王堃", "李喆", "张彧", "陈昶", "刘婧", "赵翀", "周喆堃", "欧阳彧昶")
PLACES = ("景德镇市珠山区", "太原市小店区", "长沙市岳麓区", "长春市朝阳区", "天津市河西区",
          "大同市平城区", "晋中市榆次区")
KINDS = ("人民医院", "康复医院", "中医院", "假肢矫形器配置中心", "听力康复中心", "眼科医院")
STREETS = ("莲社北路", "长治路", "迎泽大街", "人民中路", "解放东路")


def _text(f, rng: random.Random) -> str:
    """A value a person would type in a text field of this length."""
    n = f.max_length or 20
    label = f.label or ""
    if any(k in label for k in ("电话", "联系")):
        v = rng.choice(PEOPLE) + " " + rng.choice(("0798-", "0351-", "0731-")) + \
            str(rng.randint(2000000, 8999999))
    elif any(k in label for k in ("代表", "负责人", "姓名", "人员", "签")):
        v = rng.choice(PEOPLE)
    elif any(k in label for k in ("地址", "住所")):
        v = f"{rng.choice(PLACES)}{rng.choice(STREETS)}{rng.randint(1, 300)}号"
    elif "编号" in label or "证号" in label or "代码" in label:
        v = "".join(rng.choice("0123456789") for _ in range(min(n, 12)))
    else:
        v = rng.choice(PLACES) + rng.choice(("第一", "第二", "堃喆", "彧昶", "")) + rng.choice(KINDS)
    return v[:n]


def _value(f, rng: random.Random):
    if f.type in ("text", "multiline"):
        return _text(f, rng)
    if f.type == "integer":
        lo = int(f.min) if getattr(f, "min", None) is not None else 0
        hi = int(f.max) if getattr(f, "max", None) is not None else 999
        return rng.randint(lo, max(lo, min(hi, lo + 999)))
    if f.type == "decimal":
        places = f.places or 0
        v = Decimal(rng.randint(100, 999_999)) / (10 ** places)
        return f"{v:.{places}f}"
    if f.type == "date":
        return (dt.date(2015, 1, 1) + dt.timedelta(days=rng.randint(0, 4000))).isoformat()
    if f.type == "choice":
        return rng.choice(f.choices)
    if f.type == "checkbox":
        return rng.random() < 0.5
    raise AssertionError(f.type)


def realistic_record(spec, rng: random.Random) -> dict:
    """A record of realistic values the form accepts (a field whose random value the form
    refuses takes the typical sample's)."""
    from forms import record_to_json, sample_record, validate_record
    from forms.errors import RecordInvalid

    typical = sample_record(spec, "typical")
    record: dict = {}
    for f in spec.fields:
        if f.type == "rows":
            rows = rng.randint(1, f.max_rows)
            record[f.id] = [{c.id: _value(c, rng) for c in f.columns} for _ in range(rows)]
        else:
            record[f.id] = _value(f, rng)
    for _ in range(len(spec.fields) + 1):
        try:
            return record_to_json(spec, validate_record(spec, record))
        except RecordInvalid as e:
            for d in e.details:
                top = d.field.split(".", 1)[0]
                record[top] = typical[top]
    return record_to_json(spec, validate_record(spec, typical))


def _seal(image, box, rng: random.Random):
    """A red round seal over ``box`` (pixels), the way a stamp lands across a value: its
    ink multiplies with the print under it (black stays black, paper turns red)."""
    from PIL import Image, ImageChops, ImageDraw

    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2 + rng.uniform(-20, 20), (y0 + y1) / 2 + rng.uniform(-10, 10)
    r = image.width * rng.uniform(0.07, 0.1)
    stamp = Image.new("RGB", image.size, "white")
    d = ImageDraw.Draw(stamp)
    red = (210 + rng.randint(0, 40), rng.randint(0, 50), rng.randint(0, 50))
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=max(2, round(r / 14)))
    d.regular_polygon((cx, cy, r / 3.2), 5, outline=red, fill=red)
    return ImageChops.multiply(image, stamp)


def scan(page, dpi: int, rng: random.Random, seal_box=None) -> tuple[bytes, str, dict]:
    """One printed page (a 300-dpi RGB image) as a scanner or a phone gives it back."""
    from PIL import ImageFilter

    how = {"dpi": dpi, "rotate": rng.choice((0, 0, 90, 180, 270)),
           "skew": round(rng.uniform(-5, 5), 2), "blur": rng.choice((0, 0, 0.6, 1.0)),
           "grey": rng.random() < 0.5, "seal": seal_box is not None,
           "format": rng.choice(("JPEG", "JPEG", "JPEG", "PNG", "TIFF"))}
    image = page.copy()
    if seal_box is not None:
        image = _seal(image, seal_box, rng)
    image = image.resize((round(image.width * dpi / 300), round(image.height * dpi / 300)))
    image = image.rotate(how["rotate"] + how["skew"], expand=True, fillcolor="white",
                         resample=3)
    if how["blur"]:
        image = image.filter(ImageFilter.GaussianBlur(how["blur"]))
    if how["grey"]:
        image = image.convert("L")
    out = io.BytesIO()
    if how["format"] == "JPEG":
        how["quality"] = rng.randint(40, 70)
        image.save(out, "JPEG", quality=how["quality"], dpi=(dpi, dpi))
    elif how["format"] == "PNG":
        image.save(out, "PNG", dpi=(dpi, dpi))
    else:
        image.save(out, "TIFF", compression="tiff_deflate", dpi=(dpi, dpi))
    ext = {"JPEG": "jpg", "PNG": "png", "TIFF": "tif"}[how["format"]]
    return out.getvalue(), ext, how


def make(out: Path, forms: list[str] | None = None, dpis=DPIS, seed: int = 16) -> list[dict]:
    """Write the set into ``out`` and ``out/truth.json``; returns the truth."""
    import pypdfium2 as pdfium

    from forms import all_forms
    from generator.pdf import render_pdf
    from parser import parse_pdf

    out.mkdir(parents=True, exist_ok=True)
    truth = []
    for spec in all_forms():
        if forms and spec.id not in forms:
            continue
        rng = random.Random(f"{seed}/{spec.id}")
        record = realistic_record(spec, rng)
        pdf = render_pdf(spec, record)
        boxes = parse_pdf(pdf).fields
        doc = pdfium.PdfDocument(pdf)
        doc.init_forms()
        pages = [doc[i].render(scale=300 / 72, may_draw_forms=True).to_pil().convert("RGB")
                 for i in range(len(doc))]
        doc.close()
        for number, page in enumerate(pages, 1):
            on_page = [v["bbox"] for v in boxes.values()
                       if v.get("page") == number and v.get("bbox") and v.get("value")]
            for dpi in dpis:
                box = None
                if on_page and rng.random() < 0.6:
                    x0, top, x1, bottom = rng.choice(on_page)
                    k = 300 / 72
                    box = (x0 * k, top * k, x1 * k, bottom * k)
                data, ext, how = scan(page, dpi, rng, box)
                name = f"{spec.id}/p{number}-{dpi}dpi.{ext}"
                (out / spec.id).mkdir(exist_ok=True)
                (out / name).write_bytes(data)
                truth.append({"file": name, "form": spec.id, "version": spec.version,
                              "page": number, "pages": len(pages), "scan": how,
                              "record": record})
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                    encoding="utf-8")
    return truth


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--forms", nargs="*")
    ap.add_argument("--dpi", nargs="*", type=int, default=list(DPIS))
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    truth = make(args.out, args.forms, tuple(args.dpi), args.seed)
    print(f"{len(truth)} page images of {len({t['form'] for t in truth})} forms in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

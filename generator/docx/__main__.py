"""``python -m generator.docx write-templates | check-templates``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._templates import TEMPLATE_DIR, check_templates, write_templates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m generator.docx",
                                 description="DOCX 模板：写出或检查 templates/<表单>.docx")
    ap.add_argument("command", choices=["write-templates", "check-templates"])
    ap.add_argument("--dir", type=Path, default=TEMPLATE_DIR, help="模板目录（默认 templates/）")
    args = ap.parse_args(argv)
    if args.command == "write-templates":
        for path in write_templates(args.dir):
            print(path)
        return 0
    problems = check_templates(args.dir)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("模板与表单描述不一致，请运行 python -m generator.docx write-templates",
              file=sys.stderr)
        return 1
    print(f"templates match ({args.dir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

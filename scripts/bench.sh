#!/usr/bin/env bash
# Set up (LibreOffice included: it is a baseline; PostgreSQL: the desk runs on it too)
# and run every benchmark.
# Each benchmark prints its figures and exits non-zero when it misses a target;
# all of them run, and this script exits non-zero if any missed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-libreoffice --with-postgresql --with-tesseract || exit 1
status=0
for bench in bench_forms bench_parse bench_agreements bench_startup bench_folder bench_hostile bench_desk bench_scans bench_ocr; do
    echo "== $bench"
    .venv/bin/python "benchmarks/$bench.py" || status=1
done
exit $status

#!/usr/bin/env bash
# Set up (LibreOffice included: it is the baseline) and run every benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --with-libreoffice
.venv/bin/python benchmarks/bench_forms.py "$@"

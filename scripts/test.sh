#!/usr/bin/env bash
# Set up (scripts/setup.sh --with-libreoffice --with-postgresql --with-chromium: the tests
# need LibreOffice, start a throwaway PostgreSQL and drive Chromium) and run every test.  Arguments go to
# pytest: bash scripts/test.sh -k api -x
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh --with-libreoffice --with-postgresql --with-chromium
exec .venv/bin/python -m pytest -q "$@"

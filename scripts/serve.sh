#!/usr/bin/env bash
# Set up (scripts/setup.sh) and run the service on its embedded defaults:
# http://127.0.0.1:8000/  — arguments go to `xieyi serve` (--host, --port, --threads).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/xieyi serve "$@"

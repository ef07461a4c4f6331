#!/usr/bin/env bash
# Set up (scripts/setup.sh), create or migrate the database (SQLite in the data
# directory unless XIEYI_DATABASE_URL says otherwise) and run the service on its embedded
# defaults: http://127.0.0.1:8000/  — arguments go to `xieyi serve` (--host, --port,
# --threads).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
.venv/bin/xieyi db upgrade
exec .venv/bin/xieyi serve "$@"

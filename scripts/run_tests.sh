#!/usr/bin/env bash
# Runs the whole test suite in the app environment. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
status=0
.venv/bin/python -m pytest "$@" || status=$?
echo "[test] pytest finished in $(( $(date +%s) - start ))s with exit code $status"
exit $status

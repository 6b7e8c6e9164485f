#!/usr/bin/env bash
# Installs everything (Python packages, bun, Chromium) and runs every test: domain,
# data, services and the browser tests (which build the front end once and share one
# app server). Then it runs the non-browser tests again with the clock moved a year
# ahead, which proves that no test depends on the day it runs (tests/conftest.py).
# Extra arguments go to pytest, both times. PORTAL_SKIP_YEAR_AHEAD=1 skips the second run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
source scripts/env.sh
python -m pytest "$@"
if [ "${PORTAL_SKIP_YEAR_AHEAD:-0}" != 1 ]; then
  echo "==> The non-browser tests again, with the clock a year ahead"
  PORTAL_TEST_CLOCK_SHIFT_DAYS=365 python -m pytest -m "not e2e" -p no:cacheprovider "$@"
fi

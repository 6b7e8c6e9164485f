#!/usr/bin/env bash
# Installs everything (Python packages, bun, Chromium) and runs every test: domain,
# data, services and the browser tests (which build the front end once and share one
# app server). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
source scripts/env.sh
exec python -m pytest "$@"

#!/usr/bin/env bash
# Installs what the portal needs into this checkout: a Python virtualenv (.venv) and bun
# (from the npm registry; Reflex's own bun download cannot reach its site offline).
# With --test it also installs the test tools and Debian's Chromium for browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."

WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing Python packages"
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$WITH_TEST" = 1 ]; then
  .venv/bin/python -m pip install --quiet -e ".[test]"
else
  .venv/bin/python -m pip install --quiet -e .
fi

BUN_VERSION=1.4.4
if [ ! -x .tools/node_modules/.bin/bun ] || [ "$(.tools/node_modules/.bin/bun --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "==> Installing bun $BUN_VERSION from the npm registry"
  command -v npm >/dev/null || { echo "npm is needed to install bun (install Node.js 20+)" >&2; exit 1; }
  mkdir -p .tools
  npm install --silent --no-audit --no-fund --prefix .tools "bun@$BUN_VERSION" >/dev/null
fi

if [ "$WITH_TEST" = 1 ] && { [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi wqy; }; then
  echo "==> Installing Chromium and a CJK font from Debian packages"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Another apt-get (an unattended upgrade, a second checkout) may hold the dpkg lock:
  # wait for it, up to ten minutes, instead of failing at once.
  APT_WAIT=(-o DPkg::Lock::Timeout=600)
  $SUDO apt-get "${APT_WAIT[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get "${APT_WAIT[@]}" install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
echo "==> Installed"

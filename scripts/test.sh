#!/usr/bin/env bash
# Installs everything (Python packages, bun, Chromium) and runs every test, in four passes:
#   1. the non-browser tests (domain, data, services, ui) on SQLite, two at a time (pytest-xdist);
#   2. the browser tests on SQLite: the front end is built once and one app server is shared;
#   3. the non-browser tests again with the clock a year ahead (tests/conftest.py), which
#      proves that no test depends on the day it runs, with the services on PostgreSQL:
#      this is also the PostgreSQL pass of the services (SQLite ones when there is none);
#   4. the scale-out pass: the browser tests again on PostgreSQL + Redis with two workers
#      (tests/e2e/conftest.py, PORTAL_E2E_BACKEND=postgres-redis), on the front end pass 2
#      built, plus the tests that need two workers (tests/e2e/test_scale_out.py). The
#      audits of the compiled pages themselves (marker render_audit: axe-core in both
#      languages and modes, the 320 px layout) run in pass 2 only: the markup is the same
#      build whatever serves it, and they take two minutes of CI's fifteen.
# PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379) run on the developers' and CI
# machines; when they are down they are started (while pass 1 runs). When they still cannot
# be used, the output says so ("SCALE-OUT PASS NOT RUN: <reason>") and the run goes on
# without them. A failing pass does not stop the later ones; the script fails at the end.
# Extra arguments go to pytest, every pass. PORTAL_SKIP_YEAR_AHEAD=1 skips pass 3,
# PORTAL_SKIP_SCALE_OUT=1 pass 4; PORTAL_TEST_WORKERS (default 2) sets pass 1 and 3's workers.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test
source scripts/env.sh

WORKERS=${PORTAL_TEST_WORKERS:-2}
RESULTS=()
FAILED=0

# One pass: its name, then pytest's arguments. Exit code 5 (no test selected: the extra
# arguments picked tests of other passes only) is not a failure.
run_pass() {
  local name=$1 start=$SECONDS status=0
  shift
  echo "==> $name"
  python -m pytest "$@" || status=$?
  local took="$name: $((SECONDS - start)) s"
  if [ "$status" = 0 ] || [ "$status" = 5 ]; then
    RESULTS+=("$took")
  else
    RESULTS+=("$took, FAILED (pytest exit code $status)")
    FAILED=1
  fi
}

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
pg_answers() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
redis_answers() { command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }

# Starts PostgreSQL and Redis with the machine's own commands when they are down.
start_services() {
  if ! pg_answers; then
    if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
      for version in $(ls /etc/postgresql); do
        echo "PostgreSQL $version was down: starting it"
        $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
      done
      for _ in $(seq 30); do pg_answers && break; sleep 1; done
    else
      echo "PostgreSQL is down and pg_ctlcluster is not installed"
    fi
  fi
  if ! redis_answers; then
    if command -v redis-server >/dev/null; then
      echo "Redis was down: starting it"
      $SUDO mkdir -p /var/lib/redis /var/log/redis || true
      $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
      for _ in $(seq 10); do redis_answers && break; sleep 1; done
    else
      echo "Redis is down and redis-server is not installed"
    fi
  fi
}

# Why PostgreSQL or Redis cannot be used by the tests (empty when they can).
pg_problem() {
  pg_answers || { echo "PostgreSQL does not answer at 127.0.0.1:5432 (pg_isready)"; return; }
  python -c 'from tests.postgres_url import unreachable_reason as r; print(r() or "")'
}
redis_problem() {
  redis_answers || { echo "Redis does not answer at 127.0.0.1:6379 (redis-cli ping)"; return; }
  python - <<'EOF'
import os, redis
url = os.environ.get("PORTAL_E2E_REDIS_URL", "redis://127.0.0.1:6379/9")
try:
    redis.Redis.from_url(url, socket_connect_timeout=3).ping()
except redis.RedisError as exc:
    print(f"no Redis at {url} (set PORTAL_E2E_REDIS_URL): {exc}")
EOF
}

SERVICES_LOG=$(mktemp)
start_services >"$SERVICES_LOG" 2>&1 &
SERVICES_PID=$!

run_pass "1/4 the non-browser tests on SQLite" -m "not e2e and not postgres" -n "$WORKERS" "$@"

wait "$SERVICES_PID" || true
cat "$SERVICES_LOG"
rm -f "$SERVICES_LOG"
PG_PROBLEM=$(pg_problem || echo "PostgreSQL could not be checked")
REDIS_PROBLEM=$(redis_problem || echo "Redis could not be checked")
SCALE_OUT_NOT_RUN=""
if [ "${PORTAL_SKIP_SCALE_OUT:-0}" = 1 ]; then
  SCALE_OUT_NOT_RUN="PORTAL_SKIP_SCALE_OUT=1"
elif [ -n "$PG_PROBLEM" ] || [ -n "$REDIS_PROBLEM" ]; then
  SCALE_OUT_NOT_RUN="$PG_PROBLEM${PG_PROBLEM:+${REDIS_PROBLEM:+; }}$REDIS_PROBLEM"
fi
[ -z "$SCALE_OUT_NOT_RUN" ] || echo "==> SCALE-OUT PASS NOT RUN: $SCALE_OUT_NOT_RUN"

run_pass "2/4 the browser tests on SQLite" -m e2e "$@"

if [ "${PORTAL_SKIP_YEAR_AHEAD:-0}" != 1 ]; then
  if [ -z "$PG_PROBLEM" ]; then
    YEAR_AHEAD=(-m "not e2e and not sqlite")
    WHERE="the services on PostgreSQL"
  else
    YEAR_AHEAD=(-m "not e2e")
    WHERE="the services on SQLite (no PostgreSQL: $PG_PROBLEM)"
  fi
  PORTAL_TEST_CLOCK_SHIFT_DAYS=365 run_pass "3/4 the non-browser tests with the clock a year ahead, $WHERE" \
    "${YEAR_AHEAD[@]}" -n "$WORKERS" -p no:cacheprovider "$@"
fi

if [ -z "$SCALE_OUT_NOT_RUN" ]; then
  PORTAL_E2E_BACKEND=postgres-redis PORTAL_E2E_PREBUILT=1 \
    run_pass "4/4 scale-out: the browser tests on PostgreSQL + Redis, two workers" -m "e2e and not render_audit" -p no:cacheprovider "$@"
else
  RESULTS+=("4/4 SCALE-OUT PASS NOT RUN: $SCALE_OUT_NOT_RUN")
fi

echo "==> Passes"
printf '    %s\n' "${RESULTS[@]}"
echo "    total (install included): $SECONDS s"
exit "$FAILED"

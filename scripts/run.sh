#!/usr/bin/env bash
# Installs, prepares the database (migrations, then demo data if it is empty) and serves
# the portal on one port. Defaults to SQLite (portal.db); set PORTAL_DB_URL for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/env.sh

echo "==> Migrating the database"
reflex db migrate
echo "==> Loading demo data (skipped if the database already has customers)"
python -m portal.data.demo --if-empty

PORT=${PORTAL_PORT:-3000}
echo "==> Starting the portal: open http://localhost:$PORT/"
exec reflex run --env prod

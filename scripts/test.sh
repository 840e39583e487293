#!/usr/bin/env bash
# The one gate: installs what the suite needs (pgvector, npm packages), then typechecks,
# lints and runs every test against the machine's PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-pgvector.sh
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
apt_install() { $sudo_cmd apt-get install -y -qq "$@" >/dev/null 2>&1 || { $sudo_cmd apt-get update -qq >/dev/null && $sudo_cmd apt-get install -y -qq "$@" >/dev/null; }; }
# The PostgreSQL manual is the knowledge base the retrieval-quality tests run on.
[ -d /usr/share/doc/postgresql-doc-15/html ] || apt_install postgresql-doc-15
# The admin page's browser test drives Debian's Chromium through puppeteer-core.
command -v chromium >/dev/null 2>&1 || apt_install chromium
# Exactly the locked packages (`npm ci`), reinstalled only when the lock changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --engine-strict
fi
pg_isready -h 127.0.0.1 -p 5432 -q || { echo "test: PostgreSQL is not answering on 127.0.0.1:5432" >&2; exit 1; }
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "test: Redis is not answering on 127.0.0.1:6379" >&2; exit 1; }

npx tsc --noEmit -p .
npm run --silent lint
npx vitest run "$@"

#!/usr/bin/env bash
# Installs the pgvector extension into the local PostgreSQL server when it is missing.
# Debian 12 does not package pgvector, so we build Debian 13's source package (0.8.x)
# against postgresql-server-dev-<major>. Idempotent: does nothing when already installed.
set -euo pipefail

PG_CONFIG="${PG_CONFIG:-}"
if [ -z "$PG_CONFIG" ]; then
  major=$(ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1 || true)
  [ -n "$major" ] || { echo "install-pgvector: no PostgreSQL server found under /usr/lib/postgresql" >&2; exit 1; }
  PG_CONFIG="/usr/lib/postgresql/$major/bin/pg_config"
fi
if [ -x "$PG_CONFIG" ] && [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then
  echo "install-pgvector: pgvector already installed"
  exit 0
fi
major=$(basename "$(dirname "$(dirname "$PG_CONFIG")")")

sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"

src_list=/etc/apt/sources.list.d/kb-trixie-src.sources
if [ ! -f "$src_list" ]; then
  $sudo_cmd tee "$src_list" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq >/dev/null
$sudo_cmd apt-get install -y -qq "postgresql-server-dev-$major" make gcc dpkg-dev >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get source --download-only pgvector >/dev/null 2>&1
tarball=$(ls pgvector_*.orig.tar.* | head -1)
mkdir src && tar -xf "$tarball" -C src --strip-components=1
cd src
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
$sudo_cmd make -s install PG_CONFIG="$PG_CONFIG" >/dev/null
echo "install-pgvector: installed pgvector $(grep default_version vector.control | cut -d"'" -f2) for PostgreSQL $major"

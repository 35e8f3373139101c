#!/usr/bin/env bash
# Installs (once) and starts the real servers the tests talk to: PostgreSQL 15 with pgvector, and Redis.
# Idempotent: every step checks first and skips what is already there. Run as root (CI and dev machines are).
set -euo pipefail

PG_PORT="${MEMORY_TEST_PG_PORT:-5432}"
REDIS_PORT="${MEMORY_TEST_REDIS_PORT:-6379}"
log() { printf '[infra] %s\n' "$*"; }

need_apt=()
command -v pg_ctlcluster >/dev/null 2>&1 && [ -x /usr/lib/postgresql/15/bin/postgres ] || need_apt+=(postgresql-15 postgresql-client-15)
[ -x /usr/bin/pg_config ] && [ -d /usr/include/postgresql/15/server ] || need_apt+=(postgresql-server-dev-15)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v make >/dev/null 2>&1 && command -v gcc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v dpkg-source >/dev/null 2>&1 || need_apt+=(dpkg-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# pgvector is not packaged for bookworm; build it from Debian's (trixie) source package.
sharedir=$(/usr/lib/postgresql/15/bin/pg_config --sharedir)
if [ ! -f "$sharedir/extension/vector.control" ]; then
  log "building pgvector from Debian's source package"
  work=$(mktemp -d)
  mkdir -p "$work/lists/partial"
  # The machine's own Debian mirror (first main archive URI in its apt sources), asked for trixie's sources.
  # Either file may be missing (deb822 or one-line style): grep's non-zero status must not end the script.
  mirror=$( (grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true) \
    | grep -oE 'https?://[^ ]+/debian/?( |$)' | head -n1 | tr -d ' ' || true)
  [ -n "$mirror" ] || { echo "[infra] no Debian mirror found in apt sources" >&2; exit 1; }
  echo "deb-src ${mirror%/} trixie main" > "$work/sources.list"
  apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-" -o "Dir::State::Lists=$work/lists")
  apt-get "${apt_opts[@]}" update -qq 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only pgvector 2>&1 | grep -v '^W: Download is performed unsandboxed' >/dev/null || true)
  (cd "$work" && dpkg-source -x --no-check pgvector_*.dsc src >/dev/null)
  make -s -C "$work/src" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
  make -s -C "$work/src" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config install >/dev/null
  rm -rf "$work"
fi

# PostgreSQL: the Debian cluster 15/main, on loopback, with a password login for the tests.
if [ ! -d /etc/postgresql/15/main ]; then
  log "creating cluster 15/main"
  pg_createcluster 15 main --port "$PG_PORT" >/dev/null
fi
if ! pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $4}' | grep -q online; then
  log "starting PostgreSQL 15"
  pg_ctlcluster --skip-systemctl-redirect 15 main start
fi
for _ in $(seq 1 30); do
  su postgres -c "psql -p $PG_PORT -tAc 'select 1'" >/dev/null 2>&1 && break; sleep 1
done
su postgres -c "psql -p $PG_PORT -v ON_ERROR_STOP=1 -q" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'memory') THEN
    CREATE ROLE memory LOGIN SUPERUSER PASSWORD 'memory';
  END IF;
END \$\$;
SQL
su postgres -c "psql -p $PG_PORT -tAc \"select 1 from pg_database where datname='memory_test'\"" | grep -q 1 \
  || su postgres -c "createdb -p $PG_PORT -O memory memory_test"
su postgres -c "PGOPTIONS='-c client_min_messages=warning' psql -p $PG_PORT -d memory_test -qc 'CREATE EXTENSION IF NOT EXISTS vector'"

# Redis: a throw-away instance on loopback, no persistence.
if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  log "starting Redis on $REDIS_PORT"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no >/dev/null
  for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.5; done
fi

log "ready: postgres 127.0.0.1:$PG_PORT (memory/memory, db memory_test), redis 127.0.0.1:$REDIS_PORT"

#!/usr/bin/env bash
# The project's test command: starts the real servers the tests need, then runs every test project.
# Fails (non-zero) when any test fails or a server cannot be started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/infra/up.sh

# A database of this run's own, dropped at the end: the shared memory_test may carry another branch's migrations (a
# schema from the future fails this branch's tests) or a killed run's rows. An explicit MEMORY_TEST_POSTGRES is used as is.
if [ -z "${MEMORY_TEST_POSTGRES:-}" ]; then
  pg_port="${MEMORY_TEST_PG_PORT:-5432}"
  run_db="memory_test_run_$$_$(date +%s)"
  su postgres -c "createdb -p $pg_port -O memory $run_db"
  trap 'su postgres -c "dropdb -p $pg_port --if-exists $run_db" >/dev/null 2>&1 || true' EXIT
  su postgres -c "PGOPTIONS='-c client_min_messages=warning' psql -p $pg_port -d $run_db -qc 'CREATE EXTENSION IF NOT EXISTS vector'"
  export MEMORY_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=memory;Password=memory;Database=$run_db"
fi
export MEMORY_TEST_REDIS="${MEMORY_TEST_REDIS:-127.0.0.1:${MEMORY_TEST_REDIS_PORT:-6379}}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Memory.sln -c Release --nologo -v q
results=$(mktemp -d)
status=0
dotnet test Memory.sln -c Release --no-build --nologo --results-directory "$results" \
  --logger "trx" --logger "console;verbosity=minimal" || status=$?

# One closing line for CI, summed over every test assembly's results file.
python3 - "$results" <<'PY' || true
import sys, glob, xml.etree.ElementTree as ET
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/**/*.trx", recursive=True):
    c = ET.parse(path).getroot().find(".//{*}Counters")
    if c is None: continue
    p += int(c.get("passed", 0)); f += int(c.get("failed", 0)) + int(c.get("error", 0)); s += int(c.get("notExecuted", 0))
print(f"{p} passed, {f} failed, {s} skipped")
PY
rm -rf "$results"
exit $status

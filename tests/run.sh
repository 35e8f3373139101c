#!/usr/bin/env bash
# The project's test command: starts the real servers the tests need, then runs every test project.
# Fails (non-zero) when any test fails or a server cannot be started.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tests/infra/up.sh

export MEMORY_TEST_POSTGRES="${MEMORY_TEST_POSTGRES:-Host=127.0.0.1;Port=${MEMORY_TEST_PG_PORT:-5432};Username=memory;Password=memory;Database=memory_test}"
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

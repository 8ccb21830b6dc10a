#!/usr/bin/env bash
# `make test`: installs what is missing, starts the local stack of real servers, runs
# every test tier against it (unit, integration, end-to-end) plus the type check, stops
# the stack, proves no server process is left, and prints one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NODE_BIN=$(scripts/bootstrap.sh) || exit 1
TOOLS_BIN=$(scripts/go-tools.sh) || exit 1
export PATH="$NODE_BIN:$TOOLS_BIN:$ROOT/node_modules/.bin:$PATH"
export FLOODGATE_STATE_DIR="$ROOT/.floodgate/test-stack"
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning"
RESULTS="$ROOT/.floodgate/test-results"
rm -rf "$RESULTS"; mkdir -p "$RESULTS"
stack() { tsx packages/devstack/src/cli.ts "$@"; }

checks_passed=0; checks_failed=0
check() { # check NAME COMMAND...: a named pass/fail step outside jest
  local name=$1; shift
  if "$@" >"$RESULTS/$name.log" 2>&1; then checks_passed=$((checks_passed + 1)); echo "PASS check $name"
  else checks_failed=$((checks_failed + 1)); echo "FAIL check $name (log: $RESULTS/$name.log)"; tail -40 "$RESULTS/$name.log"; fi
}

cleanup() {
  stack down >/dev/null 2>&1
  check stack-leaves-no-process stack check-clean
}
trap cleanup EXIT

start=$(date +%s)
check typecheck tsc --noEmit -p .
check lint sh -c 'eslint . && prettier --check . --log-level warn'
stack up --servers "${FLOODGATE_TEST_SERVERS:-kafka,postgres,redis,kube}" || { echo "the local stack did not start"; checks_failed=$((checks_failed + 1)); }

# --forceExit: a tier's last test can leave keep-alive sockets (global fetch, kafkajs
# reconnects) that keep an in-band run's event loop alive after every test has finished.
jest_run() { # jest_run PROJECT [extra args]
  local project=$1; shift
  NODE_OPTIONS="$NODE_OPTIONS --experimental-vm-modules --disable-warning=ExperimentalWarning" \
    jest --ci --forceExit --selectProjects "$project" --passWithNoTests --json --outputFile="$RESULTS/jest-$project.json" "$@"
}
# The integration and e2e tiers run each test file in a process of its own: several files stop
# and restart servers of the shared stack, and a client another file left open must not
# receive that outage in the middle of an unrelated test.
jest_each() { # jest_each PROJECT
  local project=$1 i=0 file
  for file in $(NODE_OPTIONS="$NODE_OPTIONS --experimental-vm-modules --disable-warning=ExperimentalWarning" jest --listTests --selectProjects "$project" 2>/dev/null | grep "^/" | sort); do
    i=$((i + 1))
    NODE_OPTIONS="$NODE_OPTIONS --experimental-vm-modules --disable-warning=ExperimentalWarning" \
      jest "$file" --ci --forceExit --runInBand --selectProjects "$project" --json --outputFile="$RESULTS/jest-$project-$i.json"
  done
}
jest_run unit
jest_each integration
jest_each e2e

cleanup; trap - EXIT
node -e '
  const fs = require("fs"); const dir = process.argv[1];
  let passed = Number(process.argv[2]), failed = Number(process.argv[3]), suitesFailed = 0;
  for (const f of fs.readdirSync(dir).filter((f) => f.startsWith("jest-"))) {
    const r = JSON.parse(fs.readFileSync(`${dir}/${f}`, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests;
    suitesFailed += r.numRuntimeErrorTestSuites; // a file that could not even run counts as a failure
  }
  failed += suitesFailed;
  fs.writeFileSync(`${dir}/summary.txt`, `${passed} passed, ${failed} failed\n`);
' "$RESULTS" "$checks_passed" "$checks_failed"
echo "make test took $(( $(date +%s) - start ))s"
summary=$(cat "$RESULTS/summary.txt")
echo "$summary"
case "$summary" in *", 0 failed") exit 0 ;; *) exit 1 ;; esac

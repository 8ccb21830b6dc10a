#!/usr/bin/env bash
# `make bench`: the benchmark harness (bench/run.ts). It starts the stack servers the chosen scenarios need in
# .floodgate/bench-stack, runs each scenario with its ceiling measured in the same run, always stops the stack, and
# writes bench/results/<timestamp>/ (results.json, results.md, SVG plots; bench/results/latest points at it).
#   QUICK=1          short profile (a few minutes)
#   SCENARIOS=a,b    only these scenarios (bench/scenarios/<name>.ts)
#   BENCH_SECONDS=n  seconds per load level (default 10, QUICK 3)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NODE_BIN=$(scripts/bootstrap.sh)
TOOLS_BIN=$(scripts/go-tools.sh etcd kube-apiserver) # the autoscaling scenario runs a kube-apiserver
export PATH="$NODE_BIN:$TOOLS_BIN:$ROOT/node_modules/.bin:$PATH"
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning ${EXTRA_NODE_OPTIONS:-}"
export FLOODGATE_STATE_DIR="$ROOT/.floodgate/bench-stack"
# The harness stops the stack itself, also on failure and Ctrl-C; this is the safety net if it is killed outright.
trap 'tsx packages/devstack/src/cli.ts down >/dev/null 2>&1 || true' EXIT
tsx bench/run.ts

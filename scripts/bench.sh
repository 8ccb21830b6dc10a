#!/usr/bin/env bash
# `make bench`: every benchmark against one local stack, each measuring its own ceiling in
# the same run (bare Express and Kafka's ProducerPerformance for the API, raw COPY for the
# worker), results in bench/results/*.json. QUICK=1 gives a short profile (a few minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NODE_BIN=$(scripts/bootstrap.sh)
TOOLS_BIN=$(scripts/go-tools.sh etcd kube-apiserver)
export PATH="$NODE_BIN:$TOOLS_BIN:$ROOT/node_modules/.bin:$PATH"
export NODE_OPTIONS="--disable-warning=TimeoutNegativeWarning"
export FLOODGATE_STATE_DIR="$ROOT/.floodgate/bench-stack"
if [ "${QUICK:-0}" = 1 ]; then
  export BENCH_SECONDS=${BENCH_SECONDS:-3} BENCH_EVENTS=${BENCH_EVENTS:-50000} BENCH_LATENCY_SECONDS=${BENCH_LATENCY_SECONDS:-5}
  rounds=2
else
  rounds=5
fi
stack() { tsx packages/devstack/src/cli.ts "$@"; }
trap 'stack down >/dev/null 2>&1 || true' EXIT
stack up --servers kafka,postgres,redis,kube >/dev/null
started=$(date +%s)
echo "== API: ingest and reads vs bare Express and the broker's ProducerPerformance"
tsx bench/api/api-bench.ts
echo "== worker: drain rate vs raw COPY, end-to-end latency at half the sustainable rate"
tsx bench/worker/drain.ts
echo "== operator: reaction time from lag crossing the threshold to the scale patch"
tsx operator/bench/reaction-time.ts "$rounds"
echo
echo "results (newest first):"
find bench/results -newermt "@$started" -name '*.json' | sort -r | sed 's/^/  /'

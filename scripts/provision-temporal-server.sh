#!/usr/bin/env bash
# Provisions the real Temporal server (the cluster form, on PostgreSQL) into a cache outside git:
# ${TEMPORAL_CACHE_DIR:-<repo>/.cache/temporal}/server/ gets
#   bin/temporal-server     go.temporal.io/server/cmd/server
#   bin/temporal-sql-tool   go.temporal.io/server/cmd/tools/sql (creates and migrates the schemas;
#                           the PostgreSQL schemas are embedded in it)
#   config/                 the module's own config templates (development-postgres12.yaml and
#                           dynamicconfig/development-sql.yaml), copied out of the read-only
#                           module cache so the cluster does not depend on it later
# Source: the Go module proxy (`go install`), the only registry that serves the server; there is
# no vendor download. v1.32 needs Go >= 1.26.10: GOTOOLCHAIN=auto (override with
# TEMPORAL_SERVER_GOTOOLCHAIN) lets the go command fetch that toolchain through the same proxy.
# A cold build takes ~10 minutes and ~2 GB RAM on 2 cores, so only `npm run cluster` and CI's
# cluster phase run this, never `npm start`/`npm test`. Idempotent: a re-run checks the stamp and
# returns in milliseconds. Prints the binaries' paths on stdout, progress on stderr.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE_DIR="${TEMPORAL_CACHE_DIR:-$REPO_ROOT/.cache/temporal}"
case "$CACHE_DIR" in /*) ;; *) CACHE_DIR="$PWD/$CACHE_DIR" ;; esac
SERVER_DIR="$CACHE_DIR/server"
VERSION="${TEMPORAL_SERVER_VERSION:-1.32.2}"
TOOLCHAIN="${TEMPORAL_SERVER_GOTOOLCHAIN:-auto}"
MODULE="go.temporal.io/server"
MARKER="$SERVER_DIR/.provisioned"
WANT="go-proxy $MODULE@v$VERSION"

log() { printf '[provision-temporal-server] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
T0="$(now_ms)"
done_in() { log "$1 in $(( $(now_ms) - T0 )) ms"; }

mkdir -p "$SERVER_DIR"
# Serialise concurrent runs (two cluster starts, parallel CI jobs) on the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$SERVER_DIR/.lock"
  flock 9
fi

report() {
  echo "temporal-server: $SERVER_DIR/bin/temporal-server"
  echo "temporal-sql-tool: $SERVER_DIR/bin/temporal-sql-tool"
  echo "config: $SERVER_DIR/config"
}

if [ -f "$MARKER" ] && [ "$(head -n1 "$MARKER")" = "$WANT" ] \
   && [ -x "$SERVER_DIR/bin/temporal-server" ] && [ -x "$SERVER_DIR/bin/temporal-sql-tool" ] \
   && [ -f "$SERVER_DIR/config/development-postgres12.yaml" ]; then
  log "already provisioned (source = $WANT; $(sed -n 2p "$MARKER"))"
  done_in "checked"
  report
  exit 0
fi

command -v go >/dev/null 2>&1 || die "go not found (the server is built from the Go module proxy; apt-get install golang-go or see https://go.dev/dl)"
rm -f "$MARKER"
STAGE="$SERVER_DIR/bin.tmp"
rm -rf "$STAGE"
mkdir -p "$STAGE"
export GOTOOLCHAIN="$TOOLCHAIN"
log "source = $WANT (go install through $(go env GOPROXY), GOTOOLCHAIN=$GOTOOLCHAIN; a cold build takes ~10 min) ..."
# -trimpath -s -w: no local paths or debug tables in the binaries (smaller, reproducible).
for pkg in cmd/server cmd/tools/sql; do
  t="$(now_ms)"
  GOBIN="$STAGE" GOFLAGS="${GOFLAGS:-} -trimpath" go install -ldflags "-s -w" "$MODULE/$pkg@v$VERSION" \
    || die "go install $MODULE/$pkg@v$VERSION failed"
  log "built $pkg in $(( $(now_ms) - t )) ms"
done
mv "$STAGE/sql" "$STAGE/temporal-sql-tool"
mv "$STAGE/server" "$STAGE/temporal-server"
stamp="$("$STAGE/temporal-server" --version 2>&1 | head -n1)"
case "$stamp" in *"$VERSION"*) ;; *) die "built server reports '$stamp', expected $VERSION" ;; esac
"$STAGE/temporal-sql-tool" --help >/dev/null 2>&1 || die "built temporal-sql-tool does not run"

# The config templates ship in the module; `go mod download` names its (read-only) folder.
moddir="$(go mod download -json "$MODULE@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
[ -f "$moddir/config/development-postgres12.yaml" ] || die "config template not found in $moddir"
rm -rf "$SERVER_DIR/config" "$SERVER_DIR/bin"
mkdir -p "$SERVER_DIR/config/dynamicconfig"
cp "$moddir/config/development-postgres12.yaml" "$SERVER_DIR/config/"
cp "$moddir/config/dynamicconfig/development-sql.yaml" "$SERVER_DIR/config/dynamicconfig/"
chmod -R u+w "$SERVER_DIR/config"
mv "$STAGE" "$SERVER_DIR/bin"

printf '%s\n%s\n' "$WANT" "$stamp" >"$MARKER"
log "source = $WANT; $stamp"
done_in "provisioned"
report

#!/usr/bin/env bash
# Makes `docker compose` available for validating docker-compose.yml (`docker compose config`),
# which needs no Docker engine. Idempotent; prints which source it used and how long it took.
# Sources, in order:
#   1. a compose plugin the docker client already has (Docker Desktop, docker-compose-plugin): used as is;
#   2. the cached build in ${COMPOSE_CACHE_DIR:-<repo>/.cache/compose};
#   3. a build of github.com/docker/compose/v5 v$COMPOSE_VERSION from the Go module proxy
#      (Debian 12 ships only compose v1 and no v2+ plugin; a cold build takes a few minutes).
# Then the binary is linked as the docker CLI plugin ~/.docker/cli-plugins/docker-compose, so
# `docker compose …` finds it. Prints the command to use on stdout.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE_DIR="${COMPOSE_CACHE_DIR:-$REPO_ROOT/.cache/compose}"
VERSION="${COMPOSE_VERSION:-5.6.0}"
MODULE="github.com/docker/compose/v5"
BIN="$CACHE_DIR/docker-compose"
MARKER="$CACHE_DIR/.provisioned"
WANT="go-proxy $MODULE@v$VERSION"
PLUGIN_DIR="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"

log() { printf '[provision-compose] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
T0="$(now_ms)"

if command -v docker >/dev/null 2>&1 && docker compose version >/dev/null 2>&1 \
   && [ "$(readlink -f "$PLUGIN_DIR/docker-compose" 2>/dev/null)" != "$(readlink -f "$BIN" 2>/dev/null)" ]; then
  log "source = the docker client's own compose plugin ($(docker compose version --short 2>/dev/null)); checked in $(( $(now_ms) - T0 )) ms"
  echo "docker compose"
  exit 0
fi

mkdir -p "$CACHE_DIR"
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.lock"
  flock 9
fi

if [ -x "$BIN" ] && [ -f "$MARKER" ] && [ "$(head -n1 "$MARKER")" = "$WANT" ]; then
  log "already provisioned (source = $WANT; $(sed -n 2p "$MARKER"))"
else
  command -v go >/dev/null 2>&1 || die "go not found (compose is built from the Go module proxy)"
  rm -f "$MARKER"
  log "source = $WANT (go build from $(go env GOPROXY); a cold build takes a few minutes) ..."
  # `go install …@version` refuses modules with exclude directives (compose has some), so build
  # inside the downloaded module itself, where its go.mod and go.sum apply as the main module's.
  export GOTOOLCHAIN="${COMPOSE_GOTOOLCHAIN:-auto}"
  moddir="$(go mod download -json "$MODULE@v$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [ -f "$moddir/cmd/main.go" ] || die "could not download $MODULE@v$VERSION"
  (cd "$moddir" && GOFLAGS="${GOFLAGS:-} -trimpath -mod=readonly" \
    go build -ldflags "-s -w -X $MODULE/internal.Version=v$VERSION" -o "$BIN.tmp" ./cmd) \
    || { rm -f "$BIN.tmp"; die "go build of $MODULE@v$VERSION failed"; }
  mv "$BIN.tmp" "$BIN"
  printf '%s\n%s\n' "$WANT" "$("$BIN" version 2>&1 | head -n1)" >"$MARKER"
  log "source = $WANT; $(sed -n 2p "$MARKER")"
fi

if command -v docker >/dev/null 2>&1; then
  mkdir -p "$PLUGIN_DIR"
  ln -sfn "$BIN" "$PLUGIN_DIR/docker-compose"
  docker compose version >/dev/null 2>&1 || die "docker does not accept $PLUGIN_DIR/docker-compose as its compose plugin"
  log "ready as \`docker compose\` (plugin link $PLUGIN_DIR/docker-compose); in $(( $(now_ms) - T0 )) ms"
  echo "docker compose"
else
  log "no docker client: use $BIN directly; in $(( $(now_ms) - T0 )) ms"
  echo "$BIN"
fi

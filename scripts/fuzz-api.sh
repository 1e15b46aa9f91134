#!/usr/bin/env bash
# Fuzzes the admin API from its own OpenAPI document with Schemathesis: starts `npm start` on the
# embedded defaults in isolation (temporary DATA_DIR, its own ports), reads the one-time admin API
# key it prints, runs Schemathesis against /openapi.json, always stops the service, and exits
# non-zero when Schemathesis reports a failure (any 5xx, a status code or a response body that
# the document does not declare).
#
# Idempotent: Schemathesis lives in a private virtualenv under .cache/schemathesis (git-ignored),
# created on the first run. Works from any working directory.
#
# Knobs (environment):
#   FUZZ_MAX_EXAMPLES      test cases per operation (default 50)
#   FUZZ_PHASES            default examples,coverage,fuzzing,stateful
#   FUZZ_CHECKS            default not_a_server_error,status_code_conformance,
#                          response_schema_conformance,content_type_conformance
#   FUZZ_SEED              default random (printed, so a run can be replayed); 3 under CI=true
#   FUZZ_WORKERS           concurrent Schemathesis workers (default 1, see below)
#   FUZZ_API_PORT, FUZZ_TEMPORAL_PORT, FUZZ_TEMPORAL_UI_PORT
#                          preferred ports (3900, 7900, 8900); a free one is taken when busy
#   FUZZ_KEEP_DATA=1       keep the temporary DATA_DIR, service log and reports (kept anyway on failure)
#   CI_RESULTS_DIR=dir     also copy the JUnit report there (CI's closing summary counts it)
#   FUZZ_STARTUP_TIMEOUT   seconds to wait for a healthy service (default 300)
#   FUZZ_PYTHON            interpreter for the virtualenv (default: python3.11, else a python3 >= 3.10)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$REPO_ROOT"

SCHEMATHESIS_VERSION="4.32.5" # PyPI; needs Python >= 3.10
VENV_DIR="$REPO_ROOT/.cache/schemathesis/venv"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-50}"
PHASES="${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}"
# One worker: the service is the bottleneck anyway (two were slower), and concurrent requests
# trip a race in the embedded database's socket server (pglite-socket: queries of one connection
# interleave with another's transaction) that fails requests with "bind message supplies N
# parameters" or even hands them another query's rows. That is a database-layer bug, not an API
# one; FUZZ_WORKERS=2 reproduces it.
WORKERS="${FUZZ_WORKERS:-1}"
# CI runs one fixed seed, a stable regression gate (seed 3 is known to send NUL bytes in bodies);
# elsewhere each run explores a new random seed.
if [ "${CI:-}" = "true" ]; then SEED="${FUZZ_SEED:-3}"; else SEED="${FUZZ_SEED:-$(( (RANDOM << 15) | RANDOM ))}"; fi
STARTUP_TIMEOUT="${FUZZ_STARTUP_TIMEOUT:-300}"
# Every check the API passes today; a new failure of any of them fails CI.
CHECKS="${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance}"

log() { printf '[fuzz-api] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
started_at=$(date +%s)

# --- 1. Schemathesis in a private virtualenv --------------------------------------------------
pick_python() {
  local candidate
  for candidate in "${FUZZ_PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}

if [ "$("$VENV_DIR/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
  PYTHON="$(pick_python)" || die "Python >= 3.10 with the venv module is needed for Schemathesis"
  log "installing schemathesis==$SCHEMATHESIS_VERSION into ${VENV_DIR#"$REPO_ROOT"/} ($("$PYTHON" --version))"
  mkdir -p "$(dirname "$VENV_DIR")"
  # Serialise concurrent first runs on the same cache.
  if command -v flock >/dev/null 2>&1; then exec 8>"$(dirname "$VENV_DIR")/.lock"; flock 8; fi
  if [ "$("$VENV_DIR/bin/schemathesis" --version 2>/dev/null)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    rm -rf "$VENV_DIR"
    "$PYTHON" -m venv "$VENV_DIR"
    "$VENV_DIR/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if command -v flock >/dev/null 2>&1; then flock -u 8; fi
fi
ST="$VENV_DIR/bin/schemathesis"
"$ST" --version >/dev/null || die "schemathesis did not install"

# --- 2. Ports and a throw-away data folder ----------------------------------------------------
# The preferred port when it is free, else any free one (never one already chosen here).
port_for() {
  "$VENV_DIR/bin/python" - "$1" "${CHOSEN_PORTS:-}" <<'PY'
import socket, sys
preferred, taken = int(sys.argv[1]), {int(p) for p in sys.argv[2].split()}
def free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port)); return s.getsockname()[1]
        except OSError:
            return None
port = free(preferred) if preferred not in taken else None
while port is None or port in taken:
    port = free(0)
print(port)
PY
}
CHOSEN_PORTS=""
API_PORT="$(port_for "${FUZZ_API_PORT:-3900}")"; CHOSEN_PORTS="$API_PORT"
TEMPORAL_PORT="$(port_for "${FUZZ_TEMPORAL_PORT:-7900}")"; CHOSEN_PORTS="$CHOSEN_PORTS $TEMPORAL_PORT"
TEMPORAL_UI_PORT="$(port_for "${FUZZ_TEMPORAL_UI_PORT:-8900}")"

WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fuzz-api.XXXXXX")"
DATA_DIR="$WORK_DIR/data"
SERVICE_LOG="$WORK_DIR/service.log"
REPORT_DIR="$WORK_DIR/report"
mkdir -p "$DATA_DIR" "$REPORT_DIR"
: >"$SERVICE_LOG"
BASE_URL="http://127.0.0.1:$API_PORT"

SERVICE_PID=""
# Live (non-zombie) processes of the group that setsid gave `npm start` (its leader).
service_alive() { ps -o stat= -g "$SERVICE_PID" 2>/dev/null | grep -qv '^Z'; }
stop_service() {
  [ -n "$SERVICE_PID" ] || return 0
  # npm and its `sh -c` pass no SIGTERM on, so it goes to the service's own node process (the
  # newest `src/main.ts` in the group, below npm, sh and the tsx launcher), which then stops its
  # HTTP server, worker, database and Temporal dev server in order; the launchers follow.
  local service
  service="$(pgrep -n -g "$SERVICE_PID" -f 'src/main\.ts' 2>/dev/null || true)"
  if [ -n "$service" ]; then kill -TERM "$service" 2>/dev/null || true; else kill -TERM -- "-$SERVICE_PID" 2>/dev/null || true; fi
  for _ in $(seq 1 60); do service_alive || break; sleep 0.5; done
  # Whatever is still left of the process group we started.
  if service_alive; then
    log "service did not stop within 30s; killing its process group"
    kill -TERM -- "-$SERVICE_PID" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$SERVICE_PID" 2>/dev/null || true
  fi
  wait "$SERVICE_PID" 2>/dev/null || true
  SERVICE_PID=""
}
cleanup() {
  local status=$?
  stop_service
  if [ "${FUZZ_KEEP_DATA:-0}" = "1" ] || [ "$status" -ne 0 ]; then
    log "service log, data and reports kept in $WORK_DIR"
  else
    rm -rf "$WORK_DIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 3. The service, isolated -----------------------------------------------------------------
log "starting the service: API $BASE_URL, Temporal 127.0.0.1:$TEMPORAL_PORT (UI $TEMPORAL_UI_PORT), DATA_DIR $DATA_DIR"
# Embedded database and Temporal (no DATABASE_URL / TEMPORAL_ADDRESS), no vendor credentials.
setsid env -u DATABASE_URL -u TEMPORAL_ADDRESS -u PUBLIC_BASE_URL -u MAILBOX_SECRET_KEY \
  -u TWILIO_AUTH_TOKEN -u INSTAGRAM_APP_SECRET -u INSTAGRAM_VERIFY_TOKEN \
  NODE_ENV=development LOG_LEVEL=info PRINT_STACK_TRACES=false \
  API_HOST=127.0.0.1 API_PORT="$API_PORT" \
  TEMPORAL_DEV_PORT="$TEMPORAL_PORT" TEMPORAL_UI_PORT="$TEMPORAL_UI_PORT" DATA_DIR="$DATA_DIR" \
  npm start --silent </dev/null >"$SERVICE_LOG" 2>&1 &
SERVICE_PID=$!

API_KEY=""
deadline=$(( $(date +%s) + STARTUP_TIMEOUT ))
while :; do
  if ! kill -0 "$SERVICE_PID" 2>/dev/null; then
    tail -n 40 "$SERVICE_LOG" >&2 || true
    die "the service exited during start-up (log above)"
  fi
  if [ -z "$API_KEY" ]; then
    API_KEY="$(sed -n 's/^Admin API key (shown once, keep it): \(crk_[^[:space:]]*\).*$/\1/p' "$SERVICE_LOG" | head -n1)"
  fi
  if [ -n "$API_KEY" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE_URL/health" || true)" = "200" ]; then
    break
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 40 "$SERVICE_LOG" >&2 || true
    die "no healthy service with an admin API key within ${STARTUP_TIMEOUT}s"
  fi
  sleep 1
done
log "service healthy after $(( $(date +%s) - started_at ))s; admin key ${API_KEY:0:12}…"

# --- 4. Schemathesis --------------------------------------------------------------------------
fuzz_started=$(date +%s)
ST_ARGS=(
  run "$BASE_URL/openapi.json"
  --header "Authorization: Bearer $API_KEY"
  --checks "$CHECKS"
  --phases "$PHASES"
  --max-examples "$MAX_EXAMPLES"
  --workers "$WORKERS"
  --seed "$SEED"
  --request-timeout 30
  --suppress-health-check too_slow,filter_too_much
  --generation-database none
  --report junit
  --report-dir "$REPORT_DIR"
  --no-color
)
log "schemathesis ${ST_ARGS[*]/$API_KEY/crk_…}"
set +e
# The run's output goes through sed so the key never reaches the log.
# From the work folder: Schemathesis keeps its crash cache (for `st replay`) in ./.schemathesis.
(cd "$WORK_DIR" && "$ST" "${ST_ARGS[@]}" 2>&1) | sed "s/$API_KEY/crk_…/g"
st_status=${PIPESTATUS[0]}
set -e
fuzz_seconds=$(( $(date +%s) - fuzz_started ))
# CI sums every test run of the job (scripts/ci-summary.js reads JUnit reports from there).
if [ -n "${CI_RESULTS_DIR:-}" ]; then
  mkdir -p "$CI_RESULTS_DIR" && cp "$REPORT_DIR"/*.xml "$CI_RESULTS_DIR/" 2>/dev/null || true
fi

# --- 5. Summary ---------------------------------------------------------------------------------
server_errors="$(grep -c '"request failed"' "$SERVICE_LOG" || true)"
echo
echo "=== API fuzzing summary ==="
echo "schemathesis $SCHEMATHESIS_VERSION, checks: $CHECKS"
echo "phases: $PHASES; max examples per operation: $MAX_EXAMPLES; seed: $SEED (FUZZ_SEED=$SEED replays)"
echo "fuzzing took ${fuzz_seconds}s, whole script $(( $(date +%s) - started_at ))s"
echo "5xx logged by the service: $server_errors"
if [ "$server_errors" != "0" ]; then
  grep '"request failed"' "$SERVICE_LOG" | sed 's/"time":"[^"]*",//' | sort | uniq -c | sort -rn | head -n 20
fi
if ! service_alive || grep -q '"message":"shutting down"' "$SERVICE_LOG"; then
  # A stop in the middle of the run (a crash, or a signal from elsewhere) reads as "Server
  # Unavailable" in Schemathesis' output; say so plainly.
  echo "the service stopped DURING fuzzing: see $SERVICE_LOG"
  if [ "$st_status" -eq 0 ]; then st_status=1; fi
fi
if [ "$st_status" -eq 0 ]; then
  echo "result: PASSED (no failures)"
else
  echo "result: FAILED (schemathesis exit code $st_status; junit report: $REPORT_DIR)"
fi
exit "$st_status"

#!/usr/bin/env bash
# The test command (`npm test`): provisions the Temporal binaries if needed, then runs every
# Jest project. With no DATABASE_URL the integration tests use embedded PGlite databases; with
# DATABASE_URL (a PostgreSQL server URL whose user may CREATE DATABASE) they use that server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/provision-temporal.sh >/dev/null
# Services started by the tests (`npm start`) find the console built and do not race to build it.
npx tsx scripts/build-console.ts --if-stale >/dev/null
# PGlite loads its WebAssembly with a dynamic import, which Jest's VM sandbox only allows with
# this flag.
export NODE_OPTIONS="${NODE_OPTIONS:-} --experimental-vm-modules --no-warnings=ExperimentalWarning"
exec npx jest "$@"

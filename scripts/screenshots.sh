#!/usr/bin/env bash
# `npm run screenshots`: runs the browser tests, which leave a screenshot of every screen, into
# docs/screenshots (the README shows them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SCREENSHOT_DIR=docs/screenshots bash scripts/test.sh --selectProjects browser "$@"
